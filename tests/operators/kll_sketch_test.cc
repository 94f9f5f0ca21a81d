#include "operators/kll_sketch.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
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

using coflow::kll_sketch;

static_assert(coflow::mergeable_aggregate<kll_sketch<double>>);
static_assert(coflow::serializable_aggregate<kll_sketch<double>>);
static_assert(coflow::serializable_aggregate<kll_sketch<float>>);
static_assert(coflow::serializable_aggregate<kll_sketch<std::int32_t>>);
static_assert(coflow::serializable_aggregate<kll_sketch<std::uint64_t>>);
static_assert(std::same_as<coflow::aggregate_result_t<kll_sketch<int>>, std::optional<int>>);

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

// rank_error measures a sketch against the sorted values it summarized: for each q, how far q
// lies outside the true rank interval [#(< v), #(<= v)] / n of v = quantile(q), and for each x,
// how far rank(x) lies from #(<= x) / n. The largest of both.
double rank_error(const kll_sketch<double>& sketch, const std::vector<double>& sorted) {
  const auto n = static_cast<double>(sorted.size());
  double worst = 0;
  for (int i = 1; i < 1000; ++i) {
    const double q = i / 1000.0;
    const double v = *sketch.quantile(q);
    const double below =
        static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
    const double at_most =
        static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
    worst = std::max({worst, below / n - q, q - at_most / n});
    const double x = sorted[static_cast<std::size_t>(q * n)];
    const double true_rank =
        static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) - sorted.begin()) / n;
    worst = std::max(worst, std::abs(sketch.rank(x) - true_rank));
  }
  return worst;
}

kll_sketch<double> sketch_of(const std::vector<double>& xs, std::uint32_t k = 200,
                             std::uint64_t seed = kll_sketch<double>::default_seed) {
  kll_sketch<double> sketch(k, seed);
  for (double x : xs) sketch.add(x);
  return sketch;
}

struct distribution {
  const char* name;
  std::function<std::vector<double>(std::size_t)> make;
};

std::vector<distribution> distributions() {
  const auto uniform = [](std::size_t n) {
    std::mt19937_64 rng(1);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<double> xs(n);
    for (auto& x : xs) x = u(rng);
    return xs;
  };
  return {
      {"uniform", uniform},
      {"ascending",
       [=](std::size_t n) {
         auto xs = uniform(n);
         std::sort(xs.begin(), xs.end());
         return xs;
       }},
      {"descending",
       [=](std::size_t n) {
         auto xs = uniform(n);
         std::sort(xs.begin(), xs.end(), std::greater<>());
         return xs;
       }},
      {"normal",
       [](std::size_t n) {
         std::mt19937_64 rng(2);
         std::normal_distribution<double> normal(-50, 1e3);
         std::vector<double> xs(n);
         for (auto& x : xs) x = normal(rng);
         return xs;
       }},
      {"heavy duplicates",
       [](std::size_t n) {
         std::mt19937_64 rng(3);
         std::geometric_distribution<int> geometric(0.3);
         std::vector<double> xs(n);
         for (auto& x : xs) x = geometric(rng);
         return xs;
       }},
  };
}

TEST(KllSketch, RankErrorStaysUnderTheStatedBound) {
  constexpr std::size_t n = 1'000'000;
  for (const auto& d : distributions()) {
    SCOPED_TRACE(d.name);
    const auto xs = d.make(n);
    auto sorted = xs;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint32_t k : {64u, 200u}) {
      const auto sketch = sketch_of(xs, k);
      EXPECT_EQ(sketch.size(), n);
      const double error = rank_error(sketch, sorted);
      EXPECT_LE(error, sketch.normalized_rank_error()) << "k = " << k;
      EXPECT_EQ(sketch.quantile(0), sorted.front());
      EXPECT_EQ(sketch.quantile(1), sorted.back());
    }
  }
}

