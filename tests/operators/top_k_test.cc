#include "operators/top_k.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/last.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/run.hpp"

namespace {

static_assert(coflow::serializable_aggregate<coflow::top_k<int>>);
static_assert(coflow::serializable_aggregate<coflow::top_k<std::uint64_t>>);
static_assert(coflow::serializable_aggregate<coflow::top_k<double>>);
static_assert(coflow::serializable_aggregate<coflow::top_k<std::string>>);
static_assert(std::same_as<coflow::aggregate_result_t<coflow::top_k<int>>,
                           std::vector<coflow::top_k_entry<int>>>);

template <class T>
concept top_k_of = requires {
  typename coflow::top_k<T>;
};
static_assert(!top_k_of<std::string_view>);  // would keep views of the caller's strings
static_assert(!top_k_of<long double>);
static_assert(!top_k_of<std::vector<int>>);

using frequencies = std::map<long, std::uint64_t>;

// A Zipf-like stream: value first + i occurs about scale / (i + 1) times (at least once), for
// i < distinct; shuffled by a fixed seed.
std::vector<long> zipf_stream(long first, long distinct, double scale, std::uint64_t seed) {
  std::vector<long> out;
  for (long i = 0; i < distinct; ++i) {
    const auto times =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(scale / static_cast<double>(i + 1)));
    out.insert(out.end(), times, first + i);
  }
  std::shuffle(out.begin(), out.end(), std::mt19937_64(seed));
  return out;
}

frequencies count_exactly(std::span<const long> values) {
  frequencies f;
  for (long v : values) ++f[v];
  return f;
}

// Checks space-saving's guarantees against the true frequencies of the n values added.
void expect_guarantees(const coflow::top_k<long>& sketch, const frequencies& truth,
                       std::uint64_t n) {
  const std::uint64_t m = sketch.capacity();
  EXPECT_EQ(sketch.total(), n);
  EXPECT_LE(sketch.bound() * m, n) << "bound " << sketch.bound() << " exceeds n / m";
  const auto reported = sketch.result();
  EXPECT_LE(reported.size(), m);
  std::map<long, coflow::top_k_entry<long>> by_value;
  for (const auto& e : reported) {
    const auto it = truth.find(e.value);
    const std::uint64_t f = it == truth.end() ? 0 : it->second;
    EXPECT_LE(e.count - e.error, f) << "value " << e.value << ": the lower bound is too high";
    EXPECT_GE(e.count, f) << "value " << e.value << ": the count underestimates";
    EXPECT_LE(e.error, sketch.bound()) << "value " << e.value;
    by_value.emplace(e.value, e);
  }
  int heavy = 0;
  for (const auto& [value, f] : truth) {
    if (f > sketch.bound()) {
      EXPECT_TRUE(by_value.contains(value)) << "value " << value << " of frequency " << f
                                            << " > bound " << sketch.bound() << " is missing";
    }
    heavy += f * m > n;
  }
  EXPECT_GT(heavy, 0) << "the stream has no value above n / m: a test that cannot fail";
  EXPECT_TRUE(std::is_sorted(reported.begin(), reported.end(), [](const auto& a, const auto& b) {
    return a.count != b.count ? a.count > b.count : a.value < b.value;
  }));
}

TEST(TopK, RejectsCapacityZero) {
  EXPECT_THROW(coflow::top_k<int>(0), std::invalid_argument);
  EXPECT_EQ(coflow::top_k<int>().capacity(), 100u);
}

TEST(TopK, CountsExactlyWhileThereAreFewerValuesThanCounters) {
  coflow::top_k<int> sketch(10);
  for (int i = 0; i < 10; ++i)
    for (int j = 0; j <= i; ++j) sketch.add(i);
  const auto r = sketch.result();
  ASSERT_EQ(r.size(), 10u);
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(r[static_cast<std::size_t>(i)].value, 9 - i);
    EXPECT_EQ(r[static_cast<std::size_t>(i)].count, static_cast<std::uint64_t>(10 - i));
    EXPECT_EQ(r[static_cast<std::size_t>(i)].error, 0u);
  }
  EXPECT_EQ(sketch.bound(), 1u);  // full: the smallest count bounds what is not reported
  EXPECT_EQ(sketch.top(3).size(), 3u);
  EXPECT_EQ(sketch.top(3)[0].value, 9);
}

TEST(TopK, ReportsEveryValueAboveNOverMWithBoundedCounts) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    for (std::size_t m : {10, 50, 200}) {
      const auto stream = zipf_stream(0, 5000, 20'000, seed);
      coflow::top_k<long> sketch(m);
      for (long v : stream) sketch.add(v);
      SCOPED_TRACE("seed " + std::to_string(seed) + ", m " + std::to_string(m));
      expect_guarantees(sketch, count_exactly(stream), stream.size());
    }
  }
}

