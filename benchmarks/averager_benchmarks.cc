// Workload "averager": the running mean of a filtered stream, summed.
//
//   for i in [0, n): x = reading(i); keep x % 3 != 0; mean = total / count after each kept x;
//   answer = the sum of the means.
//
// Every variant adds the same doubles in the same order, so all answers are bit-identical.
// "coflow" is the averager written as in Python, a coroutine between two fused stages: one
// coroutine stage. "coflow_ops" is the library's fused ops::averager(), which updates the mean
// incrementally (mean += (x - mean) / n); its reference is "hand_incremental", the hand loop of
// that formula.
//
// The batched path reads its input from memory (contiguous_readings, made once, outside the
// measurement): "hand_contiguous" is the hand loop over that vector, "coflow_contiguous" the
// Python-style pipeline over it, and "coflow_batch" the same pipeline with the averager written
// with `co_yield coflow::receive_batch`, which resumes once per span of up to 256 values.
#include <cstdint>
#include <functional>
#include <optional>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <span>
#include <vector>

#include "benchmarks/harness.hpp"
#include "operators/averager.hpp"
#include "operators/filter.hpp"
#include "operators/sum.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/lookahead.hpp"
#include "pipeline/run.hpp"

namespace coflow_bench {
namespace {

// The input range: reading(0), ..., reading(n - 1).
auto readings(std::uint64_t n) { return generated(n, reading); }
auto range_v3_readings(std::uint64_t n) {
  return ranges::views::iota(std::uint64_t{0}, n) | ranges::views::transform(reading);
}

answer hand(std::uint64_t n) {
  double total = 0;
  std::uint64_t count = 0;
  double sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t x = reading(i);
    if (!kept(x)) continue;
    total += static_cast<double>(x);
    ++count;
    sum += total / static_cast<double>(count);
  }
  return {sum};
}

answer hand_incremental(std::uint64_t n) {
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

answer range_v3(std::uint64_t n) {
  double total = 0;
  std::uint64_t count = 0;
  // range-v3 has no scan with a state of two numbers; a transform whose function updates state
  // it refers to is the usual way, and is correct for this single pass.
  auto running_mean = [&total, &count](std::uint64_t x) {
    total += static_cast<double>(x);
    ++count;
    return total / static_cast<double>(count);
  };
  auto means =
      range_v3_readings(n) | ranges::views::filter(kept) | ranges::views::transform(running_mean);
  return {ranges::accumulate(means, 0.0)};
}

answer std_function(std::uint64_t n) {
  double sum = 0;
  std::function<void(double)> sink = [&sum](double mean) { sum += mean; };
  std::function<void(std::uint64_t)> averager =
      [&sink, total = 0.0, count = std::uint64_t{0}](std::uint64_t x) mutable {
        total += static_cast<double>(x);
        ++count;
        sink(total / static_cast<double>(count));
      };
  std::function<void(std::uint64_t)> filter = [&averager](std::uint64_t x) {
    if (kept(x)) averager(x);
  };
  for (std::uint64_t i = 0; i < n; ++i) filter(reading(i));
  return {sum};
}

// The averager as in Python: `while (term = yield average) ...`.
coflow::coroutine<double, double> python_averager() {
  double total = 0;
  std::uint64_t count = 0;
  std::optional<double> average;
  while (auto term = co_yield average) {
    total += *term;
    ++count;
    average = total / static_cast<double>(count);
  }
}

answer coflow_coroutine(std::uint64_t n) {
  return {coflow::run(readings(n),
                      coflow::ops::filter(kept) | python_averager() | coflow::sinks::sum())};
}

answer hand_contiguous(std::uint64_t n) {
  double total = 0;
  std::uint64_t count = 0;
  double sum = 0;
  for (const std::uint64_t x : contiguous_readings(n)) {
    if (!kept(x)) continue;
    total += static_cast<double>(x);
    ++count;
    sum += total / static_cast<double>(count);
  }
  return {sum};
}

// The averager, batched: one resume per span of values. The running state is copied into locals
// for the loop: the frame's variables could alias the means written through a double*, so the
// compiler would store and reload them for every value.
coflow::coroutine<std::uint64_t, double> batch_averager() {
  double total = 0;
  std::uint64_t count = 0;
  std::vector<double> means;
  auto batch = co_yield coflow::receive_batch;
  while (batch) {
    means.resize(batch->size());
    double running_total = total;
    std::uint64_t running_count = count;
    double* mean = means.data();
    for (const std::uint64_t x : *batch) {
      running_total += static_cast<double>(x);
      ++running_count;
      *mean++ = running_total / static_cast<double>(running_count);
    }
    total = running_total;
    count = running_count;
    batch = co_yield coflow::receive_batch(means);
  }
}

answer coflow_contiguous(std::uint64_t n) {
  return {coflow::run(contiguous_readings(n),
                      coflow::ops::filter(kept) | python_averager() | coflow::sinks::sum())};
}

answer coflow_batch(std::uint64_t n) {
  return {coflow::run(contiguous_readings(n), coflow::ops::filter(kept, coflow::lookahead) |
                                                  batch_averager() | coflow::sinks::sum())};
}

answer coflow_ops(std::uint64_t n) {
  return {coflow::run(readings(n),
                      coflow::ops::filter(kept) | coflow::ops::averager() | coflow::sinks::sum())};
}

const registrar registered[] = {
    registrar({"averager", "hand", "hand", 0, false, hand}),
    registrar({"averager", "range_v3", "hand", 0, false, range_v3}),
    registrar({"averager", "std_function", "hand", 0, false, std_function}),
    registrar({"averager", "coflow", "hand", 0, true, coflow_coroutine}),
    registrar({"averager", "hand_incremental", "hand_incremental", 0, false, hand_incremental}),
    registrar({"averager", "coflow_ops", "hand_incremental", 0, true, coflow_ops}),
    registrar({"averager", "hand_contiguous", "hand", 0, false, hand_contiguous}),
    registrar({"averager", "coflow_contiguous", "hand_contiguous", 0, true, coflow_contiguous}),
    registrar({"averager", "coflow_batch", "hand_contiguous", 0, true, coflow_batch}),
};

}  // namespace
}  // namespace coflow_bench
