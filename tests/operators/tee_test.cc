#include "operators/tee.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "operators/averager.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/maximize.hpp"
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

// Tee's typed tests run over std::string too: v as a string of v x's.
namespace coflow::value_type_testing {
template <>
std::string make<std::string>(int v) {
  return std::string(static_cast<std::size_t>(v), 'x');
}
}  // namespace coflow::value_type_testing

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using namespace coflow::value_type_testing;

// Counts the copies made of it, so that tests can see where tee copies and where it moves.
struct counted {
  static inline int copies = 0;
  explicit counted(int v) : value(v) {}
  counted(const counted& other) : value(other.value) { ++copies; }
  counted(counted&&) noexcept = default;
  counted& operator=(const counted& other) {
    value = other.value;
    ++copies;
    return *this;
  }
  counted& operator=(counted&&) noexcept = default;
  int value;
};

using coflow::test_support::frame_counter;

// The live frames of the coroutine branches (started or not): each takes a token as a parameter.
frame_counter frames;

// A consumer coroutine: the sum of its values, throwing at `poison`.
coflow::consumer<int, int> summing(frame_counter::token, int poison) {
  int total = 0;
  while (auto v = co_yield coflow::receive) {
    if (*v == poison) throw std::runtime_error("poisoned value");
    total += *v;
  }
  co_return total;
}

template <class S>
concept teeable = requires(S s) {
  sinks::tee(s);
};

// The result is the tuple of the branches' results, void as std::monostate.
static_assert(
    std::same_as<decltype(coflow::bind_chain<int>(sinks::tee(sinks::to_vector(), sinks::null(),
                                                             sinks::last()))
                              .finish()),
                 std::tuple<std::vector<int>, std::monostate, std::optional<int>>>);
static_assert(
    std::same_as<decltype(sinks::broadcast(sinks::null())), decltype(sinks::tee(sinks::null()))>);
static_assert(coflow::sink_description<decltype(sinks::tee(sinks::null()))>);
// Each branch must be able to run: a stage with no sink after it is not a branch.
static_assert(teeable<sinks::to_vector_sink>);
static_assert(!teeable<ops::take_stage>);

template <class T>
class TeeTyped : public ::testing::Test {};
using copyable_types = ::testing::Types<int, double, std::string>;
TYPED_TEST_SUITE(TeeTyped, copyable_types);

TYPED_TEST(TeeTyped, SendsEveryValueToEveryBranch) {
  std::vector<TypeParam> input = make_vector<TypeParam>({1, 2, 3});
  auto [all, last, first_two] = coflow::run(
      input, sinks::tee(sinks::to_vector(), sinks::last(), ops::take(2) | sinks::to_vector()));
  EXPECT_EQ(all, make_vector<TypeParam>({1, 2, 3}));
  EXPECT_EQ(last, make<TypeParam>(3));
  EXPECT_EQ(first_two, make_vector<TypeParam>({1, 2}));
}

TYPED_TEST(TeeTyped, FansOutValuesSentThroughAnOpenedPipeline) {
  auto p = coflow::open<TypeParam>(sinks::tee(sinks::to_vector(), sinks::last()));
  p.send(make<TypeParam>(2));
  p.send(make<TypeParam>(5));
  EXPECT_FALSE(p.done());
  auto [all, last] = p.close();
  EXPECT_EQ(all, make_vector<TypeParam>({2, 5}));
  EXPECT_EQ(last, make<TypeParam>(5));
}

TEST(Tee, MovesEveryValueIntoASingleBranch) {
  auto [all] = coflow::run(ranges::views::iota(1, 4) | ranges::views::transform(make<move_only>),
                           sinks::tee(sinks::to_vector()));
  EXPECT_EQ(all, make_vector<move_only>({1, 2, 3}));
}

TEST(Tee, CopiesIntoEachBranchButTheLastAndMovesIntoTheLast) {
  counted::copies = 0;
  std::vector<int> seen;
  auto record = sinks::for_each([&seen](counted c) { seen.push_back(c.value); });
  auto [a, b, c] = coflow::run(ranges::views::iota(1, 5) | ranges::views::transform(make<counted>),
                               sinks::tee(record, record, sinks::to_vector()));
  EXPECT_EQ(counted::copies, 8);  // 4 values, 2 copies each
  EXPECT_EQ(seen, (std::vector{1, 1, 2, 2, 3, 3, 4, 4}));
  EXPECT_EQ(c.size(), 4u);
}