// The measurement behind the stated bound (kll_sketch.hpp, Accuracy), for k = 50, 200 and 800:
// 200 sketches of 10^6 uniform values each, each with its own seed. Prints the 99th
// percentile of one query's error and of the largest error among 198 queries of a sketch.
// Minutes at -O0: ./bazelw test -c opt //tests/operators:kll_sketch_test
//   --test_arg=--gtest_also_run_disabled_tests --test_arg=--gtest_filter=*MeasuresTheBound
TEST(KllSketch, DISABLED_MeasuresTheBound) {
  constexpr std::size_t n = 1'000'000;
  constexpr int sketches = 200;
  const auto xs = distributions()[0].make(n);
  auto sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint32_t k : {50u, 200u, 800u}) {
    std::vector<double> largest;
    std::vector<double> single;
    int over = 0;
    for (int t = 0; t < sketches; ++t) {
      const auto sketch = sketch_of(xs, k, 1000 + static_cast<std::uint64_t>(t));
      double worst = 0;
      for (int i = 1; i < 100; ++i) {
        const double q = i / 100.0;
        const double v = *sketch.quantile(q);
        const auto nd = static_cast<double>(n);
        const double below =
            static_cast<double>(std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
        const double at_most =
            static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin());
        single.push_back(std::max({0.0, below / nd - q, q - at_most / nd}));
        const double x = sorted[static_cast<std::size_t>(q * nd)];
        const double true_rank =
            static_cast<double>(std::upper_bound(sorted.begin(), sorted.end(), x) -
                                sorted.begin()) /
            nd;
        single.push_back(std::abs(sketch.rank(x) - true_rank));
        worst = std::max({worst, single.end()[-1], single.end()[-2]});
      }
      largest.push_back(worst);
      over += worst > sketch.normalized_rank_error();
    }
    std::sort(largest.begin(), largest.end());
    std::sort(single.begin(), single.end());
    std::printf(
        "k = %u: one query p99 %.2f / k; largest of a sketch p99 %.2f / k, max %.2f / k; "
        "%d of %d sketches over the bound\n",
        k, single[single.size() * 99 / 100] * k, largest[largest.size() * 99 / 100] * k,
        largest.back() * k, over, sketches);
    EXPECT_LE(over, sketches / 100);
  }
}

TEST(KllSketch, TheDefaultBoundIsAboutOnePercent) {
  EXPECT_EQ(kll_sketch<double>{}.k(), 200u);
  EXPECT_NEAR(kll_sketch<double>{}.normalized_rank_error(), 0.013, 1e-12);
  EXPECT_NEAR(kll_sketch<double>(100).normalized_rank_error(), 0.026, 1e-12);
  EXPECT_EQ(kll_sketch<double>{}.error_statement(),
            "approximate quantiles (KLL sketch, k = 200): rank error <= 0.013 with probability "
            ">= 99%, measured");
  EXPECT_NE(kll_sketch<double>(64).error_statement().find("k = 64): rank error <= 0.0406 "),
            std::string::npos);
}

TEST(KllSketch, IsExactUntilItCompacts) {
  kll_sketch<double> sketch;
  std::vector<double> xs;
  for (int i = 0; i < 150; ++i) xs.push_back((i * 37) % 101);
  for (double x : xs) sketch.add(x);
  std::sort(xs.begin(), xs.end());
  EXPECT_EQ(sketch.retained(), 150u);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    // The smallest value whose count of values at most it reaches q * n.
    const double q = static_cast<double>(i + 1) / 150;
    EXPECT_EQ(sketch.quantile(q), xs[i]) << q;
    const auto at_most = std::upper_bound(xs.begin(), xs.end(), xs[i]) - xs.begin();
    EXPECT_DOUBLE_EQ(sketch.rank(xs[i]), static_cast<double>(at_most) / 150);
  }
  EXPECT_EQ(sketch.median(), xs[74]);
  EXPECT_EQ(sketch.rank(-1), 0.0);
  EXPECT_EQ(sketch.rank(1000), 1.0);
}

