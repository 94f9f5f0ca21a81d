// merge: partial aggregates from several workers combine into the result of one pass.
//
// Two "workers" each aggregate half of a stream with a pipeline ending in sinks::aggregate,
// write their states to bytes (as they would to a checkpoint, a queue or another machine),
// and a third reads the bytes back and merges them. Mean, standard deviation, extremes and the
// exact median come out the same as one pass over the whole stream; the sketches (KLL
// quantiles, HyperLogLog distinct count) merge into the sketch the whole stream would give.
#include <cstdint>
#include <cstdio>
#include <span>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/exact_quantiles.hpp"
#include "operators/hyperloglog.hpp"
#include "operators/kll_sketch.hpp"
#include "operators/moments.hpp"
#include "pipeline/run.hpp"

namespace {

// A worker: aggregates its values in a pipeline and returns the state as bytes.
template <class State>
std::vector<std::byte> worker(std::span<const double> values, State initial) {
  const State state = coflow::run(values, coflow::sinks::aggregate(std::move(initial)));
  std::vector<std::byte> bytes;
  state.serialize(bytes);
  return bytes;
}

// The reducer: reads every worker's bytes back and merges them.
template <class State>
State reduce(const std::vector<std::vector<std::byte>>& parts) {
  State total = State::deserialize(parts.front());
  for (std::size_t i = 1; i < parts.size(); ++i) total.merge(State::deserialize(parts[i]));
  return total;
}

}  // namespace

int main() {
  // Readings 0, 1, ..., 9999 scaled to 0.0 .. 99.99, and every value repeated once.
  std::vector<double> readings;
  for (int i = 0; i < 10'000; ++i) readings.push_back(i / 100.0);
  for (int i = 0; i < 10'000; ++i) readings.push_back(i / 100.0);
  const std::span<const double> all(readings);
  const auto first = all.first(all.size() / 2);
  const auto second = all.subspan(all.size() / 2);

  const auto m = reduce<coflow::moments>(
      {worker(first, coflow::moments{}), worker(second, coflow::moments{})});
  const auto one_pass = coflow::run(all, coflow::sinks::aggregate(coflow::moments{}));
  std::printf("count %llu, mean %.10g, stddev %.10g (one pass: %.10g, %.10g)\n",
              static_cast<unsigned long long>(m.count()), m.mean(), m.stddev(), one_pass.mean(),
              one_pass.stddev());

  const auto q =
      reduce<coflow::exact_quantiles<double>>({worker(first, coflow::exact_quantiles<double>{}),
                                               worker(second, coflow::exact_quantiles<double>{})});
  std::printf("exact median %.10g, p90 %.10g\n", *q.median(), *q.quantile(0.9));

  const auto kll = reduce<coflow::kll_sketch<double>>(
      {worker(first, coflow::kll_sketch<double>{}), worker(second, coflow::kll_sketch<double>{})});
  const double kll_median = *kll.median();
  std::printf("KLL median within its rank error: %s\n",
              kll_median > 50 - 100 * kll.normalized_rank_error() &&
                      kll_median < 50 + 100 * kll.normalized_rank_error()
                  ? "yes"
                  : "no");

  const auto hll =
      reduce<coflow::hyperloglog<double>>({worker(first, coflow::hyperloglog<double>{}),
                                           worker(second, coflow::hyperloglog<double>{})});
  const auto hll_one_pass =
      coflow::run(all, coflow::sinks::aggregate(coflow::hyperloglog<double>{}));
  std::printf("distinct about %llu (merged sketch equals the one-pass sketch: %s)\n",
              static_cast<unsigned long long>(hll.result()), hll == hll_one_pass ? "yes" : "no");
}
