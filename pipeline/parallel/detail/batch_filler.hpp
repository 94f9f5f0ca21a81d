// coflow/pipeline/parallel/detail/batch_filler.hpp
//
// Internal: how a stage that hands values to other threads in batches (thread_boundary,
// ordered_parallel) takes a span of values at once: copied into its pending batch in runs (one
// memmove for trivially copyable values) rather than one push_back each, the batch handed on
// each time it is full.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <span>
#include <vector>

namespace coflow::detail {

/// append_in_batches(pending, batch_size, values, send) appends `values` to `pending`, calling
/// send() whenever `pending` holds `batch_size` values or more, and once more at the end if it
/// is full then. send() returns false when the values are no longer wanted (append_in_batches
/// then returns false at once); a send() that leaves values in `pending` kept them for a waiting
/// push_async, and the rest of `values` joins them.
template <class In, std::invocable Send>
bool append_in_batches(std::vector<In>& pending, std::size_t batch_size, std::span<const In> values,
                       Send send) {
  while (!values.empty()) {
    if (pending.size() >= batch_size) {
      if (!send()) return false;
      if (!pending.empty()) {
        pending.insert(pending.end(), values.begin(), values.end());
        return true;
      }
    }
    const std::size_t n = std::min(values.size(), batch_size - pending.size());
    pending.insert(pending.end(), values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
    values = values.subspan(n);
  }
  if (pending.size() < batch_size) return true;
  return send();
}

}  // namespace coflow::detail
