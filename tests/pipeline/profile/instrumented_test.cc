// Tests for pipeline/instrumented.hpp (and pipeline/named.hpp): per-stage counts, names and
// sampled times of an instrumented pipeline.
#include "pipeline/profile/instrumented.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "operators/averager.hpp"
#include "operators/batch.hpp"
#include "operators/count.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/sum.hpp"
#include "operators/take.hpp"
#include "operators/tee.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/profile/named.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

const auto is_odd = [](int x) { return x % 2 != 0; };
const auto twice = [](int x) { return 2 * x; };

std::vector<int> iota(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

struct counts {
  std::string name;
  std::uint64_t in;
  std::uint64_t out;
  bool operator==(const counts&) const = default;
};

std::ostream& operator<<(std::ostream& os, const counts& c) {
  return os << '{' << c.name << ", " << c.in << ", " << c.out << '}';
}

std::vector<counts> counts_of(const coflow::pipeline_profile& profile) {
  std::vector<counts> out;
  for (const coflow::stage_profile& s : profile.stages()) {
    out.push_back({s.name, s.values_in, s.values_out});
  }
  return out;
}

// Outputs each value n times, and at end of stream one more: the number of values seen.
coflow::coroutine<int, int> repeat_each(int n) {
  int seen = 0;
  while (auto v = co_yield coflow::receive) {
    ++seen;
    for (int i = 0; i < n; ++i) co_yield coflow::emit(*v);
  }
  co_yield coflow::emit(seen);
}

// Busy-works `spins` steps per value: a stage that takes time.
struct spin_stage : coflow::stage_interface {
  template <class In>
  using output = In;

  int spins;

  template <class In, class Down>
  struct node {
    bool push(In&& value) {
      volatile std::uint64_t x = 0;
      for (int i = 0; i < spins; ++i) x = x + static_cast<std::uint64_t>(i);
      return down.push(std::move(value));
    }
    [[nodiscard]] bool done() const { return down.done(); }
    decltype(auto) finish() { return down.finish(); }

    int spins;
    Down down;
  };

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return node<In, down_type>{spins, make_down(std::type_identity<In>{})};
  }
};

// A sink that takes spans too, and counts how it was fed.
struct span_sink : coflow::sink_interface {
  template <class In>
  struct node {
    bool push(In&& value) {
      ++single;
      total += value;
      return true;
    }
    bool push_batch(std::span<const In> values) {
      ++batches;
      for (const In& v : values) total += v;
      return true;
    }
    [[nodiscard]] bool done() const { return false; }
    std::tuple<int, int, In> finish() { return {single, batches, total}; }

    int single = 0;
    int batches = 0;
    In total{};
  };

  template <class In>
  auto open() const {
    return node<In>{};
  }
};

// A stage that throws on a given value.
struct throw_on_stage : coflow::stage_interface {
  template <class In>
  using output = In;

  int bad;

  template <class In, class Down>
  struct node {
    bool push(In&& value) {
      if (value == bad) throw std::runtime_error("bad value");
      return down.push(std::move(value));
    }
    [[nodiscard]] bool done() const { return down.done(); }
    decltype(auto) finish() { return down.finish(); }

    int bad;
    Down down;
  };

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return node<In, down_type>{bad, make_down(std::type_identity<In>{})};
  }
};

// A sink whose finish() busy-works: a flush that takes time.
struct slow_finish : coflow::sink_interface {
  template <class In>
  struct node {
    bool push(In&&) { return true; }
    [[nodiscard]] bool done() const { return false; }
    int finish() {
      volatile std::uint64_t x = 0;
      for (int i = 0; i < 1'000'000; ++i) x = x + static_cast<std::uint64_t>(i);
      return 1;
    }
  };

  template <class In>
  auto open() const {
    return node<In>{};
  }
};

using plain = decltype(ops::filter(is_odd) | sinks::to_vector());
using probe_type = decltype(coflow::instrumented(std::declval<plain>()));
static_assert(coflow::sink_description<probe_type>);
static_assert(coflow::runnable<probe_type>);
static_assert(coflow::runnable<decltype(coflow::named("n", sinks::count()))>);
static_assert(coflow::stage_description<decltype(coflow::named("n", ops::filter(is_odd)))>);
static_assert(!coflow::sink_description<decltype(coflow::named("n", ops::filter(is_odd)))>);

// The probe takes spans exactly when the node behind it does.
static_assert(coflow::batch_node_for<
              decltype(coflow::bind_chain<int>(coflow::instrumented(span_sink{}))), int>);
