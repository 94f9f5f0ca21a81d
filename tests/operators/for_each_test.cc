// Tests for operators/for_each.hpp.
#include "operators/for_each.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/support/typed_values.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::key_of;
using coflow::test_support::make_value;
using coflow::test_support::values;

static_assert(coflow::sink_description<decltype(sinks::for_each([](int) {}))>);
static_assert(std::is_void_v<decltype(coflow::run(std::vector{1}, sinks::for_each([](int) {})))>);

template <class T>
class ForEachTyped : public ::testing::Test {};
TYPED_TEST_SUITE(ForEachTyped, coflow::test_support::value_types);

TYPED_TEST(ForEachTyped, CallsFnWithEachValueInOrder) {
  std::vector<int> seen;
  coflow::run(values<TypeParam>(0, 4),
              sinks::for_each([&](TypeParam v) { seen.push_back(key_of(v)); }));
  EXPECT_EQ(seen, (std::vector{0, 1, 2, 3}));
}

TYPED_TEST(ForEachTyped, ThroughAnOpenedPipeline) {
  std::vector<int> seen;
  auto p =
      coflow::open<TypeParam>(sinks::for_each([&](TypeParam v) { seen.push_back(key_of(v)); }));
  p.send(make_value<TypeParam>(5));
  EXPECT_EQ(seen, (std::vector{5})) << "called at send, not deferred to close";
  p.send(make_value<TypeParam>(6));
  EXPECT_FALSE(p.done());
  p.close();
  EXPECT_EQ(seen, (std::vector{5, 6}));
}

TEST(ForEach, MovesTheValueIntoFn) {
  std::vector<std::unique_ptr<int>> kept;
  coflow::run(values<std::unique_ptr<int>>(1, 3),
              sinks::for_each([&](std::unique_ptr<int> v) { kept.push_back(std::move(v)); }));
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(*kept[1], 2);
}

TEST(ForEach, FedByARangeV3View) {
  int total = 0;
  coflow::run(ranges::views::iota(1, 5), sinks::for_each([&](int x) { total += x; }));
  EXPECT_EQ(total, 10);
}

TEST(ForEach, EndsAComposedPipeline) {
  std::vector<int> seen;
  coflow::run(ranges::views::iota(0), ops::filter([](int x) { return x % 5 == 0; }) | ops::take(3) |
                                          sinks::for_each([&](int x) { seen.push_back(x); }));
  EXPECT_EQ(seen, (std::vector{0, 5, 10}));
}

TEST(ForEach, StatefulFnStartsFreshEachRun) {
  std::vector<int> seen;
  auto p = sinks::for_each([&seen, n = 0](int) mutable { seen.push_back(n++); });
  coflow::run(std::vector{7, 7}, p);
  coflow::run(std::vector{7, 7}, p);
  EXPECT_EQ(seen, (std::vector{0, 1, 0, 1}));
}

TEST(ForEach, ThrowingFnReachesTheCallerOfRun) {
  int calls = 0;
  auto p = sinks::for_each([&](int x) {
    ++calls;
    if (x == 2) throw std::runtime_error("two");
  });
  EXPECT_THROW(coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
  EXPECT_EQ(calls, 2) << "nothing is pushed after the exception";
}

TEST(ForEach, ThrowingFnReachesTheCallerOfSend) {
  auto p = coflow::open<int>(sinks::for_each([](int x) {
    if (x < 0) throw std::domain_error("negative");
  }));
  p.send(1);
  EXPECT_THROW(p.send(-1), std::domain_error);
  EXPECT_TRUE(p.done());
}

}  // namespace
