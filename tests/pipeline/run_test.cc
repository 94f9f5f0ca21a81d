// Tests for pipeline/run.hpp: coflow::run(range, pipeline).
#include "pipeline/run.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/istream.hpp>
#include <range/v3/view/join.hpp>
#include <range/v3/view/move.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/take_while.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/iterable.hpp"
#include "pipeline/pipeline.hpp"
#include "tests/support/frame_guard.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

using coflow::test_support::frame_guard;
using coflow::test_support::live_frames;

class Run : public coflow::test_support::frame_checked_test {};

coflow::coroutine<int, int> running_sum() {
  frame_guard guard;
  int total = 0;
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = total += *v;
}

coflow::coroutine<int, int> throws_at(int bad) {
  frame_guard guard;
  std::optional<int> reply;
  while (auto v = co_yield reply) {
    if (*v == bad) throw std::runtime_error("bad value");
    reply = *v;
  }
}

// Logs each value and its own end of stream, then flushes -1.
coflow::coroutine<int, int> logged(std::string name, std::vector<std::string>* log) {
  frame_guard guard;
  while (auto v = co_yield coflow::receive) {
    log->push_back(name + ":" + std::to_string(*v));
    co_yield coflow::emit(*v);
  }
  log->push_back(name + ":end");
  co_yield coflow::emit(-1);
}

coflow::consumer<int> logged_sink(std::vector<std::string>* log) {
  frame_guard guard;
  while (auto v = co_yield coflow::receive) log->push_back("sink:" + std::to_string(*v));
  log->push_back("sink:end");
}

// A view over 0, 1, 2, ... that counts how many elements were read from it.
auto counting_naturals(int& pulled) {
  return ranges::views::iota(0) | ranges::views::transform([&pulled](int i) {
           ++pulled;
           return i;
         });
}

TEST_F(Run, PushesEveryElementOfAVector) {
  EXPECT_EQ(coflow::run(std::vector{3, 1, 2}, sinks::to_vector()), (std::vector{3, 1, 2}));
}

TEST_F(Run, AcceptsARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 6), running_sum() | sinks::to_vector()),
            (std::vector{1, 3, 6, 10, 15}));
}

TEST_F(Run, AcceptsASinglePassInputRange) {
  std::istringstream in("4 5 6");
  EXPECT_EQ(coflow::run(ranges::istream<int>(in), running_sum() | sinks::last()),
            std::optional<int>(15));
}

TEST_F(Run, AcceptsAnEmptyRange) {
  EXPECT_EQ(coflow::run(std::vector<int>{}, running_sum() | sinks::last()), std::nullopt);
}

TEST_F(Run, StopsPullingAsSoonAsTakeIsFull) {
  int pulled = 0;
  EXPECT_EQ(coflow::run(counting_naturals(pulled), ops::take(3) | sinks::to_vector()),
            (std::vector{0, 1, 2}));
  EXPECT_EQ(pulled, 3);
}

TEST_F(Run, StopsPullingBehindACoroutineStage) {
  int pulled = 0;
  EXPECT_EQ(coflow::run(counting_naturals(pulled), running_sum() | ops::take(3) | sinks::last()),
            std::optional<int>(3));
  EXPECT_EQ(pulled, 3);
}

TEST_F(Run, StopsPullingAtTheFirstValueTakeWhileRejects) {
  int pulled = 0;
  EXPECT_EQ(coflow::run(counting_naturals(pulled),
                        ops::take_while([](int x) { return x < 4; }) | sinks::to_vector()),
            (std::vector{0, 1, 2, 3}));
  EXPECT_EQ(pulled, 5) << "the rejected value 4 is read, nothing after it";
}

TEST_F(Run, PullsNothingWhenThePipelineIsDoneBeforeTheFirstValue) {
  int pulled = 0;
  EXPECT_EQ(coflow::run(counting_naturals(pulled), ops::take(0) | sinks::to_vector()),
            (std::vector<int>{}));
  EXPECT_EQ(pulled, 0);
}

TEST_F(Run, EndOfStreamFlowsDownstreamStageByStage) {
  std::vector<std::string> log;
  coflow::run(std::vector{1}, logged("a", &log) | logged("b", &log) | logged_sink(&log));
  EXPECT_EQ(log, (std::vector<std::string>{"a:1", "b:1", "sink:1",      // the value
                                           "a:end", "b:-1", "sink:-1",  // a closes, flushes
                                           "b:end", "sink:-1",          // then b
                                           "sink:end"}));               // then the sink
}

