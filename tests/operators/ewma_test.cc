#include "operators/ewma.hpp"

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
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"

namespace {

using coflow::ops::ewma;

static_assert(std::same_as<decltype(ewma(0.5)), coflow::ops::ewma_stage>);
static_assert(coflow::stage_description<coflow::ops::ewma_stage>);
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, ewma(0.5) | coflow::sinks::last())),
                 std::optional<double>>);
// alpha has no default: a smoothing factor is the caller's choice.
static_assert(!std::invocable<decltype(&coflow::ops::ewma)>);
static_assert(std::invocable<decltype(&coflow::ops::ewma), double>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The Python-style EWMA: the first value starts it, then s = alpha * x + (1 - alpha) * s.
coflow::coroutine<double, double> ewma_coroutine(double alpha) {
  std::optional<double> s;
  while (auto x = co_yield s) s = s ? alpha * *x + (1 - alpha) * *s : *x;
}

template <class T>
class EwmaTyped : public ::testing::Test {};
using ArithmeticTypes = ::testing::Types<int, double, float, std::int64_t>;
TYPED_TEST_SUITE(EwmaTyped, ArithmeticTypes);

TYPED_TEST(EwmaTyped, StartsAtTheFirstValueThenSmooths) {
  const std::vector<TypeParam> xs = {TypeParam(10), TypeParam(20), TypeParam(20), TypeParam(0)};
  EXPECT_EQ(coflow::run(xs, ewma(0.5) | coflow::sinks::to_vector()),
            (std::vector<double>{10, 15, 17.5, 8.75}));
}

TYPED_TEST(EwmaTyped, OutputsNothingForAnEmptyStream) {
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{}, ewma(0.3) | coflow::sinks::last()), std::nullopt);
}

TYPED_TEST(EwmaTyped, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(ewma(0.25) | coflow::sinks::to_vector());
  p.send(TypeParam(8));
  p.send(TypeParam(16));
  p.send(TypeParam(0));
  EXPECT_EQ(p.close(), (std::vector<double>{8, 10, 7.5}));
}

TEST(Ewma, MatchesTheCoroutineEwmaExactly) {
  std::mt19937_64 engine(17);
  std::uniform_real_distribution<double> dist(-50, 50);
  std::vector<double> xs(1000);
  for (double& x : xs) x = dist(engine);
  for (const double alpha : {0.01, 0.1, 0.5, 0.9, 1.0}) {
    const auto from_operator = coflow::run(xs, ewma(alpha) | coflow::sinks::to_vector());
    const auto from_coroutine = coflow::run(xs, ewma_coroutine(alpha) | coflow::sinks::to_vector());
    ASSERT_EQ(from_operator.size(), xs.size());
    EXPECT_EQ(from_operator, from_coroutine) << "alpha " << alpha;
  }
}

TEST(Ewma, WithAlphaOneOutputsTheInput) {
  EXPECT_EQ(coflow::run(std::vector{3.0, -1.0, 7.5}, ewma(1.0) | coflow::sinks::to_vector()),
            (std::vector<double>{3.0, -1.0, 7.5}));
}

TEST(Ewma, RejectsAnAlphaOutsideTheUnitIntervalAtTheCall) {
  for (const double alpha : {0.0, -0.0, -0.5, 1.0000001, 2.0, inf, -inf, nan}) {
    EXPECT_THROW((void)ewma(alpha), std::invalid_argument) << "alpha " << alpha;
  }
}

TEST(Ewma, NamesItselfAndTheBadAlphaInTheError) {
  try {
    (void)ewma(1.5);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("coflow::ops::ewma"), std::string::npos) << what;
    EXPECT_NE(what.find("1.5"), std::string::npos) << what;
  }
}

TEST(Ewma, AcceptsTheEndsOfTheInterval) {
  EXPECT_EQ(ewma(1.0).alpha(), 1.0);
  const double tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(ewma(tiny).alpha(), tiny);
  // Almost no weight on new values: the average stays at the first one.
  EXPECT_EQ(coflow::run(std::vector{4.0, 1e6, -1e6}, ewma(tiny) | coflow::sinks::last()), 4.0);
}

TEST(Ewma, StartsFreshEachTimeTheDescriptionIsRun) {
  const auto smooth = ewma(0.5) | coflow::sinks::last();
  EXPECT_EQ(coflow::run(std::vector{100.0, 0.0}, smooth), 50.0);
  EXPECT_EQ(coflow::run(std::vector{2.0}, smooth), 2.0);
}

TEST(Ewma, PropagatesNaN) {
  const auto out =
      coflow::run(std::vector{1.0, nan, 2.0, 3.0}, ewma(0.5) | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], 1.0);
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_TRUE(std::isnan(out[i])) << i;
}

TEST(Ewma, KeepsAnInfiniteAverageWhenFiniteValuesFollow) {
  EXPECT_EQ(coflow::run(std::vector{1.0, inf, 2.0, 3.0}, ewma(0.5) | coflow::sinks::to_vector()),
            (std::vector<double>{1.0, inf, inf, inf}));
  EXPECT_EQ(coflow::run(std::vector{-inf, 2.0}, ewma(0.9) | coflow::sinks::to_vector()),
            (std::vector<double>{-inf, -inf}));
}

TEST(Ewma, GivesNaNForOppositeInfinities) {
  const auto out = coflow::run(std::vector{inf, -inf, 1.0}, ewma(0.5) | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0], inf);
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));
}

TEST(Ewma, WithAlphaOneForgetsAnInfinity) {
  EXPECT_EQ(coflow::run(std::vector{inf, 2.0}, ewma(1.0) | coflow::sinks::to_vector()),
            (std::vector<double>{inf, 2.0}));
}

TEST(Ewma, RunsOverARangeV3View) {
  // 1, then 0.5 * 2 + 0.5 * 1 = 1.5, 2.25, 3.125, 4.0625.
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), ewma(0.5) | coflow::sinks::to_vector()),
            (std::vector<double>{1, 1.5, 2.25, 3.125, 4.0625}));
}

TEST(Ewma, ComposesWithFilterTransformAndTake) {
  // Even numbers 2, 4, 6 doubled: 4, 8, 12 -> 4, 6, 9; take(3) stops the infinite source.
  auto p = coflow::ops::filter([](int x) { return x % 2 == 0; }) |
           coflow::ops::transform([](int x) { return 2 * x; }) | ewma(0.5) | coflow::ops::take(3) |
           coflow::sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), (std::vector<double>{4, 6, 9}));
}

TEST(Ewma, LetsAnUpstreamExceptionReachTheCaller) {
  auto p = coflow::ops::transform([](int x) {
             if (x == 3) throw std::runtime_error("bad reading");
             return x;
           }) |
           ewma(0.5) | coflow::sinks::last();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

}  // namespace
