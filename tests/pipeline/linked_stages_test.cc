// Tests for adjacent coroutine stages, which pipeline/coroutine_stage.hpp links: a reply goes
// from one stage's `co_yield` straight into the next stage's receive point, and whatever is
// uncommon (an emit, a batch point, the end, a failure, a done downstream) takes the driver's
// path. The oracle is the same pipeline with a fused identity stage between every two
// coroutine stages, which keeps them from being linked: every output, result, exception and
// frame must be the same either way.
#include <gtest/gtest.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "operators/for_each.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/coroutine_stage.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/run.hpp"
#include "tests/support/frame_guard.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using stage = coflow::coroutine<int, int>;

using coflow::test_support::frame_guard;
using coflow::test_support::live_frames;

class LinkedStages : public coflow::test_support::frame_checked_test {};

class stage_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The kinds of stage a chain is made of; each is a coroutine<int, int>.
enum class kind {
  plus,          // replies v + p (co_yield reply: the linked fast path)
  evens,         // replies only even values (an empty reply for the odd ones)
  twice,         // emits v and v * 10 (emit points)
  stops_after,   // replies to p values, then returns without a reply to the last
  throws_at,     // replies v, but throws on the value p
  batches,       // waits at a batch receive point and replies v + 1 for each value
  flushes,       // replies v; at end of stream emits the count of values it saw
  lvalue_reply,  // replies its own lvalue, then reads it again (must not be moved from)
  count
};

stage make_stage(kind k, int p) {
  frame_guard guard;
  switch (k) {
    case kind::plus: {
      std::optional<int> out;
      while (auto v = co_yield out) out = *v + p;
      break;
    }
    case kind::evens: {
      std::optional<int> out;
      while (auto v = co_yield out) out = *v % 2 == 0 ? std::optional<int>(*v) : std::nullopt;
      break;
    }
    case kind::twice:
      while (auto v = co_yield coflow::receive) {
        co_yield coflow::emit(*v);
        co_yield coflow::emit(*v * 10);
      }
      break;
    case kind::stops_after: {
      std::optional<int> out;
      int seen = 0;
      while (auto v = co_yield out) {
        if (++seen == p) co_return;
        out = *v;
      }
      break;
    }
    case kind::throws_at: {
      std::optional<int> out;
      while (auto v = co_yield out) {
        if (*v == p) throw stage_failure("throws_at " + std::to_string(p));
        out = *v;
      }
      break;
    }
    case kind::batches: {
      std::vector<int> replies;
      auto batch = co_yield coflow::receive_batch;
      while (batch) {
        replies.clear();
        for (int v : *batch) replies.push_back(v + 1);
        batch = co_yield coflow::receive_batch(replies);
      }
      break;
    }
    case kind::flushes: {
      std::optional<int> out;
      int seen = 0;
      while (auto v = co_yield out) {
        ++seen;
        out = *v;
      }
      co_yield coflow::emit(seen);
      break;
    }
    case kind::lvalue_reply: {
      int last = 0;
      auto v = co_yield coflow::receive;
      while (v) {
        last = *v * 2;
        v = co_yield last;  // an lvalue: handed on as a copy
        if (last % 2 != 0) throw stage_failure("lvalue reply was changed");
      }
      break;
    }
    case kind::count:
      break;
  }
}

struct spec {
  kind k;
  int p;
};

// What a run did: what reached the sink, and the exception that ended it, if any.
struct outcome {
  std::vector<int> seen;
  std::string error;
  bool operator==(const outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const outcome& o) {
  os << "{";
  for (int v : o.seen) os << v << " ";
  return os << "| " << o.error << "}";
}

// Runs `inputs` through the three stages into the sink, with or without a fused identity stage
// between the coroutine stages (which keeps them unlinked), and optionally a take(n) after them.
outcome run_chain(const std::vector<int>& inputs, spec a, spec b, spec c, bool linked,
                  std::optional<std::size_t> take) {
  outcome o;
  auto record = sinks::for_each([&o](int v) { o.seen.push_back(v); });
  auto identity = ops::transform([](int v) { return v; });
  try {
    if (linked) {
      auto p = make_stage(a.k, a.p) | make_stage(b.k, b.p) | make_stage(c.k, c.p);
      if (take) {
        coflow::run(inputs, std::move(p) | ops::take(*take) | record);
      } else {
        coflow::run(inputs, std::move(p) | record);
      }
    } else {
      auto p =
          make_stage(a.k, a.p) | identity | make_stage(b.k, b.p) | identity | make_stage(c.k, c.p);
      if (take) {
        coflow::run(inputs, std::move(p) | ops::take(*take) | record);
      } else {
        coflow::run(inputs, std::move(p) | record);
      }
    }
  } catch (const std::exception& e) {
    o.error = e.what();
  }
  return o;
}

// A value whose move throws when it carries `fragile::throw_on`: the adversary of a hand-over
// that moves a reply from one stage's frame into the next stage's receive point.
class move_failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct fragile {
  static inline int live = 0;
  static inline int throw_on = -1;
  int v;

