// Tests for pipeline/pipeline.hpp: coflow::open and the opened coflow::pipeline.
#include "pipeline/pipeline.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/status.hpp"
#include "tests/support/frame_guard.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using ::testing::HasSubstr;

using coflow::test_support::frame_guard;
using coflow::test_support::live_frames;

class Pipeline : public coflow::test_support::frame_checked_test {};

coflow::coroutine<double, double> averager() {
  frame_guard guard;
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

coflow::coroutine<int, int> running_sum() {
  frame_guard guard;
  int total = 0;
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = total += *v;
}

coflow::consumer<int, int> summer() {
  frame_guard guard;
  int total = 0;
  while (auto v = co_yield coflow::receive) total += *v;
  co_return total;
}

// Emits `started` when it starts and `flushed` at end of stream.
coflow::coroutine<int, int> bracketed(int started, int flushed) {
  frame_guard guard;
  co_yield coflow::emit(started);
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v);
  co_yield coflow::emit(flushed);
}

coflow::coroutine<int, int> throws_on_close() {
  frame_guard guard;
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v);
  throw std::runtime_error("flush failed");
}

template <class P>
std::string protocol_message(P&& call) {
  try {
    call();
  } catch (const coflow::protocol_error& e) {
    return e.what();
  }
  return "no protocol_error";
}

TEST_F(Pipeline, OpenStartsEveryStage) {
  auto p = coflow::open<int>(bracketed(-1, -2) | running_sum() | sinks::to_vector());
  EXPECT_EQ(live_frames, 2);
  p.send(5);
  EXPECT_EQ(p.close(), (std::vector{-1, 4, 2}))
      << "the header went through the running sum at open, and the flush after the value";
}

TEST_F(Pipeline, SendThenCloseReturnsTheSinksResult) {
  auto p = coflow::open<double>(averager() | sinks::last());
  p.send(10);
  p.send(20);
  const std::optional<double> mean = p.close();
  ASSERT_TRUE(mean.has_value());
  EXPECT_DOUBLE_EQ(*mean, 15.0);
}

TEST_F(Pipeline, OpenWithoutATypeTakesTheFirstCoroutinesInput) {
  auto p = coflow::open(running_sum() | ops::transform([](int x) { return x * 2; }) |
                        sinks::to_vector());
  static_assert(std::is_same_v<decltype(p)::input_type, int>);
  p.send(1);
  p.send(2);
  EXPECT_EQ(p.close(), (std::vector{2, 6}));
  auto q = coflow::open(summer());
  static_assert(std::is_same_v<decltype(q)::input_type, int>);
  static_assert(std::is_same_v<decltype(q)::result_type, int>);
  q.send(3);
  EXPECT_EQ(q.close(), 3);
}

TEST_F(Pipeline, ValuesConvertToTheDeclaredInput) {
  auto p = coflow::open<long>(ops::transform([](long x) { return x * 3; }) | sinks::to_vector());
  p.send(2);  // int -> long
  EXPECT_EQ(p.close(), (std::vector<long>{6}));
}

TEST_F(Pipeline, StatusIsSuspendedUntilDone) {
  auto p = coflow::open<int>(ops::take(2) | sinks::to_vector());
  EXPECT_EQ(p.status(), coflow::status::suspended);
  EXPECT_FALSE(p.done());
  p.send(1);
  EXPECT_EQ(p.status(), coflow::status::suspended);
  p.send(2);
  EXPECT_EQ(p.status(), coflow::status::done);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::vector{1, 2})) << "closing a full pipeline still gives its result";
  EXPECT_EQ(p.status(), coflow::status::done);
}

TEST_F(Pipeline, ClosedPipelineIsDone) {
  auto p = coflow::open<int>(sinks::to_vector());
  p.send(1);
  EXPECT_EQ(p.close(), (std::vector{1}));
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.status(), coflow::status::done);
}

TEST_F(Pipeline, VoidSinkGivesAVoidClose) {
  int total = 0;
  auto p = coflow::open<int>(sinks::for_each([&](int x) { total += x; }));
  static_assert(std::is_void_v<decltype(p.close())>);
  p.send(4);
  p.send(5);
  p.close();
  EXPECT_EQ(total, 9);
}

