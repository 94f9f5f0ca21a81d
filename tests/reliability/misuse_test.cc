// Reliability: misuse of pipelines and coroutines from inside and outside. Each misuse throws
// coflow::protocol_error naming the mistake, never hangs, and never reaches undefined behaviour
// (the sanitizer builds run these); frames are still destroyed exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "operators/for_each.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"
#include "pipeline/status.hpp"
#include "tests/reliability/fault_stages.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

namespace sinks = coflow::sinks;
using coflow::reliability::eos_swallower;
using coflow::reliability::never;
using coflow::reliability::recorder;
using coflow::reliability::relay;
using coflow::test_support::frame_counter;
using ::testing::HasSubstr;

template <class Call>
std::string protocol_message(Call&& call) {
  try {
    call();
  } catch (const coflow::protocol_error& e) {
    return e.what();
  }
  return "no protocol_error";
}

class Misuse : public ::testing::Test {
 protected:
  void TearDown() override {
    EXPECT_TRUE(frames.balanced())
        << frames.live() << " frame(s) leaked, " << frames.double_exits() << " destroyed twice";
    EXPECT_TRUE(scopes.balanced()) << scopes.live() << " body scope(s) never ended";
  }

  frame_counter frames;
  frame_counter scopes;
  std::vector<int> seen;
};

// --- A stage that swallows end of stream ------------------------------------------------------

TEST_F(Misuse, ACoroutineThatWaitsAgainAfterEndOfStreamFailsCloseAndIsDestroyed) {
  auto c = eos_swallower<int>(scopes, frames.enter());
  c.start();
  EXPECT_EQ(c.send(1), 1);
  EXPECT_THAT(protocol_message([&] { c.close(); }),
              HasSubstr("waited for another value after end of stream"));
  EXPECT_TRUE(c.done());
  EXPECT_EQ(frames.live(), 0) << "the frame is destroyed at once, not when the object is";
  EXPECT_EQ(scopes.live(), 0);
  c.close();  // a finished coroutine: close does nothing more
  EXPECT_THAT(protocol_message([&] { (void)c.send(2); }), HasSubstr("after the coroutine is done"));
}

TEST_F(Misuse, AStageThatSwallowsEndOfStreamFailsThePipelinesClose) {
  {
    auto p = coflow::open<int>(relay<int>(scopes, frames.enter()) |
                               eos_swallower<int>(scopes, frames.enter()) |
                               recorder<int>(scopes, frames.enter(), seen));
    p.send(1);
    p.send(2);
    EXPECT_THAT(protocol_message([&] { (void)p.close(); }),
                HasSubstr("waited for another value after end of stream"));
    EXPECT_TRUE(p.done());
    EXPECT_EQ(frames.live(), 2) << "the swallower's frame is gone; the others live with p";
    EXPECT_THAT(protocol_message([&] { (void)p.close(); }), HasSubstr("close() after"));
  }
  EXPECT_EQ(seen, (std::vector{1, 2}));
}

TEST_F(Misuse, RunOverASwallowingStageFailsInsteadOfHanging) {
  std::vector<int> xs = {1, 2, 3};
  EXPECT_THAT(protocol_message([&] {
                (void)coflow::run(xs, eos_swallower<int>(scopes, frames.enter()) |
                                          recorder<int>(scopes, frames.enter(), seen));
              }),
              HasSubstr("end of stream"));
  EXPECT_EQ(seen, (std::vector{1, 2, 3}));
}

// --- Destroying a pipeline from inside one of its own stages ---------------------------------

TEST_F(Misuse, DestroyingThePipelineFromAFusedSinkIsDeferredAndReported) {
  using pipeline_t = decltype(coflow::open<int>(relay<int>(scopes, frames.enter()) |
                                                relay<int>(scopes, frames.enter()) |
                                                sinks::for_each(std::function<void(int)>())));
  std::optional<pipeline_t> holder;
  holder.emplace(coflow::open<int>(relay<int>(scopes, frames.enter()) |
                                   relay<int>(scopes, frames.enter()) |
                                   sinks::for_each(std::function<void(int)>([&](int v) {
                                     seen.push_back(v);
                                     if (v == 2) holder.reset();  // two frames are running
                                   }))));
  holder->send(1);
  EXPECT_EQ(frames.live(), 2);
  EXPECT_THAT(protocol_message([&] { holder->send(2); }), HasSubstr("destroyed from inside"));
  EXPECT_FALSE(holder.has_value());
  EXPECT_EQ(frames.live(), 0) << "freed when the stage returned";
  EXPECT_EQ(seen, (std::vector{1, 2}));
}

// A stage that calls `hook` when `trigger` arrives and then carries on with the value.
coflow::coroutine<int, int> hooked(frame_counter& scopes, frame_counter::token,
                                   std::function<void()>& hook, int trigger) {
  auto alive = scopes.enter();
  while (auto v = co_yield coflow::receive) {
    if (*v == trigger) hook();
    co_yield coflow::emit(*v);  // the pipeline is gone, but this frame still runs safely
  }
}

