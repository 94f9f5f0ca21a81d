#include "operators/sum_state.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/aggregate.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/run.hpp"
#include "tests/support/aggregate_states.hpp"
#include "tests/support/exact.hpp"

namespace {

using coflow::testing::bytes_of;

using coflow::sum_state;
using coflow::testing::exact_sum;
using coflow::testing::ulps;

static_assert(coflow::serializable_aggregate<sum_state<double>>);
static_assert(coflow::serializable_aggregate<sum_state<float>>);
static_assert(coflow::serializable_aggregate<sum_state<long double>>);
static_assert(coflow::serializable_aggregate<sum_state<int>>);
static_assert(coflow::serializable_aggregate<sum_state<std::uint64_t>>);
static_assert(std::same_as<sum_state<int>::accumulator, std::int64_t>);
static_assert(std::same_as<sum_state<bool>::accumulator, std::uint64_t>);
static_assert(std::same_as<sum_state<float>::accumulator, double>);
static_assert(std::same_as<coflow::aggregate_result_t<sum_state<float>>, double>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double big = std::numeric_limits<double>::max();
constexpr double sub = std::numeric_limits<double>::denorm_min();

template <class T>
sum_state<T> state_of(std::span<const T> xs) {
  return coflow::testing::folded<sum_state<T>>(xs);
}

sum_state<double> state_of(std::initializer_list<double> xs) {
  return state_of(std::span<const double>(xs.begin(), xs.size()));
}

// Values whose plain double sum loses most of its digits: large terms that cancel, and small
// ones of every sign.
std::vector<double> cancelling_values(std::size_t n, unsigned seed) {
  std::mt19937_64 engine(seed);
  std::uniform_real_distribution<double> small(-1, 1);
  std::uniform_int_distribution<int> power(-20, 20);
  std::vector<double> xs;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = std::ldexp(small(engine), power(engine));
    xs.push_back(x);
    if (i % 7 == 0) xs.push_back(-x * 1e10);
    if (i % 7 == 3) xs.push_back(x * 1e10);
  }
  return xs;
}

TEST(SumState, OfNoValuesIsZero) {
  EXPECT_EQ(sum_state<double>{}.result(), 0.0);
  EXPECT_EQ(sum_state<int>{}.result(), 0);
}

TEST(SumState, RecoversWhatPlainDoubleAdditionLoses) {
  // Plain double additions give 0.
  EXPECT_EQ(state_of({1e16, 1.0, -1e16}).result(), 1.0);
  EXPECT_EQ(state_of({1.0, 1e100, 1.0, -1e100}).result(), 2.0);
}

TEST(SumState, IsWithinTwoUlpOfTheExactSumOfCancellingValues) {
  for (unsigned seed : {1u, 2u, 3u}) {
    const std::vector<double> xs = cancelling_values(20000, seed);
    const sum_state<double> s = state_of<double>(xs);
    EXPECT_LE(ulps(s.result(), exact_sum(xs)), 2.0) << "seed " << seed;
  }
}

TEST(SumState, MergedPartsEqualTheWholeForEverySplit) {
  const std::vector<double> xs = cancelling_values(5000, 4);
  const auto exact = exact_sum(xs);
  std::mt19937_64 engine(5);
  for (std::size_t k = 1; k <= 8; ++k) {
    for (int trial = 0; trial < 5; ++trial) {
      std::vector<std::size_t> cuts = {0, xs.size()};
      std::uniform_int_distribution<std::size_t> at(0, xs.size());
      for (std::size_t c = 1; c < k; ++c) cuts.push_back(at(engine));
      std::sort(cuts.begin(), cuts.end());
      sum_state<double> merged;
      for (std::size_t c = 0; c + 1 < cuts.size(); ++c)
        merged.merge(state_of<double>(std::span(xs).subspan(cuts[c], cuts[c + 1] - cuts[c])));
      EXPECT_LE(ulps(merged.result(), exact), 2.0) << k << " parts";
    }
  }
}

TEST(SumState, MergeIsAssociative) {
  const std::vector<double> xs = cancelling_values(3000, 6);
  const std::size_t third = xs.size() / 3;
  const auto part = [&](std::size_t i) {
    return state_of<double>(
        std::span(xs).subspan(i * third, i == 2 ? xs.size() - 2 * third : third));
  };
  sum_state<double> left = part(0);
  left.merge(part(1));
  left.merge(part(2));
  sum_state<double> right = part(1);
  right.merge(part(2));
  sum_state<double> right_total = part(0);
  right_total.merge(right);
  const auto exact = exact_sum(xs);
  EXPECT_LE(ulps(left.result(), exact), 2.0);
  EXPECT_LE(ulps(right_total.result(), exact), 2.0);
}

TEST(SumState, MergesWithEmptyStatesAndWithItself) {
  sum_state<double> s = state_of({1e16, 1.0});
  s.merge(sum_state<double>{});
  EXPECT_EQ(s.result(), 1e16 + 1);
  sum_state<double> empty;
  empty.merge(s);
  EXPECT_EQ(bytes_of(empty), bytes_of(s));
  s.merge(s);
  EXPECT_EQ(s.result(), 2e16 + 2);
  sum_state<int> i;
  i.add(21);
  i.merge(i);
  EXPECT_EQ(i.result(), 42);
}

TEST(SumState, FollowsIEEERulesForNonFiniteValues) {
  EXPECT_TRUE(std::isnan(state_of({1.0, nan, 2.0}).result()));
  EXPECT_EQ(state_of({1.0, inf, -5.0}).result(), inf);
  EXPECT_EQ(state_of({-inf, 1e300}).result(), -inf);
  EXPECT_TRUE(std::isnan(state_of({inf, 1.0, -inf}).result()));
  EXPECT_EQ(state_of({big, big}).result(), inf) << "a running sum past the largest double";
  sum_state<double> a = state_of({inf});
  a.merge(state_of({-inf}));
  EXPECT_TRUE(std::isnan(a.result()));
  sum_state<double> b = state_of({1.0});
  b.merge(state_of({nan}));
  EXPECT_TRUE(std::isnan(b.result()));
}

TEST(SumState, OverflowsWhereAPartOverflowsEvenIfTheWholeWouldNot) {
  // Documented: near the limit, grouping decides. The whole stream's sum is 0.
  sum_state<double> up = state_of({big, big});
  sum_state<double> down = state_of({-big, -big});
  EXPECT_EQ(up.result(), inf);
  up.merge(down);
  EXPECT_TRUE(std::isnan(up.result()));
  EXPECT_EQ(state_of({big, -big, big, -big}).result(), 0.0);
}

TEST(SumState, IsExactAtTheExtremesOfDouble) {
  EXPECT_EQ(state_of({big, -big, sub}).result(), sub);
  EXPECT_EQ(state_of({sub, sub, sub}).result(), 3 * sub);
  EXPECT_EQ(state_of({1e308, 1e-308, -1e308}).result(), 1e-308);
}

TEST(SumState, ThrowsOnIntegerOverflowAndKeepsTheLastGoodSum) {
  constexpr std::int64_t top = std::numeric_limits<std::int64_t>::max();
  constexpr std::int64_t bottom = std::numeric_limits<std::int64_t>::min();
  sum_state<std::int64_t> s;
  s.add(top);
  EXPECT_THROW(s.add(1), std::overflow_error);
  EXPECT_EQ(s.result(), top);
  s.add(bottom);
  EXPECT_EQ(s.result(), -1);
  sum_state<std::int64_t> low;
  low.add(bottom);
  EXPECT_THROW(low.merge(low), std::overflow_error);
  EXPECT_EQ(low.result(), bottom);
  sum_state<std::uint64_t> u;
  u.add(std::numeric_limits<std::uint64_t>::max());
  EXPECT_THROW(u.add(1), std::overflow_error);
  sum_state<std::int64_t> named;
  named.add(top);
  try {
    named.add(1, "my_sum");
    FAIL() << "no overflow_error";
  } catch (const std::overflow_error& e) {
    EXPECT_NE(std::string(e.what()).find("my_sum"), std::string::npos) << e.what();
  }
}

TEST(SumState, RoundTripsThroughBytesBitForBit) {
  for (const sum_state<double>& s :
       {state_of({1e16, 1.0}), state_of({-0.0}), state_of({nan}), state_of({-inf}),
        state_of({sub, 1e308}), sum_state<double>{}}) {
    const auto bytes = bytes_of(s);
    EXPECT_EQ(bytes_of(sum_state<double>::deserialize(bytes)), bytes);
  }
  sum_state<std::int64_t> i;
  i.add(std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(sum_state<std::int64_t>::deserialize(bytes_of(i)).result(), i.result());
  sum_state<long double> l;
  l.add(1e16L);
  l.add(1.0L);
  EXPECT_EQ(sum_state<long double>::deserialize(bytes_of(l)).result(), l.result());
}

TEST(SumState, RejectsBytesOfAnotherKind) {
  sum_state<std::int64_t> i;
  i.add(3);
  EXPECT_THROW((void)sum_state<double>::deserialize(bytes_of(i)), coflow::format_error);
  EXPECT_THROW((void)sum_state<std::uint64_t>::deserialize(bytes_of(i)), coflow::format_error);
  auto bytes = bytes_of(state_of({1.0}));
  bytes.pop_back();
  EXPECT_THROW((void)sum_state<double>::deserialize(bytes), coflow::format_error);
}

TEST(SumState, WorksAsAPipelineAggregate) {
  const std::vector<double> xs = {1e16, 1.0, -1e16};
  EXPECT_EQ(coflow::run(xs, coflow::sinks::aggregate(sum_state<double>{})).result(), 1.0);
}

}  // namespace
