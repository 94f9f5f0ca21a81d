// coflow/pipeline/parallel/detail/async_push.hpp
//
// How a push that must not block its thread (coflow::push_async, from a scheduler task) learns
// that a stage would block (a thread boundary's full queue, a parallel stage's), and waits
// without blocking:
// - push_async sets current_async_push to a context of its own for the duration of one send();
// - a stage that would block during that send keeps its batch (one batch more than its queues
//   hold), returns as if it had passed it on, and records itself in the context as
//   blocked_producer;
// - push_async then suspends the task, registering a remote_waker with that stage, which the
//   other thread calls when the stage can go on (a slot freed, the awaited batch back, or the
//   other side stopped); the batch goes on at the stage's next push, or at end of stream.
// Only the slow path (a stage that would block) reads the thread-local variable.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

namespace coflow::detail {

/// remote_waker is a call that another thread makes, once, to wake whoever waits.
struct remote_waker {
  void (*wake)(void* target) = nullptr;
  void* target = nullptr;
};

/// blocked_producer is a stage that kept its batch because passing it on would have blocked.
class blocked_producer {
 public:
  /// await_room registers `waker`, called once from another thread when the stage can go on
  /// (its ring has room, the batch it waits for is back, or the other side stopped); false
  /// (nothing registered) if that is already so.
  virtual bool await_room(remote_waker waker) = 0;
  /// forget_waiter cancels the registration; after it returns the waker is not called (and no
  /// call is running).
  virtual void forget_waiter() noexcept = 0;

 protected:
  blocked_producer() = default;
  blocked_producer(const blocked_producer&) = default;
  blocked_producer& operator=(const blocked_producer&) = default;
  ~blocked_producer() = default;
};

/// async_push_context is what one push_async's send() found: the stage that would block.
struct async_push_context {
  blocked_producer* blocked = nullptr;
};

/// current_async_push is the context of the push_async running on this thread, if any.
inline thread_local async_push_context* current_async_push = nullptr;

}  // namespace coflow::detail
