// coflow/pipeline/detail/coroutine_promise.hpp
//
// Internal: the promise of coflow::coroutine, which gives `co_yield` its meanings inside a body
// (a reply, a receive point, a batch, an emit; see receive.hpp) and records where the body
// stopped for the driver.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "pipeline/detail/promise_state.hpp"
#include "pipeline/receive.hpp"

namespace coflow {

template <class In, class Out, class Result>
class coroutine;

namespace detail {

template <class In, class Out, class Result>
class coroutine_promise : public promise_state<In, Out, Result> {
  using handle_type = std::coroutine_handle<coroutine_promise>;

  struct wait_for_value {
    coroutine_promise& promise;
    static constexpr bool await_ready() noexcept { return false; }
    static constexpr void await_suspend(std::coroutine_handle<>) noexcept {}
    std::optional<In> await_resume() {
      In* in = promise.input;
      if (in == nullptr) [[unlikely]] {
        promise.raise_injected();  // throw_into, or else end of stream
        return std::nullopt;
      }
      return std::optional<In>(std::move(*in));
    }
  };

  struct wait_for_batch {
    coroutine_promise& promise;
    static constexpr bool await_ready() noexcept { return false; }
    static constexpr void await_suspend(std::coroutine_handle<>) noexcept {}
    std::optional<std::span<const In>> await_resume() {
      const In* in = promise.input;
      if (in == nullptr) [[unlikely]] {
        promise.raise_injected();  // throw_into, or else end of stream
        return std::nullopt;
      }
      return std::span<const In>(in, promise.input_count);
    }
  };

  // For a reply of another type than Out: the converted value lives in the awaiter, which
  // stays in the frame while the body is suspended.
  struct wait_with_converted : wait_for_value {
    Out converted;
    void await_suspend(std::coroutine_handle<>) noexcept {
      this->promise.out.point_at(std::move(converted));
    }
  };

  struct wait_with_converted_optional : wait_for_value {
    std::optional<Out> converted;
    void await_suspend(std::coroutine_handle<>) noexcept {
      if (converted) this->promise.out.point_at(std::move(*converted));
    }
  };

  struct continue_after_emit {
    coroutine_promise& promise;
    static constexpr bool await_ready() noexcept { return false; }
    static constexpr void await_suspend(std::coroutine_handle<>) noexcept {}
    void await_resume() { promise.raise_injected(); }
  };

  struct continue_with_converted : continue_after_emit {
    Out converted;
    void await_suspend(std::coroutine_handle<>) noexcept {
      this->promise.out.point_at(std::move(converted));
    }
  };

 public:
  coroutine<In, Out, Result> get_return_object() noexcept {
    return coroutine<In, Out, Result>(handle_type::from_promise(*this));
  }

  std::suspend_always initial_suspend() noexcept { return {}; }

  std::suspend_always final_suspend() noexcept {
    this->control.where = point::finished;
    return {};
  }

  void unhandled_exception() noexcept { this->failure = std::current_exception(); }

  /// `co_yield coflow::receive`: wait for the next value without answering.
  wait_for_value yield_value(receive_t) noexcept {
    this->control.where = point::receiving;
    return {*this};
  }

  /// `co_yield reply`: answer `reply`, then wait for the next value. The reply is handed on
  /// from where it is (moved if it is an rvalue), or converted to Out first.
  template <class R>
    requires(!std::is_void_v<Out> && std::convertible_to<R, Out> &&
             !std::same_as<std::remove_cvref_t<R>, receive_t>)
  auto yield_value(R&& reply) {
    this->control.where = point::receiving;
    if constexpr (std::same_as<std::remove_cvref_t<R>, Out>) {
      this->out.point_at(std::forward<R>(reply));
      return wait_for_value{*this};
    } else {
      return wait_with_converted{{*this}, Out(std::forward<R>(reply))};
    }
  }

  /// `co_yield maybe_reply`: answer only if the optional holds a value (Python's None).
  template <class Optional>
    requires(!std::is_void_v<Out> && optional_of_convertible<Optional, Out>)
  auto yield_value(Optional&& reply) {
    this->control.where = point::receiving;
    if constexpr (std::same_as<typename std::remove_cvref_t<Optional>::value_type, Out>) {
      if (reply) this->out.point_at(*std::forward<Optional>(reply));
      return wait_for_value{*this};
    } else {
      std::optional<Out> converted;
      if (reply) converted.emplace(*std::forward<Optional>(reply));
      return wait_with_converted_optional{{*this}, std::move(converted)};
    }
  }

  /// `co_yield coflow::receive_batch`: wait for the next batch of values without answering.
  wait_for_batch yield_value(receive_batch_t) noexcept {
    this->control.where = point::receiving_batch;
    return {*this};
  }

  /// `co_yield coflow::receive_batch(replies)`: output every reply, then wait for a batch.
  template <class R>
    requires(!std::is_void_v<Out>)
  wait_for_batch yield_value(batch_replies<R> replies)
  noexcept {
    static_assert(std::same_as<std::remove_cv_t<R>, Out>,
                  "co_yield coflow::receive_batch(replies): the replies must be a contiguous "
                  "range of the coroutine's Out type");
    static_assert(std::is_copy_constructible_v<Out>,
                  "co_yield coflow::receive_batch(replies): the replies are copied on, and this "
                  "output type cannot be copied; emit them one by one with "
                  "`co_yield coflow::emit(std::move(x))`");
    this->control.where = point::receiving_batch;
    if (!replies.values.empty()) {
      this->out.batch = replies.values.data();
      this->out.batch_size = replies.values.size();
    }
    return {*this};
  }

  /// `co_yield coflow::emit(x)`: output x and continue without waiting for input.
  template <class R>
    requires(!std::is_void_v<Out> && std::convertible_to<R, Out>)
  auto yield_value(emitted<R>&& e) {
    this->control.where = point::emitting;
    if constexpr (std::same_as<R, Out>) {
      this->out.point_at(std::move(e.value));
      return continue_after_emit{*this};
    } else {
      return continue_with_converted{{*this}, Out(std::move(e.value))};
    }
  }

  /// A coroutine body waits only with co_yield; there is nothing to co_await.
  template <class T>
  void await_transform(T&&) {
    static_assert(always_false<T>,
                  "co_await is not supported in a coflow::coroutine body: wait for values "
                  "with `co_yield reply` or `co_yield coflow::receive`");
  }
};

}  // namespace detail

}  // namespace coflow
