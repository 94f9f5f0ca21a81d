// coflow/operators/filter.hpp
//
// ops::filter(pred): passes on the values for which pred(value) is true.
//
//   auto odd = coflow::run(std::vector{1, 2, 3, 4, 5},
//                          coflow::ops::filter([](int x) { return x % 2 != 0; }) |
//                              coflow::sinks::to_vector());   // {1, 3, 5}
//
// Semantics: each value v is tested with pred(std::as_const(v)); when true it is moved on,
//   otherwise dropped. End of stream passes straight through.
// Exceptions: what pred throws propagates to the caller of send/run; the value is lost.
// Lifetime: the stage holds its own copy of pred (moved from the argument).
// Batches: in front of a stage that takes spans (a coroutine at `co_yield
//   coflow::receive_batch`), a span of trivial values is tested as a whole and the kept values
//   go on as one span, so pred sees the whole span even if downstream becomes done partway.
// Cost: stateless, fused: one inline call of pred per value, no resume, no allocation.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Pred, class Down>
struct filter_node {
  bool push(In&& value) {
    if (!pred(std::as_const(value))) return true;
    return down.push(std::move(value));
  }
  // Compacts the kept values into a buffer, without a branch per value, and passes them on.
  bool push_batch(std::span<const In> values) requires
      batch_node_for<Down, In> && std::is_trivial_v<In> {
    std::array<In, max_batch_size> kept;
    while (!values.empty()) {
      const std::size_t size = std::min(values.size(), max_batch_size);
      std::size_t count = 0;
#pragma GCC unroll 4
      for (const In& value : values.first(size)) {
        kept[count] = value;
        count += static_cast<bool>(pred(value)) ? 1 : 0;
      }
      if (count != 0 && !down.push_batch(std::span<const In>(kept.data(), count))) return false;
      values = values.subspan(size);
    }
    return true;
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  [[no_unique_address]] Pred pred;
  Down down;
};

}  // namespace detail

namespace ops {

/// filter_stage<Pred> is the description made by filter(pred).
template <class Pred>
struct filter_stage : stage_interface {
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
                  "coflow::ops::filter(pred): pred must be callable with a const In& and return "
                  "something testable as bool");
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::filter_node<In, Pred, down_type>{std::forward<P>(p),
                                                    make_down(std::type_identity<In>{})};
  }
};

/// filter(pred) keeps the values for which pred returns true.
template <class Pred>
  requires std::move_constructible<std::decay_t<Pred>>
[[nodiscard]] filter_stage<std::decay_t<Pred>> filter(Pred&& pred) {
  return {{}, std::forward<Pred>(pred)};
}

}  // namespace ops

}  // namespace coflow