TEST(TopK, MergedSketchesOfSplitStreamsKeepTheGuarantees) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    // Four workers see different mixtures: two share their heavy values, two have their own.
    std::vector<std::vector<long>> parts = {
        zipf_stream(0, 3000, 10'000, seed), zipf_stream(0, 3000, 6'000, seed + 100),
        zipf_stream(500, 3000, 8'000, seed + 200), zipf_stream(20'000, 200, 3'000, seed + 300)};
    std::vector<long> all;
    for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
    const frequencies truth = count_exactly(all);

    std::vector<coflow::top_k<long>> sketches(parts.size(), coflow::top_k<long>(40));
    for (std::size_t i = 0; i < parts.size(); ++i)
      for (long v : parts[i]) sketches[i].add(v);

    coflow::top_k<long> chain = sketches[0];  // ((0 + 1) + 2) + 3
    for (std::size_t i = 1; i < sketches.size(); ++i) chain.merge(sketches[i]);
    SCOPED_TRACE("seed " + std::to_string(seed));
    expect_guarantees(chain, truth, all.size());

    coflow::top_k<long> left = sketches[3];  // (3 + 2) + (1 + 0)
    left.merge(sketches[2]);
    coflow::top_k<long> right = sketches[1];
    right.merge(sketches[0]);
    left.merge(right);
    expect_guarantees(left, truth, all.size());

    for (long v : all) left.add(v);  // adds after a merge keep them too
    frequencies twice = truth;
    for (auto& [value, f] : twice) f *= 2;
    expect_guarantees(left, twice, 2 * all.size());
  }
}

TEST(TopK, MergingWithEmptyOrSmallSketchesIsExact) {
  coflow::top_k<long> a(10);
  coflow::top_k<long> b(10);
  for (long v : {1, 1, 2, 3, 3, 3}) a.add(v);
  for (long v : {3, 4, 4}) b.add(v);
  a.merge(coflow::top_k<long>(10));
  a.merge(b);
  const std::vector<coflow::top_k_entry<long>> expected = {
      {3, 4, 0}, {1, 2, 0}, {4, 2, 0}, {2, 1, 0}};
  EXPECT_EQ(a.result(), expected);
  EXPECT_EQ(a.total(), 9u);
  a.merge(a);
  EXPECT_EQ(a.result()[0].count, 8u);
  EXPECT_EQ(a.total(), 18u);
  EXPECT_THROW(a.merge(coflow::top_k<long>(11)), std::invalid_argument);
}

// Misra-Gries' cut: counts tied with the (m + 1)-th largest are all dropped, and the bound
// rises to cover them.
TEST(TopK, MergeDropsCountsTiedAtTheCutAndRaisesTheBound) {
  coflow::top_k<char> a(3);
  coflow::top_k<char> b(3);
  for (char v : std::string_view("xxxxxyyy")) a.add(v);
  for (char v : std::string_view("zzzwww")) b.add(v);
  a.merge(b);
  const std::vector<coflow::top_k_entry<char>> expected = {{'x', 5, 0}};
  EXPECT_EQ(a.result(), expected);
  EXPECT_EQ(a.bound(), 3u);  // y, z and w occurred 3 times each
  EXPECT_EQ(a.total(), 14u);
  a.add('y');
  const std::vector<coflow::top_k_entry<char>> after = {{'x', 5, 0}, {'y', 4, 3}};
  EXPECT_EQ(a.result(), after);
}

TEST(TopK, BreaksTiesByValue) {
  coflow::top_k<int> forward(10);
  coflow::top_k<int> backward(10);
  for (int round = 0; round < 2; ++round) {
    for (int v : {5, 3, 9, 1}) forward.add(v);
    for (int v : {1, 9, 3, 5}) backward.add(v);
  }
  const auto r = forward.result();
  EXPECT_EQ(r, backward.result());
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].value, 1);
  EXPECT_EQ(r[1].value, 3);
  EXPECT_EQ(r[2].value, 5);
  EXPECT_EQ(r[3].value, 9);
}

TEST(TopK, CountsStrings) {
  const std::vector<std::string> words = {"the", "a", "the", "of", "the", "a", "x",
                                          "y",   "z", "the", "q",  "a",   "w", "the"};
  coflow::top_k<std::string> sketch(4);
  for (int round = 0; round < 100; ++round)
    for (const auto& w : words) sketch.add(w);
  const auto top = sketch.top(2);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].value, "the");
  EXPECT_EQ(top[1].value, "a");
  EXPECT_GE(top[0].count, 500u);
  EXPECT_LE(top[0].count - top[0].error, 500u);
  EXPECT_GE(top[1].count, 300u);
  EXPECT_LE(top[1].count - top[1].error, 300u);

  std::vector<std::byte> bytes;
  sketch.serialize(bytes);
  EXPECT_EQ(coflow::top_k<std::string>::deserialize(bytes), sketch);
}

