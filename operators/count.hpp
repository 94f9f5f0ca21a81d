// coflow/operators/count.hpp
//
// ops::count(): passes on the running count of the values seen so far.
// sinks::count(): ends a pipeline; its result is the number of values.
//
//   auto n = coflow::run(words, coflow::ops::filter(is_long) | coflow::sinks::count());
//   auto seen = coflow::run(std::vector{'a', 'b'}, coflow::ops::count() |
//                                                  coflow::sinks::to_vector());  // {1, 2}
//
// Semantics: takes values of any type, move-only ones included, and destroys them unread.
//   ops::count() outputs the count so far, a std::uint64_t, after each value (one output per
//   input; an empty stream outputs nothing). sinks::count() is never done and returns the
//   count at end of stream, 0 for an empty stream.
// Exceptions: none of its own.
// Lifetime: the count lives in the bound node; every run of the description starts from 0.
// Cost: fused: one increment per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstdint>
#include <type_traits>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Down>
struct count_node {
  bool push(In&&) { return down.push(std::uint64_t{++seen}); }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  std::uint64_t seen;
  Down down;
};

}  // namespace detail

namespace ops {

/// count_stage is the description made by ops::count().
struct count_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = std::uint64_t;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    using down_type = decltype(make_down(std::type_identity<std::uint64_t>{}));
    return detail::count_node<In, down_type>{0, make_down(std::type_identity<std::uint64_t>{})};
  }
};

/// count() outputs the number of values so far (a std::uint64_t) after each value.
[[nodiscard]] inline count_stage count() { return {}; }

}  // namespace ops

namespace detail {

template <class In>
struct count_sink_node {
  bool push(In&&) {
    ++seen;
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  std::uint64_t finish() { return seen; }

  std::uint64_t seen;
};

}  // namespace detail

namespace sinks {

/// count_sink is the description made by sinks::count().
struct count_sink : sink_interface {
  template <class In>
  auto open() const {
    return detail::count_sink_node<In>{0};
  }
};

/// count() returns the number of values, 0 for an empty stream.
[[nodiscard]] inline count_sink count() { return {}; }

}  // namespace sinks

}  // namespace coflow
