// Tests for operators/take_while.hpp.
#include "operators/take_while.hpp"

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
using coflow::test_support::key_of;
using coflow::test_support::keys;
using coflow::test_support::make_value;
using coflow::test_support::values;

const auto below_five = [](int x) { return x < 5; };

static_assert(coflow::stage_description<decltype(ops::take_while(below_five))>);

template <class T>
class TakeWhileTyped : public ::testing::Test {};
TYPED_TEST_SUITE(TakeWhileTyped, coflow::test_support::value_types);

TYPED_TEST(TakeWhileTyped, PassesValuesUntilThePredicateFails) {
  auto p = ops::take_while([](const TypeParam& v) { return key_of(v) < 3; }) | sinks::to_vector();
  EXPECT_EQ(keys(coflow::run(values<TypeParam>(0, 10), p)), (std::vector{0, 1, 2}));
}

TYPED_TEST(TakeWhileTyped, IsDoneAfterTheFailingValue) {
  auto p = coflow::open<TypeParam>(
      ops::take_while([](const TypeParam& v) { return key_of(v) > 0; }) | sinks::to_vector());
  p.send(make_value<TypeParam>(2));
  EXPECT_FALSE(p.done());
  p.send(make_value<TypeParam>(0));
  EXPECT_TRUE(p.done());
  EXPECT_THROW(p.send(make_value<TypeParam>(1)), coflow::protocol_error);
  EXPECT_EQ(keys(p.close()), (std::vector{2})) << "the failing value is not passed on";
}

TEST(TakeWhile, StopsAtTheFirstFailureEvenIfLaterValuesPass) {
  EXPECT_EQ(coflow::run(std::vector{1, 2, 7, 3}, ops::take_while(below_five) | sinks::to_vector()),
            (std::vector{1, 2}));
}

TEST(TakeWhile, ReadsNothingAfterTheFailingValue) {
  int pulled = 0;
  auto source = ranges::views::iota(0) | ranges::views::transform([&](int i) {
                  ++pulled;
                  return i;
                });
  EXPECT_EQ(coflow::run(source, ops::take_while(below_five) | sinks::to_vector()),
            (std::vector{0, 1, 2, 3, 4}));
  EXPECT_EQ(pulled, 6);
}

TEST(TakeWhile, AllPassingGivesEverything) {
  EXPECT_EQ(coflow::run(std::vector{1, 2}, ops::take_while(below_five) | sinks::to_vector()),
            (std::vector{1, 2}));
}

TEST(TakeWhile, FirstFailingGivesNothing) {
  EXPECT_EQ(coflow::run(std::vector{9, 1}, ops::take_while(below_five) | sinks::to_vector()),
            (std::vector<int>{}));
}

TEST(TakeWhile, FedByARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(3), ops::take_while(below_five) | sinks::to_vector()),
            (std::vector{3, 4}));
}

TEST(TakeWhile, ComposesWithOtherOperators) {
  auto p = ops::filter([](int x) { return x % 2 == 1; }) |
           ops::transform([](int x) { return x * x; }) |
           ops::take_while([](int x) { return x < 50; }) | sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(0), p), (std::vector{1, 9, 25, 49}));
}

TEST(TakeWhile, ThrowingPredicateReachesTheCallerOfRun) {
  auto p = ops::take_while([](int x) {
             if (x == 2) throw std::runtime_error("two");
             return true;
           }) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

TEST(TakeWhile, ThrowingPredicateReachesTheCallerOfSend) {
  auto p = coflow::open<int>(ops::take_while([](int x) {
                               if (x < 0) throw std::domain_error("negative");
                               return true;
                             }) |
                             sinks::to_vector());
  p.send(1);
  EXPECT_THROW(p.send(-1), std::domain_error);
}

}  // namespace
