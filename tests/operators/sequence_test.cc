// Tests for pipeline/sequence.hpp: ops::sequence, a runtime number of coroutine stages.
#include "operators/sequence.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/for_each.hpp"
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
using stage = coflow::coroutine<int, int>;
using stages = std::vector<stage>;

using coflow::test_support::frame_guard;
using coflow::test_support::live_frames;

class Sequence : public coflow::test_support::frame_checked_test {};

stage add(int k) {
  frame_guard guard;
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = *v + k;
}

stage times(int k) {
  frame_guard guard;
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v * k);
}

// Each value twice: x, then x + offset.
stage twice(int offset) {
  frame_guard guard;
  while (auto v = co_yield coflow::receive) {
    co_yield coflow::emit(*v);
    co_yield coflow::emit(*v + offset);
  }
}

stage evens_only() {
  frame_guard guard;
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = *v % 2 == 0 ? std::optional<int>(*v) : std::nullopt;
}

// Sums of pairs; the odd one out is flushed at end of stream.
stage pair_sums() {
  frame_guard guard;
  std::optional<int> held;
  while (auto v = co_yield coflow::receive) {
    if (held) {
      co_yield coflow::emit(*held + *v);
      held.reset();
    } else {
      held = *v;
    }
  }
  if (held) co_yield coflow::emit(*held);
}

// Outputs each value one value late; the last one at end of stream.
stage delay() {
  frame_guard guard;
  std::optional<int> held;
  while (auto v = co_yield coflow::receive) {
    if (held) co_yield coflow::emit(*held);
    held = *v;
  }
  if (held) co_yield coflow::emit(*held);
}

// Outputs `header` before its first value and `footer` at end of stream.
stage bracketed(int header, int footer) {
  frame_guard guard;
  co_yield coflow::emit(header);
  while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v);
  co_yield coflow::emit(footer);
}

// Passes on `limit` values, then finishes.
stage first_n(int limit) {
  frame_guard guard;
  for (int i = 0; i < limit; ++i) {
    auto v = co_yield coflow::receive;
    if (!v) co_return;
    co_yield coflow::emit(*v);
  }
}

stage throws_at(int bad) {
  frame_guard guard;
  std::optional<int> reply;
  while (auto v = co_yield reply) {
    if (*v == bad) throw std::runtime_error("bad value");
    reply = *v;
  }
}

template <class... Stages>
stages make(Stages... s) {
  stages out;
  (out.push_back(std::move(s)), ...);
  return out;
}

using sequence_t = ops::sequence_stage<int>;
static_assert(coflow::stage_description<sequence_t>);
static_assert(!std::is_copy_constructible_v<sequence_t>);
static_assert(std::is_move_constructible_v<sequence_t>);
static_assert(coflow::runnable<decltype(std::declval<sequence_t>() | sinks::to_vector())>);
static_assert(!coflow::runnable<sequence_t>);

TEST_F(Sequence, RunsEveryStageInOrder) {
  auto p = ops::sequence(make(add(1), times(10), add(2)));
  EXPECT_EQ(coflow::run(std::vector{1, 2}, std::move(p) | sinks::to_vector()),
            (std::vector{22, 32}));
}

TEST_F(Sequence, ManyStagesOfTheSameKind) {
  stages s;
  for (int i = 0; i < 50; ++i) s.push_back(add(1));
  EXPECT_EQ(coflow::run(std::vector{0, 7}, ops::sequence(std::move(s)) | sinks::to_vector()),
            (std::vector{50, 57}));
}

TEST_F(Sequence, WithoutStagesValuesPassThrough) {
  EXPECT_EQ(coflow::run(std::vector{4, 5}, ops::sequence(stages{}) | sinks::to_vector()),
            (std::vector{4, 5}));
}

TEST_F(Sequence, SeveralOutputsPerValueKeepTheirOrder) {
  const auto by_sequence = coflow::run(
      std::vector{1, 2}, ops::sequence(make(twice(10), twice(100), add(1))) | sinks::to_vector());
  EXPECT_EQ(by_sequence, (std::vector{2, 102, 12, 112, 3, 103, 13, 113}));
  const auto written_out =
      coflow::run(std::vector{1, 2}, twice(10) | twice(100) | add(1) | sinks::to_vector());
  EXPECT_EQ(by_sequence, written_out);
}

TEST_F(Sequence, EmptyRepliesOutputNothing) {
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3, 4},
                        ops::sequence(make(evens_only(), add(1))) | sinks::to_vector()),
            (std::vector{3, 5}));
}

