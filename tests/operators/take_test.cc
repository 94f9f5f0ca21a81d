// Tests for operators/take.hpp.
#include "operators/take.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <vector>

#include "operators/filter.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/run.hpp"
#include "tests/support/typed_values.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::keys;
using coflow::test_support::make_value;
using coflow::test_support::values;

static_assert(coflow::stage_description<decltype(ops::take(1))>);

// 0, 1, 2, ... counting how many were read.
auto counting_naturals(int& pulled) {
  return ranges::views::iota(0) | ranges::views::transform([&pulled](int i) {
           ++pulled;
           return i;
         });
}

template <class T>
class TakeTyped : public ::testing::Test {};
TYPED_TEST_SUITE(TakeTyped, coflow::test_support::value_types);

TYPED_TEST(TakeTyped, PassesTheFirstNValues) {
  EXPECT_EQ(keys(coflow::run(values<TypeParam>(0, 10), ops::take(4) | sinks::to_vector())),
            (std::vector{0, 1, 2, 3}));
}

TYPED_TEST(TakeTyped, IsDoneAfterTheNthValueSent) {
  auto p = coflow::open<TypeParam>(ops::take(2) | sinks::to_vector());
  p.send(make_value<TypeParam>(7));
  EXPECT_FALSE(p.done());
  p.send(make_value<TypeParam>(8));
  EXPECT_TRUE(p.done());
  EXPECT_THROW(p.send(make_value<TypeParam>(9)), coflow::protocol_error);
  EXPECT_EQ(keys(p.close()), (std::vector{7, 8}));
}

TEST(Take, TakeZeroIsDoneBeforeTheFirstValue) {
  auto p = coflow::open<int>(ops::take(0) | sinks::to_vector());
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::vector<int>{}));
}

TEST(Take, TakeZeroReadsNothingFromTheSource) {
  int pulled = 0;
  EXPECT_EQ(coflow::run(counting_naturals(pulled), ops::take(0) | sinks::to_vector()),
            (std::vector<int>{}));
  EXPECT_EQ(pulled, 0);
}

TEST(Take, InfiniteSourceIsReadExactlyNTimes) {
  int pulled = 0;
  EXPECT_EQ(coflow::run(counting_naturals(pulled), ops::take(5) | sinks::to_vector()),
            (std::vector{0, 1, 2, 3, 4}));
  EXPECT_EQ(pulled, 5);
}

TEST(Take, InfiniteRangeV3ViewTerminates) {
  EXPECT_EQ(coflow::run(ranges::views::iota(0), ops::take(3) | sinks::to_vector()),
            (std::vector{0, 1, 2}));
}

TEST(Take, ShortSourceGivesEverything) {
  EXPECT_EQ(coflow::run(std::vector{1, 2}, ops::take(5) | sinks::to_vector()), (std::vector{1, 2}));
}

TEST(Take, FedByARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), ops::take(2) | sinks::to_vector()),
            (std::vector{1, 2}));
}

TEST(Take, AfterAFilterCountsOnlyThePassedValues) {
  int pulled = 0;
  auto p = ops::filter([](int x) { return x % 3 == 0; }) | ops::take(3) | sinks::to_vector();
  EXPECT_EQ(coflow::run(counting_naturals(pulled), p), (std::vector{0, 3, 6}));
  EXPECT_EQ(pulled, 7);
}

TEST(Take, BeforeAFilterCountsEveryValue) {
  auto p = ops::take(3) | ops::filter([](int x) { return x % 2 == 0; }) | sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(0), p), (std::vector{0, 2}));
}

TEST(Take, NestedTakesTakeTheSmaller) {
  auto p =
      ops::take(5) | ops::transform([](int x) { return -x; }) | ops::take(2) | sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), (std::vector{-1, -2}));
}

TEST(Take, EachRunCountsAfresh) {
  auto p = ops::take(2) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, p), (std::vector{1, 2}));
  EXPECT_EQ(coflow::run(std::vector{4, 5, 6}, p), (std::vector{4, 5}));
}

TEST(Take, ExceptionDownstreamReachesTheCaller) {
  auto p = ops::take(3) | ops::transform([](int x) {
             if (x == 1) throw std::runtime_error("one");
             return x;
           }) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(ranges::views::iota(0), p), std::runtime_error);
}

}  // namespace
