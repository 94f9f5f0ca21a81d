// coflow/pipeline/detail/coroutine_driver.hpp
//
// Internal: how a coroutine body is resumed and its outputs handed on. coflow::coroutine's
// public calls and the pipeline's coroutine nodes (coroutine_stage.hpp) both go through here, so
// the resume sequence is written once: resume_body.
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

#include "pipeline/detail/coroutine_promise.hpp"
#include "pipeline/detail/promise_state.hpp"

namespace coflow::detail {

template <class In, class Out, class Result>
class coroutine_driver {
 public:
  using owner = coroutine<In, Out, Result>;
  using handle_type = std::coroutine_handle<coroutine_promise<In, Out, Result>>;

  /// push(c, value, out) is send(value, out) that moves from the caller's `value` in place of a
  /// by-value parameter, and returns whether the body waits for the next value: the pipeline's
  /// hot path. On an exception `value` may have been moved from. An `out` that can refuse
  /// values (a pipeline node's forwarder) has `bool first(Out&&)`, which takes the first
  /// output of a push and says whether more are wanted, and `bool accepting() const`; push
  /// then also returns false once `out` refuses. The common case, one reply, costs one test of
  /// that answer and no bookkeeping in between. Fn may be a reference type; a node passes its
  /// one-pointer forwarder by value, in a register rather than through the stack.
  template <class Fn>
  static bool push(owner& c, In& value, Fn out) {
    auto h = c.handle_;
    if (!h || h.promise().control.where != point::receiving) [[unlikely]]
      return push_to_batch_point(c, value, out) && accepting(out);
    h.promise().input = std::addressof(value);
    resume_body(h);
    return hand_on_after_push(h, out);
  }

  /// The rest of push() after the resume: hands the body's outputs to `out` and says whether
  /// the body waits for the next value and `out` takes more. A pipeline node whose stage
  /// stopped anywhere uncommon comes here (coroutine_stage.hpp).
  template <class Fn>
  static bool hand_on_after_push(handle_type h, Fn& out) {
    auto& p = h.promise();
    bool accepted = true;
    if constexpr (!std::is_void_v<Out>) {
      if (p.out.value) {
        accepted = p.out.deliver_first(out);
      } else {
        accepted = accepting(out);
      }
    }
    if (p.control.where == point::receiving) [[likely]]
      return accepted;
    return after_uncommon_resume(h, out) && accepting(out);
  }

  /// push_some(c, values, out) hands the body as many of `values` as it takes in one resume, and
  /// drops them from the front of `values`: all of them at `co_yield coflow::receive_batch`,
  /// the first one (copied) at a single receive point. Outputs go to `out`, as one span where
  /// `out` has a push_batch member. Returns whether the body waits for more values. A pipeline
  /// calls it until `values` is empty.
  template <class Fn>
    requires std::copy_constructible<In>
  static bool push_some(owner& c, std::span<const In>& values, Fn& out) {
    auto h = c.handle_;
    if (values.empty()) {
      c.check_receiving("send()");
      return true;
    }
    if (!h || h.promise().control.where != point::receiving_batch) {
      In first(values.front());
      values = values.subspan(1);
      return push<Fn&>(c, first, out);
    }
    return resume_with_batch(h, std::exchange(values, {}), out);
  }

  /// The frame of `c` (null once it is moved from or abandoned).
  static handle_type handle(const owner& c) noexcept { return c.handle_; }

  // The resume sequence. Uses only `h`: the body may have destroyed its owner meanwhile.
  // Always inline: a call here would add its own frame to every value through a stage.
  [[gnu::always_inline]] static void resume_body(handle_type h) {
    auto& p = h.promise();
    p.control.where = point::running;
    h.resume();
    if (p.control.orphaned) [[unlikely]]
      orphan_destroy(h);
  }

  // Whether `out` takes more values (always, unless it says otherwise).
  template <class Fn>
  static bool accepting(const Fn& out) {
    if constexpr (requires {
                    { out.accepting() } -> std::same_as<bool>;
                  }) {
      return out.accepting();
    } else {
      return true;
    }
  }

