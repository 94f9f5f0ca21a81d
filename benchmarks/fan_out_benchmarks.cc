// Workload "fan_out": one stream teed into four aggregates, mean, min, max and variance.
//
//   for i in [0, n): x = reading(i); answer = {mean, min, max, sample variance} of all x.
//
// The mean is incremental (mean += (x - mean) / count) and the variance is Welford's, as the
// library computes them, so every variant gives bit-identical answers. The hand loop computes
// the variance once at the end (the limit); the aggregate stages of the other variants pass on
// their running value after each input, into a "last" sink, as a pipeline does. "coflow" tees
// into the library's fused operators; "coflow_coroutines" tees into the same four aggregates
// written as coroutines, which is what the Boost variant (four push_type coroutines fed in turn,
// in boost_fan_out.cc) compares with. range-v3 has no fan-out and is not measured here.
#include <cstdint>
#include <functional>
#include <optional>

#include "benchmarks/harness.hpp"
#include "operators/averager.hpp"
#include "operators/last.hpp"
#include "operators/maximize.hpp"
#include "operators/minimize.hpp"
#include "operators/tee.hpp"
#include "operators/variance.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/run.hpp"

namespace coflow_bench {
namespace {

auto readings(std::uint64_t n) { return generated(n, reading); }

answer hand(std::uint64_t n) {
  double mean = 0;
  std::uint64_t count = 0;
  std::uint64_t least = 0;
  std::uint64_t greatest = 0;
  welford spread;
  for (std::uint64_t i = 0; i < n; ++i) {
    const std::uint64_t x = reading(i);
    ++count;
    mean += (static_cast<double>(x) - mean) / static_cast<double>(count);
    if (count == 1 || x < least) least = x;
    if (count == 1 || greatest < x) greatest = x;
    spread.add(static_cast<double>(x));
  }
  return {mean, static_cast<double>(least), static_cast<double>(greatest),
          count < 2 ? 0.0 : spread.variance()};
}

answer std_function(std::uint64_t n) {
  double mean_out = 0;
  std::uint64_t least_out = 0;
  std::uint64_t greatest_out = 0;
  double variance_out = 0;
  std::function<void(std::uint64_t)> mean = [&mean_out, m = 0.0,
                                             count = std::uint64_t{0}](std::uint64_t x) mutable {
    ++count;
    m += (static_cast<double>(x) - m) / static_cast<double>(count);
    mean_out = m;
  };
  std::function<void(std::uint64_t)> least = [&least_out, seen = false](std::uint64_t x) mutable {
    if (!seen || x < least_out) least_out = x;
    seen = true;
  };
  std::function<void(std::uint64_t)> greatest = [&greatest_out,
                                                 seen = false](std::uint64_t x) mutable {
    if (!seen || greatest_out < x) greatest_out = x;
    seen = true;
  };
  std::function<void(std::uint64_t)> variance = [&variance_out,
                                                 w = welford{}](std::uint64_t x) mutable {
    w.add(static_cast<double>(x));
    if (w.count >= 2) variance_out = w.variance();
  };
  std::function<void(std::uint64_t)> tee = [&](std::uint64_t x) {
    mean(x);
    least(x);
    greatest(x);
    variance(x);
  };
  for (std::uint64_t i = 0; i < n; ++i) tee(reading(i));
  return {mean_out, static_cast<double>(least_out), static_cast<double>(greatest_out),
          variance_out};
}

template <class Tuple>
answer to_answer(const Tuple& results) {
  const auto& [mean, least, greatest, variance] = results;
  return {mean.value_or(0.0), static_cast<double>(least.value_or(0)),
          static_cast<double>(greatest.value_or(0)), variance.value_or(0.0)};
}

answer coflow_ops(std::uint64_t n) {
  namespace ops = coflow::ops;
  namespace sinks = coflow::sinks;
  return to_answer(coflow::run(
      readings(n), sinks::tee(ops::averager() | sinks::last(), ops::minimize() | sinks::last(),
                              ops::maximize() | sinks::last(), ops::variance() | sinks::last())));
}

// The four aggregates written as coroutines, Python style.
coflow::coroutine<double, double> mean_coroutine() {
  double mean = 0;
  std::uint64_t count = 0;
  std::optional<double> out;
  while (auto x = co_yield out) {
    ++count;
    mean += (*x - mean) / static_cast<double>(count);
    out = mean;
  }
}

coflow::coroutine<std::uint64_t, std::uint64_t> min_coroutine() {
  std::optional<std::uint64_t> least;
  while (auto x = co_yield least) {
    if (!least || *x < *least) least = *x;
  }
}

coflow::coroutine<std::uint64_t, std::uint64_t> max_coroutine() {
  std::optional<std::uint64_t> greatest;
  while (auto x = co_yield greatest) {
    if (!greatest || *greatest < *x) greatest = *x;
  }
}

coflow::coroutine<double, double> variance_coroutine() {
  welford w;
  std::optional<double> out;
  while (auto x = co_yield out) {
    w.add(*x);
    if (w.count >= 2) out = w.variance();
  }
}

answer coflow_coroutines(std::uint64_t n) {
  namespace ops = coflow::ops;
  namespace sinks = coflow::sinks;
  return to_answer(coflow::run(
      readings(n),
      sinks::tee(mean_coroutine() | sinks::last(), min_coroutine() | sinks::last(),
                 max_coroutine() | sinks::last(), variance_coroutine() | sinks::last())));
}

const registrar registered[] = {
    registrar({"fan_out", "hand", "hand", 0, false, hand}),
    registrar({"fan_out", "std_function", "hand", 0, false, std_function}),
    registrar({"fan_out", "coflow", "hand", 0, true, coflow_ops}),
    registrar({"fan_out", "coflow_coroutines", "hand", 0, true, coflow_coroutines}),
};

}  // namespace
}  // namespace coflow_bench
