#include "operators/stddev.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <vector>

#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "operators/variance.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"
#include "tests/operators/moments_fixtures.hpp"
#include "tests/support/exact.hpp"

namespace {

using coflow::ops::stddev;
using namespace coflow::moments_testing;

static_assert(std::same_as<decltype(stddev()), coflow::ops::stddev_stage>);
static_assert(coflow::stage_description<coflow::ops::stddev_stage>);
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, stddev() | coflow::sinks::last())),
                 std::optional<double>>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

template <class T>
class StddevTyped : public ::testing::Test {};
using ArithmeticTypes = ::testing::Types<int, double, float, std::int64_t>;
TYPED_TEST_SUITE(StddevTyped, ArithmeticTypes);

TYPED_TEST(StddevTyped, OutputsTheRunningSampleStandardDeviationFromTheSecondValue) {
  const std::vector<TypeParam> xs = {TypeParam(2), TypeParam(4), TypeParam(4), TypeParam(4),
                                     TypeParam(5), TypeParam(5), TypeParam(7), TypeParam(9)};
  const std::vector<double> out = coflow::run(xs, stddev() | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 7u);
  EXPECT_DOUBLE_EQ(out[0], std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(out.back(), std::sqrt(32.0 / 7.0));
}

TYPED_TEST(StddevTyped, OutputsNothingForFewerThanTwoValues) {
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{}, stddev() | coflow::sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{TypeParam(3)}, stddev() | coflow::sinks::last()),
            std::nullopt);
}

TYPED_TEST(StddevTyped, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(stddev() | coflow::sinks::to_vector());
  p.send(TypeParam(1));
  p.send(TypeParam(3));
  p.send(TypeParam(5));
  EXPECT_EQ(p.close(), (std::vector<double>{std::sqrt(2.0), 2.0}));
}

TEST(Stddev, IsTheSquareRootOfVarianceValueForValue) {
  const std::vector<double> xs = normal_values(500, 100, 7, 21);
  const auto deviations = coflow::run(xs, stddev() | coflow::sinks::to_vector());
  const auto roots = coflow::run(xs, coflow::ops::variance() | coflow::ops::transform([](double v) {
                                       return std::sqrt(v);
                                     }) | coflow::sinks::to_vector());
  ASSERT_EQ(deviations.size(), xs.size() - 1);
  EXPECT_EQ(deviations, roots);
}

TEST(Stddev, AgreesWithTheCoroutineWelfordToItsRounding) {
  // The operator runs Welford on values shifted by the first one (see stddev.hpp), so the two
  // agree to rounding, not bit for bit; the exact references are below.
  const std::vector<double> xs = normal_values(1000, -4, 0.5, 13);
  const auto from_operator = coflow::run(xs, stddev() | coflow::sinks::to_vector());
  const auto from_coroutine =
      coflow::run(xs, welford_coroutine(welford_answer::stddev) | coflow::sinks::to_vector());
  ASSERT_EQ(from_operator.size(), xs.size() - 1);
  for (std::size_t i = 0; i < from_operator.size(); ++i)
    EXPECT_NEAR(from_operator[i], from_coroutine[i], 1e-12 * from_coroutine[i]);
}

TEST(Stddev, KeepsEveryDigitUnderALargeOffset) {
  const std::vector<double> xs = offset_quarters();
  const auto s = coflow::run(xs, stddev() | coflow::sinks::last());
  ASSERT_TRUE(s.has_value());
  EXPECT_LE(coflow::testing::relative(
                *s, coflow::testing::exact_stddev<coflow::testing::close_float>(xs)),
            1e-12)
      << *s;
}

TEST(Stddev, IsFiniteAndExactWhereTheVarianceOverflows) {
  // The variance 2e400 is not a double; the deviation 1.414e200 is (it was +inf).
  const std::vector<double> xs = {1e200, -1e200};
  const auto s = coflow::run(xs, stddev() | coflow::sinks::last());
  ASSERT_TRUE(s.has_value());
  EXPECT_LE(coflow::testing::ulps(*s, coflow::testing::exact_stddev(xs)), 1) << *s;
}

TEST(Stddev, IsNonZeroAndExactWhereTheVarianceUnderflows) {
  // The variance 2e-340 is below the smallest subnormal; the deviation 1.414e-170 is a double
  // (it was 0).
  const std::vector<double> xs = {1e-170, -1e-170};
  const auto s = coflow::run(xs, stddev() | coflow::sinks::last());
  ASSERT_TRUE(s.has_value());
  EXPECT_LE(coflow::testing::ulps(*s, coflow::testing::exact_stddev(xs)), 1) << *s;
}

TEST(Stddev, KeepsPrecisionUnderALargeOffset) {
  const std::vector<double> xs = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
  EXPECT_NEAR(coflow::run(xs, stddev() | coflow::sinks::last()).value(), std::sqrt(30.0), 1e-7);
}

TEST(Stddev, IsZeroForAConstantStream) {
  const std::vector<double> constant(50, 1e9 + 0.3);
  for (double s : coflow::run(constant, stddev() | coflow::sinks::to_vector())) EXPECT_EQ(s, 0);
}

TEST(Stddev, PropagatesNaN) {
  const auto out =
      coflow::run(std::vector{1.0, 3.0, nan, 3.0}, stddev() | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_DOUBLE_EQ(out[0], std::sqrt(2.0));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));
}

TEST(Stddev, IsNaNOnceAnInfinityArrives) {
  const auto out =
      coflow::run(std::vector{1.0, 3.0, inf, 3.0}, stddev() | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_TRUE(
      std::isnan(coflow::run(std::vector{inf, -inf}, stddev() | coflow::sinks::last()).value()));
}

TEST(Stddev, OverflowsAHugeFiniteSpreadToInfinity) {
  constexpr double top = std::numeric_limits<double>::max();
  EXPECT_EQ(coflow::run(std::vector{-top, top}, stddev() | coflow::sinks::last()), inf);
}

TEST(Stddev, RunsOverARangeV3View) {
  EXPECT_DOUBLE_EQ(coflow::run(ranges::views::iota(1, 6), stddev() | coflow::sinks::last()).value(),
                   std::sqrt(2.5));
}

TEST(Stddev, ComposesWithFilterTransformAndTake) {
  // Multiples of 5 as 0, 5, 10, ...: stddevs sqrt(12.5), 5, sqrt(125 / 3); take(3) stops there.
  auto p = coflow::ops::filter([](int x) { return x % 5 == 0; }) |
           coflow::ops::transform([](int x) { return static_cast<double>(x); }) | stddev() |
           coflow::ops::take(3) | coflow::sinks::to_vector();
  const auto out = coflow::run(ranges::views::iota(0), p);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_DOUBLE_EQ(out[0], std::sqrt(12.5));
  EXPECT_DOUBLE_EQ(out[1], 5.0);
  EXPECT_DOUBLE_EQ(out[2], std::sqrt(125.0 / 3.0));
}

TEST(Stddev, LetsAnUpstreamExceptionReachTheCaller) {
  auto p = coflow::ops::transform([](int x) {
             if (x == 3) throw std::runtime_error("bad reading");
             return x;
           }) |
           stddev() | coflow::sinks::last();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

}  // namespace
