// coflow/pipeline/parallel/ordered_parallel.hpp
//
// ops::ordered_parallel(workers, stage, capacity): `workers` threads run copies of the same
// stage; their outputs come out in input order.
//
//   auto values = coflow::run(lines,
//       coflow::ops::ordered_parallel(2, coflow::ops::transform(parse_record))
//       | coflow::sinks::to_vector());   // in the order of `lines`, parsed on two threads
//
// Semantics: the caller's thread groups the values into batches (up to `batch_size`, default
// coflow::max_batch_size) and deals them round-robin to the workers, each through its own
// bounded single-producer/single-consumer ring; each worker pushes a batch through its own
// bound copy of `stage` (a stage or a chain of stages, not a sink) and sends back one output
// batch per input batch, so the caller reads the outputs back round-robin too and pushes them
// downstream, in input order, on its own thread: no reorder buffer. At end of stream each
// worker's copy of the stage finishes; what it flushes goes downstream after every batch,
// worker by worker. Each copy keeps its own state: a stateless stage (transform, filter,
// parsing) gives the same values as on one thread; a stateful one (a running sum, take(n))
// sees only its worker's share of the values.
// Done: when downstream is done the workers are stopped and joined at once, and push returns
// false. A worker's copy of the stage that is done drops the rest of its share.
// Backpressure: at most workers x capacity batches are in flight; past that the caller waits
// for the oldest one (polling briefly, then asleep on a futex until half of that worker's queue
// is back, so that it is woken once per several batches).
// Exceptions: what a worker's stage throws comes back in place of its output batch, in input
// order; it is rethrown from the caller's push, or from close()/run(), after every worker is
// stopped and joined. What downstream throws does the same. Destroying the pipeline stops and
// joins the workers, then destroys their frames (each worker destroys its own).
// Cost: per value, a move into a batch, a move out of it on the worker, a move into the output
// batch and one downstream push on the caller; per batch, two ring slots (the batch buffers
// circulate through them: a steady stream allocates nothing). The stage description is copied once
// per worker and must be copyable. Preconditions: workers >= 1, 1 <= capacity <= 2^24, batch_size
// >= 1, else std::invalid_argument at the call.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/compose.hpp"
#include "pipeline/parallel/detail/spsc_ring.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// The sink at the end of a worker's copy of the stage: appends to the worker's output batch.
template <class Out>
struct worker_output_sink : sink_interface {
  std::vector<Out>* out;

  struct node {
    bool push(Out&& value) {
      out->push_back(std::move(value));
      return true;
    }
    [[nodiscard]] bool done() const { return false; }
    void finish() {}
    std::vector<Out>* out;
  };

  template <class In>
  node open() const {
    static_assert(std::same_as<In, Out>);
    return node{out};
  }
};

template <class In, class Stage, class Down>
class ordered_parallel_node {
 public:
  using out_type = output_t<Stage, In>;

  ordered_parallel_node(std::size_t workers, std::size_t capacity, std::size_t batch_size,
                        const Stage& stage, Down down)
      : down_(std::move(down)),
        batch_size_(batch_size),
        limit_(workers * capacity),
        wake_batches_(std::max<std::size_t>(1, capacity / 2)) {
    pending_.reserve(batch_size_);
    workers_.reserve(workers);
    try {
      for (std::size_t i = 0; i < workers; ++i) {
        workers_.push_back(std::make_unique<worker>(capacity));
        worker* w = workers_.back().get();
        w->thread = std::thread([w, stage] { work(*w, stage); });
      }
    } catch (...) {
      stop_workers();
      throw;
    }
    if (down_.done()) stop_workers();
  }
  ordered_parallel_node(ordered_parallel_node&&) noexcept = default;
  ordered_parallel_node& operator=(ordered_parallel_node&&) = delete;
  ~ordered_parallel_node() { stop_workers(); }

  bool push(In&& value) {
    if (stopped_) return false;
    pending_.push_back(std::move(value));
    if (pending_.size() < batch_size_) return true;
    return guarded([&] { return dispatch(); });
  }

  // The batched path: runs of values copied into the batch at once.
  bool push_batch(std::span<const In> values) requires std::copy_constructible<In> {
    if (stopped_) return false;
    while (!values.empty()) {
      const std::size_t n = std::min(values.size(), batch_size_ - pending_.size());
      pending_.insert(pending_.end(), values.begin(),
                      values.begin() + static_cast<std::ptrdiff_t>(n));
      values = values.subspan(n);
      if (pending_.size() == batch_size_ && !guarded([&] { return dispatch(); })) return false;
    }
    return true;
  }

  [[nodiscard]] bool done() const { return stopped_; }

  decltype(auto) finish() {
    guarded([&] {
      if (!stopped_ && !pending_.empty()) (void)dispatch();
      if (stopped_) return false;
      // End of stream to every worker; a full input ring empties as the outputs are read.
      for (auto& w : workers_) {
        ring_batch<In> end = ring_batch<In>::end();
        while (!w->input.try_push(end)) {
          if (received_ < sent_) {
            receive_one();
          } else {
            // Everything sent was answered, so this worker failed before its next batch: its
            // failure is on the way.
            ring_batch<out_type> failure;
            (void)w->output.pop(failure);
            deliver(failure);
          }
          if (stopped_) return false;
        }
      }
      while (received_ < sent_ && !stopped_) receive_one();
      // Then what each worker's stage flushed, worker by worker.
      for (auto& w : workers_) {
        if (stopped_) break;
        ring_batch<out_type> last;
        (void)w->output.pop(last);
        deliver(last);
      }
      return false;
    });
    stop_workers();
    return down_.finish();
  }

