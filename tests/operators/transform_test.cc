// Tests for operators/transform.hpp.
#include "operators/transform.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <range/v3/view/iota.hpp>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/support/typed_values.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using coflow::test_support::key_of;
using coflow::test_support::keys;
using coflow::test_support::make_value;
using coflow::test_support::values;

const auto twice = [](int x) { return 2 * x; };

static_assert(coflow::stage_description<decltype(ops::transform(twice))>);
// The element type after a transform is what fn returns, without reference or const.
static_assert(std::is_same_v<decltype(coflow::run(std::vector{1}, ops::transform([](int) {
                                                                    return std::string();
                                                                  }) | sinks::to_vector())),
                             std::vector<std::string>>);

template <class T>
class TransformTyped : public ::testing::Test {};
TYPED_TEST_SUITE(TransformTyped, coflow::test_support::value_types);

TYPED_TEST(TransformTyped, OutputsFnOfEachValue) {
  auto p = ops::transform([](TypeParam v) { return make_value<TypeParam>(key_of(v) * 10); }) |
           sinks::to_vector();
  EXPECT_EQ(keys(coflow::run(values<TypeParam>(0, 4), p)), (std::vector{0, 10, 20, 30}));
}

TYPED_TEST(TransformTyped, ThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(ops::transform([](TypeParam v) { return key_of(v) + 1; }) |
                                   sinks::to_vector());
  p.send(make_value<TypeParam>(4));
  p.send(make_value<TypeParam>(-3));
  EXPECT_EQ(p.close(), (std::vector{5, -2}));
}

TEST(Transform, MapsAVector) {
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, ops::transform(twice) | sinks::to_vector()),
            (std::vector{2, 4, 6}));
}

TEST(Transform, FedByARangeV3View) {
  EXPECT_EQ(coflow::run(ranges::views::iota(1, 4), ops::transform(twice) | sinks::to_vector()),
            (std::vector{2, 4, 6}));
}

TEST(Transform, ChangesTheElementType) {
  auto p = ops::transform([](int n) { return std::string(static_cast<std::size_t>(n), 'x'); }) |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{0, 2}, p), (std::vector<std::string>{"", "xx"}));
}

TEST(Transform, ReferenceResultIsCopiedOn) {
  const std::vector<std::string> names{"zero", "one", "two"};
  auto p = ops::transform(
               [&](int i) -> const std::string& { return names[static_cast<std::size_t>(i)]; }) |
           sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{2, 0}, p), (std::vector<std::string>{"two", "zero"}));
  EXPECT_EQ(names[2], "two");
}

TEST(Transform, ComposesWithOtherOperators) {
  auto p = ops::transform(twice) | ops::filter([](int x) { return x % 3 != 0; }) |
           ops::transform(twice) | ops::take(3) | sinks::to_vector();
  EXPECT_EQ(coflow::run(ranges::views::iota(1), p), (std::vector{4, 8, 16}));
}

TEST(Transform, StatefulFnStartsFreshEachRun) {
  auto p = ops::transform([n = 0](int x) mutable { return x + n++; }) | sinks::last();
  EXPECT_EQ(coflow::run(std::vector{0, 0, 0}, p), std::optional<int>(2));
  EXPECT_EQ(coflow::run(std::vector{0, 0, 0}, p), std::optional<int>(2));
}

TEST(Transform, ThrowingFnReachesTheCallerOfRun) {
  auto p = ops::transform([](int x) {
             if (x == 2) throw std::runtime_error("two");
             return x;
           }) |
           sinks::to_vector();
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, p), std::runtime_error);
}

TEST(Transform, ThrowingFnReachesTheCallerOfSend) {
  auto p = coflow::open<int>(ops::transform([](int x) {
                               if (x == 0) throw std::domain_error("zero");
                               return 10 / x;
                             }) |
                             sinks::to_vector());
  p.send(5);
  EXPECT_THROW(p.send(0), std::domain_error);
  EXPECT_TRUE(p.done());
}

TEST(Transform, MovesTheValueIntoFn) {
  auto p = ops::transform([](std::unique_ptr<int> v) { return *v * 2; }) | sinks::to_vector();
  auto source = values<std::unique_ptr<int>>(1, 4);
  EXPECT_EQ(coflow::run(source, p), (std::vector{2, 4, 6}));
}

}  // namespace