  explicit fragile(int x) : v(x) { ++live; }
  fragile(const fragile& other) : v(other.v) { ++live; }
  fragile(fragile&& other) : v(other.v) {
    if (v == throw_on) throw move_failure("move of " + std::to_string(v));
    ++live;
  }
  fragile& operator=(const fragile&) = default;
  fragile& operator=(fragile&& other) {
    if (other.v == throw_on) throw move_failure("move of " + std::to_string(other.v));
    v = other.v;
    return *this;
  }
  ~fragile() { --live; }
};

using fragile_stage = coflow::coroutine<fragile, fragile>;

// Replies v * factor, made in place (no move of its own): the only moves of the value are the
// hand-overs between stages.
fragile_stage scale(int factor) {
  frame_guard guard;
  std::optional<fragile> out;
  while (auto x = co_yield std::move(out)) out.emplace(x->v * factor);
}

// Runs 1..5 through scale(10) | scale(1) | scale(1) into a sink, linked or kept apart by a
// fused stage, with a move that throws for the value `throw_on`.
outcome run_fragile_chain(int throw_on, bool linked) {
  outcome o;
  fragile::throw_on = throw_on;
  {
    auto record = sinks::for_each([&o](fragile f) { o.seen.push_back(f.v); });
    auto apart = ops::transform([](fragile f) { return fragile(f.v); });
    auto drive = [&o](auto p) {
      try {
        for (int i = 1; i <= 5; ++i) p.send(fragile(i));
        p.close();
      } catch (const move_failure& e) {
        o.error = e.what();
        try {
          p.send(fragile(6));
          o.error += ", then sent on";
        } catch (const coflow::protocol_error&) {
          o.error += ", then failed";
        }
      }
    };
    if (linked) {
      drive(coflow::open<fragile>(scale(10) | scale(1) | scale(1) | record));
    } else {
      drive(coflow::open<fragile>(scale(10) | apart | scale(1) | apart | scale(1) | record));
    }
  }
  fragile::throw_on = -1;
  return o;
}

TEST_F(LinkedStages, EveryChainOfThreeKindsBehavesAsWhenUnlinked) {
  const std::vector<int> inputs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  const int params[] = {1, 3, 6};
  const auto kinds = static_cast<int>(kind::count);
  int checked = 0;
  for (int ka = 0; ka < kinds; ++ka) {
    for (int kb = 0; kb < kinds; ++kb) {
      for (int kc = 0; kc < kinds; ++kc) {
        for (int p : params) {
          const spec a{static_cast<kind>(ka), p}, b{static_cast<kind>(kb), p + 1},
              c{static_cast<kind>(kc), 2 * p};
          for (std::optional<std::size_t> take :
               {std::optional<std::size_t>(), std::optional<std::size_t>(0),
                std::optional<std::size_t>(4)}) {
            const outcome linked = run_chain(inputs, a, b, c, true, take);
            const outcome unlinked = run_chain(inputs, a, b, c, false, take);
            ASSERT_EQ(linked, unlinked) << "kinds " << ka << " " << kb << " " << kc << ", p " << p
                                        << ", take " << (take ? static_cast<long>(*take) : -1L);
            ASSERT_EQ(live_frames, 0);
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, kinds * kinds * kinds * 3 * 3);
}

TEST_F(LinkedStages, RepliesPassThroughEveryLinkedStage) {
  // Known answers, so that the oracle above is not merely consistent with itself.
  auto p = make_stage(kind::plus, 1) | make_stage(kind::plus, 10) | make_stage(kind::plus, 100) |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector<int>{1, 2, 3}, std::move(p)), (std::vector{112, 113, 114}));
}

TEST_F(LinkedStages, AFailureInTheMiddleReachesTheCaller) {
  std::vector<int> seen;
  auto p = coflow::open<int>(make_stage(kind::plus, 0) | make_stage(kind::throws_at, 3) |
                             make_stage(kind::plus, 100) |
                             sinks::for_each([&seen](int v) { seen.push_back(v); }));
  p.send(1);
  p.send(2);
  EXPECT_THROW(p.send(3), stage_failure);
  EXPECT_EQ(seen, (std::vector{101, 102}));
  EXPECT_THROW(p.send(4), coflow::protocol_error);
}

TEST_F(LinkedStages, AStageThatFinishesStopsTheStagesAboveIt) {
  int pushed = 0;
  auto counting = [&pushed](int v) {
    ++pushed;
    return v;
  };
  auto p = ops::transform(counting) | make_stage(kind::plus, 0) | make_stage(kind::stops_after, 2) |
           make_stage(kind::plus, 0) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector<int>{1, 2, 3, 4, 5}, std::move(p)), (std::vector{1}));
  EXPECT_EQ(pushed, 2) << "the source stopped as soon as the middle stage finished";
}

TEST_F(LinkedStages, ADoneDownstreamStopsTheSourceAndDropsLaterFlushes) {
  int pushed = 0;
  auto counting = [&pushed](int v) {
    ++pushed;
    return v;
  };
  auto p = ops::transform(counting) | make_stage(kind::flushes, 0) | make_stage(kind::plus, 0) |
           make_stage(kind::plus, 0) | ops::take(3) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector<int>{5, 6, 7, 8, 9}, std::move(p)), (std::vector{5, 6, 7}));
  EXPECT_EQ(pushed, 3);
}