 private:
  struct worker {
    explicit worker(std::size_t capacity) : input(capacity), output(capacity) {}
    spsc_ring<In> input;         // caller -> worker
    spsc_ring<out_type> output;  // worker -> caller
    std::thread thread;
  };

  // A worker: one output batch per input batch, then the flush at end of stream. An exception
  // goes back in place of an output batch, and the worker stops taking input.
  static void work(worker& w, Stage stage) {
    std::vector<out_type> out;
    try {
      auto copy = bind_chain<In>(std::move(stage) | worker_output_sink<out_type>{{}, &out});
      ring_batch<In> message;
      while (w.input.pop(message)) {
        if (message.last) {
          copy.finish();
          ring_batch<out_type> flushed{std::move(out), true, nullptr};
          (void)w.output.push(flushed);
          return;
        }
        if (!copy.done()) (void)push_moved(copy, message.values);
        auto reply = ring_batch<out_type>::of(std::move(out));
        if (!w.output.push(reply)) return;  // the caller stopped
        out = std::move(reply.values);      // a recycled buffer
        out.clear();
      }
    } catch (...) {
      ring_batch<out_type> failure = ring_batch<out_type>::failure(std::current_exception());
      w.input.fail();  // the caller must not wait for room it will never get
      (void)w.output.push(failure);
    }
  }

  template <class Body>
  bool guarded(Body&& body) {
    try {
      return body();
    } catch (...) {
      stop_workers();
      throw;
    }
  }

  // Deals the pending batch to the next worker; false once downstream is done.
  bool dispatch() {
    auto message = ring_batch<In>::of(std::move(pending_));
    while (sent_ - received_ >= limit_ && !stopped_) receive_one();
    if (stopped_) return false;
    worker& w = *workers_[sent_ % workers_.size()];
    // At most `capacity` of this worker's batches are in flight, so there is room; a worker
    // that failed refuses, and its failure is on the way back in order.
    while (!w.input.try_push(message)) {
      if (received_ == sent_) break;  // unreachable unless the worker failed: it reported it
      receive_one();
      if (stopped_) return false;
    }
    ++sent_;
    pending_ = std::move(message.values);  // a recycled buffer
    pending_.clear();
    pending_.reserve(batch_size_);
    // Pass on whatever is ready, without waiting.
    while (received_ < sent_ && !stopped_) {
      worker& next = *workers_[received_ % workers_.size()];
      if (!next.output.try_pop(reply_)) break;
      ++received_;
      deliver(reply_);
    }
    return !stopped_;
  }

  // Waits for the oldest batch in flight and passes it on. If it must sleep, it sleeps until
  // several of that worker's batches are back (half its queue, at most what is in flight to
  // it), not one: the caller then passes them all on and refills the queues at once, and is
  // woken once per several batches. On a machine with fewer free cores than threads each
  // wake-up of the caller takes a core from a worker, so this is where the scaling is lost.
  void receive_one() {
    const std::size_t n = workers_.size();
    worker& w = *workers_[received_ % n];
    const std::uint64_t in_flight = (sent_ - received_ + n - 1) / n;  // to this worker
    // Never abandoned: a worker always answers or reports.
    (void)w.output.pop(reply_, std::min<std::uint64_t>(in_flight, wake_batches_));
    ++received_;
    deliver(reply_);
  }

  void deliver(ring_batch<out_type>& reply) {
    if (reply.error) std::rethrow_exception(reply.error);
    if (!push_moved(down_, reply.values) || down_.done()) stop_workers();
  }

  void stop_workers() noexcept {
    stopped_ = true;
    for (auto& w : workers_) {
      if (!w || !w->thread.joinable()) continue;
      w->input.abandon();
      w->output.fail();
      w->thread.join();
    }
  }

  Down down_;
  std::size_t batch_size_;
  std::size_t limit_;
  std::size_t wake_batches_;  // how many of a worker's batches a sleeping caller waits for
  std::vector<std::unique_ptr<worker>> workers_;  // the threads hold their addresses
  std::vector<In> pending_;
  ring_batch<out_type> reply_;  // its buffer goes back to the workers through the rings
  std::uint64_t sent_ = 0;
  std::uint64_t received_ = 0;
  bool stopped_ = false;
};

}  // namespace detail

namespace ops {

/// ordered_parallel_stage<Stage> is the description made by ordered_parallel(...).
template <class Stage>
struct ordered_parallel_stage : stage_interface {
  std::size_t workers;
  Stage stage;
  std::size_t capacity;
  std::size_t batch_size;

  template <class In>
  using output = output_t<Stage, In>;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::move_constructible<In>,
                  "coflow::ops::ordered_parallel: the values must be move constructible");
    using out = output<In>;
    using down_type = decltype(make_down(std::type_identity<out>{}));
    return detail::ordered_parallel_node<In, Stage, down_type>(
        workers, capacity, batch_size, stage, make_down(std::type_identity<out>{}));
  }
};

/// ordered_parallel(workers, stage, capacity, batch_size) runs copies of `stage` on `workers`
/// threads and passes their outputs on in input order.
template <class Stage>
  requires(stage_description<Stage>&& std::copy_constructible<std::decay_t<Stage>>)
[[nodiscard]] ordered_parallel_stage<std::decay_t<Stage>> ordered_parallel(
    std::size_t workers, Stage&& stage, std::size_t capacity = 8,
    std::size_t batch_size = max_batch_size) {
  if (workers == 0 || workers > 4096)
    throw std::invalid_argument("coflow::ops::ordered_parallel: workers must be in [1, 4096]");
  detail::check_queue(capacity, batch_size, "coflow::ops::ordered_parallel");
  return {{}, workers, std::forward<Stage>(stage), capacity, batch_size};
}

}  // namespace ops

}  // namespace coflow
