#include "operators/group_by.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "operators/averager.hpp"
#include "operators/count.hpp"
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
#include "tests/operators/value_type_fixtures.hpp"

namespace {

namespace ops = coflow::ops;
namespace sinks = coflow::sinks;
using namespace coflow::value_type_testing;

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
class GroupByTyped : public ::testing::Test {};
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

// ---------------------------------------------------------------------------------------------
// Keys: NaN has a group of its own; a key that views the value is copied or rejected.

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr auto identity = [](double x) { return x; };

// Floating-point keys get a NaN-aware comparator; other keys keep std::less.
static_assert(std::same_as<decltype(coflow::run(std::vector<double>{},
                                                sinks::group_by(identity, sinks::null()))),
                           std::map<double, std::monostate, sinks::group_key_less>>);
static_assert(
    std::same_as<decltype(coflow::run(std::vector<double>{},
                                      sinks::group_by([](double x) { return std::pair(1, x); },
                                                      sinks::null()))),
                 std::map<std::pair<int, double>, std::monostate, sinks::group_key_less>>);
static_assert(
    std::same_as<decltype(coflow::run(std::vector<int>{}, sinks::group_by(mod3, sinks::null()))),
                 std::map<int, std::monostate>>);
// Keys that would dangle are rejected (bad_group_by_span_key.cc checks the message).
static_assert(coflow::detail::dangling_group_key_v<std::span<const int>>);
static_assert(coflow::detail::dangling_group_key_v<const char*>);
static_assert(coflow::detail::dangling_group_key_v<std::pair<int, std::span<int>>>);
static_assert(!coflow::detail::dangling_group_key_v<std::string>);
static_assert(!coflow::detail::dangling_group_key_v<const int*>);  // grouping by identity
static_assert(std::same_as<coflow::detail::owning_group_key<std::string_view>::type, std::string>);
static_assert(
    std::same_as<coflow::detail::owning_group_key<std::tuple<int, std::wstring_view>>::type,
                 std::tuple<int, std::wstring>>);

std::size_t count_nans(const std::vector<double>& values) {
  return static_cast<std::size_t>(
      std::count_if(values.begin(), values.end(), [](double x) { return std::isnan(x); }));
}

TEST(GroupBy, PutsANanKeyInTheMiddleInAGroupOfItsOwnOrderedLast) {
  auto groups =
      coflow::run(std::vector{1.0, 2.0, nan, 3.0}, sinks::group_by(identity, sinks::to_vector()));
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups.at(1.0), (std::vector{1.0}));
  EXPECT_EQ(groups.at(2.0), (std::vector{2.0}));
  EXPECT_EQ(groups.at(3.0), (std::vector{3.0}));
  EXPECT_TRUE(std::isnan(std::prev(groups.end())->first));
  EXPECT_EQ(groups.at(nan).size(), 1u);
  EXPECT_EQ(count_nans(groups.at(nan)), 1u);
}

TEST(GroupBy, PutsANanKeyThatComesFirstInAGroupOfItsOwn) {
  auto groups =
      coflow::run(std::vector{nan, 1.0, 2.0, 1.0}, sinks::group_by(identity, sinks::to_vector()));
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups.begin()->first, 1.0);
  EXPECT_EQ(groups.at(1.0), (std::vector{1.0, 1.0}));
  EXPECT_EQ(groups.at(2.0), (std::vector{2.0}));
  EXPECT_EQ(groups.at(nan).size(), 1u);
  EXPECT_EQ(count_nans(groups.at(nan)), 1u);
}

TEST(GroupBy, PutsEveryNanWhateverItsSignInOneGroup) {
  const double negative_nan = -nan;
  const double inf = std::numeric_limits<double>::infinity();
  ASSERT_TRUE(std::signbit(negative_nan));
  auto groups = coflow::run(std::vector{nan, 5.0, negative_nan, -1.0, nan, inf, negative_nan},
                            sinks::group_by(identity, sinks::to_vector()));
  std::vector<double> keys;
  for (const auto& [key, members] : groups) keys.push_back(key);
  ASSERT_EQ(keys.size(), 4u);
  EXPECT_EQ(keys[0], -1.0);
  EXPECT_EQ(keys[1], 5.0);
  EXPECT_EQ(keys[2], inf);
  EXPECT_TRUE(std::isnan(keys[3]));
  EXPECT_EQ(groups.at(nan).size(), 4u);
  EXPECT_EQ(count_nans(groups.at(negative_nan)), 4u);
}

