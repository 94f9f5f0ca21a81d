// coflow/operators/sum.hpp
//
// ops::sum(): passes on the running sum of the values seen so far.
// sinks::sum(): ends a pipeline; its result is the total.
//
//   auto totals = coflow::run(std::vector{1, 2, 3},
//                             coflow::ops::sum() | coflow::sinks::to_vector());
//   // {1, 3, 6}, as std::int64_t
//   std::int64_t total = coflow::run(std::vector{1, 2, 3}, coflow::sinks::sum());  // 6
//
// Semantics: takes arithmetic values and adds each, converted, to an accumulator of type
//   sum_accumulator_t<In>: std::int64_t for signed integers, std::uint64_t for unsigned ones
//   (bool counts as unsigned), and the wider of In and double for floating point. ops::sum()
//   outputs the accumulator after each value (one output per input; an empty stream outputs
//   nothing); sinks::sum() is never done and returns the total at end of stream, 0 for an
//   empty stream.
// Numbers: an integer sum that leaves the accumulator's range is an error, not a wrap: see
//   Exceptions. Floating-point sums are compensated (coflow::sum_state, operators/
//   sum_state.hpp): within 2 ulp of the exact sum unless the values cancel by a factor of
//   about 1/(n u), so {1e16, 1, -1e16} sums to 1 where plain additions give 0. A NaN makes
//   every later sum NaN, an infinity makes it that infinity, and opposite infinities make it
//   NaN; a running sum that passes the largest double becomes that infinity and stays so.
// Exceptions: std::overflow_error, naming the operator, from the push whose value would
//   overflow an integer accumulator; the accumulator keeps the last good sum. It propagates to
//   the caller of send/run, as every stage exception does.
// Lifetime: the total (a sum_state) lives in the bound node; every run of the description
//   starts from 0.
// Cost: fused: integers one checked addition per value, floating point a compare and four
//   additions; no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <type_traits>

#include "operators/sum_state.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace ops {

/// sum_accumulator_t<In> is the type in which sum() and sinks::sum() add values of type In.
template <class In>
  requires std::is_arithmetic_v<In>
using sum_accumulator_t = typename detail::sum_accumulator<In>::type;

}  // namespace ops

namespace detail {

template <class In, class Down>
struct sum_node {
  bool push(In&& value) {
    state.add(value, "coflow::ops::sum()");
    return down.push(ops::sum_accumulator_t<In>{state.result()});
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  sum_state<In> state;
  Down down;
};

}  // namespace detail

namespace ops {

/// sum_stage is the description made by ops::sum().
struct sum_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = sum_accumulator_t<In>;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::ops::sum(): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    using acc = sum_accumulator_t<In>;
    using down_type = decltype(make_down(std::type_identity<acc>{}));
    return detail::sum_node<In, down_type>{{}, make_down(std::type_identity<acc>{})};
  }
};

/// sum() outputs the running sum (a sum_accumulator_t<In>) after each value.
[[nodiscard]] inline sum_stage sum() { return {}; }

}  // namespace ops

namespace detail {

template <class In>
struct sum_sink_node {
  bool push(In&& value) {
    state.add(value, "coflow::sinks::sum()");
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  ops::sum_accumulator_t<In> finish() { return state.result(); }

  sum_state<In> state;
};

}  // namespace detail

namespace sinks {

/// sum_sink is the description made by sinks::sum().
struct sum_sink : sink_interface {
  template <class In>
  auto open() const {
    static_assert(std::is_arithmetic_v<In>,
                  "coflow::sinks::sum(): the values must be arithmetic (an integer or "
                  "floating-point type); transform them to a number first");
    return detail::sum_sink_node<In>{};
  }
};

/// sum() returns the total of the values, 0 for an empty stream.
[[nodiscard]] inline sum_sink sum() { return {}; }

}  // namespace sinks

}  // namespace coflow
