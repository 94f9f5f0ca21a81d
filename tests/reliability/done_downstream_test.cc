// Reliability: a node that is done from the start is never pushed to. A take(0), a tee whose
// branches take nothing, or a coroutine stage that finishes at start wants no values at all;
// a coroutine stage or ops::sequence upstream of it must drop what it outputs at start and
// what it flushes at end of stream, as batch() drops its flush, instead of letting a value
// through a take(0) or sending into a finished coroutine (a protocol_error the user never
// caused). Found by the pipeline_topology fuzzer; the inputs are in its corpus.
#include <gtest/gtest.h>

#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "operators/sequence.hpp"
#include "operators/take.hpp"
#include "operators/tee.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::frame_counter;

// Outputs 42 at start, then each value, then 99 at end of stream.
coflow::coroutine<int, int> bracketing(frame_counter& scopes) {
  auto alive = scopes.enter();
  co_yield coflow::emit(42);
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v);
  co_yield coflow::emit(99);
}

// Finishes at once: a stage that takes no values.
coflow::coroutine<int, int> finished_at_start(frame_counter& scopes) {
  auto alive = scopes.enter();
  co_return;
}

// Passes values on and outputs 7 at end of stream.
coflow::coroutine<int, int> flushing(frame_counter& scopes) {
  auto alive = scopes.enter();
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v);
  co_yield coflow::emit(7);
}

class DoneDownstream : public ::testing::Test {
 protected:
  void TearDown() override { EXPECT_TRUE(scopes.balanced()) << scopes.live() << " left running"; }
  frame_counter scopes;
};

TEST_F(DoneDownstream, TakeZeroLetsNothingThroughFromACoroutineStage) {
  const auto out =
      coflow::run(std::vector{1, 2, 3}, bracketing(scopes) | ops::take(0) | sinks::to_vector());
  EXPECT_TRUE(out.empty()) << "the stage's output at start went through take(0)";
}

TEST_F(DoneDownstream, AnOpenedPipelineEndingInTakeZeroIsDoneAndClosesEmpty) {
  auto p = coflow::open<int>(bracketing(scopes) | ops::take(0) | sinks::to_vector());
  EXPECT_TRUE(p.done());
  EXPECT_TRUE(p.close().empty()) << "the flush at end of stream went through take(0)";
}

TEST_F(DoneDownstream, AStageBeforeAFinishedStageOpensInsteadOfFailing) {
  // Before the fix, open() threw protocol_error: the first stage's output at start was sent
  // into the finished coroutine.
  auto p = coflow::open<int>(bracketing(scopes) | finished_at_start(scopes) | sinks::to_vector());
  EXPECT_TRUE(p.done());
  EXPECT_TRUE(p.close().empty());
}

TEST_F(DoneDownstream, ATeeWhoseBranchesTakeNothingGetsNoStartOutput) {
  const auto [a, b] = coflow::run(
      std::vector{1, 2}, bracketing(scopes) | sinks::tee(ops::take(0) | sinks::to_vector(),
                                                         ops::take(0) | sinks::to_vector()));
  EXPECT_TRUE(a.empty());
  EXPECT_TRUE(b.empty());
}

TEST_F(DoneDownstream, ASequenceFlushIsNotSentIntoAFinishedStage) {
  // Before the fix, close() threw protocol_error from inside the sequence's flush.
  std::vector<coflow::coroutine<int, int>> stages;
  stages.push_back(flushing(scopes));
  auto p = coflow::open<int>(ops::sequence(std::move(stages)) | finished_at_start(scopes) |
                             sinks::to_vector());
  EXPECT_TRUE(p.done());
  EXPECT_TRUE(p.close().empty());
}

TEST_F(DoneDownstream, ASequenceBeforeTakeZeroLetsNothingThrough) {
  std::vector<coflow::coroutine<int, int>> stages;
  stages.push_back(bracketing(scopes));
  stages.push_back(flushing(scopes));
  const auto out = coflow::run(
      std::vector{1, 2}, ops::sequence(std::move(stages)) | ops::take(0) | sinks::to_vector());
  EXPECT_TRUE(out.empty());
}

TEST_F(DoneDownstream, ATakeThatFillsUpStillEndsTheFlushAsBefore) {
  // The ordinary path is unchanged: take(2) takes the start output and one value; the rest,
  // the flush included, is dropped.
  const auto out =
      coflow::run(std::vector{1, 2, 3}, bracketing(scopes) | ops::take(2) | sinks::to_vector());
  EXPECT_EQ(out, (std::vector{42, 1}));
}

}  // namespace
