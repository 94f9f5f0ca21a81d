// Tests for operators/filter.hpp.
#include "operators/filter.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <vector>

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
using coflow::test_support::key_of;
using coflow::test_support::keys;
using coflow::test_support::values;

const auto is_odd = [](int x) { return x % 2 != 0; };

static_assert(coflow::stage_description<decltype(ops::filter(is_odd))>);
static_assert(!coflow::sink_description<decltype(ops::filter(is_odd))>);
static_assert(!coflow::runnable<decltype(ops::filter(is_odd))>);

template <class T>
class FilterTyped : public ::testing::Test {};
TYPED_TEST_SUITE(FilterTyped, coflow::test_support::value_types);

TYPED_TEST(FilterTyped, KeepsTheValuesThatPassThePredicate) {
  auto p = ops::filter([](const TypeParam& v) { return key_of(v) % 3 == 0; }) | sinks::to_vector();
  EXPECT_EQ(keys(coflow::run(values<TypeParam>(0, 10), p)), (std::vector{0, 3, 6, 9}));
}

TYPED_TEST(FilterTyped, ThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(ops::filter([](const TypeParam& v) { return key_of(v) > 1; }) |
                                   sinks::to_vector());
  for (int i = 0; i < 4; ++i) p.send(coflow::test_support::make_value<TypeParam>(i));
  EXPECT_EQ(keys(p.close()), (std::vector{2, 3}));
}

TEST(Filter, KeepsOddValuesFromAVector) {
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3, 4, 5}, ops::filter(is_odd) | sinks::to_vector()),
            (std::vector{1, 3, 5}));
}

TEST(Filter, FedByARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), ops::filter(is_odd) | sinks::to_vector()),
            (std::vector{1, 3, 5}));
}

TEST(Filter, DroppingEverythingGivesNothing) {
  EXPECT_EQ(coflow::run(std::vector{2, 4}, ops::filter(is_odd) | sinks::to_vector()),
            (std::vector<int>{}));
}

TEST(Filter, ComposesWithOtherOperators) {
  auto p = ops::transform([](int x) { return x * 3; }) | ops::filter(is_odd) | ops::take(2) |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(0), p), (std::vector{3, 9}));
}

TEST(Filter, IsNeverDoneByItself) {
  auto p = coflow::open<int>(ops::filter(is_odd) | sinks::to_vector());
  p.send(2);
  p.send(3);
  EXPECT_FALSE(p.done());
  EXPECT_EQ(p.close(), (std::vector{3}));
}

TEST(Filter, StatefulPredicateStartsFreshEachRun) {
  // Keeps every other value, counting in its own state.
  auto every_other = [n = 0](int) mutable { return n++ % 2 == 0; };
  auto p = ops::filter(every_other) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, p), (std::vector{1, 3}));
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, p), (std::vector{1, 3}));
}

TEST(Filter, ThrowingPredicateReachesTheCallerOfRun) {
  auto p = ops::filter([](int x) {
             if (x == 3) throw std::runtime_error("no threes");
             return true;
           }) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3, 4}, p), std::runtime_error);
}

TEST(Filter, ThrowingPredicateReachesTheCallerOfSend) {
  auto p = coflow::open<int>(ops::filter([](int x) {
                               if (x < 0) throw std::domain_error("negative");
                               return true;
                             }) |
                             sinks::to_vector());
  p.send(1);
  EXPECT_THROW(p.send(-1), std::domain_error);
  EXPECT_TRUE(p.done());
}

TEST(Filter, PredicateSeesTheValueWithoutTakingIt) {
  auto p = coflow::open<std::unique_ptr<int>>(
      ops::filter([](const std::unique_ptr<int>& v) { return v != nullptr; }) | sinks::to_vector());
  p.send(std::make_unique<int>(7));
  p.send(nullptr);
  const auto out = p.close();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(*out[0], 7) << "the kept value arrived intact after the predicate looked at it";
}

}  // namespace
