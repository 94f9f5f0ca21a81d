// coflow/pipeline/detail/coroutine_promise.hpp
//
// Internal: the promise of coflow::coroutine, which gives `co_yield` its meanings inside a body
// (a reply, a receive point, a batch, an emit; see receive.hpp) and records where the body
// stopped for the driver. A reply goes straight to a linked downstream coroutine that waits at
// a plain receive point (hand_on); anything else names the stage in the chain's word for the
// driver (promise_state::need_driver).
#pragma once

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <memory>
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

  // After `co_yield reply`: the reply goes straight to a linked downstream stage that waits at
  // a plain receive point (symmetric transfer: the downstream runs in place of a return to
  // the driver), else into the output slot for the driver. `reply` stays in the frame until
  // the body resumes; the downstream moves from it, so it is never the body's own lvalue of a
  // type with a costly copy (those are copied into the awaiter first).
  struct wait_after_reply : wait_for_value {
    Out* reply;
    std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
      return this->promise.hand_on(reply);
    }
  };

  // The same for `co_yield maybe_reply`: nothing to hand on when it is empty.
  struct wait_after_maybe_reply : wait_for_value {
    Out* reply;
    std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
      if (reply == nullptr) return std::noop_coroutine();
      return this->promise.hand_on(reply);
    }
  };

  // For a reply of another type than Out, or a copy of the body's lvalue: the value handed on
  // lives in the awaiter, which stays in the frame while the body is suspended.
  struct wait_with_converted : wait_for_value {
    Out converted;
    std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
      return this->promise.hand_on(std::addressof(converted));
    }
  };

  struct wait_with_converted_optional : wait_for_value {
    std::optional<Out> converted;
    std::coroutine_handle<> await_suspend(std::coroutine_handle<>) noexcept {
      if (!converted) return std::noop_coroutine();
      return this->promise.hand_on(std::addressof(*converted));
    }
  };

  // A reply the downstream may move from where it stands: an rvalue, or a trivially copyable
  // value (moving it is copying it).
  template <class R>
  static constexpr bool hand_on_in_place = std::is_trivially_copyable_v<Out> ||
                                           (!std::is_lvalue_reference_v<R> &&
                                            !std::is_const_v<std::remove_reference_t<R>>);

  // At the end of the body: marks it finished for the driver through the suspended frame's
  // handle rather than through the promise the body holds, so that the body's code keeps no
  // register for the promise's address (a register each resume would save and restore).
  struct final_awaiter {
    static constexpr bool await_ready() noexcept { return false; }
    static void await_suspend(handle_type h) noexcept {
      auto& p = h.promise();
      p.control.where = point::finished;
      p.need_driver();
    }
    static constexpr void await_resume() noexcept {}
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

  final_awaiter final_suspend() noexcept { return {}; }

  // Out of line and cold: the exception_ptr temporaries would otherwise take stack space and a
  // saved register in the body's frame code, which every resume pays for.
  [[gnu::noinline, gnu::cold]] void unhandled_exception() noexcept {
    this->failure = std::current_exception();
  }

  /// `co_yield coflow::receive`: wait for the next value without answering.
  wait_for_value yield_value(receive_t) noexcept {
    this->control.where = point::receiving;
    return {*this};
  }

  /// `co_yield reply`: answer `reply`, then wait for the next value. The reply is handed on
  /// from where it is (moved if it is an rvalue), or converted to Out (or copied) first.
  template <class R>
    requires(!std::is_void_v<Out> && std::convertible_to<R, Out> &&
             !std::same_as<std::remove_cvref_t<R>, receive_t>)
  auto yield_value(R&& reply) {
    static_assert(
        std::is_copy_constructible_v<Out> ||
            (!std::is_lvalue_reference_v<R> && !std::is_const_v<std::remove_reference_t<R>>),
        "co_yield of an lvalue hands on a copy, and this output type cannot be copied: "
        "write `co_yield std::move(x)` (or `co_yield coflow::emit(std::move(x))`)");
    this->control.where = point::receiving;
    if constexpr (std::same_as<std::remove_cvref_t<R>, Out> && hand_on_in_place<R>) {
      return wait_after_reply{{*this}, const_cast<Out*>(std::addressof(reply))};
    } else {
      return wait_with_converted{{*this}, Out(std::forward<R>(reply))};
    }
  }

  /// `co_yield maybe_reply`: answer only if the optional holds a value (Python's None).
  template <class Optional>
    requires(!std::is_void_v<Out> && optional_of_convertible<Optional, Out>)
  auto yield_value(Optional&& reply) {
    using value_ref = decltype(*std::forward<Optional>(reply));
    static_assert(std::is_copy_constructible_v<Out> || hand_on_in_place<value_ref>,
                  "co_yield of an lvalue hands on a copy, and this output type cannot be copied: "
                  "write `co_yield std::move(x)` (or `co_yield coflow::emit(std::move(x))`)");
    this->control.where = point::receiving;
    if constexpr (std::same_as<typename std::remove_cvref_t<Optional>::value_type, Out> &&
                  hand_on_in_place<value_ref>) {
      return wait_after_maybe_reply{{*this},
                                    reply ? const_cast<Out*>(std::addressof(*reply)) : nullptr};
    } else {
      std::optional<Out> converted;
      if (reply) converted.emplace(*std::forward<Optional>(reply));
      return wait_with_converted_optional{{*this}, std::move(converted)};
    }
  }

  /// hand_on(reply): where a reply goes when the body suspends (see wait_after_reply). The
  /// first branch is the whole cost of a value passing a linked stage.
  std::coroutine_handle<> hand_on(Out* reply) noexcept {
    if (inlet<Out>* down = this->next) {
      if (down->control.where == point::receiving) [[likely]] {
        down->input = reply;
        down->control.where = point::running;
        return this->next_handle;
      }
      this->need_driver();  // the downstream waits elsewhere, or is done: the driver decides
    }
    this->out.point_at(std::move(*reply));
    return std::noop_coroutine();
  }

  /// `co_yield coflow::receive_batch`: wait for the next batch of values without answering.
  wait_for_batch yield_value(receive_batch_t) noexcept {
    this->control.where = point::receiving_batch;
    this->need_driver();
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
    this->need_driver();
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
    this->need_driver();
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
