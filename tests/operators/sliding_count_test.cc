#include "operators/sliding_count.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <list>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/group_by.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/tumbling_count.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/run.hpp"
#include "tests/support/counting_new.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

// collect keeps every value it is given, in order, so that a test sees a window's exact
// contents (and that panes are merged oldest first).
struct collect {
  using value_type = int;
  std::vector<int> values;
  void add(int v) { values.push_back(v); }
  void merge(const collect& other) {
    values.insert(values.end(), other.values.begin(), other.values.end());
  }
  [[nodiscard]] std::vector<int> result() const { return values; }
};

// counting_merges is a sum that counts the merges made of all its copies.
struct counting_merges {
  static inline std::uint64_t merges = 0;
  using value_type = int;
  long sum = 0;
  void add(int v) { sum += v; }
  void merge(const counting_merges& other) {
    ++merges;
    sum += other.sum;
  }
  [[nodiscard]] long result() const { return sum; }
};

// throwing_merge throws from merge when the other state sums to more than 10.
struct throwing_merge {
  using value_type = int;
  long sum = 0;
  void add(int v) { sum += v; }
  void merge(const throwing_merge& other) {
    if (other.sum > 10) throw std::runtime_error("merge");
    sum += other.sum;
  }
  [[nodiscard]] long result() const { return sum; }
};

using window = coflow::window_result<std::vector<int>>;

static_assert(std::same_as<coflow::output_t<ops::sliding_count_stage<collect>, int>, window>);

std::vector<int> iota(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

// The windows worked out value by value, with no panes.
std::vector<window> reference(const std::vector<int>& values, std::uint64_t n, std::uint64_t step) {
  std::vector<window> out;
  for (std::uint64_t first = 0, index = 0; first < values.size(); first += step, ++index) {
    const std::uint64_t count = std::min<std::uint64_t>(n, values.size() - first);
    out.push_back({index, first, count,
                   std::vector<int>(values.begin() + static_cast<std::ptrdiff_t>(first),
                                    values.begin() + static_cast<std::ptrdiff_t>(first + count))});
  }
  return out;
}

TEST(SlidingCount, OutputsEachWindowWhenItsLastValueArrives) {
  auto windows = coflow::run(std::vector{1, 2, 3, 4, 5, 6},
                             ops::sliding_count(4, 2, collect{}) | sinks::to_vector());
  EXPECT_EQ(windows, (std::vector<window>{
                         {0, 0, 4, {1, 2, 3, 4}}, {1, 2, 4, {3, 4, 5, 6}}, {2, 4, 2, {5, 6}}}));
}

TEST(SlidingCount, FlushesEveryWindowBegunAtEndOfStream) {
  auto windows = coflow::run(std::vector{1, 2, 3, 4},
                             ops::sliding_count(3, 1, collect{}) | sinks::to_vector());
  EXPECT_EQ(windows,
            (std::vector<window>{
                {0, 0, 3, {1, 2, 3}}, {1, 1, 3, {2, 3, 4}}, {2, 2, 2, {3, 4}}, {3, 3, 1, {4}}}));
}

TEST(SlidingCount, MatchesTheValueByValueWindowsForEveryCountAndStep) {
  for (int length : {0, 1, 5, 12, 37}) {
    const auto values = iota(length);
    for (std::uint64_t n = 1; n <= 9; ++n) {
      for (std::uint64_t step = 1; step <= n; ++step) {
        EXPECT_EQ(coflow::run(values, ops::sliding_count(n, step, collect{}) | sinks::to_vector()),
                  reference(values, n, step))
            << "length " << length << ", n " << n << ", step " << step;
      }
    }
  }
}

TEST(SlidingCount, WithAStepOfNGivesTumblingCountsWindows) {
  const auto values = iota(23);
  EXPECT_EQ(coflow::run(values, ops::sliding_count(5, 5, collect{}) | sinks::to_vector()),
            coflow::run(values, ops::tumbling_count(5, collect{}) | sinks::to_vector()));
}

TEST(SlidingCount, OutputsNothingForAnEmptyStream) {
  EXPECT_TRUE(
      coflow::run(std::vector<int>{}, ops::sliding_count(3, 1, collect{}) | sinks::to_vector())
          .empty());
}

TEST(SlidingCount, MergesAConstantNumberOfTimesPerValueWhateverTheWindowLength) {
  const auto values = iota(20000);
  counting_merges::merges = 0;
  auto windows =
      coflow::run(values, ops::sliding_count(1000, 1, counting_merges{}) | sinks::to_vector());
  ASSERT_EQ(windows.size(), values.size());
  EXPECT_EQ(windows[0].result, 999 * 1000 / 2);
  EXPECT_EQ(windows[1000].result, (1000 + 1999) * 1000 / 2);
  EXPECT_LE(counting_merges::merges, 4 * values.size());
}

TEST(SlidingCount, RejectsBadParametersNamingThem) {
  auto message = [](auto make) {
    try {
      (void)make();
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("no exception");
  };
  EXPECT_NE(message([] { return ops::sliding_count(0, 1, collect{}); }).find("n must be"),
            std::string::npos);
  EXPECT_NE(message([] { return ops::sliding_count(3, 0, collect{}); }).find("step must be"),
            std::string::npos);
  EXPECT_NE(message([] { return ops::sliding_count(3, 4, collect{}); }).find("step must be"),
            std::string::npos);
}

TEST(SlidingCount, AHugeCountAllocatesOnlyForTheValuesThatArrive) {
  constexpr auto huge = std::numeric_limits<std::uint64_t>::max();
  // The largest single allocation (counting_new): a huge n is not reserved up front.
  coflow::test_support::largest_allocation = 0;
  auto windows = coflow::run(std::vector{1, 2, 3},
                             ops::sliding_count(huge, 1, collect{}) | sinks::to_vector());
  EXPECT_GT(coflow::test_support::largest_allocation.load(), 0u);  // the windows were counted
  EXPECT_LT(coflow::test_support::largest_allocation.load(), 4096u);
  EXPECT_EQ(windows,
            (std::vector<window>{{0, 0, 3, {1, 2, 3}}, {1, 1, 2, {2, 3}}, {2, 2, 1, {3}}}));
  auto one = coflow::run(std::vector{1, 2},
                         ops::sliding_count(huge, huge, collect{}) | sinks::to_vector());
  EXPECT_EQ(one, (std::vector<window>{{0, 0, 2, {1, 2}}}));
}

TEST(SlidingCount, AThrowingAggregatePropagatesItsException) {
  auto p = ops::sliding_count(2, 1, throwing_merge{}) | sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 30, 4}, p), std::runtime_error);
  auto ok = coflow::run(std::vector{1, 2, 3}, p);
  ASSERT_EQ(ok.size(), 3u);
  EXPECT_EQ(ok[1].result, 5);
}