TEST_F(Run, ExceptionFromACallableReachesTheCallerAndFramesAreDestroyed) {
  auto p = running_sum() | ops::transform([](int x) {
             if (x > 5) throw std::invalid_argument("too big");
             return x;
           }) |
           running_sum() | sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3, 4}, std::move(p)), std::invalid_argument);
  EXPECT_EQ(live_frames, 0);
}

TEST_F(Run, ExceptionFromACoroutineReachesTheCallerAndFramesAreDestroyed) {
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3},
                                 running_sum() | throws_at(3) | running_sum() | sinks::last()),
               std::runtime_error);
  EXPECT_EQ(live_frames, 0);
}

TEST_F(Run, ExceptionAtEndOfStreamReachesTheCaller) {
  auto flush_fails = []() -> coflow::coroutine<int, int> {
    frame_guard guard;
    while (co_yield coflow::receive) {
    }
    throw std::runtime_error("flush failed");
  };
  EXPECT_THROW((void)coflow::run(std::vector{1}, running_sum() | flush_fails() | sinks::last()),
               std::runtime_error);
  EXPECT_EQ(live_frames, 0);
}

TEST_F(Run, MoveOnlyElementsGoThroughFilterTransformToVector) {
  std::vector<std::unique_ptr<int>> boxes;
  for (int i = 1; i <= 4; ++i) boxes.push_back(std::make_unique<int>(i));
  auto out =
      coflow::run(boxes | ranges::views::move, ops::filter([](const std::unique_ptr<int>& p) {
                                                 return *p % 2 == 0;
                                               }) | ops::transform([](std::unique_ptr<int> p) {
                                                 *p *= 10;
                                                 return p;
                                               }) | sinks::to_vector());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(*out[0], 20);
  EXPECT_EQ(*out[1], 40);
  EXPECT_EQ(boxes[1], nullptr) << "views::move moved the elements out";
}

TEST_F(Run, MoveOnlyElementsFromAViewOfPrvalues) {
  auto source = ranges::views::iota(0, 3) |
                ranges::views::transform([](int i) { return std::make_unique<int>(i); });
  auto out = coflow::run(source, sinks::to_vector());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(*out[2], 2);
}

TEST_F(Run, LvalueElementsAreCopiedNotMoved) {
  const std::vector<std::string> words{"alpha", "beta"};
  std::vector<std::string> source = words;
  EXPECT_EQ(coflow::run(source, sinks::to_vector()), words);
  EXPECT_EQ(source, words);
}

TEST_F(Run, ReturnsVoidForAVoidSink) {
  int total = 0;
  static_assert(std::is_void_v<decltype(coflow::run(std::vector{1}, sinks::for_each([](int) {})))>);
  coflow::run(std::vector{1, 2, 3}, sinks::for_each([&](int x) { total += x; }));
  EXPECT_EQ(total, 6);
}

TEST_F(Run, RunsAnOpenedPipelineInPlaceAndClosesIt) {
  auto p = coflow::open<int>(running_sum() | sinks::to_vector());
  p.send(100);
  EXPECT_EQ(coflow::run(std::vector{1, 2}, p), (std::vector{100, 101, 103}));
  EXPECT_TRUE(p.done());
}

TEST_F(Run, StopsPullingWhenAnOpenedPipelineIsDone) {
  int pulled = 0;
  auto p = coflow::open<int>(ops::take(2) | sinks::to_vector());
  EXPECT_EQ(coflow::run(counting_naturals(pulled), p), (std::vector{0, 1}));
  EXPECT_EQ(pulled, 2);
}

TEST_F(Run, DescriptionIsBoundFreshForEachRun) {
  auto p = ops::take(2) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, p), (std::vector{1, 2}));
  EXPECT_EQ(coflow::run(std::vector{4, 5, 6}, p), (std::vector{4, 5}));
}

// --- Ranges from range-v3 as well as the standard library (pipeline/iterable.hpp) ----------

