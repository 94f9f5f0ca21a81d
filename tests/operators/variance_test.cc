#include "operators/variance.hpp"

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
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"
#include "tests/operators/moments_fixtures.hpp"
#include "tests/support/exact.hpp"

namespace {

using coflow::ops::variance;
using namespace coflow::moments_testing;

static_assert(std::same_as<decltype(variance()), coflow::ops::variance_stage>);
static_assert(coflow::stage_description<coflow::ops::variance_stage>);
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, variance() | coflow::sinks::last())),
                 std::optional<double>>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Two-pass sample variance in long double: the reference.
long double reference_variance(const std::vector<double>& xs, std::size_t n) {
  long double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += xs[i];
  mean /= static_cast<long double>(n);
  long double squares = 0;
  for (std::size_t i = 0; i < n; ++i) squares += (xs[i] - mean) * (xs[i] - mean);
  return squares / static_cast<long double>(n - 1);
}

template <class T>
class VarianceTyped : public ::testing::Test {};
using ArithmeticTypes = ::testing::Types<int, double, float, std::int64_t>;
TYPED_TEST_SUITE(VarianceTyped, ArithmeticTypes);

TYPED_TEST(VarianceTyped, OutputsTheRunningSampleVarianceFromTheSecondValue) {
  const std::vector<TypeParam> xs = {TypeParam(2), TypeParam(4), TypeParam(4), TypeParam(4),
                                     TypeParam(5), TypeParam(5), TypeParam(7), TypeParam(9)};
  const std::vector<double> out = coflow::run(xs, variance() | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 7u);
  EXPECT_DOUBLE_EQ(out[0], 2.0);        // {2, 4}
  EXPECT_DOUBLE_EQ(out[1], 4.0 / 3.0);  // {2, 4, 4}
  EXPECT_DOUBLE_EQ(out.back(), 32.0 / 7.0);
}

TYPED_TEST(VarianceTyped, OutputsNothingForFewerThanTwoValues) {
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{}, variance() | coflow::sinks::last()),
            std::nullopt);
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{TypeParam(3)}, variance() | coflow::sinks::last()),
            std::nullopt);
}

TYPED_TEST(VarianceTyped, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(variance() | coflow::sinks::to_vector());
  p.send(TypeParam(1));
  p.send(TypeParam(3));
  p.send(TypeParam(5));
  EXPECT_EQ(p.close(), (std::vector<double>{2.0, 4.0}));
}

TEST(Variance, KeepsPrecisionUnderALargeOffset) {
  const std::vector<double> xs = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
  const auto last = coflow::run(xs, variance() | coflow::sinks::last());
  ASSERT_TRUE(last.has_value());
  EXPECT_NEAR(*last, 30.0, 1e-6);
}

TEST(Variance, KeepsPrecisionForInt64Input) {
  constexpr std::int64_t base = 1'000'000'000;
  const std::vector<std::int64_t> xs = {base + 4, base + 7, base + 13, base + 16};
  EXPECT_NEAR(coflow::run(xs, variance() | coflow::sinks::last()).value(), 30.0, 1e-6);
}

TEST(Variance, AgreesWithATwoPassLongDoubleReference) {
  for (const double offset : {0.0, 1e3, 1e6}) {
    const std::vector<double> xs = normal_values(1000, offset, 2.5, 5);
    const std::vector<double> out = coflow::run(xs, variance() | coflow::sinks::to_vector());
    ASSERT_EQ(out.size(), xs.size() - 1);
    for (std::size_t n = 2; n <= xs.size(); ++n) {
      const auto expected = static_cast<double>(reference_variance(xs, n));
      EXPECT_NEAR(out[n - 2], expected, expected * 1e-9) << "offset " << offset << ", n " << n;
    }
  }
}

TEST(Variance, AgreesWithTheCoroutineWelfordToItsRounding) {
  // The operator runs Welford on values shifted by the first one (see variance.hpp), so the
  // two agree to rounding, not bit for bit; the exact reference is below.
  const std::vector<double> xs = normal_values(1000, 10, 3, 9);
  const auto from_operator = coflow::run(xs, variance() | coflow::sinks::to_vector());
  const auto from_coroutine =
      coflow::run(xs, welford_coroutine(welford_answer::variance) | coflow::sinks::to_vector());
  ASSERT_EQ(from_operator.size(), xs.size() - 1);
  for (std::size_t i = 0; i < from_operator.size(); ++i)
    EXPECT_NEAR(from_operator[i], from_coroutine[i], 1e-12 * from_coroutine[i]);
}

