#include "operators/tumbling_count.hpp"

#include <gtest/gtest.h>

#include <concepts>
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
#include "pipeline/compose.hpp"
#include "pipeline/run.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

// collect keeps every value it is given, so that a test sees a window's exact contents.
struct collect {
  using value_type = int;
  std::vector<int> values;
  void add(int v) { values.push_back(v); }
  void merge(const collect& other) {
    values.insert(values.end(), other.values.begin(), other.values.end());
  }
  [[nodiscard]] std::vector<int> result() const { return values; }
};
static_assert(coflow::mergeable_aggregate<collect>);

// throwing_at throws from add when it sees `bad`.
struct throwing_at {
  using value_type = int;
  int bad = 0;
  long sum = 0;
  void add(int v) {
    if (v == bad) throw std::runtime_error("bad value " + std::to_string(v));
    sum += v;
  }
  void merge(const throwing_at& other) { sum += other.sum; }
  [[nodiscard]] long result() const { return sum; }
};

using window = coflow::window_result<std::vector<int>>;

static_assert(std::same_as<coflow::output_t<ops::tumbling_count_stage<collect>, int>, window>);

TEST(TumblingCount, OutputsEachWindowOfNValuesAndFlushesThePartialLastOne) {
  auto windows = coflow::run(std::vector{1, 2, 3, 4, 5, 6, 7},
                             ops::tumbling_count(3, collect{}) | sinks::to_vector());
  EXPECT_EQ(windows,
            (std::vector<window>{{0, 0, 3, {1, 2, 3}}, {1, 3, 3, {4, 5, 6}}, {2, 6, 1, {7}}}));
}

TEST(TumblingCount, OutputsNoEmptyWindowWhenTheStreamEndsOnABoundary) {
  auto windows =
      coflow::run(std::vector{1, 2, 3, 4}, ops::tumbling_count(2, collect{}) | sinks::to_vector());
  EXPECT_EQ(windows, (std::vector<window>{{0, 0, 2, {1, 2}}, {1, 2, 2, {3, 4}}}));
}

TEST(TumblingCount, OutputsNothingForAnEmptyStream) {
  auto windows =
      coflow::run(std::vector<int>{}, ops::tumbling_count(2, collect{}) | sinks::to_vector());
  EXPECT_TRUE(windows.empty());
}

TEST(TumblingCount, EachWindowStartsFromACopyOfTheInitialState) {
  collect primed;
  primed.add(100);
  auto windows =
      coflow::run(std::vector{1, 2, 3}, ops::tumbling_count(2, primed) | sinks::to_vector());
  EXPECT_EQ(windows, (std::vector<window>{{0, 0, 2, {100, 1, 2}}, {1, 2, 1, {100, 3}}}));
}

TEST(TumblingCount, RejectsAZeroCountNamingIt) {
  try {
    (void)ops::tumbling_count(0, collect{});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("n must be at least 1"), std::string::npos) << e.what();
  }
}

TEST(TumblingCount, AHugeCountHoldsOneWindowWithoutReservingForIt) {
  constexpr auto huge = std::numeric_limits<std::uint64_t>::max();
  auto windows =
      coflow::run(std::vector{1, 2, 3}, ops::tumbling_count(huge, collect{}) | sinks::to_vector());
  EXPECT_EQ(windows, (std::vector<window>{{0, 0, 3, {1, 2, 3}}}));
}

TEST(TumblingCount, AThrowingAggregatePropagatesItsException) {
  auto p = ops::tumbling_count(2, throwing_at{3}) | sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3, 4}, p), std::runtime_error);
  auto ok = coflow::run(std::vector{1, 2, 4}, p);
  ASSERT_EQ(ok.size(), 2u);
  EXPECT_EQ(ok[0].result, 3);
  EXPECT_EQ(ok[1].result, 4);
}

TEST(TumblingCount, StopsWhenDownstreamIsDoneAndFlushesNothingThen) {
  auto windows = coflow::run(std::vector{1, 2, 3, 4, 5},
                             ops::tumbling_count(2, collect{}) | ops::take(1) | sinks::to_vector());
  EXPECT_EQ(windows, (std::vector<window>{{0, 0, 2, {1, 2}}}));
}

TEST(TumblingCount, AVectorAndAListGiveTheSameWindows) {
  std::vector<int> values;
  for (int i = 0; i < 1000; ++i) values.push_back(i % 17);
  std::list<int> list(values.begin(), values.end());
  auto p = ops::tumbling_count(7, collect{}) | sinks::to_vector();
  auto from_vector = coflow::run(values, p);
  EXPECT_EQ(from_vector, coflow::run(list, p));
  EXPECT_EQ(from_vector.size(), 143u);
}

TEST(TumblingCount, GroupByGivesWindowsPerKey) {
  auto by_parity =
      coflow::run(std::vector{1, 2, 3, 4, 5, 6, 7},
                  sinks::group_by([](int v) { return v % 2; },
                                  ops::tumbling_count(2, collect{}) | sinks::to_vector()));
  EXPECT_EQ(by_parity,
            (std::map<int, std::vector<window>>{{0, {{0, 0, 2, {2, 4}}, {1, 2, 1, {6}}}},
                                                {1, {{0, 0, 2, {1, 3}}, {1, 2, 2, {5, 7}}}}}));
}

}  // namespace
