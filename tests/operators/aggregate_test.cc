#include "operators/aggregate.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "pipeline/stage.hpp"

namespace {

// A user's aggregate: the longest string and how many strings were seen.
struct longest {
  using value_type = std::string;

  void add(const std::string& s) {
    ++count;
    if (s.size() > best.size()) best = s;
  }
  void merge(const longest& other) {
    count += other.count;
    if (other.best.size() > best.size()) best = other.best;
  }
  [[nodiscard]] std::string result() const { return best; }

  void serialize(std::vector<std::byte>& out) const {
    coflow::byte_writer w(out);
    w.header("test.longest", 1);
    w.u64(count);
    w.str(best);
  }
  static longest deserialize(std::span<const std::byte> bytes) {
    coflow::byte_reader r(bytes);
    r.header("test.longest", 1);
    longest l;
    l.count = r.u64();
    l.best = r.str();
    r.finish();
    return l;
  }

  std::uint64_t count = 0;
  std::string best;
};

// Mergeable but not serializable.
struct total {
  using value_type = int;
  void add(int x) { sum += x; }
  void merge(const total& other) { sum += other.sum; }
  [[nodiscard]] long result() const { return sum; }
  long sum = 0;
};

// Missing merge.
struct no_merge {
  using value_type = int;
  void add(int) {}
  [[nodiscard]] int result() const { return 0; }
};

// Not default-constructible: no identity for merge.
struct no_identity {
  using value_type = int;
  explicit no_identity(int) {}
  void add(int) {}
  void merge(const no_identity&) {}
  [[nodiscard]] int result() const { return 0; }
};

static_assert(coflow::serializable_aggregate<longest>);
static_assert(coflow::mergeable_aggregate<total>);
static_assert(!coflow::serializable_aggregate<total>);
static_assert(!coflow::mergeable_aggregate<no_merge>);
static_assert(!coflow::mergeable_aggregate<no_identity>);
static_assert(!coflow::mergeable_aggregate<int>, "no value_type: not an aggregate, not an error");
static_assert(std::same_as<coflow::aggregate_result_t<total>, long>);
static_assert(coflow::stage_description<coflow::ops::aggregate_stage<total>>);
static_assert(coflow::sink_description<coflow::sinks::aggregate_sink<total>>);
static_assert(std::same_as<coflow::ops::aggregate_stage<total>::output<int>, long>);

TEST(Aggregate, OutputsTheRunningResultAfterEachValue) {
  const auto out = coflow::run(std::vector{1, 2, 3, 4},
                               coflow::ops::aggregate(total{}) | coflow::sinks::to_vector());
  EXPECT_EQ(out, (std::vector<long>{1, 3, 6, 10}));
}

TEST(Aggregate, OutputsNothingForAnEmptyStream) {
  EXPECT_EQ(
      coflow::run(std::vector<int>{}, coflow::ops::aggregate(total{}) | coflow::sinks::last()),
      std::nullopt);
}

TEST(Aggregate, StartsEveryRunFromTheGivenState) {
  total start;
  start.sum = 100;
  const auto stage = coflow::ops::aggregate(start) | coflow::sinks::last();
  EXPECT_EQ(coflow::run(std::vector{1}, stage), 101);
  EXPECT_EQ(coflow::run(std::vector{2}, stage), 102) << "the description is not changed by a run";
}

TEST(Aggregate, SinkReturnsTheFinalStateForMerging) {
  const std::vector<std::string> a = {"ab", "abcd"};
  const std::vector<std::string> b = {"abc", "abcdef", "x"};
  longest left = coflow::run(a, coflow::sinks::aggregate(longest{}));
  const longest right = coflow::run(b, coflow::sinks::aggregate(longest{}));
  left.merge(right);
  EXPECT_EQ(left.result(), "abcdef");
  EXPECT_EQ(left.count, 5u);
  EXPECT_EQ(coflow::run(std::vector<std::string>{}, coflow::sinks::aggregate(longest{})).count, 0u);
}

TEST(Aggregate, AUserStateRoundTripsThroughBytes) {
  longest l;
  l.add("hello");
  std::vector<std::byte> bytes;
  l.serialize(bytes);
  const longest back = longest::deserialize(bytes);
  EXPECT_EQ(back.result(), "hello");
  EXPECT_EQ(back.count, 1u);
  bytes.pop_back();
  EXPECT_THROW((void)longest::deserialize(bytes), coflow::format_error);
}

TEST(Aggregate, ConvertsValuesToTheValueType) {
  const auto out = coflow::run(std::vector<short>{1, 2},
                               coflow::ops::aggregate(total{}) | coflow::sinks::to_vector());
  EXPECT_EQ(out, (std::vector<long>{1, 3}));
  EXPECT_EQ(coflow::run(std::vector<const char*>{"a", "abc"}, coflow::sinks::aggregate(longest{}))
                .result(),
            "abc");
}

TEST(Aggregate, ComposesWithOtherStagesAndAnOpenedPipeline) {
  auto p = coflow::open<int>(coflow::ops::filter([](int x) { return x % 2 == 0; }) |
                             coflow::ops::aggregate(total{}) | coflow::sinks::last());
  for (int i = 1; i <= 6; ++i) p.send(i);
  EXPECT_EQ(p.close(), 12);
}

TEST(Aggregate, LetsAnAddExceptionReachTheCaller) {
  struct throwing {
    using value_type = int;
    void add(int x) {
      if (x == 2) throw std::runtime_error("two");
    }
    void merge(const throwing&) {}
    [[nodiscard]] int result() const { return 0; }
  };
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3}, coflow::sinks::aggregate(throwing{})),
               std::runtime_error);
  EXPECT_THROW((void)coflow::run(std::vector{1, 2, 3},
                                 coflow::ops::aggregate(throwing{}) | coflow::sinks::last()),
               std::runtime_error);
}

}  // namespace