static_assert(!coflow::batch_node_for<
              decltype(coflow::bind_chain<int>(coflow::instrumented(sinks::count()))), int>);

TEST(Instrumented, CountsWhatEachStageTakesAndPassesOn) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | ops::transform(twice) | ops::averager() |
                                    sinks::last());
  const auto mean = coflow::run(iota(10), probe);
  ASSERT_TRUE(mean.has_value());
  EXPECT_DOUBLE_EQ(*mean, 10.0);  // the mean of 2, 6, 10, 14, 18
  EXPECT_EQ(counts_of(probe.profile()),
            (std::vector<counts>{
                {"filter", 10, 5}, {"transform", 5, 5}, {"averager", 5, 5}, {"last", 5, 0}}));
}

TEST(Instrumented, GivesTheSameResultAsThePlainPipeline) {
  auto make = [] {
    return ops::filter([](int x) { return x % 3 != 0; }) | ops::transform(twice) | ops::batch(4) |
           ops::transform([](const std::vector<int>& b) {
             int s = 0;
             for (int x : b) s += x;
             return s;
           }) |
           sinks::to_vector();
  };
  const auto xs = iota(1000);
  EXPECT_EQ(coflow::run(xs, coflow::instrumented(make())), coflow::run(xs, make()));
}

TEST(Instrumented, TakeStopsTheSourceAndTheCountsShowIt) {
  auto probe = coflow::instrumented(ops::transform(twice) | ops::take(3) | sinks::to_vector());
  EXPECT_EQ(coflow::run(iota(100), probe), (std::vector{0, 2, 4}));
  EXPECT_EQ(counts_of(probe.profile()),
            (std::vector<counts>{{"transform", 3, 3}, {"take", 3, 3}, {"to_vector", 3, 0}}));
}

TEST(Instrumented, CountsACoroutineStageThatEmitsSeveralValuesAndFlushes) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | repeat_each(3) | sinks::to_vector());
  const auto out = coflow::run(iota(6), std::move(probe));
  EXPECT_EQ(out, (std::vector{1, 1, 1, 3, 3, 3, 5, 5, 5, 3}));
  // The profile outlives the moved-from description: the nodes share it.
  EXPECT_EQ(counts_of(probe.profile()),  // NOLINT(bugprone-use-after-move): the handle is kept
            (std::vector<counts>{{"filter", 6, 3}, {"coroutine", 3, 10}, {"to_vector", 10, 0}}));
}

TEST(Instrumented, CountsTheFlushAtEndOfStream) {
  auto probe = coflow::instrumented(ops::batch(4) | ops::count() | sinks::to_vector());
  const auto out = coflow::run(iota(10), probe);
  EXPECT_EQ(out.size(), 3u);  // 4 + 4 + the partial batch of 2 flushed at close
  EXPECT_EQ(counts_of(probe.profile()),
            (std::vector<counts>{{"batch", 10, 3}, {"count", 3, 3}, {"to_vector", 3, 0}}));
}

TEST(Instrumented, ATeeIsOneStage) {
  auto probe = coflow::instrumented(ops::filter(is_odd) |
                                    sinks::tee(sinks::count(), ops::take(2) | sinks::to_vector()));
  const auto [n, first] = coflow::run(iota(9), probe);
  EXPECT_EQ(n, 4u);
  EXPECT_EQ(first, (std::vector{1, 3}));
  EXPECT_EQ(counts_of(probe.profile()), (std::vector<counts>{{"filter", 9, 4}, {"tee", 4, 0}}));
}

TEST(Instrumented, InstrumentsATeeBranch) {
  auto branch = coflow::instrumented(ops::take(2) | sinks::to_vector());
  (void)coflow::run(iota(5), sinks::tee(sinks::count(), branch));
  EXPECT_EQ(counts_of(branch.profile()),
            (std::vector<counts>{{"take", 2, 2}, {"to_vector", 2, 0}}));
}

TEST(Instrumented, ASinkAloneIsOneStage) {
  auto probe = coflow::instrumented(sinks::sum());
  EXPECT_EQ(coflow::run(iota(5), probe), 10);
  EXPECT_EQ(counts_of(probe.profile()), (std::vector<counts>{{"sum", 5, 0}}));
}

TEST(Instrumented, WorksThroughAnOpenedPipeline) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | sinks::count());
  auto p = coflow::open<int>(probe);
  for (int i = 0; i < 7; ++i) p.send(i);
  EXPECT_EQ(counts_of(probe.profile()), (std::vector<counts>{{"filter", 7, 3}, {"count", 3, 0}}));
  EXPECT_EQ(p.close(), 3u);
}

