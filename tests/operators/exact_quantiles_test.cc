#include "operators/exact_quantiles.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/last.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/run.hpp"

namespace {

using coflow::exact_quantiles;

static_assert(coflow::mergeable_aggregate<exact_quantiles<double>>);
static_assert(coflow::serializable_aggregate<exact_quantiles<double>>);
static_assert(coflow::serializable_aggregate<exact_quantiles<float>>);
static_assert(coflow::serializable_aggregate<exact_quantiles<std::int64_t>>);
static_assert(coflow::serializable_aggregate<exact_quantiles<std::uint8_t>>);
static_assert(
    std::same_as<coflow::aggregate_result_t<exact_quantiles<int>>, std::optional<double>>);
static_assert(!coflow::quantile_value<bool>);
static_assert(!coflow::quantile_value<long double>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

exact_quantiles<double> of(const std::vector<double>& xs) {
  exact_quantiles<double> state;
  for (double x : xs) state.add(x);
  return state;
}

// The type-7 quantile written out on a sorted copy: the reference.
double reference_quantile(std::vector<double> xs, double q) {
  std::sort(xs.begin(), xs.end());
  const double h = static_cast<double>(xs.size() - 1) * q;
  const auto below = static_cast<std::size_t>(h);
  if (below + 1 >= xs.size()) return xs.back();
  return xs[below] + (h - static_cast<double>(below)) * (xs[below + 1] - xs[below]);
}

// datamash computes in long double and prints 17 digits; ours is double.
void expect_close(std::optional<double> got, double want) {
  ASSERT_TRUE(got.has_value());
  EXPECT_NEAR(*got, want, 1e-12 * std::max(1.0, std::abs(want))) << "want " << want;
}

struct datamash_case {
  std::vector<double> input;
  // median, q1, q3, perc:90, and one more percentile `p` with its answer.
  double median, q1, q3, p90;
  double p, at_p;
};

TEST(ExactQuantiles, AgreesWithDatamashOnSmallInputs) {
  // Each row was computed once with GNU datamash 1.7:
  //   printf '<input, one a line>' | datamash --format '%.17g' median 1 q1 1 q3 1 perc:90 1
  //   perc:<p> 1
  const std::vector<datamash_case> cases = {
      {{1, 2, 3, 4}, 2.5, 1.75, 3.25, 3.7000000000000002, 10, 1.3},
      {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5.5, 3.25, 7.75, 9.1, 1, 1.09},
      {{-2.5, 7, 7, 0, 1e3, -40, 3.25},
       3.25,
       -1.25,
       7,
       404.20000000000035,
       33,
       -0.050000000000000044},
      {{-2.5, 7, 7, 0, 1e3, -40, 3.25}, 3.25, -1.25, 7, 404.20000000000035, 99, 940.41999999999951},
      {{5}, 5, 5, 5, 5, 50, 5},
      {{3, 1}, 2, 1.5, 2.5, 2.8, 25, 1.5},
      {{4, 4, 4, 1, 9, 4, 4}, 4, 4, 4, 6.0000000000000018, 5, 1.9000000000000001},
      {{0.1, 0.7, 0.3, 0.2}, 0.25, 0.175, 0.4, 0.58000000000000007, 37, 0.21099999999999999},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(::testing::Message() << "input of " << c.input.size() << " values, p " << c.p);
    const auto state = of(c.input);
    expect_close(state.median(), c.median);
    expect_close(state.quantile(0.25), c.q1);
    expect_close(state.quantile(0.75), c.q3);
    expect_close(state.quantile(0.9), c.p90);
    expect_close(state.quantile(c.p / 100), c.at_p);
  }
}

TEST(ExactQuantiles, AgreesWithASortedReference) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal(10, 3);
  std::vector<double> xs;
  exact_quantiles<double> state;
  for (int i = 0; i < 10'001; ++i) {
    xs.push_back(normal(rng));
    state.add(xs.back());
    if (i % 2500 == 0) {  // queries between adds: the sorted prefix and the new tail merge
      EXPECT_EQ(state.quantile(0.3), reference_quantile(xs, 0.3));
    }
  }
  for (double q = 0; q <= 1.0; q += 1.0 / 64)
    EXPECT_EQ(state.quantile(q), reference_quantile(xs, q)) << q;
  EXPECT_EQ(state.size(), xs.size());
}

TEST(ExactQuantiles, EndsAreTheMinimumAndTheMaximum) {
  const auto state = of({3, -7.5, 12, 0, 12, -7.5});
  EXPECT_EQ(state.quantile(0), -7.5);
  EXPECT_EQ(state.quantile(1), 12);
  EXPECT_EQ(state.median(), 1.5);
}

TEST(ExactQuantiles, OneValueIsEveryQuantile) {
  const auto state = of({-4});
  for (double q : {0.0, 0.1, 0.5, 0.99, 1.0}) EXPECT_EQ(state.quantile(q), -4) << q;
}

TEST(ExactQuantiles, TwoValuesInterpolate) {
  const auto state = of({10, 2});
  EXPECT_EQ(state.quantile(0), 2);
  EXPECT_EQ(state.quantile(0.25), 4);
  EXPECT_EQ(state.median(), 6);
  EXPECT_EQ(state.quantile(1), 10);
}

TEST(ExactQuantiles, DuplicatesDoNotInterpolate) {
  const auto state = of({7, 7, 7, 7, 7, 1});
  EXPECT_EQ(state.quantile(0.2), 7);
  EXPECT_EQ(state.quantile(0.1), 4);  // h = 0.5 between 1 and 7
  EXPECT_EQ(state.median(), 7);
}

TEST(ExactQuantiles, InfinitiesAreOrderedAndKept) {
  const auto state = of({1, inf, -inf, 2});
  EXPECT_EQ(state.quantile(0), -inf);
  EXPECT_EQ(state.quantile(1), inf);
  EXPECT_EQ(state.median(), 1.5);
  // Between -inf and 1: -inf (datamash's a + f * (b - a) gives NaN here).
  EXPECT_EQ(state.quantile(0.25), -inf);
  EXPECT_EQ(state.quantile(0.75), inf);
  EXPECT_EQ(of({inf, inf}).median(), inf);
  EXPECT_TRUE(std::isnan(*of({-inf, inf}).median()));
}

TEST(ExactQuantiles, NaNsAreCountedAndExcluded) {
  auto state = of({nan, 3, nan, 1, 2});
  EXPECT_EQ(state.size(), 3u);
  EXPECT_EQ(state.nan_count(), 2u);
  EXPECT_EQ(state.median(), 2);
  EXPECT_EQ(state.quantile(1), 3);
  const auto only_nans = of({nan});
  EXPECT_EQ(only_nans.median(), std::nullopt);
  EXPECT_EQ(only_nans.nan_count(), 1u);
}

TEST(ExactQuantiles, NoValuesHaveNoQuantile) {
  const exact_quantiles<double> state;
  EXPECT_EQ(state.quantile(0.5), std::nullopt);
  EXPECT_EQ(state.result(), std::nullopt);
  EXPECT_EQ(state.rank(1), 0.0);
}

TEST(ExactQuantiles, RejectsQOutsideTheUnitIntervalNamingIt) {
  const auto state = of({1, 2});
  for (double q : {-0.01, 1.5, nan, inf}) {
    try {
      (void)state.quantile(q);
      ADD_FAILURE() << "no exception for q = " << q;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("q = "), std::string::npos) << e.what();
    }
  }
  try {
    (void)state.quantile(1.5);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("1.5"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)exact_quantiles<double>{}.quantile(-1), std::invalid_argument);
}

