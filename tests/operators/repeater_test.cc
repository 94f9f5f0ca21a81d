#include "operators/repeater.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <ios>
#include <optional>
#include <ostream>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

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

struct move_only {
  explicit move_only(int v) : value(v) {}
  move_only(move_only&&) = default;
  move_only& operator=(move_only&&) = default;
  friend bool operator==(const move_only&, const move_only&) = default;
  friend std::ostream& operator<<(std::ostream& os, const move_only& m) {
    return os << "m" << m.value;
  }
  int value;
};

struct not_printable {
  int value;
};

// The repeater passes values through unchanged: its output type is its input type.
static_assert(
    std::same_as<
        decltype(coflow::bind_chain<int>(ops::repeater_stage{} | sinks::to_vector()).finish()),
        std::vector<int>>);
static_assert(coflow::stage_description<ops::repeater_stage>);
static_assert(coflow::detail::echoable<move_only>);
static_assert(!coflow::detail::echoable<not_printable>);

// A stream buffer whose every write fails, as a full disk would.
class failing_buf : public std::streambuf {
 protected:
  int_type overflow(int_type) override { throw std::runtime_error("disk full"); }
  std::streamsize xsputn(const char*, std::streamsize) override {
    throw std::runtime_error("disk full");
  }
};

// Its own printable move_only (echo prints values); make and make_vector are the shared ones.
using coflow::value_type_testing::make;
using coflow::value_type_testing::make_vector;

template <class T>
std::string echo_of(std::initializer_list<int> values) {
  std::ostringstream expected;
  for (int v : values) expected << "Echo: " << make<T>(v) << '\n';
  return expected.str();
}

template <class T>
class RepeaterTyped : public ::testing::Test {};
using value_types = ::testing::Types<int, double, move_only>;
TYPED_TEST_SUITE(RepeaterTyped, value_types);

TYPED_TEST(RepeaterTyped, EchoesEachValueAndPassesItOnUnchanged) {
  std::ostringstream out;
  std::vector<TypeParam> input = make_vector<TypeParam>({3, 1, 4});
  auto result = coflow::run(ranges::views::iota(0, 3) | ranges::views::transform([&input](int i) {
                              return std::move(input[i]);
                            }),
                            ops::repeater(out) | sinks::to_vector());
  EXPECT_EQ(result, make_vector<TypeParam>({3, 1, 4}));
  EXPECT_EQ(out.str(), echo_of<TypeParam>({3, 1, 4}));
}

TYPED_TEST(RepeaterTyped, EchoesValuesSentThroughAnOpenedPipeline) {
  std::ostringstream out;
  auto p = coflow::open<TypeParam>(ops::repeater(out) | sinks::last());
  p.send(make<TypeParam>(7));
  EXPECT_EQ(out.str(), echo_of<TypeParam>({7}));
  p.send(make<TypeParam>(8));
  EXPECT_EQ(out.str(), echo_of<TypeParam>({7, 8}));
  std::optional<TypeParam> last = p.close();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, make<TypeParam>(8));
}

TEST(Repeater, BehavesLikeThePythonCoroutine) {
  // The Python seed: r = repeater(); next(r); r.send('hello'); r.send(42) prints two lines.
  std::ostringstream out;
  auto p = coflow::open<std::string>(ops::repeater(out) | sinks::null());
  EXPECT_EQ(out.str(), "");
  p.send("hello");
  p.send("42");
  p.close();
  EXPECT_EQ(out.str(), "Echo: hello\nEcho: 42\n");
}

TEST(Repeater, WritesDoublesWithTheStreamsOwnFormatting) {
  std::ostringstream out;
  out.precision(3);
  coflow::run(std::vector{3.14159, 2.5}, ops::repeater(out) | sinks::null());
  EXPECT_EQ(out.str(), "Echo: 3.14\nEcho: 2.5\n");
}

