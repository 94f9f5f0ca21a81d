#include "pipeline/parallel/ordered_parallel.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "operators/batch.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/sum.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/pipeline/parallel/parallel_fixtures.hpp"

namespace {

using coflow::test::alive;
using coflow::test::counting;
using coflow::test::iota_vector;

auto square_text() {
  return coflow::ops::transform([](int x) { return std::to_string(x * x); });
}

TEST(OrderedParallel, GivesWhatOneThreadGivesInInputOrder) {
  for (std::size_t workers : {1, 2, 3, 7}) {
    for (std::size_t size : {0, 1, 5, 256, 1000, 5001}) {
      for (std::size_t batch : {1, 4, 256}) {
        const std::vector<int> xs = iota_vector(size);
        auto stage = square_text() |
                     coflow::ops::filter([](const std::string& s) { return s.back() != '1'; });
        auto serial = coflow::run(xs, stage | coflow::sinks::to_vector());
        auto parallel = coflow::run(xs, coflow::ops::ordered_parallel(workers, stage, 2, batch) |
                                            coflow::sinks::to_vector());
        EXPECT_EQ(parallel, serial)
            << workers << " workers, " << size << " values, batch " << batch;
      }
    }
  }
}

TEST(OrderedParallel, RunsOnSeveralThreadsNotTheCaller) {
  std::mutex m;
  std::set<std::thread::id> ids;
  auto record = coflow::ops::transform([&](int x) {
    std::lock_guard lock(m);
    ids.insert(std::this_thread::get_id());
    return x;
  });
  coflow::run(
      iota_vector(4096),
      coflow::ops::ordered_parallel(2, record, 4, 16).caller_helps(false) | coflow::sinks::sum());
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids.count(std::this_thread::get_id()), 0u);
}

TEST(OrderedParallel, EachWorkerFlushesAfterEveryBatch) {
  // batch(3) in each worker: its partial windows come out at end of stream, after all full ones.
  auto sizes = coflow::run(iota_vector(20),
                           coflow::ops::ordered_parallel(2, coflow::ops::batch(3), 4, 4) |
                               coflow::ops::transform([](std::vector<int> v) { return v.size(); }) |
                               coflow::sinks::to_vector());
  // Worker 0 gets 0-3, 8-11, 16-19 (12 values: four windows of 3); worker 1 gets 4-7, 12-15
  // (8 values: two of 3 and, flushed, one of 2).
  std::size_t total = 0;
  for (std::size_t s : sizes) total += s;
  EXPECT_EQ(total, 20u);
  ASSERT_FALSE(sizes.empty());
  EXPECT_EQ(sizes.back(), 2u);
}

TEST(OrderedParallel, ADoneDownstreamStopsTheWorkersAndAnEndlessSource) {
  auto taken = coflow::run(
      coflow::test::endless_ints(),
      coflow::ops::ordered_parallel(2, coflow::ops::transform([](int x) { return x + 1; })) |
          coflow::ops::take(3000) | coflow::sinks::to_vector());
  ASSERT_EQ(taken.size(), 3000u);
  EXPECT_EQ(taken.front(), 1);
  EXPECT_EQ(taken.back(), 3000);
}

TEST(OrderedParallel, AWorkersExceptionReachesTheCallerAfterTheValuesBeforeIt) {
  counting::reset();
  std::vector<int> seen;
  {
    auto throws_at = coflow::ops::transform([guard = alive()](int x) {
      if (x == 777) throw std::runtime_error("worker");
      return x;
    });
    EXPECT_THROW(coflow::run(iota_vector(100000),
                             coflow::ops::ordered_parallel(3, throws_at, 2, 10) |
                                 coflow::sinks::for_each([&](int x) { seen.push_back(x); })),
                 std::runtime_error);
  }
  EXPECT_EQ(counting::live(), 0);
  // Outputs come back batch by batch in order: all of the batches before the failing one.
  EXPECT_EQ(seen, iota_vector(770));
}

TEST(OrderedParallel, AnExceptionDownstreamStopsTheWorkers) {
  counting::reset();
  {
    auto stage = coflow::ops::transform([guard = alive()](int x) { return x; });
    EXPECT_THROW(coflow::run(iota_vector(100000), coflow::ops::ordered_parallel(2, stage, 2, 8) |
                                                      coflow::sinks::for_each([](int x) {
                                                        if (x == 500) throw std::logic_error("d");
                                                      })),
                 std::logic_error);
  }
  EXPECT_EQ(counting::live(), 0);
}

TEST(OrderedParallel, AnExceptionAtEndOfStreamReachesClose) {
  auto p = coflow::open<int>(coflow::ops::ordered_parallel(2, coflow::test::throwing_at_flush{}) |
                             coflow::sinks::to_vector());
  for (int i = 0; i < 1000; ++i) p.send(i);
  EXPECT_THROW(p.close(), std::domain_error);
}

