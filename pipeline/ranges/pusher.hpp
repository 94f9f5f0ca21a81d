// coflow/pipeline/ranges/pusher.hpp
//
// pusher(target): an output iterator that sends each value assigned through it into an opened
// pipeline or a started consumer coroutine, so that STL algorithms can drive a pipeline.
//
//   auto p = coflow::open<int>(coflow::ops::filter(is_even) | coflow::sinks::sum());
//   std::ranges::copy(xs, coflow::pusher(p));
//   std::transform(a.begin(), a.end(), coflow::pusher(p), square);
//   auto total = p.close();
//
// Semantics: `*it = v` is target.send(v). Once the target is done (a take(n) downstream is
//   full), further values are dropped: an algorithm cannot be told to stop, and the target
//   asked for no more. The target is not closed: close it yourself for its result.
// Exceptions: what send() throws propagates out of the assignment.
// Lifetime: the iterator refers to the target, which must outlive it.
// Cost: one send() per value.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>

namespace coflow {

/// pusher_target<P> is what a pusher can feed: something with send(v) and done().
template <class P>
concept pusher_target = requires(P& p) {
  { p.done() } -> std::convertible_to<bool>;
};

/// pusher_iterator<P> is the output iterator made by pusher(target).
template <pusher_target P>
class pusher_iterator {
 public:
  using iterator_category = std::output_iterator_tag;
  using value_type = void;
  using difference_type = std::ptrdiff_t;
  using pointer = void;
  using reference = void;

  pusher_iterator() = default;
  explicit pusher_iterator(P& target) noexcept : target_(std::addressof(target)) {}

  /// `*it = value` sends value into the target, unless the target is done.
  template <class V>
    requires requires(P& p, V&& v) { p.send(std::forward<V>(v)); }
  pusher_iterator& operator=(V&& value) {
    if (!target_->done()) target_->send(std::forward<V>(value));
    return *this;
  }

  pusher_iterator& operator*() noexcept { return *this; }
  pusher_iterator& operator++() noexcept { return *this; }
  pusher_iterator& operator++(int) noexcept { return *this; }

 private:
  P* target_ = nullptr;
};

/// pusher(target) returns an output iterator that sends into target.
template <pusher_target P>
[[nodiscard]] pusher_iterator<P> pusher(P& target) noexcept {
  return pusher_iterator<P>(target);
}

}  // namespace coflow
