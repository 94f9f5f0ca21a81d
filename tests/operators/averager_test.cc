#include "operators/averager.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <concepts>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <range/v3/view/iota.hpp>
#include <span>
#include <stdexcept>
#include <string>
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
#include "tests/support/exact.hpp"

namespace {

using coflow::ops::averager;

static_assert(std::same_as<decltype(averager()), coflow::ops::averager_stage>);
static_assert(coflow::stage_description<coflow::ops::averager_stage>);
static_assert(!coflow::sink_description<coflow::ops::averager_stage>);
// The mean is a double whatever the arithmetic input.
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, averager() | coflow::sinks::last())),
                 std::optional<double>>);
static_assert(std::same_as<decltype(coflow::run(std::vector<float>{},
                                                averager() | coflow::sinks::to_vector())),
                           std::vector<double>>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The Python averager, written with a receive point: answers nothing to the priming call,
// then the mean after each term. The plain incremental update, mean += (x - mean) / n.
coflow::coroutine<double, double> averager_coroutine() {
  double mean = 0;
  std::uint64_t count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    ++count;
    mean += (*term - mean) / static_cast<double>(count);
    average = mean;
  }
}

std::vector<double> random_values(std::size_t n, double lo, double hi, unsigned seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> xs(n);
  for (double& x : xs) x = dist(engine);
  return xs;
}

template <class T>
class AveragerTyped : public ::testing::Test {};
using ArithmeticTypes = ::testing::Types<int, double, float, std::int64_t, unsigned>;
TYPED_TEST_SUITE(AveragerTyped, ArithmeticTypes);

TYPED_TEST(AveragerTyped, OutputsTheRunningMeanAsDouble) {
  const std::vector<TypeParam> xs = {TypeParam(1), TypeParam(2), TypeParam(3), TypeParam(4)};
  const std::vector<double> means = coflow::run(xs, averager() | coflow::sinks::to_vector());
  EXPECT_EQ(means, (std::vector<double>{1.0, 1.5, 2.0, 2.5}));
}

TYPED_TEST(AveragerTyped, GivesNoMeanForAnEmptyStream) {
  const std::vector<TypeParam> none;
  EXPECT_EQ(coflow::run(none, averager() | coflow::sinks::last()), std::nullopt);
  EXPECT_TRUE(coflow::run(none, averager() | coflow::sinks::to_vector()).empty());
}

TEST(Averager, NeverOverflowsOnLargeInt64Values) {
  constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max();
  const std::vector<std::int64_t> xs = {big, big, big, big - 1};
  const std::optional<double> mean = coflow::run(xs, averager() | coflow::sinks::last());
  ASSERT_TRUE(mean.has_value());
  EXPECT_DOUBLE_EQ(*mean, 9223372036854775807.0);
  EXPECT_TRUE(std::isfinite(*mean));
}

TEST(Averager, AgreesWithTheCoroutineAveragerToItsRounding) {
  // The operator no longer uses the coroutine's incremental update (see averager.hpp), so the
  // two agree to the coroutine's rounding, not bit for bit; the exact reference is below.
  const std::vector<double> xs = random_values(1000, -1e6, 1e6, 42);
  const std::vector<double> from_operator =
      coflow::run(xs, averager() | coflow::sinks::to_vector());
  const std::vector<double> from_coroutine =
      coflow::run(xs, averager_coroutine() | coflow::sinks::to_vector());
  ASSERT_EQ(from_operator.size(), xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i)
    EXPECT_NEAR(from_operator[i], from_coroutine[i], 1e-6) << "after " << i + 1 << " values";
}

TEST(Averager, EveryRunningMeanIsWithinFourUlpOfTheExactOne) {
  const std::vector<double> xs = random_values(2000, -1e6, 1e6, 43);
  const std::vector<double> means = coflow::run(xs, averager() | coflow::sinks::to_vector());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    EXPECT_LE(
        coflow::testing::ulps(means[i], coflow::testing::exact_mean<coflow::testing::close_float>(
                                            std::span(xs).first(i + 1))),
        4)
        << "after " << i + 1 << " values";
  }
}

TEST(Averager, TheMeanOfAMillionValuesAtALargeOffsetIsWithinFourUlp) {
  // The incremental mean was 1.2e-5 (100 ulp) off for 1e9 + U(0, 1) over 10^6 values.
  const std::vector<double> unit = random_values(1'000'000, 0, 1, 44);
  std::vector<double> xs;
  for (double u : unit) xs.push_back(1e9 + u);
  const auto mean = coflow::run(xs, averager() | coflow::sinks::last());
  ASSERT_TRUE(mean.has_value());
  EXPECT_LE(
      coflow::testing::ulps(*mean, coflow::testing::exact_mean<coflow::testing::close_float>(xs)),
      4);
}

