// Reliability: a stage that throws mid-stream, at start, or while flushing. The exception must
// reach the producer (the caller of send/close/run/open), the pipeline is then done (as
// pipeline/pipeline.hpp documents), no value is lost or destroyed twice, and every coroutine
// frame is destroyed exactly once when the pipeline is.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/run.hpp"
#include "pipeline/status.hpp"
#include "tests/reliability/fault_stages.hpp"
#include "tests/support/counted.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::reliability::fans_out;
using coflow::reliability::never;
using coflow::reliability::recorder;
using coflow::reliability::relay;
using coflow::reliability::stage_error;
using coflow::reliability::throws_at_start;
using coflow::test_support::frame_counter;
using ::testing::HasSubstr;

using value = coflow::test_support::counted<struct stage_failure_values>;

class StageFailure : public ::testing::Test {
 protected:
  void SetUp() override { value::reset(); }
  void TearDown() override {
    EXPECT_TRUE(frames.balanced())
        << frames.live() << " frame(s) leaked, " << frames.double_exits() << " destroyed twice";
    EXPECT_TRUE(scopes.balanced()) << scopes.live() << " body scope(s) never ended";
    EXPECT_EQ(value::stats().live(), 0) << "a value leaked";
    EXPECT_EQ(value::stats().bad_destructions, 0) << "a value was destroyed twice";
    EXPECT_EQ(value::stats().bad_reads, 0) << "a destroyed value was read";
  }

  frame_counter frames;  // one token per coroutine frame
  frame_counter scopes;  // one token per running body
  std::vector<int> seen;
};

template <class Call>
std::string protocol_message(Call&& call) {
  try {
    call();
  } catch (const coflow::protocol_error& e) {
    return e.what();
  }
  return "no protocol_error";
}

TEST_F(StageFailure, AMiddleStageThrowingReachesTheProducerAndEndsThePipeline) {
  {
    auto p = coflow::open<value>(relay<value>(scopes, frames.enter()) |
                                 relay<value>(scopes, frames.enter(), /*throw_at=*/3) |
                                 relay<value>(scopes, frames.enter()) |
                                 recorder<value>(scopes, frames.enter(), seen));
    EXPECT_EQ(frames.live(), 4);
    EXPECT_EQ(scopes.live(), 4);
    p.send(value(1));
    p.send(value(2));
    try {
      p.send(value(3));
      FAIL() << "the stage's exception did not reach the producer";
    } catch (const stage_error& e) {
      EXPECT_EQ(e.value(), 3);
    }
    // The failed stage's body has ended; the others wait where they were, and the pipeline
    // takes nothing more.
    EXPECT_EQ(scopes.live(), 3);
    EXPECT_EQ(frames.live(), 4) << "frames live until the pipeline is destroyed";
    EXPECT_TRUE(p.done());
    EXPECT_EQ(p.status(), coflow::status::done);
    EXPECT_THAT(protocol_message([&] { p.send(value(4)); }), HasSubstr("send() after"));
    EXPECT_THAT(protocol_message([&] { (void)p.close(); }), HasSubstr("close() after"));
    EXPECT_EQ(seen, (std::vector{1, 2}));
  }
  EXPECT_EQ(frames.exited(), frames.entered());
}

TEST_F(StageFailure, TheFirstStageThrowingLeavesTheDownstreamUntouched) {
  {
    auto p = coflow::open<value>(relay<value>(scopes, frames.enter(), /*throw_at=*/1) |
                                 recorder<value>(scopes, frames.enter(), seen));
    EXPECT_THROW(p.send(value(1)), stage_error);
    EXPECT_TRUE(p.done());
  }
  EXPECT_TRUE(seen.empty());
}

TEST_F(StageFailure, TheSinkThrowingUnwindsThroughTheCoroutineStagesAboveIt) {
  {
    auto p = coflow::open<value>(relay<value>(scopes, frames.enter()) |
                                 fans_out<value>(scopes, frames.enter(), 2) |
                                 recorder<value>(scopes, frames.enter(), seen, /*throw_at=*/2));
    p.send(value(1));
    // The sink throws on the first copy of 2, while fans_out is stopped at its emit point and
    // relay is inside its own send.
    EXPECT_THROW(p.send(value(2)), stage_error);
    EXPECT_TRUE(p.done());
    EXPECT_EQ(scopes.live(), 2) << "only the sink's body ended";
  }
  EXPECT_EQ(seen, (std::vector{1, 1}));
}

TEST_F(StageFailure, AStageThrowingBetweenTwoEmitsKeepsWhatWentOutBefore) {
  {
    auto p = coflow::open<value>(fans_out<value>(scopes, frames.enter(), 3, /*throw_at=*/5) |
                                 recorder<value>(scopes, frames.enter(), seen));
    p.send(value(4));
    EXPECT_THROW(p.send(value(5)), stage_error);  // after the first copy of 5 went out
    EXPECT_TRUE(p.done());
  }
  EXPECT_EQ(seen, (std::vector{4, 4, 4, 5}));
}

