// coflow/operators/stddev.hpp
//
// ops::stddev(): passes on the running sample standard deviation of the values seen so far.
//
//   std::optional<double> sd = coflow::run(std::vector{2, 4, 4, 4, 5, 5, 7, 9},
//                                          coflow::ops::stddev() | coflow::sinks::last());
//   // sqrt(32 / 7)
//
// Semantics: the square root of the sample variance (see variance.hpp), with the same rule:
//   after each value from the second on, outputs sqrt(sum((x - mean)^2) / (n - 1)) over all
//   values so far, a double; the first value outputs nothing. coflow::moments' stddev, which
//   takes the square root before scaling back: it is bit for bit std::sqrt of ops::variance's
//   output whenever that is a normal double, and finite and accurate where the variance is
//   not representable (the stddev of {1e200, -1e200} is 1.414e200, of {1e-170, -1e-170}
//   1.414e-170). The result is never negative. End of stream passes straight through.
// Numbers: a NaN makes every later deviation NaN; so does an infinity (as for numpy.std).
//   Finite values give +inf only when the deviation itself exceeds the largest double.
// Exceptions: none of its own.
// Lifetime: the moments state lives in the bound node; every run of the description starts
//   afresh.
// Cost: fused: variance's operations and one std::sqrt per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <type_traits>

#include "operators/detail/moments_node.hpp"
#include "operators/moments.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace ops {

/// stddev_stage is the description made by stddev().
struct stddev_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = double;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::ops::stddev(): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    return detail::make_moments_node<In, &moments::stddev>(make_down);
  }
};

/// stddev() outputs the running sample standard deviation (a double) after each value from the
/// second.
[[nodiscard]] inline stddev_stage stddev() { return {}; }

}  // namespace ops

}  // namespace coflow
