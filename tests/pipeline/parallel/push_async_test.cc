#include "pipeline/parallel/push_async.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "operators/sum_state.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/keyed_parallel.hpp"
#include "pipeline/parallel/ordered_parallel.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"
#include "tests/pipeline/parallel/parallel_fixtures.hpp"

namespace {

using coflow::test::iota_vector;
using namespace std::chrono_literals;

// A gate the downstream thread waits at before its first value, so that the boundary's queue
// fills; opened by a task (or the test). A gate that is never opened times out after a while,
// and says so, instead of hanging the test.
struct gate {
  std::atomic<bool> open{false};
  std::atomic<bool> timed_out{false};
  std::atomic<int> passed{0};  // values through the gate

  void wait() {
    const auto give_up = std::chrono::steady_clock::now() + 5s;
    while (!open.load()) {
      if (std::chrono::steady_clock::now() > give_up) {
        timed_out = true;
        return;
      }
      std::this_thread::sleep_for(100us);
    }
  }
};

auto gated(gate& g) {
  return coflow::ops::transform([&g](int v) {
    g.wait();
    ++g.passed;
    return v;
  });
}

// One turn: run() on it returns once every task ready before it has had a turn.
coflow::task<> one_turn() { co_await coflow::yield_now(); }

template <class Pipe>
coflow::task<> produce(Pipe& p, int n, std::atomic<int>& pushed) {
  for (int i = 0; i < n && !p.done(); ++i) {
    co_await coflow::push_async(p, i);
    pushed = i + 1;
  }
}

// Takes 50 turns, noting the producer's progress at each, then opens the gate.
coflow::task<> watch_then_open(std::atomic<int>& pushed, std::vector<int>& seen, gate& g) {
  for (int tick = 0; tick < 50; ++tick) {
    seen.push_back(pushed.load());
    co_await coflow::yield_now();
  }
  g.open = true;  // only now may the downstream thread take values
}

// What a producer of n values into a pipeline did beside a task that watched its progress for
// 50 turns before it opened the gate.
struct watched_run {
  int pushed;
  std::vector<int> seen;  // the producer's progress, as the watching task saw it
};

template <class Pipe>
watched_run run_producer_beside_watcher(Pipe& p, gate& g, int n) {
  std::atomic<int> pushed = 0;
  std::vector<int> seen;
  coflow::scheduler s;
  s.spawn(produce(p, n, pushed));
  s.spawn(watch_then_open(pushed, seen, g));
  s.run();
  EXPECT_FALSE(g.timed_out) << "the producer blocked the scheduler's thread";
  return {pushed.load(), std::move(seen)};
}

template <class Pipe>
coflow::task<std::vector<int>> produce_and_close(Pipe& p, int n) {
  for (int i = 0; i < n; ++i) co_await coflow::push_async(p, i);
  co_return p.close();
}

coflow::task<> nap(int& naps) {
  for (int i = 0; i < 20; ++i) {
    co_await coflow::sleep_for(1ms);
    ++naps;
  }
}

coflow::task<> open_after_one_turn(gate& g) {
  co_await coflow::yield_now();
  g.open = true;
}

template <class Pipe>
coflow::task<std::string> produce_catching(Pipe& p, int n) {
  try {
    for (int i = 0; i < n; ++i) co_await coflow::push_async(p, i);
    (void)p.close();
  } catch (const std::runtime_error& e) {
    co_return e.what();
  }
  co_return "nothing thrown";
}

TEST(PushAsync, OtherTasksRunWhileTheProducerWaitsForRoom) {
  gate g;
  auto p =
      coflow::open<int>(coflow::ops::thread_boundary(1, 4) | gated(g) | coflow::sinks::to_vector());
  constexpr int n = 1000;
  const auto [pushed, seen_by_other] = run_producer_beside_watcher(p, g, n);
  EXPECT_EQ(pushed, n);
  // The other task ran while the producer had pushed some values but not all: it was waiting.
  ASSERT_EQ(seen_by_other.size(), 50u);
  EXPECT_GT(seen_by_other.back(), 0);
  EXPECT_LT(seen_by_other.back(), n);
  EXPECT_EQ(p.close(), iota_vector(n));
}

TEST(PushAsync, AProducerAloneWaitingForAThreadIsNotADeadlock) {
  // Nothing else is ready and no timer is pending while the queue is full: run() sleeps until
  // the downstream thread frees a slot, many times over.
  auto p = coflow::open<int>(coflow::ops::thread_boundary(2, 8) | coflow::ops::transform([](int v) {
                               if (v % 512 == 0) std::this_thread::sleep_for(200us);
                               return v;
                             }) |
                             coflow::sinks::to_vector());
  constexpr int n = 100'000;
  std::atomic<int> pushed = 0;
  coflow::scheduler s;
  s.run(produce(p, n, pushed));
  EXPECT_EQ(pushed.load(), n);
  EXPECT_EQ(p.close(), iota_vector(n));  // in order, none lost or repeated
}

TEST(PushAsync, TheResultComesBackFromCloseInTheTask) {
  auto p = coflow::open<int>(coflow::ops::thread_boundary(1, 2) | coflow::sinks::to_vector());
  coflow::scheduler s;
  const std::vector<int> got = s.run(produce_and_close(p, 5000));
  EXPECT_EQ(got, iota_vector(5000));
}

TEST(PushAsync, SleepingTasksAndAWaitingProducerShareTheThread) {
  // A real clock: the scheduler's sleep until the next timer ends early when the downstream
  // thread wakes the producer, and the timers still fire.
  auto p = coflow::open<int>(coflow::ops::thread_boundary(1, 4) | coflow::ops::transform([](int v) {
                               if (v % 64 == 0) std::this_thread::sleep_for(100us);
                               return v;
                             }) |
                             coflow::sinks::to_vector());
  std::atomic<int> pushed = 0;
  int naps = 0;
  coflow::scheduler s;
  s.spawn(produce(p, 20'000, pushed));
  s.spawn(nap(naps));
  s.run();
  EXPECT_EQ(naps, 20);
  EXPECT_EQ(p.close(), iota_vector(20'000));
}

TEST(PushAsync, ADoneDownstreamWakesTheProducer) {
  gate g;
  auto p = coflow::open<int>(coflow::ops::thread_boundary(1, 4) | gated(g) | coflow::ops::take(10) |
                             coflow::sinks::to_vector());
  std::atomic<int> pushed = 0;
  coflow::scheduler s;
  s.spawn(produce(p, 1'000'000, pushed));
  s.spawn(open_after_one_turn(g));
  s.run();
  EXPECT_TRUE(p.done());
  EXPECT_LT(pushed.load(), 1'000'000);
  EXPECT_EQ(p.close(), iota_vector(10));
}

TEST(PushAsync, AnExceptionOnTheDownstreamThreadReachesTheTask) {
  auto p = coflow::open<int>(coflow::ops::thread_boundary(1, 4) | coflow::ops::transform([](int v) {
                               if (v == 500) throw std::runtime_error("bad value 500");
                               return v;
                             }) |
                             coflow::sinks::to_vector());
  coflow::scheduler s;
  const std::string caught = s.run(produce_catching(p, 100'000));
  EXPECT_EQ(caught, "bad value 500");
}

TEST(PushAsync, DestroyingTheSchedulerWithAWaitingProducerWithdrawsTheWait) {
  gate g;
  auto p =
      coflow::open<int>(coflow::ops::thread_boundary(1, 4) | gated(g) | coflow::sinks::to_vector());
  std::atomic<int> pushed = 0;
  {
    coflow::scheduler s;
    s.spawn(produce(p, 1000, pushed));
    // The producer runs until the queue is full, then waits; this task then runs and ends.
    s.run(one_turn());
    ASSERT_LT(pushed.load(), 1000);
    ASSERT_EQ(s.task_count(), 1u);  // the producer, waiting
  }  // destroys the producer's frame; the boundary must not wake it afterwards
  g.open = true;
  const std::vector<int> got = p.close();
  EXPECT_FALSE(g.timed_out);
  // Every value the producer sent, the one it waited after included, and nothing else.
  EXPECT_EQ(got, iota_vector(static_cast<std::size_t>(pushed.load()) + 1));
}

TEST(PushAsync, DestroyingTheSchedulerWhileTheWakeUpIsOnItsWay) {
  gate g;
  auto p =
      coflow::open<int>(coflow::ops::thread_boundary(1, 4) | gated(g) | coflow::sinks::to_vector());
  std::atomic<int> pushed = 0;
  {
    coflow::scheduler s;
    s.spawn(produce(p, 1000, pushed));
    s.run(one_turn());
    ASSERT_EQ(s.task_count(), 1u);
    g.open = true;
    // The downstream thread took a batch (and so woke the producer) before its first value
    // passed the gate; the wake-up is queued in the scheduler, which is now destroyed.
    while (g.passed.load() == 0) std::this_thread::sleep_for(100us);
  }
  const std::vector<int> got = p.close();
  EXPECT_EQ(got, iota_vector(static_cast<std::size_t>(pushed.load()) + 1));
}

// Waits at the gate on every thread but `free_thread` (the scheduler's: an ordered stage's
// caller runs batches of its own there, which must not wait).
auto gated_off(gate& g, std::thread::id free_thread) {
  return coflow::ops::transform([&g, free_thread](int v) {
    if (std::this_thread::get_id() != free_thread) g.wait();
    ++g.passed;
    return v;
  });
}

TEST(PushAsync, AFullOrderedParallelStageSuspendsTheProducer) {
  // The caller only deals: with every worker's queue full, it would wait for the oldest batch.
  gate g;
  auto p = coflow::open<int>(coflow::ops::ordered_parallel(2, gated(g), 2, 4).caller_helps(false) |
                             coflow::sinks::to_vector());
  constexpr int n = 1000;
  const auto [pushed, seen_by_other] = run_producer_beside_watcher(p, g, n);
  EXPECT_EQ(pushed, n);
  ASSERT_EQ(seen_by_other.size(), 50u);
  EXPECT_GT(seen_by_other.back(), 0);
  EXPECT_LT(seen_by_other.back(), n);
  EXPECT_EQ(p.close(), iota_vector(n));
}

TEST(PushAsync, AnOrderedStageWhoseCallerHelpsSuspendsOnceItsOwnBatchesWait) {
  // The caller runs batches while the workers are full, up to `capacity` of its own waiting
  // behind the workers' oldest; then the task is suspended, not the thread.
  gate g;
  auto p = coflow::open<int>(
      coflow::ops::ordered_parallel(2, gated_off(g, std::this_thread::get_id()), 2, 4)
          .caller_helps(true) |
      coflow::sinks::to_vector());
  constexpr int n = 1000;
  const auto [pushed, seen_by_other] = run_producer_beside_watcher(p, g, n);
  ASSERT_EQ(seen_by_other.size(), 50u);
  // 2 workers x 2 batches dealt, 2 run by the caller, the next one kept: 7 batches of 4.
  EXPECT_GT(seen_by_other.back(), 0);
  EXPECT_LE(seen_by_other.back(), 7 * 4);
  EXPECT_EQ(p.close(), iota_vector(n));
}

TEST(PushAsync, AnExceptionInAnOrderedStageReachesTheTask) {
  auto p =
      coflow::open<int>(coflow::ops::ordered_parallel(2, coflow::ops::transform([](int v) {
                                                        if (v == 500)
                                                          throw std::runtime_error("bad value 500");
                                                        return v;
                                                      }),
                                                      1, 4) |
                        coflow::sinks::to_vector());
  coflow::scheduler s;
  const std::string caught = s.run(produce_catching(p, 100'000));
  EXPECT_EQ(caught, "bad value 500");
}

TEST(PushAsync, DestroyingTheSchedulerWithAProducerWaitingOnAnOrderedStage) {
  gate g;
  auto p = coflow::open<int>(coflow::ops::ordered_parallel(2, gated(g), 1, 4).caller_helps(false) |
                             coflow::sinks::to_vector());
  std::atomic<int> pushed = 0;
  {
    coflow::scheduler s;
    s.spawn(produce(p, 1000, pushed));
    s.run(one_turn());
    ASSERT_LT(pushed.load(), 1000);
    ASSERT_EQ(s.task_count(), 1u);
  }
  g.open = true;
  const std::vector<int> got = p.close();
  EXPECT_FALSE(g.timed_out);
  EXPECT_EQ(got, iota_vector(static_cast<std::size_t>(pushed.load()) + 1));
}

// Counts values, each after waiting at a gate (on the worker's thread).
struct gated_count {
  using value_type = int;
  void add(const int&) {
    if (g != nullptr) g->wait();
    ++n;
  }
  void merge(const gated_count& other) { n += other.n; }
  [[nodiscard]] std::int64_t result() const { return n; }
  gate* g = nullptr;
  std::int64_t n = 0;
};

TEST(PushAsync, AFullKeyedParallelSinkSuspendsTheProducer) {
  gate g;
  auto p = coflow::open<int>(coflow::sinks::keyed_parallel(
      2, [](int v) { return v % 10; }, [](int v) { return v; }, gated_count{&g, 0}, 1, 4));
  constexpr int n = 1000;
  const auto [pushed, seen_by_other] = run_producer_beside_watcher(p, g, n);
  EXPECT_EQ(pushed, n);
  ASSERT_EQ(seen_by_other.size(), 50u);
  EXPECT_GT(seen_by_other.back(), 0);
  EXPECT_LT(seen_by_other.back(), n);
  const std::map<int, gated_count> counts = p.close();
  ASSERT_EQ(counts.size(), 10u);
  for (const auto& [key, c] : counts) EXPECT_EQ(c.result(), n / 10) << "key " << key;
}

TEST(PushAsync, AFullParallelAggregateSuspendsTheProducer) {
  gate g;
  auto p = coflow::open<int>(coflow::sinks::parallel_aggregate(2, gated_count{&g, 0}, 1, 4));
  constexpr int n = 1000;
  const auto [pushed, seen_by_other] = run_producer_beside_watcher(p, g, n);
  EXPECT_LT(seen_by_other.back(), n);
  EXPECT_EQ(p.close().result(), n);
}

TEST(PushAsync, DestroyingTheSchedulerWithAProducerWaitingOnAKeyedSink) {
  gate g;
  auto p = coflow::open<int>(coflow::sinks::keyed_parallel(
      2, [](int v) { return v % 2; }, [](int v) { return v; }, gated_count{&g, 0}, 1, 4));
  std::atomic<int> pushed = 0;
  {
    coflow::scheduler s;
    s.spawn(produce(p, 1000, pushed));
    s.run(one_turn());
    ASSERT_LT(pushed.load(), 1000);
    ASSERT_EQ(s.task_count(), 1u);
  }
  g.open = true;
  std::int64_t total = 0;
  for (const auto& [key, c] : p.close()) total += c.result();
  EXPECT_FALSE(g.timed_out);
  EXPECT_EQ(total, pushed.load() + 1);
}

}  // namespace
