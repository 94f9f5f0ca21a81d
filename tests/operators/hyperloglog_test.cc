#include "operators/hyperloglog.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/detail/sketch_hash.hpp"
#include "operators/last.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/run.hpp"

namespace {

static_assert(coflow::mergeable_aggregate<coflow::hyperloglog<int>>);
static_assert(coflow::serializable_aggregate<coflow::hyperloglog<double>>);
static_assert(coflow::serializable_aggregate<coflow::hyperloglog<std::string>>);
static_assert(coflow::serializable_aggregate<coflow::hyperloglog<std::string_view>>);
static_assert(std::same_as<coflow::aggregate_result_t<coflow::hyperloglog<int>>, std::uint64_t>);

template <class T>
concept hyperloglog_of = requires {
  typename coflow::hyperloglog<T>;
};
static_assert(hyperloglog_of<long double>);
static_assert(!hyperloglog_of<std::vector<int>>);  // neither a number nor a string

// The n-th distinct value of a run: different seeds give disjoint, differently placed sets.
std::uint64_t value(std::uint64_t seed, std::uint64_t i) { return seed << 40 | i; }

TEST(HyperLogLogHash, IsXxh64ForStringsAndSplitmix64ForNumbers) {
  // XXH64 reference values (seed 0), from the xxHash library.
  EXPECT_EQ(coflow::detail::xxhash64(""), 0xef46db3751d8e999ULL);
  EXPECT_EQ(coflow::detail::xxhash64("a"), 0xd24ec4f1a98c6e5bULL);
  EXPECT_EQ(coflow::detail::xxhash64("abc"), 0x44bc2cf5ad770999ULL);
  EXPECT_EQ(coflow::detail::xxhash64("hello world!"), 0x9bb9a01dc10f4709ULL);
  EXPECT_EQ(coflow::detail::xxhash64("0123456789abcdefghijklmnopqrstuvwxyzABCDEF"),
            0x0d14e2361a4fa1ffULL);
  // splitmix64's first output for state 0.
  EXPECT_EQ(coflow::detail::splitmix64(0), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(coflow::detail::sketch_hash(std::string("abc")),
            coflow::detail::sketch_hash(std::string_view("abc")));
  EXPECT_EQ(coflow::detail::sketch_hash(-5), coflow::detail::sketch_hash(-5L));
  EXPECT_NE(coflow::detail::sketch_hash(1), coflow::detail::sketch_hash(2));
}

TEST(HyperLogLog, RejectsAPrecisionOutsideFourToEighteen) {
  EXPECT_THROW(coflow::hyperloglog<int>(3), std::invalid_argument);
  EXPECT_THROW(coflow::hyperloglog<int>(19), std::invalid_argument);
  try {
    coflow::hyperloglog<int> h(0);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("precision p = 0"), std::string::npos) << e.what();
  }
  EXPECT_EQ(coflow::hyperloglog<int>(4).registers().size(), 16u);
  EXPECT_EQ(coflow::hyperloglog<int>(18).registers().size(), std::size_t{1} << 18);
  EXPECT_EQ(coflow::hyperloglog<int>().precision(), 14);
  EXPECT_DOUBLE_EQ(coflow::hyperloglog<int>(10).relative_standard_error(), 1.04 / 32);
}

// Every estimate, for 10^2 to 10^6 distinct values over 16 seeds and two precisions, is within
// three standard errors; their root mean square is close to the stated standard error and
// their mean is zero within three standard errors of a mean of 16. Deterministic: the same
// values every run.
TEST(HyperLogLog, RelativeErrorIsWithinTheStatedStandardError) {
  constexpr int seeds = 16;
  const std::vector<std::uint64_t> sizes = {100, 1000, 10'000, 100'000, 1'000'000};
  for (int p : {10, 14}) {
    const double se = 1.04 / std::sqrt(std::ldexp(1.0, p));
    for (std::uint64_t n : sizes) {
      double sum = 0;
      double squares = 0;
      for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        coflow::hyperloglog<std::uint64_t> h(p);
        for (std::uint64_t i = 0; i < n; ++i) h.add(value(seed, i));
        const double rel = (h.estimate() - static_cast<double>(n)) / static_cast<double>(n);
        EXPECT_LE(std::abs(rel), 3 * se) << "p " << p << ", n " << n << ", seed " << seed;
        sum += rel;
        squares += rel * rel;
      }
      EXPECT_LE(std::sqrt(squares / seeds), 1.5 * se) << "p " << p << ", n " << n;
      EXPECT_LE(std::abs(sum / seeds), 3 * se / std::sqrt(seeds)) << "p " << p << ", n " << n;
    }
  }
}