TEST(GroupBy, GivesNanAGroupOfItsOwnForFloatAndLongDoubleKeys) {
  auto as_float = [](double x) { return static_cast<float>(x); };
  auto floats = coflow::run(std::vector{1.0, nan, 2.0, nan, 1.0},
                            sinks::group_by(as_float, sinks::to_vector()));
  ASSERT_EQ(floats.size(), 3u);
  EXPECT_EQ(floats.at(1.0f).size(), 2u);
  EXPECT_EQ(count_nans(floats.at(std::numeric_limits<float>::quiet_NaN())), 2u);
  auto as_long_double = [](double x) { return static_cast<long double>(x); };
  auto long_doubles = coflow::run(std::vector{nan, 1.0, 2.0, 1.0},
                                  sinks::group_by(as_long_double, sinks::to_vector()));
  ASSERT_EQ(long_doubles.size(), 3u);
  EXPECT_EQ(long_doubles.at(1.0L).size(), 2u);
  EXPECT_EQ(long_doubles.at(std::numeric_limits<long double>::quiet_NaN()).size(), 1u);
}

TEST(GroupBy, GivesNanAGroupOfItsOwnInsideAPairOrTupleKey) {
  auto pair_key = [](double x) { return std::pair(x > 0, x); };
  auto pairs = coflow::run(std::vector{1.0, nan, 1.0, 2.0, -nan},
                           sinks::group_by(pair_key, sinks::to_vector()));
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_FALSE(pairs.begin()->first.first);  // NaN > 0 is false
  EXPECT_EQ(count_nans(pairs.begin()->second), 2u);
  EXPECT_EQ(pairs.at(std::pair(true, 1.0)).size(), 2u);
  auto tuple_key = [](double x) { return std::tuple(x, 0); };
  auto tuples =
      coflow::run(std::vector{nan, 1.0, 2.0}, sinks::group_by(tuple_key, sinks::to_vector()));
  EXPECT_EQ(tuples.size(), 3u);
}

struct named {
  std::string name;
  int value;
};

TEST(GroupBy, CopiesAStringViewKeyIntoAStringThatOutlivesTheValue) {
  // Names longer than the small-string buffer, so that a key still viewing a value's name
  // after the value is gone reads freed memory (AddressSanitizer reports it).
  const std::string a(40, 'a');
  const std::string b(40, 'b');
  auto key = [](const named& n) { return std::string_view(n.name); };
  auto groups =
      coflow::run(std::vector<named>{{a, 1}, {b, 2}, {a, 3}, {b, 4}, {a, 5}},
                  sinks::group_by(key, ops::transform(&named::value) | sinks::to_vector()));
  EXPECT_TRUE((std::is_same_v<decltype(groups)::key_type, std::string>));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups.at(a), (std::vector{1, 3, 5}));
  EXPECT_EQ(groups.at(b), (std::vector{2, 4}));
}

// --- where the groups live ---------------------------------------------------------------

static_assert(coflow::detail::hashable_group_key<int>());
static_assert(coflow::detail::hashable_group_key<double>());
static_assert(coflow::detail::hashable_group_key<std::string>());
static_assert(coflow::detail::hashable_group_key<std::pair<std::string, double>>());
static_assert(coflow::detail::hashable_group_key<std::array<float, 2>>());
static_assert(coflow::detail::hashable_group_key<std::vector<std::string>>());
static_assert(coflow::detail::hashable_group_key<std::map<int, std::string>>());  // const int keys

// A key with an order and no hash: its groups live in a std::map, as before.
struct ordered_only {
  int value;
  friend auto operator<=>(const ordered_only&, const ordered_only&) = default;
};
static_assert(!coflow::detail::hashable_group_key<ordered_only>());
// Ordered by their own operator< in the result, which NaN breaks: kept in a std::map as before.
static_assert(!coflow::detail::hashable_group_key<std::optional<double>>());
static_assert(!coflow::detail::hashable_group_key<std::vector<double>>());
static_assert(!coflow::detail::hashable_group_key<std::pair<int, ordered_only>>());

TEST(GroupKeyHash, HashesAViewLikeTheStringItFinds) {
  const sinks::group_key_hash hash;
  const std::string text(40, 'k');
  EXPECT_EQ(hash(std::string_view(text)), hash(text));
  EXPECT_EQ(hash(std::pair(std::string_view(text), 1)), hash(std::pair(text, 1)));
  EXPECT_TRUE(sinks::group_key_equal{}(std::string_view(text), text));
  EXPECT_FALSE(sinks::group_key_equal{}(std::string_view("k"), text));
}

