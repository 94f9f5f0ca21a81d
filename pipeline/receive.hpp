// coflow/pipeline/receive.hpp
//
// The operands of `co_yield` inside a coflow::coroutine body:
//
//   std::optional<In> v = co_yield reply;            // answer `reply`, then wait for a value
//   std::optional<In> v = co_yield coflow::receive;  // wait without answering
//   co_yield coflow::emit(x);                        // output x and go on without waiting
//
// `receive` and `reply` are receive points: the body waits there for the next value, and an
// empty optional means end of stream. `emit` is how a stage outputs several values for one
// input (a line into its words) or flushes at end of stream (a partial batch): it hands one
// value on and resumes at once, without consuming input.
#pragma once

#include <type_traits>
#include <utility>

namespace coflow {

/// receive_t is the type of `coflow::receive`.
struct receive_t {
  explicit receive_t() = default;
};

/// receive, as the operand of `co_yield`, waits for the next value without answering.
inline constexpr receive_t receive{};

/// emitted<T> carries a value to output with `co_yield coflow::emit(v)`.
template <class T>
struct emitted {
  T value;
};

/// emit(v) makes `co_yield coflow::emit(v)` output v and continue without waiting for input.
/// The value is moved (or copied, for an lvalue) into the coroutine's outbox.
template <class T>
[[nodiscard]] constexpr emitted<std::remove_cvref_t<T>> emit(T&& value) {
  return {std::forward<T>(value)};
}

}  // namespace coflow
