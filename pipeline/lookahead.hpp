// coflow/pipeline/lookahead.hpp
//
// coflow::lookahead: a promise, given to an operator with a user's callable, that the callable
// may be called on values the pipeline would never reach one by one.
//
//   auto p = coflow::ops::filter(valid, coflow::lookahead) | batched_averager() | ...;
//
// Fed from a contiguous range, a pipeline hands values on in spans (see push_batch in
// stage.hpp). By default an operator that runs user code (filter, transform) still calls it on
// one value at a time and stops as soon as its downstream is done, so the callable sees exactly
// the values it would see if they came one by one: a vector and a std::list give the same
// results and the same side effects. With coflow::lookahead it may instead call the callable on
// a whole span before passing the results on as one span (faster in front of a stage that takes
// spans), even on values after the point where its downstream became done (a take(n) after a
// batch stage is full): use it only for a callable without side effects that does not throw on
// such values.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

namespace coflow {

/// lookahead_t is the type of coflow::lookahead.
struct lookahead_t {
  explicit lookahead_t() = default;
};

/// lookahead lets an operator call its callable ahead of its downstream, on a whole span.
inline constexpr lookahead_t lookahead{};

}  // namespace coflow