  // Resumes the body and rethrows what escaped it.
  static void resume(handle_type h) {
    resume_body(h);
    auto& p = h.promise();
    if (p.failure) [[unlikely]]
      std::rethrow_exception(std::exchange(p.failure, nullptr));
  }

  // Passes each output to `out`, resuming through emit points until the body waits or ends.
  template <class Fn>
  static void drain(handle_type h, Fn& out) {
    for (;;) {
      if constexpr (!std::is_void_v<Out>) h.promise().out.deliver_any(out);
      if (h.promise().control.where != point::emitting) return;
      resume(h);
    }
  }

  // The body's single output, for the calls that return it.
  static auto take_output(handle_type h) {
    if constexpr (!std::is_void_v<Out>) {
      return h.promise().out.take();
    }
  }

  // Destroys a frame whose owner was destroyed while it ran, and says so.
  [[noreturn, gnu::noinline]] static void orphan_destroy(handle_type h) {
    h.destroy();
    throw orphaned_error(
        "coflow::coroutine: the coroutine was destroyed from inside its own body; its "
        "frame was destroyed when the body suspended");
  }

 private:
  // The rarer outcomes of a resume in push(): the body emits again, finished, or failed.
  template <class Fn>
  static bool after_resume(handle_type h, Fn& out) {
    auto& p = h.promise();
    if (p.control.where == point::emitting) {
      resume(h);
      drain(h, out);
    } else if (p.failure) {
      std::rethrow_exception(std::exchange(p.failure, nullptr));
    } else if constexpr (!std::is_void_v<Out>) {
      if (p.out.batch) p.out.deliver_batch(out);
    }
    return waits_for_input(p.control.where);
  }

  // The rest of push() after the body did anything but wait for the next value (a batch reply,
  // an emit, the end). Out of line, so that push() stays small enough to inline upstream.
  template <class Fn>
  [[gnu::noinline]] static bool after_uncommon_resume(handle_type h, Fn& out) {
    auto& p = h.promise();
    if constexpr (!std::is_void_v<Out>) {
      if (p.out.batch) p.out.deliver_batch(out);
    }
    if (waits_for_input(p.control.where)) return true;
    return after_resume(h, out);
  }

  // push() to a body that waits at a batch receive point (a batch of one), or misuse.
  template <class Fn>
  [[gnu::noinline]] static bool push_to_batch_point(owner& c, In& value, Fn& out) {
    if (!c.handle_ || c.where() != point::receiving_batch) c.check_receiving("send()");
    return resume_with_batch(c.handle_, std::span<const In>(std::addressof(value), 1), out);
  }

  // Resumes a body waiting at a batch receive point with `values`, and hands on its outputs.
  template <class Fn>
  static bool resume_with_batch(handle_type h, std::span<const In> values, Fn& out) {
    auto& p = h.promise();
    // The body only reads a batch: the pointer loses its const for the shared input field.
    p.input = const_cast<In*>(values.data());
    p.input_count = values.size();
    resume_body(h);
    if constexpr (!std::is_void_v<Out>) p.out.deliver_any(out);
    if (waits_for_input(p.control.where)) [[likely]]
      return true;
    return after_resume(h, out);
  }
};

/// push_into(c, value, out): the pipeline's hot path into a coroutine (coroutine_driver::push).
template <class In, class Out, class Result, class Fn>
[[gnu::always_inline]] inline bool push_into(coroutine<In, Out, Result>& c, In& value, Fn&& out) {
  using callback = std::remove_cvref_t<Fn>;
  if constexpr (std::is_trivially_copyable_v<callback> && sizeof(callback) <= sizeof(void*)) {
    return coroutine_driver<In, Out, Result>::template push<callback>(c, value, out);
  } else {
    return coroutine_driver<In, Out, Result>::template push<Fn&>(c, value, out);
  }
}

/// push_some_into(c, values, out): coroutine_driver::push_some.
template <class In, class Out, class Result, class Fn>
[[gnu::always_inline]] inline bool push_some_into(coroutine<In, Out, Result>& c,
                                                  std::span<const In>& values, Fn&& out) {
  return coroutine_driver<In, Out, Result>::push_some(c, values, out);
}

}  // namespace coflow::detail
