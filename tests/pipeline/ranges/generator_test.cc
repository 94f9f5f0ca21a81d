#include "pipeline/ranges/generator.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <iterator>
#include <memory>
#include <range/v3/iterator/concepts.hpp>
#include <range/v3/range/concepts.hpp>
#include <range/v3/range/conversion.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/move.hpp>
#include <range/v3/view/take.hpp>
#include <range/v3/view/transform.hpp>
#include <ranges>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/protocol_error.hpp"
#include "tests/support/counting_new.hpp"

namespace {

using coflow::generator;
using coflow::protocol_error;
using coflow::test_support::allocations;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// The generator is an input range and a view, for the standard library and for range-v3.
// Compositions below use range-v3's adaptors: clang 14 cannot instantiate libstdc++ 12's
// std::views adaptors over any range, so the std side is checked by its concepts.
static_assert(std::ranges::input_range<generator<int>>);
static_assert(std::ranges::view<generator<int>>);
static_assert(std::ranges::viewable_range<generator<int>>);
static_assert(!std::ranges::forward_range<generator<int>>);
static_assert(!std::ranges::borrowed_range<generator<int>>);
static_assert(std::input_iterator<generator<int>::iterator>);
static_assert(std::sentinel_for<std::default_sentinel_t, generator<int>::iterator>);
static_assert(ranges::input_range<generator<int>>);
static_assert(ranges::view_<generator<int>>);
static_assert(ranges::viewable_range<generator<int>>);
static_assert(!ranges::forward_range<generator<int>>);
static_assert(ranges::input_iterator<generator<int>::iterator>);
static_assert(ranges::sentinel_for<std::default_sentinel_t, generator<int>::iterator>);
// Elements are references into the frame.
static_assert(std::same_as<std::ranges::range_reference_t<generator<int>>, int&>);
static_assert(std::same_as<std::ranges::range_value_t<generator<int>>, int>);
static_assert(std::same_as<std::ranges::range_reference_t<generator<const int>>, const int&>);
static_assert(std::same_as<ranges::range_reference_t<generator<std::unique_ptr<int>>>,
                           std::unique_ptr<int>&>);
// Generator functions take their parameters by value (or by non-const reference).
static_assert(coflow::detail::parameters_by_value<generator<int>, int, std::string, int&>);
static_assert(!coflow::detail::parameters_by_value<generator<int>, const std::string&>);
static_assert(!coflow::detail::parameters_by_value<generator<int>, std::string&&>);
static_assert(std::same_as<std::coroutine_traits<generator<int>, int, int&>::promise_type,
                           generator<int>::promise_type>);

// The seed's Fibonacci generator: a, b = 1, 2; while True: yield a; a, b = b, a + b.
generator<long> fibonacci() {
  long a = 1;
  long b = 2;
  for (;;) {
    co_yield a;
    a = std::exchange(b, a + b);
  }
}

generator<int> squares() {
  for (int i = 0; i < 10; ++i) co_yield i* i;
}

generator<int> counting(int& produced) {
  for (int i = 0;; ++i) {
    ++produced;
    co_yield i;
  }
}

// Counts its live instances. A generator function takes one by value, so the copy in the
// frame lives exactly as long as the frame: `live` counts frames.
struct frame_counter {
  static inline int live = 0;
  frame_counter() { ++live; }
  frame_counter(const frame_counter&) { ++live; }
  frame_counter& operator=(const frame_counter&) = default;
  ~frame_counter() { --live; }
};

generator<int> counted_numbers(frame_counter, int n) {
  for (int i = 0; i < n; ++i) co_yield i;
}

// Sets a flag when destroyed: a local of the body.
struct destruction_probe {
  bool* destroyed;
  explicit destruction_probe(bool* flag) : destroyed(flag) {}
  destruction_probe(const destruction_probe&) = delete;
  destruction_probe& operator=(const destruction_probe&) = delete;
  ~destruction_probe() { *destroyed = true; }
};

generator<int> with_local(bool* destroyed) {
  destruction_probe probe(destroyed);
  for (int i = 0;; ++i) co_yield i;
}

// Counts the copies and moves made of it.
struct copy_counter {
  static inline int copies = 0;
  static inline int moves = 0;
  int id = 0;
  explicit copy_counter(int i) : id(i) {}
  copy_counter(const copy_counter& other) : id(other.id) { ++copies; }
  copy_counter(copy_counter&& other) noexcept : id(other.id) { ++moves; }
  copy_counter& operator=(const copy_counter&) = default;
  copy_counter& operator=(copy_counter&&) = default;
  ~copy_counter() = default;
};

TEST(Generator, YieldsTheFibonacciNumbersThroughRangeV3Take) {
  const auto first6 = fibonacci() | ranges::views::take(6) | ranges::to<std::vector>();
  EXPECT_THAT(first6, ElementsAre(1, 2, 3, 5, 8, 13));
}

TEST(Generator, FeedsARangeForLoop) {
  std::vector<int> seen;
  for (int x : squares()) seen.push_back(x);
  EXPECT_THAT(seen, ElementsAre(0, 1, 4, 9, 16, 25, 36, 49, 64, 81));
}

TEST(Generator, EndsCleanlyUnderManualIteration) {
  auto g = squares();
  std::vector<int> seen;
  auto it = g.begin();
  while (it != g.end()) {
    seen.push_back(*it);
    ++it;
  }
  EXPECT_THAT(seen, ElementsAre(0, 1, 4, 9, 16, 25, 36, 49, 64, 81));
  EXPECT_TRUE(it == g.end());
}

TEST(Generator, YieldsValuesLazily) {
  int produced = 0;
  auto g = counting(produced);
  EXPECT_EQ(produced, 0);  // creating it runs nothing
  auto it = g.begin();
  EXPECT_EQ(produced, 1);
  EXPECT_EQ(*it, 0);
  EXPECT_EQ(*it, 0);  // reading twice computes nothing
  EXPECT_EQ(produced, 1);
  ++it;
  EXPECT_EQ(produced, 2);
  EXPECT_EQ(*it, 1);
}

TEST(Generator, StopsProducingWhenTheLoopBreaks) {
  int produced = 0;
  std::vector<int> seen;
  for (int x : counting(produced)) {
    seen.push_back(x);
    if (x == 4) break;
  }
  EXPECT_THAT(seen, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(produced, 5);
}

TEST(Generator, ComposesWithRangeV3FilterAndTransform) {
  const auto is_even = [](long x) { return x % 2 == 0; };
  const auto times_ten = [](long x) { return x * 10; };
  const auto evens = fibonacci() | ranges::views::filter(is_even) |
                     ranges::views::transform(times_ten) | ranges::views::take(4) |
                     ranges::to<std::vector>();
  EXPECT_THAT(evens, ElementsAre(20, 80, 340, 1440));
}

TEST(Generator, IsComposedFromAnLvalueWithoutCopyingTheFrame) {
  auto g = fibonacci();
  const auto first3 = g | ranges::views::take(3) | ranges::to<std::vector>();
  EXPECT_THAT(first3, ElementsAre(1, 2, 3));
}

generator<std::unique_ptr<int>> boxed(int n) {
  for (int i = 0; i < n; ++i) co_yield std::make_unique<int>(i * 10);
}

TEST(Generator, YieldsAMoveOnlyElementType) {
  std::vector<std::unique_ptr<int>> taken;
  for (auto& p : boxed(3)) taken.push_back(std::move(p));
  ASSERT_EQ(taken.size(), 3u);
  EXPECT_EQ(*taken[0], 0);
  EXPECT_EQ(*taken[1], 10);
  EXPECT_EQ(*taken[2], 20);

  const auto moved = boxed(2) | ranges::views::move | ranges::to<std::vector>();
  ASSERT_EQ(moved.size(), 2u);
  EXPECT_EQ(*moved[1], 10);
}

generator<std::unique_ptr<int>> boxed_local() {
  auto p = std::make_unique<int>(7);
  co_yield std::move(p);
}

TEST(Generator, DereferenceRefersToTheValueInTheFrame) {
  auto g = boxed_local();
  auto it = g.begin();
  std::unique_ptr<int>& in_frame = *it;
  EXPECT_EQ(&in_frame, &*it);
  EXPECT_EQ(*it->get(), 7);
  auto owned = std::move(*it);
  EXPECT_EQ(*owned, 7);
  EXPECT_EQ(in_frame, nullptr);
}

generator<copy_counter> yields_rvalues() {
  co_yield copy_counter(1);
  copy_counter local(2);
  co_yield std::move(local);
}

TEST(Generator, YieldingAnRvalueNeitherCopiesNorMoves) {
  copy_counter::copies = 0;
  copy_counter::moves = 0;
  std::vector<int> ids;
  for (const auto& c : yields_rvalues()) ids.push_back(c.id);
  EXPECT_THAT(ids, ElementsAre(1, 2));
  EXPECT_EQ(copy_counter::copies, 0);
  EXPECT_EQ(copy_counter::moves, 0);
}

generator<std::string> yields_a_local_twice() {
  std::string local = "kept";
  co_yield local;
  co_yield local;
}

TEST(Generator, YieldingAnLvalueCopiesItSoTheBodysObjectIsUntouched) {
  auto g = yields_a_local_twice();
  auto it = g.begin();
  const std::string taken = std::move(*it);  // moves from the copy, not from `local`
  ++it;
  EXPECT_EQ(taken, "kept");
  EXPECT_EQ(*it, "kept");
}

generator<copy_counter> yields_an_lvalue() {
  copy_counter local(3);
  co_yield local;
}

TEST(Generator, YieldingAnLvalueCopiesItOnce) {
  copy_counter::copies = 0;
  copy_counter::moves = 0;
  auto g = yields_an_lvalue();
  auto it = g.begin();
  EXPECT_EQ(it->id, 3);
  EXPECT_EQ(copy_counter::copies, 1);
  EXPECT_EQ(copy_counter::moves, 0);
}

generator<int> throws_before_yielding() {
  throw std::runtime_error("no values today");
  co_yield 1;
}

generator<int> throws_after(int n) {
  for (int i = 0; i < n; ++i) co_yield i;
  throw std::runtime_error("ran dry");
}

TEST(Generator, RethrowsAnExceptionFromBegin) {
  auto g = throws_before_yielding();
  try {
    (void)g.begin();
    FAIL() << "begin() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "no values today");
  }
}

TEST(Generator, RethrowsAnExceptionFromIncrementAndThenIsAtTheEnd) {
  auto g = throws_after(2);
  auto it = g.begin();
  EXPECT_EQ(*it, 0);
  ++it;
  EXPECT_EQ(*it, 1);
  EXPECT_THROW(++it, std::runtime_error);
  EXPECT_TRUE(it == g.end());
}

TEST(Generator, RethrowsThroughRangeAdaptors) {
  EXPECT_THROW((void)(throws_after(3) | ranges::views::take(10) | ranges::to<std::vector>()),
               std::runtime_error);
}

TEST(Generator, SecondBeginThrowsProtocolError) {
  auto g = squares();
  auto it = g.begin();
  EXPECT_EQ(*it, 0);
  try {
    (void)g.begin();
    FAIL() << "a second begin() did not throw";
  } catch (const protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("begin() called a second time"));
  }
  ++it;  // the first pass is unaffected
  EXPECT_EQ(*it, 1);
}

TEST(Generator, BeginAfterAFailedBeginIsStillASecondBegin) {
  auto g = throws_before_yielding();
  EXPECT_THROW((void)g.begin(), std::runtime_error);
  EXPECT_THROW((void)g.begin(), protocol_error);
}

TEST(Generator, BeginWithoutABodyThrowsProtocolError) {
  generator<int> empty;
  EXPECT_THROW((void)empty.begin(), protocol_error);

  auto g = squares();
  auto moved = std::move(g);
  try {
    (void)g.begin();  // NOLINT(bugprone-use-after-move): the misuse under test
    FAIL() << "begin() on a moved-from generator did not throw";
  } catch (const protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("moved from"));
  }
  EXPECT_EQ(*moved.begin(), 0);
}

