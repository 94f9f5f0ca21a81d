// Allocation test for pipeline/coroutine.hpp: one frame allocation per coroutine, none per
// value. A binary of its own, because it replaces the global operator new and delete
// (tests/support/counting_new.hpp: they count every call and forward to malloc/free).
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"
#include "tests/support/counting_new.hpp"

namespace {

using coflow::test_support::allocations;
using coflow::test_support::deallocations;

constexpr int kSends = 1'000'000;

coflow::coroutine<double, double> averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

coflow::consumer<long, long> summer() {
  long total = 0;
  while (auto v = co_yield coflow::receive) total += *v;
  co_return total;
}

coflow::coroutine<int, int> emit_twice() {
  while (auto v = co_yield coflow::receive) {
    co_yield coflow::emit(*v);
    co_yield coflow::emit(-*v);
  }
}

TEST(CoroutineAllocation, TheReplacedOperatorNewIsTheOneInUse) {
  const std::size_t before = allocations;
  const std::size_t freed_before = deallocations;
  void* block = ::operator new(16);  // a direct call, which no optimizer may elide
  EXPECT_EQ(allocations - before, 1u);
  ::operator delete(block);
  EXPECT_EQ(deallocations - freed_before, 1u);
}

TEST(CoroutineAllocation, AveragerAllocatesOnlyItsFrameAcrossAMillionSends) {
  const std::size_t before = allocations;
  const std::size_t freed_before = deallocations;
  {
    auto avg = averager();
    EXPECT_EQ(allocations - before, 1u) << "the frame is the one allocation";
    ASSERT_EQ(avg.start(), std::nullopt);
    const std::size_t after_start = allocations;
    std::optional<double> last;
    for (int i = 1; i <= kSends; ++i) last = avg.send(static_cast<double>(i));
    EXPECT_EQ(allocations, after_start) << "sends must not allocate";
    ASSERT_TRUE(last.has_value());
    EXPECT_DOUBLE_EQ(*last, (kSends + 1) / 2.0);
    avg.close();
    EXPECT_EQ(allocations, after_start) << "close must not allocate";
  }
  EXPECT_EQ(allocations - before, 1u);
  EXPECT_EQ(deallocations - freed_before, 1u) << "the frame is freed with the coroutine";
}

TEST(CoroutineAllocation, ConsumerWithAResultAllocatesOnlyItsFrame) {
  const std::size_t before = allocations;
  auto sum = summer();
  sum.start();
  for (long i = 1; i <= kSends; ++i) sum.send(i);
  EXPECT_EQ(sum.close(), static_cast<long>(kSends) * (kSends + 1) / 2);
  EXPECT_EQ(allocations - before, 1u);
}

TEST(CoroutineAllocation, EmittingThroughACallbackAllocatesOnlyTheFrame) {
  const std::size_t before = allocations;
  auto twice = emit_twice();
  twice.start();
  long total = 0;
  long outputs = 0;
  auto out = [&](int v) {
    total += v;
    ++outputs;
  };
  for (int i = 1; i <= kSends; ++i) twice.send(i, out);
  twice.close(out);
  EXPECT_EQ(outputs, 2L * kSends);
  EXPECT_EQ(total, 0);
  EXPECT_EQ(allocations - before, 1u);
}

}  // namespace