TEST(Tee, MovesIntoTheLastBranchStillTakingValues) {
  counted::copies = 0;
  auto [all, first] =
      coflow::run(ranges::views::iota(1, 5) | ranges::views::transform(make<counted>),
                  sinks::tee(sinks::to_vector(), ops::take(1) | sinks::to_vector()));
  // Value 1 is copied into branch 0 and moved into branch 1; then branch 1 is done, and
  // values 2..4 are moved into branch 0.
  EXPECT_EQ(counted::copies, 1);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[3].value, 4);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].value, 1);
}

TEST(Tee, RepresentsAVoidResultAsMonostate) {
  int total = 0;
  auto [nothing, values] =
      coflow::run(std::vector{1, 2, 3},
                  sinks::tee(sinks::for_each([&total](int x) { total += x; }), sinks::to_vector()));
  EXPECT_EQ(nothing, std::monostate{});
  EXPECT_EQ(total, 6);
  EXPECT_EQ(values, (std::vector{1, 2, 3}));
}

TEST(Tee, RunsChainsOfOperatorsAsBranches) {
  auto [mean, biggest, evens] =
      coflow::run(std::vector{4, 8, 6, 2},
                  sinks::tee(ops::averager() | sinks::last(), ops::maximize() | sinks::last(),
                             ops::filter([](int x) { return x % 4 == 0; }) | sinks::to_vector()));
  EXPECT_EQ(mean, 5.0);
  EXPECT_EQ(biggest, 8);
  EXPECT_EQ(evens, (std::vector{4, 8}));
}

TEST(Tee, BroadcastIsTheSameSink) {
  auto [a, b] = coflow::run(std::vector{1, 2}, sinks::broadcast(sinks::to_vector(), sinks::last()));
  EXPECT_EQ(a, (std::vector{1, 2}));
  EXPECT_EQ(b, 2);
}

TEST(Tee, EndsAPipelineAfterUpstreamStages) {
  auto [a, b] =
      coflow::run(ranges::views::iota(1, 7), ops::filter([](int x) { return x % 2 == 1; }) |
                                                 ops::transform([](int x) { return x * 10; }) |
                                                 sinks::tee(sinks::to_vector(), sinks::last()));
  EXPECT_EQ(a, (std::vector{10, 30, 50}));
  EXPECT_EQ(b, 50);
}

TEST(Tee, NestsInsideAnotherTee) {
  auto [outer, inner] = coflow::run(
      std::vector{1, 2, 3},
      sinks::tee(sinks::to_vector(), sinks::tee(ops::take(1) | sinks::last(), sinks::last())));
  EXPECT_EQ(outer, (std::vector{1, 2, 3}));
  EXPECT_EQ(inner, (std::tuple<std::optional<int>, std::optional<int>>{1, 3}));
}

TEST(Tee, IsDoneWhenEveryBranchIsDoneSoTheSourceStops) {
  int reads = 0;
  auto counted_source = ranges::views::iota(1) | ranges::views::transform([&reads](int x) {
                          ++reads;
                          return x;
                        });
  auto [two, three] = coflow::run(counted_source, sinks::tee(ops::take(2) | sinks::to_vector(),
                                                             ops::take(3) | sinks::to_vector()));
  EXPECT_EQ(two, (std::vector{1, 2}));
  EXPECT_EQ(three, (std::vector{1, 2, 3}));
  EXPECT_EQ(reads, 3);
}

TEST(Tee, NeverFeedsABranchThatIsDoneFromTheStart) {
  auto [none, all] = coflow::run(std::vector{1, 2},
                                 sinks::tee(ops::take(0) | sinks::to_vector(), sinks::to_vector()));
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(all, (std::vector{1, 2}));
}