TEST(Generator, DereferenceOrIncrementAtTheEndThrowsProtocolError) {
  auto g = counted_numbers(frame_counter(), 1);
  auto it = g.begin();
  ++it;
  ASSERT_TRUE(it == g.end());
  EXPECT_THROW((void)*it, protocol_error);
  EXPECT_THROW(++it, protocol_error);
  generator<int>::iterator unattached;
  EXPECT_TRUE(unattached == g.end());
  EXPECT_THROW((void)*unattached, protocol_error);
}

TEST(Generator, CopiesShareOneFrameAndOnePass) {
  ASSERT_EQ(frame_counter::live, 0);
  {
    auto original = counted_numbers(frame_counter(), 5);
    EXPECT_EQ(frame_counter::live, 1);
    auto it = original.begin();
    ++it;
    auto copy = original;
    EXPECT_EQ(frame_counter::live, 1);
    EXPECT_THROW((void)copy.begin(), protocol_error);
    original = generator<int>();  // the copy keeps the frame alive
    EXPECT_EQ(frame_counter::live, 1);
    EXPECT_EQ(*it, 1);
    ++it;
    EXPECT_EQ(*it, 2);
  }
  EXPECT_EQ(frame_counter::live, 0);
}

TEST(Generator, DestroyingItEarlyRunsTheDestructorsOfTheBodysLocals) {
  bool destroyed = false;
  {
    auto g = with_local(&destroyed);
    auto it = g.begin();
    ++it;
    EXPECT_EQ(*it, 1);
    EXPECT_FALSE(destroyed);
  }
  EXPECT_TRUE(destroyed);
}