TEST_F(Pipeline, SendAfterDoneIsAProtocolError) {
  auto p = coflow::open<int>(ops::take(1) | sinks::to_vector());
  p.send(1);
  EXPECT_THAT(protocol_message([&] { p.send(2); }), HasSubstr("send() after the pipeline is done"));
  EXPECT_EQ(p.close(), (std::vector{1})) << "the refused value changed nothing";
}

TEST_F(Pipeline, SendAfterCloseIsAProtocolError) {
  auto p = coflow::open<int>(sinks::to_vector());
  (void)p.close();
  EXPECT_THAT(protocol_message([&] { p.send(1); }), HasSubstr("send() after the pipeline is done"));
}

TEST_F(Pipeline, CloseTwiceIsAProtocolError) {
  auto p = coflow::open<int>(running_sum() | sinks::to_vector());
  p.send(1);
  EXPECT_EQ(p.close(), (std::vector{1}));
  EXPECT_THAT(protocol_message([&] { (void)p.close(); }), HasSubstr("close() after"));
}

TEST_F(Pipeline, ReentrantSendFromInsideAStageIsAProtocolError) {
  std::function<void()> reenter;
  std::string inner_error;
  auto p = coflow::open<int>(running_sum() | sinks::for_each([&](int) {
                               try {
                                 reenter();
                               } catch (const coflow::protocol_error& e) {
                                 inner_error = e.what();
                               }
                             }));
  reenter = [&] { p.send(100); };
  p.send(1);
  EXPECT_THAT(inner_error, HasSubstr("already running"));
  EXPECT_FALSE(p.done()) << "the refused re-entrant call leaves the pipeline usable";
  p.send(2);
  p.close();
}

TEST_F(Pipeline, ReentrantCloseFromInsideAStageIsAProtocolError) {
  std::function<void()> reenter;
  auto p = coflow::open<int>(sinks::for_each([&](int) { reenter(); }));
  reenter = [&] { p.close(); };
  EXPECT_THAT(protocol_message([&] { p.send(1); }), HasSubstr("already running"));
  EXPECT_TRUE(p.done()) << "the protocol_error escaped a stage, so the pipeline failed";
}

TEST_F(Pipeline, UseAfterMoveIsAProtocolError) {
  auto p = coflow::open<int>(running_sum() | sinks::to_vector());
  auto q = std::move(p);
  EXPECT_THAT(protocol_message([&] { p.send(1); }), HasSubstr("moved-from"));
  EXPECT_THAT(protocol_message([&] { (void)p.close(); }), HasSubstr("moved-from"));
  EXPECT_THAT(protocol_message([&] { (void)p.done(); }), HasSubstr("moved-from"));
  EXPECT_THAT(protocol_message([&] { (void)p.status(); }), HasSubstr("moved-from"));
  q.send(3);
  EXPECT_EQ(q.close(), (std::vector{3}));
}

TEST_F(Pipeline, MovedPipelineKeepsWorking) {
  auto p = coflow::open<int>(running_sum() | sinks::to_vector());
  p.send(1);
  auto q = std::move(p);
  q.send(2);
  std::optional<decltype(q)> holder;
  holder.emplace(std::move(q));
  holder->send(3);
  EXPECT_EQ(live_frames, 1);
  EXPECT_EQ(holder->close(), (std::vector{1, 3, 6})) << "the running sum kept its state";
}

TEST_F(Pipeline, MoveAssignmentReleasesTheOldPipeline) {
  auto p = coflow::open<int>(running_sum() | sinks::to_vector());
  auto q = coflow::open<int>(running_sum() | sinks::to_vector());
  EXPECT_EQ(live_frames, 2);
  p.send(10);
  q.send(20);
  p = std::move(q);
  EXPECT_EQ(live_frames, 1) << "p's old frame was destroyed by the assignment";
  p.send(1);
  EXPECT_EQ(p.close(), (std::vector{20, 21}));
}

