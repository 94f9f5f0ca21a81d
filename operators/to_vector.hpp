// coflow/operators/to_vector.hpp
//
// sinks::to_vector(): collects every value; the result is a std::vector of them, in order.
//
//   std::vector<int> xs = coflow::run(source, coflow::ops::take(3) | coflow::sinks::to_vector());
//
// Semantics: takes every value; never done. The result is the vector, moved out at close.
// Exceptions: std::bad_alloc from the vector.
// Cost: amortized O(1) per value (std::vector::push_back).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <utility>
#include <vector>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In>
struct to_vector_node {
  bool push(In&& value) {
    values.push_back(std::move(value));
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  std::vector<In> finish() { return std::move(values); }

  std::vector<In> values;
};

}  // namespace detail

namespace sinks {

/// to_vector_sink is the description made by to_vector().
struct to_vector_sink : sink_interface {
  template <class In>
  auto open() const {
    return detail::to_vector_node<In>{};
  }
};

/// to_vector() collects the values into a std::vector.
[[nodiscard]] inline to_vector_sink to_vector() { return {}; }

}  // namespace sinks

}  // namespace coflow
