// Tests for pipeline/task.hpp: results, awaiting, exceptions, ownership of frames, misuse.
#include "pipeline/scheduler/task.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/event.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using virtual_scheduler = coflow::basic_scheduler<coflow::manual_clock>;

static_assert(std::is_same_v<coflow::task<>, coflow::task<void>>);
static_assert(!std::is_copy_constructible_v<coflow::task<int>>);
static_assert(!std::is_copy_assignable_v<coflow::task<int>>);
static_assert(std::is_nothrow_move_constructible_v<coflow::task<int>>);
static_assert(std::is_nothrow_move_assignable_v<coflow::task<int>>);
static_assert(std::is_same_v<decltype(std::declval<coflow::task<int>&>().result()), int&>);
static_assert(std::is_same_v<decltype(std::declval<coflow::task<int>&&>().result()), int>);
static_assert(std::is_void_v<decltype(std::declval<coflow::task<>&>().result())>);

// A by-value parameter lives exactly as long as the coroutine frame that holds it: counting the
// probes counts the frames.
struct probe {
  static inline int live = 0;
  probe() noexcept { ++live; }
  probe(const probe&) noexcept { ++live; }
  probe(probe&&) noexcept { ++live; }
  probe& operator=(const probe&) = default;
  ~probe() { --live; }
};

class Task : public ::testing::Test {
 protected:
  void SetUp() override { probe::live = 0; }
  void TearDown() override { EXPECT_EQ(probe::live, 0) << "a task frame leaked"; }
};

coflow::task<int> answer(probe) { co_return 42; }

coflow::task<int> answer_later(probe, std::chrono::milliseconds delay, int value) {
  co_await coflow::sleep_for(delay);
  co_return value;
}

coflow::task<> record(probe, std::vector<std::string>& log, std::string name) {
  log.push_back(name);
  co_return;
}

coflow::task<int> failing(probe, std::string message) {
  co_await coflow::yield_now();
  throw std::runtime_error(message);
}

TEST_F(Task, ResultIsReadableAfterTheSchedulerRanIt) {
  virtual_scheduler s;
  auto t = answer(probe{});
  EXPECT_FALSE(t.done());
  s.spawn(t);
  s.run();
  EXPECT_TRUE(t.done());
  EXPECT_EQ(t.result(), 42);
  EXPECT_EQ(std::move(t).result(), 42);
}

TEST_F(Task, IsLazyUntilSpawned) {
  std::vector<std::string> log;
  virtual_scheduler s;
  auto t = record(probe{}, log, "ran");
  EXPECT_TRUE(log.empty());
  s.spawn(t);
  EXPECT_TRUE(log.empty());
  s.run();
  EXPECT_EQ(log, std::vector<std::string>{"ran"});
}

TEST_F(Task, RunOfATemporaryReturnsItsResult) {
  virtual_scheduler s;
  EXPECT_EQ(s.run(answer_later(probe{}, 5ms, 7)), 7);
  EXPECT_EQ(s.now().time_since_epoch(), 5ms);
}

TEST_F(Task, RunOfAKeptTaskReturnsAReferenceToItsResult) {
  virtual_scheduler s;
  auto t = answer(probe{});
  int& r = s.run(t);
  EXPECT_EQ(r, 42);
  EXPECT_EQ(&r, &t.result());
}

coflow::task<int> sum_of_children(probe) {
  const int a = co_await answer(probe{});
  const int b = co_await answer_later(probe{}, 10ms, 8);
  co_return a + b;
}

TEST_F(Task, AwaitingATaskRunsItAndGivesItsResult) {
  virtual_scheduler s;
  EXPECT_EQ(s.run(sum_of_children(probe{})), 50);
  EXPECT_EQ(s.now().time_since_epoch(), 10ms);
}

coflow::task<> call_then_record(probe, std::vector<std::string>& log) {
  co_await record(probe{}, log, "child");
  log.push_back("parent");
}

TEST_F(Task, AnAwaitedTaskRunsAtOnceAndIsNotAYield) {
  std::vector<std::string> log;
  virtual_scheduler s;
  s.spawn(call_then_record(probe{}, log));
  s.spawn(record(probe{}, log, "other"));
  s.run();
  EXPECT_EQ(log, (std::vector<std::string>{"child", "parent", "other"}));
}

coflow::task<std::string> catch_failure(probe) {
  try {
    co_await failing(probe{}, "boom");
  } catch (const std::runtime_error& e) {
    co_return std::string("caught ") + e.what();
  }
  co_return "nothing";
}

