#include "operators/minimize.hpp"

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

using coflow::ops::minimize;
using namespace coflow::extremum_testing;

static_assert(std::same_as<decltype(minimize()), coflow::ops::minimize_stage>);
static_assert(coflow::stage_description<coflow::ops::minimize_stage>);
// The output type is the input type.
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, minimize() | coflow::sinks::last())),
                 std::optional<int>>);
static_assert(std::same_as<decltype(coflow::run(std::vector<std::string>{},
                                                minimize() | coflow::sinks::last())),
                           std::optional<std::string>>);

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// The Python minimize: the first value is the minimum; then it answers the minimum so far.
template <class T>
coflow::coroutine<T, T> minimize_coroutine() {
  std::optional<T> first = co_yield coflow::receive;
  if (!first) co_return;
  T current = std::move(*first);
  while (auto value = co_yield current) current = std::min(std::move(*value), current);
}

template <class T>
class MinimizeTyped : public ::testing::Test {};
TYPED_TEST_SUITE(MinimizeTyped, OrderedTypes);

TYPED_TEST(MinimizeTyped, OutputsTheRunningMinimum) {
  const auto xs = make_all<TypeParam>({5, 3, 4, 1, 2});
  EXPECT_EQ(coflow::run(xs, minimize() | coflow::sinks::to_vector()),
            make_all<TypeParam>({5, 3, 3, 1, 1}));
}

TYPED_TEST(MinimizeTyped, OutputsNothingForAnEmptyStream) {
  EXPECT_EQ(coflow::run(std::vector<TypeParam>{}, minimize() | coflow::sinks::last()),
            std::nullopt);
}

TYPED_TEST(MinimizeTyped, WorksThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(minimize() | coflow::sinks::to_vector());
  p.send(make<TypeParam>(7));
  p.send(make<TypeParam>(8));
  p.send(make<TypeParam>(2));
  EXPECT_EQ(p.close(), make_all<TypeParam>({7, 7, 2}));
}

TEST(Minimize, MatchesTheCoroutineMinimize) {
  std::mt19937 engine(3);
  std::uniform_int_distribution<int> dist(-1000, 1000);
  std::vector<int> xs(500);
  for (int& x : xs) x = dist(engine);
  const auto from_operator = coflow::run(xs, minimize() | coflow::sinks::to_vector());
  const auto from_coroutine =
      coflow::run(xs, minimize_coroutine<int>() | coflow::sinks::to_vector());
  ASSERT_EQ(from_operator.size(), xs.size());
  EXPECT_EQ(from_operator, from_coroutine);
  EXPECT_EQ(from_operator.back(), *std::min_element(xs.begin(), xs.end()));
}

TEST(Minimize, KeepsTheEarliestOfEqualValues) {
  const auto out = coflow::run(std::vector<tagged>{{2, 'a'}, {1, 'b'}, {1, 'c'}, {2, 'd'}},
                               minimize() | coflow::sinks::to_vector());
  ASSERT_TRUE((tagged{1, 'b'} == tagged{1, 'c'}));  // the premise: equal, though told apart
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].tag, 'a');
  EXPECT_EQ(out[1].tag, 'b');
  EXPECT_EQ(out[2].tag, 'b');
  EXPECT_EQ(out[3].tag, 'b');
}

TEST(Minimize, OrdersTuplesLexicographically) {
  using entry = std::tuple<int, std::string>;
  const auto out = coflow::run(std::vector<entry>{{2, "b"}, {2, "a"}, {3, "a"}},
                               minimize() | coflow::sinks::last());
  EXPECT_EQ(out, (entry{2, "a"}));
}

TEST(Minimize, PropagatesNaNOnceSeen) {
  const auto out =
      coflow::run(std::vector{3.0, nan, 1.0, -inf}, minimize() | coflow::sinks::to_vector());
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], 3.0);
  for (std::size_t i = 1; i < out.size(); ++i) EXPECT_TRUE(std::isnan(out[i])) << i;
}

TEST(Minimize, TakesMinusInfinityAsTheMinimum) {
  EXPECT_EQ(coflow::run(std::vector{1.0, -inf, inf, 0.0}, minimize() | coflow::sinks::to_vector()),
            (std::vector<double>{1.0, -inf, -inf, -inf}));
}

TEST(Minimize, RunsOverARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), minimize() | coflow::sinks::to_vector()),
            (std::vector<int>{1, 1, 1, 1, 1}));
}

TEST(Minimize, ComposesWithTransformAndTake) {
  // |x - 10| over 1, 2, ...: 9, 8, 7, ...; take(4) after minimize stops the infinite source.
  auto p = coflow::ops::transform([](int x) { return x > 10 ? x - 10 : 10 - x; }) | minimize() |
           coflow::ops::take(4) | coflow::sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), (std::vector<int>{9, 8, 7, 6}));
}

TEST(Minimize, NeedsNoDefaultConstructor) {
  const auto out = coflow::run(std::vector{no_default(3), no_default(1), no_default(2)},
                               minimize() | coflow::sinks::last());
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->value, 1);
}

}  // namespace

namespace coflow::extremum_testing {
INSTANTIATE_TYPED_TEST_SUITE_P(Minimize, RunningExtremum, coflow::ops::minimize_stage);
}  // namespace coflow::extremum_testing
