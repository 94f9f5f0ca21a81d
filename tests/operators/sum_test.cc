#include "operators/sum.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"
#include "tests/support/exact.hpp"

namespace {

using coflow::ops::sum_accumulator_t;

static_assert(std::same_as<sum_accumulator_t<int>, std::int64_t>);
static_assert(std::same_as<sum_accumulator_t<signed char>, std::int64_t>);
static_assert(std::same_as<sum_accumulator_t<short>, std::int64_t>);
static_assert(std::same_as<sum_accumulator_t<std::int64_t>, std::int64_t>);
static_assert(std::same_as<sum_accumulator_t<unsigned>, std::uint64_t>);
static_assert(std::same_as<sum_accumulator_t<std::uint8_t>, std::uint64_t>);
static_assert(std::same_as<sum_accumulator_t<std::uint64_t>, std::uint64_t>);
static_assert(std::same_as<sum_accumulator_t<bool>, std::uint64_t>);
static_assert(std::same_as<sum_accumulator_t<float>, double>);
static_assert(std::same_as<sum_accumulator_t<double>, double>);
static_assert(std::same_as<sum_accumulator_t<long double>, long double>);

template <class T>
concept has_sum_accumulator = requires {
  typename sum_accumulator_t<T>;
};
static_assert(has_sum_accumulator<int>);
static_assert(!has_sum_accumulator<std::string>);
static_assert(!has_sum_accumulator<int*>);

static_assert(coflow::stage_description<coflow::ops::sum_stage>);
static_assert(coflow::sink_description<coflow::sinks::sum_sink>);
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, coflow::sinks::sum())), std::int64_t>);
static_assert(std::same_as<decltype(coflow::run(std::vector<float>{},
                                                coflow::ops::sum() | coflow::sinks::last())),
                           std::optional<double>>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t uint64_max = std::numeric_limits<std::uint64_t>::max();

// A Python-style running total: answers the sum so far after each term.
coflow::coroutine<std::int64_t, std::int64_t> running_total() {
  std::int64_t total = 0;
  std::optional<std::int64_t> reply;
  while (auto term = co_yield reply) {
    total += *term;
    reply = total;
  }
}

template <class T>
class SumTyped : public ::testing::Test {};
using ArithmeticTypes = ::testing::Types<int, double, float, std::int64_t, unsigned, short>;
TYPED_TEST_SUITE(SumTyped, ArithmeticTypes);

TYPED_TEST(SumTyped, OutputsTheRunningSumInTheAccumulatorType) {
  using acc = sum_accumulator_t<TypeParam>;
  const std::vector<TypeParam> xs = {TypeParam(1), TypeParam(2), TypeParam(3), TypeParam(4)};
  const std::vector<acc> sums = coflow::run(xs, coflow::ops::sum() | coflow::sinks::to_vector());
  EXPECT_EQ(sums, (std::vector<acc>{1, 3, 6, 10}));
}

TYPED_TEST(SumTyped, SinkReturnsTheTotal) {
  const std::vector<TypeParam> xs = {TypeParam(5), TypeParam(6), TypeParam(7)};
  EXPECT_EQ(coflow::run(xs, coflow::sinks::sum()), sum_accumulator_t<TypeParam>{18});
}

TYPED_TEST(SumTyped, SinkReturnsZeroForAnEmptyStream) {
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{}, coflow::sinks::sum()),
            sum_accumulator_t<TypeParam>{0});
  EXPECT_TRUE(coflow::run(std::vector<TypeParam>{}, coflow::ops::sum() | coflow::sinks::to_vector())
                  .empty());
}

TYPED_TEST(SumTyped, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(coflow::sinks::sum());
  p.send(TypeParam(2));
  p.send(TypeParam(40));
  EXPECT_EQ(p.close(), sum_accumulator_t<TypeParam>{42});
}

