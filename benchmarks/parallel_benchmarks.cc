// Several cores: what a thread boundary costs per value, and how a CPU-heavy stage scales over
// workers, side by side with oneTBB's parallel_pipeline, a mutex + condition-variable queue and
// Boost.Lockfree's spsc_queue on the same data.
//   ./bazelw run -c opt //benchmarks:parallel_benchmarks
// Every benchmark reports items_per_second (values per second); ns per value is its inverse.
#include <benchmark/benchmark.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <boost/lockfree/spsc_queue.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "operators/sum.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/ordered_parallel.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/run.hpp"

namespace {

constexpr std::size_t handoff_values = 1 << 22;  // 4 M values of 8 bytes
constexpr std::size_t queue_batches = 16;        // every queue holds 16 batches of 256 values
constexpr std::size_t batch_values = 256;

const std::vector<std::int64_t>& handoff_input() {
  static const std::vector<std::int64_t> xs = [] {
    std::vector<std::int64_t> v(handoff_values);
    std::iota(v.begin(), v.end(), 0);
    return v;
  }();
  return xs;
}

void check_sum(benchmark::State& state, std::int64_t total, std::size_t n) {
  const auto expected = static_cast<std::int64_t>(n) * static_cast<std::int64_t>(n - 1) / 2;
  if (total != expected) state.SkipWithError("wrong sum");
}

// ---- handoff: the values cross one thread boundary into a sum ----

// No boundary: the same run on one thread, the floor.
void BM_Handoff_CoflowOneThread(benchmark::State& state) {
  const auto& xs = handoff_input();
  for (auto _ : state) {
    auto total = coflow::run(xs, coflow::sinks::sum());
    check_sum(state, total, xs.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Handoff_CoflowOneThread)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Handoff_CoflowBoundary(benchmark::State& state) {
  const auto& xs = handoff_input();
  for (auto _ : state) {
    auto total = coflow::run(
        xs, coflow::ops::thread_boundary(queue_batches, batch_values) | coflow::sinks::sum());
    check_sum(state, total, xs.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Handoff_CoflowBoundary)->Unit(benchmark::kMillisecond)->UseRealTime();

// oneTBB: a serial input filter cutting batches of 256, a serial output filter summing them,
// 16 tokens in flight (the same 16 x 256 values).
void BM_Handoff_TbbBatched(benchmark::State& state) {
  const auto& xs = handoff_input();
  for (auto _ : state) {
    std::size_t next = 0;
    std::int64_t total = 0;
    oneapi::tbb::parallel_pipeline(
        queue_batches,
        oneapi::tbb::make_filter<void, std::vector<std::int64_t>>(
            oneapi::tbb::filter_mode::serial_in_order,
            [&](oneapi::tbb::flow_control& fc) {
              if (next == xs.size()) {
                fc.stop();
                return std::vector<std::int64_t>();
              }
              const std::size_t n = std::min(batch_values, xs.size() - next);
              std::vector<std::int64_t> b(xs.begin() + static_cast<std::ptrdiff_t>(next),
                                          xs.begin() + static_cast<std::ptrdiff_t>(next + n));
              next += n;
              return b;
            }) &
            oneapi::tbb::make_filter<std::vector<std::int64_t>, void>(
                oneapi::tbb::filter_mode::serial_in_order, [&](const std::vector<std::int64_t>& b) {
                  for (std::int64_t x : b) total += x;
                }));
    check_sum(state, total, xs.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Handoff_TbbBatched)->Unit(benchmark::kMillisecond)->UseRealTime();

// oneTBB as it is usually written: one token per value (the same 4 M values, fewer of them
// per run would do; kept equal for the per-value figure).
void BM_Handoff_TbbPerValue(benchmark::State& state) {
  const auto& xs = handoff_input();
  const std::size_t n = xs.size() / 16;  // 256 K values: per-value tokens are slow
  for (auto _ : state) {
    std::size_t next = 0;
    std::int64_t total = 0;
    oneapi::tbb::parallel_pipeline(
        queue_batches * batch_values,
        oneapi::tbb::make_filter<void, std::int64_t>(oneapi::tbb::filter_mode::serial_in_order,
                                                     [&](oneapi::tbb::flow_control& fc) {
                                                       if (next == n) {
                                                         fc.stop();
                                                         return std::int64_t{0};
                                                       }
                                                       return xs[next++];
                                                     }) &
            oneapi::tbb::make_filter<std::int64_t, void>(oneapi::tbb::filter_mode::serial_in_order,
                                                         [&](std::int64_t x) { total += x; }));
    check_sum(state, total, n);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_Handoff_TbbPerValue)->Unit(benchmark::kMillisecond)->UseRealTime();

// A bounded queue of batches under a mutex, with two condition variables: the textbook queue.
class locked_queue {
 public:
  void push(std::vector<std::int64_t> b) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < queue_batches; });
    items_.push_back(std::move(b));
    not_empty_.notify_one();
  }
  std::vector<std::int64_t> pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty(); });
    std::vector<std::int64_t> b = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return b;
  }

 private:
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<std::vector<std::int64_t>> items_;
};

void BM_Handoff_MutexQueueBatched(benchmark::State& state) {
  const auto& xs = handoff_input();
  for (auto _ : state) {
    locked_queue q;
    std::int64_t total = 0;
    std::thread consumer([&] {
      for (;;) {
        std::vector<std::int64_t> b = q.pop();
        if (b.empty()) return;  // end of stream
        for (std::int64_t x : b) total += x;
      }
    });
    for (std::size_t i = 0; i < xs.size(); i += batch_values) {
      const std::size_t n = std::min(batch_values, xs.size() - i);
      q.push(std::vector<std::int64_t>(xs.begin() + static_cast<std::ptrdiff_t>(i),
                                       xs.begin() + static_cast<std::ptrdiff_t>(i + n)));
    }
    q.push({});
    consumer.join();
    check_sum(state, total, xs.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Handoff_MutexQueueBatched)->Unit(benchmark::kMillisecond)->UseRealTime();

// Boost.Lockfree's spsc_queue, one value per slot, both sides spinning (its intended use):
// the per-item cost of a lock-free ring without batches. 4096 slots, as 16 x 256.
void BM_Handoff_BoostSpscPerValue(benchmark::State& state) {
  const auto& xs = handoff_input();
  for (auto _ : state) {
    boost::lockfree::spsc_queue<std::int64_t, boost::lockfree::capacity<4096>> q;
    std::int64_t total = 0;
    std::thread consumer([&] {
      std::size_t seen = 0;
      std::int64_t x;
      while (seen < xs.size()) {
        if (q.pop(x)) {
          total += x;
          ++seen;
        }
      }
    });
    for (std::int64_t x : xs) {
      while (!q.push(x)) {
      }
    }
    consumer.join();
    check_sum(state, total, xs.size());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Handoff_BoostSpscPerValue)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- scaling: a stage of about 1 microsecond per value, on 1 and 2 workers ----

constexpr std::size_t heavy_values = 100'000;
std::uint64_t heavy_rounds = 0;  // calibrated once to about 1 us per call

// About a microsecond of dependent multiplications; the result depends on every round.
std::uint64_t heavy(std::uint64_t x) {
  for (std::uint64_t i = 0; i < heavy_rounds; ++i)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x >> 60;
}

void calibrate() {
  if (heavy_rounds != 0) return;
  heavy_rounds = 1000;
  for (;;) {
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t sink = 0;
    for (std::uint64_t i = 0; i < 2000; ++i) sink += heavy(i);
    benchmark::DoNotOptimize(sink);
    const double ns =
        std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
        2000;
    if (ns > 900 && ns < 1100) return;
    heavy_rounds = static_cast<std::uint64_t>(static_cast<double>(heavy_rounds) * 1000 / ns);
    if (heavy_rounds == 0) heavy_rounds = 1;
  }
}

const std::vector<std::uint64_t>& heavy_input() {
  static const std::vector<std::uint64_t> xs = [] {
    std::vector<std::uint64_t> v(heavy_values);
    std::iota(v.begin(), v.end(), 0);
    return v;
  }();
  return xs;
}

void BM_Heavy_CoflowOneThread(benchmark::State& state) {
  calibrate();
  const auto& xs = heavy_input();
  for (auto _ : state) {
    auto total = coflow::run(xs, coflow::ops::transform(heavy) | coflow::sinks::sum());
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
  state.counters["rounds"] = static_cast<double>(heavy_rounds);
}
BENCHMARK(BM_Heavy_CoflowOneThread)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Heavy_CoflowOrderedParallel(benchmark::State& state) {
  calibrate();
  const auto& xs = heavy_input();
  const auto workers = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto total = coflow::run(
        xs, coflow::ops::ordered_parallel(workers, coflow::ops::transform(heavy), 4, 64) |
                coflow::sinks::sum());
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Heavy_CoflowOrderedParallel)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// The same with a caller that helps: while every worker is full it runs batches itself instead
// of sleeping.
void BM_Heavy_CoflowOrderedParallelCallerHelps(benchmark::State& state) {
  calibrate();
  const auto& xs = heavy_input();
  const auto workers = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    auto total =
        coflow::run(xs, coflow::ops::ordered_parallel(workers, coflow::ops::transform(heavy), 4, 64)
                                .caller_helps(true) |
                            coflow::sinks::sum());
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Heavy_CoflowOrderedParallelCallerHelps)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// oneTBB: a serial input filter, a parallel filter running `heavy` on batches of 64, a serial
// in-order sum; the arena limits it to state.range(0) threads.
void BM_Heavy_TbbParallelFilter(benchmark::State& state) {
  calibrate();
  const auto& xs = heavy_input();
  oneapi::tbb::task_arena arena(static_cast<int>(state.range(0)));
  constexpr std::size_t chunk = 64;
  for (auto _ : state) {
    std::size_t next = 0;
    std::uint64_t total = 0;
    arena.execute([&] {
      oneapi::tbb::parallel_pipeline(
          8, oneapi::tbb::make_filter<void, std::pair<std::size_t, std::size_t>>(
                 oneapi::tbb::filter_mode::serial_in_order,
                 [&](oneapi::tbb::flow_control& fc) {
                   if (next == xs.size()) {
                     fc.stop();
                     return std::pair<std::size_t, std::size_t>{};
                   }
                   const std::size_t n = std::min(chunk, xs.size() - next);
                   std::pair<std::size_t, std::size_t> range{next, next + n};
                   next += n;
                   return range;
                 }) &
                 oneapi::tbb::make_filter<std::pair<std::size_t, std::size_t>,
                                          std::vector<std::uint64_t>>(
                     oneapi::tbb::filter_mode::parallel,
                     [&](std::pair<std::size_t, std::size_t> r) {
                       std::vector<std::uint64_t> out;
                       out.reserve(r.second - r.first);
                       for (std::size_t i = r.first; i < r.second; ++i) out.push_back(heavy(xs[i]));
                       return out;
                     }) &
                 oneapi::tbb::make_filter<std::vector<std::uint64_t>, void>(
                     oneapi::tbb::filter_mode::serial_in_order,
                     [&](const std::vector<std::uint64_t>& out) {
                       for (std::uint64_t y : out) total += y;
                     }));
    });
    benchmark::DoNotOptimize(total);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * xs.size()));
}
BENCHMARK(BM_Heavy_TbbParallelFilter)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