TEST_F(Task, ExceptionReachesTheAwaitingTask) {
  virtual_scheduler s;
  EXPECT_EQ(s.run(catch_failure(probe{})), "caught boom");
}

TEST_F(Task, ExceptionOfAHandedOverTaskReachesRunsCaller) {
  virtual_scheduler s;
  s.spawn(failing(probe{}, "unclaimed"));
  try {
    s.run();
    FAIL() << "run() did not throw";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "unclaimed");
  }
  // The scheduler is still usable.
  EXPECT_EQ(s.run(answer(probe{})), 42);
}

TEST_F(Task, ExceptionOfAKeptTaskStaysWithItsHandle) {
  virtual_scheduler s;
  auto t = failing(probe{}, "kept");
  s.spawn(t);
  EXPECT_NO_THROW(s.run());
  EXPECT_TRUE(t.done());
  EXPECT_THROW((void)t.result(), std::runtime_error);
  EXPECT_THROW((void)t.result(), std::runtime_error);  // every read rethrows it
}

TEST_F(Task, ExceptionOfATaskWhoseHandleWasDroppedReachesRunsCaller) {
  virtual_scheduler s;
  {
    auto t = failing(probe{}, "dropped");
    s.spawn(t);
  }
  EXPECT_THROW(s.run(), std::runtime_error);
}

TEST_F(Task, RunOfAFailingTaskRethrows) {
  virtual_scheduler s;
  EXPECT_THROW((void)s.run(failing(probe{}, "direct")), std::runtime_error);
}

coflow::task<int> join(probe, coflow::task<int>& other) { co_return co_await other; }

TEST_F(Task, ASpawnedTaskCanBeAwaitedByAnother) {
  virtual_scheduler s;
  auto slow = answer_later(probe{}, 1s, 5);
  s.spawn(slow);
  auto joiner = join(probe{}, slow);
  s.spawn(joiner);
  s.run();
  EXPECT_EQ(joiner.result(), 5);
  EXPECT_EQ(s.now().time_since_epoch(), 1s);
}

TEST_F(Task, AwaitingAFinishedTaskGivesItsResultAtOnce) {
  virtual_scheduler s;
  auto done = answer(probe{});
  s.run(done);
  EXPECT_EQ(s.run(join(probe{}, done)), 42);
}

TEST_F(Task, CoAwaitMovesTheResultOut) {
  virtual_scheduler s;
  auto t = answer(probe{});
  s.run(t);
  EXPECT_EQ(s.run(join(probe{}, t)), 42);
  try {
    (void)t.result();
    FAIL() << "result() after co_await did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("moved out"));
  }
}

TEST_F(Task, AwaitingATaskTwiceIsAProtocolError) {
  virtual_scheduler s;
  auto slow = answer_later(probe{}, 1s, 5);
  s.spawn(slow);
  auto first = join(probe{}, slow);
  auto second = join(probe{}, slow);
  s.spawn(first);
  s.spawn(second);
  s.run();
  EXPECT_EQ(first.result(), 5);
  try {
    (void)second.result();
    FAIL() << "the second co_await did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("awaited a second time"));
  }
}

// The body reads the task's address only when it runs, after the handle exists.
coflow::task<int> await_self(probe, coflow::task<int>** self) { co_return co_await **self; }

TEST_F(Task, ATaskAwaitingItselfIsAProtocolError) {
  virtual_scheduler s;
  coflow::task<int>* address = nullptr;
  auto t = await_self(probe{}, &address);
  address = &t;
  s.spawn(t);
  s.run();
  try {
    (void)t.result();
    FAIL() << "awaiting itself did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("awaits itself"));
  }
}

TEST_F(Task, AwaitingATaskOfAnotherSchedulerIsAProtocolError) {
  virtual_scheduler first;
  virtual_scheduler second;
  auto slow = answer_later(probe{}, 1s, 5);
  first.spawn(slow);
  auto joiner = join(probe{}, slow);
  try {
    (void)second.run(joiner);
    FAIL() << "awaiting across schedulers did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("another scheduler"));
  }
  first.run();
  EXPECT_EQ(slow.result(), 5);
}

TEST_F(Task, ResultBeforeTheTaskFinishedIsAProtocolError) {
  virtual_scheduler s;
  auto t = answer(probe{});
  try {
    (void)t.result();
    FAIL() << "result() before run did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("has not finished"));
  }
  s.spawn(t);
  EXPECT_THROW((void)t.result(), coflow::protocol_error);
  s.run();
  EXPECT_EQ(t.result(), 42);
}

