// coflow/pipeline/parallel/detail/spsc_ring.hpp
//
// spsc_ring<T>: the queue of a thread boundary. A bounded, lock-free ring between exactly one
// producer thread and one consumer thread, carrying messages: a batch of values, end of stream
// (with the values a stage flushed), or an exception.
//
//   detail::spsc_ring<int> ring(8);
//   // producer thread:
//   auto m = detail::ring_batch<int>::of({1, 2});
//   ring.push(m);                          // m now holds an empty buffer to reuse
//   auto end = detail::ring_batch<int>::end();
//   ring.push(end);
//   // consumer thread:
//   detail::ring_batch<int> got;
//   while (ring.pop(got) && !got.last) use(got.values);
//
// Semantics: messages come out in the order they went in. Each side may also stop the other:
// the consumer cancels (it wants no more values: pushes of values fail, end of stream still
// passes) or fails (it wants nothing more: every push fails); the producer abandons (the
// consumer's pops fail at once, whatever is still queued is dropped).
// Cost: the producer writes only `head_`, the consumer only `tail_`, each on its own cache line,
// and each side keeps a cached copy of the other's index, so a push or pop touches the other
// side's line only when the ring looks full or empty (and to see whether the consumer stopped).
// A side that must wait polls briefly (64 pauses), then sleeps on a 32-bit futex word (a direct
// futex call on Linux, std::atomic::wait elsewhere), announcing the index at which it wants to
// be woken: a producer on a full ring half the ring free, a consumer one message (or, asked by
// the ordered stage's caller, several). The other side makes the wake-up call only once that
// index is reached, and once per sleep, so a steady stream makes no system call and a slower
// side is woken once per several batches. An idle thread burns no core.
// A producer that must not block its thread (a scheduler task) registers a remote_waker with
// await_room() instead; the consumer calls it once it frees a slot or stops. A consumer that
// must not block (the ordered stage's caller, pushed into by a task) registers one with
// await_message(); the producer calls it once it publishes a message or abandons.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "pipeline/parallel/detail/async_push.hpp"

namespace coflow::detail {

/// ring_batch<T> is one message of a ring: values, and whether it ends the stream or carries an
/// exception in their place.
template <class T>
struct ring_batch {
  std::vector<T> values;
  bool last = false;         // end of stream; `values` are what the stage flushed
  std::exception_ptr error;  // the sending side failed; nothing follows

  static ring_batch of(std::vector<T> values) {
    return ring_batch{std::move(values), false, nullptr};
  }
  static ring_batch end() { return ring_batch{{}, true, nullptr}; }
  static ring_batch failure(std::exception_ptr e) { return ring_batch{{}, true, std::move(e)}; }
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
    slots_ = std::make_unique<ring_batch<T>[]>(size_);
  }
  spsc_ring(const spsc_ring&) = delete;
  spsc_ring& operator=(const spsc_ring&) = delete;

  [[nodiscard]] std::size_t capacity() const noexcept { return size_; }

  // ---- producer side ----