TEST_F(Sequence, FlushesFlowThroughTheLaterStagesInOrder) {
  // Five values: pair_sums holds the fifth until end of stream; its flush goes through the
  // second pair_sums (which flushes in turn) and the add(1000).
  const auto out =
      coflow::run(std::vector{1, 2, 3, 4, 5},
                  ops::sequence(make(pair_sums(), pair_sums(), add(1000))) | sinks::to_vector());
  EXPECT_EQ(out, (std::vector{1010, 1005}));
  const auto written_out = coflow::run(std::vector{1, 2, 3, 4, 5},
                                       pair_sums() | pair_sums() | add(1000) | sinks::to_vector());
  EXPECT_EQ(out, written_out);
}

TEST_F(Sequence, OutputsAtStartFlowThroughTheLaterStages) {
  auto p = coflow::open<int>(ops::sequence(make(bracketed(-1, -2), bracketed(-10, -20), add(1))) |
                             sinks::to_vector());
  p.send(5);
  EXPECT_EQ(p.close(), (std::vector{-9, 0, 6, -1, -19}));
  EXPECT_EQ(coflow::run(std::vector{5},
                        bracketed(-1, -2) | bracketed(-10, -20) | add(1) | sinks::to_vector()),
            (std::vector{-9, 0, 6, -1, -19}));
}

TEST_F(Sequence, StageThatFinishesMakesTheSequenceDone) {
  int pulled = 0;
  auto source = ranges::views::iota(0) | ranges::views::transform([&](int i) {
                  ++pulled;
                  return i;
                });
  const auto out = coflow::run(
      source, ops::sequence(make(add(1), first_n(3), bracketed(100, 200))) | sinks::to_vector());
  EXPECT_EQ(out, (std::vector{100, 1, 2, 3, 200})) << "the stages after it still flush";
  EXPECT_EQ(pulled, 3);
  EXPECT_EQ(coflow::run(source, add(1) | first_n(3) | bracketed(100, 200) | sinks::to_vector()),
            out);
}

TEST_F(Sequence, StagesBeforeAFinishedStageOutputIntoNothing) {
  // delay's flush at end of stream cannot reach first_n, which has finished.
  auto p = coflow::open<int>(ops::sequence(make(delay(), first_n(1), add(1))) | sinks::to_vector());
  p.send(1);
  EXPECT_FALSE(p.done());
  p.send(2);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::vector{2}));
  EXPECT_EQ(coflow::run(std::vector{1, 2}, delay() | first_n(1) | add(1) | sinks::to_vector()),
            (std::vector{2}));
}

TEST_F(Sequence, DownstreamDoneStopsTheSource) {
  int pulled = 0;
  auto source = ranges::views::iota(0) | ranges::views::transform([&](int i) {
                  ++pulled;
                  return i;
                });
  EXPECT_EQ(coflow::run(source,
                        ops::sequence(make(add(1), twice(0))) | ops::take(3) | sinks::to_vector()),
            (std::vector{1, 1, 2}));
  EXPECT_EQ(pulled, 2) << "take(3) was full in the middle of the second value's outputs";
}

TEST_F(Sequence, DownstreamDoneFromTheStartIsNeverPushedTo) {
  std::vector<int> seen;
  auto p = coflow::open<int>(ops::sequence(make(bracketed(-1, -2))) | ops::take(0) |
                             sinks::for_each([&](int x) { seen.push_back(x); }));
  EXPECT_TRUE(p.done());
  p.close();
  EXPECT_EQ(seen, (std::vector<int>{})) << "neither the header at start nor the flush got through";
}

TEST_F(Sequence, StageThatFinishesAtStartMakesTheSequenceDoneAtOnce) {
  auto p = coflow::open<int>(ops::sequence(make(bracketed(-1, -2), first_n(0), add(1))) |
                             sinks::to_vector());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::vector<int>{}));
}

TEST_F(Sequence, ThroughAnOpenedPipeline) {
  auto p = coflow::open<int>(ops::sequence(make(add(2), times(3))) | sinks::last());
  EXPECT_EQ(live_frames, 2);
  p.send(1);
  p.send(4);
  EXPECT_EQ(p.status(), coflow::status::suspended);
  EXPECT_EQ(p.close(), std::optional<int>(18));
}

TEST_F(Sequence, ComposesWithOtherStages) {
  auto p = ops::transform([](int x) { return x * 2; }) | ops::sequence(make(add(1), add(1))) |
           ops::transform([](int x) { return -x; }) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2}, std::move(p)), (std::vector{-4, -6}));
}

