// Tests for pipeline/sleep.hpp: yield_now, sleep_for and sleep_until on virtual time.
#include "pipeline/scheduler/sleep.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using virtual_scheduler = coflow::basic_scheduler<coflow::manual_clock>;

std::chrono::nanoseconds elapsed(const virtual_scheduler& s) { return s.now().time_since_epoch(); }

struct wake {
  char who;
  std::chrono::nanoseconds at;
  bool operator==(const wake&) const = default;
};

template <class Duration>
coflow::task<> sleep_then_log(virtual_scheduler& s, std::vector<wake>& log, char who, Duration d) {
  co_await coflow::sleep_for(d);
  log.push_back({who, elapsed(s)});
}

TEST(SleepFor, WakesAtItsDeadlineOnVirtualTime) {
  virtual_scheduler s;
  std::vector<wake> log;
  s.spawn(sleep_then_log(s, log, 'a', 1500ms));
  s.run();
  EXPECT_THAT(log, ElementsAre(wake{'a', 1500ms}));
}

TEST(SleepFor, SleepersWakeInDeadlineOrder) {
  virtual_scheduler s;
  std::vector<wake> log;
  s.spawn(sleep_then_log(s, log, 'c', 3s));
  s.spawn(sleep_then_log(s, log, 'a', 1s));
  s.spawn(sleep_then_log(s, log, 'b', 2s));
  s.run();
  EXPECT_THAT(log, ElementsAre(wake{'a', 1s}, wake{'b', 2s}, wake{'c', 3s}));
}

TEST(SleepFor, EqualDeadlinesWakeInTheOrderTheyWentToSleep) {
  virtual_scheduler s;
  std::vector<wake> log;
  for (char who : std::string("qwerty")) s.spawn(sleep_then_log(s, log, who, 1s));
  s.run();
  std::string order;
  for (const wake& w : log) order += w.who;
  EXPECT_EQ(order, "qwerty");
}

coflow::task<> sleep_in_steps(virtual_scheduler& s, std::vector<wake>& log) {
  co_await coflow::sleep_for(250ms);
  log.push_back({'1', elapsed(s)});
  co_await coflow::sleep_for(std::chrono::microseconds(1));
  log.push_back({'2', elapsed(s)});
  co_await coflow::sleep_for(std::chrono::duration<double>(0.5));
  log.push_back({'3', elapsed(s)});
}

TEST(SleepFor, CountsFromTheTimeItIsAwaited) {
  virtual_scheduler s;
  std::vector<wake> log;
  s.spawn(sleep_in_steps(s, log));
  s.run();
  EXPECT_THAT(log, ElementsAre(wake{'1', 250ms}, wake{'2', 250001us}, wake{'3', 750001us}));
}

coflow::task<> sleep_zero(std::string& trace, char name, std::chrono::nanoseconds d) {
  trace += name;
  co_await coflow::sleep_for(d);
  trace += name;
}

coflow::task<> spin(std::string& trace, char name, int turns) {
  for (int i = 0; i < turns; ++i) {
    trace += name;
    co_await coflow::yield_now();
  }
}

TEST(SleepFor, AZeroOrNegativeDurationStillGivesUpTheTurn) {
  for (const auto d : {std::chrono::nanoseconds(0), std::chrono::nanoseconds(-1s)}) {
    virtual_scheduler s;
    std::string trace;
    s.spawn(sleep_zero(trace, 'z', d));
    s.spawn(spin(trace, 'x', 2));
    s.run();
    // z goes to sleep; its timer is polled at the end of the round, so it rejoins the queue
    // behind x, which had its turn meanwhile.
    EXPECT_EQ(trace, "zxxz");
    EXPECT_EQ(elapsed(s), 0s);
  }
}

TEST(SleepFor, HugeDurationsSaturateInsteadOfOverflowing) {
  virtual_scheduler s;
  s.clock().advance(1h);
  std::vector<wake> log;
  s.spawn(sleep_then_log(s, log, 'm', std::chrono::nanoseconds::max()));
  s.run();
  EXPECT_THAT(log, ElementsAre(wake{'m', std::chrono::nanoseconds::max()}));
  virtual_scheduler t;
  t.run(sleep_then_log(t, log, 'h', std::chrono::hours::max()));
  EXPECT_EQ(elapsed(t), std::chrono::nanoseconds::max());
}

coflow::task<> sleep_until_then_log(virtual_scheduler& s, std::vector<wake>& log, char who,
                                    coflow::manual_clock::time_point t) {
  co_await coflow::sleep_until(t);
  log.push_back({who, elapsed(s)});
}

TEST(SleepUntil, WakesAtTheTimePoint) {
  virtual_scheduler s;
  std::vector<wake> log;
  const auto epoch = coflow::manual_clock::time_point{};
  s.spawn(sleep_until_then_log(s, log, 'b', epoch + 2s));
  s.spawn(sleep_until_then_log(s, log, 'a', epoch + 1s));
  s.run();
  EXPECT_THAT(log, ElementsAre(wake{'a', 1s}, wake{'b', 2s}));
}

TEST(SleepUntil, APastTimePointWakesAtOnceWithoutMovingTheClockBack) {
  virtual_scheduler s{coflow::manual_clock(coflow::manual_clock::time_point(10s))};
  std::vector<wake> log;
  s.spawn(sleep_until_then_log(s, log, 'p', coflow::manual_clock::time_point(1s)));
  s.run();
  EXPECT_THAT(log, ElementsAre(wake{'p', 10s}));
}

coflow::task<> sleep_until_steady(std::chrono::steady_clock::time_point t) {
  co_await coflow::sleep_until(t);
}

TEST(SleepUntil, ATimePointOfAnotherClockIsAProtocolError) {
  virtual_scheduler s;
  try {
    s.run(sleep_until_steady(std::chrono::steady_clock::now()));
    FAIL() << "sleep_until with a steady_clock time point on a manual_clock did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("another clock"));
  }
}

TEST(SleepUntil, WorksOnTheRealClock) {
  coflow::scheduler s;
  const auto deadline = std::chrono::steady_clock::now() + 1ms;
  s.run(sleep_until_steady(deadline));
  EXPECT_GE(std::chrono::steady_clock::now(), deadline);  // never wakes early
}

TEST(YieldNow, LetsEveryOtherReadyTaskRunOnce) {
  virtual_scheduler s;
  std::string trace;
  s.spawn(spin(trace, 'a', 3));
  s.spawn(spin(trace, 'b', 1));
  s.spawn(spin(trace, 'c', 2));
  s.run();
  EXPECT_EQ(trace, "abcaca");
}

TEST(YieldNow, AloneResumesAtOnce) {
  virtual_scheduler s;
  std::string trace;
  s.run(spin(trace, 'a', 5));
  EXPECT_EQ(trace, "aaaaa");
}

}  // namespace