TEST(Tee, ReportsDoneInAnOpenedPipelineOnceEveryBranchIs) {
  auto p =
      coflow::open<int>(sinks::tee(ops::take(1) | sinks::last(), ops::take(2) | sinks::last()));
  p.send(1);
  EXPECT_FALSE(p.done());
  p.send(2);
  EXPECT_TRUE(p.done());
  EXPECT_EQ(p.close(), (std::tuple<std::optional<int>, std::optional<int>>{1, 2}));
}

TEST(Tee, ReadsNothingWhenEveryBranchIsDoneFromTheStart) {
  int reads = 0;
  auto counted_source = ranges::views::iota(1) | ranges::views::transform([&reads](int x) {
                          ++reads;
                          return x;
                        });
  auto [a] = coflow::run(counted_source, sinks::tee(ops::take(0) | sinks::to_vector()));
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(reads, 0);
}

TEST(Tee, FeedsBranchesBeforeAThrowingOneButNotThoseAfterIt) {
  std::vector<int> before;
  std::vector<int> after;
  auto thrower = sinks::for_each([](int x) {
    if (x == 3) throw std::runtime_error("branch 1 failed");
  });
  EXPECT_THROW(
      coflow::run(std::vector{1, 2, 3, 4},
                  sinks::tee(sinks::for_each([&before](int x) { before.push_back(x); }), thrower,
                             sinks::for_each([&after](int x) { after.push_back(x); }))),
      std::runtime_error);
  EXPECT_EQ(before, (std::vector{1, 2, 3}));
  EXPECT_EQ(after, (std::vector{1, 2}));
}

TEST(Tee, RunsConsumerCoroutinesAsBranchesAndDestroysTheirFrames) {
  ASSERT_EQ(frames.live(), 0);
  {
    auto [sum, values] = coflow::run(std::vector{1, 2, 3, 4},
                                     sinks::tee(summing(frames.enter(), -1), sinks::to_vector()));
    EXPECT_EQ(sum, 10);
    EXPECT_EQ(values, (std::vector{1, 2, 3, 4}));
  }
  EXPECT_EQ(frames.live(), 0);
}

TEST(Tee, DestroysEveryFrameWhenACoroutineBranchThrows) {
  ASSERT_EQ(frames.live(), 0);
  std::vector<int> after;
  EXPECT_THROW(coflow::run(std::vector{1, 2, 3},
                           sinks::tee(summing(frames.enter(), 2), summing(frames.enter(), -1),
                                      sinks::for_each([&after](int x) { after.push_back(x); }))),
               std::runtime_error);
  EXPECT_EQ(after, (std::vector{1}));
  EXPECT_EQ(frames.live(), 0);
}

TEST(Tee, PropagatesAnExceptionFromACoroutineBranchThroughAnOpenedPipeline) {
  ASSERT_EQ(frames.live(), 0);
  {
    auto p = coflow::open<int>(sinks::tee(sinks::to_vector(), summing(frames.enter(), 5)));
    EXPECT_EQ(frames.live(), 1);
    p.send(1);
    EXPECT_THROW(p.send(5), std::runtime_error);
    EXPECT_TRUE(p.done());
  }
  EXPECT_EQ(frames.live(), 0);
}

TEST(Tee, ADescriptionRunsAgainWithFreshBranches) {
  auto t = sinks::tee(sinks::to_vector(), ops::take(1) | sinks::to_vector());
  auto first = coflow::run(std::vector{1, 2}, t);
  auto second = coflow::run(std::vector{3}, t);
  EXPECT_EQ(first, (std::tuple<std::vector<int>, std::vector<int>>{{1, 2}, {1}}));
  EXPECT_EQ(second, (std::tuple<std::vector<int>, std::vector<int>>{{3}, {3}}));
}

TEST(Tee, FinishesBranchesOnAnEmptyStream) {
  auto [values, last, mean] =
      coflow::run(std::vector<int>{},
                  sinks::tee(sinks::to_vector(), sinks::last(), ops::averager() | sinks::last()));
  EXPECT_TRUE(values.empty());
  EXPECT_EQ(last, std::nullopt);
  EXPECT_EQ(mean, std::nullopt);
}

}  // namespace
