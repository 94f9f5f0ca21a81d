// Reliability: the aggregates under numeric faults. Empty streams, NaN and infinities in every
// aggregate, 64-bit overflow in sums (std::overflow_error, never a wrap; the sanitizer builds
// check that no signed overflow happens on the way) and in means (the mean of scaled deviations
// cannot overflow), Welford's variance against a two-pass long double reference on random data,
// a variance that is never negative, and results that are doubles though an intermediate
// (a variance, a plain sum) is not.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/averager.hpp"
#include "operators/count.hpp"
#include "operators/ewma.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/maximize.hpp"
#include "operators/minimize.hpp"
#include "operators/stddev.hpp"
#include "operators/sum.hpp"
#include "operators/to_vector.hpp"
#include "operators/variance.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using ::testing::HasSubstr;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double big = std::numeric_limits<double>::max();
constexpr std::int64_t i64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t i64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::uint64_t u64_max = std::numeric_limits<std::uint64_t>::max();

// Every output of `stage` for the input `xs`.
template <class T, class Stage>
auto outputs(const std::vector<T>& xs, Stage stage) {
  return coflow::run(xs, stage | sinks::to_vector());
}

// Matches a double by IEEE class and value: NaN matches NaN, infinities match by sign.
MATCHER_P(SameDouble, expected, "") {
  if (std::isnan(expected)) return std::isnan(arg);
  return arg == expected;
}

// --- Empty streams ----------------------------------------------------------------------------

