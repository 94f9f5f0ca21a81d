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
//   of stream passes straight through. Welford's algorithm: one pass, no sum of squares, so
//   values with a large common offset (1e9 + {4, 7, 13, 16}) keep their precision. The result
//   is never negative.
// Numbers: IEEE arithmetic. A NaN makes every later variance NaN; so does an infinity, since
//   inf - inf is NaN (the variance of a set holding an infinity is undefined, as for
//   numpy.var). Finite values whose spread overflows a double give +inf.
// Exceptions: none of its own.
// Lifetime: the Welford state (count, mean, m2) lives in the bound node; every run of the
//   description starts afresh.
// Cost: fused: a handful of floating-point operations per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <type_traits>

#include "operators/detail/welford.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Down>
struct variance_node {
  bool push(In&& value) {
    state.add(static_cast<double>(value));
    if (state.count < 2) return true;
    return down.push(state.sample_variance());
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  welford state;
  Down down;
};

}  // namespace detail

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
    using down_type = decltype(make_down(std::type_identity<double>{}));
    return detail::variance_node<In, down_type>{{}, make_down(std::type_identity<double>{})};
  }
};

/// variance() outputs the running sample variance (a double) after each value from the second.
[[nodiscard]] inline variance_stage variance() { return {}; }

}  // namespace ops

}  // namespace coflow
