// coflow/operators/transform.hpp
//
// ops::transform(fn): passes on fn(value) for each value.
//
//   auto celsius = coflow::run(fahrenheit, coflow::ops::transform([](double f) {
//                                return (f - 32) * 5 / 9;
//                              }) | coflow::sinks::to_vector());
//
// Semantics: each value is moved into fn; its result (an object type, not void) goes on.
//   End of stream passes straight through.
// Exceptions: what fn throws propagates to the caller of send/run.
// Lifetime: the stage holds its own copy of fn.
// Batches: fn sees exactly the values it would see one by one: a span from a contiguous range
//   is mapped value by value, each result is pushed on before fn is called on the next value,
//   and the transform stops as soon as downstream is done (a vector and a std::list give the
//   same calls). transform(fn, coflow::lookahead) promises that fn has no side effects and
//   does not throw (pipeline/lookahead.hpp): in front of a stage that takes spans, a span is
//   then mapped as a whole into a buffer of trivial results that goes on as one span, so fn
//   may see values past the point where downstream became done.
// Cost: stateless, fused: one inline call of fn per value, no resume, no allocation. With
//   lookahead in front of a batch stage, one downstream call per span. Pass a lambda or
//   coflow::fn<f> (pipeline/fn.hpp), not a function by name: `transform(to_celsius)` stores a
//   function pointer, which GCC does not inline here (the stateless benchmark costs 1.5x the
//   instructions of the same chain with coflow::fn<to_celsius>; see benchmarks/RESULTS.md).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
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
template <class In, class Out, class Fn, class Down, class Lookahead>
struct transform_node {
  bool push(In&& value) { return down.push(Out(std::invoke(fn, std::move(value)))); }
  // Only with lookahead: fn runs on the whole span before downstream sees any of it.
  bool push_batch(std::span<const In> values) requires Lookahead::value
      && batch_node_for<Down, Out> && std::is_trivial_v<Out> && std::copy_constructible<In> {
    std::array<Out, max_batch_size> mapped;
    while (!values.empty()) {
      const std::size_t size = std::min(values.size(), max_batch_size);
#pragma GCC unroll 4
      for (std::size_t i = 0; i < size; ++i) mapped[i] = Out(std::invoke(fn, In(values[i])));
      if (!down.push_batch(std::span<const Out>(mapped.data(), size))) return false;
      values = values.subspan(size);
    }
    return true;
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  [[no_unique_address]] Fn fn;
  Down down;
};

}  // namespace detail

namespace ops {

/// transform_stage<Fn, Lookahead> is the description made by transform(fn) (and, with
/// Lookahead, by transform(fn, coflow::lookahead)).
template <class Fn, bool Lookahead = false>
struct transform_stage : stage_interface {
  Fn fn;

  /// output<In> is the type it outputs for input In: what fn returns, as a value.
  template <class In>
  using output = std::remove_cvref_t<std::invoke_result_t<Fn&, In&&>>;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const& {
    return make_node<In>(fn, make_down);
  }
  template <class In, class MakeDown>
  auto bind(MakeDown make_down) && {
    return make_node<In>(std::move(fn), make_down);
  }

 private:
  template <class In, class F, class MakeDown>
  static auto make_node(F&& f, MakeDown& make_down) {
    static_assert(std::invocable<Fn&, In&&>,
                  "coflow::ops::transform(fn): fn must be callable with the stage's input");
    using out = output<In>;
    static_assert(!std::is_void_v<out>,
                  "coflow::ops::transform(fn): fn returns void; use sinks::for_each(fn) for a "
                  "side effect at the end of a pipeline");
    using down_type = decltype(make_down(std::type_identity<out>{}));
    return detail::transform_node<In, out, Fn, down_type, std::bool_constant<Lookahead>>{
        std::forward<F>(f), make_down(std::type_identity<out>{})};
  }
};

/// transform(fn) outputs fn(value) for each value.
template <class Fn>
  requires std::move_constructible<std::decay_t<Fn>>
[[nodiscard]] transform_stage<std::decay_t<Fn>> transform(Fn&& fn) {
  return {{}, std::forward<Fn>(fn)};
}

/// transform(fn, coflow::lookahead) outputs the same values, and may map a whole span with fn
/// before downstream sees it: for an fn without side effects that does not throw.
template <class Fn>
  requires std::move_constructible<std::decay_t<Fn>>
[[nodiscard]] transform_stage<std::decay_t<Fn>, true> transform(Fn&& fn, lookahead_t) {
  return {{}, std::forward<Fn>(fn)};
}

}  // namespace ops

}  // namespace coflow
