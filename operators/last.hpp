// coflow/operators/last.hpp
//
// sinks::last(): keeps the latest value; the result is a std::optional of it, empty for an
// empty stream (so the mean of nothing is "no mean", not NaN).
//
//   std::optional<double> mean = coflow::run(xs, coflow::ops::averager() | coflow::sinks::last());
//
// Semantics: takes every value and keeps the last one; never done.
// Exceptions: what the value's move assignment throws.
// Cost: one move assignment per value.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <optional>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In>
struct last_node {
  bool push(In&& value) {
    latest = std::move(value);
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  std::optional<In> finish() { return std::move(latest); }

  std::optional<In> latest;
};

}  // namespace detail

namespace sinks {

/// last_sink is the description made by last().
struct last_sink : sink_interface {
  template <class In>
  auto open() const {
    return detail::last_node<In>{};
  }
};

/// last() keeps the latest value.
[[nodiscard]] inline last_sink last() { return {}; }

}  // namespace sinks

}  // namespace coflow
