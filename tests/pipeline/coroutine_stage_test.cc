// Tests for pipeline/coroutine_stage.hpp: a coflow::coroutine as a pipeline stage or sink.
#include "pipeline/coroutine_stage.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/run.hpp"
#include "tests/support/frame_guard.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

// Live coroutine frames: every body below holds one frame_guard as a local.
using coflow::test_support::frame_guard;
using coflow::test_support::live_frames;

class CoroutineStage : public coflow::test_support::frame_checked_test {};

// Python's averager, as it stands: the first reply is None (an empty optional).
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

// Answers only the even values: an empty reply for the odd ones.
coflow::coroutine<int, int> evens_only() {
  frame_guard guard;
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = *v % 2 == 0 ? std::optional<int>(*v) : std::nullopt;
}

// One line in, each of its words out.
coflow::coroutine<std::string, std::string> words() {
  frame_guard guard;
  while (auto line = co_yield coflow::receive) {
    std::size_t pos = 0;
    while (pos < line->size()) {
      const std::size_t start = line->find_first_not_of(' ', pos);
      if (start == std::string::npos) break;
      std::size_t end = line->find(' ', start);
      if (end == std::string::npos) end = line->size();
      co_yield coflow::emit(line->substr(start, end - start));
      pos = end;
    }
  }
}

// Full batches of n as they fill; the partial batch at end of stream.
coflow::coroutine<int, std::vector<int>> batches(std::size_t n) {
  frame_guard guard;
  std::vector<int> batch;
  while (auto v = co_yield coflow::receive) {
    batch.push_back(*v);
    if (batch.size() == n) co_yield coflow::emit(std::exchange(batch, {}));
  }
  if (!batch.empty()) co_yield coflow::emit(std::move(batch));
}

coflow::consumer<int, int> summer() {
  frame_guard guard;
  int total = 0;
  while (auto v = co_yield coflow::receive) total += *v;
  co_return total;
}

// Replies with the running count and returns the final one: it can end a pipeline too.
coflow::coroutine<int, int, int> counter() {
  frame_guard guard;
  int n = 0;
  std::optional<int> reply;
  while (co_yield reply) reply = ++n;
  co_return n;
}

// Passes values on and finishes by itself after `limit` of them.
coflow::coroutine<int, int> first_n(int limit) {
  frame_guard guard;
  for (int i = 0; i < limit; ++i) {
    auto v = co_yield coflow::receive;
    if (!v) co_return;
    co_yield coflow::emit(*v);
  }
}

coflow::coroutine<int, int> throws_at(int bad) {
  frame_guard guard;
  std::optional<int> reply;
  while (auto v = co_yield reply) {
    if (*v == bad) throw std::runtime_error("bad value");
    reply = *v;
  }
}

// Outputs a header before it waits for the first value.
coflow::coroutine<int, int> with_header(int header) {
  frame_guard guard;
  co_yield coflow::emit(header);
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v);
}

TEST_F(CoroutineStage, PythonStyleAveragerDropsIntoAPipelineUnchanged) {
  const auto mean = coflow::run(std::vector{10.0, 20.0, 60.0}, averager() | sinks::last());
  ASSERT_TRUE(mean.has_value());
  EXPECT_DOUBLE_EQ(*mean, 30.0);
}

TEST_F(CoroutineStage, AveragerOfAnEmptyStreamHasNoResult) {
  EXPECT_EQ(coflow::run(std::vector<double>{}, averager() | sinks::last()), std::nullopt);
}

TEST_F(CoroutineStage, EachReplyIsAnOutputAndTheEmptyFirstReplyIsNone) {
  EXPECT_EQ(coflow::run(std::vector{10.0, 20.0}, averager() | sinks::to_vector()),
            (std::vector{10.0, 15.0}));
}

TEST_F(CoroutineStage, EmptyReplyOutputsNothing) {
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3, 4, 6, 7}, evens_only() | sinks::to_vector()),
            (std::vector{2, 4, 6}));
}

TEST_F(CoroutineStage, EmitOutputsSeveralValuesPerInput) {
  const std::vector<std::string> lines{"the quick  fox", "", " jumps over"};
  EXPECT_EQ(coflow::run(lines, words() | sinks::to_vector()),
            (std::vector<std::string>{"the", "quick", "fox", "jumps", "over"}));
}

TEST_F(CoroutineStage, EmitAtEndOfStreamFlushesAPartialBatch) {
  const auto out = coflow::run(std::vector{1, 2, 3, 4, 5, 6, 7}, batches(3) | sinks::to_vector());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{1, 2, 3}, {4, 5, 6}, {7}}));
}

