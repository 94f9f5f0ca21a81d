// Workload "instrumented": what coflow::instrumented costs on the averager workload's fused
// pipeline (filter | averager | sum, the "coflow_ops" variant there).
//
//   for i in [0, n): x = reading(i); keep x % 3 != 0; mean += (x - mean) / count; sum += mean
//
// "hand" is the hand loop of that formula, "coflow" the plain pipeline,
// "coflow_instrumented" the same pipeline instrumented with the default sampling (one input
// value in 256 timed), and "coflow_instrumented_every" with every value timed (two clock reads
// per stage per value). All four add the same doubles in the same order.
#include <cstdint>

#include "benchmarks/harness.hpp"
#include "operators/averager.hpp"
#include "operators/filter.hpp"
#include "operators/sum.hpp"
#include "pipeline/profile/instrumented.hpp"
#include "pipeline/run.hpp"

namespace coflow_bench {
namespace {

auto readings(std::uint64_t n) { return generated(n, reading); }

auto pipeline() {
  return coflow::ops::filter(kept) | coflow::ops::averager() | coflow::sinks::sum();
}

answer hand(std::uint64_t n) {
  double mean = 0;
  std::uint64_t count = 0;
  double sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t x = reading(i);
    if (!kept(x)) continue;
    ++count;
    mean += (static_cast<double>(x) - mean) / static_cast<double>(count);
    sum += mean;
  }
  return {sum};
}

answer plain(std::uint64_t n) { return {coflow::run(readings(n), pipeline())}; }

answer instrumented(std::uint64_t n) {
  return {coflow::run(readings(n), coflow::instrumented(pipeline()))};
}

answer instrumented_every(std::uint64_t n) {
  return {coflow::run(readings(n), coflow::instrumented(pipeline(), {.sample_every = 1}))};
}

const registrar registered[] = {
    registrar({"instrumented", "hand", "hand", 0, false, hand}),
    registrar({"instrumented", "coflow", "hand", 0, true, plain}),
    registrar({"instrumented", "coflow_instrumented", "hand", 0, true, instrumented}),
    registrar({"instrumented", "coflow_instrumented_every", "hand", 0, true, instrumented_every}),
};

}  // namespace
}  // namespace coflow_bench
