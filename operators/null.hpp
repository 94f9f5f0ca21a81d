// coflow/operators/null.hpp
//
// sinks::null(): takes every value and discards it; the result is void. Ends a pipeline that
// is run for its side effects (a repeater, a for_each upstream of it).
//
//   coflow::run(lines, coflow::ops::repeater(std::cout) | coflow::sinks::null());
//
// Semantics: never done. Exceptions: none. Cost: none beyond destroying the value.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In>
struct null_node {
  bool push(In&&) { return true; }
  [[nodiscard]] bool done() const { return false; }
  void finish() {}
};

}  // namespace detail

namespace sinks {

/// null_sink is the description made by null().
struct null_sink : sink_interface {
  template <class In>
  auto open() const {
    return detail::null_node<In>{};
  }
};

/// null() discards every value.
[[nodiscard]] inline null_sink null() { return {}; }

}  // namespace sinks

}  // namespace coflow
