// coflow/pipeline/parallel/detail/async_push.hpp
//
// How a push that must not block its thread (coflow::push_async, from a scheduler task) learns
// that a thread boundary's queue is full, and waits for room without blocking:
// - push_async sets current_async_push to a context of its own for the duration of one send();
// - a boundary whose ring is full during that send keeps its batch (one batch more than the
//   ring holds), returns as if it had sent it, and records itself in the context as
//   blocked_producer;
// - push_async then suspends the task, registering a remote_waker with the boundary's ring,
//   which the consumer's thread calls when it frees a slot (or stops); the batch goes into the
//   ring at the boundary's next push, or at end of stream.
// Only the slow path (a full ring) reads the thread-local variable.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

namespace coflow::detail {

/// remote_waker is a call that another thread makes, once, to wake whoever waits.
struct remote_waker {
  void (*wake)(void* target) = nullptr;
  void* target = nullptr;
};

/// blocked_producer is a thread boundary that kept its batch because its ring was full.
class blocked_producer {
 public:
  /// await_room registers `waker`, called once from the consumer's thread when the ring has
  /// room or the consumer stopped; false (nothing registered) if that is already so.
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

/// async_push_context is what one push_async's send() found: the boundary that is full.
struct async_push_context {
  blocked_producer* blocked = nullptr;
};

/// current_async_push is the context of the push_async running on this thread, if any.
inline thread_local async_push_context* current_async_push = nullptr;

}  // namespace coflow::detail