TEST(Generator, DestroysEveryFrameOnEveryPath) {
  ASSERT_EQ(frame_counter::live, 0);
  {
    auto never_started = counted_numbers(frame_counter(), 3);
    auto finished = counted_numbers(frame_counter(), 3);
    for (int x : finished) (void)x;
    auto abandoned = counted_numbers(frame_counter(), 3);
    (void)abandoned.begin();
    EXPECT_EQ(frame_counter::live, 3);
  }
  EXPECT_EQ(frame_counter::live, 0);

  const auto firsts =
      counted_numbers(frame_counter(), 100) | ranges::views::take(2) | ranges::to<std::vector>();
  EXPECT_THAT(firsts, ElementsAre(0, 1));
  EXPECT_EQ(frame_counter::live, 0);

  auto moved_into = counted_numbers(frame_counter(), 1);
  moved_into = counted_numbers(frame_counter(), 2);
  EXPECT_EQ(frame_counter::live, 1);
  moved_into = generator<int>();
  EXPECT_EQ(frame_counter::live, 0);
}

TEST(Generator, AllocatesItsFrameOnceAndNothingPerValue) {
  int produced = 0;
  const std::size_t before = allocations;  // counting_new: every allocation of this program
  auto numbers = counting(produced);
  EXPECT_LE(allocations - before, 1u);  // a compiler may elide the frame allocation
  auto it = numbers.begin();
  const std::size_t after_begin = allocations;
  long sum = 0;
  for (int i = 0; i < 1000; ++i, ++it) sum += *it;
  EXPECT_EQ(allocations, after_begin);
  EXPECT_EQ(sum, 999L * 1000 / 2);
}

