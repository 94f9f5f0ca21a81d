// coflow/pipeline/scheduler/scheduler.hpp
//
// basic_scheduler<Clock>: runs coflow::task coroutines on one thread, taking turns at their
// co_await points. coflow::scheduler is basic_scheduler<std::chrono::steady_clock>;
// basic_scheduler<coflow::manual_clock> runs the same tasks on virtual time.
//
//   coflow::task<> job(std::string name, std::chrono::milliseconds step) {
//     for (int i = 0; i < 3; ++i) {
//       co_await coflow::sleep_for(step);      // the other task runs meanwhile
//       std::cout << name << " step " << i << '\n';
//     }
//   }
//
//   coflow::scheduler s;
//   s.spawn(job("a", 100ms));
//   s.spawn(job("b", 150ms));
//   s.run();                                   // about 450 ms, not 750 ms
//
// Semantics:
// - Tasks run round-robin: spawn() and every wake-up (yield_now, an expired sleep, an event
//   set, a channel hand-off) append the task to the ready queue, and run() resumes the queue's
//   head until it suspends again. N tasks that each yield in a loop therefore take turns in
//   spawn order. Expired timers join the queue once per round. A task that never suspends
//   keeps the thread until it finishes: scheduling is cooperative, which is the user's choice.
// - When no task is ready, the scheduler waits for the earliest timer: a standard clock
//   sleeps the thread; a manual_clock is advanced to the timer at once (virtual time). A task
//   may also wait for another thread (coflow::push_async into a pipeline with a thread
//   boundary): the scheduler's thread then sleeps until that thread wakes the task or the
//   earliest timer is due, whichever comes first (a manual_clock still jumps to its timers).
// - run() returns when every task has finished; run(t) as soon as `t` has (other tasks stay
//   where they are, and a later run() goes on with them).
// Exceptions: an exception escaping a task that was handed over to the scheduler
// (spawn(std::move(t)), spawn(f())) and that nobody awaits propagates out of run(); a task
// whose handle the caller kept keeps its exception for co_await or result(). Misuse throws
// coflow::protocol_error: run() from inside one of this scheduler's tasks, spawning a task
// that has already started, a moved-from task, and a deadlock (tasks wait, but nothing is
// ready, no timer is pending and no task waits for another thread: they wait for events or
// channels nobody will touch).
// Thread safety: none, except that another thread may wake a task waiting for it (the one
// door, used by push_async). A scheduler, its tasks, and the events and channels they share
// belong to one thread; several schedulers may run on it, one inside a task of another.
// Lifetime: not copyable or movable (tasks refer to it). Destroying it destroys every
// unfinished task frame, running the destructors of their locals; nothing leaks.
// Cost: a task switch is a pop from an intrusive queue and a resume: no allocation, no lock.
// Sleeping is O(log n) in the number of sleeping tasks; the timer heap grows to the largest
// number of tasks asleep at once and keeps that capacity.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <chrono>
#include <concepts>
#include <cstddef>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/clock.hpp"
#include "pipeline/scheduler/detail/scheduler_core.hpp"
#include "pipeline/scheduler/task.hpp"

namespace coflow {

/// basic_scheduler<Clock> runs tasks cooperatively on the calling thread; see the file comment.
template <scheduler_clock Clock = std::chrono::steady_clock>
class basic_scheduler final : private detail::scheduler_core {
 public:
  using clock_type = Clock;
  using duration = typename Clock::duration;
  using time_point = typename Clock::time_point;

  /// basic_scheduler reads time from a default-constructed Clock.
  basic_scheduler() requires std::default_initializable<Clock> : basic_scheduler(Clock{}) {}

  /// basic_scheduler reads time from `clock` (moved in; reach it with clock()).
  explicit basic_scheduler(Clock clock) noexcept(std::is_nothrow_move_constructible_v<Clock>)
      : scheduler_core(&detail::clock_tag<Clock>), clock_(std::move(clock)) {}

