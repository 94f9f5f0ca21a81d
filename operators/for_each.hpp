// coflow/operators/for_each.hpp
//
// sinks::for_each(fn): calls fn(value) for each value; the result is void.
//
//   coflow::run(xs, coflow::sinks::for_each([&](int x) { total += x; }));
//
// Semantics: each value is moved into fn; never done.
// Exceptions: what fn throws propagates to the caller of send/run.
// Lifetime: the sink holds its own copy of fn; state fn refers to must outlive the run.
// Cost: one inline call per value.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Fn>
struct for_each_node {
  bool push(In&& value) {
    std::invoke(fn, std::move(value));
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  void finish() {}

  [[no_unique_address]] Fn fn;
};

}  // namespace detail

namespace sinks {

/// for_each_sink<Fn> is the description made by for_each(fn).
template <class Fn>
struct for_each_sink : sink_interface {
  Fn fn;

  template <class In>
  auto open() const& {
    static_assert(std::invocable<Fn&, In&&>,
                  "coflow::sinks::for_each(fn): fn must be callable with the pipeline's values");
    return detail::for_each_node<In, Fn>{fn};
  }
  template <class In>
  auto open() && {
    static_assert(std::invocable<Fn&, In&&>,
                  "coflow::sinks::for_each(fn): fn must be callable with the pipeline's values");
    return detail::for_each_node<In, Fn>{std::move(fn)};
  }
};

/// for_each(fn) calls fn with each value.
template <class Fn>
  requires std::move_constructible<std::decay_t<Fn>>
[[nodiscard]] for_each_sink<std::decay_t<Fn>> for_each(Fn&& fn) {
  return {{}, std::forward<Fn>(fn)};
}

}  // namespace sinks

}  // namespace coflow
