// coflow/pipeline/ranges/through.hpp
//
// views::through(stage): a lazy range adapter that sends each element of a range through a
// push stage (any operator, coroutine stage or chain of them) and yields what comes out.
//
//   auto means = ranges::views::iota(1, 5)
//              | ranges::views::transform([](int x) { return double(x); })
//              | coflow::views::through(coflow::ops::averager());
//   // 1, 1.5, 2, 2.5
//
// Semantics: pulling the next element pushes source elements into the stage until it outputs
//   something (a filter may swallow several; a splitter may output several per element, which
//   are yielded one by one). When the source ends, end of stream goes into the stage and its
//   flush (a partial batch) is yielded before the view ends. When the stage is done (take(n)),
//   the view ends without reading the source further.
// The result is a coflow::generator: a single-pass input range and view for both the standard
//   library and range-v3 (range-for, ranges::to, further adapters).
// Exceptions: what the source or the stage throws reaches the code that advanced the view.
// Lifetime: an lvalue source is referred to (ranges::views::all), so it must outlive the view;
//   the stage is copied into the view, fresh for its one pass.
// Cost: one generator frame and one buffer per pass; outputs are buffered between the stage
//   and the consumer (the buffer is reused: no allocation per value after the first few).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <range/v3/range/concepts.hpp>
#include <range/v3/range/traits.hpp>
#include <range/v3/view/all.hpp>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/compose.hpp"
#include "pipeline/ranges/generator.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// Collects a stage's outputs for the generator to yield.
template <class U>
struct collect_node {
  bool push(U&& value) {
    buffer->push_back(std::move(value));
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  void finish() {}

  std::vector<U>* buffer;
};

template <class U>
struct collect_sink : sink_interface {
  std::vector<U>* buffer;

  template <class V>
  collect_node<U> open() const {
    static_assert(std::same_as<U, V>);
    return {buffer};
  }
};

// no_sanitize: clang 14's -fsanitize=function (part of `undefined`) cannot compile a coroutine
// function template ("Cannot represent a difference across sections", see feed.hpp); the body
// only calls functions that are checked themselves.
template <class U, class In, class Source, class Stage>
__attribute__((no_sanitize("undefined"))) generator<U> through_generator(Source source,
                                                                         Stage stage) {
  std::vector<U> buffer;
  auto head = bind_chain<In>(std::move(stage) | collect_sink<U>{{}, &buffer});
  if (!head.done()) {
    // Checks for done before advancing: a stage that is done reads no further element.
    for (auto it = ranges::begin(source); it != ranges::end(source); ++it) {
      const bool more = head.push(In(*it));
      for (U& value : buffer) co_yield std::move(value);
      buffer.clear();
      if (!more) break;
    }
  }
  head.finish();
  for (U& value : buffer) co_yield std::move(value);
}

}  // namespace detail

namespace views {

/// through_closure<Stage> is what through(stage) returns; `range | closure` makes the view.
template <class Stage>
struct through_closure {
  Stage stage;
};

/// through(stage) adapts a range by sending its elements through `stage`.
template <class Stage>
  requires stage_description<Stage> || coflow::detail::coroutine_stage_part<Stage>
[[nodiscard]] through_closure<std::remove_cvref_t<Stage>> through(Stage&& stage) {
  return {std::forward<Stage>(stage)};
}

/// range | through(stage): the lazy view of what stage outputs for range's elements.
template <ranges::viewable_range R, class Stage>
  requires ranges::input_range<R>
auto operator|(R&& range, through_closure<Stage> closure) {
  using in_type = ranges::range_value_t<R>;
  using out_type = output_t<Stage, in_type>;
  return detail::through_generator<out_type, in_type>(ranges::views::all(std::forward<R>(range)),
                                                      std::move(closure.stage));
}

}  // namespace views

}  // namespace coflow
