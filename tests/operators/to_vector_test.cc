// Tests for operators/to_vector.hpp.
#include "operators/to_vector.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <string>
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
using coflow::test_support::keys;
using coflow::test_support::make_value;
using coflow::test_support::values;

static_assert(coflow::sink_description<sinks::to_vector_sink>);
static_assert(coflow::runnable<sinks::to_vector_sink>);
static_assert(std::is_same_v<decltype(coflow::run(std::vector<short>{}, sinks::to_vector())),
                             std::vector<short>>);

template <class T>
class ToVectorTyped : public ::testing::Test {};
TYPED_TEST_SUITE(ToVectorTyped, coflow::test_support::value_types);

TYPED_TEST(ToVectorTyped, CollectsEveryValueInOrder) {
  EXPECT_EQ(keys(coflow::run(values<TypeParam>(0, 5), sinks::to_vector())),
            (std::vector{0, 1, 2, 3, 4}));
}

TYPED_TEST(ToVectorTyped, EmptyStreamGivesAnEmptyVector) {
  EXPECT_TRUE(coflow::run(values<TypeParam>(0, 0), sinks::to_vector()).empty());
}

TYPED_TEST(ToVectorTyped, ThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(sinks::to_vector());
  p.send(make_value<TypeParam>(3));
  p.send(make_value<TypeParam>(1));
  EXPECT_FALSE(p.done());
  EXPECT_EQ(keys(p.close()), (std::vector{3, 1}));
}

TEST(ToVector, FedByARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 4), sinks::to_vector()), (std::vector{1, 2, 3}));
}

TEST(ToVector, EndsAComposedPipeline) {
  auto p = ops::filter([](int x) { return x > 2; }) |
           ops::transform([](int x) { return std::to_string(x); }) | ops::take(2) |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(0), p), (std::vector<std::string>{"3", "4"}));
}

TEST(ToVector, EachRunStartsWithAnEmptyVector) {
  auto p = sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2}, p), (std::vector{1, 2}));
  EXPECT_EQ(coflow::run(std::vector{3}, p), (std::vector{3}));
}

TEST(ToVector, ExceptionUpstreamReachesTheCaller) {
  auto p = ops::transform([](int x) {
             if (x == 3) throw std::runtime_error("three");
             return x;
           }) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

}  // namespace