TEST(OrderedParallel, AWorkerThatFailsToStartReportsItsException) {
  // Each worker binds its copy on its own thread; the failure comes back in place of that
  // worker's first batch, whether the stream has values for it, or only end of stream.
  for (std::size_t size : {0, 1, 100, 5000}) {
    EXPECT_THROW(coflow::run(iota_vector(size), coflow::ops::ordered_parallel(
                                                    3, coflow::test::throwing_at_bind{}, 2, 8) |
                                                    coflow::sinks::to_vector()),
                 std::length_error)
        << size << " values";
  }
}

TEST(OrderedParallel, NoDeadlockWhenAWorkerThrowsWhileItsQueuesAreFull) {
  auto slow_then_throw = coflow::ops::transform([](int x) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (x == 40) throw std::runtime_error("slow");
    return x;
  });
  EXPECT_THROW(
      coflow::run(iota_vector(100000),
                  coflow::ops::ordered_parallel(2, slow_then_throw, 1, 1) | coflow::sinks::sum()),
      std::runtime_error);
}

TEST(OrderedParallel, DestroyingARunningPipelineJoinsCleanly) {
  counting::reset();
  {
    auto p = coflow::open<int>(
        coflow::ops::ordered_parallel(2, coflow::ops::transform([guard = alive()](int x) {
                                        std::this_thread::sleep_for(std::chrono::microseconds(20));
                                        return x;
                                      }),
                                      2, 8) |
        coflow::sinks::to_vector());
    for (int i = 0; i < 500; ++i) p.send(i);
  }
  EXPECT_EQ(counting::live(), 0);
}

