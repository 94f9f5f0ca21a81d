// Tests for operators/last.hpp.
#include "operators/last.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "operators/filter.hpp"
#include "operators/take.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/support/typed_values.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::key;
using coflow::test_support::make_value;
using coflow::test_support::values;

static_assert(coflow::sink_description<sinks::last_sink>);
static_assert(std::is_same_v<decltype(coflow::run(std::vector<double>{}, sinks::last())),
                             std::optional<double>>);

template <class T>
class LastTyped : public ::testing::Test {};
TYPED_TEST_SUITE(LastTyped, coflow::test_support::value_types);

TYPED_TEST(LastTyped, KeepsTheLatestValue) {
  EXPECT_EQ(key(coflow::run(values<TypeParam>(0, 5), sinks::last())), std::optional<int>(4));
}

TYPED_TEST(LastTyped, EmptyStreamGivesNothing) {
  EXPECT_EQ(key(coflow::run(values<TypeParam>(0, 0), sinks::last())), std::nullopt);
}

TYPED_TEST(LastTyped, ThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(sinks::last());
  p.send(make_value<TypeParam>(8));
  p.send(make_value<TypeParam>(-2));
  EXPECT_FALSE(p.done());
  EXPECT_EQ(key(p.close()), std::optional<int>(-2));
}

TEST(Last, FedByARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 4), sinks::last()), std::optional<int>(3));
}

TEST(Last, EndsAComposedPipeline) {
  auto p = ops::filter([](int x) { return x % 2 == 0; }) | ops::take(3) |
           ops::transform([](int x) { return x * 10; }) | sinks::last();
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), std::optional<int>(60));
}

TEST(Last, EachRunStartsEmpty) {
  auto p = ops::filter([](int x) { return x > 0; }) | sinks::last();
  EXPECT_EQ(coflow::run(std::vector{1, 2}, p), std::optional<int>(2));
  EXPECT_EQ(coflow::run(std::vector{-1}, p), std::nullopt);
}

TEST(Last, ExceptionUpstreamReachesTheCaller) {
  auto p = ops::filter([](int x) {
             if (x > 1) throw std::runtime_error("big");
             return true;
           }) |
           sinks::last();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2}, p), std::runtime_error);
}

}  // namespace
