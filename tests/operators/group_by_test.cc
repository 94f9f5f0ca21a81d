#include "operators/group_by.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <initializer_list>
#include <map>
#include <optional>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "operators/averager.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/null.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;

struct move_only {
  explicit move_only(int v) : value(v) {}
  move_only(move_only&&) = default;
  move_only& operator=(move_only&&) = default;
  friend bool operator==(const move_only&, const move_only&) = default;
  int value;
};

struct reading {
  std::string sensor;
  double value;
};

constexpr auto mod3 = [](int x) { return x % 3; };

template <class KeyFn, class Aggregate>
concept groupable = requires(KeyFn k, Aggregate a) {
  sinks::group_by(k, a);
};

// The spec's example: the key is the decayed result of key_fn, the value the aggregate's result.
static_assert(std::same_as<decltype(coflow::bind_chain<reading>(
                                        sinks::group_by([](const reading& r) { return r.sensor; },
                                                        ops::transform(&reading::value) |
                                                            ops::averager() | sinks::last()))
                                        .finish()),
                           std::map<std::string, std::optional<double>>>);
// A pointer to member yields a const reference; the key is a copy.
static_assert(std::same_as<decltype(coflow::bind_chain<reading>(sinks::group_by(&reading::sensor,
                                                                                sinks::null()))
                                        .finish()),
                           std::map<std::string, std::monostate>>);
static_assert(coflow::sink_description<decltype(sinks::group_by(mod3, sinks::null()))>);
// The aggregate must be able to run.
static_assert(groupable<decltype(mod3), sinks::to_vector_sink>);
static_assert(!groupable<decltype(mod3), ops::take_stage>);

template <class T>
T make(int v) {
  return T(v);
}

template <class T>
std::vector<T> make_vector(std::initializer_list<int> values) {
  std::vector<T> out;
  for (int v : values) out.push_back(make<T>(v));
  return out;
}

template <class T>
class GroupByTyped : public ::testing::Test {};
using value_types = ::testing::Types<int, double, move_only>;
TYPED_TEST_SUITE(GroupByTyped, value_types);

int key_of(int v) { return v % 3; }
int key_of(double v) { return static_cast<int>(v) % 3; }
int key_of(const move_only& v) { return v.value % 3; }

TYPED_TEST(GroupByTyped, CollectsEachKeysValuesInItsOwnAggregate) {
  auto key = [](const TypeParam& v) { return key_of(v); };
  auto groups = coflow::run(ranges::views::iota(1, 9) | ranges::views::transform(make<TypeParam>),
                            sinks::group_by(key, sinks::to_vector()));
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0], make_vector<TypeParam>({3, 6}));
  EXPECT_EQ(groups[1], make_vector<TypeParam>({1, 4, 7}));
  EXPECT_EQ(groups[2], make_vector<TypeParam>({2, 5, 8}));
}

TYPED_TEST(GroupByTyped, GroupsValuesSentThroughAnOpenedPipeline) {
  auto key = [](const TypeParam& v) { return key_of(v); };
  auto p = coflow::open<TypeParam>(sinks::group_by(key, sinks::last()));
  p.send(make<TypeParam>(4));
  p.send(make<TypeParam>(7));
  p.send(make<TypeParam>(2));
  EXPECT_FALSE(p.done());
  auto groups = p.close();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups.at(1), make<TypeParam>(7));
  EXPECT_EQ(groups.at(2), make<TypeParam>(2));
}

TEST(GroupBy, AveragesReadingsPerSensor) {
  std::vector<reading> readings{{"b", 10}, {"a", 1}, {"b", 20}, {"a", 3}, {"c", 7}};
  std::map<std::string, std::optional<double>> means = coflow::run(
      readings, sinks::group_by([](const reading& r) { return r.sensor; },
                                ops::transform(&reading::value) | ops::averager() | sinks::last()));
  EXPECT_EQ(means,
            (std::map<std::string, std::optional<double>>{{"a", 2.0}, {"b", 15.0}, {"c", 7.0}}));
}

TEST(GroupBy, TakesAPointerToADataMemberAsTheKey) {
  std::vector<reading> readings{{"x", 1}, {"y", 2}, {"x", 3}};
  auto values = coflow::run(
      readings,
      sinks::group_by(&reading::sensor, ops::transform(&reading::value) | sinks::to_vector()));
  EXPECT_EQ(values, (std::map<std::string, std::vector<double>>{{"x", {1, 3}}, {"y", {2}}}));
}

