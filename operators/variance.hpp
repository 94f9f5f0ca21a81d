// coflow/operators/variance.hpp
//
// ops::variance(): passes on the running sample variance of the values seen so far.
//
//   std::optional<double> var = coflow::run(std::vector{2, 4, 4, 4, 5, 5, 7, 9},
//                                           coflow::ops::variance() | coflow::sinks::last());
//   // 32 / 7, the sample variance (n - 1 denominator)
//
// Semantics: takes arithmetic values, each converted to double. After each value from the
//   second on, outputs the sample variance sum((x - mean)^2) / (n - 1) of all values so far, a
//   double; the first value outputs nothing, since the sample variance of one value is
//   undefined (so `| sinks::last()` of a one-value stream is an empty optional, not NaN). End
//   of stream passes straight through. It is coflow::moments' variance (operators/
//   moments.hpp): Welford's algorithm on each value's distance from the first, scaled by a
//   power of two, so values with a large common offset (1e15 + {0, 0.25, ..., 1.5}) keep
//   every digit and no intermediate overflows or underflows. The result is never negative.
// Numbers: a NaN makes every later variance NaN; so does an infinity (the variance of a set
//   holding an infinity is undefined, as for numpy.var). Finite values give +inf only when
//   the variance itself exceeds the largest double ({1e200, -1e200}), and 0 only when it is
//   0 or below the smallest subnormal; ops::stddev stays accurate in both cases. Relative
//   error: Welford's, about n u times the spread of the deviations over the standard
//   deviation; the tests hold it to 1e-12.
// Exceptions: none of its own.
// Lifetime: the moments state lives in the bound node; every run of the description starts
//   afresh.
// Cost: fused: moments::add (a two-sum, a frexp, a division, a dozen other operations) and a
//   division per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <type_traits>

#include "operators/detail/moments_node.hpp"
#include "operators/moments.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace ops {

/// variance_stage is the description made by variance().
struct variance_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = double;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::ops::variance(): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    return detail::make_moments_node<In, &moments::variance>(make_down);
  }
};

/// variance() outputs the running sample variance (a double) after each value from the second.
[[nodiscard]] inline variance_stage variance() { return {}; }

}  // namespace ops

}  // namespace coflow
