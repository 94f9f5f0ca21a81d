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
// coflow::max_batch_size) and deals each batch to the next worker (round-robin) that has room,
// through that worker's bounded single-producer/single-consumer ring; each worker pushes a
// batch through its own bound copy of `stage` (a stage or a chain of stages, not a sink) and
// sends back one output batch per input batch. The caller numbers the batches as it deals
// them and reads the outputs back in that order, pushing them downstream, in input order, on
// its own thread: no reorder buffer, only which worker has each batch in flight.
// With ordered_parallel(...).caller_helps(true) the caller helps: when every worker has
// `capacity` batches in flight, the caller runs the batch itself, on a copy of the stage bound
// on its thread, instead of sleeping until a worker is done with one (oneTBB's calling thread
// runs filters too); that batch's output waits its turn like a worker's. Then `workers + 1`
// copies of the stage share the values, and the caller no longer needs a core of its own to be
// woken on. On N free cores, ordered_parallel(N - 1, stage).caller_helps(true) is oneTBB's
// configuration (N threads computing, the caller one of them): on an idle 2-core machine it ran
// a 1 us stage 1.83-1.93 times as fast as one thread, TBB 1.87-1.94 (benchmarks/RESULTS.md,
// "Several cores"). It is not the default: when the caller's threads outnumber the free cores
// (a busy machine, or N workers plus the caller on N cores) the helping caller was up to 1.6
// times slower than a sleeping one (a caller that computes is preempted like any thread, while
// a sleeper is woken first, and the workers wait for it to refill their queues). Without it,
// the stage never runs on the caller's thread.
// At end of stream each copy of the stage finishes; what it flushes goes downstream after
// every batch: the workers' flushes worker by worker, then the caller's copy's. Each copy
// keeps its own state: a stateless stage (transform, filter, parsing) gives the same values as
// on one thread; a stateful one (a running sum, take(n)) sees only its copy's share of the
// values, and which share depends on timing once a worker is full (the next batch goes to
// the next worker with room, or to a helping caller).
// Done: when downstream is done the workers are stopped and joined at once, and push returns
// false. A copy of the stage that is done drops the rest of its share.
// Backpressure: at most workers x capacity batches are in flight on the workers, plus, when the
// caller helps, `capacity` batches run by the caller and waiting for their turn; past that the
// caller waits for the oldest one (polling briefly, then asleep on a futex until half of that
// worker's queue is back, so that it is woken once per several batches). A scheduler task that
// pushes with co_await coflow::push_async(pipeline, v) (push_async.hpp) is suspended there
// instead, until that batch is back, and the stage keeps one batch more meanwhile.
// Exceptions: what a copy of the stage throws, a worker's or the caller's, comes back in place
// of its output batch, in input order; it is rethrown from the caller's push, or from
// close()/run(), after every worker is stopped and joined. What downstream throws does the
// same. A copy that fails to bind throws: the caller's at the call that binds the pipeline
// (open or run), a worker's in place of its first batch. Destroying the pipeline stops and
// joins the workers, then destroys their frames (each worker destroys its own; the caller's
// copy is destroyed on the caller's thread).
// Cost: per value, a move into a batch, a move out of it on the worker, a move into the output
// batch and one downstream push on the caller; per batch, two ring slots (the batch buffers
// circulate through them: a steady stream allocates nothing). The stage description is copied
// once per worker (and once for a helping caller), and must be copyable. Preconditions: workers >=
// 1, 1 <= capacity <= 2^24, batch_size >= 1, else std::invalid_argument at the call.
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
#include "pipeline/parallel/detail/async_push.hpp"
#include "pipeline/parallel/detail/batch_filler.hpp"
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

// A copy of the stage, bound to write into `out`: a worker's, or the caller's.
template <class In, class Stage, class Out>
auto bind_stage_copy(Stage stage, std::vector<Out>* out) {
  return bind_chain<In>(std::move(stage) | worker_output_sink<Out>{{}, out});
}

template <class In, class Stage, class Down>
class ordered_parallel_node final : public blocked_producer {
 public:
  using out_type = output_t<Stage, In>;

  ordered_parallel_node(std::size_t workers, std::size_t capacity, std::size_t batch_size,
                        bool caller_helps, const Stage& stage, Down down)
      : down_(std::move(down)),
        batch_size_(batch_size),
        capacity_(capacity),
        wake_batches_(std::max<std::size_t>(1, capacity / 2)),
        entries_(workers * capacity + (caller_helps ? capacity : 0)),
        in_flight_(workers, 0) {
    pending_.reserve(batch_size_);
    // The caller's copy is bound first, on the caller's thread: if that throws, no thread runs.
    if (caller_helps) caller_ = std::make_unique<caller_copy>(stage);
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
    return guarded([&] { return dispatch(true); });
  }

