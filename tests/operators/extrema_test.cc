#include "operators/extrema.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "operators/aggregate.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/run.hpp"
#include "tests/support/aggregate_states.hpp"

namespace {

using coflow::testing::bytes_of;

using coflow::extrema;

static_assert(coflow::serializable_aggregate<extrema<double>>);
static_assert(coflow::serializable_aggregate<extrema<float>>);
static_assert(coflow::serializable_aggregate<extrema<std::int64_t>>);
static_assert(coflow::serializable_aggregate<extrema<std::uint8_t>>);

template <class T>
concept extrema_of = requires {
  typename extrema<T>;
};
static_assert(!extrema_of<long double>, "no portable encoding of long double");

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

template <class T>
extrema<T> state_of(const std::vector<T>& xs) {
  extrema<T> e;
  for (const T& x : xs) e.add(x);
  return e;
}

TEST(Extrema, OfNoValuesIsEmpty) {
  EXPECT_EQ(extrema<int>{}.min(), std::nullopt);
  EXPECT_EQ(extrema<int>{}.max(), std::nullopt);
}

TEST(Extrema, KeepsTheSmallestAndLargest) {
  const auto e = state_of(std::vector{5, 3, 9, -2, 7});
  EXPECT_EQ(e.min(), -2);
  EXPECT_EQ(e.max(), 9);
}

TEST(Extrema, KeepsTheEarliestOfEqualValuesBitForBit) {
  const auto e = state_of(std::vector{0.0, -0.0});
  EXPECT_FALSE(std::signbit(*e.min()));
  EXPECT_FALSE(std::signbit(*e.max()));
  extrema<double> a = state_of(std::vector{-0.0});
  a.merge(state_of(std::vector{0.0}));
  EXPECT_TRUE(std::signbit(*a.min())) << "this state's values come first";
}

TEST(Extrema, PropagatesNaNWhereverItFalls) {
  for (const auto& xs :
       {std::vector{nan, 1.0, 2.0}, std::vector{1.0, nan, 2.0}, std::vector{1.0, 2.0, nan}}) {
    const auto e = state_of(xs);
    EXPECT_TRUE(std::isnan(*e.min()));
    EXPECT_TRUE(std::isnan(*e.max()));
  }
  extrema<double> a = state_of(std::vector{1.0});
  a.merge(state_of(std::vector{nan}));
  EXPECT_TRUE(std::isnan(*a.min()) && std::isnan(*a.max()));
  extrema<double> b = state_of(std::vector{nan});
  b.merge(state_of(std::vector{-inf, inf}));
  EXPECT_TRUE(std::isnan(*b.min()) && std::isnan(*b.max()));
}

TEST(Extrema, MergedSplitsEqualTheWhole) {
  const std::vector<double> xs = {3, -1, 4, 1, -5, 9, 2, 6, -inf, 5, inf, 3};
  const auto whole = state_of(xs);
  for (std::size_t k = 1; k <= 8; ++k) {
    extrema<double> merged;
    for (std::size_t p = 0; p < k; ++p) {
      extrema<double> part;
      for (std::size_t i = p * xs.size() / k; i < (p + 1) * xs.size() / k; ++i) part.add(xs[i]);
      merged.merge(part);
    }
    EXPECT_EQ(bytes_of(merged), bytes_of(whole)) << k << " parts";
  }
}

TEST(Extrema, MergesWithEmptyStatesAndWithItself) {
  auto e = state_of(std::vector<std::int64_t>{std::numeric_limits<std::int64_t>::min(), 4});
  e.merge(extrema<std::int64_t>{});
  e.merge(e);
  EXPECT_EQ(e.min(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(e.max(), 4);
  extrema<std::int64_t> empty;
  empty.merge(e);
  EXPECT_EQ(bytes_of(empty), bytes_of(e));
}

TEST(Extrema, RoundTripsThroughBytesBitForBit) {
  const double payload = std::bit_cast<double>(std::uint64_t{0x7ff8000000000123});
  for (const auto& e :
       {extrema<double>{}, state_of(std::vector{-0.0}), state_of(std::vector{payload}),
        state_of(std::vector{-inf, 1e308, 5e-324})}) {
    EXPECT_EQ(bytes_of(extrema<double>::deserialize(bytes_of(e))), bytes_of(e));
  }
  const auto u = state_of(std::vector<std::uint64_t>{std::numeric_limits<std::uint64_t>::max(), 0});
  EXPECT_EQ(extrema<std::uint64_t>::deserialize(bytes_of(u)).max(), u.max());
  const auto f = state_of(std::vector<float>{1.5f, -2.25f});
  EXPECT_EQ(extrema<float>::deserialize(bytes_of(f)).min(), -2.25f);
}

TEST(Extrema, RejectsBytesOfAnotherTypeOrOutOfRange) {
  const auto wide = state_of(std::vector<std::int64_t>{1000});
  EXPECT_THROW((void)extrema<std::int8_t>::deserialize(bytes_of(wide)), coflow::format_error);
  EXPECT_THROW((void)extrema<double>::deserialize(bytes_of(wide)), coflow::format_error);
  auto bytes = bytes_of(state_of(std::vector{1.0, 2.0}));
  bytes.pop_back();
  EXPECT_THROW((void)extrema<double>::deserialize(bytes), coflow::format_error);
}

TEST(Extrema, WorksAsAPipelineAggregate) {
  const auto e = coflow::run(std::vector{4, 8, 1}, coflow::sinks::aggregate(extrema<int>{}));
  EXPECT_EQ(e.min(), 1);
  EXPECT_EQ(e.max(), 8);
}

}  // namespace
