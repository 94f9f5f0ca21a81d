// coflow/pipeline/parallel/push_async.hpp
//
// push_async(pipeline, value): sends a value into a pipeline from a coflow::task, suspending
// the task (not the scheduler's thread) while a thread boundary's queue is full, or a parallel
// stage's.
//
//   coflow::task<long> produce(coflow::pipeline<int, Head>& p) {   // p: ... | thread_boundary(4)
//     for (int i = 0; i < 1'000'000 && !p.done(); ++i)
//       co_await coflow::push_async(p, i);   // other tasks run while the boundary is full
//     co_return p.close();
//   }
//
// Semantics: `co_await push_async(p, v)` is p.send(v) with one difference: where a stage on the
// caller's segment would block the thread, it keeps its batch instead (the batch then goes on
// at the stage's next push, or at close()), and the task is suspended until another thread
// makes room or stops. The stages that do so:
// - a thread boundary whose queue is full: until its downstream thread frees a slot or stops;
// - an ordered_parallel stage whose workers all have `capacity` batches in flight, when the
//   caller cannot run the batch itself (caller_helps(false), or `capacity` of its own batches
//   already wait behind a worker's): until the oldest batch's worker sends it back. A caller
//   that helps runs batches of the stage on the task's thread first, as a send() would;
// - a keyed_parallel or parallel_aggregate sink whose worker's queue is full: until that
//   worker frees a slot.
// The scheduler meanwhile runs its other tasks, and while nothing else is ready it sleeps until
// a thread wakes the task (or its next timer is due): a task waiting here is not a deadlock.
// When there is room, the value passes without suspending, as channel::send does. Values keep
// their order. A downstream that is done (take(n)) wakes the task too; p.done() then says so.
// Other blocking points of the pipeline still block the thread: a second full stage in the same
// push (after a broadcast, or one behind another on the caller's segment), and close(), which
// waits for the other threads to finish what is queued (at most the queues' capacities plus
// one batch each).
// Exceptions: what p.send() throws propagates out of the co_await, among them an exception the
// downstream thread threw, carried back as for send(); a failure that ends the wait shows at the
// next push_async or at close().
// Lifetime: `p` must outlive the co_await. Destroying the scheduler while the task waits
// withdraws the wait from the stage, then destroys the task's frame.
// Cost: none over send() while the queue has room; a full queue costs one registration under a
// mutex, and the wake-up a lock of the scheduler's list of tasks woken by other threads. Memory
// per full stage: one batch more than the blocking send(), plus what one send adds to it.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <coroutine>
#include <type_traits>
#include <utility>

#include "pipeline/parallel/detail/async_push.hpp"
#include "pipeline/scheduler/detail/scheduler_core.hpp"

namespace coflow {

namespace detail {

template <class Target, class T>
class push_async_awaiter : public awaitable_base {
 public:
  push_async_awaiter(Target& target, T value) : target_(&target), value_(std::move(value)) {}
  // Moved (by some compilers) before it is awaited, never while it waits.
  push_async_awaiter(push_async_awaiter&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
      : target_(other.target_), value_(std::move(other.value_)) {}
  push_async_awaiter& operator=(const push_async_awaiter&) = delete;
  ~push_async_awaiter() {
    if (core_ != nullptr) {
      // The task is destroyed while it waits (its scheduler is being destroyed).
      blocked_->forget_waiter();
      core_->remove_remote_waiter();
    }
  }

  bool await_ready() {
    async_push_context context;
    const restore_context restore{std::exchange(current_async_push, &context)};
    target_->send(std::move(value_));
    blocked_ = context.blocked;
    return blocked_ == nullptr;
  }

  template <class Promise>
  bool await_suspend(std::coroutine_handle<Promise> h) {
    task_node& node = node_of(h);
    node.core->add_remote_waiter();
    if (!blocked_->await_room(remote_waker{&wake, &node})) {
      node.core->remove_remote_waiter();  // room already: go on without suspending
      return false;
    }
    core_ = node.core;
    return true;
  }

  void await_resume() noexcept { core_ = nullptr; }

 private:
  struct restore_context {
    async_push_context* saved;
    ~restore_context() { current_async_push = saved; }
  };

  // Called on the boundary's downstream thread.
  static void wake(void* target) noexcept {
    task_node& node = *static_cast<task_node*>(target);
    node.core->wake_from_other_thread(node);
  }

  Target* target_;
  T value_;
  blocked_producer* blocked_ = nullptr;  // the full boundary, after await_ready
  scheduler_core* core_ = nullptr;       // set while the task waits
};

}  // namespace detail

/// push_async returns an awaitable that sends `value` into `target` (an opened pipeline) and
/// suspends the task while a thread boundary's queue is full; see the file comment.
template <class Target, class T>
  requires requires(Target& target, T value) { target.send(std::move(value)); }
[[nodiscard]] detail::push_async_awaiter<Target, T> push_async(Target& target, T value) {
  return detail::push_async_awaiter<Target, T>(target, std::move(value));
}

}  // namespace coflow
