// coflow/operators/detail/branch.hpp
//
// Internals of the sinks that hold sub-pipelines (sinks::tee, sinks::partition, sinks::group_by):
// a bound branch that remembers when it stopped taking values, and the type of its result.
// Not part of the public API.
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "pipeline/compose.hpp"

namespace coflow::detail {

/// branch_node_t<In, P> is the node that bind_chain<In> makes from a description of type P
/// (P = const D& binds a copy of it, P = D&& moves it).
template <class In, class P>
using branch_node_t = decltype(coflow::bind_chain<In>(std::declval<P>()));

/// branch_result_t<Node> is a branch's result as it is stored in a tuple, pair or map: the
/// node's finish() result, decayed, with void as std::monostate.
template <class Node>
using branch_result_t =
    std::conditional_t<std::is_void_v<decltype(std::declval<Node&>().finish())>, std::monostate,
                       std::remove_cvref_t<decltype(std::declval<Node&>().finish())>>;

/// branch<In, Node> is one bound sub-pipeline. It keeps the stage protocol for its holder:
/// once the node's push() said false it is never pushed to again, and a node that is done
/// from the start (a take(0)) is never pushed to at all.
template <class In, class Node>
class branch {
 public:
  explicit branch(Node node) : node_(std::move(node)) {}

  /// accepting is true while the branch takes values.
  [[nodiscard]] bool accepting() const { return !stopped_ && !node_.done(); }

  /// push hands one value to the branch and answers whether it still takes values.
  /// Precondition: accepting().
  bool push(In&& value) {
    stopped_ = !node_.push(std::move(value));
    return !stopped_;
  }

  /// finish ends the branch's stream and returns its result (std::monostate for void).
  branch_result_t<Node> finish() {
    if constexpr (std::is_void_v<decltype(node_.finish())>) {
      node_.finish();
      return {};
    } else {
      return node_.finish();
    }
  }

 private:
  Node node_;
  bool stopped_ = false;
};

}  // namespace coflow::detail
