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
// Semantics: the range is any std::ranges::input_range (containers, range-v3 views,
// generators, single-pass and infinite ranges). run() stops pulling as soon as the pipeline
// is done (a take(3) downstream stops the source: the element after the last one taken is
// never read), then closes it; end of stream flows downstream and the result comes back.
// `pipeline` is a description (a chain ending in a sink, a sink, a consumer coroutine), bound
// fresh for this run, or an opened coflow::pipeline, which is used in place and closed.
// Elements are converted to the range's value type and moved into the first stage; a range of
// rvalue references (views::move) moves its elements.
// Exceptions: whatever a stage throws propagates out of run(), and every frame is destroyed.
// Cost: a bound description runs without the pipeline object, on the stack: no allocation
// beyond the frames of coroutine stages.
#pragma once

#include <iterator>
#include <ranges>
#include <type_traits>
#include <utility>

#include "pipeline/compose.hpp"
#include "pipeline/pipeline.hpp"

namespace coflow {

namespace detail {

template <class T>
struct is_pipeline : std::false_type {};
template <class In, class Head>
struct is_pipeline<pipeline<In, Head>> : std::true_type {};

}  // namespace detail

/// run pushes each element of `range` into `p`, stops early once `p` is done, closes it and
/// returns its result.
template <std::ranges::input_range R, class P>
requires runnable<P> || detail::is_pipeline<std::remove_cvref_t<P>>::value decltype(auto) run(
    R&& range, P&& p) {
  using value_type = std::ranges::range_value_t<R>;
  auto first = std::ranges::begin(range);
  auto last = std::ranges::end(range);
  if constexpr (detail::is_pipeline<std::remove_cvref_t<P>>::value) {
    static_assert(std::convertible_to<std::ranges::range_reference_t<R>,
                                      typename std::remove_cvref_t<P>::input_type>,
                  "coflow::run: the range's elements do not convert to the pipeline's input");
    for (; first != last && !p.done(); ++first) p.send(*first);
    return p.close();
  } else {
    auto head = bind_chain<value_type>(std::forward<P>(p));
    if (!head.done()) {
      for (; first != last; ++first) {
        if (!head.push(value_type(*first))) break;
      }
    }
    return head.finish();
  }
}

}  // namespace coflow
