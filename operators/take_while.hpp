// coflow/operators/take_while.hpp
//
// ops::take_while(pred): passes on values while pred(value) is true; at the first value for
//   which it is false, drops that value and is done.
//
//   auto prefix = coflow::run(std::vector{1, 2, 7, 3},
//                             coflow::ops::take_while([](int x) { return x < 5; }) |
//                                 coflow::sinks::to_vector());   // {1, 2}
//
// Semantics: as range-v3's views::take_while: the failing value is not passed on, and run()
//   reads nothing after it. End of stream passes straight through.
// Exceptions: what pred throws propagates to the caller of send/run.
// Cost: stateless, fused: one inline call of pred per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <type_traits>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Pred, class Down>
struct take_while_node {
  bool push(In&& value) {
    if (!pred(std::as_const(value))) {
      stopped = true;
      return false;
    }
    return down.push(std::move(value));
  }
  [[nodiscard]] bool done() const { return stopped || down.done(); }
  decltype(auto) finish() { return down.finish(); }

  [[no_unique_address]] Pred pred;
  Down down;
  bool stopped = false;
};

}  // namespace detail

namespace ops {

/// take_while_stage<Pred> is the description made by take_while(pred).
template <class Pred>
struct take_while_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = In;

  Pred pred;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const& {
    return make_node<In>(pred, make_down);
  }
  template <class In, class MakeDown>
  auto bind(MakeDown make_down) && {
    return make_node<In>(std::move(pred), make_down);
  }

 private:
  template <class In, class P, class MakeDown>
  static auto make_node(P&& p, MakeDown& make_down) {
    static_assert(std::predicate<Pred&, const In&>,
                  "coflow::ops::take_while(pred): pred must be callable with a const In& and "
                  "return something testable as bool");
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::take_while_node<In, Pred, down_type>{std::forward<P>(p),
                                                        make_down(std::type_identity<In>{})};
  }
};

/// take_while(pred) passes on values until the first one for which pred is false.
template <class Pred>
  requires std::move_constructible<std::decay_t<Pred>>
[[nodiscard]] take_while_stage<std::decay_t<Pred>> take_while(Pred&& pred) {
  return {{}, std::forward<Pred>(pred)};
}

}  // namespace ops

}  // namespace coflow
