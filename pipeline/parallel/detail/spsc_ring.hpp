// coflow/pipeline/parallel/detail/spsc_ring.hpp
//
// spsc_ring<T>: the queue of a thread boundary. A bounded, lock-free ring between exactly one
// producer thread and one consumer thread, carrying messages: a batch of values, end of stream
// (with the values a stage flushed), or an exception.
//
//   detail::spsc_ring<int> ring(8);
//   // producer thread                      // consumer thread
//   ring.push(detail::batch<int>{{1, 2}});  detail::batch<int> m;
//   ring.push(detail::batch<int>::end());   while (ring.pop(m) && !m.last) use(m.values);
//
// Semantics: messages come out in the order they went in. Each side may also stop the other:
// the consumer cancels (it wants no more values: pushes of values fail, end of stream still
// passes) or fails (it wants nothing more: every push fails); the producer abandons (the
// consumer's pops fail at once, whatever is still queued is dropped).
// Cost: the producer writes only `head_`, the consumer only `tail_`, each on its own cache line,
// and each side keeps a cached copy of the other's index, so a push or pop touches the other
// side's line only when the ring looks full or empty. A side that must wait spins briefly, then
// sleeps in std::atomic::wait (a futex); an idle thread burns no core.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

namespace coflow::detail {

/// batch<T> is one message of a ring: values, and whether it ends the stream or carries an
/// exception in their place.
template <class T>
struct batch {
  std::vector<T> values;
  bool last = false;         // end of stream; `values` are what the stage flushed
  std::exception_ptr error;  // the sending side failed; nothing follows

  static batch of(std::vector<T> values) { return batch{std::move(values), false, nullptr}; }
  static batch end() { return batch{{}, true, nullptr}; }
  static batch failure(std::exception_ptr e) { return batch{{}, true, std::move(e)}; }
};

// The distance kept between data written by different threads (false sharing costs a
// cache-line transfer per access). 64 bytes on x86-64 and most ARM; 128 would also cover the
// adjacent-line prefetcher of recent Intel cores, at the price of twice the padding.
inline constexpr std::size_t cache_line = 64;

template <class T>
class spsc_ring {
 public:
  /// capacity is the most messages in the ring; rounded up to a power of two (at least 2).
  explicit spsc_ring(std::size_t capacity) {
    if (capacity == 0) throw std::invalid_argument("coflow: a queue capacity must be at least 1");
    if (capacity > (std::size_t{1} << 24))
      throw std::invalid_argument("coflow: a queue capacity must be at most 2^24 batches");
    size_ = std::bit_ceil(std::max<std::size_t>(capacity, 2));
    slots_ = std::make_unique<batch<T>[]>(size_);
  }
  spsc_ring(const spsc_ring&) = delete;
  spsc_ring& operator=(const spsc_ring&) = delete;

  [[nodiscard]] std::size_t capacity() const noexcept { return size_; }

  // ---- producer side ----

  /// try_push moves `m` into the ring if there is room and the consumer still takes it; returns
  /// whether it did. `m` is left untouched otherwise.
  bool try_push(batch<T>& m) {
    if (refused(m, tail_.load(std::memory_order_acquire))) return false;
    const std::uint64_t head = index(head_.load(std::memory_order_relaxed));
    if (head - cached_tail_ == size_) {
      cached_tail_ = index(tail_.load(std::memory_order_acquire));
      if (head - cached_tail_ == size_) return false;
    }
    publish(head, m);
    return true;
  }

  /// push waits for room and moves `m` in; false (and `m` untouched) if the consumer refuses
  /// it: it cancelled (for values) or failed.
  bool push(batch<T>& m) {
    const std::uint64_t head = index(head_.load(std::memory_order_relaxed));
    for (int spin = 0;; ++spin) {
      const std::uint64_t tail = tail_.load(std::memory_order_acquire);
      if (refused(m, tail)) return false;
      cached_tail_ = index(tail);
      if (head - cached_tail_ < size_) break;
      if (spin < spins) {
        relax();
      } else {
        tail_.wait(tail, std::memory_order_acquire);
      }
    }
    publish(head, m);
    return true;
  }

  /// abandon tells the consumer to stop at once, dropping what is queued.
  void abandon() noexcept {
    head_.fetch_or(abandoned_bit, std::memory_order_release);
    head_.notify_all();
  }

