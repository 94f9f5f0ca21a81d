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
// Batches: pred sees exactly the values it would see one by one: a span from a contiguous range
//   is tested value by value, each kept value is pushed on before the next is tested, and the
//   filter stops as soon as downstream is done (a vector and a std::list give the same calls).
//   filter(pred, coflow::lookahead) promises that pred has no side effects and does not throw
//   (pipeline/lookahead.hpp): in front of a stage that takes spans (a coroutine at `co_yield
//   coflow::receive_batch`), a span of trivial values is then tested as a whole and the kept
//   values go on as one span, so pred may see values past the point where downstream became
//   done.
// Cost: stateless, fused: one inline call of pred per value, no resume, no allocation. With
//   lookahead in front of a batch stage, no branch per value and one downstream call per span.
//   Pass a lambda or coflow::fn<f> (pipeline/fn.hpp), not a function by name:
//   `filter(is_valid)` stores a function pointer, which GCC does not inline here (the stateless
//   benchmark costs 1.5x the instructions of the same chain with coflow::fn<is_valid>; see
//   benchmarks/RESULTS.md).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

#include "pipeline/fn.hpp"  // coflow::fn<f>, the inlinable form of a function name
#include "pipeline/lookahead.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// Lookahead is std::true_type or std::false_type (a type, not a bool, so that
// views::through can still find the output type among the node's template arguments).
template <class In, class Pred, class Down, class Lookahead>
struct filter_node {
  bool push(In&& value) {
    if (!pred(std::as_const(value))) return true;
    return down.push(std::move(value));
  }
  // Compacts the kept values into a buffer, without a branch per value, and passes them on.
  // Only with lookahead: pred runs on the whole span before downstream sees any of it.
  bool push_batch(std::span<const In> values) requires Lookahead::value
      && batch_node_for<Down, In> && std::is_trivial_v<In> {
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

/// filter_stage<Pred, Lookahead> is the description made by filter(pred) (and, with Lookahead,
/// by filter(pred, coflow::lookahead)).
template <class Pred, bool Lookahead = false>
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
    return detail::filter_node<In, Pred, down_type, std::bool_constant<Lookahead>>{
        std::forward<P>(p), make_down(std::type_identity<In>{})};
  }
};

/// filter(pred) keeps the values for which pred returns true.
template <class Pred>
  requires std::move_constructible<std::decay_t<Pred>>
[[nodiscard]] filter_stage<std::decay_t<Pred>> filter(Pred&& pred) {
  return {{}, std::forward<Pred>(pred)};
}

/// filter(pred, coflow::lookahead) keeps the same values, and may test a whole span with pred
/// before downstream sees it: for a pred without side effects that does not throw.
template <class Pred>
  requires std::move_constructible<std::decay_t<Pred>>
[[nodiscard]] filter_stage<std::decay_t<Pred>, true> filter(Pred&& pred, lookahead_t) {
  return {{}, std::forward<Pred>(pred)};
}

}  // namespace ops

}  // namespace coflow