TEST(GroupKeyHash, HashesEveryNanAlikeAndBothZerosAlike) {
  const sinks::group_key_hash hash;
  const sinks::group_key_equal equal;
  EXPECT_EQ(hash(nan), hash(-nan));
  EXPECT_TRUE(equal(nan, -nan));
  EXPECT_EQ(hash(0.0), hash(-0.0));
  EXPECT_TRUE(equal(0.0, -0.0));
  EXPECT_FALSE(equal(nan, 0.0));
  EXPECT_EQ(hash(std::tuple(nan, 1)), hash(std::tuple(-nan, 1)));
  EXPECT_FALSE(equal(std::vector{1.0}, std::vector{1.0, 1.0}));
}

TEST(GroupBy, GivesItsResultInKeyOrderWhateverTheOrderKeysCameIn) {
  std::vector<int> values(5000);
  std::iota(values.begin(), values.end(), 0);
  std::shuffle(values.begin(), values.end(), std::mt19937(7));
  auto groups = coflow::run(values, sinks::group_by([](int v) { return v / 2; }, sinks::count()));
  ASSERT_EQ(groups.size(), 2500u);
  int expected = 0;
  for (const auto& [key, count] : groups) {
    EXPECT_EQ(key, expected++);
    EXPECT_EQ(count, 2u);
  }
}

TEST(GroupBy, PutsMinusZeroAndZeroInOneGroup) {
  auto groups = coflow::run(std::vector{0.0, 1.0, -0.0, 0.0},
                            sinks::group_by([](double x) { return x; }, sinks::count()));
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups.at(0.0), 3u);
  EXPECT_EQ(groups.at(-0.0), 3u);
}

TEST(GroupBy, GroupsByAContainerOfStrings) {
  using key = std::vector<std::string>;
  auto groups =
      coflow::run(std::vector<key>{{"b", "x"}, {"a"}, {"b", "x"}, {"b"}, {"a"}, {}},
                  sinks::group_by([](const key& k) -> const key& { return k; }, sinks::count()));
  EXPECT_EQ(groups,
            (std::map<key, std::uint64_t>{{{}, 1}, {{"a"}, 2}, {{"b"}, 1}, {{"b", "x"}, 2}}));
}

TEST(GroupBy, GroupsByAKeyThatHasAnOrderButNoHash) {
  auto groups = coflow::run(std::vector{3, 1, 3, 2},
                            sinks::group_by([](int v) { return ordered_only{v}; }, sinks::count()));
  std::vector<int> keys;
  for (const auto& [key, count] : groups) keys.push_back(key.value);
  EXPECT_EQ(keys, (std::vector{1, 2, 3}));
  EXPECT_EQ(groups.at(ordered_only{3}), 2u);
}

// A sink that counts its live copies, to see how many groups are alive while group_by finishes.
struct live_groups {
  static inline int alive = 0;
  static inline std::vector<int> alive_at_finish;
};

template <class In>
struct counted_sink_node {
  counted_sink_node() { ++live_groups::alive; }
  counted_sink_node(counted_sink_node&&) noexcept { ++live_groups::alive; }
  counted_sink_node(const counted_sink_node&) = delete;
  counted_sink_node& operator=(const counted_sink_node&) = delete;
  counted_sink_node& operator=(counted_sink_node&&) = delete;
  ~counted_sink_node() { --live_groups::alive; }
  bool push(In&&) { return true; }
  [[nodiscard]] bool done() const { return false; }
  int finish() {
    live_groups::alive_at_finish.push_back(live_groups::alive);
    return 0;
  }
};

struct counted_sink : coflow::sink_interface {
  template <class In>
  auto open() const {
    return counted_sink_node<In>();
  }
};

TEST(GroupBy, FreesEachGroupOnceItsResultIsTaken) {
  live_groups::alive_at_finish.clear();
  {
    auto groups = coflow::run(std::vector{1, 2, 3, 4, 6}, sinks::group_by(mod3, counted_sink{}));
    EXPECT_EQ(groups.size(), 3u);
    // Each group finishes while the ones before it in key order are gone already.
    EXPECT_EQ(live_groups::alive_at_finish, (std::vector{3, 2, 1}));
  }
  EXPECT_EQ(live_groups::alive, 0);
}

}  // namespace