// views::iota over 64-bit integers has a class difference type: not a std::ranges::input_range,
// yet coflow::iterable.
using iota64 = decltype(ranges::views::iota(std::int64_t{0}, std::int64_t{1}));
static_assert(!std::ranges::input_range<iota64>);
static_assert(coflow::iterable<iota64>);
static_assert(std::same_as<coflow::iterable_value_t<iota64>, std::int64_t>);
static_assert(coflow::iterable<std::vector<int>>);
static_assert(coflow::iterable<const std::list<int>&>);
static_assert(std::same_as<coflow::iterable_value_t<const std::vector<int>&>, int>);

// What is not a range fails the concept at the call, not deep inside run().
struct not_a_range {};
struct begin_without_end {
  int* begin() { return nullptr; }
};
static_assert(!coflow::iterable<int>);
static_assert(!coflow::iterable<not_a_range>);
static_assert(!coflow::iterable<begin_without_end>);
template <class R>
concept runnable_over = requires(R&& r) {
  coflow::run(std::forward<R>(r), sinks::to_vector());
};
static_assert(runnable_over<std::vector<int>>);
static_assert(runnable_over<iota64>);
static_assert(!runnable_over<int>);
static_assert(!runnable_over<not_a_range>);
static_assert(!runnable_over<begin_without_end>);

// A range known only through begin() and end() found by argument-dependent lookup.
namespace adl {
struct countdown_iterator {
  int n;
  int operator*() const { return n; }
  countdown_iterator& operator++() {
    --n;
    return *this;
  }
  bool operator!=(const countdown_iterator& other) const { return n != other.n; }
};
struct countdown {
  int from;
};
countdown_iterator begin(const countdown& c) { return {c.from}; }
countdown_iterator end(const countdown&) { return {0}; }
}  // namespace adl
static_assert(!std::ranges::input_range<adl::countdown>);
static_assert(coflow::iterable<adl::countdown>);

TEST_F(Run, AcceptsARangeV3IotaOver64BitIntegersThroughATransform) {
  const std::int64_t n = 5;
  auto squares = ranges::views::iota(std::int64_t{0}, n) |
                 ranges::views::transform([](std::int64_t x) { return x * x; });
  EXPECT_EQ(coflow::run(squares, sinks::to_vector()), (std::vector<std::int64_t>{0, 1, 4, 9, 16}));
  EXPECT_EQ(
      coflow::run(ranges::views::iota(std::int64_t{0}, n) |
                      ranges::views::transform([](std::int64_t x) { return x + 1; }),
                  ops::filter([](std::int64_t x) { return x % 2 == 0; }) | sinks::to_vector()),
      (std::vector<std::int64_t>{2, 4}));
}

TEST_F(Run, AcceptsAnInfiniteRangeV3IotaCutByTake) {
  EXPECT_EQ(coflow::run(ranges::views::iota(0) | ranges::views::take(5), sinks::to_vector()),
            (std::vector{0, 1, 2, 3, 4}));
}

TEST_F(Run, AcceptsARangeV3Join) {
  const std::vector<std::vector<int>> nested = {{1, 2}, {}, {3}, {4, 5, 6}};
  EXPECT_EQ(coflow::run(nested | ranges::views::join, sinks::to_vector()),
            (std::vector{1, 2, 3, 4, 5, 6}));
  // A join of views made on the fly: a range-v3 view of ranges-v3 views over 64-bit integers.
  auto triangles = ranges::views::iota(std::int64_t{1}, std::int64_t{4}) |
                   ranges::views::transform(
                       [](std::int64_t k) { return ranges::views::iota(std::int64_t{0}, k); }) |
                   ranges::views::join;
  EXPECT_EQ(coflow::run(triangles, ops::take(5) | sinks::to_vector()),
            (std::vector<std::int64_t>{0, 0, 1, 0, 1}));
}

TEST_F(Run, AcceptsARangeFoundByArgumentDependentLookup) {
  EXPECT_EQ(coflow::run(adl::countdown{3}, sinks::to_vector()), (std::vector{3, 2, 1}));
}

TEST_F(Run, FeedsAnOpenedPipelineFromARangeV3Iota) {
  auto p = coflow::open<std::int64_t>(sinks::to_vector());
  EXPECT_EQ(coflow::run(ranges::views::iota(std::int64_t{7}, std::int64_t{10}), p),
            (std::vector<std::int64_t>{7, 8, 9}));
}

}  // namespace