  // The batched path: runs of values copied into the batch at once.
  bool push_batch(std::span<const In> values) requires std::copy_constructible<In> {
    if (stopped_) return false;
    return append_in_batches(pending_, batch_size_, values,
                             [&] { return guarded([&] { return dispatch(true); }); });
  }

  [[nodiscard]] bool done() const { return stopped_; }

  // What push_async waits for when the caller could neither deal nor run its batch: the oldest
  // batch in flight, a worker's (the caller's own are always ready).
  bool await_room(remote_waker waker) override {
    if (stopped_ || received_ == sent_) return false;
    const std::size_t oldest = entries_[received_ % entries_.size()].worker;
    if (oldest == workers_.size()) return false;
    awaited_ = &workers_[oldest]->output;
    return awaited_->await_message(waker);
  }
  void forget_waiter() noexcept override {
    if (awaited_ != nullptr) awaited_->forget_message_waiter();
  }

  decltype(auto) finish() {
    guarded([&] {
      if (!stopped_ && !pending_.empty()) (void)dispatch(false);
      if (stopped_) return false;
      // End of stream to every worker; a full input ring empties as the outputs are read.
      for (std::size_t i = 0; i < workers_.size(); ++i) {
        ring_batch<In> end = ring_batch<In>::end();
        while (!workers_[i]->input.try_push(end)) {
          if (in_flight_[i] > 0) {
            receive_one();
          } else {
            report_failure(i);  // it failed with nothing in flight: before its first batch
          }
          if (stopped_) return false;
        }
      }
      while (received_ < sent_ && !stopped_) receive_one();
      // Then what each copy of the stage flushed: worker by worker, the caller's last.
      for (auto& w : workers_) {
        if (stopped_) return false;
        ring_batch<out_type> last;
        (void)w->output.pop(last);
        deliver(last);
      }
      if (caller_ && !stopped_) {
        caller_->out.clear();
        caller_->copy.finish();
        if (!push_moved(down_, caller_->out) || down_.done()) stop_workers();
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

  // The caller's own copy of the stage, for the batches it runs itself. On the heap: its sink
  // holds the address of `out`, and the node moves.
  struct caller_copy {
    explicit caller_copy(const Stage& stage) : copy(bind_stage_copy<In>(stage, &out)) {}
    std::vector<out_type> out;
    decltype(bind_stage_copy<In>(std::declval<Stage>(),
                                 static_cast<std::vector<out_type>*>(nullptr))) copy;
    bool failed = false;  // it threw: it runs no more batches
  };

  // A batch in flight, in input order: which worker has it (workers_.size(): the caller ran
  // it, and `output` holds what came out).
  struct entry {
    std::size_t worker = 0;
    ring_batch<out_type> output;
  };

  // A worker: one output batch per input batch, then the flush at end of stream. An exception
  // goes back in place of an output batch, and the worker stops taking input.
  static void work(worker& w, Stage stage) {
    std::vector<out_type> out;
    try {
      auto copy = bind_stage_copy<In>(std::move(stage), &out);
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

  // Passes on what is ready, then deals the pending batch to a worker with room, or, when every
  // worker has `capacity` batches in flight, runs it on the caller's copy (at most `capacity`
  // of the caller's batches wait to be passed on). Only when neither can take it does the
  // caller wait for the oldest batch; a push_async (may_suspend) keeps the batch instead and
  // waits as a task. False once downstream is done.
  bool dispatch(bool may_suspend) {
    auto message = ring_batch<In>::of(std::move(pending_));
    pass_on_ready();
    for (;;) {
      if (stopped_) return false;
      if (deal(message)) break;
      if (caller_ && !caller_->failed && caller_batches_ < capacity_) {
        run_here(message);
        if (caller_->failed) {
          // Its exception is the newest batch: it comes out after every batch before it.
          while (received_ < sent_ && !stopped_) receive_one();
          return false;
        }
        break;
      }
      if (async_push_context* async = current_async_push;
          may_suspend && async != nullptr &&
          (async->blocked == nullptr || async->blocked == this)) {
        pending_ = std::move(message.values);  // sent at the next push, or at close()
        async->blocked = this;
        return true;
      }
      receive_one();
    }
    pending_ = std::move(message.values);  // a recycled buffer
    pending_.clear();
    pending_.reserve(batch_size_);
    return !stopped_;
  }

  // Deals `message` to the next worker (round-robin) that has fewer than `capacity` batches in
  // flight, so that its input ring has room; false if none has.
  bool deal(ring_batch<In>& message) {
    const std::size_t n = workers_.size();
    for (std::size_t k = 0; k < n; ++k) {
      const std::size_t i = next_worker_ + k < n ? next_worker_ + k : next_worker_ + k - n;
      if (in_flight_[i] >= capacity_) continue;
      if (!workers_[i]->input.try_push(message)) {
        // Refused with room: the worker failed. Its failure comes back in place of a batch in
        // flight, in order; with none in flight it failed before its first batch.
        if (in_flight_[i] == 0) report_failure(i);
        if (stopped_) return false;
        continue;
      }
      entries_[sent_ % entries_.size()].worker = i;
      ++sent_;
      ++in_flight_[i];
      next_worker_ = i + 1 == n ? 0 : i + 1;
      return true;
    }
    return false;
  }

  // Runs `message` on the caller's copy; its output (or exception) waits in its entry.
  void run_here(ring_batch<In>& message) {
    entry& e = entries_[sent_ % entries_.size()];
    e.worker = workers_.size();
    e.output.values.clear();
    e.output.error = nullptr;
    caller_->out.clear();
    try {
      if (!caller_->copy.done()) (void)push_moved(caller_->copy, message.values);
      std::swap(e.output.values, caller_->out);
    } catch (...) {
      e.output.error = std::current_exception();
      caller_->failed = true;
    }
    message.values.clear();
    ++sent_;
    ++caller_batches_;
  }

  // Passes on the batches that are back, oldest first, without waiting.
  void pass_on_ready() {
    while (received_ < sent_ && !stopped_) {
      entry& e = entries_[received_ % entries_.size()];
      if (e.worker == workers_.size()) {
        ++received_;
        --caller_batches_;
        deliver(e.output);
      } else {
        if (!workers_[e.worker]->output.try_pop(reply_)) return;
        ++received_;
        --in_flight_[e.worker];
        deliver(reply_);
      }
    }
  }

  // Waits for the oldest batch in flight and passes it on. If it must sleep, it sleeps until
  // several of that worker's batches are back (half its queue, at most what is in flight to
  // it), not one: the caller then passes them all on and refills the queues at once, and is
  // woken once per several batches.
  void receive_one() {
    entry& e = entries_[received_ % entries_.size()];
    if (e.worker == workers_.size()) {
      ++received_;
      --caller_batches_;
      deliver(e.output);
      return;
    }
    const std::size_t i = e.worker;
    // Never abandoned: a worker always answers or reports.
    (void)workers_[i]->output.pop(reply_, std::min<std::uint64_t>(in_flight_[i], wake_batches_));
    ++received_;
    --in_flight_[i];
    deliver(reply_);
  }

  // Worker i refused a batch with nothing in flight: it failed before its first one. Its
  // exception comes after the batches before.
  void report_failure(std::size_t i) {
    while (received_ < sent_ && !stopped_) receive_one();
    if (stopped_) return;
    ring_batch<out_type> failure;
    (void)workers_[i]->output.pop(failure);
    deliver(failure);
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
  std::size_t capacity_;        // the most batches in flight per worker, and run by the caller
  std::size_t wake_batches_;    // how many of a worker's batches a sleeping caller waits for
  std::vector<entry> entries_;  // the batches in flight, a circular buffer indexed by number
  std::vector<std::size_t> in_flight_;            // per worker; the caller's thread only
  std::vector<std::unique_ptr<worker>> workers_;  // the threads hold their addresses
  std::unique_ptr<caller_copy> caller_;           // null unless the caller helps
  std::vector<In> pending_;
  ring_batch<out_type> reply_;              // its buffer goes back to the workers through the rings
  spsc_ring<out_type>* awaited_ = nullptr;  // the ring a waiting push_async registered with
  std::uint64_t sent_ = 0;                  // batches dealt or run, numbered in input order
  std::uint64_t received_ = 0;              // batches passed on
  std::size_t caller_batches_ = 0;          // run by the caller, not yet passed on
  std::size_t next_worker_ = 0;
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
  bool caller_helping = false;

  template <class In>
  using output = output_t<Stage, In>;

  /// caller_helps(true): while every worker is full, the caller's thread runs batches on a copy
  /// of the stage of its own instead of waiting; caller_helps(false), the default, keeps the
  /// stage off the caller's thread. See the file comment.
  [[nodiscard]] ordered_parallel_stage caller_helps(bool helps) const {
    ordered_parallel_stage copy = *this;
    copy.caller_helping = helps;
    return copy;
  }

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::move_constructible<In>,
                  "coflow::ops::ordered_parallel: the values must be move constructible");
    using out = output<In>;
    using down_type = decltype(make_down(std::type_identity<out>{}));
    return detail::ordered_parallel_node<In, Stage, down_type>(
        workers, capacity, batch_size, caller_helping, stage, make_down(std::type_identity<out>{}));
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
  return {{}, workers, std::forward<Stage>(stage), capacity, batch_size, false};
}

}  // namespace ops

}  // namespace coflow
