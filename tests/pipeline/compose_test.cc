// Tests for pipeline/compose.hpp: `|`, coflow::chain, runnable, bind_chain.
#include "pipeline/compose.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/drop.hpp"
#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/run.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

coflow::coroutine<int, int> doubler() {
  std::optional<int> reply;
  while (auto v = co_yield reply) reply = *v * 2;
}

coflow::consumer<int, int> summer() {
  int total = 0;
  while (auto v = co_yield coflow::receive) total += *v;
  co_return total;
}

// Numbers the values it sees: its state shows whether a run started from a fresh copy.
struct numbering {
  int next = 0;
  int operator()(int) { return next++; }
};

const auto is_odd = [](int x) { return x % 2 != 0; };
const auto square = [](int x) { return x * x; };

using filter_t = decltype(ops::filter(is_odd));
using transform_t = decltype(ops::transform(square));
using open_chain_t = decltype(ops::filter(is_odd) | ops::transform(square));
using complete_chain_t =
    decltype(ops::filter(is_odd) | ops::transform(square) | sinks::to_vector());
using coroutine_chain_t = decltype(doubler() | sinks::last());

// What can run: a chain ending in a sink, a sink alone, a consumer coroutine.
static_assert(coflow::runnable<complete_chain_t>);
static_assert(coflow::runnable<complete_chain_t&>);
static_assert(coflow::runnable<const complete_chain_t&>);
static_assert(coflow::runnable<sinks::to_vector_sink>);
static_assert(coflow::runnable<coroutine_chain_t>);
static_assert(coflow::runnable<coflow::consumer<int, int>>);
// What cannot: a chain without a sink, a lone stage, a stage coroutine, an unrelated type.
static_assert(!coflow::runnable<open_chain_t>);
static_assert(!coflow::runnable<filter_t>);
static_assert(!coflow::runnable<coflow::coroutine<int, int>>);
static_assert(!coflow::runnable<int>);
static_assert(!coflow::runnable<std::vector<int>>);

// Every part states what it outputs, so that adapters (views::through, thread boundaries) know
// the element type of a stage's output without binding it.
static_assert(std::same_as<coflow::output_t<filter_t, int>, int>);
static_assert(
    std::same_as<coflow::output_t<decltype(ops::transform([](int x) { return x * 0.5; })), int>,
                 double>);
static_assert(
    std::same_as<coflow::output_t<coflow::coroutine<int, std::string>, int>, std::string>);
static_assert(std::same_as<coflow::output_t<decltype(ops::filter([](int) { return true; }) |
                                                     ops::transform([](int x) { return x * 0.5; }) |
                                                     ops::take(2)),
                                            int>,
                           double>);

static_assert(complete_chain_t::complete);
static_assert(!open_chain_t::complete);
static_assert(coflow::pipeline_part<filter_t>);
static_assert(coflow::pipeline_part<open_chain_t>);
static_assert(coflow::pipeline_part<coflow::coroutine<int, int>>);
static_assert(!coflow::pipeline_part<int>);

// A chain of copyable parts is copyable; a chain holding a coroutine object is move-only.
static_assert(std::copy_constructible<complete_chain_t>);
static_assert(!std::copy_constructible<coroutine_chain_t>);
static_assert(std::move_constructible<coroutine_chain_t>);

// `|` flattens: composing chains gives one chain of all the parts, whichever way it nests.
static_assert(
    std::same_as<decltype((ops::filter(is_odd) | ops::transform(square)) | sinks::last()),
                 decltype(ops::filter(is_odd) | (ops::transform(square) | sinks::last()))>);
static_assert(std::same_as<decltype(ops::filter(is_odd) | ops::transform(square)),
                           coflow::chain<filter_t, transform_t>>);