  basic_scheduler(const basic_scheduler&) = delete;
  basic_scheduler& operator=(const basic_scheduler&) = delete;

  /// ~basic_scheduler destroys every unfinished task frame (see the file comment).
  ~basic_scheduler() override = default;

  /// spawn queues a new task to run; the caller keeps the handle, to co_await the task from
  /// another task or to read result() after it finished (its exception stays there too).
  template <class T>
  void spawn(task<T>& t) {
    detail::task_node& node = checked_node(t, "spawn()");
    if (node.started)
      fail("spawn()", "the task has already started (it was spawned or awaited before)");
    start(node, /*at_front=*/false);
  }

  /// spawn hands a new task over to the scheduler, which frees it when it finishes. An
  /// exception escaping it propagates out of run(), unless another task awaits it.
  template <class T>
  void spawn(task<T>&& t) {
    spawn(t);
    detail::task_access::disown(t);
  }

  /// run resumes tasks until every task has finished. With no task, it returns at once.
  void run() { run_until(nullptr); }

  /// run(t) resumes tasks until `t` has finished (spawning it first if it is new) and returns
  /// t.result(): a reference to its value, or nothing for task<void>; rethrows its exception.
  template <class T>
  decltype(auto) run(task<T>& t) {
    if (scheduler_core::running())
      fail("run()",
           "called from inside one of the scheduler's own tasks (run() is not re-entrant; "
           "co_await the task instead)");
    detail::task_node& node = checked_node(t, "run()");
    if (!node.started) {
      start(node, /*at_front=*/false);
    } else if (!node.finished && node.core != static_cast<scheduler_core*>(this)) {
      fail("run()", "the task runs on another scheduler");
    }
    run_until(&t);
    return t.result();
  }

  /// run(t) on a temporary task returns its value.
  template <class T>
  T run(task<T>&& t) {
    task<T> kept = std::move(t);
    run(kept);
    return std::move(kept).result();
  }

  /// task_count is the number of tasks that have started and not yet finished.
  [[nodiscard]] std::size_t task_count() const noexcept { return scheduler_core::task_count(); }

  /// now is the scheduler's clock's current time.
  [[nodiscard]] time_point now() const { return clock_.now(); }

  /// clock is the scheduler's clock object (to advance a manual_clock by hand between runs).
  [[nodiscard]] Clock& clock() noexcept { return clock_; }
  [[nodiscard]] const Clock& clock() const noexcept { return clock_; }

 private:
  [[noreturn]] static void fail(const char* call, const char* mistake) {
    throw protocol_error(std::string("coflow::scheduler::") + call + ": " + mistake);
  }

  static detail::task_node& checked_node(const detail::task_owner& t, const char* call) {
    detail::task_node* node = detail::task_access::node(t);
    if (node == nullptr) {
      fail(call, detail::task_access::cancelled(t) ? "the task was cancelled"
                                                   : "use of a moved-from task");
    }
    return *node;
  }

  std::chrono::nanoseconds clock_now() override {
    return detail::saturating_nanoseconds(clock_.now().time_since_epoch());
  }

  void clock_wait_until(std::chrono::nanoseconds deadline) override {
    const auto since_epoch = std::chrono::ceil<duration>(deadline);
    if constexpr (advanceable_clock<Clock>) {
      clock_.advance_to(time_point(since_epoch));
    } else if (has_remote_waiters()) {
      // A task waits for another thread: its wake-up must end the sleep early.
      const std::chrono::nanoseconds left = deadline - clock_now();
      wait_for_other_thread(&left);
    } else {
      std::this_thread::sleep_until(time_point(since_epoch));
    }
  }

  [[no_unique_address]] Clock clock_;
};

/// scheduler runs tasks on real time (std::chrono::steady_clock).
using scheduler = basic_scheduler<>;

}  // namespace coflow