TEST(Averager, TheMeanOfCancellingValuesIsCorrectlyRounded) {
  EXPECT_EQ(coflow::run(std::vector{1e16, 1.0, -1e16}, averager() | coflow::sinks::last()),
            1.0 / 3);
}

TEST(Averager, AnswersLikeTheCoroutineDrivenByHand) {
  auto coro = averager_coroutine();
  auto p = coflow::open<double>(averager() | coflow::sinks::to_vector());
  EXPECT_EQ(coro.start(), std::nullopt);
  std::vector<double> replies;
  for (double x : {10.0, 20.0, 60.0, -10.0}) {
    p.send(x);
    replies.push_back(coro.send(x).value());
  }
  coro.close();
  EXPECT_EQ(replies, (std::vector<double>{10, 15, 30, 20}));
  EXPECT_EQ(p.close(), replies);
}

TEST(Averager, AgreesWithSumOverCountOnRandomData) {
  const std::vector<double> xs = random_values(10000, 0, 100, 7);
  const std::vector<double> means = coflow::run(xs, averager() | coflow::sinks::to_vector());
  ASSERT_EQ(means.size(), xs.size());
  long double total = 0;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    total += xs[i];
    EXPECT_NEAR(means[i], static_cast<double>(total / static_cast<long double>(i + 1)), 1e-9)
        << "after " << i + 1 << " values";
  }
}

TEST(Averager, RunsOverARangeV3View) {
  const std::optional<double> mean =
      coflow::run(ranges::views::iota(1, 6), averager() | coflow::sinks::last());
  EXPECT_EQ(mean, 3.0);
}

TEST(Averager, ComposesWithFilterTransformAndTake) {
  auto p = coflow::ops::filter([](int x) { return x % 2 == 0; }) |
           coflow::ops::transform([](int x) { return x * 10; }) | averager() |
           coflow::ops::take(3) | coflow::sinks::to_vector();
  // An infinite source: take(3) after the averager stops it.
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), (std::vector<double>{20, 30, 40}));
}

TEST(Averager, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<int>(averager() | coflow::sinks::last());
  p.send(10);
  p.send(20);
  EXPECT_FALSE(p.done());
  EXPECT_EQ(p.close(), 15.0);
  EXPECT_TRUE(p.done());
}

TEST(Averager, LetsAnUpstreamExceptionReachTheCaller) {
  auto p = coflow::ops::transform([](int x) {
             if (x == 3) throw std::runtime_error("bad reading");
             return x;
           }) |
           averager() | coflow::sinks::last();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3, 4}, p), std::runtime_error);
}

TEST(Averager, PropagatesNaNToEveryLaterMean) {
  const auto means =
      coflow::run(std::vector{1.0, nan, 2.0, 3.0}, averager() | coflow::sinks::to_vector());
  ASSERT_EQ(means.size(), 4u);
  EXPECT_EQ(means[0], 1.0);
  for (std::size_t i = 1; i < means.size(); ++i) EXPECT_TRUE(std::isnan(means[i])) << i;
}

TEST(Averager, KeepsAnInfiniteMeanWhenFiniteValuesFollow) {
  EXPECT_EQ(coflow::run(std::vector{1.0, inf, 2.0, 3.0}, averager() | coflow::sinks::to_vector()),
            (std::vector<double>{1.0, inf, inf, inf}));
  EXPECT_EQ(coflow::run(std::vector{-inf, 5.0}, averager() | coflow::sinks::to_vector()),
            (std::vector<double>{-inf, -inf}));
  EXPECT_EQ(coflow::run(std::vector{inf, inf}, averager() | coflow::sinks::to_vector()),
            (std::vector<double>{inf, inf}));
}

TEST(Averager, GivesNaNForOppositeInfinities) {
  const auto means =
      coflow::run(std::vector{inf, -inf, 1.0}, averager() | coflow::sinks::to_vector());
  ASSERT_EQ(means.size(), 3u);
  EXPECT_EQ(means[0], inf);
  EXPECT_TRUE(std::isnan(means[1]));
  EXPECT_TRUE(std::isnan(means[2]));
}

TEST(Averager, StaysFiniteWhenTheDifferenceOfFiniteValuesOverflows) {
  constexpr double top = std::numeric_limits<double>::max();
  const auto means =
      coflow::run(std::vector{top, -top, top, -top}, averager() | coflow::sinks::to_vector());
  ASSERT_EQ(means.size(), 4u);
  EXPECT_EQ(means[0], top);
  EXPECT_EQ(means[1], 0.0);
  EXPECT_DOUBLE_EQ(means[2], top / 3);
  // Exactly 0 in real arithmetic; rounding at this scale leaves an error relative to `top`.
  EXPECT_NEAR(means[3], 0.0, top * 1e-15);
}

}  // namespace
