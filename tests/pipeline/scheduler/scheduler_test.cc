// Tests for pipeline/scheduler.hpp: the two-jobs seed on virtual time, round-robin turns,
// run() and run(task), misuse, deadlock reports, cancellation on destruction, and scale.
#include "pipeline/scheduler/scheduler.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/channel.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/event.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using virtual_scheduler = coflow::basic_scheduler<coflow::manual_clock>;

static_assert(
    std::is_same_v<coflow::scheduler, coflow::basic_scheduler<std::chrono::steady_clock>>);
static_assert(!std::is_copy_constructible_v<coflow::scheduler>);
static_assert(!std::is_move_constructible_v<coflow::scheduler>);
static_assert(std::is_same_v<virtual_scheduler::time_point, coflow::manual_clock::time_point>);

// Counts frames (a by-value parameter lives as long as its frame) and locals whose destructors
// ran (a `local` in a body).
struct probe {
  static inline int live = 0;
  probe() noexcept { ++live; }
  probe(const probe&) noexcept { ++live; }
  probe(probe&&) noexcept { ++live; }
  probe& operator=(const probe&) = default;
  ~probe() { --live; }
};

struct local {
  static inline int destroyed = 0;
  local() = default;
  local(const local&) = delete;
  local& operator=(const local&) = delete;
  ~local() { ++destroyed; }
};

class Scheduler : public ::testing::Test {
 protected:
  void SetUp() override {
    probe::live = 0;
    local::destroyed = 0;
  }
  void TearDown() override { EXPECT_EQ(probe::live, 0) << "a task frame leaked"; }
};

// ---------------------------------------------------------------------------------------------
// The seed: func1 takes 2 s; func2 takes 3 s and cannot finish before func1 has. In sequence
// that is 5 s; as tasks on one thread, 3 s.

struct stamp {
  std::string what;
  std::chrono::milliseconds at;
  bool operator==(const stamp&) const = default;
};

std::chrono::milliseconds elapsed(const virtual_scheduler& s) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(s.now().time_since_epoch());
}

coflow::task<int> func1(probe, virtual_scheduler& s, std::vector<stamp>& log) {
  for (int step = 1; step <= 4; ++step) {
    co_await coflow::sleep_for(500ms);
    log.push_back({"func1 step " + std::to_string(step), elapsed(s)});
  }
  co_return 1;
}

coflow::task<> func2(probe, virtual_scheduler& s, std::vector<stamp>& log,
                     coflow::task<int>& first) {
  for (int step = 1; step <= 3; ++step) {
    co_await coflow::sleep_for(1s);
    log.push_back({"func2 step " + std::to_string(step), elapsed(s)});
  }
  const int r = co_await first;  // cannot finish before func1 has
  log.push_back({"func2 done after func1 returned " + std::to_string(r), elapsed(s)});
}

TEST_F(Scheduler, TwoJobsRunAtOnceAndFinishInThreeVirtualSeconds) {
  virtual_scheduler s;
  std::vector<stamp> log;
  auto first = func1(probe{}, s, log);
  s.spawn(first);
  s.spawn(func2(probe{}, s, log, first));
  s.run();
  EXPECT_EQ(s.now().time_since_epoch(), 3s);  // not 5 s
  EXPECT_THAT(log, ElementsAre(stamp{"func1 step 1", 500ms}, stamp{"func2 step 1", 1000ms},
                               stamp{"func1 step 2", 1000ms}, stamp{"func1 step 3", 1500ms},
                               stamp{"func2 step 2", 2000ms}, stamp{"func1 step 4", 2000ms},
                               stamp{"func2 step 3", 3000ms},
                               stamp{"func2 done after func1 returned 1", 3000ms}));
}

coflow::task<> slow_first(probe, std::vector<stamp>& log, virtual_scheduler& s) {
  co_await coflow::sleep_for(5s);
  log.push_back({"func1 done", elapsed(s)});
}

coflow::task<> fast_second(probe, std::vector<stamp>& log, virtual_scheduler& s,
                           coflow::task<>& first) {
  co_await coflow::sleep_for(3s);
  co_await first;
  log.push_back({"func2 done", elapsed(s)});
}