TEST(TopK, CountsZerosAndNaNsAsOneValueEach) {
  coflow::top_k<double> sketch(5);
  sketch.add(-0.0);  // the first of each kept would be the one reported, without canonical forms
  sketch.add(0.0);
  sketch.add(-std::numeric_limits<double>::quiet_NaN());
  sketch.add(std::numeric_limits<double>::quiet_NaN());
  sketch.add(std::numeric_limits<double>::infinity());
  const auto r = sketch.result();
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].value, 0.0);
  EXPECT_FALSE(std::signbit(r[0].value));
  EXPECT_EQ(r[0].count, 2u);
  EXPECT_TRUE(std::isnan(r[1].value));  // the tie with 0.0 goes to 0.0: NaN sorts last
  EXPECT_FALSE(std::signbit(r[1].value));
  EXPECT_EQ(r[1].count, 2u);
  EXPECT_EQ(r[2].value, std::numeric_limits<double>::infinity());

  std::vector<std::byte> bytes;
  sketch.serialize(bytes);
  const auto back = coflow::top_k<double>::deserialize(bytes);
  EXPECT_EQ(back.total(), 5u);
  EXPECT_TRUE(std::isnan(back.result()[1].value));
}

TEST(TopK, SerializedSketchGoesOnAsTheOriginal) {
  const auto stream = zipf_stream(0, 2000, 5'000, 9);
  coflow::top_k<long> sketch(30);
  const std::size_t half = stream.size() / 2;
  for (std::size_t i = 0; i < half; ++i) sketch.add(stream[i]);
  std::vector<std::byte> bytes;
  sketch.serialize(bytes);
  auto back = coflow::top_k<long>::deserialize(bytes);
  EXPECT_EQ(back, sketch);
  EXPECT_EQ(back.bound(), sketch.bound());
  for (std::size_t i = half; i < stream.size(); ++i) {
    sketch.add(stream[i]);
    back.add(stream[i]);
  }
  EXPECT_EQ(back, sketch);

  coflow::top_k<long> merged = sketch;  // a merged sketch, whose bound is its own
  merged.merge(back);
  bytes.clear();
  merged.serialize(bytes);
  EXPECT_EQ(coflow::top_k<long>::deserialize(bytes), merged);
}

TEST(TopK, DeserializeRejectsGarbage) {
  using sketch_type = coflow::top_k<std::int8_t>;
  sketch_type sketch(3);
  for (std::int8_t v : {1, 1, 2, 3, 4, 4, 4}) sketch.add(v);
  std::vector<std::byte> good;
  sketch.serialize(good);
  ASSERT_EQ(sketch_type::deserialize(good), sketch);

  EXPECT_THROW(sketch_type::deserialize({}), coflow::format_error);
  std::vector<std::byte> shorter(good.begin(), good.end() - 1);
  EXPECT_THROW(sketch_type::deserialize(shorter), coflow::format_error);
  std::vector<std::byte> longer = good;
  longer.push_back(std::byte{0});
  EXPECT_THROW(sketch_type::deserialize(longer), coflow::format_error);

  const std::size_t body = 8 + 5 + 4;  // after the tag's length, the tag and the version
  auto with = [&](std::size_t at, std::uint64_t v) {
    std::vector<std::byte> b = good;
    for (std::size_t i = 0; i < 8; ++i) b[at + i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
    return b;
  };
  EXPECT_THROW(sketch_type::deserialize(with(body, 0)), coflow::format_error);          // capacity
  EXPECT_THROW(sketch_type::deserialize(with(body, 2)), coflow::format_error);          // < held
  EXPECT_THROW(sketch_type::deserialize(with(body + 8, 3)), coflow::format_error);      // total
  EXPECT_THROW(sketch_type::deserialize(with(body + 16, 5)), coflow::format_error);     // bound
  EXPECT_THROW(sketch_type::deserialize(with(body + 24, 1000)), coflow::format_error);  // held
  const std::size_t first = body + 32;  // the first counter: value, count, error
  EXPECT_THROW(sketch_type::deserialize(with(first, 300)), coflow::format_error);       // not int8
  EXPECT_THROW(sketch_type::deserialize(with(first + 8, 0)), coflow::format_error);     // count
  EXPECT_THROW(sketch_type::deserialize(with(first + 16, 100)), coflow::format_error);  // error
  std::vector<std::byte> twice = good;  // the second counter holds the first's value
  std::copy(good.begin() + first, good.begin() + first + 8, twice.begin() + first + 24);
  EXPECT_THROW(sketch_type::deserialize(twice), coflow::format_error);

  std::vector<std::byte> hll_kind;
  coflow::byte_writer w(hll_kind);
  w.header("hyperloglog", 1);
  EXPECT_THROW(sketch_type::deserialize(hll_kind), coflow::format_error);
}

TEST(TopK, RunsInAPipeline) {
  const auto stream = zipf_stream(0, 500, 1'000, 4);
  const auto state = coflow::run(stream, coflow::sinks::aggregate(coflow::top_k<long>(20)));
  expect_guarantees(state, count_exactly(stream), stream.size());

  const std::vector<int> small = {4, 4, 2, 4, 2, 7};
  const auto last =
      coflow::run(small, coflow::ops::aggregate(coflow::top_k<int>(5)) | coflow::sinks::last());
  ASSERT_TRUE(last.has_value());
  const std::vector<coflow::top_k_entry<int>> expected = {{4, 3, 0}, {2, 2, 0}, {7, 1, 0}};
  EXPECT_EQ(*last, expected);
}

}  // namespace
