// coflow/operators/detail/welford.hpp
//
// The running mean and Welford's running variance shared by ops::averager, ops::variance and
// ops::stddev. Internal: users include those headers, not this one.
//
// Guarantees: no allocation, no exceptions. Non-finite values follow IEEE arithmetic: a NaN
// makes the mean and the variance NaN from then on; an infinity makes the mean that infinity
// (opposite infinities make it NaN) and the variance NaN, as for numpy.mean / numpy.var.
// Finite values whose difference overflows a double still give a finite mean.
#pragma once

#include <cmath>
#include <cstdint>

namespace coflow::detail {

/// next_mean returns the mean of n values, given the mean of the first n - 1 and the n-th.
/// The incremental form never sums the values, so a long stream of large integers cannot
/// overflow where their total would.
inline double next_mean(double mean, double x, std::uint64_t n) noexcept {
  if (n == 1) return x;  // exact, and keeps the sign of -0.0
  const double delta = x - mean;
  if (std::isfinite(delta)) return mean + delta / static_cast<double>(n);
  // An infinite or NaN operand: the mean of a set holding +inf is +inf, while mean + delta / n
  // would compute inf - inf = NaN as soon as a finite value follows. Plain addition gives the
  // IEEE answer (inf + finite = inf, inf + -inf = NaN, NaN stays NaN).
  if (!std::isfinite(mean) || !std::isfinite(x)) return mean + x;
  // Both finite but x - mean overflowed: divide before subtracting.
  return mean - mean / static_cast<double>(n) + x / static_cast<double>(n);
}

/// welford is the running state of Welford's algorithm: count, mean and the sum of squared
/// deviations from the mean (m2), updated in one pass without the catastrophic cancellation of
/// sum(x^2) - n * mean^2.
struct welford {
  /// add takes the next value.
  void add(double x) noexcept {
    ++count;
    const double old_mean = mean;
    mean = next_mean(mean, x, count);
    m2 += (x - old_mean) * (x - mean);
  }

  /// sample_variance is m2 / (count - 1), for count >= 2. Rounding can leave m2 a hair below
  /// zero, which is clamped to 0; NaN is kept (std::max(0.0, NaN) would turn it into 0).
  [[nodiscard]] double sample_variance() const noexcept {
    const double v = m2 / static_cast<double>(count - 1);
    return v < 0 ? 0.0 : v;
  }

  std::uint64_t count = 0;
  double mean = 0;
  double m2 = 0;
};

}  // namespace coflow::detail