TEST_F(Scheduler, TheDependentJobWaitsWhenTheOtherTakesLonger) {
  virtual_scheduler s;
  std::vector<stamp> log;
  auto first = slow_first(probe{}, log, s);
  s.spawn(first);
  s.spawn(fast_second(probe{}, log, s, first));
  s.run();
  EXPECT_THAT(log, ElementsAre(stamp{"func1 done", 5s}, stamp{"func2 done", 5s}));
}

// ---------------------------------------------------------------------------------------------
// Turns.

coflow::task<> take_turns(probe, std::string& trace, char name, int turns) {
  for (int i = 0; i < turns; ++i) {
    trace += name;
    co_await coflow::yield_now();
  }
}

TEST_F(Scheduler, TasksThatYieldTakeRoundRobinTurnsInSpawnOrder) {
  virtual_scheduler s;
  std::string trace;
  s.spawn(take_turns(probe{}, trace, 'a', 3));
  s.spawn(take_turns(probe{}, trace, 'b', 3));
  s.spawn(take_turns(probe{}, trace, 'c', 3));
  s.spawn(take_turns(probe{}, trace, 'd', 1));
  s.run();
  EXPECT_EQ(trace, "abcdabcabc");
  EXPECT_EQ(s.now().time_since_epoch(), 0s);  // nothing slept
}

coflow::task<> spawner(probe, virtual_scheduler& s, std::string& trace) {
  trace += 'p';
  s.spawn(take_turns(probe{}, trace, 'n', 2));
  co_await coflow::yield_now();
  trace += 'p';
}

TEST_F(Scheduler, ATaskSpawnedByATaskJoinsTheBackOfTheQueue) {
  virtual_scheduler s;
  std::string trace;
  s.spawn(spawner(probe{}, s, trace));
  s.spawn(take_turns(probe{}, trace, 'o', 2));
  s.run();
  EXPECT_EQ(trace, "ponpon");
}

coflow::task<> busy(probe, std::string& trace, char name, int turns) {
  for (int i = 0; i < turns; ++i) trace += name;  // never suspends: keeps the thread
  co_return;
}

TEST_F(Scheduler, ATaskThatNeverSuspendsKeepsTheThreadUntilItFinishes) {
  virtual_scheduler s;
  std::string trace;
  s.spawn(take_turns(probe{}, trace, 'a', 2));
  s.spawn(busy(probe{}, trace, 'B', 4));
  s.run();
  EXPECT_EQ(trace, "aBBBBa");
}

coflow::task<> nap(probe, std::string& trace, char name) {
  trace += name;
  co_await coflow::sleep_for(0s);
  trace += static_cast<char>(name - 'a' + 'A');
}

TEST_F(Scheduler, AnExpiredSleepRejoinsTheQueueAfterAtMostOneRound) {
  virtual_scheduler s;
  std::string trace;
  s.spawn(take_turns(probe{}, trace, 'x', 4));
  s.spawn(nap(probe{}, trace, 'z'));
  s.run();
  // Round 1: x, z (goes to sleep). Then the timer is polled: z is due and queued after x.
  EXPECT_EQ(trace, "xzxZxx");
}

// ---------------------------------------------------------------------------------------------
// run() and run(task).

TEST_F(Scheduler, RunWithoutTasksReturnsAtOnce) {
  virtual_scheduler s;
  s.run();
  EXPECT_EQ(s.task_count(), 0u);
  EXPECT_EQ(s.now().time_since_epoch(), 0s);
}

coflow::task<int> after(probe, std::chrono::seconds delay, int value) {
  co_await coflow::sleep_for(delay);
  co_return value;
}

TEST_F(Scheduler, RunOfOneTaskReturnsWhenItFinishesAndLeavesTheOthers) {
  virtual_scheduler s;
  auto later = after(probe{}, 10s, 2);
  s.spawn(later);
  EXPECT_EQ(s.run(after(probe{}, 1s, 1)), 1);
  EXPECT_EQ(s.now().time_since_epoch(), 1s);
  EXPECT_FALSE(later.done());
  EXPECT_EQ(s.task_count(), 1u);
  s.run();
  EXPECT_EQ(s.now().time_since_epoch(), 10s);
  EXPECT_EQ(later.result(), 2);
  EXPECT_EQ(s.task_count(), 0u);
}

