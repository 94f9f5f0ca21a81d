// coflow/pipeline/scheduler/sleep.hpp
//
// The awaitables with which a coflow::task gives up its turn: yield_now() until the other
// ready tasks had theirs, sleep_for(d) / sleep_until(t) until a time.
//
//   coflow::task<> heartbeat(int beats) {
//     for (int i = 0; i < beats; ++i) {
//       co_await coflow::sleep_for(1s);   // other tasks run meanwhile
//       std::cout << "beat\n";
//     }
//   }
//
// Semantics: `co_await yield_now()` puts the task at the back of the ready queue. A sleep puts
// it in the scheduler's timer heap; when its time has come it rejoins the ready queue (at the
// latest after one more turn of every ready task), so it never wakes early and may wake late.
// Tasks whose deadlines are equal wake in the order they went to sleep. A deadline already
// past (sleep_for(0), a negative duration) still gives up the turn. sleep_for counts from the
// scheduler's clock's now(); sleep_until takes a time point of the scheduler's own clock.
// Exceptions: sleep_until with a time point of another clock than the scheduler's throws
// coflow::protocol_error at the co_await. Durations saturate instead of overflowing.
// Lifetime: the awaitables are meant to be awaited at once, inside a task body; a task
// destroyed while asleep (its scheduler was destroyed) leaves no timer behind.
// Cost: yield_now is a queue append; a sleep is O(log n) in the number of sleeping tasks, and
// allocates only when more tasks sleep at once than ever before in that scheduler.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <chrono>
#include <coroutine>
#include <exception>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/detail/scheduler_core.hpp"

namespace coflow {
namespace detail {

class yield_awaiter : public awaitable_base {
 public:
  static constexpr bool await_ready() noexcept { return false; }
  template <class Promise>
  static void await_suspend(std::coroutine_handle<Promise> h) noexcept {
    task_node& self = node_of(h);
    self.core->schedule(self);
  }
  static constexpr void await_resume() noexcept {}
};

class sleep_awaiter : public awaitable_base {
 public:
  // `clock` is null for a duration (counted from now), or the clock_tag of a time point's clock.
  sleep_awaiter(std::chrono::nanoseconds amount, const void* clock) noexcept
      : amount_(amount), clock_(clock) {}

  static constexpr bool await_ready() noexcept { return false; }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> h) noexcept {
    task_node& self = node_of(h);
    scheduler_core& core = *self.core;
    if (clock_ != nullptr && clock_ != core.clock_id()) {
      mistake_ = true;
      return false;
    }
    try {
      timer_.deadline = clock_ == nullptr ? saturating_add(core.now(), amount_) : amount_;
      timer_.node = &self;
      core.add_timer(timer_);
    } catch (...) {
      failure_ = std::current_exception();
      return false;
    }
    return true;
  }

  void await_resume() const {
    if (mistake_)
      throw protocol_error(
          "coflow::sleep_until(): the time point belongs to another clock than the scheduler's");
    if (failure_) std::rethrow_exception(failure_);
  }

 private:
  timer timer_;
  std::chrono::nanoseconds amount_;
  const void* clock_;
  std::exception_ptr failure_;
  bool mistake_ = false;
};

}  // namespace detail

/// yield_now returns an awaitable that lets every other ready task run once before this one
/// goes on. Python: `await asyncio.sleep(0)`.
[[nodiscard]] inline detail::yield_awaiter yield_now() noexcept { return {}; }

/// sleep_for returns an awaitable that suspends the task for at least `d` on its scheduler's
/// clock (virtual time on a manual_clock).
template <class Rep, class Period>
[[nodiscard]] detail::sleep_awaiter sleep_for(std::chrono::duration<Rep, Period> d) noexcept {
  return detail::sleep_awaiter(detail::saturating_nanoseconds(d), nullptr);
}

/// sleep_until returns an awaitable that suspends the task until its scheduler's clock reads
/// `t` or later. `t` must be a time point of that clock (Clock is the scheduler's clock type).
template <class Clock, class Duration>
[[nodiscard]] detail::sleep_awaiter sleep_until(
    std::chrono::time_point<Clock, Duration> t) noexcept {
  return detail::sleep_awaiter(detail::saturating_nanoseconds(t.time_since_epoch()),
                               &detail::clock_tag<Clock>);
}

}  // namespace coflow