TEST(Repeater, EchoesNothingForAnEmptyStream) {
  std::ostringstream out;
  auto result = coflow::run(std::vector<int>{}, ops::repeater(out) | sinks::to_vector());
  EXPECT_TRUE(result.empty());
  EXPECT_EQ(out.str(), "");
}

TEST(Repeater, EchoesOnlyTheValuesThatReachIt) {
  std::ostringstream out;
  auto result = coflow::run(std::vector{1, 2, 3, 4, 5, 6},
                            ops::filter([](int x) { return x % 2 == 0; }) | ops::repeater(out) |
                                ops::transform([](int x) { return x * 10; }) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector{20, 40, 60}));
  EXPECT_EQ(out.str(), "Echo: 2\nEcho: 4\nEcho: 6\n");
}

TEST(Repeater, StopsEchoingOnceDownstreamIsDone) {
  // An infinite source: run() must stop pulling when take(2) is full.
  std::ostringstream out;
  auto result =
      coflow::run(ranges::views::iota(1), ops::repeater(out) | ops::take(2) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector{1, 2}));
  EXPECT_EQ(out.str(), "Echo: 1\nEcho: 2\n");
}

TEST(Repeater, EchoesEveryElementOfARangeView) {
  std::ostringstream out;
  std::optional<int> last =
      coflow::run(ranges::views::iota(1, 4), ops::repeater(out) | sinks::last());
  EXPECT_EQ(last, 3);
  EXPECT_EQ(out.str(), "Echo: 1\nEcho: 2\nEcho: 3\n");
}

TEST(Repeater, ChainsWithAnotherRepeater) {
  std::ostringstream first;
  std::ostringstream second;
  auto result = coflow::run(std::vector{5}, ops::repeater(first) |
                                                ops::transform([](int x) { return x + 1; }) |
                                                ops::repeater(second) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector{6}));
  EXPECT_EQ(first.str(), "Echo: 5\n");
  EXPECT_EQ(second.str(), "Echo: 6\n");
}

TEST(Repeater, EchoesBeforeADownstreamExceptionPropagates) {
  std::ostringstream out;
  std::vector<int> seen;
  auto sink = sinks::for_each([&seen](int x) {
    if (x == 2) throw std::runtime_error("bad value");
    seen.push_back(x);
  });
  EXPECT_THROW(coflow::run(std::vector{1, 2, 3}, ops::repeater(out) | sink), std::runtime_error);
  EXPECT_EQ(seen, (std::vector{1}));
  EXPECT_EQ(out.str(), "Echo: 1\nEcho: 2\n");  // 3 was never read
}

TEST(Repeater, PropagatesAStreamFailureBeforePassingTheValueOn) {
  failing_buf buf;
  std::ostream out(&buf);
  out.exceptions(std::ios::badbit);
  std::vector<int> seen;
  auto sink = sinks::for_each([&seen](int x) { seen.push_back(x); });
  EXPECT_THROW(coflow::run(std::vector{1, 2}, ops::repeater(out) | sink), std::runtime_error);
  EXPECT_TRUE(seen.empty());
}

TEST(Repeater, IgnoresAFailingStreamWhoseExceptionsAreOff) {
  // The stream's own error policy decides: with no exceptions mask the write only sets badbit.
  failing_buf buf;
  std::ostream out(&buf);
  auto result = coflow::run(std::vector{1, 2}, ops::repeater(out) | sinks::to_vector());
  EXPECT_EQ(result, (std::vector{1, 2}));
  EXPECT_TRUE(out.bad());
}

TEST(Repeater, ADescriptionRunsAgainWithTheSameStream) {
  std::ostringstream out;
  auto p = ops::repeater(out) | sinks::to_vector();
  EXPECT_EQ(coflow::run(std::vector{1}, p), (std::vector{1}));
  EXPECT_EQ(coflow::run(std::vector{2}, p), (std::vector{2}));
  EXPECT_EQ(out.str(), "Echo: 1\nEcho: 2\n");
}

}  // namespace
