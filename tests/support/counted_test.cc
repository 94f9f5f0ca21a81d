// Tests for tests/support/counted.hpp: the counters follow every lifetime event of a value.
#include "tests/support/counted.hpp"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

namespace {

using coflow::test_support::counted;

TEST(Counted, CountsConstructionsCopiesMovesAndDestructions) {
  using value = counted<struct counts_events>;
  value::reset();
  {
    value a(7);
    value b = a;             // copy
    value c = std::move(a);  // move
    EXPECT_EQ(value::stats().constructions, 3);
    EXPECT_EQ(value::stats().copies, 1);
    EXPECT_EQ(value::stats().moves, 1);
    EXPECT_EQ(value::stats().live(), 3);
    EXPECT_EQ(b.value(), 7);
    EXPECT_EQ(c.value(), 7);
    EXPECT_TRUE(a.moved_from());
    EXPECT_FALSE(c.moved_from());
    b = c;             // copy assignment
    c = std::move(b);  // move assignment
    EXPECT_EQ(value::stats().copies, 2);
    EXPECT_EQ(value::stats().moves, 2);
    EXPECT_EQ(value::stats().constructions, 3);
  }
  EXPECT_EQ(value::stats().destructions, 3);
  EXPECT_EQ(value::stats().live(), 0);
  EXPECT_EQ(value::stats().bad_destructions, 0);
  EXPECT_EQ(value::stats().bad_reads, 0);
}

TEST(Counted, ReportsALeakAsALiveValue) {
  using value = counted<struct reports_leak>;
  value::reset();
  auto* leaked = new value(1);
  EXPECT_EQ(value::stats().live(), 1);
  delete leaked;
  EXPECT_EQ(value::stats().live(), 0);
}

TEST(Counted, TagsKeepSeparateCounters) {
  using first = counted<struct first_tag>;
  using second = counted<struct second_tag>;
  first::reset();
  second::reset();
  std::vector<first> xs;
  xs.emplace_back(1);
  xs.emplace_back(2);
  EXPECT_EQ(first::stats().live(), 2);
  EXPECT_EQ(second::stats().live(), 0);
  EXPECT_EQ(second::stats().constructions, 0);
}

TEST(Counted, ComparesByValue) {
  using value = counted<struct compares>;
  EXPECT_EQ(value(4), value(4));
  EXPECT_LT(value(3), value(4));
  EXPECT_NE(value(3), value(4));
}

}  // namespace
