// coflow/pipeline/scheduler/event.hpp
//
// event: a flag that one task (or the code outside the scheduler) sets and other tasks wait
// for, like asyncio.Event.
//
//   coflow::event ready;
//   coflow::task<> waiter(coflow::event& ready) {
//     co_await ready;                      // suspends until ready.set()
//     std::cout << "go\n";
//   }
//   coflow::task<> setter(coflow::event& ready) {
//     co_await coflow::sleep_for(1s);
//     ready.set();                         // wakes every waiter
//   }
//
// Semantics: `co_await e` goes on at once while the event is set; otherwise the task waits
// until set() is called. set() wakes every waiting task, in the order they started waiting,
// by appending them to their schedulers' ready queues (it never runs them itself), and the
// event stays set until reset(). Waiters may belong to different schedulers of the thread.
// Exceptions: none; set() and reset() are noexcept.
// Lifetime: the event must outlive the co_awaits on it. Destroying it while tasks wait
// releases them without waking them: they wait forever, and their scheduler's run() reports
// a deadlock (a protocol_error) instead of hanging.
// Cost: waiting and waking are O(1) each and never allocate (waiters are linked in place).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <coroutine>

#include "pipeline/scheduler/detail/intrusive_list.hpp"
#include "pipeline/scheduler/detail/scheduler_core.hpp"

namespace coflow {

/// event is a settable flag that tasks co_await; see the file comment.
class event : public detail::awaitable_base {
  class awaiter : public detail::awaitable_base, public detail::list_hook<detail::wait_tag> {
   public:
    explicit awaiter(event& e) noexcept : event_(&e) {}
    // Moved (by some compilers) before it is awaited, never while it waits.
    awaiter(awaiter&& other) noexcept : event_(other.event_) {}
    awaiter& operator=(const awaiter&) = delete;
    ~awaiter() = default;  // the hook leaves the wait list if the task is destroyed waiting

    [[nodiscard]] bool await_ready() const noexcept { return event_->set_; }
    template <class Promise>
    void await_suspend(std::coroutine_handle<Promise> h) noexcept {
      node_ = &detail::node_of(h);
      event_->waiters_.push_back(*this);
    }
    static constexpr void await_resume() noexcept {}

   private:
    friend class event;
    event* event_;
    detail::task_node* node_ = nullptr;
  };

 public:
  /// event starts unset, or set if `initially_set`.
  explicit event(bool initially_set = false) noexcept : set_(initially_set) {}
  event(const event&) = delete;
  event& operator=(const event&) = delete;
  ~event() = default;

  /// set sets the flag and wakes every waiting task (see the file comment).
  void set() noexcept {
    set_ = true;
    while (!waiters_.empty()) {
      detail::task_node& node = *waiters_.pop_front().node_;
      node.core->schedule(node);
    }
  }

  /// reset clears the flag: later co_awaits wait for the next set().
  void reset() noexcept { set_ = false; }

  /// is_set is true between set() and reset().
  [[nodiscard]] bool is_set() const noexcept { return set_; }

  /// operator co_await waits until the event is set.
  [[nodiscard]] awaiter operator co_await() noexcept { return awaiter(*this); }

 private:
  detail::intrusive_list<awaiter, detail::wait_tag> waiters_;
  bool set_;
};

}  // namespace coflow
