// coflow/operators/sliding.hpp
//
// ops::sliding(n): after each value, once n values have arrived, passes on the window of the
// last n values as a std::vector<In>, oldest first.
//
//   auto windows = coflow::run(std::vector{1, 2, 3, 4},
//                              coflow::ops::sliding(3) | coflow::sinks::to_vector());
//   // {{1, 2, 3}, {2, 3, 4}}
//
// Semantics: the first n-1 values output nothing; from the n-th on, each value outputs one
//   window (so a stream of m >= n values outputs m-n+1 windows, and a shorter stream none:
//   there are no partial windows, at the start or at end of stream). End of stream passes
//   straight through. sliding(1) outputs {v} for each v.
// Preconditions: n >= 1; sliding(0) throws std::invalid_argument at the call. The values must
//   be copyable: each is in n windows.
// Exceptions: std::bad_alloc; what the values' copies throw; what downstream throws.
// Cost: fused, no resume. The last n values live in a ring buffer, reserved when the first
//   value arrives (for n values, or for 4096 for a larger n, beyond which it grows
//   geometrically until it holds n values, so sliding(huge) over a short stream allocates
//   only what arrives); each value is moved into it, and each window is one allocation and n
//   copies.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

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
struct sliding_node {
  bool push(In&& value) {
    if (ring.size() < size) {
      // Until the ring is full, oldest is 0 and values are appended: growing it moves nothing
      // out of order.
      if (ring.empty()) ring.reserve(reserve_for(size));
      ring.push_back(std::move(value));
      if (ring.size() < size) return true;
    } else {
      ring[oldest] = std::move(value);  // overwrite the oldest value
      oldest = oldest + 1 == size ? 0 : oldest + 1;
    }
    std::vector<In> window;
    window.reserve(size);
    window.insert(window.end(), ring.begin() + static_cast<std::ptrdiff_t>(oldest), ring.end());
    window.insert(window.end(), ring.begin(), ring.begin() + static_cast<std::ptrdiff_t>(oldest));
    return down.push(std::move(window));
  }
  [[nodiscard]] bool done() const { return down.done(); }
  decltype(auto) finish() { return down.finish(); }

  std::size_t size;
  std::size_t oldest;  // index of the oldest value in a full ring
  std::vector<In> ring;
  Down down;
};

}  // namespace detail

namespace ops {

/// sliding_stage is the description made by sliding(n).
struct sliding_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output = std::vector<In>;

  std::size_t size;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::copy_constructible<In> && std::is_move_assignable_v<In>,
                  "coflow::ops::sliding(n): the values must be copyable (each one is in n "
                  "windows); for a move-only type, use batch(n) or keep handles to the values");
    using out = std::vector<In>;
    using down_type = decltype(make_down(std::type_identity<out>{}));
    return detail::sliding_node<In, down_type>{size, 0, {}, make_down(std::type_identity<out>{})};
  }
};

/// sliding(n) outputs the window of the last n values after each value, from the n-th on.
[[nodiscard]] inline sliding_stage sliding(std::size_t n) {
  if (n == 0) throw std::invalid_argument("coflow::ops::sliding(n): n must be at least 1");
  return {{}, n};
}

}  // namespace ops

}  // namespace coflow
