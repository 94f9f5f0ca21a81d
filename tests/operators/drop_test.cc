// Tests for operators/drop.hpp.
#include "operators/drop.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/support/typed_values.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::keys;
using coflow::test_support::make_value;
using coflow::test_support::values;

static_assert(coflow::stage_description<decltype(ops::drop(1))>);

template <class T>
class DropTyped : public ::testing::Test {};
TYPED_TEST_SUITE(DropTyped, coflow::test_support::value_types);

TYPED_TEST(DropTyped, DropsTheFirstNValues) {
  EXPECT_EQ(keys(coflow::run(values<TypeParam>(0, 6), ops::drop(4) | sinks::to_vector())),
            (std::vector{4, 5}));
}

TYPED_TEST(DropTyped, ThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(ops::drop(1) | sinks::to_vector());
  p.send(make_value<TypeParam>(1));
  p.send(make_value<TypeParam>(2));
  EXPECT_FALSE(p.done());
  EXPECT_EQ(keys(p.close()), (std::vector{2}));
}

TEST(Drop, DropZeroPassesEverything) {
  EXPECT_EQ(coflow::run(std::vector{1, 2}, ops::drop(0) | sinks::to_vector()), (std::vector{1, 2}));
}

TEST(Drop, DroppingMoreThanTheSourceGivesNothing) {
  EXPECT_EQ(coflow::run(std::vector{1, 2}, ops::drop(3) | sinks::to_vector()),
            (std::vector<int>{}));
}

TEST(Drop, FedByARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), ops::drop(3) | sinks::to_vector()),
            (std::vector{4, 5}));
}

TEST(Drop, ThenTakeSelectsAWindowOfAnInfiniteSource) {
  EXPECT_EQ(coflow::run(ranges::views::iota(0), ops::drop(10) | ops::take(3) | sinks::to_vector()),
            (std::vector{10, 11, 12}));
}

TEST(Drop, AfterAFilterCountsOnlyThePassedValues) {
  auto p = ops::filter([](int x) { return x % 2 == 0; }) | ops::drop(2) | sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(0, 10), p), (std::vector{4, 6, 8}));
}

TEST(Drop, EachRunCountsAfresh) {
  auto p = ops::drop(1) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2}, p), (std::vector{2}));
  EXPECT_EQ(coflow::run(std::vector{3, 4}, p), (std::vector{4}));
}

TEST(Drop, DroppedValuesNeverReachAThrowingStage) {
  auto p = ops::drop(2) | ops::transform([](int x) {
             if (x < 0) throw std::runtime_error("negative");
             return x;
           }) |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{-1, -2, 3}, p), (std::vector{3}));
  EXPECT_THROW((void)coflow::run(std::vector{-1, -2, -3}, p), std::runtime_error);
}

}  // namespace
