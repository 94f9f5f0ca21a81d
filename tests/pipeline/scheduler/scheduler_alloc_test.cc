// Allocation tests for pipeline/scheduler.hpp and its awaitables, in a binary of their own
// because it counts every call of the global operator new (counting_new): a task switch (yield,
// event wake-up, channel hand-off, sleep once the timer heap has grown) allocates nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <optional>

#include "pipeline/scheduler/channel.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/event.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"
#include "tests/support/counting_new.hpp"

namespace {

using namespace std::chrono_literals;
using coflow::test_support::allocations;
using virtual_scheduler = coflow::basic_scheduler<coflow::manual_clock>;

constexpr int switches = 10'000;

coflow::task<> yield_loop(int n) {
  for (int i = 0; i < n; ++i) co_await coflow::yield_now();
}

TEST(SchedulerAllocation, YieldingTasksSwitchWithoutAllocating) {
  virtual_scheduler s;
  s.spawn(yield_loop(switches));
  s.spawn(yield_loop(switches));
  s.spawn(yield_loop(switches));
  const std::size_t before = allocations;
  s.run();
  EXPECT_EQ(allocations - before, 0u);
}

coflow::task<> ping(coflow::event& mine, coflow::event& theirs, int n) {
  for (int i = 0; i < n; ++i) {
    co_await mine;
    mine.reset();
    theirs.set();
  }
}

TEST(SchedulerAllocation, EventWakeUpsDoNotAllocate) {
  virtual_scheduler s;
  coflow::event a(true);
  coflow::event b;
  s.spawn(ping(a, b, switches));
  s.spawn(ping(b, a, switches));
  const std::size_t before = allocations;
  s.run();
  EXPECT_EQ(allocations - before, 0u);
}

coflow::task<> send_n(coflow::channel<long>& ch, int n) {
  for (int i = 0; i < n; ++i) co_await ch.send(i);
  ch.close();
}

coflow::task<> drain(coflow::channel<long>& ch, long& total) {
  while (std::optional<long> v = co_await ch.receive()) total += *v;
}

TEST(SchedulerAllocation, ChannelHandOffsDoNotAllocate) {
  for (std::size_t capacity : {0, 1, 64}) {
    virtual_scheduler s;
    coflow::channel<long> ch(capacity);
    long total = 0;
    s.spawn(send_n(ch, switches));
    s.spawn(drain(ch, total));
    const std::size_t before = allocations;
    s.run();
    EXPECT_EQ(allocations - before, 0u) << "capacity " << capacity;
    EXPECT_EQ(total, static_cast<long>(switches) * (switches - 1) / 2);
  }
}

coflow::task<> sleep_loop(int n) {
  for (int i = 0; i < n; ++i) co_await coflow::sleep_for(1ms);
}

TEST(SchedulerAllocation, SleepsDoNotAllocateOnceTheTimerHeapHasGrown) {
  virtual_scheduler s;
  for (int i = 0; i < 8; ++i) s.spawn(sleep_loop(1));
  s.run();  // the heap grows to 8 places
  for (int i = 0; i < 8; ++i) s.spawn(sleep_loop(switches / 8));
  const std::size_t before = allocations;
  s.run();
  EXPECT_EQ(allocations - before, 0u);
  EXPECT_EQ(s.now().time_since_epoch(), 1ms + 1ms * (switches / 8));
}

TEST(SchedulerAllocation, EachTaskCostsOneFrameAllocation) {
  virtual_scheduler s;
  const std::size_t before = allocations;
  s.spawn(yield_loop(3));
  EXPECT_EQ(allocations - before, 1u);
  s.run();
  EXPECT_EQ(allocations - before, 1u);
}

}  // namespace
