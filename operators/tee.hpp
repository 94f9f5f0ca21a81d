// coflow/operators/tee.hpp
//
// sinks::tee(branches...) / sinks::broadcast(branches...): a sink that fans each value out to
// several sub-pipelines; the result is a std::tuple of theirs, in order.
//
//   auto [mean, biggest, all] = coflow::run(
//       readings, coflow::sinks::tee(coflow::ops::averager() | coflow::sinks::last(),
//                                  coflow::ops::maximize() | coflow::sinks::last(),
//                                  coflow::sinks::to_vector()));
//
// Semantics: each branch is a runnable description (a sink, a chain ending in a sink, or a
//   consumer coroutine), bound for the tee's input type when the tee is. Each value goes to
//   every branch still taking values, in order: it is copied into each but the last of them
//   and moved into that last one. A branch that is done (a take(n) that is full) gets no more
//   values; the tee is done when every branch is, so run() stops pulling then. At end of
//   stream every branch is finished, in order, and the result is
//   std::tuple<R1, R2, ...> of their results, a void result being std::monostate.
// Preconditions: at least one branch. With two or more branches the values must be copy
//   constructible (a compile-time error says so); a single branch gets every value moved.
// Exceptions: if branch k throws while taking a value (or the copy made for it throws), the
//   exception propagates at once: branches 0..k-1 received the value, branches k+1.. did not.
//   If branch k throws while finishing, the exception propagates and the later branches are
//   not finished; they are destroyed, with every coroutine frame, when the pipeline is.
// Lifetime: the tee owns its branches; `tee(a, b)` copies lvalue descriptions and moves
//   rvalues (a branch holding a coroutine object must be moved in, and the tee then run as an
//   rvalue). An lvalue tee can be run any number of times, each run binding fresh branches.
// Cost: per value, one copy for each accepting branch but the last, one move, and a done()
//   check of each branch; for trivially copyable values (where a copy is a move) each branch
//   is asked once whether it takes values and its push says whether it still does. No
//   allocation of its own.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "operators/detail/branch.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class... Nodes>
class tee_node {
 public:
  explicit tee_node(Nodes... nodes) : branches_(branch<In, Nodes>(std::move(nodes))...) {}

  bool push(In&& value) {
    if constexpr (std::is_trivially_copyable_v<In> && sizeof...(Nodes) > 1) {
      // Copying is moving: each branch is asked once whether it takes values, and its push
      // says whether it still does.
      return push_copies(value, std::index_sequence_for<Nodes...>{});
    } else {
      push_all(value, std::index_sequence_for<Nodes...>{});
      return !done();
    }
  }

  [[nodiscard]] bool done() const {
    return std::apply([](const auto&... b) { return !(b.accepting() || ...); }, branches_);
  }

  std::tuple<branch_result_t<Nodes>...> finish() {
    // Braced initialization runs the finish() calls left to right.
    return std::apply(
        [](auto&... b) { return std::tuple<branch_result_t<Nodes>...>{b.finish()...}; }, branches_);
  }

 private:
  static constexpr std::size_t none = sizeof...(Nodes);

  template <std::size_t... I>
  void push_all(In& value, std::index_sequence<I...>) {
    std::size_t last = none;  // the last branch taking values gets the value moved
    ((std::get<I>(branches_).accepting() ? (void)(last = I) : (void)0), ...);
    (push_one<I>(value, last), ...);
  }

  template <std::size_t... I>
  bool push_copies(const In& value, std::index_sequence<I...>) {
    bool any_accepting = false;
    ((any_accepting |= push_copy<I>(value)), ...);
    return any_accepting;
  }

  template <std::size_t I>
  bool push_copy(const In& value) {
    auto& b = std::get<I>(branches_);
    return b.accepting() && b.push(In(value));
  }

  template <std::size_t I>
  void push_one(In& value, std::size_t last) {
    auto& b = std::get<I>(branches_);
    if (I > last || !b.accepting()) return;
    if constexpr (sizeof...(Nodes) == 1) {
      b.push(std::move(value));
    } else if (I == last) {
      b.push(std::move(value));
    } else {
      b.push(In(std::as_const(value)));
    }
  }

  std::tuple<branch<In, Nodes>...> branches_;
};

template <class In, class Tuple>
auto open_tee(Tuple&& descriptions) {
  return std::apply(
      []<class... Ds>(Ds&&... ds) {
        // Braced initialization binds (and starts) the branches left to right.
        return tee_node<In, branch_node_t<In, Ds&&>...>{
            coflow::bind_chain<In>(std::forward<Ds>(ds))...};
      },
      std::forward<Tuple>(descriptions));
}

}  // namespace detail

namespace sinks {

/// tee_sink<Branches...> is the description made by tee(branches...).
template <class... Branches>
struct tee_sink : sink_interface {
  std::tuple<Branches...> branches;

  template <class In>
  auto open() const& {
    check_input<In>();
    return detail::open_tee<In>(branches);
  }
  template <class In>
  auto open() && {
    check_input<In>();
    return detail::open_tee<In>(std::move(branches));
  }

 private:
  template <class In>
  static constexpr void check_input() {
    static_assert(sizeof...(Branches) == 1 || std::copy_constructible<In>,
                  "coflow::sinks::tee / broadcast: with two or more branches each value is copied "
                  "into all branches but the last, so the values must be copy constructible "
                  "(tee a move-only type into a single branch, or transform it to a copyable "
                  "handle first)");
  }
};

/// tee(branches...) sends each value to every branch; the result is the tuple of theirs.
template <class... Branches>
  requires(sizeof...(Branches) > 0 && (runnable<Branches> && ...))
[[nodiscard]] tee_sink<std::decay_t<Branches>...> tee(Branches&&... branches) {
  return {{}, std::tuple<std::decay_t<Branches>...>(std::forward<Branches>(branches)...)};
}

/// broadcast(branches...) is tee(branches...), under the name of the Python pipelines.
template <class... Branches>
  requires(sizeof...(Branches) > 0 && (runnable<Branches> && ...))
[[nodiscard]] tee_sink<std::decay_t<Branches>...> broadcast(Branches&&... branches) {
  return tee(std::forward<Branches>(branches)...);
}

}  // namespace sinks

}  // namespace coflow
