#include "operators/count.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/move.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"

namespace {

static_assert(coflow::stage_description<coflow::ops::count_stage>);
static_assert(coflow::sink_description<coflow::sinks::count_sink>);
static_assert(
    std::same_as<decltype(coflow::run(std::vector<std::string>{}, coflow::sinks::count())),
                 std::uint64_t>);
static_assert(std::same_as<decltype(coflow::run(std::vector<double>{},
                                                coflow::ops::count() | coflow::sinks::last())),
                           std::optional<std::uint64_t>>);

// A Python-style counter: answers how many values it has seen.
template <class T>
coflow::coroutine<T, std::uint64_t> counter() {
  std::uint64_t seen = 0;
  std::optional<std::uint64_t> reply;
  while (co_yield reply) reply = ++seen;
}

template <class T>
T make(int n) {
  if constexpr (std::same_as<T, std::unique_ptr<int>>) {
    return std::make_unique<int>(n);
  } else if constexpr (std::same_as<T, std::string>) {
    return std::string(static_cast<std::size_t>(n), 'x');
  } else {
    return static_cast<T>(n);
  }
}

template <class T>
std::vector<T> make_n(int n) {
  std::vector<T> out;
  for (int i = 1; i <= n; ++i) out.push_back(make<T>(i));
  return out;
}

template <class T>
class CountTyped : public ::testing::Test {};
using ValueTypes = ::testing::Types<int, double, std::string, std::unique_ptr<int>>;
TYPED_TEST_SUITE(CountTyped, ValueTypes);

// views::move hands the elements over, so move-only values can be counted too.
TYPED_TEST(CountTyped, OutputsTheRunningCount) {
  auto xs = make_n<TypeParam>(4);
  EXPECT_EQ(
      coflow::run(xs | ranges::views::move, coflow::ops::count() | coflow::sinks::to_vector()),
      (std::vector<std::uint64_t>{1, 2, 3, 4}));
}

TYPED_TEST(CountTyped, SinkReturnsTheCount) {
  auto xs = make_n<TypeParam>(7);
  EXPECT_EQ(coflow::run(xs | ranges::views::move, coflow::sinks::count()), 7u);
}

TYPED_TEST(CountTyped, CountsNothingInAnEmptyStream) {
  std::vector<TypeParam> none;
  EXPECT_EQ(coflow::run(none | ranges::views::move, coflow::sinks::count()), 0u);
  EXPECT_EQ(coflow::run(none | ranges::views::move, coflow::ops::count() | coflow::sinks::last()),
            std::nullopt);
}

TYPED_TEST(CountTyped, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(coflow::ops::count() | coflow::sinks::to_vector());
  p.send(make<TypeParam>(1));
  p.send(make<TypeParam>(2));
  EXPECT_EQ(p.close(), (std::vector<std::uint64_t>{1, 2}));
  auto q = coflow::open<TypeParam>(coflow::sinks::count());
  q.send(make<TypeParam>(3));
  EXPECT_EQ(q.close(), 1u);
}

TYPED_TEST(CountTyped, MatchesTheCoroutineCounter) {
  auto xs = make_n<TypeParam>(50);
  auto ys = make_n<TypeParam>(50);
  const auto from_operator =
      coflow::run(xs | ranges::views::move, coflow::ops::count() | coflow::sinks::to_vector());
  const auto from_coroutine =
      coflow::run(ys | ranges::views::move, counter<TypeParam>() | coflow::sinks::to_vector());
  ASSERT_EQ(from_operator.size(), 50u);
  EXPECT_EQ(from_operator, from_coroutine);
}

TEST(Count, RunsOverARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), coflow::sinks::count()), 5u);
  EXPECT_EQ(
      coflow::run(ranges::views::iota(1, 4), coflow::ops::count() | coflow::sinks::to_vector()),
      (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(Count, CountsWhatPassesAFilter) {
  auto p = coflow::ops::filter([](int x) { return x % 3 == 0; }) | coflow::sinks::count();
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 31), p), 10u);
}

TEST(Count, ComposesWithDownstreamOperatorsAndTake) {
  // Even counts only; take(3) after them stops the infinite source.
  auto p = coflow::ops::count() | coflow::ops::filter([](std::uint64_t n) { return n % 2 == 0; }) |
           coflow::ops::take(3) | coflow::sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(100), p), (std::vector<std::uint64_t>{2, 4, 6}));
}

TEST(Count, StopsTheSourceWhenTakeIsFull) {
  int pulled = 0;
  auto p = coflow::ops::transform([&pulled](int x) {
             ++pulled;
             return x;
           }) |
           coflow::ops::count() | coflow::ops::take(4) | coflow::sinks::last();
  EXPECT_EQ(coflow::run(ranges::views::iota(0), p), 4u);
  EXPECT_EQ(pulled, 4);
}

TEST(Count, LetsAnUpstreamExceptionReachTheCaller) {
  auto p = coflow::ops::transform([](int x) {
             if (x == 2) throw std::runtime_error("bad reading");
             return x;
           }) |
           coflow::sinks::count();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

TEST(Count, LetsADownstreamExceptionReachTheCaller) {
  auto p = coflow::ops::count() | coflow::ops::transform([](std::uint64_t n) {
             if (n == 3) throw std::runtime_error("third");
             return n;
           }) |
           coflow::sinks::last();
  EXPECT_THROW((void)coflow::run(std::vector{'a', 'b', 'c', 'd'}, p), std::runtime_error);
}

}  // namespace