TEST_F(LinkedStages, AFlushAtCloseGoesThroughTheLinkedStagesBelow) {
  auto p = make_stage(kind::flushes, 0) | make_stage(kind::plus, 1) | make_stage(kind::plus, 1) |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector<int>{5, 6}, std::move(p)), (std::vector{7, 8, 4}));
}

TEST_F(LinkedStages, AnLvalueReplyOfACostlyTypeIsCopiedNotMovedFrom) {
  auto keeps = []() -> coflow::coroutine<std::string, std::string> {
    frame_guard guard;
    std::string last;
    while (auto v = co_yield last) {
      if (!last.empty() && last.back() != '!') throw stage_failure("the reply was moved from");
      last = *v + "!";
    }
  };
  auto appends = []() -> coflow::coroutine<std::string, std::string> {
    frame_guard guard;
    std::optional<std::string> out;
    while (auto v = co_yield std::move(out)) out = *v + "?";
  };
  auto p = keeps() | appends() | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector<std::string>{"a", "b"}, std::move(p)),
            (std::vector<std::string>{"?", "a!?", "b!?"}));
}

TEST_F(LinkedStages, DestroyingThePipelineFromAMiddleStageIsDeferredAndReported) {
  std::function<void()> destroy;
  auto hooked = [](std::function<void()>& hook) -> stage {
    frame_guard guard;
    std::optional<int> out;
    while (auto v = co_yield out) {
      if (*v == 3) hook();
      out = *v;
    }
  };
  std::vector<int> seen;
  auto record = sinks::for_each(std::function<void(int)>([&seen](int v) { seen.push_back(v); }));
  using pipeline_t = decltype(coflow::open<int>(make_stage(kind::plus, 0) | hooked(destroy) |
                                                make_stage(kind::plus, 0) | record));
  std::optional<pipeline_t> holder;
  holder.emplace(coflow::open<int>(make_stage(kind::plus, 0) | hooked(destroy) |
                                   make_stage(kind::plus, 0) | record));
  destroy = [&holder] { holder.reset(); };
  holder->send(1);
  try {
    holder->send(3);
    FAIL() << "destroying the pipeline from inside went unreported";
  } catch (const coflow::protocol_error& e) {
    EXPECT_NE(std::string(e.what()).find("destroyed from inside"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(holder.has_value());
  EXPECT_EQ(live_frames, 0);
  EXPECT_EQ(seen, (std::vector{1, 3}));
}

TEST_F(LinkedStages, AReplyWhoseMoveThrowsFailsThePipelineAsWhenUnlinkedAndLeaksNothing) {
  for (int throw_on : {10, 30, 50}) {
    for (bool linked : {true, false}) {
      fragile::live = 0;
      const outcome o = run_fragile_chain(throw_on, linked);
      std::vector<int> before;
      for (int v = 10; v < throw_on; v += 10) before.push_back(v);
      EXPECT_EQ(o.seen, before) << "throw_on " << throw_on << (linked ? ", linked" : "");
      EXPECT_EQ(o.error, "move of " + std::to_string(throw_on) + ", then failed")
          << (linked ? "linked" : "unlinked");
      EXPECT_EQ(fragile::live, 0) << "a value leaked or was destroyed twice, throw_on " << throw_on
                                  << (linked ? ", linked" : "");
      EXPECT_EQ(live_frames, 0);
    }
  }
}

TEST_F(LinkedStages, AStageOpenedAfterStandaloneUseJoinsTheChain) {
  // A coroutine sent values by hand (emits leave the driver's word set) and then put in a
  // pipeline behaves as a new one would from there on.
  auto first = make_stage(kind::twice, 0);
  first.start();
  EXPECT_EQ(first.send(4), 4);
  EXPECT_EQ(first.next(), 40);
  EXPECT_EQ(first.next(), std::nullopt);  // on to its receive point
  auto p = std::move(first) | make_stage(kind::plus, 1) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector<int>{1, 2}, std::move(p)), (std::vector{2, 11, 3, 21}));
}

}  // namespace
