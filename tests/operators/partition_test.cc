#include "operators/partition.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <initializer_list>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <utility>
#include <variant>
#include <vector>

#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/null.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"
#include "tests/operators/value_type_fixtures.hpp"
#include "tests/support/frame_counter.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using namespace coflow::value_type_testing;

struct item {
  int id;
  bool valid;
};

using coflow::test_support::frame_counter;

// The live frames of the coroutine branches (started or not): each takes a token as a parameter.
frame_counter frames;

// A consumer coroutine: the number of values it received, throwing at `poison`.
coflow::consumer<int, int> counting(frame_counter::token, int poison) {
  int n = 0;
  while (auto v = co_yield coflow::receive) {
    if (*v == poison) throw std::runtime_error("poisoned value");
    ++n;
  }
  co_return n;
}

constexpr auto is_even = [](int x) { return x % 2 == 0; };

template <class Pred, class T, class F>
concept partitionable = requires(Pred p, T t, F f) {
  sinks::partition(p, t, f);
};

// The result is the pair of the branches' results, void as std::monostate.
static_assert(std::same_as<decltype(coflow::bind_chain<int>(sinks::partition(is_even, sinks::null(),
                                                                             sinks::last()))
                                        .finish()),
                           std::pair<std::monostate, std::optional<int>>>);
static_assert(
    coflow::sink_description<decltype(sinks::partition(is_even, sinks::null(), sinks::null()))>);
// Both branches must be able to run.
static_assert(partitionable<decltype(is_even), sinks::null_sink, sinks::null_sink>);
static_assert(!partitionable<decltype(is_even), ops::take_stage, sinks::null_sink>);

template <class T>
class PartitionTyped : public ::testing::Test {};
TYPED_TEST_SUITE(PartitionTyped, value_types);

TYPED_TEST(PartitionTyped, RoutesEachValueByThePredicate) {
  auto big = [](const TypeParam& x) { return make<TypeParam>(3) == x || make<TypeParam>(5) == x; };
  auto [yes, no] =
      coflow::run(ranges::views::iota(1, 7) | ranges::views::transform(make<TypeParam>),
                  sinks::partition(big, sinks::to_vector(), sinks::to_vector()));
  EXPECT_EQ(yes, make_vector<TypeParam>({3, 5}));
  EXPECT_EQ(no, make_vector<TypeParam>({1, 2, 4, 6}));
}

TYPED_TEST(PartitionTyped, RoutesValuesSentThroughAnOpenedPipeline) {
  auto is_one = [](const TypeParam& x) { return x == make<TypeParam>(1); };
  auto p = coflow::open<TypeParam>(sinks::partition(is_one, sinks::to_vector(), sinks::last()));
  p.send(make<TypeParam>(1));
  p.send(make<TypeParam>(2));
  p.send(make<TypeParam>(1));
  auto [ones, last_other] = p.close();
  EXPECT_EQ(ones, make_vector<TypeParam>({1, 1}));
  ASSERT_TRUE(last_other.has_value());
  EXPECT_EQ(*last_other, make<TypeParam>(2));
}

TEST(Partition, SplitsAVectorIntoEvensAndOdds) {
  auto [evens, odds] =
      coflow::run(std::vector{1, 2, 3, 4, 5},
                  sinks::partition(is_even, sinks::to_vector(), sinks::to_vector()));
  EXPECT_EQ(evens, (std::vector{2, 4}));
  EXPECT_EQ(odds, (std::vector{1, 3, 5}));
}

TEST(Partition, TakesAPointerToABoolMemberAsThePredicate) {
  auto [valid, invalid] =
      coflow::run(std::vector<item>{{1, true}, {2, false}, {3, true}},
                  sinks::partition(&item::valid, ops::transform(&item::id) | sinks::to_vector(),
                                   ops::transform(&item::id) | sinks::to_vector()));
  EXPECT_EQ(valid, (std::vector{1, 3}));
  EXPECT_EQ(invalid, (std::vector{2}));
}

TEST(Partition, RepresentsAVoidResultAsMonostate) {
  int odd_total = 0;
  auto [evens, nothing] =
      coflow::run(std::vector{1, 2, 3, 4},
                  sinks::partition(is_even, sinks::to_vector(),
                                   sinks::for_each([&odd_total](int x) { odd_total += x; })));
  EXPECT_EQ(evens, (std::vector{2, 4}));
  EXPECT_EQ(nothing, std::monostate{});
  EXPECT_EQ(odd_total, 4);
}

