// coflow/operators/drop.hpp
//
// ops::drop(n): drops the first n values and passes on the rest.
//
//   auto tail = coflow::run(std::vector{1, 2, 3, 4}, coflow::ops::drop(2) |
//                                                        coflow::sinks::to_vector());  // {3, 4}
//
// Semantics: the first n values are destroyed; every later one goes on. End of stream passes
//   straight through.
// Exceptions: none of its own.
// Cost: stateless apart from a counter, fused: no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <type_traits>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Down>
struct drop_node {
  bool push(In&& value) {
    if (remaining > 0) {
      --remaining;
      return true;
    }
    return down.push(std::move(value));
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  std::size_t remaining;
  Down down;
};

}  // namespace detail

namespace ops {

/// drop_stage is the description made by drop(n).
struct drop_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = In;

  std::size_t count;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::drop_node<In, down_type>{count, make_down(std::type_identity<In>{})};
  }
};

/// drop(n) drops the first n values.
[[nodiscard]] inline drop_stage drop(std::size_t n) { return {{}, n}; }

}  // namespace ops

}  // namespace coflow
