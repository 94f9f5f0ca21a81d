// Tests for pipeline/feed.hpp: several producer tasks, one channel, one push consumer (a
// coroutine or an opened pipeline); early stop, exceptions, lvalue and rvalue targets.
#include "pipeline/scheduler/feed.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/channel.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using virtual_scheduler = coflow::basic_scheduler<coflow::manual_clock>;

static_assert(coflow::push_target<coflow::consumer<int, long>, int>);
static_assert(coflow::push_target<coflow::consumer<double>, int>);  // int converts to double
static_assert(!coflow::push_target<coflow::consumer<std::string>, int>);
static_assert(!coflow::push_target<int, int>);

struct no_done {
  void send(int) {}
  void close() {}
};
static_assert(!coflow::push_target<no_done, int>);

// The values every second `period`, `count` times, starting at `first`.
coflow::task<> sensor(coflow::channel<int>& out, int first, int count,
                      std::chrono::milliseconds period) {
  for (int i = 0; i < count; ++i) {
    co_await coflow::sleep_for(period);
    co_await out.send(first + i);
  }
}

// Closes the channel once every producer has finished.
coflow::task<> close_after(coflow::channel<int>& ch, std::vector<coflow::task<>>& producers) {
  for (coflow::task<>& p : producers) co_await p;
  ch.close();
}

coflow::consumer<int, long> summer(std::vector<int>& seen) {
  long total = 0;
  while (std::optional<int> v = co_yield coflow::receive) {
    seen.push_back(*v);
    total += *v;
  }
  co_return total;
}

TEST(Feed, SeveralProducersDriveOneConsumerWhoseResultComesWhenTheChannelCloses) {
  virtual_scheduler s;
  coflow::channel<int> readings(2);
  std::vector<coflow::task<>> producers;
  producers.push_back(sensor(readings, 100, 3, 10ms));  // at 10, 20, 30 ms
  producers.push_back(sensor(readings, 200, 2, 15ms));  // at 15, 30 ms
  producers.push_back(sensor(readings, 300, 1, 25ms));  // at 25 ms
  for (auto& p : producers) s.spawn(p);
  s.spawn(close_after(readings, producers));
  std::vector<int> seen;
  auto sum = summer(seen);
  sum.start();
  const long total = s.run(coflow::feed(readings, std::move(sum)));
  EXPECT_EQ(total, 100 + 101 + 102 + 200 + 201 + 300);
  // Arrival order. At 30 ms both 201 and 102 are due: 201's sleep began first (at 15 ms, 102's
  // at 20 ms), so it wakes first.
  EXPECT_THAT(seen, ElementsAre(100, 200, 101, 300, 201, 102));
  EXPECT_EQ(s.now().time_since_epoch(), 30ms);
}

TEST(Feed, ALvalueTargetStaysWithTheCaller) {
  virtual_scheduler s;
  coflow::channel<int> ch(4);
  std::vector<coflow::task<>> producers;
  producers.push_back(sensor(ch, 1, 3, 1ms));
  for (auto& p : producers) s.spawn(p);
  s.spawn(close_after(ch, producers));
  std::vector<int> seen;
  auto sum = summer(seen);
  sum.start();
  EXPECT_EQ(s.run(coflow::feed(ch, sum)), 6);
  EXPECT_TRUE(sum.done());
  EXPECT_EQ(sum.close(), 6);  // closing a finished coroutine returns its result again
}

coflow::consumer<int, std::vector<int>> first_n(int n) {
  std::vector<int> got;
  while (static_cast<int>(got.size()) < n) {
    std::optional<int> v = co_yield coflow::receive;
    if (!v) break;
    got.push_back(*v);
  }
  co_return got;
}

coflow::task<> endless(coflow::channel<int>& out, int& sent) {
  for (int i = 0;; ++i) {
    co_await out.send(i);
    ++sent;
  }
}

TEST(Feed, StopsAsSoonAsTheTargetIsDone) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  int sent = 0;
  s.spawn(endless(ch, sent));
  auto target = first_n(3);
  target.start();
  EXPECT_THAT(s.run(coflow::feed(ch, std::move(target))), ElementsAre(0, 1, 2));
  EXPECT_EQ(s.task_count(), 1u);  // the producer waits for room; the scheduler cancels it
  EXPECT_LE(sent, 5);
}

TEST(Feed, DrivesAnOpenedPipeline) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  int sent = 0;
  s.spawn(endless(ch, sent));
  auto p = coflow::open<int>(coflow::ops::take(4) | coflow::sinks::to_vector());
  EXPECT_THAT(s.run(coflow::feed(ch, std::move(p))), ElementsAre(0, 1, 2, 3));
}

TEST(Feed, AnEmptyClosedChannelGivesTheResultForAnEmptyStream) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  ch.close();
  std::vector<int> seen;
  auto sum = summer(seen);
  sum.start();
  EXPECT_EQ(s.run(coflow::feed(ch, std::move(sum))), 0);
  EXPECT_TRUE(seen.empty());
}

coflow::consumer<int> print_to(std::string& out) {
  while (std::optional<int> v = co_yield coflow::receive) out += std::to_string(*v) + ';';
  out += "end";
}

TEST(Feed, ATargetWithoutAResultMakesAVoidTask) {
  virtual_scheduler s;
  coflow::channel<int> ch(3);
  std::vector<coflow::task<>> producers;
  producers.push_back(sensor(ch, 7, 2, 1ms));
  for (auto& p : producers) s.spawn(p);
  s.spawn(close_after(ch, producers));
  std::string out;
  auto printer = print_to(out);
  printer.start();
  coflow::task<> feeding = coflow::feed(ch, std::move(printer));
  s.run(feeding);
  EXPECT_EQ(out, "7;8;end");
}

coflow::consumer<int, int> fails_on(int bad) {
  int n = 0;
  while (std::optional<int> v = co_yield coflow::receive) {
    if (*v == bad) throw std::runtime_error("bad value " + std::to_string(*v));
    ++n;
  }
  co_return n;
}

coflow::task<std::string> feed_and_catch(coflow::channel<int>& ch, coflow::consumer<int, int> c) {
  try {
    co_return std::to_string(co_await coflow::feed(ch, std::move(c)));
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
}

TEST(Feed, AnExceptionFromTheTargetReachesTheAwaiter) {
  virtual_scheduler s;
  coflow::channel<int> ch(8);
  std::vector<coflow::task<>> producers;
  producers.push_back(sensor(ch, 1, 5, 1ms));
  for (auto& p : producers) s.spawn(p);
  s.spawn(close_after(ch, producers));
  auto target = fails_on(3);
  target.start();
  EXPECT_EQ(s.run(feed_and_catch(ch, std::move(target))), "bad value 3");
}

TEST(Feed, AnUnstartedCoroutineTargetIsAProtocolError) {
  virtual_scheduler s;
  coflow::channel<int> ch(1);
  std::vector<coflow::task<>> producers;
  producers.push_back(sensor(ch, 1, 1, 1ms));
  for (auto& p : producers) s.spawn(p);
  std::vector<int> seen;
  try {
    (void)s.run(coflow::feed(ch, summer(seen)));
    FAIL() << "sending into an unstarted coroutine did not throw";
  } catch (const coflow::protocol_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("before start()"));
  }
}

}  // namespace