TEST(Sum, MatchesTheCoroutineRunningTotal) {
  std::mt19937_64 engine(11);
  std::uniform_int_distribution<std::int64_t> dist(-1'000'000'000'000, 1'000'000'000'000);
  std::vector<std::int64_t> xs(1000);
  for (auto& x : xs) x = dist(engine);
  const auto from_operator = coflow::run(xs, coflow::ops::sum() | coflow::sinks::to_vector());
  const auto from_coroutine = coflow::run(xs, running_total() | coflow::sinks::to_vector());
  ASSERT_EQ(from_operator.size(), xs.size());
  EXPECT_EQ(from_operator, from_coroutine);
  EXPECT_EQ(coflow::run(xs, coflow::sinks::sum()), from_coroutine.back());
}

TEST(Sum, WidensIntToInt64SoManyLargeIntsDoNotOverflow) {
  constexpr int big = std::numeric_limits<int>::max();
  EXPECT_EQ(coflow::run(std::vector{big, big, big}, coflow::sinks::sum()),
            3 * static_cast<std::int64_t>(big));
}

TEST(Sum, AddsFloatsInDouble) {
  // In float, 2^24 + 1 rounds back to 2^24.
  EXPECT_EQ(coflow::run(std::vector{16777216.0f, 1.0f}, coflow::sinks::sum()), 16777217.0);
}

TEST(Sum, AddsBoolsAsCounts) {
  EXPECT_EQ(coflow::run(std::vector{true, false, true, true}, coflow::sinks::sum()), 3u);
}

