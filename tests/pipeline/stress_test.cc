// Stress tests: deep runtime-length chains, long streams, allocation per value, small stacks.
//
// Sizes, the same in every build (an AddressSanitizer build at -O1 runs these faster than the
// default -O0 build does):
// - deep chain: 1,000 coroutine stages (ops::sequence), each adding 1, fed 100,000 values on
//   the main thread; the same 1,000 stages fed 10,000 values on a thread with a 2 MiB stack,
//   and 10,000 stages fed 100 values there. The stack depth does not depend on the number of
//   values, so the small-stack runs use fewer of them.
// - allocation: 10,000,000 values through filter -> coroutine aggregate -> sink, with the live
//   allocation count and the number of allocations checked after a warm-up of 1,000 values.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <utility>
#include <vector>

#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/sequence.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/support/counting_new.hpp"
#include "tests/support/small_stack.hpp"

namespace {

// Every allocation of this binary is counted (counting_new).
std::int64_t live_allocations() {
  return static_cast<std::int64_t>(coflow::test_support::allocations.load() -
                                   coflow::test_support::deallocations.load());
}
std::int64_t total_allocations() {
  return static_cast<std::int64_t>(coflow::test_support::allocations.load());
}

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

constexpr int deep_stages = 1'000;
constexpr std::int64_t deep_values = 100'000;
constexpr std::int64_t small_stack_values = deep_values / 10;
constexpr std::int64_t long_stream = 10'000'000;
constexpr std::size_t small_stack_bytes = std::size_t{2} << 20;  // 2 MiB

coflow::coroutine<std::int64_t, std::int64_t> add_one() {
  std::optional<std::int64_t> reply;
  while (auto v = co_yield reply) reply = *v + 1;
}

// The deep chain: `stages` coroutines, each adding 1, over 0 .. values-1. Returns the number
// of outputs that are not input + stages (0 when correct) and the number of outputs.
struct deep_result {
  std::int64_t wrong = 0;
  std::int64_t outputs = 0;
  std::int64_t total = 0;
};

deep_result run_deep_chain(int stages, std::int64_t values) {
  std::vector<coflow::coroutine<std::int64_t, std::int64_t>> chain;
  chain.reserve(static_cast<std::size_t>(stages));
  for (int i = 0; i < stages; ++i) chain.push_back(add_one());
  deep_result r;
  std::int64_t expected = stages;
  coflow::run(ranges::views::iota(0, static_cast<int>(values)),
              ops::sequence(std::move(chain)) | sinks::for_each([&](std::int64_t x) {
                if (x != expected) ++r.wrong;
                ++expected;
                ++r.outputs;
                r.total += x;
              }));
  return r;
}

std::int64_t expected_total(int stages, std::int64_t values) {
  return values * (values - 1) / 2 + values * stages;
}

TEST(Stress, ThousandCoroutineStagesCarryEveryValue) {
  const deep_result r = run_deep_chain(deep_stages, deep_values);
  EXPECT_EQ(r.outputs, deep_values);
  EXPECT_EQ(r.wrong, 0);
  EXPECT_EQ(r.total, expected_total(deep_stages, deep_values));
}

TEST(Stress, ThousandCoroutineStagesRunOnATwoMebibyteStack) {
  const auto [stack, r] = coflow::test_support::run_with_stack(small_stack_bytes, [] {
    return std::pair(coflow::test_support::current_stack_size(),
                     run_deep_chain(deep_stages, small_stack_values));
  });
  EXPECT_LE(stack, small_stack_bytes) << "the chain really ran on the small stack";
  EXPECT_EQ(r.outputs, small_stack_values);
  EXPECT_EQ(r.wrong, 0);
  EXPECT_EQ(r.total, expected_total(deep_stages, small_stack_values));
}

TEST(Stress, TenThousandStagesRunOnATwoMebibyteStack) {
  // Ten times deeper, few values: the stack depth does not grow with the number of stages.
  const deep_result r = coflow::test_support::run_with_stack(
      small_stack_bytes, [] { return run_deep_chain(10 * deep_stages, 100); });
  EXPECT_EQ(r.outputs, 100);
  EXPECT_EQ(r.wrong, 0);
}

// A coroutine aggregate: the mean of each window of 64 values, as an integer.
coflow::coroutine<std::int64_t, std::int64_t> window_mean() {
  std::int64_t total = 0;
  std::int64_t n = 0;
  while (auto v = co_yield coflow::receive) {
    total += *v;
    if (++n == 64) {
      co_yield coflow::emit(total / 64);
      total = 0;
      n = 0;
    }
  }
  if (n > 0) co_yield coflow::emit(total / n);
}

const auto multiple_of_three = [](std::int64_t x) { return x % 3 == 0; };

TEST(Stress, NoAllocationPerValueInAnOpenedPipeline) {
  auto p =
      coflow::open<std::int64_t>(ops::filter(multiple_of_three) | window_mean() | sinks::last());
  constexpr std::int64_t warm_up = 1'000;
  std::int64_t x = 0;
  for (; x < warm_up; ++x) p.send(x);
  const std::int64_t live = live_allocations();
  const std::int64_t total = total_allocations();
  for (; x < long_stream; ++x) p.send(x);
  EXPECT_EQ(live_allocations(), live) << "memory grew with the number of values";
  EXPECT_EQ(total_allocations(), total) << "something allocated per value";
  // The last full window of multiples of three below long_stream.
  const std::optional<std::int64_t> last = p.close();
  ASSERT_TRUE(last.has_value());
  EXPECT_GT(*last, long_stream - 3 * 64 * 2);
  EXPECT_LT(*last, long_stream);
}

TEST(Stress, RunAllocatesTheSameForTenValuesAndForMillions) {
  auto allocations_for = [](std::int64_t n) {
    const std::int64_t before = total_allocations();
    const auto last = coflow::run(ranges::views::iota(0, static_cast<int>(n)),
                                  ops::filter(multiple_of_three) | window_mean() | sinks::last());
    EXPECT_TRUE(last.has_value());
    return total_allocations() - before;
  };
  const std::int64_t small = allocations_for(10);
  const std::int64_t large = allocations_for(long_stream);
  EXPECT_EQ(large, small);
  EXPECT_LE(small, 1) << "at most the coroutine's frame";
}

TEST(Stress, AllocationCounterSeesAllocations) {
  // The oracle above can fail: a pipeline that allocates per value is seen.
  const std::int64_t before = total_allocations();
  const auto out = coflow::run(ranges::views::iota(0, 1000), sinks::to_vector());
  EXPECT_EQ(out.size(), 1000u);
  EXPECT_GT(total_allocations() - before, 5);
}

}  // namespace
