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
// not delivered). The constructor throws protocol_error for keep_latest with capacity 0.
// A throwing move of T (assumed to leave its source unchanged) is strongly exception-safe:
// every value is moved to its destination before anything else changes, so no value is lost
// or duplicated and no task is left out of its wait list (close() releases every one):
// - send() handing its value to a waiting receiver, or appending it to the buffer (keep_latest
//   too: the oldest value is discarded only after the new one is in): the exception
//   propagates out of that send's co_await, the value is not delivered, the receiver still
//   waits and the buffer is unchanged.
// - receive() taking a value from the buffer, or from a waiting sender (capacity 0): the
//   exception propagates out of that receive's co_await; the value stays where it was (the
//   sender still waits) and the next receive gets it.
// - receive() making room in a full buffer for the longest-waiting sender: the receive has
//   its value; the sender whose value could not be moved in is woken with the exception,
//   which propagates out of its send's co_await (its value is not delivered), and the next
//   waiting sender takes the room.
// - The one exception to this: a receiver that waited gets its value handed over into its
//   awaiter; if moving it from there into the co_await's result throws, the exception
//   propagates out of that receive's co_await and the value is lost.
// Lifetime: the channel must outlive the co_awaits on it. Destroying it while tasks wait
// releases them without waking them; their scheduler's run() then reports a deadlock.
// Cost: the buffer is allocated once, at construction (keep_latest allocates one spare slot);
// a send or receive never allocates, and moves each value once into the buffer and once out,
// once on a hand-off to a ready receive, twice on one to a receiver that waited.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
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
      : buffer_(checked_capacity(capacity, policy), policy == overflow_policy::keep_latest ? 1 : 0),
        policy_(policy) {}
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
        // Moved before the receiver leaves its wait list: if the move throws, it still waits.
        receive_awaiter& receiver = ch.receivers_.front();
        receiver.value_.emplace(std::move(value_));
        ch.receivers_.pop_front();
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
          // Into the spare slot first: if the move throws, nothing has been discarded.
          ch.buffer_.push_back(std::move(value_));
          ch.buffer_.drop_front();
          ++ch.dropped_;
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
      if (state_ == state::failed) std::rethrow_exception(error_);
      if (state_ == state::closed)
        throw protocol_error(
            "coflow::channel::send(): the channel was closed while send() waited for room; the "
            "value was not delivered");
      return state_ == state::kept;
    }

   private:
    friend class channel;
    enum class state : unsigned char { waiting, kept, dropped, closed, failed };
    send_awaiter(channel& ch, T&& value) noexcept(std::is_nothrow_move_constructible_v<T>)
        : channel_(&ch), value_(std::move(value)) {}

    channel* channel_;
    T value_;
    detail::task_node* node_ = nullptr;
    std::exception_ptr error_;  // state::failed: what moving the value into the buffer threw
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

    // A ready receive only decides where its value comes from; await_resume, which runs right
    // after, moves it from there straight into the result and only then removes it from the
    // buffer or wakes its sender, so that a throwing move leaves the channel as it was.
    bool await_ready() noexcept {
      channel& ch = *channel_;
      if (!ch.buffer_.empty()) {
        source_ = source::buffer;
        return true;
      }
      if (!ch.senders_.empty()) {  // capacity 0: take the value straight from the sender
        source_ = source::sender;
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
      channel& ch = *channel_;
      switch (source_) {
        case source::buffer: {
          auto drop_taken = [](channel& c) noexcept {
            c.buffer_.drop_front();
            c.admit_waiting_senders();  // room was made
          };
          const commit_on_success<decltype(drop_taken)> taken(ch, drop_taken);
          return std::optional<T>(std::in_place, std::move(ch.buffer_.front()));
        }
        case source::sender: {
          auto release_sender = [](channel& c) noexcept {
            send_awaiter& sender = c.senders_.pop_front();
            sender.state_ = send_awaiter::state::kept;
            wake(*sender.node_);
          };
          const commit_on_success<decltype(release_sender)> taken(ch, release_sender);
          return std::optional<T>(std::in_place, std::move(ch.senders_.front().value_));
        }
        case source::none:
          break;
      }
      return std::move(value_);  // handed over by a sender while this receive waited, or empty
    }

   private:
    friend class channel;
    enum class source : unsigned char { none, buffer, sender };
    explicit receive_awaiter(channel& ch) noexcept : channel_(&ch) {}

    // commit_on_success runs `commit` when it is destroyed, unless an exception is on its way
    // out: a local of await_resume, it is destroyed after the result has been move-constructed
    // (a prvalue, so that move is the only one), and commits only if that move succeeded.
    template <class Commit>
    class commit_on_success {
     public:
      commit_on_success(channel& ch, Commit commit) noexcept : channel_(ch), commit_(commit) {}
      commit_on_success(const commit_on_success&) = delete;
      commit_on_success& operator=(const commit_on_success&) = delete;
      ~commit_on_success() {
        if (std::uncaught_exceptions() == exceptions_) commit_(channel_);
      }

     private:
      channel& channel_;
      [[no_unique_address]] Commit commit_;
      int exceptions_ = std::uncaught_exceptions();
    };

    channel* channel_;
    std::optional<T> value_;
    detail::task_node* node_ = nullptr;
    source source_ = source::none;
  };

 private:
  // admit_waiting_senders moves the longest-waiting senders' values into the room a receive
  // made. A sender is woken only after its value is in the buffer; one whose move throws is
  // woken with that exception instead (its value is not delivered), and the next one tries.
  void admit_waiting_senders() noexcept {
    while (!senders_.empty() && !buffer_.full()) {
      send_awaiter& sender = senders_.front();
      try {
        buffer_.push_back(std::move(sender.value_));
        sender.state_ = send_awaiter::state::kept;
      } catch (...) {
        sender.error_ = std::current_exception();
        sender.state_ = send_awaiter::state::failed;
      }
      senders_.pop_front();
      wake(*sender.node_);
    }
  }

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
