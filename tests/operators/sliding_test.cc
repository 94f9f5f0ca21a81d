#include "operators/sliding.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/drop.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

// sliding(n) outputs vectors of its input type.
static_assert(std::same_as<
              decltype(coflow::bind_chain<double>(ops::sliding(2) | sinks::to_vector()).finish()),
              std::vector<std::vector<double>>>);

template <class T>
std::vector<std::vector<T>> make_windows(std::initializer_list<std::initializer_list<int>> ws) {
  std::vector<std::vector<T>> out;
  for (auto w : ws) {
    std::vector<T> window;
    for (int v : w) window.push_back(T(v));
    out.push_back(std::move(window));
  }
  return out;
}

template <class T>
class SlidingTyped : public ::testing::Test {};
// Move-only types are rejected at compile time: each value is in n windows.
using value_types = ::testing::Types<int, double>;
TYPED_TEST_SUITE(SlidingTyped, value_types);

TYPED_TEST(SlidingTyped, OutputsTheWindowOfTheLastNValuesAfterEachValue) {
  std::vector<TypeParam> input{1, 2, 3, 4, 5};
  auto result = coflow::run(input, ops::sliding(3) | sinks::to_vector());
  EXPECT_EQ(result, make_windows<TypeParam>({{1, 2, 3}, {2, 3, 4}, {3, 4, 5}}));
}

TYPED_TEST(SlidingTyped, OutputsNothingBeforeNValuesHaveArrived) {
  std::vector<TypeParam> input{1, 2};
  auto result = coflow::run(input, ops::sliding(3) | sinks::to_vector());
  EXPECT_TRUE(result.empty());
}

TYPED_TEST(SlidingTyped, OutputsOneWindowForExactlyNValues) {
  std::vector<TypeParam> input{4, 5, 6};
  auto result = coflow::run(input, ops::sliding(3) | sinks::to_vector());
  EXPECT_EQ(result, make_windows<TypeParam>({{4, 5, 6}}));
}

TYPED_TEST(SlidingTyped, OutputsWindowsToAnOpenedPipelineAsValuesArrive) {
  auto p = coflow::open<TypeParam>(ops::sliding(2) | sinks::to_vector());
  p.send(TypeParam(1));
  p.send(TypeParam(2));
  p.send(TypeParam(3));
  EXPECT_EQ(p.close(), make_windows<TypeParam>({{1, 2}, {2, 3}}));
}

TEST(Sliding, ThrowsInvalidArgumentForASizeOfZero) {
  EXPECT_THROW((void)ops::sliding(0), std::invalid_argument);
}

TEST(Sliding, OfOneOutputsEachValueAlone) {
  auto result = coflow::run(std::vector{7, 8}, ops::sliding(1) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector<std::vector<int>>{{7}, {8}}));
}

TEST(Sliding, KeepsWindowsInArrivalOrderAcrossManyWrapsOfTheRing) {
  const int n = 4;
  auto result = coflow::run(ranges::views::iota(0, 103), ops::sliding(n) | sinks::to_vector());
  ASSERT_EQ(result.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    std::vector<int> expected(n);
    std::iota(expected.begin(), expected.end(), i);
    ASSERT_EQ(result[static_cast<std::size_t>(i)], expected) << "window " << i;
  }
}

TEST(Sliding, AHugeSizeOverAFewValuesAllocatesOnlyWhatArrives) {
  // Reserving 2^40 ints up front would throw std::bad_alloc.
  const auto result =
      coflow::run(std::vector{1, 2, 3}, ops::sliding(std::size_t{1} << 40) | sinks::to_vector());
  EXPECT_TRUE(result.empty());
}

TEST(Sliding, KeepsWindowsInOrderWhenTheRingGrowsPastWhatWasReserved) {
  // More than the 4096 values reserved at first: the ring grows before it is full, then wraps.
  const int n = 5000;
  const int count = 2 * n + 3;
  std::size_t windows = 0;
  bool in_order = true;
  coflow::run(ranges::views::iota(0, count),
              ops::sliding(n) | sinks::for_each([&](const std::vector<int>& window) {
                std::vector<int> expected(n);
                std::iota(expected.begin(), expected.end(), static_cast<int>(windows));
                in_order = in_order && window == expected;
                ++windows;
              }));
  EXPECT_EQ(windows, static_cast<std::size_t>(count - n + 1));
  EXPECT_TRUE(in_order);
}

TEST(Sliding, CopiesValuesThatOwnMemory) {
  auto result =
      coflow::run(std::vector<std::string>{"a", "bb", "ccc"}, ops::sliding(2) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector<std::vector<std::string>>{{"a", "bb"}, {"bb", "ccc"}}));
}

TEST(Sliding, ComputesAMovingAverageWithATransform) {
  auto means =
      coflow::run(std::vector{2.0, 4.0, 6.0, 8.0},
                  ops::sliding(2) | ops::transform([](const std::vector<double>& w) {
                    return std::accumulate(w.begin(), w.end(), 0.0) / static_cast<double>(w.size());
                  }) | sinks::to_vector());
  EXPECT_EQ(means, (std::vector{3.0, 5.0, 7.0}));
}

TEST(Sliding, StopsTheSourceWhenDownstreamIsDone) {
  int reads = 0;
  auto counted = ranges::views::iota(1) | ranges::views::transform([&reads](int x) {
                   ++reads;
                   return x;
                 });
  auto result = coflow::run(counted, ops::sliding(3) | ops::take(2) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector<std::vector<int>>{{1, 2, 3}, {2, 3, 4}}));
  EXPECT_EQ(reads, 4);
}

TEST(Sliding, FollowsAnUpstreamStage) {
  std::optional<std::vector<int>> last =
      coflow::run(ranges::views::iota(1, 10), ops::drop(5) | ops::sliding(3) | sinks::last());
  EXPECT_EQ(last, (std::vector{7, 8, 9}));
}

TEST(Sliding, PropagatesADownstreamException) {
  std::vector<std::vector<int>> seen;
  auto sink = sinks::for_each([&seen](std::vector<int> w) {
    if (w.back() == 4) throw std::runtime_error("rejected window");
    seen.push_back(std::move(w));
  });
  EXPECT_THROW(coflow::run(std::vector{1, 2, 3, 4, 5}, ops::sliding(2) | sink), std::runtime_error);
  EXPECT_EQ(seen, (std::vector<std::vector<int>>{{1, 2}, {2, 3}}));
}

TEST(Sliding, ADescriptionRunsAgainWithAnEmptyRing) {
  auto p = ops::sliding(2) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, p), (std::vector<std::vector<int>>{{1, 2}, {2, 3}}));
  EXPECT_EQ(coflow::run(std::vector{9}, p), (std::vector<std::vector<int>>{}));
}

}  // namespace