TEST(ExactQuantiles, RankIsTheFractionAtMost) {
  const auto state = of({1, 2, 2, 3});
  EXPECT_EQ(state.rank(0), 0.0);
  EXPECT_EQ(state.rank(2), 0.75);
  EXPECT_EQ(state.rank(3), 1.0);
}

TEST(ExactQuantiles, IntegersInterpolateInDouble) {
  exact_quantiles<int> state;
  for (int x : {-3, 8, 1, 4}) state.add(x);
  EXPECT_EQ(state.median(), 2.5);
  EXPECT_DOUBLE_EQ(*state.quantile(0.9), 6.8);  // h = 2.7 between 4 and 8
}

TEST(ExactQuantiles, MergeIsTheStateOfAllTheValues) {
  std::vector<double> all;
  exact_quantiles<double> parts[3];
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(-1, 1);
  for (int i = 0; i < 999; ++i) {
    all.push_back(uniform(rng));
    parts[i % 3].add(all.back());
  }
  parts[1].add(nan);
  (void)parts[0].median();  // a sorted state merges too
  parts[0].merge(parts[1]);
  parts[0].merge(parts[2]);
  parts[0].merge(exact_quantiles<double>{});
  const auto whole = of(all);
  EXPECT_EQ(parts[0].size(), whole.size());
  EXPECT_EQ(parts[0].nan_count(), 1u);
  for (double q : {0.0, 0.1, 0.5, 0.77, 1.0}) EXPECT_EQ(parts[0].quantile(q), whole.quantile(q));
}