TEST(HyperLogLog, RelativeErrorOfStringsIsWithinThreeStandardErrors) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    coflow::hyperloglog<std::string> h(12);
    for (std::uint64_t i = 0; i < 200'000; ++i)
      h.add("user-" + std::to_string(seed) + "-" + std::to_string(i));
    EXPECT_NEAR(h.estimate(), 200'000, 3 * h.relative_standard_error() * 200'000);
  }
}

TEST(HyperLogLog, DuplicatesDoNotChangeTheSketch) {
  coflow::hyperloglog<std::uint64_t> once;
  coflow::hyperloglog<std::uint64_t> many;
  for (std::uint64_t i = 0; i < 50'000; ++i) once.add(value(7, i));
  for (int round = 0; round < 5; ++round)
    for (std::uint64_t i = 50'000; i-- > 0;) many.add(value(7, i));
  EXPECT_EQ(once, many);
  EXPECT_EQ(once.estimate(), many.estimate());
}

TEST(HyperLogLog, SmallCountsAreExact) {
  EXPECT_EQ(coflow::hyperloglog<int>().result(), 0u);
  EXPECT_EQ(coflow::hyperloglog<int>().estimate(), 0.0);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    coflow::hyperloglog<std::uint64_t> h;
    for (std::uint64_t i = 0; i < 100; ++i) {
      h.add(value(seed, i));
      if (i == 0) {
        EXPECT_EQ(h.result(), 1u) << "seed " << seed;
      }
      if (i == 9) {
        EXPECT_EQ(h.result(), 10u) << "seed " << seed;
      }
    }
    EXPECT_NEAR(h.estimate(), 100, 1.0) << "seed " << seed;
  }
}

TEST(HyperLogLog, MergedPartsHaveTheRegistersOfTheWhole) {
  coflow::hyperloglog<std::uint64_t> whole(12);
  coflow::hyperloglog<std::uint64_t> a(12);
  coflow::hyperloglog<std::uint64_t> b(12);
  coflow::hyperloglog<std::uint64_t> c(12);
  for (std::uint64_t i = 0; i < 30'000; ++i) {  // a, b disjoint; c overlaps both
    whole.add(value(1, i));
    (i % 2 == 0 ? a : b).add(value(1, i));
    if (i % 3 == 0) c.add(value(1, i));
  }
  coflow::hyperloglog<std::uint64_t> merged = a;
  merged.merge(b);
  merged.merge(c);
  EXPECT_EQ(merged, whole);
  EXPECT_EQ(merged.estimate(), whole.estimate());
  EXPECT_NE(a, whole);

  coflow::hyperloglog<std::uint64_t> other_order = c;  // order and grouping do not matter
  other_order.merge(b);
  other_order.merge(a);
  other_order.merge(other_order);
  EXPECT_EQ(other_order, whole);
  EXPECT_NEAR(whole.estimate(), 30'000, 3 * whole.relative_standard_error() * 30'000);

  coflow::hyperloglog<std::uint64_t> empty(12);
  empty.merge(whole);
  EXPECT_EQ(empty, whole);
}

TEST(HyperLogLog, MergingDifferentPrecisionsThrows) {
  coflow::hyperloglog<int> a(12);
  const coflow::hyperloglog<int> b(13);
  a.add(1);
  const coflow::hyperloglog<int> before = a;
  EXPECT_THROW(a.merge(b), std::invalid_argument);
  EXPECT_EQ(a, before);
}

TEST(HyperLogLog, SerializesDenseAndSparseSketches) {
  for (std::uint64_t n : {0, 1, 100, 3000, 100'000}) {
    coflow::hyperloglog<std::uint64_t> h(14);
    for (std::uint64_t i = 0; i < n; ++i) h.add(value(3, i));
    std::vector<std::byte> bytes = {std::byte{42}};  // serialize appends
    h.serialize(bytes);
    const auto back = coflow::hyperloglog<std::uint64_t>::deserialize(std::span(bytes).subspan(1));
    EXPECT_EQ(back, h) << n;
    EXPECT_EQ(back.estimate(), h.estimate()) << n;
    EXPECT_LE(bytes.size(), 1 + 25 + (std::size_t{1} << 14) * 6 / 8) << n;
    if (n <= 100) {  // only the registers in use
      const auto used = std::count_if(h.registers().begin(), h.registers().end(),
                                      [](std::uint8_t r) { return r != 0; });
      EXPECT_EQ(bytes.size(), 1 + 33 + 4 * static_cast<std::size_t>(used)) << n;
    }
  }
}

TEST(HyperLogLog, DeserializeRejectsGarbage) {
  using hll = coflow::hyperloglog<int>;
  hll h(4);
  for (int i = 0; i < 1000; ++i) h.add(i);
  std::vector<std::byte> good;
  h.serialize(good);
  ASSERT_EQ(hll::deserialize(good), h);

  EXPECT_THROW(hll::deserialize({}), coflow::format_error);
  std::vector<std::byte> shorter(good.begin(), good.end() - 1);
  EXPECT_THROW(hll::deserialize(shorter), coflow::format_error);
  std::vector<std::byte> longer = good;
  longer.push_back(std::byte{0});
  EXPECT_THROW(hll::deserialize(longer), coflow::format_error);

  const std::size_t p_at = 8 + 11 + 4;  // after the tag's length, the tag and the version
  std::vector<std::byte> bad_p = good;
  bad_p[p_at] = std::byte{19};
  EXPECT_THROW(hll::deserialize(bad_p), coflow::format_error);
  std::vector<std::byte> bad_encoding = good;
  bad_encoding[p_at + 1] = std::byte{7};
  EXPECT_THROW(hll::deserialize(bad_encoding), coflow::format_error);
  std::vector<std::byte> bad_rank = good;  // p = 4: ranks up to 61; 63 in the first register
  bad_rank[p_at + 2] = std::byte{63};
  EXPECT_THROW(hll::deserialize(bad_rank), coflow::format_error);

  std::vector<std::byte> other_kind;
  coflow::byte_writer w(other_kind);
  w.header("moments", 1);
  EXPECT_THROW(hll::deserialize(other_kind), coflow::format_error);

  hll sparse(14);
  sparse.add(1);
  sparse.add(2);
  std::vector<std::byte> s;
  sparse.serialize(s);
  ASSERT_EQ(hll::deserialize(s), sparse);
  std::vector<std::byte> huge_count = s;  // a count the remaining bytes cannot hold
  huge_count[p_at + 2 + 7] = std::byte{0x7f};
  EXPECT_THROW(hll::deserialize(huge_count), coflow::format_error);
  std::vector<std::byte> zero_rank = s;  // an entry whose rank is 0
  zero_rank[p_at + 2 + 8] &= std::byte{0xc0};
  EXPECT_THROW(hll::deserialize(zero_rank), coflow::format_error);
  std::vector<std::byte> unordered = s;  // the second entry repeats the first's index
  for (int i = 0; i < 4; ++i) unordered[p_at + 2 + 8 + 4 + i] = unordered[p_at + 2 + 8 + i];
  EXPECT_THROW(hll::deserialize(unordered), coflow::format_error);
}

TEST(HyperLogLog, CountsZerosAndNaNsAsOneValueEach) {
  coflow::hyperloglog<double> h;
  h.add(0.0);
  h.add(-0.0);
  h.add(std::numeric_limits<double>::quiet_NaN());
  h.add(-std::numeric_limits<double>::quiet_NaN());
  h.add(std::numeric_limits<double>::signaling_NaN());
  h.add(std::bit_cast<double>(0x7ff8000000000123ULL));  // a NaN with a payload
  EXPECT_EQ(h.result(), 2u);

  coflow::hyperloglog<double> one_zero;
  one_zero.add(0.0);
  coflow::hyperloglog<double> other_zero;
  other_zero.add(-0.0);
  EXPECT_EQ(one_zero, other_zero);

  coflow::hyperloglog<float> f;
  f.add(-0.0f);
  f.add(0.0f);
  f.add(std::numeric_limits<float>::quiet_NaN());
  f.add(-std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(f.result(), 2u);

  coflow::hyperloglog<long double> l;
  l.add(-0.0L);
  l.add(0.0L);
  l.add(1.0L);
  l.add(1.0L + std::numeric_limits<long double>::epsilon());  // one ulp apart: distinct
  l.add(-1.0L);
  EXPECT_EQ(l.result(), 4u);
}

TEST(HyperLogLog, CountsStrings) {
  coflow::hyperloglog<std::string> h;
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 500; ++i) h.add("key" + std::to_string(i));
  h.add("");
  EXPECT_NEAR(h.estimate(), 501, 3);
}

TEST(HyperLogLog, RunsInAPipeline) {
  std::vector<int> values;
  for (int i = 0; i < 2000; ++i) values.push_back(i % 700);
  const coflow::hyperloglog<int> state =
      coflow::run(values, coflow::sinks::aggregate(coflow::hyperloglog<int>(12)));
  EXPECT_EQ(state.precision(), 12);
  EXPECT_NEAR(state.estimate(), 700, 3 * state.relative_standard_error() * 700);

  const std::optional<std::uint64_t> last = coflow::run(
      values, coflow::ops::aggregate(coflow::hyperloglog<int>(12)) | coflow::sinks::last());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, state.result());
}

}  // namespace
