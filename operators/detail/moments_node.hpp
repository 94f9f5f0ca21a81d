// coflow/operators/detail/moments_node.hpp
//
// The node of ops::variance and ops::stddev: folds each value into a coflow::moments and, from
// the second value on, passes on one statistic of it. The statistic is a member function
// pointer given as a template argument, so the call is direct and inlined, as if the node
// named it; each operator keeps its own stage description, static_assert and documentation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <type_traits>

#include "operators/moments.hpp"

namespace coflow::detail {

/// moments_statistic is a moments member that answers one statistic (&moments::variance).
using moments_statistic = double (moments::*)() const noexcept;

template <class In, class Down, moments_statistic Statistic>
struct moments_node {
  bool push(In&& value) {
    state.add(static_cast<double>(value));
    if (state.count() < 2) return true;
    return down.push((state.*Statistic)());
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  moments state;
  Down down;
};

/// make_moments_node<In, Statistic>(make_down) binds the node to what make_down makes for its
/// double output.
template <class In, moments_statistic Statistic, class MakeDown>
auto make_moments_node(MakeDown& make_down) {
  using down_type = decltype(make_down(std::type_identity<double>{}));
  return moments_node<In, down_type, Statistic>{{}, make_down(std::type_identity<double>{})};
}

}  // namespace coflow::detail