TEST_F(Sequence, InputConvertsToTheStagesType) {
  EXPECT_EQ(coflow::run(std::vector<short>{1, 2}, ops::sequence(make(add(1))) | sinks::to_vector()),
            (std::vector{2, 3}));
}

TEST_F(Sequence, ExceptionInAStageReachesTheCallerAndFramesAreDestroyed) {
  EXPECT_THROW(
      (void)coflow::run(std::vector{1, 2, 3},
                        ops::sequence(make(add(1), throws_at(3), add(1))) | sinks::to_vector()),
      std::runtime_error);
  EXPECT_EQ(live_frames, 0);
}

TEST_F(Sequence, ExceptionInAnOpenedPipelineMakesItDone) {
  auto p = coflow::open<int>(ops::sequence(make(twice(1), throws_at(6))) | sinks::to_vector());
  p.send(1);
  EXPECT_THROW(p.send(5), std::runtime_error) << "the second output of 5 is 6";
  EXPECT_TRUE(p.done());
  EXPECT_THROW(p.send(1), coflow::protocol_error);
}

TEST_F(Sequence, DestroyingAnUnclosedPipelineDestroysEveryFrame) {
  {
    auto p =
        coflow::open<int>(ops::sequence(make(twice(1), pair_sums(), add(1))) | sinks::to_vector());
    EXPECT_EQ(live_frames, 3);
    p.send(1);
  }
  EXPECT_EQ(live_frames, 0);
}

TEST_F(Sequence, StartedStagesAreAccepted) {
  stage s = add(5);
  (void)s.start();
  EXPECT_EQ(coflow::run(std::vector{1}, ops::sequence(make(std::move(s))) | sinks::to_vector()),
            (std::vector{6}));
}

TEST_F(Sequence, StageStoppedAtAnEmitPointIsAProtocolError) {
  stage s = bracketed(1, 2);
  ASSERT_EQ(s.start(), std::optional<int>(1));
  ASSERT_TRUE(s.emitting());
  EXPECT_THROW(
      (void)coflow::open<int>(ops::sequence(make(add(1), std::move(s))) | sinks::to_vector()),
      coflow::protocol_error);
}

TEST_F(Sequence, MovedFromStageIsAProtocolError) {
  stage s = add(1);
  stage taken = std::move(s);
  stages list;
  list.push_back(std::move(s));  // moved-from on purpose
  try {
    (void)coflow::open<int>(ops::sequence(std::move(list)) | sinks::to_vector());
    FAIL() << "no protocol_error";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("moved-from"));
  }
}

// The stack address of a frame called from a stage body: the same for every stage when the
// sequence drives them from one loop, deeper for each stage when stages call each other.
[[gnu::noinline]] std::uintptr_t stack_depth_marker() {
  return reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
}

stage record_depth(std::vector<std::uintptr_t>* depths) {
  while (auto v = co_yield coflow::receive) {
    depths->push_back(stack_depth_marker());
    co_yield coflow::emit(*v);
  }
}

// record_depth, which also sends each value on to `inner` from inside its body.
stage record_depth_and_drive(std::vector<std::uintptr_t>* depths, stage* inner) {
  while (auto v = co_yield coflow::receive) {
    depths->push_back(stack_depth_marker());
    inner->send(*v, [](int) {});
    co_yield coflow::emit(*v);
  }
}

TEST_F(Sequence, DrivesEveryStageFromTheSameStackDepth) {
  std::vector<std::uintptr_t> depths;
  stages s;
  for (int i = 0; i < 20; ++i) s.push_back(record_depth(&depths));
  auto p = coflow::open<int>(ops::sequence(std::move(s)) | sinks::last());
  p.send(1);
  ASSERT_EQ(depths.size(), 20u);
  for (std::size_t i = 1; i < depths.size(); ++i) {
    EXPECT_EQ(depths[i], depths[0]) << "stage " << i << " ran deeper than stage 0";
  }
  EXPECT_EQ(p.close(), std::optional<int>(1));

  // The oracle can fail: a stage that drives another coroutine from inside its own body runs it
  // deeper on the stack. (A written-out chain is no oracle: once the compiler inlines the nodes'
  // calls into each other, its stages can resume from one frame too.)
  std::vector<std::uintptr_t> nested;
  stage inner = record_depth(&nested);
  inner.start();
  auto q = coflow::open<int>(record_depth_and_drive(&nested, &inner) | sinks::last());
  q.send(1);
  ASSERT_EQ(nested.size(), 2u);
  EXPECT_NE(nested[0], nested[1]);
  (void)q.close();
}

}  // namespace
