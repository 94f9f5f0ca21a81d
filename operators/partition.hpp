// coflow/operators/partition.hpp
//
// sinks::partition(pred, if_true, if_false): a sink that routes each value to one of two
// sub-pipelines by a predicate; the result is the std::pair of theirs.
//
//   auto [evens, odds] = coflow::run(
//       std::vector{1, 2, 3, 4, 5},
//       coflow::sinks::partition([](int x) { return x % 2 == 0; }, coflow::sinks::to_vector(),
//                              coflow::ops::take(2) | coflow::sinks::to_vector()));
//   // evens == {2, 4}, odds == {1, 3}
//
// Semantics: each value v is tested with pred(std::as_const(v)) and moved into if_true when
//   the test is true, into if_false otherwise. Both branches are runnable descriptions (a
//   sink, a chain ending in a sink, or a consumer coroutine), bound for the partition's input
//   type. A value routed to a branch that is done is dropped; the partition is done when both
//   branches are. At end of stream if_true is finished, then if_false, and the result is
//   std::pair<R_true, R_false>, a void result being std::monostate.
// Exceptions: what pred throws propagates, and the value reaches neither branch; what a
//   branch throws propagates. If if_true throws while finishing, if_false is not finished (it
//   is destroyed, with its coroutine frames, when the pipeline is).
// Lifetime: the partition owns its predicate and branches (lvalue arguments are copied,
//   rvalues moved; a branch holding a coroutine object must be moved in).
// Cost: per value, one call of pred and one move; no allocation of its own.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

#include "operators/detail/branch.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Pred, class TrueNode, class FalseNode>
class partition_node {
 public:
  partition_node(Pred pred, TrueNode if_true, FalseNode if_false)
      : pred_(std::move(pred)), if_true_(std::move(if_true)), if_false_(std::move(if_false)) {}

  bool push(In&& value) {
    if (std::invoke(pred_, std::as_const(value))) {
      if (if_true_.accepting()) if_true_.push(std::move(value));
    } else {
      if (if_false_.accepting()) if_false_.push(std::move(value));
    }
    return !done();
  }

  [[nodiscard]] bool done() const { return !if_true_.accepting() && !if_false_.accepting(); }

  auto finish() {
    using result = std::pair<branch_result_t<TrueNode>, branch_result_t<FalseNode>>;
    return result{if_true_.finish(), if_false_.finish()};  // braced: left to right
  }

 private:
  [[no_unique_address]] Pred pred_;
  branch<In, TrueNode> if_true_;
  branch<In, FalseNode> if_false_;
};

}  // namespace detail

namespace sinks {

/// partition_sink<Pred, IfTrue, IfFalse> is the description made by partition(...).
template <class Pred, class IfTrue, class IfFalse>
struct partition_sink : sink_interface {
  Pred pred;
  IfTrue if_true;
  IfFalse if_false;

  template <class In>
  auto open() const& {
    return open_with<In>(pred, if_true, if_false);
  }
  template <class In>
  auto open() && {
    return open_with<In>(std::move(pred), std::move(if_true), std::move(if_false));
  }

 private:
  template <class In, class P, class T, class F>
  static auto open_with(P&& p, T&& t, F&& f) {
    static_assert(std::predicate<Pred&, const In&>,
                  "coflow::sinks::partition(pred, if_true, if_false): pred must be callable with a "
                  "const In& and return something testable as bool");
    using true_node = detail::branch_node_t<In, T&&>;
    using false_node = detail::branch_node_t<In, F&&>;
    // Braced initialization binds (and starts) if_true before if_false.
    return detail::partition_node<In, Pred, true_node, false_node>{
        std::forward<P>(p), coflow::bind_chain<In>(std::forward<T>(t)),
        coflow::bind_chain<In>(std::forward<F>(f))};
  }
};

/// partition(pred, if_true, if_false) sends each value to if_true when pred holds for it, else
/// to if_false; the result is the pair of their results.
template <class Pred, class IfTrue, class IfFalse>
  requires std::move_constructible<std::decay_t<Pred>> && runnable<IfTrue> && runnable<IfFalse>
[[nodiscard]] partition_sink<std::decay_t<Pred>, std::decay_t<IfTrue>, std::decay_t<IfFalse>>
partition(Pred&& pred, IfTrue&& if_true, IfFalse&& if_false) {
  return {
      {}, std::forward<Pred>(pred), std::forward<IfTrue>(if_true), std::forward<IfFalse>(if_false)};
}

}  // namespace sinks

}  // namespace coflow