TEST(Instrumented, NamedStagesKeepTheirNames) {
  auto probe = coflow::instrumented(coflow::named("odd", ops::filter(is_odd)) |
                                    coflow::named("doubled", ops::transform(twice)) |
                                    coflow::named("result", sinks::to_vector()));
  EXPECT_EQ(coflow::run(iota(4), probe), (std::vector{2, 6}));
  EXPECT_EQ(counts_of(probe.profile()),
            (std::vector<counts>{{"odd", 4, 2}, {"doubled", 2, 2}, {"result", 2, 0}}));
}

TEST(Instrumented, NamesACoroutine) {
  auto probe = coflow::instrumented(coflow::named("repeat", repeat_each(2)) | sinks::count());
  EXPECT_EQ(coflow::run(iota(3), std::move(probe)), 7u);
  EXPECT_EQ(probe.profile().stages().front().name, "repeat");  // NOLINT(bugprone-use-after-move)
}

TEST(Named, ChangesNothingOutsideAProfile) {
  EXPECT_EQ(coflow::run(iota(6), coflow::named("a", ops::filter(is_odd)) |
                                     coflow::named("b", sinks::to_vector())),
            (std::vector{1, 3, 5}));
}

TEST(Instrumented, DerivesNamesFromTypes) {
  EXPECT_EQ(coflow::detail::readable_type_name("coflow::ops::filter_stage<main::{lambda(int)#1}>"),
            "filter");
  EXPECT_EQ(coflow::detail::readable_type_name("coflow::sinks::last_sink"), "last");
  EXPECT_EQ(coflow::detail::readable_type_name("(anonymous namespace)::spin_stage"), "spin");
  EXPECT_EQ(coflow::detail::readable_type_name("ns::outer<int>::inner<std::pair<a, b> >"), "inner");
  EXPECT_EQ(coflow::detail::readable_type_name("my_parser"), "my_parser");
  auto probe = coflow::instrumented(spin_stage{{}, 1} | sinks::count());
  EXPECT_EQ(probe.profile().stages().front().name, "spin");
}

TEST(Instrumented, CopiesShareOneProfileThatAccumulates) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | sinks::count());
  auto copy = probe;
  (void)coflow::run(iota(10), probe);
  (void)coflow::run(iota(4), copy);
  EXPECT_EQ(counts_of(probe.profile()), (std::vector<counts>{{"filter", 14, 7}, {"count", 7, 0}}));
  EXPECT_EQ(counts_of(copy.profile()), counts_of(probe.profile()));
}

TEST(Instrumented, ResetClearsTheCountsAndTimes) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | sinks::count(), {.sample_every = 1});
  (void)coflow::run(iota(10), probe);
  probe.profile().reset();
  for (const coflow::stage_profile& s : probe.profile().stages()) {
    EXPECT_EQ(s.values_in, 0u);
    EXPECT_EQ(s.values_out, 0u);
    EXPECT_EQ(s.timed_values, 0u);
    EXPECT_EQ(s.time.count(), 0);
  }
  (void)coflow::run(iota(3), probe);
  EXPECT_EQ(counts_of(probe.profile()), (std::vector<counts>{{"filter", 3, 1}, {"count", 1, 0}}));
}

TEST(Instrumented, TheProfileCanBeReadFromInsideTheRun) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | sinks::count());
  std::vector<std::uint64_t> seen;
  const coflow::pipeline_profile profile = probe.profile();
  auto watcher = probe;  // a copy, bound after the handle was taken: same profile
  (void)coflow::run(iota(6), sinks::tee(std::move(watcher), sinks::for_each([&](int) {
                                          seen.push_back(profile.stages().front().values_in);
                                        })));
  EXPECT_EQ(seen, (std::vector<std::uint64_t>{1, 2, 3, 4, 5, 6}));
}

TEST(Instrumented, SamplesOneValueInEveryPeriod) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | sinks::count(), {.sample_every = 16});
  EXPECT_EQ(probe.profile().sample_every(), 16u);
  (void)coflow::run(iota(100), probe);
  const auto stages = probe.profile().stages();
  EXPECT_EQ(stages[0].timed_values, 7u);  // values 0, 16, ..., 96
  EXPECT_EQ(stages[1].timed_values, 0u);  // every sampled value is even: none reached count
}

TEST(Instrumented, TimesEveryValueWhenAsked) {
  auto probe = coflow::instrumented(ops::filter(is_odd) | sinks::count(), {.sample_every = 1});
  (void)coflow::run(iota(100), probe);
  const auto stages = probe.profile().stages();
  EXPECT_EQ(stages[0].timed_values, 100u);
  EXPECT_EQ(stages[1].timed_values, 50u);
}