TEST(KllSketch, TinyInputs) {
  const auto one = sketch_of({-3});
  for (double q : {0.0, 0.3, 0.5, 1.0}) EXPECT_EQ(one.quantile(q), -3) << q;
  const auto two = sketch_of({9, 1});
  EXPECT_EQ(two.quantile(0), 1);
  EXPECT_EQ(two.median(), 1);  // the lower middle value: no interpolation
  EXPECT_EQ(two.quantile(0.51), 9);
  EXPECT_EQ(two.quantile(1), 9);
}

TEST(KllSketch, InfinitiesAreValues) {
  const auto sketch = sketch_of({1, inf, -inf, 2});
  EXPECT_EQ(sketch.quantile(0), -inf);
  EXPECT_EQ(sketch.quantile(1), inf);
  EXPECT_EQ(sketch.median(), 1);
  EXPECT_EQ(sketch.rank(inf), 1.0);
}

TEST(KllSketch, NaNsAreCountedAndExcluded) {
  const auto sketch = sketch_of({nan, 3, nan, 1, 2});
  EXPECT_EQ(sketch.size(), 3u);
  EXPECT_EQ(sketch.nan_count(), 2u);
  EXPECT_EQ(sketch.median(), 2);
  EXPECT_EQ(sketch.rank(nan), 0.0);
  EXPECT_EQ(sketch_of({nan}).median(), std::nullopt);
}

TEST(KllSketch, NoValuesHaveNoQuantile) {
  const kll_sketch<double> sketch;
  EXPECT_EQ(sketch.quantile(0.5), std::nullopt);
  EXPECT_EQ(sketch.result(), std::nullopt);
  EXPECT_EQ(sketch.min(), std::nullopt);
  EXPECT_EQ(sketch.rank(0), 0.0);
}

TEST(KllSketch, RejectsBadArgumentsNamingThem) {
  const auto sketch = sketch_of({1, 2});
  for (double q : {-0.5, 1.25, nan}) {
    try {
      (void)sketch.quantile(q);
      ADD_FAILURE() << "no exception for q = " << q;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("q = "), std::string::npos) << e.what();
    }
  }
  EXPECT_THROW(kll_sketch<double>(7), std::invalid_argument);
  EXPECT_THROW(kll_sketch<double>(65536), std::invalid_argument);
  kll_sketch<double> a(100);
  kll_sketch<double> b(200);
  a.add(1);
  b.add(2);
  EXPECT_THROW(a.merge(b), std::invalid_argument);
}

TEST(KllSketch, MergedPartsKeepTheBound) {
  constexpr std::size_t n = 1'000'000;
  constexpr std::size_t parts = 8;
  const auto xs = distributions()[3].make(n);
  std::vector<kll_sketch<double>> sketches;
  for (std::size_t p = 0; p < parts; ++p) sketches.emplace_back(200, 100 + p);
  for (std::size_t i = 0; i < n; ++i) sketches[i * parts / n].add(xs[i]);
  kll_sketch<double> merged;  // the empty default state is the identity
  for (const auto& s : sketches) merged.merge(s);
  auto sorted = xs;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(merged.size(), n);
  EXPECT_LE(merged.retained(), merged.capacity());
  EXPECT_EQ(merged.min(), sorted.front());
  EXPECT_EQ(merged.max(), sorted.back());
  EXPECT_LE(rank_error(merged, sorted), merged.normalized_rank_error());

  // Unbalanced: a big sketch merged with many small ones, in both orders.
  kll_sketch<double> big = sketch_of(std::vector<double>(xs.begin(), xs.begin() + n / 2));
  for (std::size_t start = n / 2; start < n; start += n / 64) {
    big.merge(
        sketch_of(std::vector<double>(xs.begin() + static_cast<std::ptrdiff_t>(start),
                                      xs.begin() + static_cast<std::ptrdiff_t>(start + n / 64))));
  }
  EXPECT_EQ(big.size(), n);
  EXPECT_LE(rank_error(big, sorted), big.normalized_rank_error());
}

