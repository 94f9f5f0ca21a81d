// coflow/pipeline/stage.hpp
//
// The stage protocol: what a pipeline is made of, and how to write an operator.
//
// A pipeline is built from *descriptions* and run as *nodes*:
//
//   auto p = coflow::ops::filter(is_valid) | coflow::ops::averager() | coflow::sinks::last();
//   //        ^ stage description            ^ stage description      ^ sink description
//   auto mean = coflow::run(readings, p);   // binds the descriptions into nodes, runs them
//
// A description says what to compute and holds its parameters (a predicate, a count); it does
// not know the element type. Binding it for an input type `In` makes a *node*, which holds the
// running state and, by value, the node downstream of it. So a pipeline is one object, with no
// pointers between its stages, and a description can be bound any number of times (each run
// gets fresh state).
//
// A node for input type In has three members:
//
//   bool push(In&& value);   // take one value; false once it wants no more (take(n) is full,
//                            // a coroutine stage finished). Never called again after false.
//   bool done() const;       // it wants no more values
//   auto finish();           // end of stream: flush, finish downstream, return the result
//
// and may have a fourth, the batched path:
//
//   bool push_batch(std::span<const In> values);   // take several values at once
//
// A pipeline fed from a contiguous range hands its values on in spans of at most
// coflow::max_batch_size, so that a stage that benefits from batches (a coroutine stage waiting
// at `co_yield coflow::receive_batch`, a filter compacting the values it keeps) receives them
// with one call. push_batch delivers the same values, in the same order, as pushing them one by
// one and stopping after the first push that returns false would, and returns what that last
// push would; detail::push_values(node, values) does it, with push_batch where the node has it.
// One difference is allowed, where the user's code asked for whole spans: a stage may then look
// at values past the point where its downstream became done (a filter or transform given
// coflow::lookahead tests or maps the whole span; a coroutine at `co_yield
// coflow::receive_batch` receives it); those values go no further. A stage must not run a
// user's callable that did not ask for it on such values: it takes the span value by value
// (or has no push_batch), so that a vector and a std::list give the same calls. The span is
// valid only during the call.
//
// Writing an operator (the stage protocol):
// - A stage description derives from coflow::stage_interface and has
//     template <class In> using output = ...;   // the type it outputs for input type In
//     template <class In, class MakeDown> auto bind(MakeDown make_down) const&  (and/or &&)
//   bind makes its downstream node with `make_down(std::type_identity<output<In>>{})` and
//   returns its own node holding it. Stating the output type lets adapters (views::through, a
//   thread boundary) know a stage's element type without binding it: coflow::output_t<P, In>
//   (compose.hpp) gives it for any stage, coroutine stage or chain. Binding a stage that does
//   not state it, or that binds its downstream for another type, does not compile.
// - A sink description derives from coflow::sink_interface and has
//     template <class In> auto open() const&  (and/or &&)
//   which returns a node whose finish() returns the pipeline's result.
// - Emitting several values per input, or flushing at end of stream, is calling the
//   downstream's push several times (or in finish(), before finishing downstream). Inside a
//   coroutine stage, the same is `co_yield coflow::emit(x)`.
// - A stage that needs no suspension is written as a node (a struct): its push inlines into
//   the upstream's, so adjacent stateless stages fuse into one call chain and cost no resume.
//   A coflow::coroutine<In, Out> is itself a stage: its replies and emits are its output.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>

namespace coflow {

/// stage_interface is the base of every stage description: it makes `|` apply and marks the
/// type as a stage. See the protocol above.
struct stage_interface {};

/// sink_interface is the base of every sink description.
struct sink_interface {};

namespace detail {

template <class T>
struct is_coroutine_type : std::false_type {};

}  // namespace detail

/// node_for<N, In> is a bound node that takes values of type In.
template <class N, class In>
concept node_for = requires(N& n, const N& cn, In&& v) {
  { n.push(static_cast<In&&>(v)) } -> std::same_as<bool>;
  { cn.done() } -> std::same_as<bool>;
  n.finish();
};

/// batch_node_for<N, In> is a node that also takes a span of values at once (push_batch).
template <class N, class In>
concept batch_node_for = node_for<N, In> && requires(N& n, std::span<const In> values) {
  { n.push_batch(values) } -> std::same_as<bool>;
};

/// max_batch_size is the most values a pipeline hands to one push_batch call, so that a stage
/// can collect what it passes on in a fixed buffer.
inline constexpr std::size_t max_batch_size = 256;

namespace detail {

/// push_values(node, values) pushes `values` into `node` in order, stopping after a push that
/// returns false; with node.push_batch where the node has it. Returns the last push's answer.
template <class In, node_for<In> Node>
bool push_values(Node& node, std::span<const In> values) {
  if constexpr (batch_node_for<Node, In>) {
    return node.push_batch(values);
  } else {
    // Unrolled: at -O2 the loop's own increment, compare and branch would cost as much as a
    // fused stage's work.
#pragma GCC unroll 4
    for (const In& value : values) {
      if (!node.push(In(value))) return false;
    }
    return true;
  }
}

}  // namespace detail

/// stage_description<S> is a stage type: an operator, or a coroutine with an output type.
template <class S>
concept stage_description = std::derived_from<std::remove_cvref_t<S>, stage_interface>;

/// sink_description<S> is a sink type: one of coflow::sinks, or a user's sink.
template <class S>
concept sink_description = std::derived_from<std::remove_cvref_t<S>, sink_interface>;

}  // namespace coflow