  /// try_push moves `m` into the ring if there is room and the consumer still takes it; returns
  /// whether it did. `m` is left untouched otherwise; after a push it holds an empty vector to
  /// reuse.
  bool try_push(ring_batch<T>& m) {
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
  /// it: it cancelled (for values) or failed. A producer that has to wait sleeps until half
  /// the ring is free (or one slot, for a ring of two), not just one slot: one wake-up per
  /// several batches when the consumer is the slower side.
  bool push(ring_batch<T>& m) {
    const std::uint64_t head = index(head_.load(std::memory_order_relaxed));
    // Sleep only when the ring is really full, not by a stale copy of the consumer's index: a
    // consumer waiting for several messages (pop with min_ready) must get them all.
    if (head - cached_tail_ == size_) cached_tail_ = index(tail_.load(std::memory_order_acquire));
    if (head - cached_tail_ == size_ || refused(m, tail_.load(std::memory_order_acquire))) {
      bool refuse = false;
      const std::uint64_t wanted = head - size_ + room_wanted();
      block_until(producer_wake_, producer_wants_, wanted + 1, [&] {
        const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
        refuse = refused(m, tail);
        return refuse || index(tail) >= wanted;
      });
      if (refuse) return false;
      cached_tail_ = index(tail_.load(std::memory_order_acquire));
    }
    publish(head, m);
    return true;
  }

  /// await_room registers `waker` to be called, once, from the consumer's thread when it frees
  /// a slot or stops taking values; false (and nothing registered) if either is so already.
  bool await_room(remote_waker waker) {
    {
      const std::lock_guard lock(waiter_mutex_);
      waiter_ = waker;
      producer_waiting_.store(true, std::memory_order_seq_cst);
    }
    // As in block_until: announce, then look at the consumer's index (both seq_cst).
    const std::uint64_t tail = tail_.load(std::memory_order_seq_cst);
    const std::uint64_t head = index(head_.load(std::memory_order_relaxed));
    const bool ready = (tail & (cancelled_bit | failed_bit)) != 0 || head - index(tail) < size_;
    if (!ready) return true;
    const std::lock_guard lock(waiter_mutex_);
    if (waiter_.wake == nullptr) return true;  // the consumer has called it already
    waiter_ = {};
    producer_waiting_.store(false, std::memory_order_relaxed);
    return false;
  }

  /// forget_waiter withdraws a waker registered by await_room; once it returns, the waker is
  /// not running and will not be called.
  void forget_waiter() noexcept {
    const std::lock_guard lock(waiter_mutex_);
    waiter_ = {};
    producer_waiting_.store(false, std::memory_order_relaxed);
  }

  /// abandon tells the consumer to stop at once, dropping what is queued.
  void abandon() noexcept {
    head_.fetch_or(abandoned_bit, std::memory_order_seq_cst);
    wake_consumer(~std::uint64_t{0});
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
  bool try_pop(ring_batch<T>& out) {
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
  /// With `min_ready` > 1 it waits until that many messages are queued, or the last one
  /// pushed ends the stream (the producer must be going to push them: the caller of an
  /// ordered stage knows how many batches it has in flight).
  bool pop(ring_batch<T>& out, std::uint64_t min_ready = 1) {
    // A producer that sleeps on a full ring waits for room_wanted() slots; a consumer asking
    // for more than size + 1 - room_wanted() messages could wait for it while it waits for them.
    min_ready = std::clamp<std::uint64_t>(min_ready, 1, size_ + 1 - room_wanted());
    const std::uint64_t tail = index(tail_.load(std::memory_order_relaxed));
    if (cached_head_ - tail < min_ready) {
      bool gone = false;
      block_until(consumer_wake_, consumer_wants_, tail + min_ready + 1, [&] {
        const std::uint64_t head = head_.load(std::memory_order_seq_cst);
        gone = (head & abandoned_bit) != 0;
        return gone || head - tail >= min_ready || (head != tail && ends(head));
      });
      if (gone) return false;
      const std::uint64_t head = head_.load(std::memory_order_acquire);
      if (head & abandoned_bit) return false;
      cached_head_ = head;
    }
    take(tail, out);
    return true;
  }

  /// await_message registers `waker` to be called, once, from the producer's thread when it
  /// publishes a message or abandons; false (and nothing registered) if either is so already.
  bool await_message(remote_waker waker) {
    {
      const std::lock_guard lock(waiter_mutex_);
      message_waiter_ = waker;
      consumer_waiting_.store(true, std::memory_order_seq_cst);
    }
    // As in await_room, mirrored: announce, then look at the producer's index.
    const std::uint64_t head = head_.load(std::memory_order_seq_cst);
    const std::uint64_t tail = index(tail_.load(std::memory_order_relaxed));
    const bool ready = (head & abandoned_bit) != 0 || index(head) != tail;
    if (!ready) return true;
    const std::lock_guard lock(waiter_mutex_);
    if (message_waiter_.wake == nullptr) return true;  // the producer has called it already
    message_waiter_ = {};
    consumer_waiting_.store(false, std::memory_order_relaxed);
    return false;
  }

  /// forget_message_waiter withdraws a waker registered by await_message; once it returns, the
  /// waker is not running and will not be called.
  void forget_message_waiter() noexcept {
    const std::lock_guard lock(waiter_mutex_);
    message_waiter_ = {};
    consumer_waiting_.store(false, std::memory_order_relaxed);
  }

  /// cancel: the consumer takes no more values; the producer's pushes of values fail, end of
  /// stream still passes. fail: the consumer takes nothing more.
  void cancel() noexcept {
    tail_.fetch_or(cancelled_bit, std::memory_order_seq_cst);
    wake_producer(~std::uint64_t{0});
  }
  void fail() noexcept {
    tail_.fetch_or(failed_bit, std::memory_order_seq_cst);
    wake_producer(~std::uint64_t{0});
  }

  /// abandoned: the producer is gone (seen from the consumer).
  [[nodiscard]] bool abandoned() const noexcept {
    return (head_.load(std::memory_order_acquire) & abandoned_bit) != 0;
  }

 private:
  // The top bits of the indices carry the flags, so that one load tells a side both where the
  // other is and whether it stopped.
  static constexpr std::uint64_t abandoned_bit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t cancelled_bit = std::uint64_t{1} << 63;
  static constexpr std::uint64_t failed_bit = std::uint64_t{1} << 62;
  static constexpr std::uint64_t flags = abandoned_bit | failed_bit;
  // Polls before sleeping. Short on purpose: measured on a machine with more runnable threads
  // than cores, a longer poll (50 us by the clock, with or without yielding) made a boundary 2
  // to 4 times slower, the poller burning the time slice its partner needed; a sleeper is also
  // woken with priority. 64 pauses are about 1.6 us on the AMD EPYC (Zen 4) of the benchmarks.
  static constexpr int polls = 64;

  static std::uint64_t index(std::uint64_t v) noexcept { return v & ~flags; }

  // The free slots a producer that sleeps on a full ring waits for.
  std::uint64_t room_wanted() const noexcept { return std::max<std::uint64_t>(1, size_ / 2); }

  // Whether the newest published message (just before `head`) ends the stream.
  bool ends(std::uint64_t head) const noexcept {
    return slots_[(index(head) - 1) & (size_ - 1)].last;
  }

  static bool refused(const ring_batch<T>& m, std::uint64_t tail) noexcept {
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

  // Waits until ready() (which reads the other side's index) is true: polls, then sleeps on a
  // 32-bit futex word after announcing in `wants` the index (plus one; 0 is "awake") at which
  // it wants to be woken. The other side, after moving its index, wakes the sleeper only once
  // that index is reached (wake() below). The index stores, the announcements and the loads of
  // both are sequentially consistent, so that of "I sleep, then look at the index" and "I move
  // the index, then look for a sleeper" at least one sees the other (no lost wake-up). Fences
  // would do the same, but ThreadSanitizer cannot see them.
  template <class Ready>
  static void block_until(std::atomic<std::uint32_t>& word, std::atomic<std::uint64_t>& wants,
                          std::uint64_t wanted, Ready&& ready) {
    for (int poll = 0; poll < polls; ++poll) {
      if (ready()) return;
      relax();
    }
    for (;;) {
      const std::uint32_t seen = word.load(std::memory_order_acquire);
      wants.store(wanted, std::memory_order_seq_cst);
      if (ready()) break;
      sleep_on(word, seen);
      wants.store(0, std::memory_order_relaxed);
      if (ready()) return;
    }
    wants.store(0, std::memory_order_relaxed);
  }

  // Wakes the other side if it sleeps and wants an index up to `reached` (plus one).
  static void wake(std::atomic<std::uint32_t>& word, std::atomic<std::uint64_t>& wants,
                   std::uint64_t reached) noexcept {
    const std::uint64_t wanted = wants.load(std::memory_order_seq_cst);
    // Taking the announcement back makes one wake-up call per sleep: until the sleeper runs
    // again (tens of microseconds on a busy machine) the other side's next batches find no one
    // to wake, instead of a system call each.
    if (wanted != 0 && wanted <= reached && wants.exchange(0, std::memory_order_seq_cst) != 0) {
      word.fetch_add(1, std::memory_order_release);
      wake_one(word);
    }
  }

  // Sleeping and waking: on Linux a direct futex on the word, private to the process; elsewhere
  // std::atomic::wait. libstdc++ 12's wait first spins 12 pauses and 4 sched_yield calls (the
  // ring has polled already) and its notify goes through a process-wide table of waiter counts
  // shared by every atomic; the futex call does neither. Spurious returns are fine: the callers
  // loop.
  static void sleep_on(std::atomic<std::uint32_t>& word, std::uint32_t seen) noexcept {
#if defined(__linux__)
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
    (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAIT_PRIVATE, seen,
                  nullptr, nullptr, 0);
#else
    word.wait(seen, std::memory_order_acquire);
#endif
  }

  static void wake_one(std::atomic<std::uint32_t>& word) noexcept {
#if defined(__linux__)
    (void)syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), FUTEX_WAKE_PRIVATE, 1,
                  nullptr, nullptr, 0);
#else
    word.notify_one();
#endif
  }

  // The vectors circulate instead of being freed and allocated again: publish leaves in `m`
  // the (empty) buffer the slot held, which take() left there from the consumer's previous
  // message. A steady stream then allocates nothing, and no memory crosses between the
  // threads' allocator arenas.
  void publish(std::uint64_t head, ring_batch<T>& m) {
    ring_batch<T>& slot = slots_[head & (size_ - 1)];
    std::swap(slot.values, m.values);
    const bool m_ends = m.last;
    slot.last = m.last;
    slot.error = std::move(m.error);
    m.last = false;
    m.error = nullptr;
    // The producer is the only writer of head_ (abandon() is the producer too, and nothing is
    // pushed after it), so a plain store is enough.
    head_.store(head + 1, std::memory_order_seq_cst);
    // The end of the stream wakes the consumer whatever count it waits for.
    wake_consumer(m_ends ? ~std::uint64_t{0} : head + 2);
  }

  void take(std::uint64_t tail, ring_batch<T>& out) {
    ring_batch<T>& slot = slots_[tail & (size_ - 1)];
    out.values.clear();  // the moved-from values of the previous message die on this thread
    std::swap(out.values, slot.values);
    out.last = slot.last;
    out.error = std::move(slot.error);
    slot.error = nullptr;
    // The flags of tail_ are set only by this same (consumer) thread: a plain store keeps them.
    const std::uint64_t old = tail_.load(std::memory_order_relaxed);
    tail_.store((old & flags) | (tail + 1), std::memory_order_seq_cst);
    wake_producer(tail + 2);
  }

  // The producer sleeps on its thread, or waits as a task (await_room): wake either.
  void wake_producer(std::uint64_t reached) noexcept {
    wake(producer_wake_, producer_wants_, reached);
    if (producer_waiting_.load(std::memory_order_seq_cst)) call_waiter(waiter_, producer_waiting_);
  }

  // The consumer sleeps on its thread, or waits as a task (await_message): wake either.
  void wake_consumer(std::uint64_t reached) noexcept {
    wake(consumer_wake_, consumer_wants_, reached);
    if (consumer_waiting_.load(std::memory_order_seq_cst)) {
      call_waiter(message_waiter_, consumer_waiting_);
    }
  }

  // Called under the lock, so that forget_waiter() returns only once no call is running.
  void call_waiter(remote_waker& slot, std::atomic<bool>& waiting) noexcept {
    const std::lock_guard lock(waiter_mutex_);
    const remote_waker w = std::exchange(slot, remote_waker{});
    waiting.store(false, std::memory_order_relaxed);
    if (w.wake != nullptr) w.wake(w.target);
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
  // Sleeping and waking: each word is bumped by one side and waited on by the other.
  std::atomic<std::uint32_t> consumer_wake_{0};
  std::atomic<std::uint64_t> consumer_wants_{0};  // head index + 1 to be woken at; 0: awake
  [[maybe_unused]] char pad3_[cache_line] = {};
  std::atomic<std::uint32_t> producer_wake_{0};
  std::atomic<std::uint64_t> producer_wants_{0};  // tail index + 1 to be woken at; 0: awake
  std::atomic<bool> producer_waiting_{false};     // a waker is registered (await_room)
  std::atomic<bool> consumer_waiting_{false};     // a waker is registered (await_message)
  [[maybe_unused]] char pad4_[cache_line] = {};
  std::mutex waiter_mutex_;      // guards the wakers, and a waker's call
  remote_waker waiter_;          // the producer's (await_room)
  remote_waker message_waiter_;  // the consumer's (await_message)
  // Read-only after construction.
  std::size_t size_ = 0;
  std::unique_ptr<ring_batch<T>[]> slots_;
};

}  // namespace coflow::detail
