// coflow/pipeline/detail/promise_state.hpp
//
// Internal: what a coroutine's driver and its body exchange. The driver (coroutine_driver.hpp)
// writes the input and resumes; the body's promise (coroutine_promise.hpp) writes where it
// stopped, its output and its failure.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include "pipeline/detail/output_slot.hpp"
#include "pipeline/protocol_error.hpp"

namespace coflow::detail {

template <class>
inline constexpr bool always_false = false;

// Thrown by the resumer when the body destroyed its own owner; nothing may touch the owner.
class orphaned_error : public protocol_error {
 public:
  using protocol_error::protocol_error;
};

// Fn can take the coroutine's outputs (anything can, for a coroutine that outputs nothing).
template <class Fn, class Out>
struct accepts_output : std::bool_constant<std::invocable<Fn&, Out&&>> {};
template <class Fn>
struct accepts_output<Fn, void> : std::true_type {};

template <class Fn, class Out>
concept output_callback = accepts_output<Fn, Out>::value;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// A std::optional (of any reference category) whose value converts to Out.
template <class Optional, class Out>
concept optional_of_convertible = is_optional<std::remove_cvref_t<Optional>>::value &&
    std::convertible_to<typename std::remove_cvref_t<Optional>::value_type, Out>;

// Where a body stands. `running` is set by the resumer and replaced by the body when it
// suspends, so one load tells the hot path that the body waits for a value.
enum class point : unsigned char { start, receiving, receiving_batch, emitting, running, finished };

// Where the body stands, and whether its owner was destroyed while it ran.
struct run_control {
  point where = point::start;
  bool orphaned = false;  // the owner was destroyed while the body was running
};

// A body waiting at either kind of receive point.
constexpr bool waits_for_input(point where) noexcept {
  return where == point::receiving || where == point::receiving_batch;
}

template <class Result>
struct result_slot {
  std::optional<Result> result;
  template <std::convertible_to<Result> R>
  void return_value(R&& r) {
    result.emplace(std::forward<R>(r));
  }
};
template <>
struct result_slot<void> {
  void return_void() noexcept {}
};

// What an upstream coroutine stage needs of the stage it hands its replies to: where that stage
// stands and where its input goes. A promise is one (for its In), so that a reply can be handed
// over without knowing the downstream's Out and Result.
template <class In>
struct inlet {
  In* input = nullptr;  // the value for the receive point (the sender's); null: end of stream
  std::size_t input_count = 0;  // at a batch receive point: how many values `input` points to
  run_control control;
};

// An inlet that never takes a value: the downstream of a stage whose downstream is done, so
// that its replies take the driver's path, which drops them.
template <class In>
inline inlet<In> refusing_inlet{nullptr, 0, {point::finished, false}};

// Where a stage's replies go straight to (coroutine_stage.hpp links adjacent coroutine stages):
// the downstream's inlet and frame. Null: the driver hands them on.
template <class Out>
struct downstream_link {
  inlet<Out>* next = nullptr;
  std::coroutine_handle<> next_handle;
};
template <>
struct downstream_link<void> {};

// State shared by every promise: what the driver and the body exchange.
template <class In, class Out, class Result>
struct promise_state : inlet<In>, downstream_link<Out>, result_slot<Result> {
  [[no_unique_address]] output_slot<Out> out;
  std::exception_ptr failure;   // escaped the body; rethrown by the call that resumed it
  std::exception_ptr injected;  // from throw_into; raised at the point where the body waits
  bool eos_delivered = false;   // close() handed the body its end of stream
  // A run of linked stages returns to the driver of its first stage. A stage that stopped
  // anywhere but at a plain receive point (an emit, a batch point, the end, a reply its
  // downstream could not take) names itself in the chain's word, in the last linked stage's
  // promise, so that the driver makes one test after the run. Unlinked: its own word.
  void* pending = nullptr;
  void** chain = &pending;

  void need_driver() noexcept { *chain = this; }

  void raise_injected() {
    if (injected) [[unlikely]]
      rethrow_injected();
  }

  // Out of line and cold, so that the body's resume path needs no stack frame for it.
  [[noreturn, gnu::noinline, gnu::cold]] void rethrow_injected() {
    std::rethrow_exception(std::exchange(injected, nullptr));
  }
};

}  // namespace coflow::detail
