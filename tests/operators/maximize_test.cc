#include "operators/maximize.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <limits>
#include <optional>
#include <random>
#include <range/v3/view/iota.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"
#include "tests/operators/running_extremum_fixtures.hpp"

namespace {

using coflow::ops::maximize;
using namespace coflow::extremum_testing;

static_assert(std::same_as<decltype(maximize()), coflow::ops::maximize_stage>);
static_assert(coflow::stage_description<coflow::ops::maximize_stage>);
// The output type is the input type.
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, maximize() | coflow::sinks::last())),
                 std::optional<int>>);
static_assert(std::same_as<decltype(coflow::run(std::vector<std::string>{},
                                                maximize() | coflow::sinks::last())),
                           std::optional<std::string>>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The Python maximize: the first value is the maximum; then it answers the maximum so far.
template <class T>
coflow::coroutine<T, T> maximize_coroutine() {
  std::optional<T> first = co_yield coflow::receive;
  if (!first) co_return;
  T current = std::move(*first);
  while (auto value = co_yield current) current = std::max(std::move(*value), current);
}

template <class T>
class MaximizeTyped : public ::testing::Test {};
TYPED_TEST_SUITE(MaximizeTyped, OrderedTypes);

TYPED_TEST(MaximizeTyped, OutputsTheRunningMaximum) {
  const auto xs = make_all<TypeParam>({1, 3, 2, 5, 4});
  EXPECT_EQ(coflow::run(xs, maximize() | coflow::sinks::to_vector()),
            make_all<TypeParam>({1, 3, 3, 5, 5}));
}

TYPED_TEST(MaximizeTyped, OutputsNothingForAnEmptyStream) {
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{}, maximize() | coflow::sinks::last()),
            std::nullopt);
}

TYPED_TEST(MaximizeTyped, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(maximize() | coflow::sinks::to_vector());
  p.send(make<TypeParam>(7));
  p.send(make<TypeParam>(8));
  p.send(make<TypeParam>(2));
  EXPECT_EQ(p.close(), make_all<TypeParam>({7, 8, 8}));
}

TEST(Maximize, MatchesTheCoroutineMaximize) {
  std::mt19937 engine(3);
  std::uniform_int_distribution<int> dist(-1000, 1000);
  std::vector<int> xs(500);
  for (int& x : xs) x = dist(engine);
  const auto from_operator = coflow::run(xs, maximize() | coflow::sinks::to_vector());
  const auto from_coroutine =
      coflow::run(xs, maximize_coroutine<int>() | coflow::sinks::to_vector());
  ASSERT_EQ(from_operator.size(), xs.size());
  EXPECT_EQ(from_operator, from_coroutine);
  EXPECT_EQ(from_operator.back(), *std::max_element(xs.begin(), xs.end()));
}

TEST(Maximize, KeepsTheEarliestOfEqualValues) {
  const auto out = coflow::run(std::vector<tagged>{{1, 'a'}, {2, 'b'}, {2, 'c'}, {1, 'd'}},
                               maximize() | coflow::sinks::to_vector());
  ASSERT_TRUE((tagged{2, 'b'} == tagged{2, 'c'}));  // the premise: equal, though told apart
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].tag, 'a');
  EXPECT_EQ(out[1].tag, 'b');
  EXPECT_EQ(out[2].tag, 'b');
  EXPECT_EQ(out[3].tag, 'b');
}

TEST(Maximize, OrdersTuplesLexicographically) {
  using entry = std::tuple<int, std::string>;
  const auto out = coflow::run(std::vector<entry>{{2, "b"}, {3, "a"}, {3, "c"}, {1, "z"}},
                               maximize() | coflow::sinks::last());
  EXPECT_EQ(out, (entry{3, "c"}));
}

TEST(Maximize, PropagatesNaNOnceSeen) {
  const auto out =
      coflow::run(std::vector{3.0, nan, 5.0, inf}, maximize() | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], 3.0);
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_TRUE(std::isnan(out[i])) << i;
}

TEST(Maximize, TakesInfinityAsTheMaximum) {
  EXPECT_EQ(coflow::run(std::vector{1.0, -inf, inf, 0.0}, maximize() | coflow::sinks::to_vector()),
            (std::vector<double>{1.0, 1.0, inf, inf}));
}

TEST(Maximize, RunsOverARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), maximize() | coflow::sinks::to_vector()),
            (std::vector<int>{1, 2, 3, 4, 5}));
}

TEST(Maximize, ComposesWithTransformAndTake) {
  // x % 4 over 1, 2, ...: 1, 2, 3, 0, 1, ...; take(5) after maximize stops the infinite source.
  auto p = coflow::ops::transform([](int x) { return x % 4; }) | maximize() | coflow::ops::take(5) |
           coflow::sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), (std::vector<int>{1, 2, 3, 3, 3}));
}

TEST(Maximize, NeedsNoDefaultConstructor) {
  const auto out = coflow::run(std::vector{no_default(1), no_default(3), no_default(2)},
                               maximize() | coflow::sinks::last());
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->value, 3);
}

}  // namespace

namespace coflow::extremum_testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Maximize, RunningExtremum, coflow::ops::maximize_stage);
}  // namespace coflow::extremum_testing
