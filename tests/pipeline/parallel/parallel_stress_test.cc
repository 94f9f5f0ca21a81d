// Many short runs across threads, with random sizes, queue capacities, batch sizes, early stops
// and exceptions: every run must deliver each value exactly once, in order where promised.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "operators/filter.hpp"
#include "operators/sum_state.hpp"
#include "operators/take.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/keyed_parallel.hpp"
#include "pipeline/parallel/ordered_parallel.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/run.hpp"
#include "tests/pipeline/parallel/parallel_fixtures.hpp"

namespace {

using coflow::test::iota_vector;

struct shape {
  std::size_t size, capacity, batch, workers;
};

shape random_shape(std::mt19937& rng) {
  auto pick = [&](std::size_t lo, std::size_t hi) {
    return std::uniform_int_distribution<std::size_t>(lo, hi)(rng);
  };
  return {pick(0, 3000), pick(1, 4), pick(1, 40), pick(1, 4)};
}

TEST(ParallelStress, NoValueLostOrDuplicatedAcrossBoundariesAndWorkers) {
  std::mt19937 rng(20261130);
  for (int run = 0; run < 300; ++run) {
    const shape s = random_shape(rng);
    const std::vector<int> xs = iota_vector(s.size);
    auto plus_one = coflow::ops::transform([](int x) { return x + 1; });
    auto got = coflow::run(
        xs, coflow::ops::thread_boundary(s.capacity, s.batch) |
                coflow::ops::ordered_parallel(s.workers, plus_one, s.capacity, s.batch) |
                coflow::ops::thread_boundary(s.capacity, s.batch + 3) | coflow::sinks::to_vector());
    ASSERT_EQ(got.size(), xs.size()) << "run " << run;
    for (std::size_t i = 0; i < got.size(); ++i) ASSERT_EQ(got[i], xs[i] + 1) << "run " << run;
  }
}

TEST(ParallelStress, OrderedOutputWhileTheCallerRunsBatches) {
  // The workers nap now and then, so that their queues fill and the caller runs batches too.
  std::mt19937 rng(20261201);
  const std::thread::id caller = std::this_thread::get_id();
  std::atomic<long> on_caller = 0;
  for (int run = 0; run < 300; ++run) {
    const shape s = random_shape(rng);
    auto stage = coflow::ops::transform([&](int x) {
      if (std::this_thread::get_id() == caller) {
        ++on_caller;
      } else if (x % 64 == 0) {
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      }
      return x * 3;
    });
    auto got = coflow::run(
        iota_vector(s.size),
        coflow::ops::ordered_parallel(s.workers, stage, s.capacity, s.batch).caller_helps(true) |
            coflow::sinks::to_vector());
    ASSERT_EQ(got.size(), s.size) << "run " << run;
    for (std::size_t i = 0; i < got.size(); ++i)
      ASSERT_EQ(got[i], static_cast<int>(i) * 3) << "run " << run;
  }
  EXPECT_GT(on_caller.load(), 0);
}

TEST(ParallelStress, EarlyStopsGiveExactlyThePrefix) {
  std::mt19937 rng(7);
  for (int run = 0; run < 300; ++run) {
    const shape s = random_shape(rng);
    const std::size_t n = std::uniform_int_distribution<std::size_t>(0, 2 * s.size + 1)(rng);
    auto got = coflow::run(
        iota_vector(s.size),
        coflow::ops::ordered_parallel(s.workers, coflow::ops::filter([](int) { return true; }),
                                      s.capacity, s.batch)
                .caller_helps(run % 2 == 0) |
            coflow::ops::thread_boundary(s.capacity, s.batch) | coflow::ops::take(n) |
            coflow::sinks::to_vector());
    ASSERT_EQ(got, iota_vector(std::min(n, s.size))) << "run " << run;
  }
}

TEST(ParallelStress, KeyedCountsAreExact) {
  std::mt19937 rng(11);
  for (int run = 0; run < 200; ++run) {
    const shape s = random_shape(rng);
    const int keys = std::uniform_int_distribution<int>(1, 50)(rng);
    auto counts = coflow::run(
        iota_vector(s.size),
        coflow::ops::thread_boundary(s.capacity, s.batch) |
            coflow::sinks::keyed_parallel(
                s.workers, [keys](int x) { return x % keys; }, [](int) { return std::int64_t{1}; },
                coflow::sum_state<std::int64_t>{}, s.capacity, s.batch));
    std::map<int, std::int64_t> expected;
    for (int x : iota_vector(s.size)) ++expected[x % keys];
    ASSERT_EQ(counts.size(), expected.size()) << "run " << run;
    for (const auto& [k, c] : expected) ASSERT_EQ(counts.at(k).result(), c) << "run " << run;
  }
}

TEST(ParallelStress, ExceptionsAnywhereAlwaysReachTheCaller) {
  std::mt19937 rng(5);
  for (int run = 0; run < 200; ++run) {
    const shape s = random_shape(rng);
    const int bad = std::uniform_int_distribution<int>(0, static_cast<int>(s.size))(rng);
    auto check = [bad](int x) {
      if (x == bad) throw std::runtime_error("bad");
      return x;
    };
    const bool helps = (run / 3) % 2 == 0;
    auto body = [&](int where) {
      auto t = coflow::ops::transform(check);
      auto id = coflow::ops::transform([](int x) { return x; });
      auto b = coflow::ops::thread_boundary(s.capacity, s.batch);
      if (where == 0) {
        return coflow::run(iota_vector(s.size),
                           t | b |
                               coflow::ops::ordered_parallel(s.workers, id, s.capacity, s.batch)
                                   .caller_helps(helps) |
                               coflow::sinks::to_vector());
      }
      if (where == 1) {
        return coflow::run(iota_vector(s.size),
                           b |
                               coflow::ops::ordered_parallel(s.workers, t, s.capacity, s.batch)
                                   .caller_helps(helps) |
                               coflow::sinks::to_vector());
      }
      return coflow::run(iota_vector(s.size),
                         b |
                             coflow::ops::ordered_parallel(s.workers, id, s.capacity, s.batch)
                                 .caller_helps(helps) |
                             t | coflow::sinks::to_vector());
    };
    const int where = run % 3;
    if (static_cast<std::size_t>(bad) < s.size) {
      EXPECT_THROW((void)body(where), std::runtime_error) << "run " << run;
    } else {
      EXPECT_EQ(body(where).size(), s.size) << "run " << run;
    }
  }
}

}  // namespace
