#include "operators/counter.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/aggregate.hpp"
#include "pipeline/bytes.hpp"
#include "pipeline/run.hpp"
#include "tests/support/aggregate_states.hpp"

namespace {

using coflow::testing::bytes_of;

using coflow::counter;

static_assert(coflow::serializable_aggregate<counter>);
static_assert(std::same_as<coflow::aggregate_result_t<counter>, std::uint64_t>);

TEST(Counter, CountsValuesOfAnyType) {
  counter c;
  c.add(1);
  c.add(std::string("two"));
  c.add(3.0);
  EXPECT_EQ(c.result(), 3u);
  EXPECT_EQ(counter{}.result(), 0u);
}

TEST(Counter, MergeAddsTheCountsAndWorksWithItself) {
  counter a;
  a.add(1);
  a.add(1);
  counter b;
  b.add(1);
  a.merge(b);
  EXPECT_EQ(a.result(), 3u);
  a.merge(a);
  EXPECT_EQ(a.result(), 6u);
  a.merge(counter{});
  EXPECT_EQ(a.result(), 6u);
}

TEST(Counter, ThrowsRatherThanWrapAndKeepsItsCount) {
  std::vector<std::byte> bytes;
  coflow::byte_writer w(bytes);
  w.header("coflow.counter", 1);
  w.u64(std::numeric_limits<std::uint64_t>::max());
  counter full = counter::deserialize(bytes);
  EXPECT_THROW(full.add(0), std::overflow_error);
  EXPECT_EQ(full.result(), std::numeric_limits<std::uint64_t>::max());
  counter one;
  one.add(0);
  EXPECT_THROW(full.merge(one), std::overflow_error);
}

TEST(Counter, RoundTripsThroughBytes) {
  counter c;
  for (int i = 0; i < 300; ++i) c.add(i);
  EXPECT_EQ(counter::deserialize(bytes_of(c)), c);
  EXPECT_EQ(bytes_of(counter::deserialize(bytes_of(c))), bytes_of(c));
  auto longer = bytes_of(c);
  longer.push_back(std::byte{1});
  EXPECT_THROW((void)counter::deserialize(longer), coflow::format_error);
}

TEST(Counter, WorksAsAPipelineAggregate) {
  EXPECT_EQ(
      coflow::run(std::vector<std::string>{"a", "b"}, coflow::sinks::aggregate(counter{})).result(),
      2u);
}

}  // namespace