TEST_F(Scheduler, TaskCountCountsStartedUnfinishedTasks) {
  virtual_scheduler s;
  auto a = after(probe{}, 1s, 1);
  EXPECT_EQ(s.task_count(), 0u);
  s.spawn(a);
  s.spawn(after(probe{}, 2s, 2));
  EXPECT_EQ(s.task_count(), 2u);
  s.run(a);
  EXPECT_EQ(s.task_count(), 1u);
  s.run();
  EXPECT_EQ(s.task_count(), 0u);
}

coflow::task<> nested_run(probe, virtual_scheduler& s) {
  s.run();
  co_return;
}

TEST_F(Scheduler, RunFromInsideOneOfItsTasksIsAProtocolError) {
  virtual_scheduler s;
  auto t = nested_run(probe{}, s);
  s.spawn(t);
  s.run();
  try {
    t.result();
    FAIL() << "a nested run() did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("not re-entrant"));
  }
}

coflow::task<> nested_run_of_task(probe, virtual_scheduler& s) {
  (void)s.run(after(probe{}, 1s, 1));
  co_return;
}

TEST_F(Scheduler, RunOfATaskFromInsideOneOfItsTasksIsAProtocolError) {
  virtual_scheduler s;
  EXPECT_THROW(s.run(nested_run_of_task(probe{}, s)), coflow::protocol_error);
}

coflow::task<int> inner_scheduler(probe) {
  virtual_scheduler inner;
  co_return inner.run(after(probe{}, 1s, 4));
}

TEST_F(Scheduler, AnotherSchedulerMayRunInsideATask) {
  virtual_scheduler s;
  EXPECT_EQ(s.run(inner_scheduler(probe{})), 4);
  EXPECT_EQ(s.now().time_since_epoch(), 0s);  // the inner scheduler had its own clock
}

TEST_F(Scheduler, SpawningAStartedTaskIsAProtocolError) {
  virtual_scheduler s;
  auto t = after(probe{}, 1s, 1);
  s.spawn(t);
  try {
    s.spawn(t);
    FAIL() << "spawning twice did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("already started"));
  }
  s.run();
  EXPECT_THROW(s.spawn(t), coflow::protocol_error);  // finished is started too
}

TEST_F(Scheduler, RunOfATaskOfAnotherSchedulerIsAProtocolError) {
  virtual_scheduler first;
  virtual_scheduler second;
  auto t = after(probe{}, 1s, 1);
  first.spawn(t);
  EXPECT_THROW(second.run(t), coflow::protocol_error);
  first.run();
  EXPECT_EQ(second.run(t), 1);  // finished: its result is there for anyone
}

coflow::task<> wait_for(probe, coflow::event& e, std::string& trace) {
  co_await e;
  trace += "woke";
}

TEST_F(Scheduler, ADeadlockIsReportedAndTheTasksStayRunnable) {
  virtual_scheduler s;
  coflow::event never;
  std::string trace;
  s.spawn(wait_for(probe{}, never, trace));
  try {
    s.run();
    FAIL() << "run() did not report the deadlock";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("deadlock: 1 task(s) wait"));
  }
  never.set();  // from outside the scheduler
  s.run();
  EXPECT_EQ(trace, "woke");
}

// ---------------------------------------------------------------------------------------------
// Cancellation on destruction.

coflow::task<> sleeper(probe) {
  local l;
  co_await coflow::sleep_for(1h);
}

coflow::task<> event_waiter(probe, coflow::event& e) {
  local l;
  co_await e;
}

coflow::task<> receiver(probe, coflow::channel<int>& ch) {
  local l;
  (void)co_await ch.receive();
}

coflow::task<> sender(probe, coflow::channel<int>& ch) {
  local l;
  for (int i = 0;; ++i) co_await ch.send(i);
}

coflow::task<> parent_of_sleeper(probe) {
  local l;
  auto child = sleeper(probe{});  // so that the probe{} temporary is gone before the co_await
  co_await child;
}

coflow::task<> joiner(probe, coflow::task<int>& other) {
  local l;
  (void)co_await other;
}

