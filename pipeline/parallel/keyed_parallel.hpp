// coflow/pipeline/parallel/keyed_parallel.hpp
//
// Aggregating on several threads, with states that merge (operators/aggregate.hpp):
//
// sinks::keyed_parallel(workers, key_fn, value_fn, aggregate): each value goes, by the hash of
// key_fn(value), to one of `workers` threads; each worker keeps one aggregate per key it sees
// and adds value_fn(value) to it. The result, at end of stream, is a std::map from key to the
// aggregate of all of that key's values: the workers' partial maps merged.
//
//   std::map<std::string, coflow::moments> by_user = coflow::run(records,
//       coflow::sinks::keyed_parallel(2, &record::user, &record::latency, coflow::moments{}));
//
// sinks::parallel_aggregate(workers, aggregate): the values are dealt to the workers in batches,
// round-robin; each adds its share to its own copy of `aggregate`, and at end of stream the
// copies are merged with the aggregate's merge() into the result one pass would give.
//
//   coflow::moments all = coflow::run(values, coflow::sinks::parallel_aggregate(2,
//   coflow::moments{}));
//
// Semantics: the caller's thread batches the values per worker (up to `batch_size`, default
// coflow::max_batch_size) and sends each full batch through that worker's bounded
// single-producer/single-consumer ring of `capacity` batches. A key always goes to the same
// worker, so a key's values are added in input order; across keys and across workers there is
// no order. The merge is what the aggregate's merge() promises (moments and the exact
// aggregates give what one thread gives, up to floating-point rounding where the aggregate says
// so; sketches within their error bounds). With hash routing a key lives on one worker, so the
// keyed result merges disjoint maps; merge() combines a key's states should several workers
// hold one. key_fn and value_fn run on the caller's thread (which routes by the key); the
// workers look the key up and add.
// Backpressure: a full ring blocks the caller (polling briefly, then asleep on a futex until
// half the ring is free): memory is bounded by workers x (slots + 2) batches, where slots is
// `capacity` rounded up to a power of two, plus the states. A scheduler task that pushes with
// co_await coflow::push_async(pipeline, v) (push_async.hpp) is suspended instead, until that
// worker frees a slot; the worker's batch is kept meanwhile (one batch more per worker).
// Exceptions: what key_fn, value_fn, add() or merge() throw is rethrown from the caller's push,
// or from close()/run(), after every worker is stopped and joined. Destroying the pipeline
// stops and joins the workers.
// Cost: per value, key_fn, value_fn, std::hash of the key and a move into a batch on the
// caller; on the worker, a hash-map lookup and add(). Per batch, one ring slot; the batch
// buffers circulate through the ring.
// Preconditions: workers in [1, 4096], 1 <= capacity <= 2^24, batch_size >= 1, else
// std::invalid_argument at the call.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "operators/aggregate.hpp"
#include "pipeline/parallel/detail/async_push.hpp"
#include "pipeline/parallel/detail/spsc_ring.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

// What a worker does with its share: a map of per-key states, or one state.
template <class Key, class A>
struct keyed_share {
  using item = std::pair<Key, typename A::value_type>;
  void add(item&& kv) {
    auto it = states.find(kv.first);
    if (it == states.end()) it = states.try_emplace(std::move(kv.first), initial).first;
    it->second.add(kv.second);
  }
  A initial;  // each key's state starts as a copy
  std::unordered_map<Key, A> states;
};

template <class A>
struct whole_share {
  using item = typename A::value_type;
  void add(const item& v) { state.add(v); }
  A state;
};