// `|` needs pipeline parts on both sides; it does not hijack other types.
template <class A, class B>
concept pipeable = requires(A a, B b) {
  std::move(a) | std::move(b);
};
static_assert(pipeable<filter_t, sinks::last_sink>);
static_assert(!pipeable<int, sinks::last_sink>);
static_assert(!pipeable<filter_t, int>);

TEST(Compose, RunsStagesInOrder) {
  auto p = ops::filter(is_odd) | ops::transform(square) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3, 4, 5}, p), (std::vector{1, 9, 25}));
}

TEST(Compose, NestingDoesNotChangeTheResult) {
  const std::vector xs{1, 2, 3, 4, 5, 6, 7};
  auto left = (ops::drop(1) | ops::filter(is_odd)) | (ops::transform(square) | sinks::to_vector());
  auto right = ops::drop(1) | (ops::filter(is_odd) | ops::transform(square)) | sinks::to_vector();
  EXPECT_EQ(coflow::run(xs, left), (std::vector{9, 25, 49}));
  EXPECT_EQ(coflow::run(xs, right), (std::vector{9, 25, 49}));
}

TEST(Compose, ChainIsAReusableDescription) {
  auto p = ops::take(2) | ops::transform(numbering{}) | sinks::to_vector();
  const std::vector xs{5, 6, 7};
  const auto first = coflow::run(xs, p);
  const auto second = coflow::run(xs, p);
  EXPECT_EQ(first, (std::vector{0, 1}));
  EXPECT_EQ(second, first) << "each run binds fresh state: take's counter and numbering restart";
}

TEST(Compose, BindingAnLvalueChainCopiesItsParts) {
  auto p = ops::transform(numbering{}) | sinks::to_vector();
  auto a = coflow::bind_chain<int>(p);
  auto b = coflow::bind_chain<int>(p);
  a.push(10);
  a.push(11);
  b.push(12);
  EXPECT_EQ(a.finish(), (std::vector{0, 1}));
  EXPECT_EQ(b.finish(), (std::vector{0}));
  EXPECT_EQ(std::get<0>(p.parts()).fn.next, 0) << "the description itself is never modified";
}

TEST(Compose, BindChainMakesANodeThatTakesValues) {
  auto p = ops::filter(is_odd) | ops::take(2) | sinks::to_vector();
  auto head = coflow::bind_chain<int>(p);
  EXPECT_FALSE(head.done());
  EXPECT_TRUE(head.push(2));
  EXPECT_TRUE(head.push(3));
  EXPECT_FALSE(head.push(5)) << "take(2) is full after the second odd value";
  EXPECT_TRUE(head.done());
  EXPECT_EQ(head.finish(), (std::vector{3, 5}));
}

TEST(Compose, ElementTypeChangesAlongTheChain) {
  auto p = ops::transform([](int x) { return std::string(static_cast<std::size_t>(x), '*'); }) |
           ops::filter([](const std::string& s) { return s.size() != 2; }) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, p), (std::vector<std::string>{"*", "***"}));
}

TEST(Compose, ASinkAloneIsRunnable) {
  EXPECT_EQ(coflow::run(std::vector{4, 5}, sinks::to_vector()), (std::vector{4, 5}));
  EXPECT_EQ(coflow::run(std::vector{4, 5}, sinks::last()), std::optional<int>(5));
}

TEST(Compose, ChainHoldingACoroutineRunsWhenMoved) {
  auto p = ops::filter(is_odd) | doubler() | ops::transform(square) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, std::move(p)), (std::vector{4, 36}));
}

TEST(Compose, ConsumerCoroutineEndsAChain) {
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3, 4}, ops::filter(is_odd) | summer()), 4);
}

TEST(Compose, StagesComposeBeforeTheSinkIsKnown) {
  auto front = ops::filter(is_odd) | ops::transform(square);
  auto to_list = front | sinks::to_vector();
  auto to_last = front | sinks::last();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, to_list), (std::vector{1, 9}));
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, to_last), std::optional<int>(9));
}

}  // namespace
