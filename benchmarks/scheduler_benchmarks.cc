// Benchmarks for the cooperative scheduler: task switches per second (tasks that yield in a
// loop), channel hand-offs per second (a producer and a consumer task), and event wake-ups.
// Registrations only: linked into the suite's binary, or run alone as
// //benchmarks:scheduler_benchmarks.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "pipeline/scheduler/channel.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/event.hpp"
#include "pipeline/scheduler/scheduler.hpp"
#include "pipeline/scheduler/sleep.hpp"
#include "pipeline/scheduler/task.hpp"

namespace {

coflow::task<> yield_loop(std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) co_await coflow::yield_now();
}

// state.range(0) tasks, each yielding 100'000 / tasks times: the cost of one switch (resume,
// suspend, queue append and pop) for a ready queue of that length.
void BM_SchedulerTaskSwitch(benchmark::State& state) {
  const std::int64_t tasks = state.range(0);
  const std::int64_t yields = 100'000 / tasks;
  std::int64_t switches = 0;
  for (auto _ : state) {
    coflow::scheduler s;
    for (std::int64_t t = 0; t < tasks; ++t) s.spawn(yield_loop(yields));
    s.run();
    switches += tasks * (yields + 1);  // every yield, and the final resume of each task
  }
  state.counters["switches/s"] =
      benchmark::Counter(static_cast<double>(switches), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerTaskSwitch)->Arg(2)->Arg(64)->Arg(4096);

coflow::task<> produce(coflow::channel<std::int64_t>& ch, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) co_await ch.send(i);
  ch.close();
}

coflow::task<> consume(coflow::channel<std::int64_t>& ch, std::int64_t& total) {
  while (std::optional<std::int64_t> v = co_await ch.receive()) total += *v;
}

// One producer and one consumer over a channel of capacity state.range(0) (0: rendezvous).
void BM_SchedulerChannelHandOff(benchmark::State& state) {
  constexpr std::int64_t values = 100'000;
  const auto capacity = static_cast<std::size_t>(state.range(0));
  std::int64_t handoffs = 0;
  for (auto _ : state) {
    coflow::scheduler s;
    coflow::channel<std::int64_t> ch(capacity);
    std::int64_t total = 0;
    s.spawn(produce(ch, values));
    s.spawn(consume(ch, total));
    s.run();
    benchmark::DoNotOptimize(total);
    if (total != values * (values - 1) / 2) {
      state.SkipWithError("the consumer received a wrong sum");
      return;
    }
    handoffs += values;
  }
  state.counters["handoffs/s"] =
      benchmark::Counter(static_cast<double>(handoffs), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerChannelHandOff)->Arg(0)->Arg(1)->Arg(64);

coflow::task<> ping(coflow::event& mine, coflow::event& theirs, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    co_await mine;
    mine.reset();
    theirs.set();
  }
}

// Two tasks waking each other through events.
void BM_SchedulerEventPingPong(benchmark::State& state) {
  constexpr std::int64_t rounds = 100'000;
  std::int64_t wakeups = 0;
  for (auto _ : state) {
    coflow::scheduler s;
    coflow::event a(true);
    coflow::event b;
    s.spawn(ping(a, b, rounds));
    s.spawn(ping(b, a, rounds));
    s.run();
    wakeups += 2 * rounds;
  }
  state.counters["wakeups/s"] =
      benchmark::Counter(static_cast<double>(wakeups), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerEventPingPong);

coflow::task<> sleep_loop(std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i)
    co_await coflow::sleep_for(std::chrono::milliseconds(1 + i % 7));
}

// state.range(0) tasks sleeping on virtual time: the cost of the timer heap.
void BM_SchedulerVirtualSleep(benchmark::State& state) {
  const std::int64_t tasks = state.range(0);
  const std::int64_t sleeps = 100'000 / tasks;
  std::int64_t total = 0;
  for (auto _ : state) {
    coflow::basic_scheduler<coflow::manual_clock> s;
    for (std::int64_t t = 0; t < tasks; ++t) s.spawn(sleep_loop(sleeps));
    s.run();
    total += tasks * sleeps;
  }
  state.counters["sleeps/s"] =
      benchmark::Counter(static_cast<double>(total), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SchedulerVirtualSleep)->Arg(16)->Arg(10'000);

}  // namespace
