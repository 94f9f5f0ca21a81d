#include "pipeline/parallel/thread_boundary.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <optional>
#include <range/v3/view/move.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "operators/batch.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/last.hpp"
#include "operators/sum.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/detail/spsc_ring.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/pipeline/parallel/parallel_fixtures.hpp"

namespace {

using coflow::test::alive;
using coflow::test::counting;
using coflow::test::iota_vector;

// ---- the ring on its own ----

TEST(SpscRing, CarriesBatchesInOrderAcrossThreads) {
  coflow::detail::spsc_ring<int> ring(4);
  constexpr int batches = 20000;
  std::thread producer([&] {
    for (int i = 0; i < batches; ++i) {
      auto m = coflow::detail::ring_batch<int>::of({i, i + 1});
      ASSERT_TRUE(ring.push(m));
    }
    auto end = coflow::detail::ring_batch<int>::end();
    ASSERT_TRUE(ring.push(end));
  });
  coflow::detail::ring_batch<int> m;
  int expected = 0;
  while (ring.pop(m) && !m.last) {
    ASSERT_EQ(m.values, (std::vector<int>{expected, expected + 1}));
    ++expected;
  }
  producer.join();
  EXPECT_EQ(expected, batches);
}

TEST(SpscRing, AConsumerAskingForTheWholeRingAndASleepingProducerDoNotWaitForEachOther) {
  // The consumer asks for 4 messages (the whole ring) at a time while the producer, on a full
  // ring, sleeps until half of it is free: the ring must lower the request to what cannot
  // leave both waiting for each other.
  coflow::detail::spsc_ring<int> ring(4);
  constexpr int messages = 20000;
  std::thread producer([&] {
    for (int i = 0; i < messages; ++i) {
      auto m = coflow::detail::ring_batch<int>::of({i});
      ASSERT_TRUE(ring.push(m));
    }
    auto end = coflow::detail::ring_batch<int>::end();
    ASSERT_TRUE(ring.push(end));
  });
  coflow::detail::ring_batch<int> m;
  int expected = 0;
  while (ring.pop(m, 4) && !m.last) {
    ASSERT_EQ(m.values, std::vector<int>{expected});
    ++expected;
  }
  producer.join();
  EXPECT_EQ(expected, messages);
}

TEST(SpscRing, CapacityRoundsUpAndTryPushStopsWhenFull) {
  coflow::detail::spsc_ring<int> ring(3);
  EXPECT_EQ(ring.capacity(), 4u);
  for (int i = 0; i < 4; ++i) {
    auto m = coflow::detail::ring_batch<int>::of({i});
    EXPECT_TRUE(ring.try_push(m));
  }
  auto extra = coflow::detail::ring_batch<int>::of({99});
  EXPECT_FALSE(ring.try_push(extra));
  EXPECT_EQ(extra.values, std::vector<int>{99});  // untouched when refused
  coflow::detail::ring_batch<int> out;
  EXPECT_TRUE(ring.try_pop(out));
  EXPECT_EQ(out.values, std::vector<int>{0});
  EXPECT_TRUE(ring.try_push(extra));
}

TEST(SpscRing, CancelRefusesValuesButNotEndOfStream) {
  coflow::detail::spsc_ring<int> ring(2);
  ring.cancel();
  auto values = coflow::detail::ring_batch<int>::of({1});
  EXPECT_FALSE(ring.push(values));
  auto end = coflow::detail::ring_batch<int>::end();
  EXPECT_TRUE(ring.push(end));
  ring.fail();
  auto again = coflow::detail::ring_batch<int>::end();
  EXPECT_FALSE(ring.push(again));
}

TEST(SpscRing, FailWakesAProducerBlockedOnAFullRing) {
  coflow::detail::spsc_ring<int> ring(1);
  std::atomic<bool> refused = false;
  std::thread producer([&] {
    for (;;) {
      auto m = coflow::detail::ring_batch<int>::of({1});
      if (!ring.push(m)) break;
    }
    refused = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ring.fail();
  producer.join();
  EXPECT_TRUE(refused);
}

TEST(SpscRing, AbandonWakesAConsumerWaitingOnAnEmptyRing) {
  coflow::detail::spsc_ring<int> ring(2);
  std::thread consumer([&] {
    coflow::detail::ring_batch<int> m;
    EXPECT_FALSE(ring.pop(m));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ring.abandon();
  consumer.join();
}

TEST(SpscRing, RejectsZeroAndHugeCapacities) {
  EXPECT_THROW(coflow::detail::spsc_ring<int>(0), std::invalid_argument);
  EXPECT_THROW(coflow::detail::spsc_ring<int>(std::size_t{1} << 40), std::invalid_argument);
  EXPECT_THROW((void)coflow::ops::thread_boundary(0), std::invalid_argument);
  EXPECT_THROW((void)coflow::ops::thread_boundary(4, 0), std::invalid_argument);
}

// ---- the boundary in a pipeline ----

TEST(ThreadBoundary, GivesWhatOneThreadGives) {
  for (std::size_t size : {0, 1, 255, 256, 257, 10000}) {
    for (std::size_t batch : {1, 3, 256}) {
      const std::vector<int> xs = iota_vector(size);
      auto twice = coflow::ops::transform([](int x) { return 2 * x; });
      auto odd3 = coflow::ops::filter([](int x) { return x % 3 != 0; });
      auto serial = coflow::run(xs, twice | odd3 | coflow::sinks::to_vector());
      auto threaded = coflow::run(
          xs, twice | coflow::ops::thread_boundary(2, batch) | odd3 | coflow::sinks::to_vector());
      EXPECT_EQ(threaded, serial) << "size " << size << " batch " << batch;
    }
  }
}

TEST(ThreadBoundary, RunsTheDownstreamSegmentOnAnotherThread) {
  std::thread::id downstream;
  coflow::run(iota_vector(10), coflow::ops::thread_boundary() | coflow::sinks::for_each([&](int) {
                                 downstream = std::this_thread::get_id();
                               }));
  EXPECT_NE(downstream, std::thread::id());
  EXPECT_NE(downstream, std::this_thread::get_id());
}

TEST(ThreadBoundary, EndOfStreamFlushesAndTheResultCrossesSeveralBoundaries) {
  // batch(3) flushes its partial batch at end of stream on the second thread; the sum of the
  // batch sizes comes back through two boundaries.
  auto sizes = coflow::ops::transform([](std::vector<int> v) { return v.size(); });
  std::optional<std::size_t> last = coflow::run(
      iota_vector(10), coflow::ops::thread_boundary(1, 2) | coflow::ops::batch(3) |
                           coflow::ops::thread_boundary(1, 1) | sizes | coflow::sinks::last());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(*last, 1u);  // {9}, flushed at end of stream
  auto total =
      coflow::run(iota_vector(1000), coflow::ops::thread_boundary(3, 7) |
                                         coflow::ops::thread_boundary(2, 5) | coflow::sinks::sum());
  EXPECT_EQ(total, 999 * 1000 / 2);
}

TEST(ThreadBoundary, ADoneDownstreamStopsAnEndlessSource) {
  // An endless source: only the boundary's push returning false can end this run.
  auto taken = coflow::run(coflow::test::endless_ints(), coflow::ops::thread_boundary(2, 16) |
                                                             coflow::ops::take(1000) |
                                                             coflow::sinks::to_vector());
  EXPECT_EQ(taken, iota_vector(1000));
}

TEST(ThreadBoundary, AnExceptionDownstreamReachesTheCallerWithEveryFrameDestroyed) {
  counting::reset();
  auto throws_at = [guard = alive()](int x) {
    if (x == 5000) throw std::runtime_error("bad value");
    return x;
  };
  EXPECT_THROW(coflow::run(iota_vector(100000), coflow::ops::thread_boundary(2, 16) |
                                                    coflow::ops::transform(throws_at) |
                                                    coflow::sinks::to_vector()),
               std::runtime_error);
  EXPECT_EQ(counting::live(), 1);  // only `throws_at` itself; the pipeline's copy is gone
}

TEST(ThreadBoundary, AnExceptionAtEndOfStreamReachesClose) {
  auto p = coflow::open<int>(coflow::ops::thread_boundary() | coflow::test::throwing_at_finish{});
  p.send(1);
  EXPECT_THROW(p.close(), std::logic_error);
}

TEST(ThreadBoundary, NoDeadlockWhenAStageThrowsWhileTheQueueIsFull) {
  // The downstream stage is slow, so the queue (1 batch of 1) is full when it throws.
  auto slow_then_throw = coflow::sinks::for_each([](int x) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (x == 20) throw std::runtime_error("late");
  });
  EXPECT_THROW(
      coflow::run(iota_vector(100000), coflow::ops::thread_boundary(1, 1) | slow_then_throw),
      std::runtime_error);
}

TEST(ThreadBoundary, AnExceptionUpstreamJoinsTheThreadAndDestroysItsFrames) {
  counting::reset();
  {
    auto upstream = coflow::ops::transform([](int x) {
      if (x == 3000) throw std::out_of_range("upstream");
      return x;
    });
    auto downstream = coflow::sinks::for_each([guard = alive()](int) {});
    EXPECT_THROW(
        coflow::run(iota_vector(10000), upstream | coflow::ops::thread_boundary(2, 8) | downstream),
        std::out_of_range);
  }
  EXPECT_EQ(counting::live(), 0);
}

TEST(ThreadBoundary, DestroyingARunningPipelineJoinsCleanly) {
  counting::reset();
  std::atomic<int> seen = 0;
  {
    auto p = coflow::open<int>(coflow::ops::thread_boundary(2, 4) |
                               coflow::sinks::for_each([&seen, guard = alive()](int) {
                                 std::this_thread::sleep_for(std::chrono::microseconds(50));
                                 ++seen;
                               }));
    for (int i = 0; i < 200 && !p.done(); ++i) p.send(i);
  }  // never closed
  EXPECT_EQ(counting::live(), 0);
  EXPECT_LE(seen.load(), 200);
}

TEST(ThreadBoundary, AFullQueueBlocksTheProducer) {
  std::atomic<bool> release = false;
  std::atomic<int> accepted = 0;
  std::atomic<int> seen = 0;
  auto p = coflow::open<int>(coflow::ops::thread_boundary(2, 4) | coflow::sinks::for_each([&](int) {
                               while (!release)
                                 std::this_thread::sleep_for(std::chrono::milliseconds(1));
                               ++seen;
                             }));
  std::thread producer([&] {
    for (int i = 0; i < 1000; ++i) {
      p.send(i);
      ++accepted;
    }
  });
  // Wait until the producer got going (a busy machine may start it late), then give it time
  // to overrun the bound if it could.
  for (int i = 0; i < 10000 && accepted.load() < 4; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Room for: the batch being filled, the ring's 2 batches and the one the stage holds.
  const int bound = 4 + 2 * 4 + 4;
  EXPECT_LE(accepted.load(), bound);
  EXPECT_GE(accepted.load(), 4);
  release = true;
  producer.join();
  p.close();
  EXPECT_EQ(seen.load(), 1000);
}

TEST(ThreadBoundary, MoveOnlyValuesCross) {
  std::vector<std::unique_ptr<int>> xs;
  for (int i = 0; i < 600; ++i) xs.push_back(std::make_unique<int>(i));
  auto sum = coflow::run(xs | ranges::views::move,
                         coflow::ops::thread_boundary(2, 16) |
                             coflow::ops::transform([](std::unique_ptr<int> p) { return *p; }) |
                             coflow::sinks::sum());
  EXPECT_EQ(sum, 599 * 600 / 2);
}

}  // namespace