TEST_F(Misuse, DestroyingThePipelineFromACoroutineStageIsDeferredAndReported) {
  std::function<void()> destroy;
  using pipeline_t = decltype(coflow::open<int>(hooked(scopes, frames.enter(), destroy, 0) |
                                                recorder<int>(scopes, frames.enter(), seen)));
  std::optional<pipeline_t> holder;
  holder.emplace(coflow::open<int>(hooked(scopes, frames.enter(), destroy, 3) |
                                   recorder<int>(scopes, frames.enter(), seen)));
  destroy = [&] { holder.reset(); };
  holder->send(1);
  EXPECT_THAT(protocol_message([&] { holder->send(3); }), HasSubstr("destroyed from inside"));
  EXPECT_FALSE(holder.has_value());
  EXPECT_EQ(frames.live(), 0);
  EXPECT_EQ(scopes.live(), 0);
  // The stage carried on after the hook, so 3 still reached the sink before the pipeline was
  // freed.
  EXPECT_EQ(seen, (std::vector{1, 3}));
}

TEST_F(Misuse, DestroyingThePipelineWhileItClosesIsDeferredAndReported) {
  std::function<void()> destroy;
  using pipeline_t = decltype(coflow::open<int>(relay<int>(scopes, frames.enter()) |
                                                hooked(scopes, frames.enter(), destroy, 0) |
                                                recorder<int>(scopes, frames.enter(), seen)));
  std::optional<pipeline_t> holder;
  // The relay flushes 7 at end of stream; the hooked stage destroys the pipeline on it.
  holder.emplace(coflow::open<int>(relay<int>(scopes, frames.enter(), never, /*flush=*/7) |
                                   hooked(scopes, frames.enter(), destroy, 7) |
                                   recorder<int>(scopes, frames.enter(), seen)));
  destroy = [&] { holder.reset(); };
  holder->send(1);
  EXPECT_THAT(protocol_message([&] { (void)holder->close(); }), HasSubstr("destroyed from inside"));
  EXPECT_FALSE(holder.has_value());
  EXPECT_EQ(frames.live(), 0);
}

TEST_F(Misuse, MoveAssigningOverThePipelineFromInsideIsDeferredToo) {
  // Replacing the pipeline (move assignment) from inside a stage destroys the old one: the
  // same deferral applies, and the new pipeline is untouched.
  using pipeline_t = decltype(coflow::open<int>(relay<int>(scopes, frames.enter()) |
                                                sinks::for_each(std::function<void(int)>())));
  std::optional<pipeline_t> holder;
  std::vector<int> replacement_seen;
  auto make_replacement = [&] {
    return coflow::open<int>(relay<int>(scopes, frames.enter()) |
                             sinks::for_each(std::function<void(int)>(
                                 [&replacement_seen](int v) { replacement_seen.push_back(v); })));
  };
  holder.emplace(coflow::open<int>(relay<int>(scopes, frames.enter()) |
                                   sinks::for_each(std::function<void(int)>([&](int v) {
                                     seen.push_back(v);
                                     if (v == 2) *holder = make_replacement();
                                   }))));
  holder->send(1);
  EXPECT_THAT(protocol_message([&] { holder->send(2); }), HasSubstr("destroyed from inside"));
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(frames.live(), 1) << "only the replacement's frame is left";
  holder->send(5);
  holder->close();
  EXPECT_EQ(seen, (std::vector{1, 2}));
  EXPECT_EQ(replacement_seen, (std::vector{5}));
}

// --- Re-entrant and late calls --------------------------------------------------------------

TEST_F(Misuse, AReentrantSendFromInsideAStageFailsThePipeline) {
  std::function<void(int)> reenter;
  auto p = coflow::open<int>(relay<int>(scopes, frames.enter()) |
                             sinks::for_each([&](int v) { reenter(v); }));
  reenter = [&](int v) {
    if (v == 2) p.send(100);
  };
  p.send(1);
  EXPECT_THAT(protocol_message([&] { p.send(2); }), HasSubstr("already running"));
  EXPECT_TRUE(p.done()) << "the protocol_error left a stage mid-call: the pipeline is failed";
}

TEST_F(Misuse, SendingIntoACoroutineFromItsOwnOutputCallbackIsRefused) {
  // A coroutine used directly, whose output callback sends into it again while the body stands
  // at its emit point.
  std::optional<coflow::coroutine<int, int>> c;
  c.emplace(relay<int>(scopes, frames.enter()));
  c->start();
  std::string message;
  c->send(1, [&](int) { message = protocol_message([&] { (void)c->send(2); }); });
  EXPECT_THAT(message, HasSubstr("emitting"));  // stopped at its emit point: not receiving
  c.reset();
}

TEST_F(Misuse, EveryLateOrMovedFromCallOnAPipelineIsAProtocolError) {
  auto p = coflow::open<int>(relay<int>(scopes, frames.enter()) | sinks::to_vector());
  p.send(1);
  auto q = std::move(p);
  EXPECT_THAT(protocol_message([&] { p.send(2); }), HasSubstr("moved-from"));
  EXPECT_THAT(protocol_message([&] { (void)p.close(); }), HasSubstr("moved-from"));
  EXPECT_THAT(protocol_message([&] { (void)p.done(); }), HasSubstr("moved-from"));
  EXPECT_THAT(protocol_message([&] { (void)p.status(); }), HasSubstr("moved-from"));
  EXPECT_EQ(q.close(), (std::vector{1}));
  EXPECT_THAT(protocol_message([&] { q.send(2); }), HasSubstr("send() after"));
  EXPECT_THAT(protocol_message([&] { (void)q.close(); }), HasSubstr("close() after"));
}

}  // namespace
