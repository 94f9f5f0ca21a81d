// Reliability: there is no runtime nesting limit to enforce. A `|` chain's depth is fixed at
// compile time, and ops::sequence, the runtime-length chain, carries each value through its
// stages with a loop (pipeline/sequence.hpp), so its C++ stack depth does not grow with the
// number of stages. These tests run 100,000 coroutine stages on a thread whose whole stack is
// 2 MiB, in every build (at -O0, and under AddressSanitizer where frames are larger and
// symmetric transfer is no tail call): values, flushes at end of stream, a failure in the last
// stage, and an early finish in the middle. A recursion per stage would need far more than
// 2 MiB here (at least ~20 bytes a stage even in an optimized build, and several hundred at
// -O0 or under AddressSanitizer), so an overflow would be a crash, not a slow pass.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

#include "operators/sequence.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/ranges/generator.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"
#include "tests/support/frame_counter.hpp"
#include "tests/support/small_stack.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::current_stack_size;
using coflow::test_support::frame_counter;
using coflow::test_support::run_with_stack;

constexpr int depth = 100'000;
constexpr std::size_t two_mib = std::size_t{2} << 20;

// Adds 1 to each value. At end of stream it emits `flush` if it is not negative. It throws at
// `throw_at`, and finishes after `finish_after` values (if not negative).
coflow::coroutine<std::int64_t, std::int64_t> add_one(frame_counter& frames, frame_counter::token,
                                                      std::int64_t flush = -1,
                                                      std::int64_t throw_at = -1,
                                                      int finish_after = -1) {
  auto alive = frames.enter();
  int taken = 0;
  while (auto v = co_yield coflow::receive) {
    if (*v == throw_at) throw std::runtime_error("deep stage failed");
    co_yield coflow::emit(*v + 1);
    if (++taken == finish_after) co_return;
  }
  if (flush >= 0) co_yield coflow::emit(flush);
}

// 0, 1, ..., n - 1, counting in `pulled` the values asked for.
coflow::generator<std::int64_t> naturals(std::int64_t n, std::int64_t& pulled) {
  for (std::int64_t i = 0; i < n; ++i) {
    ++pulled;
    co_yield i;
  }
}

std::vector<coflow::coroutine<std::int64_t, std::int64_t>> plain_stages(frame_counter& scopes,
                                                                        frame_counter& frames) {
  std::vector<coflow::coroutine<std::int64_t, std::int64_t>> stages;
  stages.reserve(depth);
  for (int i = 0; i < depth; ++i) stages.push_back(add_one(scopes, frames.enter()));
  return stages;
}

TEST(SequenceDepth, TheTestThreadHasATwoMebibyteStack) {
  const std::size_t size = run_with_stack(two_mib, [] { return current_stack_size(); });
  EXPECT_GE(size, two_mib);
  EXPECT_LT(size, two_mib + (std::size_t{64} << 10));
}

TEST(SequenceDepth, AHundredThousandStagesRunOnATwoMebibyteStack) {
  frame_counter scopes;
  frame_counter frames;
  std::int64_t pulled = 0;
  const auto out = run_with_stack(two_mib, [&] {
    auto stages = plain_stages(scopes, frames);
    return coflow::run(naturals(50, pulled), ops::sequence(std::move(stages)) | sinks::to_vector());
  });
  ASSERT_EQ(out.size(), 50u);
  EXPECT_EQ(pulled, 50);
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i], static_cast<std::int64_t>(i) + depth);
  }
  EXPECT_EQ(scopes.peak(), depth);
  EXPECT_TRUE(scopes.balanced());
  EXPECT_TRUE(frames.balanced());
}

TEST(SequenceDepth, FlushesAtEndOfStreamTravelTheRestOfTheChain) {
  // Every 10,000th stage flushes its own index; the flush of stage i passes the stages after
  // it, each adding 1, so it arrives as depth.
  frame_counter scopes;
  frame_counter frames;
  const auto out = run_with_stack(two_mib, [&] {
    std::vector<coflow::coroutine<std::int64_t, std::int64_t>> stages;
    stages.reserve(depth);
    for (int i = 0; i < depth; ++i) {
      const std::int64_t flush = i % 10'000 == 0 ? i : -1;
      stages.push_back(add_one(scopes, frames.enter(), flush));
    }
    auto p = coflow::open<std::int64_t>(ops::sequence(std::move(stages)) | sinks::to_vector());
    p.send(5);
    return p.close();
  });
  ASSERT_EQ(out.size(), 11u);
  EXPECT_EQ(out[0], 5 + depth);
  for (std::size_t i = 1; i < out.size(); ++i) {
    // Stage i * 10,000 flushed i * 10,000, plus 1 for each of the depth - i * 10,000 - 1
    // stages after it.
    EXPECT_EQ(out[i], depth - 1) << "flush " << i;
  }
  EXPECT_TRUE(scopes.balanced());
  EXPECT_TRUE(frames.balanced());
}

TEST(SequenceDepth, AFailureInTheLastStageReachesTheCallerAndFreesEveryFrame) {
  frame_counter scopes;
  frame_counter frames;
  run_with_stack(two_mib, [&] {
    auto stages = plain_stages(scopes, frames);
    // The last stage sees 0 + (depth - 1) for the first value.
    stages.back() = add_one(scopes, frames.enter(), -1, /*throw_at=*/depth - 1 + 2);
    auto p = coflow::open<std::int64_t>(ops::sequence(std::move(stages)) | sinks::to_vector());
    p.send(0);
    p.send(1);
    EXPECT_THROW(p.send(2), std::runtime_error);
    EXPECT_TRUE(p.done());
    EXPECT_EQ(scopes.live(), depth - 1) << "only the failed stage's body ended";
  });
  EXPECT_TRUE(scopes.balanced());
  EXPECT_TRUE(frames.balanced());
  EXPECT_EQ(scopes.entered(), depth) << "the replaced last stage never started";
}

TEST(SequenceDepth, AStageFinishingInTheMiddleStopsTheSource) {
  frame_counter scopes;
  frame_counter frames;
  std::int64_t pulled = 0;
  const auto out = run_with_stack(two_mib, [&] {
    auto stages = plain_stages(scopes, frames);
    stages[depth / 2] = add_one(scopes, frames.enter(), -1, -1, /*finish_after=*/3);
    return coflow::run(naturals(1'000, pulled),
                       ops::sequence(std::move(stages)) | sinks::to_vector());
  });
  EXPECT_EQ(out, (std::vector<std::int64_t>{depth, depth + 1, depth + 2}));
  EXPECT_EQ(pulled, 3) << "run() stops pulling once the sequence is done";
  EXPECT_TRUE(scopes.balanced());
  EXPECT_TRUE(frames.balanced());
}

}  // namespace
