#include "operators/batch.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <numeric>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/move.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <vector>

#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/operators/value_type_fixtures.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using namespace coflow::value_type_testing;

// batch(n) outputs vectors of its input type.
static_assert(
    std::same_as<decltype(coflow::bind_chain<int>(ops::batch(2) | sinks::to_vector()).finish()),
                 std::vector<std::vector<int>>>);
static_assert(
    std::same_as<decltype(coflow::bind_chain<move_only>(ops::batch(2) | sinks::last()).finish()),
                 std::optional<std::vector<move_only>>>);

template <class T>
std::vector<std::vector<T>> make_batches(std::initializer_list<std::initializer_list<int>> bs) {
  std::vector<std::vector<T>> out;
  for (auto b : bs) out.push_back(make_vector<T>(b));
  return out;
}

// 1, 2, ..., n as values of T, made on the fly (so move-only types work).
template <class T>
auto values_up_to(int n) {
  return ranges::views::iota(1, n + 1) | ranges::views::transform(make<T>);
}

template <class T>
class BatchTyped : public ::testing::Test {};
TYPED_TEST_SUITE(BatchTyped, value_types);

TYPED_TEST(BatchTyped, GroupsValuesIntoBatchesAndFlushesThePartialOne) {
  auto result = coflow::run(values_up_to<TypeParam>(5), ops::batch(2) | sinks::to_vector());
  EXPECT_EQ(result, make_batches<TypeParam>({{1, 2}, {3, 4}, {5}}));
}

TYPED_TEST(BatchTyped, OutputsNoEmptyBatchWhenTheStreamEndsOnABoundary) {
  auto result = coflow::run(values_up_to<TypeParam>(6), ops::batch(3) | sinks::to_vector());
  EXPECT_EQ(result, make_batches<TypeParam>({{1, 2, 3}, {4, 5, 6}}));
}

TYPED_TEST(BatchTyped, MovesTheValuesOfAVectorSource) {
  std::vector<TypeParam> input = make_vector<TypeParam>({1, 2, 3});
  auto result = coflow::run(ranges::views::move(input), ops::batch(2) | sinks::to_vector());
  EXPECT_EQ(result, make_batches<TypeParam>({{1, 2}, {3}}));
}

TYPED_TEST(BatchTyped, FlushesThePartialBatchWhenAnOpenedPipelineCloses) {
  auto p = coflow::open<TypeParam>(ops::batch(3) | sinks::to_vector());
  p.send(make<TypeParam>(1));
  p.send(make<TypeParam>(2));
  p.send(make<TypeParam>(3));
  p.send(make<TypeParam>(4));
  EXPECT_FALSE(p.done());
  EXPECT_EQ(p.close(), make_batches<TypeParam>({{1, 2, 3}, {4}}));
}

TEST(Batch, ThrowsInvalidArgumentForASizeOfZero) {
  EXPECT_THROW((void)ops::batch(0), std::invalid_argument);
}

TEST(Batch, OfOnePassesEachValueAlone) {
  auto result = coflow::run(std::vector{7, 8, 9}, ops::batch(1) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector<std::vector<int>>{{7}, {8}, {9}}));
}

TEST(Batch, OutputsNothingForAnEmptyStream) {
  auto result = coflow::run(std::vector<int>{}, ops::batch(4) | sinks::to_vector());
  EXPECT_TRUE(result.empty());
}

TEST(Batch, LargerThanTheStreamOutputsOneBatchAtTheEnd) {
  // A size beyond the reservation limit: the batch grows as values arrive.
  auto result =
      coflow::run(ranges::views::iota(0, 10000), ops::batch(1'000'000) | sinks::to_vector());
  ASSERT_EQ(result.size(), 1u);
  EXPECT_EQ(result[0].size(), 10000u);
  EXPECT_EQ(result[0].back(), 9999);
}

TEST(Batch, ComposesWithATransformOfEachBatch) {
  // 1 2 3 _ 5 6 7 8 -> {1, 2, 3} {5, 6, 7} {8}
  auto sums = coflow::run(std::vector{1, 2, 3, 4, 5, 6, 7, 8},
                          ops::filter([](int x) { return x != 4; }) | ops::batch(3) |
                              ops::transform([](const std::vector<int>& b) {
                                return std::accumulate(b.begin(), b.end(), 0);
                              }) |
                              sinks::to_vector());
  EXPECT_EQ(sums, (std::vector{6, 18, 8}));
}

TEST(Batch, StartsAFreshBatchWhenDownstreamDropsOne) {
  // The filter drops {1, 2} and {5, 6} without moving from them: batch must not keep them.
  auto result = coflow::run(std::vector{1, 2, 3, 4, 5, 6, 7},
                            ops::batch(2) | ops::filter([](const std::vector<int>& b) {
                              return b[0] % 4 != 1;
                            }) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector<std::vector<int>>{{3, 4}, {7}}));
}

TEST(Batch, StopsTheSourceWhenDownstreamIsDone) {
  int reads = 0;
  auto counted = ranges::views::iota(1) | ranges::views::transform([&reads](int x) {
                   ++reads;
                   return x;
                 });
  auto result = coflow::run(counted, ops::batch(2) | ops::take(2) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector<std::vector<int>>{{1, 2}, {3, 4}}));
  EXPECT_EQ(reads, 4);
}

TEST(Batch, DropsThePartialBatchWhenDownstreamIsAlreadyDone) {
  auto p = coflow::open<int>(ops::batch(2) | ops::take(1) | sinks::to_vector());
  p.send(1);
  EXPECT_FALSE(p.done());
  p.send(2);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::vector<std::vector<int>>{{1, 2}}));
}

TEST(Batch, FeedsTheLastBatchToASinkAtClose) {
  std::optional<std::vector<int>> last =
      coflow::run(ranges::views::iota(1, 8), ops::batch(3) | sinks::last());
  EXPECT_EQ(last, (std::vector{7}));
}

TEST(Batch, PropagatesADownstreamExceptionFromTheFullBatch) {
  std::vector<std::vector<int>> seen;
  auto sink = sinks::for_each([&seen](std::vector<int> b) {
    if (b[0] == 3) throw std::runtime_error("rejected batch");
    seen.push_back(std::move(b));
  });
  EXPECT_THROW(coflow::run(std::vector{1, 2, 3, 4, 5}, ops::batch(2) | sink), std::runtime_error);
  EXPECT_EQ(seen, (std::vector<std::vector<int>>{{1, 2}}));
}

TEST(Batch, PropagatesADownstreamExceptionFromTheFlushAtClose) {
  auto sink = sinks::for_each([](const std::vector<int>& b) {
    if (b.size() < 2) throw std::runtime_error("short batch");
  });
  auto p = coflow::open<int>(ops::batch(2) | sink);
  p.send(1);
  p.send(2);
  p.send(3);
  EXPECT_THROW(p.close(), std::runtime_error);
  EXPECT_TRUE(p.done());
}

TEST(Batch, ADescriptionRunsAgainFromAnEmptyBatch) {
  auto p = ops::batch(2) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1, 2, 3}, p), (std::vector<std::vector<int>>{{1, 2}, {3}}));
  EXPECT_EQ(coflow::run(std::vector{4}, p), (std::vector<std::vector<int>>{{4}}));
}

}  // namespace