TEST(KllSketch, MergeWithItselfDoublesTheWeights) {
  auto sketch = sketch_of({1, 2, 3, 4});
  sketch.merge(sketch);
  EXPECT_EQ(sketch.size(), 8u);
  EXPECT_EQ(sketch.rank(2), 0.5);
}

TEST(KllSketch, SameSeedSameAnswersOtherSeedOtherSketch) {
  const auto xs = distributions()[0].make(100'000);
  const auto a = sketch_of(xs, 200, 5);
  const auto b = sketch_of(xs, 200, 5);
  const auto c = sketch_of(xs, 200, 6);
  int differ = 0;
  for (int i = 1; i < 100; ++i) {
    EXPECT_EQ(a.quantile(i / 100.0), b.quantile(i / 100.0));
    differ += a.quantile(i / 100.0) != c.quantile(i / 100.0);
  }
  EXPECT_GT(differ, 0);
}

TEST(KllSketch, SerializationRoundTripsAndContinuesAlike) {
  const auto xs = distributions()[3].make(200'000);
  kll_sketch<double> sketch(150, 77);
  for (std::size_t i = 0; i < 100'000; ++i) sketch.add(xs[i]);
  sketch.add(nan);
  std::vector<std::byte> bytes{std::byte{1}, std::byte{2}};
  sketch.serialize(bytes);
  auto back = kll_sketch<double>::deserialize(std::span<const std::byte>(bytes).subspan(2));
  EXPECT_EQ(back.k(), 150u);
  EXPECT_EQ(back.seed(), 77u);
  EXPECT_EQ(back.size(), sketch.size());
  EXPECT_EQ(back.nan_count(), 1u);
  EXPECT_EQ(back.retained(), sketch.retained());
  for (int i = 0; i <= 100; ++i) EXPECT_EQ(back.quantile(i / 100.0), sketch.quantile(i / 100.0));
  // The generator's state travels too: the same further values give the same sketch.
  for (std::size_t i = 100'000; i < xs.size(); ++i) {
    sketch.add(xs[i]);
    back.add(xs[i]);
  }
  for (int i = 0; i <= 100; ++i) EXPECT_EQ(back.quantile(i / 100.0), sketch.quantile(i / 100.0));

  kll_sketch<std::int64_t> ints;
  ints.add(std::numeric_limits<std::int64_t>::min());
  ints.add(std::numeric_limits<std::int64_t>::max());
  std::vector<std::byte> int_bytes;
  ints.serialize(int_bytes);
  EXPECT_EQ(kll_sketch<std::int64_t>::deserialize(int_bytes).max(),
            std::numeric_limits<std::int64_t>::max());
  std::vector<std::byte> empty_bytes;
  kll_sketch<double>{}.serialize(empty_bytes);
  EXPECT_TRUE(kll_sketch<double>::deserialize(empty_bytes).empty());
}

// A sketch written by hand, field by field, to corrupt one of them.
struct written {
  std::uint32_t k = 200;
  std::uint64_t n = 3;
  double min = 1, max = 3;
  std::vector<std::vector<double>> levels = {{1, 3}, {2}};  // weights 1 + 1 + 2 = 4 != 3
  std::vector<std::byte> bytes() const {
    std::vector<std::byte> out;
    coflow::byte_writer w(out);
    w.header("coflow::kll_sketch<f64>", 1);
    w.u32(k);
    w.u64(1);
    w.u64(1);
    w.u64(n);
    w.u64(0);
    w.f64(min);
    w.f64(max);
    w.u32(static_cast<std::uint32_t>(levels.size()));
    for (const auto& level : levels) {
      w.u64(level.size());
      for (double v : level) w.f64(v);
    }
    return out;
  }
};

TEST(KllSketch, DeserializeRejectsBadBytes) {
  written good;
  good.n = 4;
  EXPECT_EQ(kll_sketch<double>::deserialize(good.bytes()).rank(2), 0.75);

  std::vector<std::byte> bytes;
  sketch_of(distributions()[0].make(5'000)).serialize(bytes);
  for (std::size_t size = 0; size < bytes.size(); size += 7)
    EXPECT_THROW(kll_sketch<double>::deserialize(std::span(bytes).first(size)),
                 coflow::format_error)
        << size;
  bytes.push_back(std::byte{0});
  EXPECT_THROW(kll_sketch<double>::deserialize(bytes), coflow::format_error);
  bytes.pop_back();
  EXPECT_THROW(kll_sketch<float>::deserialize(bytes), coflow::format_error);
  EXPECT_THROW(kll_sketch<double>::deserialize(std::vector<std::byte>(100, std::byte{0x7f})),
               coflow::format_error);

  const auto rejects = [](const written& w) {
    EXPECT_THROW(kll_sketch<double>::deserialize(w.bytes()), coflow::format_error);
  };
  rejects(written{});  // the weights add up to 4, not 3
  written bad_k = good;
  bad_k.k = 3;
  rejects(bad_k);
  written min_above_max = good;
  min_above_max.min = 5;
  rejects(min_above_max);
  written outside = good;
  outside.levels = {{1, 30}, {2}};
  rejects(outside);
  written unsorted = good;
  unsorted.levels = {{2, 2}, {3, 1}};
  unsorted.n = 6;
  rejects(unsorted);
  written with_nan = good;
  with_nan.levels = {{1, nan}, {2}};
  rejects(with_nan);
  written no_levels = good;
  no_levels.levels = {};
  no_levels.n = 0;
  rejects(no_levels);
  written over_capacity = good;  // 300 values at k = 200 with one level (capacity 200)
  over_capacity.levels = {std::vector<double>(300, 2.0)};
  over_capacity.n = 300;
  rejects(over_capacity);
  written heavy = good;  // weights beyond 2^64
  heavy.levels.assign(61, {});
  heavy.levels[60] = {2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
  rejects(heavy);
}

TEST(KllSketch, MemoryStaysBoundedAsTheStreamGrows) {
  kll_sketch<double> sketch;
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  std::size_t most = 0;
  std::size_t at_ten_thousand = 0;
  std::uint64_t next_check = 1000;
  for (std::uint64_t i = 1; i <= 10'000'000; ++i) {
    sketch.add(u(rng));
    if (i == next_check) {
      most = std::max(most, sketch.retained());
      EXPECT_LE(sketch.retained(), sketch.capacity());
      // About 3k plus 8 per level beyond those of capacity above 8.
      EXPECT_LE(sketch.capacity(), 3 * 200 + 8 * static_cast<std::size_t>(std::log2(i)))
          << "n = " << i;
      if (i == 10'000) at_ten_thousand = sketch.capacity();
      next_check *= 10;
    }
  }
  EXPECT_LE(most, 700u);
  // From 10^4 to 10^7 values the capacity grows by one minimum-size level (8 values) per doubling
  // of n: log2(10^3), about ten levels, and some slack as the lower levels shift.
  EXPECT_LE(sketch.capacity(), at_ten_thousand + 12 * 8);
}

TEST(KllSketch, RunsAsASinkAndAsARunningMedian) {
  std::vector<int> values;
  for (int i = 0; i < 10'001; ++i) values.push_back((i * 7919) % 10'001);
  const auto sketch = coflow::run(values, coflow::sinks::aggregate(kll_sketch<int>{}));
  EXPECT_EQ(sketch.size(), values.size());
  EXPECT_NEAR(*sketch.median(), 5000, 10'001 * sketch.normalized_rank_error());
  const std::vector<int> few = {5, 1, 4, 2, 3};
  const auto running =
      coflow::run(few, coflow::ops::aggregate(kll_sketch<int>{}) | coflow::sinks::last());
  ASSERT_TRUE(running.has_value());
  EXPECT_EQ(*running, std::optional<int>(3));
}

}  // namespace