TEST_F(Task, UseOfAMovedFromTaskIsAProtocolError) {
  virtual_scheduler s;
  auto t = answer(probe{});
  auto other = std::move(t);
  EXPECT_FALSE(t.done());  // NOLINT(bugprone-use-after-move): the point of the test
  try {
    s.spawn(t);  // NOLINT(bugprone-use-after-move)
    FAIL() << "spawn of a moved-from task did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("moved-from"));
  }
  EXPECT_THROW((void)t.result(), coflow::protocol_error);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(s.run(other), 42);
}

TEST_F(Task, AHandleMovedWhileTheTaskRunsStillReadsTheResult) {
  virtual_scheduler s;
  auto t = answer_later(probe{}, 1s, 9);
  s.spawn(t);
  auto moved = std::move(t);
  s.run();
  EXPECT_EQ(moved.result(), 9);
}

TEST_F(Task, AnUnstartedTaskIsFreedWithItsHandle) {
  {
    auto t = answer(probe{});
    EXPECT_EQ(probe::live, 1);
  }
  EXPECT_EQ(probe::live, 0);
}

TEST_F(Task, DroppingTheHandleOfARunningTaskDetachesIt) {
  virtual_scheduler s;
  std::vector<std::string> log;
  {
    auto t = record(probe{}, log, "detached");
    s.spawn(t);
  }
  EXPECT_EQ(probe::live, 1);  // the scheduler keeps it
  s.run();
  EXPECT_EQ(log, std::vector<std::string>{"detached"});
  EXPECT_EQ(probe::live, 0);  // freed when it finished, before the scheduler goes
}

coflow::task<> drop_handle(probe, std::optional<coflow::task<int>>* handle) {
  co_await coflow::yield_now();
  handle->reset();
}

TEST_F(Task, AnAwaitedTaskWhoseHandleIsDroppedIsFreedByItsAwaiter) {
  virtual_scheduler s;
  std::optional<coflow::task<int>> slow{answer_later(probe{}, 1s, 5)};
  s.spawn(*slow);
  auto joiner = join(probe{}, *slow);
  s.spawn(joiner);
  s.spawn(drop_handle(probe{}, &slow));
  s.run();
  EXPECT_FALSE(slow.has_value());
  EXPECT_EQ(joiner.result(), 5);
  EXPECT_EQ(probe::live, 1);  // only joiner's frame is left
}

coflow::task<> wait_forever(probe, coflow::event& never) { co_await never; }

TEST_F(Task, AHandleOutlivingItsSchedulerReportsCancellation) {
  coflow::event never;
  auto t = wait_forever(probe{}, never);
  {
    virtual_scheduler s;
    s.spawn(t);
    EXPECT_THROW(s.run(), coflow::protocol_error);  // deadlock
    EXPECT_EQ(probe::live, 1);
  }
  EXPECT_EQ(probe::live, 0);
  EXPECT_TRUE(t.cancelled());
  EXPECT_TRUE(t.done());
  try {
    t.result();
    FAIL() << "result() of a cancelled task did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("cancelled"));
  }
}

TEST_F(Task, AFinishedTaskOutlivesItsScheduler) {
  auto t = answer(probe{});
  {
    virtual_scheduler s;
    s.run(t);
  }
  EXPECT_FALSE(t.cancelled());
  EXPECT_EQ(t.result(), 42);
}

coflow::task<long> depth(probe, int n) {
  if (n == 0) co_return 0;
  co_return 1 + co_await depth(probe{}, n - 1);
}

TEST_F(Task, AwaitChainsOfAnyDepthDoNotGrowTheStack) {
  virtual_scheduler s;
  EXPECT_EQ(s.run(depth(probe{}, 100'000)), 100'000);
}

coflow::task<std::unique_ptr<int>> boxed(probe, int v) {
  co_await coflow::yield_now();
  co_return std::make_unique<int>(v);
}

coflow::task<int> unbox(probe) {
  std::unique_ptr<int> p = co_await boxed(probe{}, 11);
  co_return *p;
}

TEST_F(Task, MoveOnlyResultsAreMovedOut) {
  virtual_scheduler s;
  EXPECT_EQ(s.run(unbox(probe{})), 11);
  std::unique_ptr<int> p = s.run(boxed(probe{}, 3));
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(*p, 3);
}

}  // namespace
