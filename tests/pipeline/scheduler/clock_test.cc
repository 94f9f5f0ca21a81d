// Tests for pipeline/clock.hpp: the scheduler_clock concepts and coflow::manual_clock.
#include "pipeline/scheduler/clock.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "pipeline/protocol_error.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

static_assert(coflow::scheduler_clock<std::chrono::steady_clock>);
static_assert(coflow::scheduler_clock<std::chrono::system_clock>);
static_assert(coflow::scheduler_clock<coflow::manual_clock>);
static_assert(coflow::advanceable_clock<coflow::manual_clock>);
static_assert(!coflow::advanceable_clock<std::chrono::steady_clock>);
static_assert(!coflow::scheduler_clock<int>);
static_assert(coflow::manual_clock::is_steady);

// A clock object with now() but no way to advance it is neither standard nor advanceable.
struct frozen_clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<frozen_clock>;
  time_point now() const { return {}; }
};
static_assert(!coflow::scheduler_clock<frozen_clock>);

constexpr coflow::manual_clock advanced_at_compile_time() {
  coflow::manual_clock c;
  c.advance(2s);
  c.advance_to(coflow::manual_clock::time_point(3s));
  return c;
}
static_assert(advanced_at_compile_time().now().time_since_epoch() == 3s);

TEST(ManualClock, StartsAtItsEpochOrAtTheGivenTime) {
  EXPECT_EQ(coflow::manual_clock().now().time_since_epoch(), 0s);
  EXPECT_EQ(coflow::manual_clock(coflow::manual_clock::time_point(5min)).now().time_since_epoch(),
            5min);
}

TEST(ManualClock, StandsStillUntilAdvanced) {
  coflow::manual_clock c;
  const auto before = c.now();
  EXPECT_EQ(c.now(), before);
  c.advance(1500ms);
  EXPECT_EQ(c.now() - before, 1500ms);
  c.advance_to(before + 1h);
  EXPECT_EQ(c.now() - before, 1h);
  c.advance_to(c.now());  // to the same time: allowed
  c.advance(0s);
  EXPECT_EQ(c.now() - before, 1h);
}

TEST(ManualClock, MovingItBackIsAProtocolError) {
  coflow::manual_clock c(coflow::manual_clock::time_point(10s));
  try {
    c.advance_to(coflow::manual_clock::time_point(9s));
    FAIL() << "advance_to() into the past did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("in the past"));
  }
  try {
    c.advance(-1ns);
    FAIL() << "advance() by a negative duration did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("negative duration"));
  }
  EXPECT_EQ(c.now().time_since_epoch(), 10s);
}

}  // namespace
