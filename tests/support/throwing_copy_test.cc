// Tests for tests/support/throwing_copy.hpp: only the armed copy throws, and it leaks nothing.
#include "tests/support/throwing_copy.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace {

using coflow::test_support::copy_fault;
using coflow::test_support::injected_fault;
using coflow::test_support::throwing_copy;

TEST(ThrowingCopy, OnlyTheArmedCopyThrows) {
  copy_fault fault;
  throwing_copy v(7, fault);
  fault.arm(2);
  throwing_copy a = v;
  try {
    throwing_copy b = v;
    FAIL() << "the second copy should have thrown";
  } catch (const injected_fault& e) {
    EXPECT_EQ(e.copy_number(), 2);
    EXPECT_EQ(e.value(), 7);
  }
  throwing_copy c = v;  // disarmed again
  EXPECT_EQ(c.value(), 7);
  EXPECT_EQ(fault.copies(), 3);
  EXPECT_EQ(fault.throws(), 1);
  EXPECT_EQ(fault.live(), 3);  // v, a, c: the failed copy constructed nothing
}

TEST(ThrowingCopy, MovesNeverThrowNorCount) {
  copy_fault fault;
  fault.arm(1);
  throwing_copy v(1, fault);
  throwing_copy w = std::move(v);
  w = throwing_copy(2, fault);
  EXPECT_EQ(fault.copies(), 0);
  EXPECT_EQ(w.value(), 2);
  static_assert(std::is_nothrow_move_constructible_v<throwing_copy>);
  static_assert(!std::is_nothrow_copy_constructible_v<throwing_copy>);
}

TEST(ThrowingCopy, AThrowingCopyAssignmentLeavesTheTargetUnchanged) {
  copy_fault fault;
  throwing_copy target(1, fault);
  throwing_copy source(2, fault);
  fault.arm(1);
  EXPECT_THROW(target = source, injected_fault);
  EXPECT_EQ(target.value(), 1);
  target = source;
  EXPECT_EQ(target.value(), 2);
}

TEST(ThrowingCopy, AVectorThatFailsToGrowLeaksNothing) {
  copy_fault fault;
  {
    std::vector<throwing_copy> xs;
    for (int i = 0; i < 4; ++i) xs.emplace_back(i, fault);
    fault.arm(3);
    std::vector<throwing_copy> ys;
    EXPECT_THROW(ys = xs, injected_fault);
    EXPECT_TRUE(ys.empty());
    EXPECT_EQ(fault.live(), 4);
  }
  EXPECT_EQ(fault.live(), 0);
}

}  // namespace
