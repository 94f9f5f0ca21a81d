// Workload "averager": the running mean of a filtered stream, summed.
//
//   for i in [0, n): x = reading(i); keep x % 3 != 0; mean = total / count after each kept x;
//   answer = the sum of the means.
//
// Every variant adds the same doubles in the same order, so all answers are bit-identical (the
// compensated pair to each other).
//
// "coflow" is the averager written as in Python, a coroutine between two fused stages: one
// coroutine stage; its means are added up naively, as the hand loop adds them. "coflow_sum"
// adds them with the library's compensated sinks::sum(), and its reference "hand_sum" with the
// same accumulator (coflow::sum_state). "bare_resume" is the floor: the averager as a bare
// C++20 coroutine without coflow's protocol, resumed by a hand loop; "least_protocol" the same
// with a state test and end of stream (bare_coroutine.hpp). "coflow_ops" is the library's
// fused ops::averager() (a compensated running mean, coflow::mean_state) into sinks::sum(); its
// reference is "hand_accurate", the hand loop of the same arithmetic ("hand_incremental" is the
// naive loop, mean += (x - mean) / n, for the cost of the accuracy).
//
// The batched path reads its input from memory (contiguous_readings, made once, outside the
// measurement): "hand_contiguous" is the hand loop over that vector, "coflow_contiguous" the
// Python-style pipeline over it, and "coflow_batch" the same pipeline with the averager written
// with `co_yield coflow::receive_batch`, which resumes once per span of up to 256 values.
#include <coroutine>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <optional>
#include <range/v3/numeric/accumulate.hpp>
#include <range/v3/view/filter.hpp>
#include <range/v3/view/iota.hpp>
#include <range/v3/view/transform.hpp>
#include <span>
#include <utility>
#include <vector>

#include "benchmarks/bare_coroutine.hpp"
#include "benchmarks/harness.hpp"
#include "operators/averager.hpp"
#include "operators/filter.hpp"
#include "operators/for_each.hpp"
#include "operators/mean_state.hpp"
#include "operators/sum.hpp"
#include "operators/sum_state.hpp"
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

// The hand loop of coflow_ops' own arithmetic: the compensated running mean (coflow::mean_state,
// as ops::averager keeps it) summed with the compensated sum (coflow::sum_state, as sinks::sum
// keeps it). coflow_ops against it is the library's cost; against hand_incremental, the
// library's cost and that of its accuracy.
answer hand_accurate(std::uint64_t n) {
  coflow::mean_state mean;
  coflow::sum_state<double> sum;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t x = reading(i);
    if (!kept(x)) continue;
    mean.add(static_cast<double>(x));
    sum.add(mean.mean());
  }
  return {sum.result()};
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

// Runs `stages` over `input` and adds up the means naively, as the hand loops and Boost's
// variant add them: the comparison is of the stages, not of two summation algorithms.
template <class Input, class Stages>
answer summed_naively(Input&& input, Stages stages) {
  double sum = 0;
  coflow::run(std::forward<Input>(input),
              std::move(stages) | coflow::sinks::for_each([&sum](double mean) { sum += mean; }));
  return {sum};
}

answer coflow_coroutine(std::uint64_t n) {
  return summed_naively(readings(n), coflow::ops::filter(kept) | python_averager());
}

// The hand loop with the compensated sum that coflow::sinks::sum keeps (coflow::sum_state).
answer hand_sum(std::uint64_t n) {
  double total = 0;
  std::uint64_t count = 0;
  coflow::sum_state<double> sum;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t x = reading(i);
    if (!kept(x)) continue;
    total += static_cast<double>(x);
    ++count;
    sum.add(total / static_cast<double>(count));
  }
  return {sum.result()};
}

answer coflow_sum(std::uint64_t n) {
  return {coflow::run(readings(n),
                      coflow::ops::filter(kept) | python_averager() | coflow::sinks::sum())};
}

// The floor: the same averager as a bare C++20 coroutine (bare_coroutine.hpp).
using bare_averager_stage = bare_stage<std::uint64_t, double>;

bare_averager_stage bare_averager(const bare_averager_stage::handle* self) {
  auto& p = self->promise();
  double total = 0;
  std::uint64_t count = 0;
  for (;;) {
    co_await std::suspend_always{};
    total += static_cast<double>(*p.in);
    ++count;
    p.out = total / static_cast<double>(count);
  }
}

// The floor with the least protocol (bare_coroutine.hpp): a state test and end of stream.
bare_averager_stage least_protocol_averager(const bare_averager_stage::handle* self) {
  auto& p = self->promise();
  double total = 0;
  std::uint64_t count = 0;
  while (const std::uint64_t* x = co_await receive_point<bare_averager_stage::promise_type>{p}) {
    total += static_cast<double>(*x);
    ++count;
    p.out = total / static_cast<double>(count);
  }
}

// The averager written as `body`, a bare stage, driven from the hand loop (bare_coroutine.hpp).
template <class Driving, auto body>
answer drive_bare_averager(std::uint64_t n) {
  bare_averager_stage::handle h;
  start_bare_stage(h, body);
  double sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t x = reading(i);
    if (!kept(x)) continue;
    if (!Driving::push(h, &x)) std::abort();
    sum += h.promise().out;
  }
  Driving::end(h);
  h.destroy();
  return {sum};
}

answer bare_resume(std::uint64_t n) { return drive_bare_averager<floor_driving, bare_averager>(n); }

answer least_protocol(std::uint64_t n) {
  return drive_bare_averager<least_protocol_driving, least_protocol_averager>(n);
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
  return summed_naively(contiguous_readings(n), coflow::ops::filter(kept) | python_averager());
}

answer coflow_batch(std::uint64_t n) {
  return summed_naively(contiguous_readings(n),
                        coflow::ops::filter(kept, coflow::lookahead) | batch_averager());
}

answer coflow_ops(std::uint64_t n) {
  return {coflow::run(readings(n),
                      coflow::ops::filter(kept) | coflow::ops::averager() | coflow::sinks::sum())};
}

const registrar registered[] = {
    registrar({"averager", "hand", "hand", 0, false, hand}),
    registrar({"averager", "range_v3", "hand", 0, false, range_v3}),
    registrar({"averager", "std_function", "hand", 0, false, std_function}),
    registrar({"averager", "bare_resume", "hand", 0, false, bare_resume}),
    registrar({"averager", "least_protocol", "hand", 0, false, least_protocol}),
    registrar({"averager", "coflow", "hand", 0, true, coflow_coroutine}),
    registrar({"averager", "hand_sum", "hand_sum", 0, false, hand_sum}),
    registrar({"averager", "coflow_sum", "hand_sum", 0, true, coflow_sum}),
    registrar({"averager", "hand_incremental", "hand_incremental", 0, false, hand_incremental}),
    registrar({"averager", "hand_accurate", "hand_accurate", 0, false, hand_accurate}),
    registrar({"averager", "coflow_ops", "hand_accurate", 0, true, coflow_ops}),
    registrar({"averager", "hand_contiguous", "hand", 0, false, hand_contiguous}),
    registrar({"averager", "coflow_contiguous", "hand_contiguous", 0, true, coflow_contiguous}),
    registrar({"averager", "coflow_batch", "hand_contiguous", 0, true, coflow_batch}),
};

}  // namespace
}  // namespace coflow_bench