TEST(Variance, KeepsEveryDigitUnderALargeOffset) {
  const std::vector<double> xs = offset_quarters();
  const auto v = coflow::run(xs, variance() | coflow::sinks::last());
  ASSERT_TRUE(v.has_value());
  EXPECT_LE(coflow::testing::relative(
                *v, coflow::testing::exact_variance<coflow::testing::close_float>(xs)),
            1e-12)
      << *v;
}

TEST(Variance, IsWithinATrillionthOfTheExactVarianceOnRandomData) {
  for (double offset : {0.0, 1e6, -1e12}) {
    const std::vector<double> xs = normal_values(5000, offset, 0.5, 10);
    const auto v = coflow::run(xs, variance() | coflow::sinks::last());
    EXPECT_LE(coflow::testing::relative(
                  *v, coflow::testing::exact_variance<coflow::testing::close_float>(xs)),
              1e-12)
        << "offset " << offset;
  }
}

TEST(Variance, IsZeroForAConstantStreamAndNeverNegative) {
  const std::vector<double> constant(100, 0.1);
  for (double v : coflow::run(constant, variance() | coflow::sinks::to_vector())) EXPECT_EQ(v, 0);
  // Values one ulp apart at a large offset: the true variance is tiny, rounding is not.
  const double x = 1e15 + 0.125;
  const double y = std::nextafter(x, inf);
  std::vector<double> close;
  for (int i = 0; i < 1000; ++i) close.push_back(i % 3 == 0 ? y : x);
  for (double v : coflow::run(close, variance() | coflow::sinks::to_vector())) EXPECT_GE(v, 0);
}

TEST(Variance, PropagatesNaN) {
  const auto out =
      coflow::run(std::vector{1.0, 2.0, nan, 3.0}, variance() | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], 0.5);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));
}

TEST(Variance, IsNaNOnceAnInfinityArrives) {
  // inf - inf is NaN: the spread of a set holding an infinity is undefined.
  for (const auto& xs : {std::vector{1.0, 2.0, inf, 3.0}, std::vector{1.0, 2.0, -inf, 3.0}}) {
    const auto out = coflow::run(xs, variance() | coflow::sinks::to_vector());
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0], 0.5);
    EXPECT_TRUE(std::isnan(out[1]));
    EXPECT_TRUE(std::isnan(out[2]));
  }
  EXPECT_TRUE(
      std::isnan(coflow::run(std::vector{inf, inf}, variance() | coflow::sinks::last()).value()));
  EXPECT_TRUE(
      std::isnan(coflow::run(std::vector{inf, -inf}, variance() | coflow::sinks::last()).value()));
}

TEST(Variance, OverflowsAHugeFiniteSpreadToInfinity) {
  constexpr double top = std::numeric_limits<double>::max();
  EXPECT_EQ(coflow::run(std::vector{top, -top}, variance() | coflow::sinks::last()), inf);
}

TEST(Variance, RunsOverARangeV3View) {
  // 1..5: mean 3, squared deviations 4 + 1 + 0 + 1 + 4 = 10, over 4.
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), variance() | coflow::sinks::last()), 2.5);
}

TEST(Variance, ComposesWithFilterTransformAndTake) {
  // Odd numbers 1, 3, 5, 7 scaled by 2: 2, 6, 10, 14. Variances of the prefixes: 8, 16, 80 / 3.
  auto p = coflow::ops::filter([](int x) { return x % 2 != 0; }) |
           coflow::ops::transform([](int x) { return 2 * x; }) | variance() | coflow::ops::take(3) |
           coflow::sinks::to_vector();
  const auto out = coflow::run(ranges::views::iota(1), p);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_DOUBLE_EQ(out[0], 8.0);
  EXPECT_DOUBLE_EQ(out[1], 16.0);
  EXPECT_DOUBLE_EQ(out[2], 80.0 / 3.0);
}

TEST(Variance, LetsAnUpstreamExceptionReachTheCaller) {
  auto p = coflow::ops::transform([](int x) {
             if (x == 3) throw std::runtime_error("bad reading");
             return x;
           }) |
           variance() | coflow::sinks::last();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

}  // namespace