TEST(GroupBy, GivesAnEmptyMapForAnEmptyStream) {
  auto groups = coflow::run(std::vector<int>{}, sinks::group_by(mod3, sinks::to_vector()));
  EXPECT_TRUE(groups.empty());
}

TEST(GroupBy, StopsFeedingAGroupWhoseAggregateIsDone) {
  auto groups = coflow::run(ranges::views::iota(1, 11),
                            sinks::group_by(mod3, ops::take(2) | sinks::to_vector()));
  EXPECT_EQ(groups, (std::map<int, std::vector<int>>{{0, {3, 6}}, {1, {1, 4}}, {2, {2, 5}}}));
}

TEST(GroupBy, IsNeverDoneSinceANewKeyMayCome) {
  auto p = coflow::open<int>(sinks::group_by(mod3, ops::take(1) | sinks::last()));
  for (int i = 0; i < 6; ++i) p.send(i);
  EXPECT_FALSE(p.done());
  EXPECT_EQ(p.close(), (std::map<int, std::optional<int>>{{0, 0}, {1, 1}, {2, 2}}));
}

TEST(GroupBy, RepresentsAVoidAggregateResultAsMonostate) {
  std::vector<int> seen;
  auto groups =
      coflow::run(std::vector{5, 6, 5},
                  sinks::group_by([](int x) { return x; },
                                  sinks::for_each([&seen](int x) { seen.push_back(x); })));
  EXPECT_EQ(groups, (std::map<int, std::monostate>{{5, {}}, {6, {}}}));
  EXPECT_EQ(seen, (std::vector{5, 6, 5}));
}

TEST(GroupBy, EndsAPipelineAfterUpstreamStages) {
  auto groups = coflow::run(
      std::vector{"apple", "avocado", "banana", "blueberry", "cherry", "apricot"},
      ops::filter([](const char* s) { return s[0] != 'c'; }) | ops::transform([](const char* s) {
        return std::string(s);
      }) | sinks::group_by([](const std::string& s) { return s[0]; }, sinks::to_vector()));
  EXPECT_EQ(groups, (std::map<char, std::vector<std::string>>{
                        {'a', {"apple", "avocado", "apricot"}}, {'b', {"banana", "blueberry"}}}));
}

TEST(GroupBy, RunsAChainOfOperatorsPerGroup) {
  auto sums = coflow::run(
      std::vector{1, 2, 3, 4, 5, 6},
      sinks::group_by([](int x) { return x % 2 == 0; },
                      ops::transform([](int x) { return x * 10; }) | sinks::to_vector()));
  EXPECT_EQ(sums, (std::map<bool, std::vector<int>>{{false, {10, 30, 50}}, {true, {20, 40, 60}}}));
}

TEST(GroupBy, PropagatesAThrowingKeyFunctionAndMakesNoGroupForTheValue) {
  std::vector<int> seen;
  auto key = [](int x) {
    if (x == 3) throw std::runtime_error("no key");
    return x % 2;
  };
  EXPECT_THROW(
      coflow::run(std::vector{1, 2, 3, 4},
                  sinks::group_by(key, sinks::for_each([&seen](int x) { seen.push_back(x); }))),
      std::runtime_error);
  EXPECT_EQ(seen, (std::vector{1, 2}));
}

TEST(GroupBy, PropagatesAThrowingAggregate) {
  auto thrower = sinks::for_each([](int x) {
    if (x == 4) throw std::runtime_error("bad value");
  });
  auto p = coflow::open<int>(sinks::group_by(mod3, thrower));
  p.send(1);
  p.send(2);
  EXPECT_THROW(p.send(4), std::runtime_error);
  EXPECT_TRUE(p.done());
}

TEST(GroupBy, ADescriptionRunsAgainWithNoGroups) {
  auto g = sinks::group_by(mod3, sinks::to_vector());
  EXPECT_EQ(coflow::run(std::vector{1, 2}, g),
            (std::map<int, std::vector<int>>{{1, {1}}, {2, {2}}}));
  EXPECT_EQ(coflow::run(std::vector{3}, g), (std::map<int, std::vector<int>>{{0, {3}}}));
}

}  // namespace
