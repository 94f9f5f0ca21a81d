#include "pipeline/parallel/keyed_parallel.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "operators/moments.hpp"
#include "operators/sum_state.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/run.hpp"
#include "tests/pipeline/parallel/parallel_fixtures.hpp"

namespace {

using coflow::test::iota_vector;

struct record {
  std::string user;
  double latency;
};

std::vector<record> records(int n) {
  std::vector<record> rs;
  for (int i = 0; i < n; ++i) rs.push_back({"user" + std::to_string(i % 37), 0.5 * (i % 101)});
  return rs;
}

// A user's aggregate that records which threads added to it, and throws on a chosen value.
struct spy {
  using value_type = int;
  void add(int x) {
    if (x == throw_at) throw std::runtime_error("add");
    ++count;
    std::lock_guard lock(mutex());
    threads().insert(std::this_thread::get_id());
  }
  void merge(const spy& other) { count += other.count; }
  std::int64_t result() const { return count; }
  std::int64_t count = 0;
  int throw_at = -1;
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::set<std::thread::id>& threads() {
    static std::set<std::thread::id> ids;
    return ids;
  }
};

TEST(KeyedParallel, GivesPerKeyWhatOneThreadGives) {
  const auto rs = records(20000);
  std::map<std::string, coflow::moments> serial;
  for (const record& r : rs) serial[r.user].add(r.latency);
  for (std::size_t workers : {1, 2, 5}) {
    auto by_user =
        coflow::run(rs, coflow::sinks::keyed_parallel(workers, &record::user, &record::latency,
                                                      coflow::moments{}, 2, 16));
    ASSERT_EQ(by_user.size(), serial.size());
    for (const auto& [user, m] : serial) {
      ASSERT_TRUE(by_user.count(user)) << user;
      EXPECT_EQ(by_user.at(user).count(), m.count());
      // A key's values are added on one worker in input order: the same floating-point result.
      EXPECT_EQ(by_user.at(user).mean(), m.mean());
      EXPECT_EQ(by_user.at(user).variance(), m.variance());
    }
  }
}

TEST(KeyedParallel, SpreadsKeysOverTheWorkers) {
  spy::threads().clear();
  auto counts = coflow::run(iota_vector(10000),
                            coflow::sinks::keyed_parallel(
                                2, [](int x) { return x % 64; }, [](int x) { return x; }, spy{}));
  EXPECT_EQ(counts.size(), 64u);
  std::int64_t total = 0;
  for (const auto& [key, s] : counts) total += s.count;
  EXPECT_EQ(total, 10000);
  EXPECT_EQ(spy::threads().size(), 2u);
  EXPECT_EQ(spy::threads().count(std::this_thread::get_id()), 0u);
}

TEST(KeyedParallel, AnExceptionInAWorkerReachesTheCaller) {
  spy thrower;
  thrower.throw_at = 4321;
  EXPECT_THROW(coflow::run(iota_vector(100000), coflow::sinks::keyed_parallel(
                                                    3, [](int x) { return x % 10; },
                                                    [](int x) { return x; }, thrower, 1, 4)),
               std::runtime_error);
}

TEST(KeyedParallel, AnExceptionInTheKeyFunctionReachesTheCaller) {
  auto key = [](int x) {
    if (x == 99) throw std::out_of_range("key");
    return x % 3;
  };
  EXPECT_THROW(coflow::run(iota_vector(1000), coflow::sinks::keyed_parallel(
                                                  2, key, [](int x) { return x; }, spy{})),
               std::out_of_range);
}

TEST(KeyedParallel, DestroyingAnOpenPipelineJoins) {
  auto p = coflow::open<int>(coflow::sinks::keyed_parallel(
      2, [](int x) { return x; }, [](int x) { return x; }, spy{}, 1, 1));
  for (int i = 0; i < 100; ++i) p.send(i);
}  // never closed

TEST(ParallelAggregate, MergesTheWorkersStates) {
  std::vector<double> xs;
  for (int i = 0; i < 50000; ++i) xs.push_back(std::sin(i) * 100);
  coflow::moments serial;
  for (double x : xs) serial.add(x);
  for (std::size_t workers : {1, 2, 3}) {
    coflow::moments m =
        coflow::run(xs, coflow::sinks::parallel_aggregate(workers, coflow::moments{}, 4, 100));
    EXPECT_EQ(m.count(), serial.count());
    EXPECT_NEAR(m.mean(), serial.mean(), 1e-12 * 100);
    EXPECT_NEAR(m.variance(), serial.variance(), 1e-9 * serial.variance());
  }
  // An integer sum merges exactly.
  auto sum = coflow::run(iota_vector(100001),
                         coflow::sinks::parallel_aggregate(2, coflow::sum_state<int>{}));
  EXPECT_EQ(sum.result(), std::int64_t{100000} * 100001 / 2);
}

TEST(ParallelAggregate, BehindAThreadBoundaryAndWithAnException) {
  auto sum = coflow::run(iota_vector(1000), coflow::ops::thread_boundary(2, 10) |
                                                coflow::sinks::parallel_aggregate(2, spy{}, 2, 10));
  EXPECT_EQ(sum.result(), 1000);
  spy thrower;
  thrower.throw_at = 999;
  EXPECT_THROW(coflow::run(iota_vector(1000), coflow::ops::thread_boundary(2, 10) |
                                                  coflow::sinks::parallel_aggregate(2, thrower)),
               std::runtime_error);
}

TEST(KeyedParallel, RejectsBadParameters) {
  auto key = [](int x) { return x; };
  EXPECT_THROW((void)coflow::sinks::keyed_parallel(0, key, key, spy{}), std::invalid_argument);
  EXPECT_THROW((void)coflow::sinks::keyed_parallel(2, key, key, spy{}, 0), std::invalid_argument);
  EXPECT_THROW((void)coflow::sinks::parallel_aggregate(0, spy{}), std::invalid_argument);
}

}  // namespace
