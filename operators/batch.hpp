// coflow/operators/batch.hpp
//
// ops::batch(n): groups the values into count windows of n, passed on as std::vector<In>.
//
//   auto batches = coflow::run(std::vector{1, 2, 3, 4, 5},
//                              coflow::ops::batch(2) | coflow::sinks::to_vector());
//   // {{1, 2}, {3, 4}, {5}}
//
// Semantics: values are moved into the current batch; when it holds n values it is passed on
//   and a new batch begins. At end of stream a partial batch (1 to n-1 values) is passed on
//   before end of stream goes downstream; an empty stream, or one whose length is a multiple
//   of n, outputs no empty batch. If downstream is done (a take(k) after it) when the stream
//   ends, the partial batch is dropped.
// Preconditions: n >= 1; batch(0) throws std::invalid_argument at the call.
// Exceptions: std::bad_alloc from the vector; what downstream throws propagates, and the batch
//   being passed on is lost.
// Cost: fused, no resume. One allocation per batch: the vector that is passed on, reserved
//   when its first value arrives (to n values, or to 4096 for a larger n, beyond which it
//   grows geometrically). Nothing is allocated for a stream that ends on a batch boundary.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "operators/detail/reserve_limit.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Down>
struct batch_node {
  bool push(In&& value) {
    if (pending.empty()) pending.reserve(reserve_for(size));
    pending.push_back(std::move(value));
    if (pending.size() < size) return true;
    return emit();
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() {
    if (!pending.empty() && !down.done()) (void)emit();
    return down.finish();
  }

  bool emit() {
    // Moved out before the push, so that whatever downstream does with the batch (keeps it,
    // drops it without moving from it, throws), the next one starts empty.
    std::vector<In> full = std::move(pending);
    pending.clear();  // a moved-from vector is valid but unspecified
    return down.push(std::move(full));
  }

  std::size_t size;
  std::vector<In> pending;
  Down down;
};

}  // namespace detail

namespace ops {

/// batch_stage is the description made by batch(n).
struct batch_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = std::vector<In>;

  std::size_t size;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::move_constructible<In>,
                  "coflow::ops::batch(n): the values must be move constructible to be stored "
                  "in a std::vector");
    using out = std::vector<In>;
    using down_type = decltype(make_down(std::type_identity<out>{}));
    return detail::batch_node<In, down_type>{size, {}, make_down(std::type_identity<out>{})};
  }
};

/// batch(n) passes the values on in vectors of n, the last one possibly shorter.
[[nodiscard]] inline batch_stage batch(std::size_t n) {
  if (n == 0) throw std::invalid_argument("coflow::ops::batch(n): n must be at least 1");
  return {{}, n};
}

}  // namespace ops

}  // namespace coflow