TEST_F(CoroutineStage, NoPartialBatchWhenTheStreamEndsOnABoundary) {
  const auto out = coflow::run(std::vector{1, 2, 3, 4}, batches(2) | sinks::to_vector());
  EXPECT_EQ(out, (std::vector<std::vector<int>>{{1, 2}, {3, 4}}));
}

TEST_F(CoroutineStage, OutputBeforeTheFirstReceiveGoesDownstreamAtBind) {
  auto p = coflow::open<int>(with_header(-1) | sinks::to_vector());
  p.send(5);
  EXPECT_EQ(p.close(), (std::vector{-1, 5}));
}

TEST_F(CoroutineStage, ConsumerAsSinkReturnsItsResultFromRun) {
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, summer()), 6);
  EXPECT_EQ(
      coflow::run(std::vector{1, 2, 3, 4}, ops::transform([](int x) { return x * 10; }) | summer()),
      100);
}

TEST_F(CoroutineStage, ConsumerAsSinkReturnsItsResultFromClose) {
  auto p = coflow::open(summer());
  p.send(4);
  p.send(5);
  EXPECT_EQ(p.close(), 9);
}

TEST_F(CoroutineStage, CoroutineWithResultEndsAPipelineAndItsRepliesAreDropped) {
  EXPECT_EQ(coflow::run(std::vector{7, 8, 9}, counter()), 3);
}

TEST_F(CoroutineStage, CoroutineStagesChain) {
  auto p = evens_only() | ops::transform([](int x) { return x + 1; }) | evens_only() |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3, 4}, std::move(p)), (std::vector<int>{}));
  auto q =
      evens_only() | ops::transform([](int x) { return x * 3; }) | batches(2) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{2, 3, 4, 6}, std::move(q)),
            (std::vector<std::vector<int>>{{6, 12}, {18}}));
}

TEST_F(CoroutineStage, StageThatFinishesMakesThePipelineDone) {
  int pulled = 0;
  std::vector<int> source{1, 2, 3, 4, 5};
  auto counted = source | ranges::views::transform([&](int x) {
                   ++pulled;
                   return x;
                 });
  EXPECT_EQ(coflow::run(counted, first_n(2) | sinks::to_vector()), (std::vector{1, 2}));
  // The stage finishes right after it emits its second value, so no third value is read.
  EXPECT_EQ(pulled, 2);
}

TEST_F(CoroutineStage, ThrowingCoroutineReachesTheCallerAndFramesAreDestroyed) {
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3},
                                 averager() | throws_at(2) | evens_only() | sinks::to_vector()),
               std::runtime_error);
  EXPECT_EQ(live_frames, 0);
}

TEST_F(CoroutineStage, FramesLiveAsLongAsTheOpenedPipeline) {
  {
    auto p = coflow::open<int>(evens_only() | batches(2) | sinks::to_vector());
    EXPECT_EQ(live_frames, 2);
    p.send(2);
  }
  EXPECT_EQ(live_frames, 0) << "destroying an unclosed pipeline destroys its frames";
}

TEST_F(CoroutineStage, StageMayBeStartedAlready) {
  auto c = evens_only();
  (void)c.start();
  EXPECT_EQ(coflow::run(std::vector{1, 2}, std::move(c) | sinks::to_vector()), (std::vector{2}));
}

TEST_F(CoroutineStage, FinishedStageTakesNoValues) {
  auto c = first_n(0);
  (void)c.start();
  ASSERT_TRUE(c.done());
  auto p = coflow::open<int>(std::move(c) | sinks::to_vector());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::vector<int>{}));
}

TEST_F(CoroutineStage, StageStoppedAtAnEmitPointIsAProtocolError) {
  auto c = with_header(1);
  EXPECT_EQ(c.start(), 1);
  ASSERT_TRUE(c.emitting());
  EXPECT_THROW((void)coflow::open<int>(std::move(c) | sinks::to_vector()), coflow::protocol_error);
}

TEST_F(CoroutineStage, UpstreamValuesConvertToTheCoroutinesInput) {
  const auto mean = coflow::run(std::vector{1, 2}, averager() | sinks::last());  // int -> double
  ASSERT_TRUE(mean.has_value());
  EXPECT_DOUBLE_EQ(*mean, 1.5);
}

TEST_F(CoroutineStage, MoveOnlyOutputs) {
  auto boxes = []() -> coflow::coroutine<int, std::unique_ptr<int>> {
    frame_guard guard;
    while (auto v = co_yield coflow::receive) co_yield coflow::emit(std::make_unique<int>(*v));
  };
  const auto out = coflow::run(std::vector{3, 4}, boxes() | sinks::to_vector());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(*out[0], 3);
  EXPECT_EQ(*out[1], 4);
}

}  // namespace
