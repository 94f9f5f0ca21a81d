// coflow/operators/group_by.hpp
//
// sinks::group_by(key_fn, aggregate): a sink that runs a fresh copy of a sub-pipeline for each
// distinct key; the result is a std::map from each key to that copy's result.
//
//   struct reading { std::string sensor; double value; };
//   std::map<std::string, std::optional<double>> means = coflow::run(
//       readings, coflow::sinks::group_by(&reading::sensor,
//                                       coflow::ops::transform(&reading::value) |
//                                           coflow::ops::averager() | coflow::sinks::last()));
//
// Semantics: for each value v the key is std::invoke(key_fn, std::as_const(v)), decayed to a
//   value (Key; it must be std::totally_ordered). The first value with a new key binds a new
//   copy of `aggregate` (a runnable description: a sink or a chain ending in a sink) for it;
//   v is then moved into its key's group. A group whose aggregate is done (a take(n) that is
//   full) gets no more values; its later values are dropped. group_by itself is never done,
//   since a new key may come. At end of stream every group is finished in key order and the
//   result is std::map<Key, R> with R the aggregate's result (std::monostate when it is void).
//   An empty stream gives an empty map.
// Preconditions: `aggregate` is copy constructible (each group binds its own copy); a
//   coroutine object is move-only and runs once, so it cannot be an aggregate (a
//   compile-time error says so).
// Exceptions: what key_fn throws propagates and the value is lost (no group is made for it);
//   what binding or feeding a group throws propagates (the group made so far stays). If a
//   group throws while finishing, the exception propagates, the groups after it in key order
//   are not finished, and every group is destroyed with the pipeline.
// Lifetime: the sink owns key_fn and the aggregate description (lvalue arguments are copied,
//   rvalues moved); the map owns the bound groups.
// Cost: per value, one call of key_fn and one map lookup, O(log groups); a key that key_fn
//   returns by reference is copied only for a new group. Per new key, one map node and the
//   aggregate's own bind (coroutine frames, if it has coroutine stages).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <functional>
#include <map>
#include <tuple>
#include <type_traits>
#include <utility>

#include "operators/detail/branch.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class KeyFn>
using group_key_t = std::decay_t<std::invoke_result_t<KeyFn&, const In&>>;

template <class In, class KeyFn, class Aggregate>
class group_by_node {
  using key_type = group_key_t<In, KeyFn>;
  using node_type = branch_node_t<In, const Aggregate&>;

 public:
  group_by_node(KeyFn key_fn, Aggregate aggregate)
      : key_fn_(std::move(key_fn)), aggregate_(std::move(aggregate)) {}

  bool push(In&& value) {
    // Looked up as key_fn returns it, so that a key returned by reference (a pointer to a
    // data member) is copied only when it starts a new group.
    decltype(auto) key = std::invoke(key_fn_, std::as_const(value));
    auto it = groups_.lower_bound(key);
    if (it == groups_.end() || groups_.key_comp()(key, it->first)) {
      it = groups_.emplace_hint(it, std::piecewise_construct,
                                std::forward_as_tuple(std::forward<decltype(key)>(key)),
                                std::forward_as_tuple(coflow::bind_chain<In>(aggregate_)));
    }
    if (it->second.accepting()) it->second.push(std::move(value));
    return true;
  }

  [[nodiscard]] bool done() const { return false; }

  std::map<key_type, branch_result_t<node_type>> finish() {
    std::map<key_type, branch_result_t<node_type>> results;
    for (auto& [key, group] : groups_) results.emplace_hint(results.end(), key, group.finish());
    return results;
  }

 private:
  [[no_unique_address]] KeyFn key_fn_;
  Aggregate aggregate_;
  std::map<key_type, branch<In, node_type>> groups_;
};

}  // namespace detail

namespace sinks {

/// group_by_sink<KeyFn, Aggregate> is the description made by group_by(key_fn, aggregate).
template <class KeyFn, class Aggregate>
struct group_by_sink : sink_interface {
  KeyFn key_fn;
  Aggregate aggregate;

  template <class In>
  auto open() const& {
    check_input<In>();
    return detail::group_by_node<In, KeyFn, Aggregate>(key_fn, aggregate);
  }
  template <class In>
  auto open() && {
    check_input<In>();
    return detail::group_by_node<In, KeyFn, Aggregate>(std::move(key_fn), std::move(aggregate));
  }

 private:
  template <class In>
  static constexpr void check_input() {
    static_assert(std::invocable<KeyFn&, const In&>,
                  "coflow::sinks::group_by(key_fn, aggregate): key_fn must be callable with a "
                  "const In& (a function, a lambda, or a pointer to a data member)");
    static_assert(std::totally_ordered<detail::group_key_t<In, KeyFn>>,
                  "coflow::sinks::group_by(key_fn, aggregate): the key that key_fn returns must "
                  "be totally ordered (it is a std::map key): give it operator<=> or "
                  "transform it to one that is");
  }
};

/// group_by(key_fn, aggregate) runs a fresh copy of aggregate for each key; the result maps
/// each key to its copy's result.
template <class KeyFn, class Aggregate>
  requires std::move_constructible<std::decay_t<KeyFn>> && runnable<Aggregate>
[[nodiscard]] group_by_sink<std::decay_t<KeyFn>, std::decay_t<Aggregate>> group_by(
    KeyFn&& key_fn, Aggregate&& aggregate) {
  static_assert(std::copy_constructible<std::decay_t<Aggregate>>,
                "coflow::sinks::group_by(key_fn, aggregate): each key binds its own copy of the "
                "aggregate, so it must be copyable: a chain of operators ending in a sink (a "
                "coroutine object is move-only and runs once)");
  return {{}, std::forward<KeyFn>(key_fn), std::forward<Aggregate>(aggregate)};
}

}  // namespace sinks

}  // namespace coflow
