// Benchmarks for the sketches: the cost of hyperloglog<T>::add per value (integers and strings),
// of top_k<T>::add per value, and of exact distinct counting with std::unordered_set on the same
// data. Registrations only, run alone as //benchmarks:sketch_benchmarks:
//   ./bazelw run -c opt //benchmarks:sketch_benchmarks
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "operators/detail/sketch_hash.hpp"
#include "operators/hyperloglog.hpp"
#include "operators/top_k.hpp"

namespace {

// state.range(0) values of which about one in four is distinct; the same data for every
// benchmark of one type.
std::vector<std::uint64_t> integers(std::int64_t n) {
  std::vector<std::uint64_t> out(static_cast<std::size_t>(n));
  const auto distinct = static_cast<std::uint64_t>(n / 4 + 1);
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = coflow::detail::splitmix64(i) % distinct * 2654435761u;
  return out;
}

std::vector<std::string> strings(std::int64_t n) {
  std::vector<std::string> out;
  for (std::uint64_t v : integers(n)) out.push_back("user-" + std::to_string(v));
  return out;
}

void set_counters(benchmark::State& state, std::size_t values, double distinct) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * values));
  state.counters["distinct"] = distinct;
}

void BM_HyperLogLogAddInt(benchmark::State& state) {
  const auto data = integers(state.range(0));
  double estimate = 0;
  for (auto _ : state) {
    coflow::hyperloglog<std::uint64_t> h;
    for (std::uint64_t v : data) h.add(v);
    estimate = h.estimate();
    benchmark::DoNotOptimize(estimate);
  }
  set_counters(state, data.size(), estimate);
}
BENCHMARK(BM_HyperLogLogAddInt)->Arg(1 << 16)->Arg(1 << 20);

void BM_HyperLogLogAddString(benchmark::State& state) {
  const auto data = strings(state.range(0));
  double estimate = 0;
  for (auto _ : state) {
    coflow::hyperloglog<std::string> h;
    for (const std::string& v : data) h.add(v);
    estimate = h.estimate();
    benchmark::DoNotOptimize(estimate);
  }
  set_counters(state, data.size(), estimate);
}
BENCHMARK(BM_HyperLogLogAddString)->Arg(1 << 16)->Arg(1 << 20);

void BM_UnorderedSetDistinctInt(benchmark::State& state) {
  const auto data = integers(state.range(0));
  std::size_t distinct = 0;
  for (auto _ : state) {
    std::unordered_set<std::uint64_t> seen;
    for (std::uint64_t v : data) seen.insert(v);
    distinct = seen.size();
    benchmark::DoNotOptimize(distinct);
  }
  set_counters(state, data.size(), static_cast<double>(distinct));
}
BENCHMARK(BM_UnorderedSetDistinctInt)->Arg(1 << 16)->Arg(1 << 20);

void BM_UnorderedSetDistinctString(benchmark::State& state) {
  const auto data = strings(state.range(0));
  std::size_t distinct = 0;
  for (auto _ : state) {
    std::unordered_set<std::string> seen;
    for (const std::string& v : data) seen.insert(v);
    distinct = seen.size();
    benchmark::DoNotOptimize(distinct);
  }
  set_counters(state, data.size(), static_cast<double>(distinct));
}
BENCHMARK(BM_UnorderedSetDistinctString)->Arg(1 << 16)->Arg(1 << 20);

// Zipf-like integers: value k (k >= 1) with probability about 1 / (k H), so that a few values
// are heavy and most evict one another from the m = 100 counters.
std::vector<std::uint64_t> zipf(std::int64_t n) {
  std::vector<std::uint64_t> out(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double u = static_cast<double>(coflow::detail::splitmix64(i) >> 11) * 0x1p-53;
    out[i] = static_cast<std::uint64_t>(std::exp(u * std::log(static_cast<double>(n))));
  }
  return out;
}

void BM_TopKAddInt(benchmark::State& state) {
  const auto data = zipf(state.range(0));
  std::uint64_t top = 0;
  for (auto _ : state) {
    coflow::top_k<std::uint64_t> t(100);
    for (std::uint64_t v : data) t.add(v);
    top = t.top(1)[0].count;
    benchmark::DoNotOptimize(top);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.counters["top_count"] = static_cast<double>(top);
}
BENCHMARK(BM_TopKAddInt)->Arg(1 << 16)->Arg(1 << 20);

void BM_TopKAddString(benchmark::State& state) {
  std::vector<std::string> data;
  for (std::uint64_t v : zipf(state.range(0))) data.push_back("user-" + std::to_string(v));
  std::uint64_t top = 0;
  for (auto _ : state) {
    coflow::top_k<std::string> t(100);
    for (const std::string& v : data) t.add(v);
    top = t.top(1)[0].count;
    benchmark::DoNotOptimize(top);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * data.size()));
  state.counters["top_count"] = static_cast<double>(top);
}
BENCHMARK(BM_TopKAddString)->Arg(1 << 16)->Arg(1 << 20);

}  // namespace
