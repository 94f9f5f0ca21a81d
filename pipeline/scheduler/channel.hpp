// coflow/pipeline/scheduler/channel.hpp
//
// channel<T>: a bounded FIFO between tasks (Go's buffered channel, asyncio.Queue with close).
//
//   coflow::channel<int> ch(8);                     // room for 8 values
//   coflow::task<> producer(coflow::channel<int>& ch) {
//     for (int i = 0; i < 100; ++i) co_await ch.send(i);   // waits while the channel is full
//     ch.close();
//   }
//   coflow::task<long> consumer(coflow::channel<int>& ch) {
//     long total = 0;
//     while (std::optional<int> v = co_await ch.receive()) total += *v;   // empty: closed, drained
//     co_return total;
//   }
//
// Semantics:
// - `co_await ch.send(v)` hands v to the longest-waiting receiver if one waits, or else
//   appends it to the buffer. When the buffer is full, the channel's overflow_policy decides:
//   `wait` (the default) suspends the sender until a receiver makes room, `drop_newest`
//   discards v, `keep_latest` discards the oldest buffered value to make room for v. It
//   returns whether v was kept (false only when drop_newest discarded it).
// - `co_await ch.receive()` returns the oldest value, waiting while the channel is empty and
//   open; once the channel is closed and drained it returns an empty optional at once.
// - Waiting senders and receivers are served in the order they started waiting, and woken by
//   appending them to their schedulers' ready queues: values leave in the order they were
//   sent. A capacity of 0 (only with `wait` or `drop_newest`) buffers nothing: every value
//   passes straight from a sender to a waiting receiver (a rendezvous, Go's unbuffered
//   channel).
// - close() ends the stream: receivers drain what is buffered, then get an empty optional.
//   Closing twice is harmless.
// Exceptions: misuse throws coflow::protocol_error at the co_await: send() on a closed
// channel, and a send() that was waiting for room when the channel was closed (its value is
// not delivered). The constructor throws protocol_error for keep_latest with capacity 0. An
// exception from T's move constructor propagates out of the co_await that moved the value.
// Lifetime: the channel must outlive the co_awaits on it. Destroying it while tasks wait
// releases them without waking them; their scheduler's run() then reports a deadlock.
// Cost: the buffer is allocated once, at construction; a send or receive never allocates,
// and moves each value once into the buffer and once out (once in all on a hand-off).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include "pipeline/protocol_error.hpp"
#include "pipeline/scheduler/detail/intrusive_list.hpp"
#include "pipeline/scheduler/detail/ring_buffer.hpp"
#include "pipeline/scheduler/detail/scheduler_core.hpp"

namespace coflow {

/// overflow_policy is what a channel does with a value sent while its buffer is full.
enum class overflow_policy : unsigned char {
  wait,         ///< the sender waits until a receiver makes room (back-pressure)
  drop_newest,  ///< the value being sent is discarded
  keep_latest,  ///< the oldest buffered value is discarded to make room
};

/// channel<T> is a bounded FIFO between tasks; see the file comment.
template <class T>
class channel {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_array_v<T> &&
                    std::is_move_constructible_v<T>,
                "coflow::channel<T>: T must be a non-const, move-constructible object type");

  static void wake(detail::task_node& node) noexcept { node.core->schedule(node); }

 public:
  class send_awaiter;
  class receive_awaiter;
  using value_type = T;

  /// channel holds up to `capacity` values and applies `policy` when full.
  explicit channel(std::size_t capacity, overflow_policy policy = overflow_policy::wait)
      : buffer_(checked_capacity(capacity, policy)), policy_(policy) {}
  channel(const channel&) = delete;
  channel& operator=(const channel&) = delete;
  ~channel() = default;  // waiting tasks are released (see the file comment)

  /// send returns an awaitable that delivers `value`; `co_await` it (see the file comment).
  [[nodiscard]] send_awaiter send(T value) noexcept(std::is_nothrow_move_constructible_v<T>) {
    return send_awaiter(*this, std::move(value));
  }

  /// receive returns an awaitable for the next value; `co_await` it (see the file comment).
  [[nodiscard]] receive_awaiter receive() noexcept { return receive_awaiter(*this); }

  /// close ends the stream: buffered values can still be received, then receive() gives an
  /// empty optional. Waiting receivers wake with an empty optional; waiting senders wake with
  /// a protocol_error.
  void close() noexcept {
    if (closed_) return;
    closed_ = true;
    while (!receivers_.empty()) wake(*receivers_.pop_front().node_);
    while (!senders_.empty()) {
      send_awaiter& sender = senders_.pop_front();
      sender.state_ = send_awaiter::state::closed;
      wake(*sender.node_);
    }
  }

  /// closed is true after close().
  [[nodiscard]] bool closed() const noexcept { return closed_; }
  /// size is the number of buffered values.
  [[nodiscard]] std::size_t size() const noexcept { return buffer_.size(); }
  /// capacity is the buffer's size, fixed at construction.
  [[nodiscard]] std::size_t capacity() const noexcept { return buffer_.capacity(); }
  /// policy is what the channel does with a value sent while it is full.
  [[nodiscard]] overflow_policy policy() const noexcept { return policy_; }
  /// dropped counts the values discarded by drop_newest or keep_latest.
  [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }

