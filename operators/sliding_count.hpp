// coflow/operators/sliding_count.hpp
//
// ops::sliding_count(n, step, state): aggregates windows of n consecutive values that begin
// every `step` values, with copies of `state`, a coflow::mergeable_aggregate, and outputs one
// coflow::window_result<R> per window (operators/window.hpp).
//
//   // sums of 3 values every 2: {0, first 0, count 3, 6}, {1, 2, 3, 12}, {2, 4, 1, 5}
//   auto sums = coflow::run(std::vector{1, 2, 3, 4, 5},
//                           coflow::ops::sliding_count(3, 2, my_sum{}) |
//                           coflow::sinks::to_vector());
//
// Semantics: window k holds the values numbered k*step to k*step + n - 1 (the first value is
//   0); it is output, in order of k, when its last value arrives. At end of stream every
//   window that has begun and not ended is output, oldest first, with its count (< n), so each
//   value is in the same number of windows (n/step when step divides n) as if the stream went
//   on; an empty stream outputs nothing. If downstream is done when the stream ends, the
//   partial windows are not output. sliding_count(n, n, s) gives tumbling_count(n, s)'s windows.
// Panes: the stream is cut into panes of g = gcd(n, step) values; each pane is aggregated in
//   a copy of `state` and every window is the merge of its n/g panes, in order. The panes are
//   kept in a queue made of two stacks (the back panes with their running merge, the front
//   ones as suffix merges), so that each pane is merged about three times in its life, whatever
//   n/step: the cost per value is one add plus O(1) amortized merges, not O(n).
// Preconditions: 1 <= step <= n (a step larger than n would skip values), else
//   std::invalid_argument at the call, naming the parameter. `state` must be the aggregate of
//   no values (what a default-constructed state is): panes start from copies of it and are
//   merged, so a state that already held values would be counted once per pane.
// Exceptions: what the aggregate's add, merge, result() or copies throw, std::bad_alloc and
//   what downstream throws propagate to the caller of push/run.
// Cost: fused, no resume. Per value one add; per pane one copy of `state` and amortized O(1)
//   merges; per window one copy and one merge. Memory: the states of the n/g panes of the
//   window being built (one for tumbling, up to n for step 1), allocated as they arrive, so
//   sliding_count(SIZE_MAX, 1, s) over a short stream allocates only for what arrives.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/window.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// pane_queue<A> is a FIFO of aggregate states that gives the merge of all of them, oldest
// first, in O(1) amortized merges per operation (the "two stacks" sliding aggregation).
template <class A>
class pane_queue {
 public:
  void push(A pane) {
    if (back_merged_) {
      back_merged_->merge(pane);
    } else {
      back_merged_ = pane;
    }
    back_.push_back(std::move(pane));
  }

  void pop() {
    if (front_.empty()) flip();
    front_.pop_back();
  }

  [[nodiscard]] bool empty() const { return front_.empty() && back_.empty(); }
  [[nodiscard]] std::size_t size() const { return front_.size() + back_.size(); }

  // merged() is the merge of every pane, oldest first. Precondition: !empty().
  [[nodiscard]] A merged() const {
    if (front_.empty()) return *back_merged_;
    A all = front_.back();
    if (back_merged_) all.merge(*back_merged_);
    return all;
  }

 private:
  // Moves the back panes to the front as suffix merges: front_.back() is the oldest pane merged
  // with every newer front pane.
  void flip() {
    front_.reserve(back_.size());
    for (std::size_t i = back_.size(); i-- > 0;) {
      if (!front_.empty()) back_[i].merge(front_.back());
      front_.push_back(std::move(back_[i]));
    }
    back_.clear();
    back_merged_.reset();
  }

  std::vector<A> front_;  // suffix merges, the oldest pane's last
  std::vector<A> back_;   // panes, oldest first
  std::optional<A> back_merged_;
};

template <class In, class A, class Down>
struct sliding_count_node {
  bool push(In&& value) {
    if (pane_count == 0) pane = initial;
    pane.add(static_cast<const typename A::value_type&>(value));
    ++seen;
    if (++pane_count == pane_size) {
      pane_count = 0;
      panes.push(std::move(pane));
      if (seen - next * step == size) return emit(size);
    }
    return true;
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() {
    if (pane_count != 0) {
      pane_count = 0;
      panes.push(std::move(pane));
    }
    while (next * step < seen && !down.done()) (void)emit(seen - next * step);
    return down.finish();
  }

  // Outputs window `next`, of `count` values, then drops the panes the next window does not
  // hold.
  bool emit(std::uint64_t count) {
    window_result<aggregate_result_t<A>> out{next, next * step, count, panes.merged().result()};
    ++next;
    for (std::uint64_t i = step / pane_size; i > 0 && !panes.empty(); --i) panes.pop();
    return down.push(std::move(out));
  }

  std::uint64_t size;
  std::uint64_t step;
  std::uint64_t pane_size;
  A initial;
  A pane;
  std::uint64_t pane_count = 0;
  std::uint64_t seen = 0;
  std::uint64_t next = 0;  // the next window to output
  pane_queue<A> panes;
  Down down;
};

}  // namespace detail

namespace ops {

/// sliding_count_stage<A> is the description made by sliding_count(n, step, state).
template <mergeable_aggregate A>
struct sliding_count_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = window_result<aggregate_result_t<A>>;

  std::uint64_t size;
  std::uint64_t step;
  A initial;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::convertible_to<In, typename A::value_type>,
                  "coflow::ops::sliding_count(n, step, state): the values must convert to the "
                  "aggregate's value_type");
    using down_type = decltype(make_down(std::type_identity<output<In>>{}));
    return detail::sliding_count_node<In, A, down_type>{
        size,
        step,
        std::gcd(size, step),
        initial,
        initial,
        0,
        0,
        0,
        {},
        make_down(std::type_identity<output<In>>{})};
  }
};

/// sliding_count(n, step, state) outputs the aggregate of n consecutive values every step
/// values, and the windows begun but not ended at end of stream.
template <mergeable_aggregate A>
[[nodiscard]] sliding_count_stage<A> sliding_count(std::uint64_t n, std::uint64_t step, A state) {
  if (n == 0) {
    throw std::invalid_argument("coflow::ops::sliding_count(n, step, state): n must be at least 1");
  }
  if (step == 0 || step > n) {
    throw std::invalid_argument(
        "coflow::ops::sliding_count(n, step, state): step must be at least 1 and at most n");
  }
  return {{}, n, step, std::move(state)};
}

}  // namespace ops

}  // namespace coflow
