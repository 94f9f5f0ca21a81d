// Allocation test for pipeline/coroutine.hpp: one frame allocation per coroutine, none per
// value. A binary of its own, because it replaces the global operator new and delete.
//
// The replacements count every call and forward to malloc/free. Under AddressSanitizer this
// still works: the program's own operator new takes precedence over the sanitizer's, and the
// sanitizer keeps checking the memory through its malloc interceptor.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <optional>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"

namespace {

// The tests run on one thread, and nothing else allocates while a test reads the counters.
std::size_t allocations = 0;
std::size_t deallocations = 0;

void* counted_allocate(std::size_t size) {
  ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* counted_allocate_aligned(std::size_t size, std::align_val_t align) {
  ++allocations;
  const auto alignment = static_cast<std::size_t>(align);
  const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded)) return p;
  throw std::bad_alloc();
}

void counted_free(void* p) noexcept {
  if (p == nullptr) return;
  ++deallocations;
  std::free(p);
}

}  // namespace

void* operator new(std::size_t size) { return counted_allocate(size); }
void* operator new[](std::size_t size) { return counted_allocate(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_allocate(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t align) {
  return counted_allocate_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return counted_allocate_aligned(size, align);
}
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete(void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { counted_free(p); }

namespace {

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