TEST(NumericFault, EveryAggregateOfAnEmptyStreamIsEmptyNotNaN) {
  const std::vector<double> none;
  EXPECT_EQ(coflow::run(none, ops::averager() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, ops::variance() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, ops::stddev() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, ops::ewma(0.5) | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, ops::minimize() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, ops::maximize() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, ops::sum() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, ops::count() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(none, sinks::sum()), 0.0);
  EXPECT_EQ(coflow::run(std::vector<std::int64_t>{}, sinks::sum()), 0);
  EXPECT_EQ(coflow::run(none, sinks::count()), 0u);
}

TEST(NumericFault, TheVarianceOfOneValueIsEmptyNotNaN) {
  const std::vector<double> one = {4.0};
  EXPECT_EQ(coflow::run(one, ops::variance() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(one, ops::stddev() | sinks::last()), std::nullopt);
  EXPECT_EQ(coflow::run(one, ops::averager() | sinks::last()), 4.0);
}

TEST(NumericFault, AnEmptyStreamThroughAnOpenedPipelineClosesCleanly) {
  auto p = coflow::open<double>(ops::variance() | ops::averager() | sinks::last());
  EXPECT_EQ(p.close(), std::nullopt);
}

// --- NaN ------------------------------------------------------------------------------------

TEST(NumericFault, ANaNMakesEveryLaterRunningStatisticNaN) {
  const std::vector<double> xs = {1, 2, nan, 4, 5};
  EXPECT_THAT(outputs(xs, ops::averager()),
              ::testing::ElementsAre(1.0, 1.5, SameDouble(nan), SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(xs, ops::sum()),
              ::testing::ElementsAre(1.0, 3.0, SameDouble(nan), SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(xs, ops::variance()),
              ::testing::ElementsAre(0.5, SameDouble(nan), SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(xs, ops::stddev()), ::testing::ElementsAre(std::sqrt(0.5), SameDouble(nan),
                                                                 SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(xs, ops::ewma(0.5)),
              ::testing::ElementsAre(1.0, 1.5, SameDouble(nan), SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(xs, ops::minimize()),
              ::testing::ElementsAre(1.0, 1.0, SameDouble(nan), SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(xs, ops::maximize()),
              ::testing::ElementsAre(1.0, 2.0, SameDouble(nan), SameDouble(nan), SameDouble(nan)));
  EXPECT_EQ(coflow::run(xs, sinks::count()), 5u) << "a NaN is still a value";
  EXPECT_TRUE(std::isnan(coflow::run(xs, sinks::sum())));
}

TEST(NumericFault, ANaNFirstPropagatesThroughMinimizeAndMaximize) {
  // With `<` alone a leading NaN would be replaced by the next value; the documented rule is
  // that it propagates.
  const std::vector<double> xs = {nan, -5, 5};
  EXPECT_THAT(outputs(xs, ops::minimize()),
              ::testing::ElementsAre(SameDouble(nan), SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(xs, ops::maximize()),
              ::testing::ElementsAre(SameDouble(nan), SameDouble(nan), SameDouble(nan)));
}

TEST(NumericFault, EwmaWithAlphaOneDropsAnEarlierNaN) {
  EXPECT_THAT(outputs(std::vector<double>{nan, 3, inf, 4}, ops::ewma(1.0)),
              ::testing::ElementsAre(SameDouble(nan), 3.0, inf, 4.0));
}

TEST(NumericFault, ANaNOrOutOfRangeEwmaWeightIsRejectedAtTheCall) {
  EXPECT_THROW((void)ops::ewma(nan), std::invalid_argument);
  EXPECT_THROW((void)ops::ewma(0.0), std::invalid_argument);
  EXPECT_THROW((void)ops::ewma(1.5), std::invalid_argument);
  EXPECT_THROW((void)ops::ewma(-inf), std::invalid_argument);
}

// --- Infinities -------------------------------------------------------------------------------

TEST(NumericFault, AnInfinityDominatesTheMeanAndSumUntilTheOppositeOneArrives) {
  const std::vector<double> xs = {1, inf, 5, -inf, 7};
  const auto nan_ = SameDouble(nan);
  EXPECT_THAT(outputs(xs, ops::averager()), ::testing::ElementsAre(1.0, inf, inf, nan_, nan_));
  EXPECT_THAT(outputs(xs, ops::sum()), ::testing::ElementsAre(1.0, inf, inf, nan_, nan_));
  EXPECT_THAT(outputs(xs, ops::ewma(0.25)), ::testing::ElementsAre(1.0, inf, inf, nan_, nan_));
  EXPECT_THAT(outputs(xs, ops::minimize()), ::testing::ElementsAre(1.0, 1.0, 1.0, -inf, -inf));
  EXPECT_THAT(outputs(xs, ops::maximize()), ::testing::ElementsAre(1.0, inf, inf, inf, inf));
}

TEST(NumericFault, AnInfinityMakesTheVarianceNaNAsNumpyDoes) {
  EXPECT_THAT(outputs(std::vector<double>{1, 2, inf, 3}, ops::variance()),
              ::testing::ElementsAre(0.5, SameDouble(nan), SameDouble(nan)));
  EXPECT_THAT(outputs(std::vector<double>{-inf, 2}, ops::stddev()),
              ::testing::ElementsAre(SameDouble(nan)));
}

TEST(NumericFault, FiniteValuesNearTheLimitsKeepAFiniteMean) {
  // x - mean overflows here; the mean must not.
  EXPECT_THAT(
      outputs(std::vector<double>{big, -big, big, big}, ops::averager()),
      ::testing::ElementsAre(big, 0.0, ::testing::DoubleEq(big / 3), ::testing::DoubleEq(big / 2)));
  EXPECT_EQ(coflow::run(std::vector<double>{big, big, big}, ops::averager() | sinks::last()), big);
}

TEST(NumericFault, AVarianceTooLargeForADoubleIsInfinityNotNaN) {
  const auto var = coflow::run(std::vector<double>{big, -big}, ops::variance() | sinks::last());
  ASSERT_TRUE(var.has_value());
  EXPECT_EQ(*var, inf);
}

TEST(NumericFault, ALongDoubleBeyondDoublesRangeBecomesAnInfiniteMean) {
  const long double huge = static_cast<long double>(big) * 16;
  EXPECT_EQ(coflow::run(std::vector<long double>{huge, 1}, ops::averager() | sinks::last()), inf);
}

// --- 64-bit overflow ----------------------------------------------------------------------------

TEST(NumericFault, ASignedSumThatWouldOverflowThrowsAndNamesTheOperator) {
  try {
    (void)coflow::run(std::vector<std::int64_t>{i64_max - 5, 3, 3}, sinks::sum());
    FAIL() << "no overflow_error";
  } catch (const std::overflow_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("coflow::sinks::sum()"));
  }
  EXPECT_THROW((void)coflow::run(std::vector<std::int64_t>{i64_min + 1, -1, -1}, sinks::sum()),
               std::overflow_error);
}

TEST(NumericFault, TheRunningSumThrowsAtTheValueThatOverflowsAndKeepsWhatCameBefore) {
  std::vector<std::int64_t> seen;
  auto p = coflow::open<std::int64_t>(ops::sum() |
                                      sinks::for_each([&](std::int64_t s) { seen.push_back(s); }));
  p.send(i64_max - 5);
  p.send(3);
  try {
    p.send(3);
    FAIL() << "no overflow_error";
  } catch (const std::overflow_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("coflow::ops::sum()"));
  }
  EXPECT_TRUE(p.done());
  EXPECT_EQ(seen, (std::vector<std::int64_t>{i64_max - 5, i64_max - 2}));
}

TEST(NumericFault, SumsReachingTheLimitsExactlyDoNotThrow) {
  EXPECT_EQ(coflow::run(std::vector<std::int64_t>{i64_max - 1, 1}, sinks::sum()), i64_max);
  EXPECT_EQ(coflow::run(std::vector<std::int64_t>{i64_min + 1, -1}, sinks::sum()), i64_min);
  EXPECT_EQ(coflow::run(std::vector<std::int64_t>{i64_max, i64_min}, sinks::sum()), -1);
  EXPECT_EQ(coflow::run(std::vector<std::uint64_t>{u64_max - 1, 1}, sinks::sum()), u64_max);
}

TEST(NumericFault, AnUnsignedSumThatWouldWrapThrows) {
  EXPECT_THROW((void)coflow::run(std::vector<std::uint64_t>{u64_max, 1}, sinks::sum()),
               std::overflow_error);
}

TEST(NumericFault, NarrowIntegersAccumulateInSixtyFourBits) {
  constexpr int i32_max = std::numeric_limits<int>::max();
  EXPECT_EQ(coflow::run(std::vector<int>{i32_max, i32_max, i32_max}, sinks::sum()),
            3 * static_cast<std::int64_t>(i32_max));
  EXPECT_EQ(coflow::run(std::vector<unsigned>{4'000'000'000u, 4'000'000'000u}, sinks::sum()),
            8'000'000'000u);
}

TEST(NumericFault, TheMeanOfHugeIntegersDoesNotOverflowAndIsCorrect) {
  // Their sum overflows std::int64_t 1,000 times over; the mean keeps scaled deviations only.
  std::vector<std::int64_t> xs;
  long double reference = 0;
  for (int i = 0; i < 2000; ++i) {
    xs.push_back(i % 2 == 0 ? i64_max - i : i64_max / 2 + i);
    reference += static_cast<long double>(static_cast<double>(xs.back()));
  }
  reference /= static_cast<long double>(xs.size());
  const auto mean = coflow::run(xs, ops::averager() | sinks::last());
  ASSERT_TRUE(mean.has_value());
  EXPECT_NEAR(*mean, static_cast<double>(reference), 1e-13 * static_cast<double>(reference));
  EXPECT_THROW((void)coflow::run(xs, sinks::sum()), std::overflow_error)
      << "the same values overflow a sum: the test data is what it claims to be";
}

TEST(NumericFault, TheMeanOfTheExtremesOfInt64IsNearZero) {
  const auto mean = coflow::run(std::vector<std::int64_t>{i64_max, i64_min, i64_max, i64_min},
                                ops::averager() | sinks::last());
  ASSERT_TRUE(mean.has_value());
  EXPECT_EQ(*mean, 0.0) << "both convert to +-2^63 exactly; their mean is 0";
}

// --- Welford against a two-pass long double reference ---------------------------------------

struct reference_stats {
  long double mean;
  long double variance;  // sample variance, n - 1
};

reference_stats two_pass(const std::vector<double>& xs, std::size_t n) {
  long double mean = 0;
  for (std::size_t i = 0; i < n; ++i) mean += xs[i];
  mean /= static_cast<long double>(n);
  long double m2 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const long double d = xs[i] - mean;
    m2 += d * d;
  }
  return {mean, m2 / static_cast<long double>(n - 1)};
}

// The textbook one-pass formula (sum of squares), to show that the data is hard: it loses
// everything where Welford keeps precision.
double textbook_variance(const std::vector<double>& xs) {
  double sum = 0;
  double squares = 0;
  for (double x : xs) {
    sum += x;
    squares += x * x;
  }
  const auto n = static_cast<double>(xs.size());
  return (squares - sum * sum / n) / (n - 1);
}

double relative_error(double got, long double want) {
  return static_cast<double>(std::fabs(static_cast<long double>(got) - want) / std::fabs(want));
}

struct data_set {
  const char* name;
  double offset;
  double spread;
  double tolerance;  // relative, for the variance; the condition number grows as offset/spread
};

class WelfordAccuracy : public ::testing::TestWithParam<data_set> {};

TEST_P(WelfordAccuracy, RunningStatisticsMatchATwoPassLongDoubleReference) {
  const data_set& d = GetParam();
  std::mt19937_64 rng(20240611);
  std::normal_distribution<double> noise(0.0, d.spread);
  std::vector<double> xs(50'000);
  for (double& x : xs) x = d.offset + noise(rng);

  const auto variances = outputs(xs, ops::variance());
  const auto deviations = outputs(xs, ops::stddev());
  const auto means = outputs(xs, ops::averager());
  ASSERT_EQ(variances.size(), xs.size() - 1);
  ASSERT_EQ(deviations.size(), xs.size() - 1);
  ASSERT_EQ(means.size(), xs.size());
  for (std::size_t n : {2u, 3u, 10u, 100u, 1'000u, 10'000u, 50'000u}) {
    const reference_stats ref = two_pass(xs, n);
    EXPECT_LE(relative_error(variances[n - 2], ref.variance), d.tolerance) << d.name << " n=" << n;
    EXPECT_LE(relative_error(deviations[n - 2], std::sqrt(ref.variance)), d.tolerance)
        << d.name << " n=" << n;
    // The mean's error is measured against the spread: a centred mean is near 0.
    EXPECT_LE(std::fabs(static_cast<long double>(means[n - 1]) - ref.mean),
              1e-13L * (std::fabs(ref.mean) + d.spread))
        << d.name << " n=" << n;
    EXPECT_GE(variances[n - 2], 0.0);
  }
}

INSTANTIATE_TEST_SUITE_P(RandomData, WelfordAccuracy,
                         ::testing::Values(data_set{"centred", 0.0, 1.0, 1e-12},
                                           data_set{"tiny", 0.0, 1e-150, 1e-12},
                                           data_set{"huge", 0.0, 1e150, 1e-12},
                                           data_set{"offset 1e6", 1e6, 1.0, 1e-8},
                                           data_set{"offset 1e9", 1e9, 1.0, 1e-5}),
                         [](const ::testing::TestParamInfo<data_set>& param) {
                           std::string name = param.param.name;
                           for (char& c : name) {
                             if (c == ' ') c = '_';
                           }
                           return name;
                         });

TEST(NumericFault, TheTestDataDefeatsTheTextbookFormula) {
  // Offset 1e9, spread 1: the sum of squares cancels catastrophically, Welford does not.
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  std::vector<double> xs(50'000);
  for (double& x : xs) x = 1e9 + noise(rng);
  const long double ref = two_pass(xs, xs.size()).variance;
  EXPECT_GT(relative_error(textbook_variance(xs), ref), 1e-3);
  const auto var = coflow::run(xs, ops::variance() | sinks::last());
  ASSERT_TRUE(var.has_value());
  EXPECT_LT(relative_error(*var, ref), 1e-5);
}

// --- Never a negative variance -----------------------------------------------------------------

TEST(NumericFault, ManyIdenticalLargeValuesHaveExactlyZeroVariance) {
  // The textbook formula gives a small negative number (and stddev NaN) for these.
  for (double x : {1e9 + 0.3, 1e8 + 0.1, 123456789.123, 1e15 + 1, 3e300, -7.5e-300}) {
    const std::vector<double> xs(10'000, x);
    for (double v : outputs(xs, ops::variance())) ASSERT_EQ(v, 0.0) << x;
    for (double s : outputs(xs, ops::stddev())) ASSERT_EQ(s, 0.0) << x;
  }
  EXPECT_LT(textbook_variance(std::vector<double>(10'000, 1e9 + 0.3)), 0.0)
      << "values like these drive the textbook formula negative";
}

TEST(NumericFault, NearlyIdenticalValuesNeverGiveANegativeVariance) {
  std::mt19937_64 rng(99);
  for (double base : {1e15, 4.5e15, 1e300, 1.0}) {
    std::vector<double> xs(20'000);
    for (double& x : xs) {
      x = base;
      for (std::uint64_t k = rng() % 4; k > 0; --k) x = std::nextafter(x, rng() % 2 ? inf : -inf);
    }
    for (double v : outputs(xs, ops::variance())) {
      ASSERT_GE(v, 0.0) << base;
      ASSERT_FALSE(std::signbit(v)) << base;
    }
    for (double s : outputs(xs, ops::stddev())) ASSERT_FALSE(std::isnan(s)) << base;
  }
}

// --- Results that are representable though intermediates are not -----------------------------

TEST(NumericFault, TheDeviationOfAHugeOrTinySpreadIsFiniteAndNonZero) {
  // The variances 2e400 and 2e-340 are not doubles; the deviations are.
  const auto huge = coflow::run(std::vector{1e200, -1e200}, ops::stddev() | sinks::last());
  EXPECT_DOUBLE_EQ(huge.value(), std::sqrt(2.0) * 1e200);
  EXPECT_EQ(coflow::run(std::vector{1e200, -1e200}, ops::variance() | sinks::last()), inf);
  const auto tiny = coflow::run(std::vector{1e-170, -1e-170}, ops::stddev() | sinks::last());
  EXPECT_DOUBLE_EQ(tiny.value(), std::sqrt(2.0) * 1e-170);
}

TEST(NumericFault, CancellingValuesSumAndAverageExactly) {
  const std::vector<double> xs = {1e16, 1, -1e16};
  EXPECT_EQ(coflow::run(xs, sinks::sum()), 1.0);
  EXPECT_EQ(coflow::run(xs, ops::averager() | sinks::last()), 1.0 / 3);
}

TEST(NumericFault, ExtremeDoublesInEveryPositionKeepTheMeanFinite) {
  const std::vector<double> xs = {-big, big, big, -big, big, 5e-324, big};
  for (double m : outputs(xs, ops::averager())) EXPECT_TRUE(std::isfinite(m)) << m;
  EXPECT_DOUBLE_EQ(coflow::run(xs, ops::averager() | sinks::last()).value(), 2 * (big / 7));
}

}  // namespace
