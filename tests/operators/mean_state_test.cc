#include "operators/mean_state.hpp"

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
#include "operators/moments.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/run.hpp"
#include "tests/operators/moments_fixtures.hpp"
#include "tests/support/aggregate_states.hpp"
#include "tests/support/exact.hpp"

namespace {

using coflow::testing::bytes_of;

using coflow::mean_state;
using coflow::testing::exact_mean;
using coflow::testing::ulps;
using namespace coflow::moments_testing;

static_assert(coflow::serializable_aggregate<mean_state>);
static_assert(std::same_as<coflow::aggregate_result_t<mean_state>, mean_state>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double big = std::numeric_limits<double>::max();
constexpr double sub = std::numeric_limits<double>::denorm_min();

mean_state state_of(std::span<const double> xs) { return coflow::testing::folded<mean_state>(xs); }

mean_state state_of(std::initializer_list<double> xs) {
  return state_of(std::span<const double>(xs.begin(), xs.size()));
}

template <class F = coflow::testing::exact_float>
void expect_accurate(const mean_state& m, std::span<const double> xs, const char* what) {
  EXPECT_EQ(m.count(), xs.size()) << what;
  EXPECT_TRUE(mean_close(m.mean(), xs, exact_mean<F>(xs))) << what;
}

TEST(MeanState, OfNoValuesIsNaN) {
  EXPECT_EQ(mean_state{}.count(), 0u);
  EXPECT_TRUE(std::isnan(mean_state{}.mean()));
}

TEST(MeanState, TheMeanOfCancellingValuesIsCorrectlyRounded) {
  EXPECT_EQ(state_of({1e16, 1, -1e16}).mean(), 1.0 / 3);
  const std::vector<double> ys = {1e100, 3, -1e100, 1e-100};
  EXPECT_TRUE(mean_close(state_of(ys).mean(), ys, exact_mean(ys)));
}

TEST(MeanState, TheMeanOfAMillionValuesAtALargeOffsetIsWithinAFewUlp) {
  // The incremental mean of 1e9 + U(0, 1) was 1.2e-5 (100 ulp) off after 10^6 values.
  std::mt19937_64 engine(11);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<double> xs(1'000'000);
  for (double& x : xs) x = 1e9 + unit(engine);
  EXPECT_LE(ulps(state_of(xs).mean(), exact_mean<coflow::testing::close_float>(xs)), mean_ulps);
}

TEST(MeanState, IsAccurateOnRandomDataAtEveryScale) {
  unsigned seed = 20;
  for (double offset : {0.0, 1.0, -1e9, 1e12, 3e300, 1e-300}) {
    for (double sd : {1.0, 1e-6, 1e150, 1e-150, 1e290}) {
      if (std::fabs(offset) * 1e-10 > sd || std::fabs(offset) + 10 * sd > big) continue;
      const std::vector<double> xs = normal_values(20000, offset, sd, ++seed);
      expect_accurate<coflow::testing::close_float>(state_of(xs), xs, "random");
    }
  }
}

TEST(MeanState, AgreesWithMomentsToTheirCommonBound) {
  // moments computes the same mean in scaled units; both are within the bound, so within 8 ulp
  // of each other.
  const std::vector<double> xs = normal_values(5000, 1e6, 1e3, 3);
  coflow::moments m;
  mean_state s;
  for (double x : xs) {
    m.add(x);
    s.add(x);
    ASSERT_LE(std::fabs(s.mean() - m.mean()), 8 * 0x1p-53 * std::fabs(m.mean()));
  }
}

TEST(MeanState, StaysAccurateWhereTheCountPassesTheFastPathsLimit) {
  // mean() computes its remainder with Dekker's product below 2^26 values and with an fma
  // from there on: both sides of the limit, against the exact mean (the sums are integers
  // below 2^64, exact in a long double).
  mean_state m;
  long double exact_sum = 0;
  const std::uint64_t limit = std::uint64_t{1} << 26;
  for (std::uint64_t i = 0; i < limit + 3; ++i) {
    const double x = 1e9 + static_cast<double>(i % 7);
    m.add(x);
    exact_sum += x;
    const std::uint64_t n = i + 1;
    if (n == 1000 || n == limit - 1 || n == limit || n == limit + 3) {
      const double want = static_cast<double>(exact_sum / static_cast<long double>(n));
      EXPECT_LE(std::fabs(m.mean() - want), 2 * 0x1p-53 * want) << "after " << n << " values";
    }
  }
}

// --- Values far apart: the scaled units ------------------------------------------------------

TEST(MeanState, HandlesTheExtremesOfDouble) {
  expect_accurate(state_of({big, big, big}), std::vector<double>{big, big, big}, "max");
  EXPECT_EQ(state_of({big, -big}).mean(), 0);
  EXPECT_EQ(state_of({-big, big, big}).mean(), big / 3);
  const std::vector<double> near_top = {-big, big, big, big, 0.5 * big};
  expect_accurate(state_of(near_top), near_top, "near the top");
  EXPECT_EQ(state_of({sub, 2 * sub, 3 * sub, sub}).mean(), 1.75 * sub);
  const std::vector<double> mixed = {sub, 1e308, -1e308, 1e-300};
  expect_accurate(state_of(mixed), mixed, "subnormals and 1e308");
  const std::vector<double> spread = {1e-300, 1e300, -1e290, 3.5, -1e300, 1e270};
  expect_accurate(state_of(spread), spread, "far apart, then near");
}

TEST(MeanState, HandlesTheExtremesOfInt64AsDoubles) {
  const double top = static_cast<double>(std::numeric_limits<std::int64_t>::max());
  const double bottom = static_cast<double>(std::numeric_limits<std::int64_t>::min());
  const std::vector<double> xs = {top, bottom, top, bottom, top};
  expect_accurate(state_of(xs), xs, "int64 extremes");
  EXPECT_EQ(state_of({top, bottom}).mean(), 0);
}

TEST(MeanState, KeepsTheSignOfNegativeZero) {
  EXPECT_TRUE(std::signbit(state_of({-0.0}).mean()));
  EXPECT_TRUE(std::signbit(state_of({-0.0, -0.0}).mean()));
}

TEST(MeanState, FollowsIEEERulesForNonFiniteValues) {
  EXPECT_EQ(state_of({1, inf, 2}).mean(), inf);
  EXPECT_EQ(state_of({-inf, 5}).mean(), -inf);
  EXPECT_TRUE(std::isnan(state_of({inf, -inf, 1}).mean()));
  EXPECT_TRUE(std::isnan(state_of({1, nan, 2}).mean()));
  EXPECT_EQ(state_of({1, inf, 2}).count(), 3u);
}

// --- Merge -----------------------------------------------------------------------------------

TEST(MeanState, MergedRandomSplitsEqualTheWholeStream) {
  std::mt19937_64 engine(7);
  unsigned seed = 40;
  for (double offset : {0.0, 1e9, -1e15, 1e200}) {
    for (double sd : {1.0, 1e-3, 1e190, 1e300}) {
      if (std::fabs(offset) * 1e-10 > sd) continue;
      const std::vector<double> xs = normal_values(3000, offset, sd, ++seed);
      for (std::size_t k = 1; k <= 8; ++k) {
        mean_state merged;
        for (const mean_state& part : random_parts<mean_state>(xs, k, engine)) merged.merge(part);
        expect_accurate<coflow::testing::close_float>(merged, xs, "merged");
      }
    }
  }
}

TEST(MeanState, ReconcilesTheShiftsOfVeryDifferentParts) {
  const std::vector<double> xs = {1e-170, -1e-170, 3e-170, 1e300, -1e300, 1e15, 1e15 + 0.5, -big};
  for (std::size_t cut = 0; cut <= xs.size(); ++cut) {
    mean_state a = state_of(std::span(xs).first(cut));
    a.merge(state_of(std::span(xs).subspan(cut)));
    expect_accurate(a, xs, "two parts");
  }
}

TEST(MeanState, MergesWithEmptyStatesAndWithItself) {
  const mean_state m = state_of({1, 2, 4});
  mean_state a = m;
  a.merge(mean_state{});
  EXPECT_EQ(a, m);
  mean_state b;
  b.merge(m);
  EXPECT_EQ(b, m);
  mean_state c = m;
  c.merge(c);
  expect_accurate(c, std::vector<double>{1, 2, 4, 1, 2, 4}, "merged with itself");
}

TEST(MeanState, MergesNonFiniteValuesByIEEERules) {
  mean_state a = state_of({1, inf});
  a.merge(state_of({2, 3}));
  EXPECT_EQ(a.mean(), inf);
  EXPECT_EQ(a.count(), 4u);
  a.merge(state_of({-inf}));
  EXPECT_TRUE(std::isnan(a.mean()));
  mean_state b = state_of({nan});
  b.merge(state_of({1, 2}));
  EXPECT_TRUE(std::isnan(b.mean()));
}

// --- Bytes -----------------------------------------------------------------------------------

TEST(MeanState, RoundTripsThroughBytesBitForBit) {
  for (const mean_state& m :
       {mean_state{}, state_of({1}), state_of({-0.0}), state_of({1e15, 1e15 + 1, 1e15 + 3}),
        state_of({1e300, -1e300, 2}), state_of({1e-170, -1e-170}), state_of({1, nan}),
        state_of({inf, 2}), state_of({sub, big})}) {
    const auto bytes = bytes_of(m);
    const mean_state back = mean_state::deserialize(bytes);
    EXPECT_EQ(bytes_of(back), bytes);
    EXPECT_EQ(back.count(), m.count());
    EXPECT_EQ(back == m, !std::isnan(m.mean()) || m.count() == 0);  // NaN != NaN
    // A restored state goes on as the original does.
    mean_state more = back;
    mean_state original = m;
    more.add(7);
    original.add(7);
    EXPECT_EQ(bytes_of(more), bytes_of(original));
  }
}

TEST(MeanState, RejectsBytesThatAreNotAValidState) {
  const auto bytes = bytes_of(state_of({1, 2, 3}));
  auto truncated = bytes;
  truncated.pop_back();
  EXPECT_THROW((void)mean_state::deserialize(truncated), coflow::format_error);
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_THROW((void)mean_state::deserialize(longer), coflow::format_error);
  // The finite count (second u64 after the header) above the count.
  auto broken = bytes;
  const std::size_t header = 8 + std::string_view("coflow.mean_state").size() + 4;
  broken[header + 8] = std::byte{9};
  EXPECT_THROW((void)mean_state::deserialize(broken), coflow::format_error);
  std::vector<std::byte> moments_bytes;
  coflow::moments{}.serialize(moments_bytes);
  EXPECT_THROW((void)mean_state::deserialize(moments_bytes), coflow::format_error);
}

TEST(MeanState, RunsAsAPipelineAggregate) {
  const std::vector<double> xs = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_EQ(coflow::run(xs, coflow::sinks::aggregate(mean_state{})).mean(), 5);
  const auto last = coflow::run(xs, coflow::ops::aggregate(mean_state{}) | coflow::sinks::last());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->count(), 8u);
}

}  // namespace
