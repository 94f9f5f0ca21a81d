// Tests for pipeline/event.hpp: waiting, setting, resetting, wake order, and lifetime.
#include "pipeline/scheduler/event.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using virtual_scheduler = coflow::basic_scheduler<coflow::manual_clock>;

static_assert(!std::is_copy_constructible_v<coflow::event>);
static_assert(!std::is_move_constructible_v<coflow::event>);

coflow::task<> wait_then_log(coflow::event& e, std::string& trace, char name) {
  co_await e;
  trace += name;
}

coflow::task<> set_after(coflow::event& e, std::string& trace, std::chrono::seconds delay) {
  co_await coflow::sleep_for(delay);
  trace += '!';
  e.set();
  trace += '.';  // set() only queues the waiters: the setter goes on first
}

TEST(Event, WaitersResumeAfterSetInTheOrderTheyWaited) {
  virtual_scheduler s;
  coflow::event e;
  std::string trace;
  s.spawn(wait_then_log(e, trace, 'c'));
  s.spawn(wait_then_log(e, trace, 'a'));
  s.spawn(set_after(e, trace, 1s));
  s.spawn(wait_then_log(e, trace, 'b'));
  s.run();
  EXPECT_EQ(trace, "!.cab");
  EXPECT_TRUE(e.is_set());
  EXPECT_EQ(s.now().time_since_epoch(), 1s);
}

coflow::task<> await_twice(coflow::event& e, std::string& trace) {
  trace += 'w';
  co_await e;  // set: goes on without giving up the turn
  trace += 'x';
  co_await e;
  trace += 'y';
}

coflow::task<> log_once(std::string& trace, char name) {
  trace += name;
  co_return;
}

TEST(Event, AwaitingASetEventGoesOnAtOnce) {
  virtual_scheduler s;
  coflow::event e(true);
  EXPECT_TRUE(e.is_set());
  std::string trace;
  s.spawn(await_twice(e, trace));
  s.spawn(log_once(trace, 'o'));
  s.run();
  EXPECT_EQ(trace, "wxyo");
}

coflow::task<> wait_reset_wait(coflow::event& e, std::string& trace) {
  co_await e;
  trace += '1';
  e.reset();
  co_await e;
  trace += '2';
}

coflow::task<> set_twice(coflow::event& e, std::string& trace) {
  co_await coflow::sleep_for(1s);
  trace += 's';
  e.set();
  co_await coflow::sleep_for(1s);
  trace += 's';
  e.set();
}

TEST(Event, ResetMakesLaterAwaitsWaitForTheNextSet) {
  virtual_scheduler s;
  coflow::event e;
  std::string trace;
  s.spawn(wait_reset_wait(e, trace));
  s.spawn(set_twice(e, trace));
  s.run();
  EXPECT_EQ(trace, "s1s2");
  EXPECT_EQ(s.now().time_since_epoch(), 2s);
}

TEST(Event, SetFromOutsideTheSchedulerWakesOnTheNextRun) {
  virtual_scheduler s;
  coflow::event e;
  std::string trace;
  auto waiter = wait_then_log(e, trace, 'w');
  s.spawn(waiter);
  EXPECT_THROW(s.run(), coflow::protocol_error);  // deadlock: nobody sets it
  EXPECT_EQ(trace, "");
  e.set();
  s.run();
  EXPECT_EQ(trace, "w");
  EXPECT_TRUE(waiter.done());
}

TEST(Event, DestroyingItWhileTasksWaitReleasesThemAndRunReportsADeadlock) {
  virtual_scheduler s;
  std::string trace;
  std::optional<coflow::event> e;
  e.emplace();
  s.spawn(wait_then_log(*e, trace, 'w'));
  EXPECT_THROW(s.run(), coflow::protocol_error);
  e.reset();  // the waiter stays suspended, unlinked
  try {
    s.run();
    FAIL() << "run() did not report the deadlock";
  } catch (const coflow::protocol_error& error) {
    EXPECT_THAT(error.what(), HasSubstr("deadlock"));
  }
  EXPECT_EQ(trace, "");
  EXPECT_EQ(s.task_count(), 1u);
}  // the scheduler destroys the waiting frame (LeakSanitizer checks it is freed)

}  // namespace
