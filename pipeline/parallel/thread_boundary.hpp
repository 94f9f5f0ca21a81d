// coflow/pipeline/parallel/thread_boundary.hpp
//
// ops::thread_boundary(capacity): everything after it in the pipeline runs on a thread of its
// own, fed through a bounded queue of batches.
//
//   auto total = coflow::run(lines, coflow::ops::transform(parse)       // the caller's thread
//                                       | coflow::ops::thread_boundary(8)
//                                       | coflow::ops::filter(valid)    // a worker thread
//                                       | coflow::sinks::sum());
//
// Semantics: a pipeline stays one fused call chain inside each segment between boundaries; a
// boundary moves the values it is pushed into a batch (up to `batch_size` values, default
// coflow::max_batch_size) and hands full batches to the downstream segment's thread through a
// lock-free single-producer/single-consumer ring of `capacity` batches. The thread starts when
// the pipeline is bound (opened, or run) and pushes each batch into its segment in order. A
// value crosses when its batch is full, or at end of stream: a boundary suits streams, not
// request/response. End of stream follows the last batch through the queue, the downstream
// segment finishes on its thread (flushing as it would on one thread) and its result comes back
// to the caller of close()/run(), which waits for it.
// Done: when the downstream segment is done (a take(n) is full) the boundary's push returns
// false soon after: when it next hands over a batch (the values queued meanwhile are dropped).
// Backpressure: a full queue blocks the caller's thread (polling briefly, then asleep on a
// futex until half the queue is free); memory is bounded by (slots + 2) x batch_size values per
// boundary, where slots is `capacity` rounded up to a power of two. A scheduler task that sends
// with co_await coflow::push_async(pipeline, v) (push_async.hpp) is suspended instead, and the
// boundary keeps one batch more meanwhile.
// Exceptions: what the downstream segment throws is carried back and rethrown, with that thread
// joined, from the caller's next push, or from close()/run(). Destroying the pipeline while the
// thread runs (an exception upstream, a pipeline never closed) abandons the queued batches,
// joins the thread and then destroys the downstream frames.
// Cost: per value, a copy or move into the batch; per batch, one ring slot (two or three cache
// lines touched when neither side waits) and a futex wake only if the other side sleeps. The
// batch buffers circulate through the ring: a steady stream allocates nothing. Stages after the
// boundary must not share unsynchronised state with stages before it.
// Preconditions: 1 <= capacity <= 2^24 and batch_size >= 1, else std::invalid_argument at the
// call.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/parallel/detail/async_push.hpp"
#include "pipeline/parallel/detail/batch_filler.hpp"
#include "pipeline/parallel/detail/spsc_ring.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

/// push_moved(node, values) pushes `values` into `node` in order, moving them, until a push
/// returns false; with push_batch where the node has one. Returns the last push's answer.
template <class In, class Node>
bool push_moved(Node& node, std::vector<In>& values) {
  if constexpr (batch_node_for<Node, In>) {
    // A batch may be longer than max_batch_size (a larger batch_size, or a batch that grew while
    // a push_async waited): spans stay within the protocol's limit.
    const std::span<const In> all(values.data(), values.size());
    for (std::size_t i = 0; i < all.size(); i += max_batch_size) {
      if (!node.push_batch(all.subspan(i, std::min(max_batch_size, all.size() - i)))) return false;
    }
    return true;
  } else {
    for (In& value : values) {
      if (!node.push(std::move(value))) return false;
    }
    return true;
  }
}

// What a node's finish() returns, kept until the caller collects it (void becomes a flag).
template <class R>
struct finish_result {
  template <class F>
  void set(F&& finish) {
    value.emplace(finish());
  }
  R take() { return std::move(*value); }
  std::optional<R> value;
};
template <>
struct finish_result<void> {
  template <class F>
  void set(F&& finish) {
    finish();
  }
  void take() {}
};

template <class In, class Down>
class boundary_node final : public blocked_producer {
 public:
  using result_type = decltype(std::declval<Down&>().finish());
  static_assert(!std::is_reference_v<result_type>,
                "coflow::ops::thread_boundary: the sink after it returns a reference, which "
                "cannot cross threads safely");

  boundary_node(std::size_t capacity, std::size_t batch_size, Down down)
      : shared_(std::make_unique<shared>(capacity, std::move(down))), batch_size_(batch_size) {
    pending_.reserve(batch_size_);
    shared* s = shared_.get();
    if (s->down.done()) s->ring.cancel();  // nothing to start
    s->worker = std::thread([s] { work(*s); });
  }
  boundary_node(boundary_node&&) noexcept = default;
  boundary_node& operator=(boundary_node&&) = delete;
  ~boundary_node() {
    if (shared_ && shared_->worker.joinable()) {
      shared_->ring.abandon();
      shared_->worker.join();
    }
  }