  /// cancelled: the consumer takes no more values. failed: it takes nothing more.
  [[nodiscard]] bool cancelled() const noexcept {
    return (tail_.load(std::memory_order_acquire) & (cancelled_bit | failed_bit)) != 0;
  }
  [[nodiscard]] bool failed() const noexcept {
    return (tail_.load(std::memory_order_acquire) & failed_bit) != 0;
  }

  // ---- consumer side ----

  /// try_pop moves the oldest message into `out`; false if the ring is empty or abandoned.
  bool try_pop(batch<T>& out) {
    const std::uint64_t tail = index(tail_.load(std::memory_order_relaxed));
    if (cached_head_ == tail) {
      const std::uint64_t head = head_.load(std::memory_order_acquire);
      if (head & abandoned_bit) return false;
      cached_head_ = head;
      if (cached_head_ == tail) return false;
    }
    take(tail, out);
    return true;
  }

  /// pop waits for a message and moves it into `out`; false once the producer abandoned.
  bool pop(batch<T>& out) {
    const std::uint64_t tail = index(tail_.load(std::memory_order_relaxed));
    if (cached_head_ == tail) {
      for (int spin = 0;; ++spin) {
        const std::uint64_t head = head_.load(std::memory_order_acquire);
        if (head & abandoned_bit) return false;
        cached_head_ = head;
        if (cached_head_ != tail) break;
        if (spin < spins) {
          relax();
        } else {
          head_.wait(head, std::memory_order_acquire);
        }
      }
    }
    take(tail, out);
    return true;
  }

  /// cancel: the consumer takes no more values; the producer's pushes of values fail, end of
  /// stream still passes. fail: the consumer takes nothing more.
  void cancel() noexcept {
    tail_.fetch_or(cancelled_bit, std::memory_order_release);
    tail_.notify_all();
  }
  void fail() noexcept {
    tail_.fetch_or(failed_bit, std::memory_order_release);
    tail_.notify_all();
  }

  /// abandoned: the producer is gone (seen from the consumer).
  [[nodiscard]] bool abandoned() const noexcept {
    return (head_.load(std::memory_order_acquire) & abandoned_bit) != 0;
  }

 private:
  // The top bits of the indices carry the flags, so that a waiting side wakes on either a
  // move of the index or a flag, with one atomic to wait on.
  static constexpr std::uint64_t abandoned_bit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t cancelled_bit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t failed_bit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t flags = abandoned_bit | failed_bit;
  // About a microsecond of polling before sleeping: a handoff that comes soon costs no futex.
  static constexpr int spins = 256;

  static std::uint64_t index(std::uint64_t v) noexcept { return v & ~flags; }

  static bool refused(const batch<T>& m, std::uint64_t tail) noexcept {
    if (tail & failed_bit) return true;
    return (tail & cancelled_bit) && !m.last;
  }

  static void relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  void publish(std::uint64_t head, batch<T>& m) {
    slots_[head & (size_ - 1)] = std::move(m);
    // The producer is the only writer of head_ (abandon() is the producer too, and nothing is
    // pushed after it), so a plain store is enough.
    head_.store(head + 1, std::memory_order_release);
    head_.notify_one();
  }

  void take(std::uint64_t tail, batch<T>& out) {
    batch<T>& slot = slots_[tail & (size_ - 1)];
    out = std::move(slot);
    slot = batch<T>{};
    // The flags of tail_ are set only by this same (consumer) thread: a plain store keeps them.
    const std::uint64_t old = tail_.load(std::memory_order_relaxed);
    tail_.store((old & flags) | (tail + 1), std::memory_order_release);
    tail_.notify_one();
  }

  // Padding rather than alignas: the producer's fields and the consumer's are a cache line
  // apart (and apart from whatever surrounds the ring) wherever the ring is placed, also where
  // over-aligned objects are not honoured (some sanitizers' fake stacks).
  [[maybe_unused]] char pad0_[cache_line] = {};
  // Producer's fields: its index, and its copy of the consumer's.
  std::atomic<std::uint64_t> head_{0};
  std::uint64_t cached_tail_ = 0;
  [[maybe_unused]] char pad1_[cache_line] = {};
  // Consumer's fields.
  std::atomic<std::uint64_t> tail_{0};
  std::uint64_t cached_head_ = 0;
  [[maybe_unused]] char pad2_[cache_line] = {};
  // Read-only after construction.
  std::size_t size_ = 0;
  std::unique_ptr<batch<T>[]> slots_;
};

}  // namespace coflow::detail