TEST_F(StageFailure, AFusedCallableThrowingBetweenCoroutineStagesEndsThePipeline) {
  auto picky = [](const value& v) {
    if (v.value() == 7) throw std::domain_error("predicate refused 7");
    return v.value() % 2 == 1;
  };
  {
    auto p = coflow::open<value>(relay<value>(scopes, frames.enter()) | ops::filter(picky) |
                                 ops::transform([](value v) { return value(v.value() * 10); }) |
                                 relay<value>(scopes, frames.enter()) |
                                 recorder<value>(scopes, frames.enter(), seen));
    for (int i = 1; i < 7; ++i) p.send(value(i));
    EXPECT_THROW(p.send(value(7)), std::domain_error);
    EXPECT_TRUE(p.done());
    EXPECT_EQ(scopes.live(), 3) << "a fused callable has no frame; every body still waits";
  }
  EXPECT_EQ(seen, (std::vector{10, 30, 50}));
}

TEST_F(StageFailure, AStageThrowingBeforeItsFirstSuspensionFailsOpen) {
  // Stages are bound from the sink backwards, so the recorder and the last relay were started
  // (and hold frames) when the failing stage ran; they must be destroyed on the way out.
  auto chain = relay<value>(scopes, frames.enter()) |
               throws_at_start<value>(scopes, frames.enter()) |
               relay<value>(scopes, frames.enter()) | recorder<value>(scopes, frames.enter(), seen);
  EXPECT_EQ(frames.live(), 4);
  EXPECT_THROW((void)coflow::open<value>(std::move(chain)), stage_error);
  EXPECT_EQ(scopes.live(), 0) << "every body that had started was unwound";
  EXPECT_EQ(frames.live(), 0) << "every frame, started or not, was destroyed on the way out";
}

TEST_F(StageFailure, AStageThrowingWhileFlushingReachesTheCallerOfClose) {
  {
    auto p = coflow::open<value>(
        relay<value>(scopes, frames.enter(), never, /*flush=*/99, /*throw_at_close=*/true) |
        relay<value>(scopes, frames.enter()) | recorder<value>(scopes, frames.enter(), seen));
    p.send(value(1));
    EXPECT_THROW((void)p.close(), stage_error);
    EXPECT_TRUE(p.done());
    EXPECT_THAT(protocol_message([&] { (void)p.close(); }), HasSubstr("close() after"));
    // The flush went down before the failure; end of stream never reached the later stages.
    EXPECT_EQ(scopes.live(), 2);
  }
  EXPECT_EQ(seen, (std::vector{1, 99}));
}

TEST_F(StageFailure, ASinkThrowingOnAFlushedValueReachesTheCallerOfClose) {
  {
    auto p = coflow::open<value>(relay<value>(scopes, frames.enter(), never, /*flush=*/42) |
                                 recorder<value>(scopes, frames.enter(), seen, /*throw_at=*/42));
    p.send(value(1));
    EXPECT_THROW((void)p.close(), stage_error);
    EXPECT_TRUE(p.done());
  }
  EXPECT_EQ(seen, (std::vector{1}));
}

TEST_F(StageFailure, RunPropagatesTheExceptionAndDestroysEveryFrame) {
  std::vector<value> source;
  for (int i = 0; i < 10; ++i) source.emplace_back(i);
  EXPECT_THROW((void)coflow::run(source, relay<value>(scopes, frames.enter()) |
                                             fans_out<value>(scopes, frames.enter(), 2, 6) |
                                             sinks::to_vector()),
               stage_error);
  EXPECT_EQ(frames.live(), 0) << "run() binds a fresh node on its stack; unwinding frees it";
  EXPECT_EQ(value::stats().live(), 10) << "only the source's values are left";
}

TEST_F(StageFailure, ForEachSinkThrowingReachesTheProducerThroughAFusedChain) {
  std::vector<int> got;
  auto fragile = [&got](value v) {
    if (v.value() == 3) throw std::out_of_range("sink refused 3");
    got.push_back(v.value());
  };
  {
    auto p = coflow::open<value>(ops::transform([](value v) { return value(v.value() + 1); }) |
                                 relay<value>(scopes, frames.enter()) | sinks::for_each(fragile));
    p.send(value(0));
    p.send(value(1));
    EXPECT_THROW(p.send(value(2)), std::out_of_range);
    EXPECT_TRUE(p.done());
  }
  EXPECT_EQ(got, (std::vector{1, 2}));
}

TEST_F(StageFailure, EveryPositionOfTheFailureDestroysEveryFrameOnce) {
  // A chain of five relays and a recorder; the failure moves through each position in turn.
  for (int position = 0; position < 6; ++position) {
    frame_counter f;
    frame_counter s;
    std::vector<int> got;
    {
      auto at = [&](int i) { return i == position ? 3 : never; };
      auto p = coflow::open<value>(
          relay<value>(s, f.enter(), at(0)) | relay<value>(s, f.enter(), at(1)) |
          relay<value>(s, f.enter(), at(2)) | relay<value>(s, f.enter(), at(3)) |
          relay<value>(s, f.enter(), at(4)) | recorder<value>(s, f.enter(), got, at(5)));
      p.send(value(1));
      p.send(value(2));
      EXPECT_THROW(p.send(value(3)), stage_error) << "position " << position;
      EXPECT_EQ(s.live(), 5) << "position " << position;
      EXPECT_TRUE(p.done());
    }
    EXPECT_TRUE(f.balanced()) << "position " << position;
    EXPECT_TRUE(s.balanced()) << "position " << position;
    EXPECT_EQ(f.entered(), f.exited());
    EXPECT_EQ(got, (std::vector{1, 2})) << "position " << position;
  }
}

}  // namespace