TEST_F(Scheduler, DestroyingItDestroysEverySuspendedFrame) {
  coflow::event never;
  coflow::event wake;
  coflow::channel<int> empty(1);
  coflow::channel<int> full(1);
  auto kept = after(probe{}, 1h, 0);
  {
    virtual_scheduler s;
    s.spawn(sleeper(probe{}));
    s.spawn(event_waiter(probe{}, never));
    s.spawn(event_waiter(probe{}, wake));
    s.spawn(receiver(probe{}, empty));
    s.spawn(sender(probe{}, full));
    s.spawn(parent_of_sleeper(probe{}));
    s.spawn(kept);
    s.spawn(joiner(probe{}, kept));
    s.run(after(probe{}, 1s, 1));  // everything is now suspended somewhere
    wake.set();                    // and one task is in the ready queue
    EXPECT_EQ(probe::live, 9);     // 8 spawned tasks and parent_of_sleeper's child
    EXPECT_EQ(local::destroyed, 0);
  }
  EXPECT_EQ(probe::live, 0);
  EXPECT_EQ(local::destroyed, 8);  // every body's local was destroyed (kept has none)
  EXPECT_TRUE(kept.cancelled());
  // The wait lists no longer refer to the destroyed frames.
  never.set();
  empty.close();
  full.close();
}

// ---------------------------------------------------------------------------------------------
// Scale and other clocks.

coflow::task<> sleep_and_count(std::chrono::milliseconds d, virtual_scheduler& s,
                               std::chrono::milliseconds& last, std::size_t& woken,
                               bool& in_order) {
  co_await coflow::sleep_for(d);
  const auto now = elapsed(s);
  if (now != d || now < last) in_order = false;
  last = now;
  ++woken;
}

TEST_F(Scheduler, RunsAHundredThousandSleepingTasks) {
  constexpr std::size_t n = 100'000;
  virtual_scheduler s;
  std::chrono::milliseconds last{0};
  std::size_t woken = 0;
  bool in_order = true;
  for (std::size_t i = 0; i < n; ++i) {
    // A scrambled but deterministic set of deadlines, between 0 and 9999 ms.
    const auto d = std::chrono::milliseconds((i * 7919) % 10'000);
    s.spawn(sleep_and_count(d, s, last, woken, in_order));
  }
  EXPECT_EQ(s.task_count(), n);
  s.run();
  EXPECT_EQ(woken, n);
  EXPECT_TRUE(in_order) << "a task woke before its deadline, or out of deadline order";
  EXPECT_EQ(s.now().time_since_epoch(), 9999ms);
  EXPECT_EQ(s.task_count(), 0u);
}

TEST_F(Scheduler, AManualClockCanBeAdvancedByHandBetweenRuns) {
  virtual_scheduler s{coflow::manual_clock(coflow::manual_clock::time_point(1min))};
  EXPECT_EQ(s.now().time_since_epoch(), 1min);
  s.clock().advance(1s);
  EXPECT_EQ(s.run(after(probe{}, 2s, 3)), 3);
  EXPECT_EQ(s.now().time_since_epoch(), 1min + 3s);
}

coflow::task<> real_sleeps(probe, std::string& trace, char name, int times) {
  for (int i = 0; i < times; ++i) {
    co_await coflow::sleep_for(std::chrono::microseconds(200));
    trace += name;
  }
}

TEST_F(Scheduler, TheRealClockSchedulerRunsTheSameTasks) {
  coflow::scheduler s;
  std::string trace;
  const auto start = s.now();
  s.spawn(real_sleeps(probe{}, trace, 'a', 3));
  s.run();
  EXPECT_EQ(trace, "aaa");
  EXPECT_GE(s.now() - start, std::chrono::microseconds(600));  // sleeps never end early
}

coflow::task<> set_later(probe, coflow::event& e) {
  co_await coflow::sleep_for(1s);
  e.set();
}

TEST_F(Scheduler, AnEventCanWakeATaskOfAnotherScheduler) {
  virtual_scheduler first;
  virtual_scheduler second;
  coflow::event e;
  std::string trace;
  second.spawn(wait_for(probe{}, e, trace));
  first.spawn(set_later(probe{}, e));
  first.run();
  EXPECT_EQ(trace, "");  // queued on its own scheduler, which has not run yet
  second.run();
  EXPECT_EQ(trace, "woke");
}

}  // namespace