TEST_F(Pipeline, ExceptionFromSendFailsThePipeline) {
  auto p = coflow::open<int>(running_sum() | ops::filter([](int x) {
                               if (x > 2) throw std::runtime_error("too big");
                               return true;
                             }) |
                             sinks::to_vector());
  p.send(1);
  EXPECT_THROW(p.send(5), std::runtime_error);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.status(), coflow::status::done);
  EXPECT_THAT(protocol_message([&] { p.send(1); }), HasSubstr("send() after"));
  EXPECT_THAT(protocol_message([&] { (void)p.close(); }), HasSubstr("close() after"));
}

TEST_F(Pipeline, ExceptionFromCloseReachesTheCaller) {
  auto p = coflow::open<int>(throws_on_close() | sinks::to_vector());
  p.send(1);
  EXPECT_THROW((void)p.close(), std::runtime_error);
  EXPECT_TRUE(p.done());
}

TEST_F(Pipeline, DestroyingAnUnclosedPipelineDestroysItsFrames) {
  {
    auto p = coflow::open<int>(running_sum() | bracketed(0, 0) | summer());
    EXPECT_EQ(live_frames, 3);
    p.send(1);
  }
  EXPECT_EQ(live_frames, 0);
}

TEST_F(Pipeline, DestroyingThePipelineFromInsideAStageIsDeferredAndReported) {
  using pipeline_t =
      decltype(coflow::open<int>(running_sum() | sinks::for_each(std::function<void(int)>())));
  std::optional<pipeline_t> holder;
  std::vector<int> seen;
  holder.emplace(
      coflow::open<int>(running_sum() | sinks::for_each(std::function<void(int)>([&](int x) {
                          seen.push_back(x);
                          if (x > 2) holder.reset();
                        }))));
  holder->send(1);
  EXPECT_EQ(live_frames, 1);
  // The sink destroys the pipeline while the running sum's frame is still on the call path:
  // the frame must survive until the stage returns, then be freed and the call must say so.
  EXPECT_THAT(protocol_message([&] { holder->send(2); }), HasSubstr("destroyed from inside"));
  EXPECT_FALSE(holder.has_value());
  EXPECT_EQ(live_frames, 0);
  EXPECT_EQ(seen, (std::vector{1, 3}));
}

TEST_F(Pipeline, DestroyingThePipelineFromInsideACoroutineSinkIsDeferredAndReported) {
  std::function<void()> destroy;
  auto self_destroying = [](std::function<void()>& hook) -> coflow::consumer<int, int> {
    frame_guard guard;
    int n = 0;
    while (auto v = co_yield coflow::receive) {
      ++n;
      if (*v < 0) hook();
    }
    co_return n;
  };
  using pipeline_t = decltype(coflow::open<int>(self_destroying(destroy)));
  std::optional<pipeline_t> holder;
  holder.emplace(coflow::open<int>(self_destroying(destroy)));
  destroy = [&] { holder.reset(); };
  holder->send(1);
  EXPECT_THAT(protocol_message([&] { holder->send(-1); }), HasSubstr("destroyed from inside"));
  EXPECT_FALSE(holder.has_value());
  EXPECT_EQ(live_frames, 0);
}

// status() and done() are queries, allowed from inside a stage: status() reads `running` and
// done() is false there, while send() and close() are refused as re-entrant.
TEST_F(Pipeline, StatusSeenFromInsideAStageIsRunning) {
  std::function<coflow::status()> probe;
  std::function<bool()> done_probe;
  std::optional<coflow::status> seen;
  std::optional<bool> seen_done;
  auto p = coflow::open<int>(sinks::for_each([&](int) {
    seen = probe();
    seen_done = done_probe();
  }));
  probe = [&] { return p.status(); };
  done_probe = [&] { return p.done(); };
  p.send(1);
  EXPECT_EQ(seen, coflow::status::running);
  EXPECT_EQ(seen_done, false);
  EXPECT_EQ(p.status(), coflow::status::suspended);
  p.close();
  EXPECT_EQ(p.status(), coflow::status::done);
}

}  // namespace