// splitmix64's finalizer: std::hash of an integer is the integer itself, whose low bits would
// send every even key to the same worker of two.
inline std::uint64_t mix_hash(std::uint64_t h) noexcept {
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

// The threads and rings common to both sinks. `Share` is what each worker accumulates.
template <class Share>
class worker_pool final : public blocked_producer {
 public:
  using item = typename Share::item;

  worker_pool(std::size_t workers, std::size_t capacity, std::size_t batch_size,
              const Share& initial)
      : batch_size_(batch_size) {
    workers_.reserve(workers);
    try {
      for (std::size_t i = 0; i < workers; ++i) {
        workers_.push_back(std::make_unique<worker>(capacity, initial));
        workers_.back()->pending.reserve(batch_size_);
        worker* w = workers_.back().get();
        w->thread = std::thread([w] { work(*w); });
      }
    } catch (...) {
      stop();
      throw;
    }
  }
  worker_pool(worker_pool&&) noexcept = default;
  ~worker_pool() { stop(); }

  std::size_t size() const noexcept { return workers_.size(); }

  // What push_async waits for: room in the ring of the worker whose batch was kept.
  bool await_room(remote_waker waker) override { return blocked_->input.await_room(waker); }
  void forget_waiter() noexcept override {
    if (blocked_ != nullptr) blocked_->input.forget_waiter();
  }

  void add(std::size_t i, item&& value) {
    worker& w = *workers_[i];
    w.pending.push_back(std::move(value));
    if (w.pending.size() >= batch_size_) send(w);
  }

  /// finish sends end of stream, joins every worker and returns their shares; rethrows the
  /// first worker's exception.
  std::vector<Share> finish() {
    for (auto& w : workers_) {
      if (!w->pending.empty()) send(*w);
    }
    for (auto& w : workers_) {
      ring_batch<item> end = ring_batch<item>::end();
      (void)w->input.push(end);  // refused only if the worker failed: it has exited
    }
    std::vector<Share> shares;
    shares.reserve(workers_.size());
    for (auto& w : workers_) w->thread.join();
    for (auto& w : workers_) {
      if (w->error) {
        stop();
        std::rethrow_exception(w->error);
      }
    }
    for (auto& w : workers_) shares.push_back(std::move(w->share));
    return shares;
  }

  void stop() noexcept {
    for (auto& w : workers_) {
      if (!w || !w->thread.joinable()) continue;
      w->input.abandon();
      w->thread.join();
    }
  }

 private:
  struct worker {
    worker(std::size_t capacity, const Share& initial) : input(capacity), share(initial) {}
    spsc_ring<item> input;
    Share share;
    std::exception_ptr error;   // written before the ring is failed
    std::vector<item> pending;  // the caller's batch for this worker
    std::thread thread;
  };

  static void work(worker& w) {
    try {
      ring_batch<item> message;
      while (w.input.pop(message)) {
        if (message.last) return;
        for (item& value : message.values) w.share.add(std::move(value));
      }
    } catch (...) {
      w.error = std::current_exception();
      w.input.fail();
    }
  }

  void send(worker& w) {
    auto message = ring_batch<item>::of(std::move(w.pending));
    bool sent = false;
    async_push_context* async = current_async_push;
    if (async != nullptr && (async->blocked == nullptr || async->blocked == this)) {
      // A task pushes: on a full ring keep the batch (it grows until a push finds room) and
      // let the task wait for a slot, as a thread boundary does.
      sent = w.input.try_push(message);
      if (!sent && !w.input.failed()) {
        w.pending = std::move(message.values);
        blocked_ = &w;
        async->blocked = this;
        return;
      }
    } else {
      sent = w.input.push(message);
    }
    w.pending = std::move(message.values);  // a recycled buffer, or the refused values
    w.pending.clear();
    w.pending.reserve(batch_size_);
    if (sent) return;
    // The worker failed (it never cancels otherwise): stop everyone, report its exception.
    stop();
    std::rethrow_exception(w.error);
  }

  std::size_t batch_size_;
  std::vector<std::unique_ptr<worker>> workers_;  // the threads hold their addresses
  worker* blocked_ = nullptr;                     // whose batch a waiting push_async kept
};

template <class In, class Key, class KeyFn, class ValueFn, class A>
struct keyed_parallel_node {
  using share = keyed_share<Key, A>;

  bool push(In&& value) {
    try {
      Key key = std::invoke(key_fn, std::as_const(value));
      const std::size_t i = mix_hash(std::hash<Key>{}(key)) % pool.size();
      pool.add(i,
               {std::move(key), typename A::value_type(std::invoke(value_fn, std::move(value)))});
    } catch (...) {
      pool.stop();
      throw;
    }
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  std::map<Key, A> finish() {
    std::map<Key, A> merged;
    for (share& part : pool.finish()) {
      for (auto& [key, state] : part.states) {
        auto [it, inserted] = merged.try_emplace(key, std::move(state));
        if (!inserted) it->second.merge(state);
      }
    }
    return merged;
  }

  KeyFn key_fn;
  ValueFn value_fn;
  worker_pool<share> pool;
};

template <class In, class A>
struct parallel_aggregate_node {
  bool push(In&& value) {
    try {
      pool.add(next, typename A::value_type(std::move(value)));
    } catch (...) {
      pool.stop();
      throw;
    }
    if (++count == batch_size) {  // a whole batch per worker in turn
      count = 0;
      next = next + 1 == pool.size() ? 0 : next + 1;
    }
    return true;
  }
  [[nodiscard]] bool done() const { return false; }
  A finish() {
    // Every worker started from a copy of `initial`: merge into the first, not into another copy.
    std::vector<whole_share<A>> parts = pool.finish();
    A merged = std::move(parts.front().state);
    for (std::size_t i = 1; i < parts.size(); ++i) merged.merge(parts[i].state);
    return merged;
  }

  std::size_t batch_size;
  std::size_t next = 0;
  std::size_t count = 0;
  worker_pool<whole_share<A>> pool;
};

inline void check_workers(std::size_t workers, const char* who) {
  if (workers == 0 || workers > 4096)
    throw std::invalid_argument(std::string(who) + ": workers must be in [1, 4096]");
}

}  // namespace detail

namespace sinks {

/// keyed_parallel_sink is the description made by keyed_parallel(...).
template <class KeyFn, class ValueFn, mergeable_aggregate A>
struct keyed_parallel_sink : sink_interface {
  std::size_t workers;
  KeyFn key_fn;
  ValueFn value_fn;
  A initial;
  std::size_t capacity;
  std::size_t batch_size;

  template <class In>
  auto open() const {
    static_assert(std::invocable<const KeyFn&, const In&>,
                  "coflow::sinks::keyed_parallel: key_fn must be callable with a value");
    using key = std::remove_cvref_t<std::invoke_result_t<const KeyFn&, const In&>>;
    static_assert(
        std::totally_ordered<key> && requires(const key& k) { std::hash<key>{}(k); },
        "coflow::sinks::keyed_parallel: the key must be hashable (std::hash) and "
        "ordered (the result is a std::map)");
    static_assert(
        std::convertible_to<std::invoke_result_t<const ValueFn&, In&&>, typename A::value_type>,
        "coflow::sinks::keyed_parallel: value_fn must give the aggregate's value_type");
    using share = detail::keyed_share<key, A>;
    return detail::keyed_parallel_node<In, key, KeyFn, ValueFn, A>{
        key_fn, value_fn,
        detail::worker_pool<share>(workers, capacity, batch_size, share{initial, {}})};
  }
};

/// keyed_parallel(workers, key_fn, value_fn, aggregate, capacity, batch_size) aggregates
/// value_fn(v) per key_fn(v) on `workers` threads; the result is a std::map from key to state.
template <class KeyFn, class ValueFn, mergeable_aggregate A>
[[nodiscard]] keyed_parallel_sink<std::decay_t<KeyFn>, std::decay_t<ValueFn>, A> keyed_parallel(
    std::size_t workers, KeyFn&& key_fn, ValueFn&& value_fn, A aggregate, std::size_t capacity = 8,
    std::size_t batch_size = max_batch_size) {
  detail::check_workers(workers, "coflow::sinks::keyed_parallel");
  detail::check_queue(capacity, batch_size, "coflow::sinks::keyed_parallel");
  return {{},
          workers,
          std::forward<KeyFn>(key_fn),
          std::forward<ValueFn>(value_fn),
          std::move(aggregate),
          capacity,
          batch_size};
}

/// parallel_aggregate_sink is the description made by parallel_aggregate(...).
template <mergeable_aggregate A>
struct parallel_aggregate_sink : sink_interface {
  std::size_t workers;
  A initial;
  std::size_t capacity;
  std::size_t batch_size;

  template <class In>
  auto open() const {
    static_assert(std::convertible_to<In, typename A::value_type>,
                  "coflow::sinks::parallel_aggregate: the values must convert to the "
                  "aggregate's value_type");
    return detail::parallel_aggregate_node<In, A>{
        batch_size, 0, 0,
        detail::worker_pool<detail::whole_share<A>>(workers, capacity, batch_size,
                                                    detail::whole_share<A>{initial})};
  }
};

/// parallel_aggregate(workers, aggregate, capacity, batch_size) adds the values to copies of
/// `aggregate` on `workers` threads and returns their merge.
template <mergeable_aggregate A>
[[nodiscard]] parallel_aggregate_sink<A> parallel_aggregate(
    std::size_t workers, A aggregate, std::size_t capacity = 8,
    std::size_t batch_size = max_batch_size) {
  detail::check_workers(workers, "coflow::sinks::parallel_aggregate");
  detail::check_queue(capacity, batch_size, "coflow::sinks::parallel_aggregate");
  return {{}, workers, std::move(aggregate), capacity, batch_size};
}

}  // namespace sinks

}  // namespace coflow