TEST(Instrumented, RejectsAPeriodThatIsNotAPowerOfTwo) {
  EXPECT_THROW((void)coflow::instrumented(sinks::count(), {.sample_every = 0}),
               std::invalid_argument);
  EXPECT_THROW((void)coflow::instrumented(sinks::count(), {.sample_every = 48}),
               std::invalid_argument);
}

TEST(Instrumented, ABusyStageShowsMoreTimeThanATrivialOne) {
  // The busy stage does ~10^4 steps per value, the others almost nothing: even on a loaded
  // machine the busy one takes the most time of the three, with any sampling.
  for (const std::uint64_t period : {std::uint64_t{1}, std::uint64_t{8}}) {
    auto probe = coflow::instrumented(
        ops::transform(twice) | spin_stage{{}, 10'000} | ops::filter(is_odd) | sinks::count(),
        {.sample_every = period});
    (void)coflow::run(iota(2000), probe);
    const auto stages = probe.profile().stages();
    ASSERT_EQ(stages.size(), 4u);
    EXPECT_EQ(stages[1].name, "spin");
    EXPECT_GT(stages[1].time, stages[0].time) << "period " << period;
    EXPECT_GT(stages[1].time, stages[2].time) << "period " << period;
    EXPECT_GT(stages[1].time, stages[3].time) << "period " << period;
    // The estimate covers all 2000 values: at least a microsecond for 2 * 10^7 steps.
    EXPECT_GT(stages[1].time, std::chrono::microseconds(1));
  }
}

TEST(Instrumented, TimesTheFlushAtEndOfStream) {
  // A sink that spins in finish() shows it in its own finish time, not in its upstream's.
  auto probe = coflow::instrumented(ops::transform(twice) | slow_finish{});
  EXPECT_EQ(coflow::run(iota(3), probe), 1);
  const auto stages = probe.profile().stages();
  EXPECT_GT(stages[1].finish_time, stages[0].finish_time);
  EXPECT_GE(stages[1].time, stages[1].finish_time);
}

TEST(Instrumented, ForwardsSpansAndCountsTheirValues) {
  auto probe = coflow::instrumented(span_sink{});
  auto head = coflow::bind_chain<int>(probe);
  const std::vector<int> xs = iota(10);
  EXPECT_TRUE(coflow::detail::push_values(head, std::span<const int>(xs)));
  EXPECT_TRUE(head.push(5));
  const auto [single, batches, total] = head.finish();
  EXPECT_EQ(single, 1);
  EXPECT_EQ(batches, 1);
  EXPECT_EQ(total, 50);
  const auto stages = probe.profile().stages();
  EXPECT_EQ(stages[0].values_in, 11u);
  EXPECT_EQ(stages[0].timed_values, 10u);  // the span holds value 0, a sampled position
}

TEST(Instrumented, AnExceptionPropagatesAndTheProfileStaysConsistent) {
  auto probe = coflow::instrumented(
      ops::transform([](int x) { return x; }) | throw_on_stage{{}, 5} | sinks::count(),
      {.sample_every = 1});
  EXPECT_THROW((void)coflow::run(iota(10), probe), std::runtime_error);
  const auto stages = probe.profile().stages();
  EXPECT_EQ(counts_of(probe.profile()),
            (std::vector<counts>{{"transform", 6, 6}, {"throw_on", 6, 5}, {"count", 5, 0}}));
  EXPECT_EQ(stages[0].timed_values, 6u);
  // The flag was cleared on the way out: a value pushed later is timed at the head only if
  // sampled, and the next run counts as usual.
  EXPECT_EQ(coflow::run(iota(3), probe), 3u);
  EXPECT_EQ(probe.profile().stages()[2].values_in, 8u);
  for (const coflow::stage_profile& s : probe.profile().stages()) {
    EXPECT_GE(s.time.count(), 0) << s.name;
  }
}

TEST(Instrumented, SamplingFlagIsClearedAfterAnExceptionAtTheHead) {
  auto probe = coflow::instrumented(throw_on_stage{{}, 0} | sinks::count(), {.sample_every = 4});
  EXPECT_THROW((void)coflow::run(iota(2), probe), std::runtime_error);
  // Value 0 was sampled and threw; the next values 1..3 of the stream must not be timed.
  (void)coflow::run(std::vector{1, 2, 3}, probe);
  EXPECT_EQ(probe.profile().stages()[1].timed_values, 0u);
  EXPECT_EQ(probe.profile().stages()[1].values_in, 3u);
}

}  // namespace