TEST(SlidingCount, StopsWhenDownstreamIsDone) {
  auto windows = coflow::run(
      iota(10), ops::sliding_count(3, 1, collect{}) | ops::take(2) | sinks::to_vector());
  EXPECT_EQ(windows, (std::vector<window>{{0, 0, 3, {0, 1, 2}}, {1, 1, 3, {1, 2, 3}}}));
}

TEST(SlidingCount, AVectorAndAListGiveTheSameWindows) {
  const auto values = iota(700);
  std::list<int> list(values.begin(), values.end());
  auto p = ops::sliding_count(10, 4, collect{}) | sinks::to_vector();
  auto from_vector = coflow::run(values, p);
  EXPECT_EQ(from_vector, coflow::run(list, p));
  EXPECT_EQ(from_vector, reference(values, 10, 4));
}

TEST(SlidingCount, GroupByGivesWindowsPerKey) {
  auto by_parity = coflow::run(
      iota(7), sinks::group_by([](int v) { return v % 2; },
                               ops::sliding_count(2, 1, collect{}) | sinks::to_vector()));
  EXPECT_EQ(by_parity,
            (std::map<int, std::vector<window>>{
                {0, {{0, 0, 2, {0, 2}}, {1, 1, 2, {2, 4}}, {2, 2, 2, {4, 6}}, {3, 3, 1, {6}}}},
                {1, {{0, 0, 2, {1, 3}}, {1, 1, 2, {3, 5}}, {2, 2, 1, {5}}}}}));
}

}  // namespace
