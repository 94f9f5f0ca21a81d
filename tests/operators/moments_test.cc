#include "operators/moments.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <random>
#include <span>
#include <string_view>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/last.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/run.hpp"
#include "tests/operators/moments_fixtures.hpp"
#include "tests/support/aggregate_states.hpp"
#include "tests/support/exact.hpp"

namespace {

using coflow::testing::bytes_of;

using coflow::moments;
using coflow::testing::exact_mean;
using coflow::testing::exact_stddev;
using coflow::testing::exact_variance;
using coflow::testing::relative;
using coflow::testing::ulps;
using namespace coflow::moments_testing;

static_assert(coflow::serializable_aggregate<moments>);
static_assert(std::same_as<coflow::aggregate_result_t<moments>, moments>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double big = std::numeric_limits<double>::max();
constexpr double sub = std::numeric_limits<double>::denorm_min();

// What the library guarantees (see moments.hpp) besides the mean's bound (mean_close): the
// variance and deviation within 1e-12 relative error.
constexpr double spread_relative = 1e-12;

moments state_of(std::span<const double> xs) { return coflow::testing::folded<moments>(xs); }

moments state_of(std::initializer_list<double> xs) {
  return state_of(std::span<const double>(xs.begin(), xs.size()));
}

// Whether `got` is the double `want` rounds to, to `tolerance` relative error: +inf past the
// largest double, within 1 ulp where `want` is subnormal.
template <class F>
::testing::AssertionResult close(double got, const F& want, double tolerance) {
  const double rounded = static_cast<double>(want);
  bool ok;
  if (std::isinf(rounded)) {
    ok = got == rounded;
  } else if (std::fabs(rounded) < std::numeric_limits<double>::min()) {
    ok = ulps(got, want) <= 1;
  } else {
    ok = relative(got, want) <= tolerance;
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "got " << got << ", want " << rounded
                                       << " (relative error " << relative(got, want) << ")";
}

template <class F = coflow::testing::exact_float>
void expect_accurate(const moments& m, std::span<const double> xs, const char* what) {
  EXPECT_EQ(m.count(), xs.size()) << what;
  EXPECT_TRUE(mean_close(m.mean(), xs, exact_mean<F>(xs))) << what;
  if (xs.size() >= 2) {
    EXPECT_TRUE(close(m.variance(), exact_variance<F>(xs), spread_relative)) << what;
    EXPECT_TRUE(close(m.stddev(), exact_stddev<F>(xs), spread_relative)) << what;
    EXPECT_TRUE(close(m.population_variance(), exact_variance<F>(xs, 0), spread_relative)) << what;
    EXPECT_TRUE(close(m.population_stddev(), exact_stddev<F>(xs, 0), spread_relative)) << what;
  }
}

// --- The measured defects of the plain algorithms --------------------------------------------

TEST(Moments, KeepsEveryDigitUnderALargeOffset) {
  const std::vector<double> stream = offset_quarters();
  expect_accurate<coflow::testing::close_float>(state_of(stream), stream, "1e15 + quarters");
  std::vector<double> xs;
  for (int i = 0; i <= 6; ++i) xs.push_back(1e15 + i * 0.25);
  const moments m = state_of(xs);
  EXPECT_EQ(m.mean(), 1e15 + 0.75);
  EXPECT_LE(ulps(m.stddev(), exact_stddev(xs)), 1);
  EXPECT_LE(ulps(m.variance(), exact_variance(xs)), 1);
  expect_accurate(m, xs, "1e15 + quarters");
}

TEST(Moments, GivesARepresentableDeviationWhoseVarianceOverflows) {
  const std::vector<double> xs = {1e200, -1e200};
  const moments m = state_of(xs);
  EXPECT_EQ(m.variance(), inf) << "2e400 is not a double";
  EXPECT_LE(ulps(m.stddev(), exact_stddev(xs)), 1) << m.stddev();
  EXPECT_LE(ulps(m.population_stddev(), exact_stddev(xs, 0)), 1);
  EXPECT_EQ(m.mean(), 0);
}

TEST(Moments, GivesARepresentableDeviationWhoseVarianceUnderflows) {
  const std::vector<double> xs = {1e-170, -1e-170};
  const moments m = state_of(xs);
  EXPECT_EQ(m.variance(), 0) << "2e-340 is below the smallest subnormal";
  EXPECT_LE(ulps(m.stddev(), exact_stddev(xs)), 1) << m.stddev();
  EXPECT_EQ(m.mean(), 0);
}

TEST(Moments, TheMeanOfCancellingValuesIsCorrectlyRounded) {
  const std::vector<double> xs = {1e16, 1, -1e16};
  EXPECT_EQ(state_of(xs).mean(), 1.0 / 3);
  // Beyond what one compensation term holds, the documented bound still applies.
  const std::vector<double> ys = {1e100, 3, -1e100, 1e-100};
  EXPECT_TRUE(mean_close(state_of(ys).mean(), ys, exact_mean(ys)));
}

TEST(Moments, TheMeanOfAMillionValuesAtALargeOffsetIsWithinAFewUlp) {
  // The incremental mean of 1e9 + U(0, 1) was 1.2e-5 (100 ulp) off after 10^6 values.
  std::mt19937_64 engine(11);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> xs(1'000'000);
  for (double& x : xs) x = 1e9 + unit(engine);
  const moments m = state_of(xs);
  using coflow::testing::close_float;
  EXPECT_LE(ulps(m.mean(), exact_mean<close_float>(xs)), mean_ulps);
  EXPECT_LE(relative(m.stddev(), exact_stddev<close_float>(xs)), spread_relative);
}

// --- Accuracy on random data -----------------------------------------------------------------

TEST(Moments, IsAccurateOnRandomDataAtEveryScale) {
  unsigned seed = 20;
  for (double offset : {0.0, 1.0, -1e9, 1e12, 3e300, 1e-300}) {
    for (double sd : {1.0, 1e-6, 1e150, 1e-150}) {
      if (std::fabs(offset) * 1e-10 > sd || std::fabs(offset) + 10 * sd > big) continue;
      const std::vector<double> xs = normal_values(20000, offset, sd, ++seed);
      expect_accurate<coflow::testing::close_float>(state_of(xs), xs, "random");
    }
  }
}

// --- Merge -----------------------------------------------------------------------------------

TEST(Moments, MergedRandomSplitsEqualTheWholeStream) {
  std::mt19937_64 engine(7);
  unsigned seed = 40;
  for (double offset : {0.0, 1e9, -1e15, 1e200}) {
    for (double sd : {1.0, 1e-3, 1e190}) {
      if (std::fabs(offset) * 1e-10 > sd) continue;
      const std::vector<double> xs = normal_values(3000, offset, sd, ++seed);
      for (std::size_t k = 1; k <= 8; ++k) {
        moments merged;
        for (const moments& part : random_parts<moments>(xs, k, engine)) merged.merge(part);
        expect_accurate<coflow::testing::close_float>(merged, xs, "merged");
      }
    }
  }
}

TEST(Moments, MergeIsAssociative) {
  const std::vector<double> xs = normal_values(3000, 1e9, 2, 50);
  std::mt19937_64 engine(8);
  const std::vector<moments> p = random_parts<moments>(xs, 3, engine);
  moments left = p[0];
  left.merge(p[1]);
  left.merge(p[2]);
  moments tail = p[1];
  tail.merge(p[2]);
  moments right = p[0];
  right.merge(tail);
  expect_accurate(left, xs, "(a b) c");
  expect_accurate(right, xs, "a (b c)");
  EXPECT_LE(std::fabs(left.stddev() - right.stddev()), 1e-14 * left.stddev());
}

TEST(Moments, ReconcilesTheShiftsAndScalesOfVeryDifferentParts) {
  const std::vector<double> xs = {1e-170, -1e-170, 3e-170, 1e200, -1e200, 1e15, 1e15 + 0.5};
  for (std::size_t cut = 0; cut <= xs.size(); ++cut) {
    moments a = state_of(std::span(xs).first(cut));
    a.merge(state_of(std::span(xs).subspan(cut)));
    expect_accurate(a, xs, "two parts");
  }
}

TEST(Moments, MergesWithEmptyStatesAndWithItself) {
  const moments m = state_of({1, 2, 4});
  moments a = m;
  a.merge(moments{});
  EXPECT_EQ(bytes_of(a), bytes_of(m));
  moments b;
  b.merge(m);
  EXPECT_EQ(bytes_of(b), bytes_of(m));
  moments c = m;
  c.merge(c);
  const std::vector<double> twice = {1, 2, 4, 1, 2, 4};
  expect_accurate(c, twice, "merged with itself");
  moments none;
  none.merge(none);
  EXPECT_EQ(none.count(), 0u);
  EXPECT_TRUE(std::isnan(none.mean()));
}

TEST(Moments, MergesNonFiniteValuesByIEEERules) {
  moments a = state_of({1, inf});
  a.merge(state_of({2, 3}));
  EXPECT_EQ(a.mean(), inf);
  EXPECT_TRUE(std::isnan(a.variance()));
  EXPECT_EQ(a.count(), 4u);
  a.merge(state_of({-inf}));
  EXPECT_TRUE(std::isnan(a.mean()));
  moments b = state_of({nan});
  b.merge(state_of({1, 2}));
  EXPECT_TRUE(std::isnan(b.mean()));
  moments only = state_of({-inf});
  only.merge(state_of({-inf}));
  EXPECT_EQ(only.mean(), -inf);
}

// --- Edge values -----------------------------------------------------------------------------

TEST(Moments, HandlesTheExtremesOfDouble) {
  expect_accurate(state_of({big, big, big}), std::vector<double>{big, big, big}, "max");
  EXPECT_EQ(state_of({big, -big}).mean(), 0);
  EXPECT_EQ(state_of({big, -big}).stddev(), inf) << "sqrt(2) * max is not a double";
  EXPECT_EQ(state_of({-big, big, big}).mean(), big / 3);
  const std::vector<double> near_top = {-big, big, big, big, 0.5 * big};
  expect_accurate(state_of(near_top), near_top, "near the top");
  const std::vector<double> subs = {sub, 2 * sub, 3 * sub, sub};
  EXPECT_EQ(state_of(subs).mean(), 1.75 * sub);
  EXPECT_GT(state_of(subs).stddev(), 0);
  const std::vector<double> mixed = {sub, 1e308, -1e308, 1e-300};
  expect_accurate(state_of(mixed), mixed, "subnormals and 1e308");
}

TEST(Moments, HandlesTheExtremesOfInt64AsDoubles) {
  const double top = static_cast<double>(std::numeric_limits<std::int64_t>::max());
  const double bottom = static_cast<double>(std::numeric_limits<std::int64_t>::min());
  const std::vector<double> xs = {top, bottom, top, bottom, top};
  expect_accurate(state_of(xs), xs, "int64 extremes");
  EXPECT_EQ(state_of({top, bottom}).mean(), 0);
}

TEST(Moments, KeepsTheSignOfASingleNegativeZero) {
  EXPECT_TRUE(std::signbit(state_of({-0.0}).mean()));
}

TEST(Moments, HasNoSampleVarianceForOneValue) {
  const moments m = state_of({5});
  EXPECT_TRUE(std::isnan(m.variance()));
  EXPECT_TRUE(std::isnan(m.stddev()));
  EXPECT_EQ(m.population_variance(), 0);
  EXPECT_EQ(m.mean(), 5);
}

TEST(Moments, TheDeviationIsTheSquareRootOfTheVarianceBitForBit) {
  const std::vector<double> xs = normal_values(500, 3, 1e-3, 60);
  moments m;
  for (double x : xs) {
    m.add(x);
    if (m.count() >= 2) {
      EXPECT_EQ(m.stddev(), std::sqrt(m.variance()));
    }
  }
}

// --- Bytes -----------------------------------------------------------------------------------

TEST(Moments, RoundTripsThroughBytesBitForBit) {
  for (const moments& m :
       {moments{}, state_of({1}), state_of({-0.0}), state_of({1e15, 1e15 + 1, 1e15 + 3}),
        state_of({1e200, -1e200}), state_of({1e-170, -1e-170}), state_of({1, nan}),
        state_of({inf, 2}), state_of({sub, big})}) {
    const auto bytes = bytes_of(m);
    const moments back = moments::deserialize(bytes);
    EXPECT_EQ(bytes_of(back), bytes);
    EXPECT_EQ(back.count(), m.count());
  }
}

TEST(Moments, RejectsBytesThatAreNotAValidState) {
  auto bytes = bytes_of(state_of({1, 2, 3}));
  auto truncated = bytes;
  truncated.pop_back();
  EXPECT_THROW((void)moments::deserialize(truncated), coflow::format_error);
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_THROW((void)moments::deserialize(longer), coflow::format_error);
  // The finite count (second u64 after the header) above the count.
  auto broken = bytes;
  const std::size_t header = 8 + std::string_view("coflow.moments").size() + 4;
  broken[header + 8] = std::byte{9};
  EXPECT_THROW((void)moments::deserialize(broken), coflow::format_error);
  std::vector<std::byte> other;
  coflow::byte_writer(other).header("coflow.counter", 1);
  EXPECT_THROW((void)moments::deserialize(other), coflow::format_error);
}

// --- In pipelines ----------------------------------------------------------------------------

TEST(Moments, RunsAsAPipelineAggregate) {
  const std::vector<double> xs = {2, 4, 4, 4, 5, 5, 7, 9};
  const moments m = coflow::run(xs, coflow::sinks::aggregate(moments{}));
  EXPECT_EQ(m.mean(), 5);
  EXPECT_EQ(m.population_stddev(), 2);
  const auto last = coflow::run(xs, coflow::ops::aggregate(moments{}) | coflow::sinks::last());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->variance(), 32.0 / 7);
}

}  // namespace