  /// send_awaiter is what send() returns: `co_await` it once, inside a coflow::task.
  class send_awaiter : public detail::awaitable_base, public detail::list_hook<detail::wait_tag> {
   public:
    // Moved (by some compilers) before it is awaited, never while it waits.
    send_awaiter(send_awaiter&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
        : channel_(other.channel_), value_(std::move(other.value_)), state_(other.state_) {}
    send_awaiter& operator=(const send_awaiter&) = delete;
    ~send_awaiter() = default;  // the hook leaves the wait list if the task is destroyed waiting

    bool await_ready() {
      channel& ch = *channel_;
      if (ch.closed_) throw protocol_error("coflow::channel::send(): send on a closed channel");
      if (!ch.receivers_.empty()) {
        receive_awaiter& receiver = ch.receivers_.pop_front();
        receiver.value_.emplace(std::move(value_));
        wake(*receiver.node_);
        state_ = state::kept;
        return true;
      }
      if (!ch.buffer_.full()) {
        ch.buffer_.push_back(std::move(value_));
        state_ = state::kept;
        return true;
      }
      switch (ch.policy_) {
        case overflow_policy::drop_newest:
          ++ch.dropped_;
          state_ = state::dropped;
          return true;
        case overflow_policy::keep_latest:
          (void)ch.buffer_.pop_front();
          ++ch.dropped_;
          ch.buffer_.push_back(std::move(value_));
          state_ = state::kept;
          return true;
        case overflow_policy::wait:
          break;
      }
      return false;
    }

    template <class Promise>
    void await_suspend(std::coroutine_handle<Promise> h) noexcept {
      node_ = &detail::node_of(h);
      channel_->senders_.push_back(*this);
    }

    /// await_resume is true if the value was kept, false if drop_newest discarded it.
    bool await_resume() const {
      if (state_ == state::closed)
        throw protocol_error(
            "coflow::channel::send(): the channel was closed while send() waited for room; the "
            "value was not delivered");
      return state_ == state::kept;
    }

   private:
    friend class channel;
    enum class state : unsigned char { waiting, kept, dropped, closed };
    send_awaiter(channel& ch, T&& value) noexcept(std::is_nothrow_move_constructible_v<T>)
        : channel_(&ch), value_(std::move(value)) {}

    channel* channel_;
    T value_;
    detail::task_node* node_ = nullptr;
    state state_ = state::waiting;
  };

  /// receive_awaiter is what receive() returns: `co_await` it once, inside a coflow::task.
  class receive_awaiter : public detail::awaitable_base,
                          public detail::list_hook<detail::wait_tag> {
   public:
    // Moved (by some compilers) before it is awaited, never while it waits.
    receive_awaiter(receive_awaiter&& other) noexcept(std::is_nothrow_move_constructible_v<T>)
        : channel_(other.channel_), value_(std::move(other.value_)) {}
    receive_awaiter& operator=(const receive_awaiter&) = delete;
    ~receive_awaiter() = default;  // the hook leaves the wait list if the task is destroyed

    bool await_ready() {
      channel& ch = *channel_;
      if (!ch.buffer_.empty()) {
        value_.emplace(ch.buffer_.pop_front());
        // Room was made: the longest-waiting sender's value takes it.
        if (!ch.senders_.empty()) {
          send_awaiter& sender = ch.senders_.pop_front();
          ch.buffer_.push_back(std::move(sender.value_));
          sender.state_ = send_awaiter::state::kept;
          wake(*sender.node_);
        }
        return true;
      }
      if (!ch.senders_.empty()) {  // capacity 0: take the value straight from the sender
        send_awaiter& sender = ch.senders_.pop_front();
        value_.emplace(std::move(sender.value_));
        sender.state_ = send_awaiter::state::kept;
        wake(*sender.node_);
        return true;
      }
      return ch.closed_;
    }

    template <class Promise>
    void await_suspend(std::coroutine_handle<Promise> h) noexcept {
      node_ = &detail::node_of(h);
      channel_->receivers_.push_back(*this);
    }

    /// await_resume is the next value, or an empty optional once the channel is closed and
    /// drained.
    std::optional<T> await_resume() noexcept(std::is_nothrow_move_constructible_v<T>) {
      return std::move(value_);
    }

   private:
    friend class channel;
    explicit receive_awaiter(channel& ch) noexcept : channel_(&ch) {}

    channel* channel_;
    std::optional<T> value_;
    detail::task_node* node_ = nullptr;
  };

 private:
  static std::size_t checked_capacity(std::size_t capacity, overflow_policy policy) {
    if (capacity == 0 && policy == overflow_policy::keep_latest)
      throw protocol_error(
          "coflow::channel: keep_latest needs a capacity of at least 1 (there is no latest "
          "value to keep in an empty buffer)");
    return capacity;
  }

  detail::ring_buffer<T> buffer_;
  detail::intrusive_list<send_awaiter, detail::wait_tag> senders_;
  detail::intrusive_list<receive_awaiter, detail::wait_tag> receivers_;
  std::uint64_t dropped_ = 0;
  overflow_policy policy_;
  bool closed_ = false;
};

}  // namespace coflow
