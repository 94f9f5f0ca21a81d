// coflow/operators/averager.hpp
//
// ops::averager(): passes on the running mean of the values seen so far, as a double.
//
//   std::optional<double> mean =
//       coflow::run(std::vector{10, 20, 60}, coflow::ops::averager() | coflow::sinks::last());
//   // outputs 10, 15, 30; mean == 30
//
// Semantics: takes arithmetic values; after each one, outputs the mean of all values so far
//   (one output per input). It is coflow::mean_state's mean (operators/mean_state.hpp): a
//   compensated sum of each value's distance from the first, so a stream of large
//   std::int64_t values cannot overflow, and the mean is within 2 ulp of the exact one unless
//   the deviations cancel by a factor of about 1/(n u) (1e9 + U(0, 1) over 10^6 values, and
//   {1e16, 1, -1e16}, come out right). For the variance too, use ops::variance or an
//   aggregate of coflow::moments. Each value is converted to double:
//   integers are exact up to 2^53, and a long double beyond double's range becomes an
//   infinity. End of stream passes straight through: an empty
//   stream outputs nothing, so `| sinks::last()` gives an empty optional, never NaN.
// Numbers: IEEE arithmetic. A NaN makes every later mean NaN; a +inf (-inf) makes every later
//   mean +inf (-inf) until the opposite infinity arrives, which makes it NaN (inf - inf).
//   Finite values always give a finite mean, even when their difference overflows a double.
// Exceptions: none of its own.
// Lifetime: the mean_state lives in the bound node; every run of the description starts
//   afresh.
// Cost: fused: mean_state::add and mean_state::mean per value (two divisions, an fma and
//   about twenty additions and compares), no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <type_traits>

#include "operators/mean_state.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Down>
struct averager_node {
  bool push(In&& value) {
    state.add(static_cast<double>(value));
    return down.push(state.mean());
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  mean_state state;
  Down down;
};

}  // namespace detail

namespace ops {

/// averager_stage is the description made by averager().
struct averager_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = double;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::ops::averager(): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    using down_type = decltype(make_down(std::type_identity<double>{}));
    return detail::averager_node<In, down_type>{{}, make_down(std::type_identity<double>{})};
  }
};

/// averager() outputs the running mean (a double) after each value.
[[nodiscard]] inline averager_stage averager() { return {}; }

}  // namespace ops

}  // namespace coflow
