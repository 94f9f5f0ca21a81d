// coflow/operators/aggregate.hpp
//
// Mergeable aggregates: a running aggregate whose state combines with another state of the same
// kind and round-trips through bytes, so that partial results from threads, worker processes
// and checkpoints combine into the result one pass over all the values would give.
//
//   coflow::moments a, b;                 // any type that models coflow::mergeable_aggregate
//   for (double x : first_half) a.add(x);
//   for (double x : second_half) b.add(x);
//   a.merge(b);                           // as if a had seen every value
//   std::vector<std::byte> bytes;
//   a.serialize(bytes);                   // to a checkpoint, a queue, another machine
//   auto c = coflow::moments::deserialize(bytes);
//
//   // In a pipeline: the running result after each value, or the final state.
//   coflow::run(values, coflow::ops::aggregate(coflow::moments{}) | coflow::sinks::last());
//   coflow::moments state = coflow::run(values, coflow::sinks::aggregate(coflow::moments{}));
//
// The protocol, for users' own aggregates:
//   using value_type = ...;                    // what add() takes
//   void add(const value_type&);               // fold one value
//   void merge(const A& other);                // fold another partial state of the same kind;
//                                              // the order of adds and merges must not matter
//                                              // beyond what the aggregate documents
//   auto result() const;                       // the current value of the aggregate
// and, to be serializable:
//   void serialize(std::vector<std::byte>& out) const;        // appends its bytes
//   static A deserialize(std::span<const std::byte> bytes);   // throws coflow::format_error
// A default-constructed state is the aggregate of no values (the identity of merge).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/stage.hpp"

namespace coflow {

/// mergeable_aggregate<A> is a running aggregate whose states merge (see above).
template <class A>
concept mergeable_aggregate = std::semiregular<A> &&
    requires(A& a, const A& other, const typename A::value_type& v) {
  a.add(v);
  a.merge(other);
  other.result();
};

/// serializable_aggregate<A> is a mergeable aggregate that round-trips through bytes.
template <class A>
concept serializable_aggregate = mergeable_aggregate<A> &&
    requires(const A& a, std::vector<std::byte>& out, std::span<const std::byte> in) {
  a.serialize(out);
  { A::deserialize(in) } -> std::same_as<A>;
};

/// aggregate_result_t<A> is the type of A's result().
template <mergeable_aggregate A>
using aggregate_result_t = std::remove_cvref_t<decltype(std::declval<const A&>().result())>;

namespace detail {

template <class In, class A, class Down>
struct aggregate_node {
  bool push(In&& value) {
    state.add(static_cast<const typename A::value_type&>(value));
    return down.push(aggregate_result_t<A>(state.result()));
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  A state;
  Down down;
};

template <class In, class A>
struct aggregate_sink_node {
  bool push(In&& value) {
    state.add(static_cast<const typename A::value_type&>(value));
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  A finish() { return std::move(state); }

  A state;
};

}  // namespace detail

namespace ops {

/// aggregate_stage<A> is the description made by ops::aggregate(state).
template <mergeable_aggregate A>
struct aggregate_stage : stage_interface {
  A initial;

  template <class In>
  using output = aggregate_result_t<A>;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::convertible_to<In, typename A::value_type>,
                  "coflow::ops::aggregate(state): the values must convert to the aggregate's "
                  "value_type");
    using down_type = decltype(make_down(std::type_identity<output<In>>{}));
    return detail::aggregate_node<In, A, down_type>{initial,
                                                    make_down(std::type_identity<output<In>>{})};
  }
};

/// aggregate(state) adds each value to a copy of `state` and outputs its result() after each.
/// Semantics: one output per input; end of stream passes through. Cost: the aggregate's add and
/// result per value, fused (no resume).
template <mergeable_aggregate A>
[[nodiscard]] aggregate_stage<A> aggregate(A state = {}) {
  return {{}, std::move(state)};
}

}  // namespace ops

namespace sinks {

/// aggregate_sink<A> is the description made by sinks::aggregate(state).
template <mergeable_aggregate A>
struct aggregate_sink : sink_interface {
  A initial;

  template <class In>
  auto open() const {
    static_assert(std::convertible_to<In, typename A::value_type>,
                  "coflow::sinks::aggregate(state): the values must convert to the aggregate's "
                  "value_type");
    return detail::aggregate_sink_node<In, A>{initial};
  }
};

/// aggregate(state) adds every value to a copy of `state` and returns the final state, which
/// can be merged with others, serialized, or asked for its result().
template <mergeable_aggregate A>
[[nodiscard]] aggregate_sink<A> aggregate(A state = {}) {
  return {{}, std::move(state)};
}

}  // namespace sinks

}  // namespace coflow