// The downstream holds the caller on its first value while a thread sends 2000 values into
// ordered_parallel(2, ..., capacity 2, batches of 4); checks how many values the stage took
// meanwhile against `bound`, then that all 2000 pass once the downstream lets go.
void expect_values_in_flight_at_most(bool caller_helps, int bound) {
  std::atomic<int> produced = 0;
  std::atomic<bool> release = false;
  auto count = coflow::ops::transform([&](int x) {
    ++produced;
    return x;
  });
  auto p =
      coflow::open<int>(coflow::ops::ordered_parallel(2, count, 2, 4).caller_helps(caller_helps) |
                        coflow::sinks::for_each([&](int) {
                          while (!release)
                            std::this_thread::sleep_for(std::chrono::milliseconds(1));
                        }));
  std::thread producer([&] {
    for (int i = 0; i < 2000; ++i) p.send(i);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_LE(produced.load(), bound);
  release = true;
  producer.join();
  p.close();
  EXPECT_EQ(produced.load(), 2000);
}

TEST(OrderedParallel, InFlightBatchesAreBounded) {
  // The caller is stuck delivering the first value; at most workers x capacity = 2 x 2 batches
  // of 4 were dealt.
  expect_values_in_flight_at_most(/*caller_helps=*/false, 2 * 2 * 4);
}

TEST(OrderedParallel, InFlightBatchesAreBoundedWhenTheCallerHelps) {
  // The caller runs batches of its own too: (workers + 1) x capacity batches at most.
  expect_values_in_flight_at_most(/*caller_helps=*/true, (2 + 1) * 2 * 4);
}

// The workers' copies wait until the caller's copy has taken a value: the caller must run
// batches itself while every worker is full, or the workers give up after a while and say so.
struct caller_first {
  std::thread::id caller = std::this_thread::get_id();
  std::atomic<int> on_caller{0};  // values the caller's copy took
  std::atomic<bool> timed_out{false};

  void arrive() {
    if (std::this_thread::get_id() == caller) {
      ++on_caller;
      return;
    }
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (on_caller.load() == 0) {
      if (std::chrono::steady_clock::now() > give_up) {
        timed_out = true;
        return;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
  }
};

TEST(OrderedParallel, TheCallerRunsBatchesWhileEveryWorkerIsFull) {
  for (std::size_t workers : {1, 2, 3}) {
    caller_first c;
    auto stage = coflow::ops::transform([&c](int x) {
      c.arrive();
      return x * 2;
    });
    auto got = coflow::run(iota_vector(5000),
                           coflow::ops::ordered_parallel(workers, stage, 2, 8).caller_helps(true) |
                               coflow::sinks::to_vector());
    EXPECT_FALSE(c.timed_out) << workers << " workers";
    EXPECT_GT(c.on_caller.load(), 0) << workers << " workers";
    ASSERT_EQ(got.size(), 5000u);
    for (int i = 0; i < 5000; ++i) ASSERT_EQ(got[static_cast<std::size_t>(i)], 2 * i);
  }
}

TEST(OrderedParallel, AnExceptionInTheCallersCopyComesAfterTheBatchesBeforeIt) {
  // Batches 0 and 1 (one value each) go to the two workers, which wait for the caller; batch 2
  // finds both full and runs on the caller, whose copy throws.
  counting::reset();
  std::vector<int> seen;
  {
    caller_first c;
    auto stage = coflow::ops::transform([&c, guard = alive()](int x) {
      c.arrive();
      if (std::this_thread::get_id() == c.caller) throw std::runtime_error("caller");
      return x;
    });
    EXPECT_THROW(coflow::run(iota_vector(1000),
                             coflow::ops::ordered_parallel(2, stage, 1, 1).caller_helps(true) |
                                 coflow::sinks::for_each([&](int x) { seen.push_back(x); })),
                 std::runtime_error);
    EXPECT_FALSE(c.timed_out);
  }
  EXPECT_EQ(counting::live(), 0);
  EXPECT_EQ(seen, iota_vector(2));
}

TEST(OrderedParallel, AnExceptionInAWorkerWhileTheCallerHelps) {
  counting::reset();
  std::vector<int> seen;
  {
    caller_first c;
    auto stage = coflow::ops::transform([&c, guard = alive()](int x) {
      c.arrive();
      if (x == 4321) throw std::runtime_error("worker");
      return x;
    });
    EXPECT_THROW(coflow::run(iota_vector(100000),
                             coflow::ops::ordered_parallel(2, stage, 2, 10).caller_helps(true) |
                                 coflow::sinks::for_each([&](int x) { seen.push_back(x); })),
                 std::runtime_error);
    EXPECT_FALSE(c.timed_out);
  }
  EXPECT_EQ(counting::live(), 0);
  EXPECT_EQ(seen, iota_vector(4320));  // every batch before the failing one, in order
}

TEST(OrderedParallel, ATakeDownstreamStopsTheWorkersWhileTheCallerHelps) {
  caller_first c;
  auto stage = coflow::ops::transform([&c](int x) {
    c.arrive();
    return x + 1;
  });
  auto taken = coflow::run(coflow::test::endless_ints(),
                           coflow::ops::ordered_parallel(2, stage, 2, 16).caller_helps(true) |
                               coflow::ops::take(3000) | coflow::sinks::to_vector());
  EXPECT_FALSE(c.timed_out);
  EXPECT_GT(c.on_caller.load(), 0);
  std::vector<int> expected = iota_vector(3000);
  for (int& x : expected) ++x;
  EXPECT_EQ(taken, expected);
}

TEST(OrderedParallel, TheCallersCopyFlushesAfterTheWorkers) {
  // batch(5000) in every copy: nothing comes out before end of stream, then each copy's one
  // partial window: the workers' in order, then the caller's, holding what the caller took.
  caller_first c;
  std::vector<int> on_caller;  // written on the caller's thread only: this one
  auto stage = coflow::ops::transform([&c, &on_caller](int x) {
                 c.arrive();
                 if (std::this_thread::get_id() == c.caller) on_caller.push_back(x);
                 return x;
               }) |
               coflow::ops::batch(5000);
  auto windows = coflow::run(iota_vector(3001),
                             coflow::ops::ordered_parallel(2, stage, 1, 3).caller_helps(true) |
                                 coflow::sinks::to_vector());
  EXPECT_FALSE(c.timed_out);
  ASSERT_FALSE(on_caller.empty());
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows.back(), on_caller);
  std::vector<int> all;
  for (const auto& w : windows) all.insert(all.end(), w.begin(), w.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, iota_vector(3001));
}

TEST(OrderedParallel, BehindAThreadBoundary) {
  auto total =
      coflow::run(iota_vector(10000),
                  coflow::ops::thread_boundary(4, 64) |
                      coflow::ops::ordered_parallel(
                          2, coflow::ops::transform([](int x) { return std::int64_t{x} * 3; })) |
                      coflow::ops::thread_boundary(4, 64) | coflow::sinks::sum());
  EXPECT_EQ(total, std::int64_t{3} * 9999 * 10000 / 2);
}

TEST(OrderedParallel, RejectsBadParameters) {
  auto id = coflow::ops::transform([](int x) { return x; });
  EXPECT_THROW((void)coflow::ops::ordered_parallel(0, id), std::invalid_argument);
  EXPECT_THROW((void)coflow::ops::ordered_parallel(1'000'000, id), std::invalid_argument);
  EXPECT_THROW((void)coflow::ops::ordered_parallel(2, id, 0), std::invalid_argument);
  EXPECT_THROW((void)coflow::ops::ordered_parallel(2, id, 2, 0), std::invalid_argument);
}

}  // namespace