TEST(Partition, EndsAPipelineAfterUpstreamStages) {
  auto [small, large] = coflow::run(
      ranges::views::iota(1, 6),
      ops::transform([](int x) { return x * x; }) |
          sinks::partition([](int x) { return x < 10; }, sinks::to_vector(), sinks::to_vector()));
  EXPECT_EQ(small, (std::vector{1, 4, 9}));
  EXPECT_EQ(large, (std::vector{16, 25}));
}

TEST(Partition, DropsValuesForABranchThatIsDoneAndFeedsTheOther) {
  auto [evens, odds] =
      coflow::run(std::vector{1, 2, 3, 4, 5, 6},
                  sinks::partition(is_even, ops::take(1) | sinks::to_vector(), sinks::to_vector()));
  EXPECT_EQ(evens, (std::vector{2}));
  EXPECT_EQ(odds, (std::vector{1, 3, 5}));
}

TEST(Partition, IsDoneWhenBothBranchesAreSoTheSourceStops) {
  int reads = 0;
  auto counted_source = ranges::views::iota(1) | ranges::views::transform([&reads](int x) {
                          ++reads;
                          return x;
                        });
  auto [evens, odds] =
      coflow::run(counted_source, sinks::partition(is_even, ops::take(2) | sinks::to_vector(),
                                                   ops::take(1) | sinks::to_vector()));
  EXPECT_EQ(evens, (std::vector{2, 4}));
  EXPECT_EQ(odds, (std::vector{1}));
  EXPECT_EQ(reads, 4);
}

TEST(Partition, ReportsDoneInAnOpenedPipeline) {
  auto p = coflow::open<int>(
      sinks::partition(is_even, ops::take(1) | sinks::last(), ops::take(1) | sinks::last()));
  p.send(2);
  EXPECT_FALSE(p.done());
  p.send(4);  // dropped: the even branch is done
  EXPECT_FALSE(p.done());
  p.send(3);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::pair<std::optional<int>, std::optional<int>>{2, 3}));
}

TEST(Partition, PropagatesAThrowingPredicateAndTheValueReachesNeitherBranch) {
  std::vector<int> routed;
  auto record = sinks::for_each([&routed](int x) { routed.push_back(x); });
  auto pred = [](int x) {
    if (x == 3) throw std::runtime_error("cannot classify");
    return x % 2 == 0;
  };
  EXPECT_THROW(coflow::run(std::vector{1, 2, 3, 4}, sinks::partition(pred, record, record)),
               std::runtime_error);
  EXPECT_EQ(routed, (std::vector{1, 2}));
}

TEST(Partition, PropagatesAThrowingBranch) {
  auto thrower = sinks::for_each([](int x) {
    if (x > 2) throw std::runtime_error("too big");
  });
  auto p = coflow::open<int>(sinks::partition(is_even, thrower, sinks::to_vector()));
  p.send(2);
  p.send(1);
  EXPECT_THROW(p.send(4), std::runtime_error);
  EXPECT_TRUE(p.done());
}

TEST(Partition, RunsConsumerCoroutinesAsBranchesAndDestroysTheirFrames) {
  ASSERT_EQ(frames.live(), 0);
  {
    auto [evens, odds] = coflow::run(
        std::vector{1, 2, 3, 4, 5},
        sinks::partition(is_even, counting(frames.enter(), -1), counting(frames.enter(), -1)));
    EXPECT_EQ(evens, 2);
    EXPECT_EQ(odds, 3);
  }
  EXPECT_EQ(frames.live(), 0);
  EXPECT_THROW(
      coflow::run(std::vector{1, 2, 3}, sinks::partition(is_even, counting(frames.enter(), 2),
                                                         counting(frames.enter(), -1))),
      std::runtime_error);
  EXPECT_EQ(frames.live(), 0);
}

TEST(Partition, ADescriptionRunsAgainWithFreshBranches) {
  auto split = sinks::partition(is_even, sinks::to_vector(), ops::take(1) | sinks::to_vector());
  auto first = coflow::run(std::vector{1, 2, 3}, split);
  auto second = coflow::run(std::vector{5, 6}, split);
  EXPECT_EQ(first, (std::pair<std::vector<int>, std::vector<int>>{{2}, {1}}));
  EXPECT_EQ(second, (std::pair<std::vector<int>, std::vector<int>>{{6}, {5}}));
}

}  // namespace