TEST(ExactQuantiles, MergeWithItselfDoublesEveryValue) {
  auto state = of({1, 2, 3});
  state.merge(state);
  EXPECT_EQ(state.size(), 6u);
  EXPECT_EQ(state.quantile(0.2), 1);  // 1 1 2 2 3 3: h = 1
}

TEST(ExactQuantiles, SerializationRoundTrips) {
  auto state = of({2.5, -0.0, inf, nan, 1e-300, -7});
  std::vector<std::byte> bytes{std::byte{0xaa}};  // serialize appends
  state.serialize(bytes);
  const auto back =
      exact_quantiles<double>::deserialize(std::span<const std::byte>(bytes).subspan(1));
  EXPECT_EQ(back.size(), state.size());
  EXPECT_EQ(back.nan_count(), 1u);
  for (double q : {0.0, 0.2, 0.5, 0.9, 1.0}) EXPECT_EQ(back.quantile(q), state.quantile(q));

  exact_quantiles<std::int64_t> big;
  big.add(std::numeric_limits<std::int64_t>::min());
  big.add(std::numeric_limits<std::int64_t>::max());
  std::vector<std::byte> big_bytes;
  big.serialize(big_bytes);
  EXPECT_EQ(exact_quantiles<std::int64_t>::deserialize(big_bytes).rank(0), 0.5);
}

TEST(ExactQuantiles, DeserializeRejectsBadBytes) {
  std::vector<std::byte> bytes;
  of({1, 2, 3}).serialize(bytes);
  for (std::size_t size = 0; size < bytes.size(); ++size)
    EXPECT_THROW(exact_quantiles<double>::deserialize(std::span(bytes).first(size)),
                 coflow::format_error)
        << size;
  auto longer = bytes;
  longer.push_back(std::byte{0});
  EXPECT_THROW(exact_quantiles<double>::deserialize(longer), coflow::format_error);
  // Another value type.
  EXPECT_THROW(exact_quantiles<float>::deserialize(bytes), coflow::format_error);
  // A count far beyond the bytes: rejected before allocating.
  std::vector<std::byte> huge;
  coflow::byte_writer w(huge);
  w.header("coflow::exact_quantiles<f64>", 1);
  w.u64(0);
  w.u64(std::uint64_t{1} << 60);
  EXPECT_THROW(exact_quantiles<double>::deserialize(huge), coflow::format_error);
  // A NaN among the values, and an int8 out of range.
  std::vector<std::byte> with_nan;
  coflow::byte_writer wn(with_nan);
  wn.header("coflow::exact_quantiles<f64>", 1);
  wn.u64(0);
  wn.u64(1);
  wn.f64(nan);
  EXPECT_THROW(exact_quantiles<double>::deserialize(with_nan), coflow::format_error);
  std::vector<std::byte> too_big;
  coflow::byte_writer wb(too_big);
  wb.header("coflow::exact_quantiles<i8>", 1);
  wb.u64(0);
  wb.u64(1);
  wb.i64(300);
  EXPECT_THROW(exact_quantiles<std::int8_t>::deserialize(too_big), coflow::format_error);
  std::vector<std::byte> garbage(64, std::byte{0x5c});
  EXPECT_THROW(exact_quantiles<double>::deserialize(garbage), coflow::format_error);
}

TEST(ExactQuantiles, RunsAsASinkAndAsARunningMedian) {
  const std::vector<int> values = {5, 1, 4, 2, 3};
  const auto state = coflow::run(values, coflow::sinks::aggregate(exact_quantiles<int>{}));
  EXPECT_EQ(state.median(), 3);
  EXPECT_EQ(state.quantile(0.25), 2);
  const auto running =
      coflow::run(values, coflow::ops::aggregate(exact_quantiles<int>{}) | coflow::sinks::last());
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(*running, std::optional<double>(3));
}

}  // namespace
