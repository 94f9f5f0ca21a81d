// coflow/operators/tumbling_count.hpp
//
// ops::tumbling_count(n, state): aggregates each run of n consecutive values (windows that do
// not overlap) with a copy of `state`, a coflow::mergeable_aggregate, and outputs one
// coflow::window_result<R> per window (operators/window.hpp).
//
//   // sum of each 3 values: {index 0, first 0, count 3, 6}, {1, 3, 3, 15}, {2, 6, 1, 7}
//   auto sums = coflow::run(std::vector{1, 2, 3, 4, 5, 6, 7},
//                           coflow::ops::tumbling_count(3, my_sum{}) | coflow::sinks::to_vector());
//
// Semantics: window k holds the values numbered k*n to k*n + n - 1 (the first value is 0).
//   Each value is added to the window's state; when the n-th arrives, the window is output
//   with its result() and a fresh copy of `state` begins the next. At end of stream a partial
//   last window (1 to n-1 values) is output, with its count, before end of stream goes
//   downstream, so every value is in exactly one window; an empty stream, or one whose length
//   is a multiple of n, outputs no empty window. If downstream is done when the stream ends,
//   the partial window is not output.
// Preconditions: n >= 1; tumbling_count(0, ...) throws std::invalid_argument at the call.
// Exceptions: what the aggregate's add, result() or copy throws propagates to the caller of
//   push/run, and the window being built is lost; so does what downstream throws.
// Cost: fused, no resume. Per value one add; per window one result() and one copy of `state`.
//   Nothing is allocated for the window itself, whatever n (tumbling_count(SIZE_MAX, s) holds
//   one state).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "operators/aggregate.hpp"
#include "operators/window.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class A, class Down>
struct tumbling_count_node {
  bool push(In&& value) {
    if (count == 0) state = initial;
    state.add(static_cast<const typename A::value_type&>(value));
    ++count;
    if (count < size) return true;
    return emit();
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() {
    if (count != 0 && !down.done()) (void)emit();
    return down.finish();
  }

  bool emit() {
    // Reset before the push, so that whatever downstream does (or throws), the next value
    // begins a new window.
    window_result<aggregate_result_t<A>> out{index, index * size, count, state.result()};
    ++index;
    count = 0;
    return down.push(std::move(out));
  }

  std::uint64_t size;
  A initial;
  A state;
  std::uint64_t index = 0;
  std::uint64_t count = 0;
  Down down;
};

}  // namespace detail

namespace ops {

/// tumbling_count_stage<A> is the description made by tumbling_count(n, state).
template <mergeable_aggregate A>
struct tumbling_count_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = window_result<aggregate_result_t<A>>;

  std::uint64_t size;
  A initial;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::convertible_to<In, typename A::value_type>,
                  "coflow::ops::tumbling_count(n, state): the values must convert to the "
                  "aggregate's value_type");
    using down_type = decltype(make_down(std::type_identity<output<In>>{}));
    return detail::tumbling_count_node<In, A, down_type>{
        size, initial, initial, 0, 0, make_down(std::type_identity<output<In>>{})};
  }
};

/// tumbling_count(n, state) outputs the aggregate of each n consecutive values, and of the
/// last, shorter run at end of stream.
template <mergeable_aggregate A>
[[nodiscard]] tumbling_count_stage<A> tumbling_count(std::uint64_t n, A state) {
  if (n == 0) {
    throw std::invalid_argument("coflow::ops::tumbling_count(n, state): n must be at least 1");
  }
  return {{}, n, std::move(state)};
}

}  // namespace ops

}  // namespace coflow