TEST(Sum, ThrowsOnSignedOverflowNamingTheOperator) {
  try {
    (void)coflow::run(std::vector<std::int64_t>{int64_max - 1, 1, 1},
                      coflow::ops::sum() | coflow::sinks::to_vector());
    FAIL() << "expected std::overflow_error";
  } catch (const std::overflow_error& e) {
    EXPECT_NE(std::string(e.what()).find("coflow::ops::sum()"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)coflow::run(std::vector<std::int64_t>{int64_min, -1}, coflow::sinks::sum()),
               std::overflow_error);
}

TEST(Sum, ThrowsOnUnsignedOverflow) {
  EXPECT_THROW((void)coflow::run(std::vector<std::uint64_t>{uint64_max, 1}, coflow::sinks::sum()),
               std::overflow_error);
}

TEST(Sum, SinkNamesItselfInTheOverflowError) {
  try {
    (void)coflow::run(std::vector<std::int64_t>{int64_max, 1}, coflow::sinks::sum());
    FAIL() << "expected std::overflow_error";
  } catch (const std::overflow_error& e) {
    EXPECT_NE(std::string(e.what()).find("coflow::sinks::sum()"), std::string::npos) << e.what();
  }
}

TEST(Sum, ReachesTheExtremesWithoutThrowing) {
  EXPECT_EQ(coflow::run(std::vector<std::int64_t>{int64_max - 5, 5}, coflow::sinks::sum()),
            int64_max);
  EXPECT_EQ(coflow::run(std::vector<std::int64_t>{int64_max, int64_min}, coflow::sinks::sum()), -1);
  EXPECT_EQ(coflow::run(std::vector<std::uint64_t>{uint64_max - 1, 1}, coflow::sinks::sum()),
            uint64_max);
}

TEST(Sum, KeepsTheLastGoodTotalWhenAnAdditionOverflows) {
  auto head = coflow::bind_chain<std::int64_t>(coflow::sinks::sum());
  EXPECT_TRUE(head.push(std::int64_t{int64_max - 1}));
  EXPECT_THROW((void)head.push(std::int64_t{2}), std::overflow_error);
  EXPECT_EQ(head.finish(), int64_max - 1);
}

TEST(Sum, OpenedPipelineIsDoneAfterAnOverflow) {
  auto p = coflow::open<std::int64_t>(coflow::ops::sum() | coflow::sinks::last());
  p.send(int64_max);
  EXPECT_THROW(p.send(1), std::overflow_error);
  EXPECT_TRUE(p.done());
}

TEST(Sum, RecoversWhatPlainDoubleAdditionLoses) {
  // Plain double additions give 0 here.
  EXPECT_EQ(coflow::run(std::vector{1e16, 1.0, -1e16}, coflow::sinks::sum()), 1.0);
  EXPECT_EQ(
      coflow::run(std::vector{1e16, 1.0, -1e16}, coflow::ops::sum() | coflow::sinks::to_vector()),
      (std::vector<double>{1e16, 1e16, 1.0}));
}

TEST(Sum, IsWithinTwoUlpOfTheExactSumOfCancellingValues) {
  std::mt19937_64 engine(3);
  std::uniform_real_distribution<double> unit(-1, 1);
  std::vector<double> xs;
  for (int i = 0; i < 10000; ++i) {
    const double x = unit(engine);
    xs.push_back(x);
    xs.push_back(i % 2 == 0 ? x * 1e12 : -xs[xs.size() - 3] * 1e12);
  }
  EXPECT_LE(
      coflow::testing::ulps(coflow::run(xs, coflow::sinks::sum()), coflow::testing::exact_sum(xs)),
      2);
}

TEST(Sum, PropagatesNaN) {
  const auto sums =
      coflow::run(std::vector{1.0, nan, 2.0}, coflow::ops::sum() | coflow::sinks::to_vector());
  ASSERT_EQ(sums.size(), 3u);
  EXPECT_EQ(sums[0], 1.0);
  EXPECT_TRUE(std::isnan(sums[1]));
  EXPECT_TRUE(std::isnan(sums[2]));
}

TEST(Sum, KeepsAnInfiniteSumWhenFiniteValuesFollow) {
  EXPECT_EQ(
      coflow::run(std::vector{1.0, inf, -5.0}, coflow::ops::sum() | coflow::sinks::to_vector()),
      (std::vector<double>{1.0, inf, inf}));
  EXPECT_EQ(coflow::run(std::vector{-inf, 3.0}, coflow::sinks::sum()), -inf);
}

TEST(Sum, GivesNaNForOppositeInfinities) {
  EXPECT_TRUE(std::isnan(coflow::run(std::vector{inf, -inf}, coflow::sinks::sum())));
  EXPECT_TRUE(std::isnan(coflow::run(std::vector{inf, 1.0, -inf, 2.0}, coflow::sinks::sum())));
}

TEST(Sum, OverflowsFiniteDoublesToInfinityAsIEEESays) {
  constexpr double top = std::numeric_limits<double>::max();
  EXPECT_EQ(coflow::run(std::vector{top, top}, coflow::sinks::sum()), inf);
}

TEST(Sum, RunsOverARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), coflow::sinks::sum()), 15);
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), coflow::ops::sum() | coflow::sinks::to_vector()),
            (std::vector<std::int64_t>{1, 3, 6, 10, 15}));
}

TEST(Sum, ComposesWithFilterTransformAndTake) {
  // Squares of the even numbers 2, 4, 6, ...: running sums 4, 20, 56; take(3) stops the source.
  auto p = coflow::ops::filter([](int x) { return x % 2 == 0; }) |
           coflow::ops::transform([](int x) { return x * x; }) | coflow::ops::sum() |
           coflow::ops::take(3) | coflow::sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), (std::vector<std::int64_t>{4, 20, 56}));
}

TEST(Sum, OperatorThenLastAgreesWithTheSink) {
  const std::vector<int> xs = {3, -8, 12, 40, -1};
  EXPECT_EQ(coflow::run(xs, coflow::ops::sum() | coflow::sinks::last()),
            coflow::run(xs, coflow::sinks::sum()));
}

TEST(Sum, LetsAnUpstreamExceptionReachTheCaller) {
  auto p = coflow::ops::transform([](int x) {
             if (x == 3) throw std::runtime_error("bad reading");
             return x;
           }) |
           coflow::sinks::sum();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

}  // namespace
