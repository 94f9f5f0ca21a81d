// coflow/operators/maximize.hpp
//
// ops::maximize(): passes on the running maximum of the values seen so far.
//
//   auto highs = coflow::run(std::vector{1, 3, 2, 5},
//                            coflow::ops::maximize() | coflow::sinks::to_vector());  // {1, 3, 3,
//                            5}
//
// Semantics: takes values of any std::totally_ordered, copyable type (numbers, strings,
//   tuples, ...); after each one, outputs a copy of the largest value so far, of the input
//   type (one output per input). Of equal values the earliest is kept, as std::max does. End
//   of stream passes straight through: an empty stream outputs nothing.
// NaN: once a NaN has been seen the running maximum is NaN from then on (it propagates, like
//   numpy.maximum), instead of depending on where the NaN fell as with `<` alone.
// Exceptions: what the value type's comparison, copy or move throws.
// Lifetime: the bound node owns the maximum so far (a copy of the value); every run of the
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
struct maximize_node {
  bool push(In&& value) {
    if (!greatest) {
      greatest.emplace(std::move(value));
    } else if constexpr (std::floating_point<In>) {
      if (!std::isnan(*greatest) && (std::isnan(value) || *greatest < value)) *greatest = value;
    } else if (*greatest < value) {
      *greatest = std::move(value);
    }
    return down.push(In(*greatest));
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  std::optional<In> greatest;
  Down down;
};

}  // namespace detail

namespace ops {

/// maximize_stage is the description made by maximize().
struct maximize_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = In;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::totally_ordered<In>,
                  "coflow::ops::maximize(): the values must be totally ordered (==, <, ... "
                  "defined and consistent)");
    static_assert(std::copy_constructible<In>,
                  "coflow::ops::maximize(): the values must be copyable: the stage keeps the "
                  "maximum and outputs a copy of it after each value");
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::maximize_node<In, down_type>{std::nullopt, make_down(std::type_identity<In>{})};
  }
};

/// maximize() outputs the running maximum after each value.
[[nodiscard]] inline maximize_stage maximize() { return {}; }

}  // namespace ops

}  // namespace coflow
