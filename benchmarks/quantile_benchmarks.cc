// Quantile estimators on the same 2^20 values (normal, in a fixed random order): the cost per
// value, the memory kept, and the rank error of the median, p90 and p99, for
//   kll_sketch<double> (k = 200; k = 100 and 400 for the trade-off),
//   exact_quantiles<double> (the adds and the sort of the first query),
//   Boost.Accumulators' p_square_quantile (P², Jain and Chlamtac 1985; one accumulator per
//   quantile, each fed every value).
// Registrations only: linked into the throughput suite (//benchmarks:throughput).
//   ./bazelw run -c opt //benchmarks:throughput -- --benchmark_filter=quantile
// Counters: time_per_value (per value added, all three quantiles' accumulators for P²),
// memory_bytes (the values kept: retained() or the vector's capacity, times 8; sizeof for P²),
// max_rank_error (the largest |q - true rank| of the three answers, against a sorted copy;
// about 1/n for exact_quantiles, whose answers interpolate between two neighbours), and for
// KLL stated_rank_error, normalized_rank_error().
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <bit>
#include <boost/accumulators/accumulators.hpp>
#include <boost/accumulators/statistics/p_square_quantile.hpp>
#include <boost/accumulators/statistics/stats.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "operators/exact_quantiles.hpp"
#include "operators/kll_sketch.hpp"

namespace {

constexpr std::array<double, 3> quantiles = {0.5, 0.9, 0.99};

// The number of values: 2^20, or 1000 under COFLOW_BENCH_SMOKE=1 (the suite's smoke test).
std::int64_t size() {
  const char* smoke = std::getenv("COFLOW_BENCH_SMOKE");
  return smoke != nullptr && std::strcmp(smoke, "1") == 0 ? 1000 : std::int64_t{1} << 20;
}

struct input {
  std::vector<double> values;
  std::vector<double> sorted;
};

const input& data(std::size_t n) {
  static input in = [n] {
    input made;
    std::mt19937_64 rng(2024);
    std::normal_distribution<double> normal(100, 15);
    made.values.resize(n);
    for (double& x : made.values) x = normal(rng);
    made.sorted = made.values;
    std::sort(made.sorted.begin(), made.sorted.end());
    return made;
  }();
  return in;
}

// rank_error(v, q): how far q lies outside the true rank interval [#(< v), #(<= v)] / n.
double rank_error(const std::vector<double>& sorted, double v, double q) {
  const auto n = static_cast<double>(sorted.size());
  const auto below = std::lower_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
  const auto at_most = std::upper_bound(sorted.begin(), sorted.end(), v) - sorted.begin();
  return std::max({0.0, static_cast<double>(below) / n - q, q - static_cast<double>(at_most) / n});
}

void report(benchmark::State& state, std::size_t n, double memory_bytes, double error) {
  // Seconds per value, printed with its SI prefix ("28.5n" is 28.5 ns).
  state.counters["time_per_value"] =
      benchmark::Counter(static_cast<double>(n) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["memory_bytes"] = memory_bytes;
  state.counters["max_rank_error"] = error;
}

void BM_QuantileKll(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto k = static_cast<std::uint32_t>(state.range(1));
  const input& in = data(n);
  coflow::kll_sketch<double> sketch(k);
  for (auto _ : state) {
    sketch = coflow::kll_sketch<double>(k);
    for (double x : in.values) sketch.add(x);
    benchmark::DoNotOptimize(sketch.quantile(0.5));
  }
  double error = 0;
  for (double q : quantiles) error = std::max(error, rank_error(in.sorted, *sketch.quantile(q), q));
  report(state, n, static_cast<double>(sketch.retained() * sizeof(double)), error);
  state.counters["stated_rank_error"] = sketch.normalized_rank_error();
}
BENCHMARK(BM_QuantileKll)
    ->Name("quantile/kll_sketch")
    ->ArgNames({"n", "k"})
    ->Args({size(), 200})
    ->Args({size(), 100})
    ->Args({size(), 400})
    ->Unit(benchmark::kMillisecond);

void BM_QuantileExact(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const input& in = data(n);
  coflow::exact_quantiles<double> exact;
  std::size_t capacity = 0;
  for (auto _ : state) {
    exact = coflow::exact_quantiles<double>();
    for (double x : in.values) exact.add(x);
    benchmark::DoNotOptimize(exact.quantile(0.5));  // the first query sorts
    capacity = std::bit_ceil(n);  // libstdc++'s push_back doubles the vector from 1
  }
  double error = 0;
  for (double q : quantiles) error = std::max(error, rank_error(in.sorted, *exact.quantile(q), q));
  report(state, n, static_cast<double>(capacity * sizeof(double)), error);
}
BENCHMARK(BM_QuantileExact)
    ->Name("quantile/exact_quantiles")
    ->ArgName("n")
    ->Arg(size())
    ->Unit(benchmark::kMillisecond);

void BM_QuantileBoostPSquare(benchmark::State& state) {
  namespace acc = boost::accumulators;
  using p_square = acc::accumulator_set<double, acc::stats<acc::tag::p_square_quantile>>;
  const auto n = static_cast<std::size_t>(state.range(0));
  const input& in = data(n);
  std::vector<p_square> estimators;
  for (auto _ : state) {
    estimators.clear();
    for (double q : quantiles) estimators.emplace_back(acc::quantile_probability = q);
    for (double x : in.values)
      for (auto& e : estimators) e(x);
    benchmark::DoNotOptimize(acc::p_square_quantile(estimators[0]));
  }
  double error = 0;
  for (std::size_t i = 0; i < quantiles.size(); ++i)
    error =
        std::max(error, rank_error(in.sorted, acc::p_square_quantile(estimators[i]), quantiles[i]));
  report(state, n, static_cast<double>(estimators.size() * sizeof(p_square)), error);
}
BENCHMARK(BM_QuantileBoostPSquare)
    ->Name("quantile/boost_p_square")
    ->ArgName("n")
    ->Arg(size())
    ->Unit(benchmark::kMillisecond);

}  // namespace
