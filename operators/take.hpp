// coflow/operators/take.hpp
//
// ops::take(n): passes on the first n values, then is done.
//
//   auto first3 = coflow::run(fibonacci(), coflow::ops::take(3) | coflow::sinks::to_vector());
//
// Semantics: the n-th value goes on and the stage is done at once, so run() stops pulling
//   from the source: an infinite source is read exactly n times. take(0) is done before the
//   first value. End of stream passes straight through.
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
struct take_node {
  bool push(In&& value) {
    ++taken;
    const bool more = down.push(std::move(value));
    return more && taken < limit;
  }
  [[nodiscard]] bool done() const { return taken >= limit || down.done(); }
  decltype(auto) finish() { return down.finish(); }

  std::size_t limit;
  std::size_t taken;
  Down down;
};

}  // namespace detail

namespace ops {

/// take_stage is the description made by take(n).
struct take_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = In;

  std::size_t count;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::take_node<In, down_type>{count, 0, make_down(std::type_identity<In>{})};
  }
};

/// take(n) passes on the first n values.
[[nodiscard]] inline take_stage take(std::size_t n) { return {{}, n}; }

}  // namespace ops

}  // namespace coflow