  bool push(In&& value) {
    pending_.push_back(std::move(value));
    // Whether downstream is done is looked at once per batch: reading the consumer's index on
    // every value would pull its cache line over each time the consumer moves it.
    if (pending_.size() < batch_size_) return true;
    return send_pending();
  }

  // The batched path: the values are copied into the batch in runs (one memmove for trivially
  // copyable values) instead of one push_back each.
  bool push_batch(std::span<const In> values) requires std::copy_constructible<In> {
    return append_in_batches(pending_, batch_size_, values, [this] { return send_pending(); });
  }

  // A failed downstream is not done: the next push that hands over a batch (or finish)
  // rethrows its exception, where a done pipeline's send() would only report a protocol error.
  [[nodiscard]] bool done() const { return shared_->ring.cancelled() && !shared_->ring.failed(); }

  bool await_room(remote_waker waker) override { return shared_->ring.await_room(waker); }
  void forget_waiter() noexcept override { shared_->ring.forget_waiter(); }

  result_type finish() {
    shared& s = *shared_;
    if (!pending_.empty()) (void)send_pending();
    ring_batch<In> end = ring_batch<In>::end();
    (void)s.ring.push(end);  // refused only if the thread failed: then it has exited
    if (s.worker.joinable()) s.worker.join();
    if (s.error) std::rethrow_exception(s.error);
    return s.result.take();
  }

 private:
  struct shared {
    shared(std::size_t capacity, Down d) : ring(capacity), down(std::move(d)) {}
    spsc_ring<In> ring;
    Down down;
    finish_result<result_type> result;
    std::exception_ptr error;  // written by the thread before it fails the ring
    std::thread worker;
  };

  // The downstream segment's thread: pushes batches until end of stream, then finishes.
  static void work(shared& s) {
    ring_batch<In> message;
    bool taking = !s.down.done();
    try {
      while (s.ring.pop(message)) {
        if (message.last) {
          s.result.set([&]() -> decltype(auto) { return s.down.finish(); });
          return;
        }
        if (taking && !push_moved(s.down, message.values)) {
          taking = false;
          s.ring.cancel();  // the caller stops sending; end of stream still comes
        }
      }
      // Abandoned: the caller is destroying the pipeline.
    } catch (...) {
      s.error = std::current_exception();
      s.ring.fail();
    }
  }

  bool send_pending() {
    shared& s = *shared_;
    auto message = ring_batch<In>::of(std::move(pending_));
    bool sent = false;
    async_push_context* async = current_async_push;
    if (async != nullptr && (async->blocked == nullptr || async->blocked == this)) {
      // A task pushes: it must not block the scheduler's thread. On a full ring, keep the
      // batch (it grows until the next push finds room) and let the task wait for a slot.
      sent = s.ring.try_push(message);
      if (!sent && !s.ring.cancelled()) {
        pending_ = std::move(message.values);
        async->blocked = this;
        return true;
      }
    } else {
      sent = s.ring.push(message);
    }
    if (!sent) return refused(message);
    pending_ = std::move(message.values);  // a recycled buffer
    pending_.clear();
    pending_.reserve(batch_size_);
    return true;
  }

  bool refused(ring_batch<In>& message) {
    shared& s = *shared_;
    pending_ = std::move(message.values);  // the refused values
    pending_.clear();
    if (s.ring.failed()) {
      s.worker.join();
      std::rethrow_exception(s.error);
    }
    return false;  // cancelled: downstream is done
  }

  std::unique_ptr<shared> shared_;  // the thread holds its address: moving the node keeps it
  std::size_t batch_size_;
  std::vector<In> pending_;
};

inline void check_queue(std::size_t capacity, std::size_t batch_size, const char* who) {
  if (capacity == 0 || capacity > (std::size_t{1} << 24))
    throw std::invalid_argument(std::string(who) + ": capacity must be in [1, 2^24]");
  if (batch_size == 0) throw std::invalid_argument(std::string(who) + ": batch_size must be >= 1");
}

}  // namespace detail

namespace ops {

/// thread_boundary_stage is the description made by thread_boundary(capacity, batch_size).
struct thread_boundary_stage : stage_interface {
  std::size_t capacity;
  std::size_t batch_size;

  template <class In>
  using output = In;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::move_constructible<In>,
                  "coflow::ops::thread_boundary: the values must be move constructible to be "
                  "batched");
    using down_type = decltype(make_down(std::type_identity<In>{}));
    return detail::boundary_node<In, down_type>(capacity, batch_size,
                                                make_down(std::type_identity<In>{}));
  }
};

/// thread_boundary(capacity, batch_size) runs the rest of the pipeline on a thread of its own,
/// through a queue of `capacity` batches of up to `batch_size` values.
[[nodiscard]] inline thread_boundary_stage thread_boundary(
    std::size_t capacity = 16, std::size_t batch_size = max_batch_size) {
  detail::check_queue(capacity, batch_size, "coflow::ops::thread_boundary");
  return {{}, capacity, batch_size};
}

}  // namespace ops

}  // namespace coflow