generator<int> advances_itself(generator<int>::iterator* self) {
  co_yield 1;
  ++*self;
  co_yield 2;
}

TEST(Generator, AdvancingItFromInsideItsOwnBodyThrowsProtocolError) {
  generator<int>::iterator it;
  auto g = advances_itself(&it);
  it = g.begin();
  try {
    ++it;
    FAIL() << "advancing from inside the body did not throw";
  } catch (const protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("already running"));
  }
  EXPECT_TRUE(it == g.end());
}

generator<int> destroys_itself(generator<int>* self, frame_counter) {
  co_yield 1;
  *self = generator<int>();
  co_yield 2;
}

TEST(Generator, DestroyedFromInsideItsOwnBodyFreesTheFrameAndThrows) {
  ASSERT_EQ(frame_counter::live, 0);
  generator<int> g;
  g = destroys_itself(&g, frame_counter());
  auto it = g.begin();
  EXPECT_EQ(*it, 1);
  try {
    ++it;
    FAIL() << "the orphaned frame went unreported";
  } catch (const protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("destroyed from inside its own body"));
  }
  EXPECT_EQ(frame_counter::live, 0);
  EXPECT_TRUE(it == g.end());
}

generator<int> yields_nothing() { co_return; }

TEST(Generator, AnEmptyBodyIsAnEmptyRange) {
  auto g = yields_nothing();
  EXPECT_TRUE(g.begin() == g.end());
  EXPECT_TRUE(ranges::to<std::vector>(yields_nothing()).empty());
}

}  // namespace
