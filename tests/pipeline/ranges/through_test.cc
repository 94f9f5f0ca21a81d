#include "pipeline/ranges/through.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/move.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>
#include <ranges>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "operators/transform.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/ranges/generator.hpp"

namespace {

using ::testing::ElementsAre;

coflow::coroutine<double, double> averager() {
  double total = 0;
  long count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    average = total / static_cast<double>(++count);
  }
}

coflow::coroutine<std::string, std::string> words() {
  while (auto line = co_yield coflow::receive) {
    std::size_t start = 0;
    while (start < line->size()) {
      std::size_t stop = line->find(' ', start);
      if (stop == std::string::npos) stop = line->size();
      if (stop > start) co_yield coflow::emit(line->substr(start, stop - start));
      start = stop + 1;
    }
  }
}

// Emits a batch of `size` values, and the partial batch at end of stream.
coflow::coroutine<int, std::vector<int>> batches(std::size_t size) {
  std::vector<int> batch;
  while (auto value = co_yield coflow::receive) {
    batch.push_back(*value);
    if (batch.size() == size) co_yield coflow::emit(std::exchange(batch, {}));
  }
  if (!batch.empty()) co_yield coflow::emit(std::move(batch));
}

coflow::generator<int> counting(int& pulled) {
  for (int i = 0;; ++i) {
    ++pulled;
    co_yield i;
  }
}

// A user's stage whose node has a non-type template parameter: its output type is the one its
// description states, which no search through the node's type could find.
template <int Factor>
struct scale_stage : coflow::stage_interface {
  template <class In>
  using output = long;

  template <class In, class Down, int F>
  struct node {
    bool push(In&& value) { return down.push(static_cast<long>(value) * F); }
    [[nodiscard]] bool done() const { return down.done(); }
    decltype(auto) finish() { return down.finish(); }
    Down down;
  };

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<long>{}));
    return node<In, down_type, Factor>{make_down(std::type_identity<long>{})};
  }
};

TEST(Through, TakesTheOutputTypeAStageStates) {
  const std::vector<int> values{1, 2, 3};
  auto scaled = values | coflow::views::through(scale_stage<10>{});
  EXPECT_EQ(ranges::to<std::vector<long>>(scaled), (std::vector<long>{10, 20, 30}));
}

TEST(Through, GivesTheRunningMeansOfTheIssueExample) {
  auto to_double = [](int x) { return static_cast<double>(x); };
  auto means = ranges::views::iota(1, 5) | ranges::views::transform(to_double) |
               coflow::views::through(averager()) | ranges::to<std::vector>();
  EXPECT_THAT(means, ElementsAre(1.0, 1.5, 2.0, 2.5));
}

TEST(Through, YieldsEveryValueAStageEmitsForOneElement) {
  std::vector<std::string> lines = {"the quick", "", "brown fox jumps"};
  auto out = lines | coflow::views::through(words()) | ranges::to<std::vector>();
  EXPECT_THAT(out, ElementsAre("the", "quick", "brown", "fox", "jumps"));
}

TEST(Through, YieldsTheFlushAtEndOfStream) {
  auto out =
      ranges::views::iota(0, 7) | coflow::views::through(batches(3)) | ranges::to<std::vector>();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_THAT(out[0], ElementsAre(0, 1, 2));
  EXPECT_THAT(out[1], ElementsAre(3, 4, 5));
  EXPECT_THAT(out[2], ElementsAre(6));
}

TEST(Through, WorksWithFusedOperatorsAndStopsReadingWhenTheStageIsDone) {
  int pulled = 0;
  auto is_odd = [](int x) { return x % 2 != 0; };
  auto square = [](int x) { return x * x; };
  std::vector<int> out;
  for (int x : counting(pulled) |
                   coflow::views::through(coflow::ops::filter(is_odd) |
                                          coflow::ops::transform(square) | coflow::ops::take(3))) {
    out.push_back(x);
  }
  EXPECT_THAT(out, ElementsAre(1, 9, 25));
  EXPECT_EQ(pulled, 6);  // 0..5: the sixth element (5) fills take(3); nothing after it
}

TEST(Through, IsLazy) {
  int pulled = 0;
  auto view = counting(pulled) |
              coflow::views::through(coflow::ops::transform([](int x) { return x + 1; }));
  EXPECT_EQ(pulled, 0);
  auto it = view.begin();
  EXPECT_EQ(*it, 1);
  EXPECT_EQ(pulled, 1);
  ++it;
  EXPECT_EQ(*it, 2);
  EXPECT_EQ(pulled, 2);
}

TEST(Through, ComposesWithRangeV3AdaptersOnBothSides) {
  auto out = ranges::views::iota(1) |
             coflow::views::through(coflow::ops::filter([](int x) { return x % 3 == 0; })) |
             ranges::views::transform([](int x) { return -x; }) | ranges::views::take(4) |
             ranges::to<std::vector>();
  EXPECT_THAT(out, ElementsAre(-3, -6, -9, -12));
}

TEST(Through, CarriesMoveOnlyValues) {
  std::vector<std::unique_ptr<int>> boxes;
  for (int i = 0; i < 4; ++i) boxes.push_back(std::make_unique<int>(i));
  auto doubled =
      boxes | ranges::views::move | coflow::views::through(coflow::ops::transform([](auto box) {
        *box *= 2;
        return box;
      }));
  std::vector<int> out;
  for (auto& box : doubled) out.push_back(*box);
  EXPECT_THAT(out, ElementsAre(0, 2, 4, 6));
  for (const auto& box : boxes) EXPECT_EQ(box, nullptr);  // moved through, not copied
}

TEST(Through, PropagatesAStageExceptionToTheCodeThatAdvanced) {
  auto throws_on_three = [](int x) {
    if (x == 3) throw std::runtime_error("three");
    return x;
  };
  auto view =
      ranges::views::iota(1, 10) | coflow::views::through(coflow::ops::transform(throws_on_three));
  auto it = view.begin();
  EXPECT_EQ(*it, 1);
  ++it;
  EXPECT_EQ(*it, 2);
  EXPECT_THROW(++it, std::runtime_error);
}

TEST(Through, ModelsInputRangeAndViewForBothLibraries) {
  std::vector<int> xs = {1, 2, 3};
  using view_type = decltype(xs | coflow::views::through(coflow::ops::take(2)));
  static_assert(ranges::input_range<view_type>);
  static_assert(ranges::view_<view_type>);
  static_assert(std::ranges::input_range<view_type>);
  static_assert(std::ranges::view<view_type>);
  auto view = xs | coflow::views::through(coflow::ops::take(2));
  EXPECT_EQ(ranges::distance(view), 2);
}

}  // namespace
