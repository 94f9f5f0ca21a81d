// coflow/pipeline/receive.hpp
//
// The operands of `co_yield` inside a coflow::coroutine body:
//
//   std::optional<In> v = co_yield reply;            // answer `reply`, then wait for a value
//   std::optional<In> v = co_yield coflow::receive;  // wait without answering
//   co_yield coflow::emit(x);                        // output x and go on without waiting
//
//   // The batched forms, for hot stages (see "Batches" in coroutine.hpp):
//   std::optional<std::span<const In>> b = co_yield coflow::receive_batch;
//   b = co_yield coflow::receive_batch(replies);     // output every value of `replies`, then
//                                                    // wait for the next batch
//
// `receive` and `reply` are receive points: the body waits there for the next value, and an
// empty optional means end of stream. `emit` is how a stage outputs several values for one
// input (a line into its words) or flushes at end of stream (a partial batch): it hands one
// value on and resumes at once, without consuming input.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <ranges>
#include <span>
#include <type_traits>
#include <utility>

namespace coflow {

/// receive_t is the type of `coflow::receive`.
struct receive_t {
  explicit receive_t() = default;
};

/// receive, as the operand of `co_yield`, waits for the next value without answering.
inline constexpr receive_t receive{};

/// batch_replies<T> carries the values that `co_yield coflow::receive_batch(replies)` outputs.
/// It views the body's own storage, which stays alive while the body waits.
template <class T>
struct batch_replies {
  std::span<const T> values;
};

/// receive_batch_t is the type of `coflow::receive_batch`.
struct receive_batch_t {
  explicit receive_batch_t() = default;

  /// receive_batch(replies) outputs every value of the contiguous range `replies` (a
  /// std::vector, std::array or std::span of the coroutine's Out), then waits for a batch.
  template <std::ranges::contiguous_range R>
    requires std::ranges::sized_range<R>
  [[nodiscard]] constexpr auto operator()(R&& replies) const {
    using value_type = std::ranges::range_value_t<R>;
    return batch_replies<value_type>{
        std::span<const value_type>(std::ranges::data(replies), std::ranges::size(replies))};
  }
};

/// receive_batch, as the operand of `co_yield`, waits for the next batch of values: a
/// std::optional<std::span<const In>>, empty at end of stream.
inline constexpr receive_batch_t receive_batch{};

/// emitted<T> carries a value to output with `co_yield coflow::emit(v)`.
template <class T>
struct emitted {
  T value;
};

/// emit(v) makes `co_yield coflow::emit(v)` output v and continue without waiting for input.
/// The value is moved (or copied, for an lvalue) into the coroutine's outbox.
///
/// gcc 12 miscompiles a braced temporary of an aggregate with a destructor inside a `co_yield`
/// expression: `co_yield coflow::emit(record{name, value})` (or `co_yield record{...}` as a
/// reply) destroys the temporary's members twice, a double free (clang is correct; it is not a
/// coflow bug and no signature of emit avoids it). Construct the value outside the coroutine
/// body's expression instead: `co_yield coflow::emit<record>(name, value)` (below), a function
/// that returns it, or a named local moved in.
template <class T>
[[nodiscard]] constexpr emitted<std::remove_cvref_t<T>> emit(T&& value) {
  return {std::forward<T>(value)};
}

/// emit<T>(args...) makes `co_yield coflow::emit<T>(args...)` output a T made from `args`
/// (with braces, so aggregates work): the form to use for a temporary, which is built here and
/// not in the coroutine body, where gcc 12 would destroy it twice (see emit(v)).
template <class T, class... Args>
[[nodiscard]] constexpr emitted<T> emit(Args&&... args) {
  return {T{std::forward<Args>(args)...}};
}

/// make<T>(args...) returns a T made from `args` with braces, for a reply built from fields:
/// `co_yield coflow::make<record>(name, value)`. It is the reply's twin of emit<T>(args...):
/// built outside the coroutine body's expression, so that gcc 12 does not destroy it twice.
template <class T, class... Args>
[[nodiscard]] constexpr T make(Args&&... args) {
  return T{std::forward<Args>(args)...};
}

}  // namespace coflow
