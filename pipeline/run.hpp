// coflow/pipeline/run.hpp
//
// run(range, pipeline): push every element of an input range through a pipeline, close it,
// and return the sink's result.
//
//   std::vector<double> readings = {...};
//   std::optional<double> mean =
//       coflow::run(readings, coflow::ops::filter(valid) | coflow::ops::averager() |
//                                 coflow::sinks::last());
//
// Semantics: the range is anything coflow::iterable (pipeline/iterable.hpp): any
// std::ranges::input_range (containers, generators, single-pass and infinite ranges) and
// range-v3's views, including those the standard's concepts reject (views::iota over 64-bit
// integers, and what is built on it); something else fails the concept at the call. run() stops
// pulling as soon as the pipeline
// is done (a take(3) downstream stops the source: the element after the last one taken is
// never read), then closes it; end of stream flows downstream and the result comes back.
// `pipeline` is a description (a chain ending in a sink, a sink, a consumer coroutine), bound
// fresh for this run, or an opened coflow::pipeline, which is used in place and closed.
// Elements are converted to the range's value type and moved into the first stage; a range of
// rvalue references (views::move) moves its elements. A contiguous range (a vector, an array,
// a span) whose first stage takes batches is handed on in spans of up to
// coflow::max_batch_size elements, without copies (see push_batch in stage.hpp): a coroutine
// waiting at `co_yield coflow::receive_batch` then resumes once per span.
// Exceptions: whatever a stage throws propagates out of run(), and every frame is destroyed.
// Cost: a bound description runs without the pipeline object, on the stack: no allocation
// beyond the frames of coroutine stages.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>

#include "pipeline/compose.hpp"
#include "pipeline/iterable.hpp"
#include "pipeline/pipeline.hpp"

namespace coflow {

namespace detail {

// A range that can be handed to `Head` in spans: a contiguous standard range.
template <class R, class Head>
concept batch_source = std::ranges::contiguous_range<R> && std::ranges::sized_range<R> &&
    std::same_as<std::remove_cvref_t<std::ranges::range_reference_t<R>>,
                 std::ranges::range_value_t<R>> &&
    batch_node_for<Head, std::ranges::range_value_t<R>>;

template <class T>
struct is_pipeline : std::false_type {};
template <class In, class Head>
struct is_pipeline<pipeline<In, Head>> : std::true_type {};

}  // namespace detail

/// run pushes each element of `range` into `p`, stops early once `p` is done, closes it and
/// returns its result.
template <iterable R, class P>
requires runnable<P> || detail::is_pipeline<std::remove_cvref_t<P>>::value decltype(auto) run(
    R&& range, P&& p) {
  using value_type = iterable_value_t<R>;
  auto first = detail::iterable_begin(range);
  auto last = detail::iterable_end(range);
  if constexpr (detail::is_pipeline<std::remove_cvref_t<P>>::value) {
    static_assert(
        std::convertible_to<iterable_reference_t<R>, typename std::remove_cvref_t<P>::input_type>,
        "coflow::run: the range's elements do not convert to the pipeline's input");
    for (; first != last && !p.done(); ++first) p.send(*first);
    return p.close();
  } else {
    auto head = bind_chain<value_type>(std::forward<P>(p));
    if constexpr (detail::batch_source<R, decltype(head)>) {
      if (!head.done()) {
        std::span<const value_type> rest(std::ranges::data(range), std::ranges::size(range));
        while (!rest.empty()) {
          const std::size_t size = std::min(rest.size(), max_batch_size);
          if (!head.push_batch(rest.first(size))) break;
          rest = rest.subspan(size);
        }
      }
    } else if (!head.done()) {
      for (; first != last; ++first) {
        if (!head.push(value_type(*first))) break;
      }
    }
    return head.finish();
  }
}

}  // namespace coflow
