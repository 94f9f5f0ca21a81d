// coflow/operators/minimize.hpp
//
// ops::minimize(): passes on the running minimum of the values seen so far.
//
//   auto lows = coflow::run(std::vector{5, 3, 4, 1},
//                           coflow::ops::minimize() | coflow::sinks::to_vector());  // {5, 3, 3, 1}
//
// Semantics: takes values of any std::totally_ordered, copyable type (numbers, strings,
//   tuples, ...); after each one, outputs a copy of the smallest value so far, of the input
//   type (one output per input). Of equal values the earliest is kept, as std::min does. End
//   of stream passes straight through: an empty stream outputs nothing.
// NaN: once a NaN has been seen the running minimum is NaN from then on (it propagates, like
//   numpy.minimum), instead of depending on where the NaN fell as with `<` alone.
// Exceptions: what the value type's comparison, copy or move throws.
// Lifetime: the bound node owns the minimum so far (a copy of the value); every run of the
//   description starts afresh.
// Cost: fused: one comparison and one copy per value, no resume, no allocation of its own.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cmath>
#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Down>
struct minimize_node {
  bool push(In&& value) {
    if (!least) {
      least.emplace(std::move(value));
    } else if constexpr (std::floating_point<In>) {
      if (!std::isnan(*least) && (std::isnan(value) || value < *least)) *least = value;
    } else if (value < *least) {
      *least = std::move(value);
    }
    return down.push(In(*least));
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  std::optional<In> least;
  Down down;
};

}  // namespace detail

namespace ops {

/// minimize_stage is the description made by minimize().
struct minimize_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = In;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::totally_ordered<In>,
                  "coflow::ops::minimize(): the values must be totally ordered (==, <, ... "
                  "defined and consistent)");
    static_assert(std::copy_constructible<In>,
                  "coflow::ops::minimize(): the values must be copyable: the stage keeps the "
                  "minimum and outputs a copy of it after each value");
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::minimize_node<In, down_type>{std::nullopt, make_down(std::type_identity<In>{})};
  }
};

/// minimize() outputs the running minimum after each value.
[[nodiscard]] inline minimize_stage minimize() { return {}; }

}  // namespace ops

}  // namespace coflow
