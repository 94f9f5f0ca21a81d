// coflow/pipeline/coroutine.hpp
//
// coroutine<In, Out, Result>: a push-style coroutine with the semantics of Python's generator
// coroutines. The body waits at receive points, is resumed each time a value is sent in, may
// answer each value with a reply, and may finish with a result.
//
//   coflow::coroutine<double, double> averager() {
//     double total = 0;
//     long count = 0;
//     std::optional<double> average;             // Python's None: the first reply is empty
//     while (auto term = co_yield average) {     // empty optional = end of stream
//       total += *term;
//       average = total / static_cast<double>(++count);
//     }
//   }
//
//   auto avg = averager();
//   avg.start();          // -> empty optional
//   avg.send(10);         // -> 10
//   avg.send(20);         // -> 15
//   avg.close();          // end of stream; the body returns
//
// Python -> C++:
//
//   | Python                          | coflow                                         |
//   |---------------------------------|------------------------------------------------|
//   | value = yield reply             | std::optional<In> v = co_yield reply;          |
//   | value = yield                   | std::optional<In> v = co_yield coflow::receive;|
//   | (no Python twin: a batch)       | auto batch = co_yield coflow::receive_batch;   |
//   | yield x (several per input)     | co_yield coflow::emit(x);                      |
//   | return result (StopIteration)   | co_return result;                              |
//   | next(c) (priming)               | c.start()                                      |
//   | c.send(v)                       | c.send(v)      -> std::optional<Out>           |
//   | next(c) after a yield x         | c.next()       -> std::optional<Out>           |
//   | c.throw(e)                      | c.throw_into(e)                                |
//   | c.close()                       | c.close()      -> Result                       |
//   | inspect.getgeneratorstate(c)    | c.status()     -> coflow::status               |
//   | GeneratorExit                   | an empty optional at the receive point         |
//   | "generator ignored GeneratorExit" | protocol_error from close()                  |
//
// Batches: a hot stage can take many values per resume, so that the resume's cost is paid once
// per batch rather than once per value:
//
//   coflow::coroutine<double, double> averager() {     // the same averager, batched
//     double total = 0;
//     std::uint64_t count = 0;
//     std::vector<double> means;
//     auto batch = co_yield coflow::receive_batch;      // std::optional<std::span<const double>>
//     while (batch) {
//       means.clear();
//       for (double term : *batch) means.push_back((total += term) / static_cast<double>(++count));
//       batch = co_yield coflow::receive_batch(means);   // output the means, wait for a batch
//     }
//   }
//
// At `co_yield coflow::receive_batch` the body gets a span of values (empty optional: end of
// stream), valid until it next waits. A pipeline fed from a contiguous range delivers spans of
// up to coflow::max_batch_size values there (push_batch); a value sent alone (send, push)
// arrives as a batch of one, and send(v) returns the one reply a batch of one was answered with
// (more than one is a protocol_error: use send(v, out)). `receive_batch(replies)` outputs every
// value of `replies`, a contiguous range of Out that the body keeps alive while it waits.
//
// Guarantees:
// - Allocation: one frame allocation per coroutine, none per value.
// - Exceptions: an exception escaping the body is captured in the frame and rethrown from
//   the call that resumed it (start, send, next, close, throw_into); the coroutine is then
//   done. Misuse throws coflow::protocol_error naming the mistake.
// - Lifetime: move-only; the object owns its frame, and destroying it destroys the frame and
//   runs the destructors of the body's locals. Destroying it from inside its own running body
//   is deferred: the frame is destroyed when the body next suspends, and the call that resumed
//   it throws protocol_error.
// - Parameters: a coroutine function may not take `const T&` or `T&&` parameters, which can
//   bind a temporary that dies before the body reads it; this is a compile-time error. Take
//   parameters by value, or by non-const reference to an object the caller keeps alive.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include "pipeline/detail/parameters.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/status.hpp"

namespace coflow {

template <class In, class Out = void, class Result = void>
class coroutine;

/// consumer<In, Result> is a coroutine that receives values and answers nothing.
template <class In, class Result = void>
using consumer = coroutine<In, void, Result>;

namespace detail {

template <class>
inline constexpr bool always_false = false;

// Thrown by the resumer when the body destroyed its own owner; nothing may touch the owner.
class orphaned_error : public protocol_error {
 public:
  using protocol_error::protocol_error;
};

// Fn can take the coroutine's outputs (anything can, for a coroutine that outputs nothing).
template <class Fn, class Out>
struct accepts_output : std::bool_constant<std::invocable<Fn&, Out&&>> {};
template <class Fn>
struct accepts_output<Fn, void> : std::true_type {};

template <class Fn, class Out>
concept output_callback = accepts_output<Fn, Out>::value;

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

// A std::optional (of any reference category) whose value converts to Out.
template <class Optional, class Out>
concept optional_of_convertible = is_optional<std::remove_cvref_t<Optional>>::value &&
    std::convertible_to<typename std::remove_cvref_t<Optional>::value_type, Out>;

// Where a body stands. `running` is set by the resumer and replaced by the body when it
// suspends, so one load tells the hot path that the body waits for a value.
enum class point : unsigned char { start, receiving, receiving_batch, emitting, running, finished };

// Where the body stands, and whether its owner was destroyed while it ran.
struct run_control {
  point where = point::start;
  bool orphaned = false;  // the owner was destroyed while the body was running
};

// A body waiting at either kind of receive point.
constexpr bool waits_for_input(point where) noexcept {
  return where == point::receiving || where == point::receiving_batch;
}

// The body's pending output: a pointer to the operand of `co_yield`, which lives in the frame
// until the body resumes, so an output is handed on without being copied into a buffer.
template <class Out>
struct output_slot {
  static constexpr bool trivial = std::is_trivially_copyable_v<Out>;
  // Batches of outputs are copied on from the body's storage: only copyable types have them.
  static constexpr bool batches = std::is_copy_constructible_v<Out>;

  Out* value = nullptr;
  // Or several outputs at once, from `co_yield coflow::receive_batch(replies)`.
  const Out* batch = nullptr;
  std::size_t batch_size = 0;
  // An rvalue operand: the resumer may move from it (moot for trivially copyable values).
  [[no_unique_address]] std::conditional_t<trivial, std::false_type, bool> movable{};

  template <class R>
  void point_at(R&& operand) noexcept {
    value = const_cast<Out*>(std::addressof(operand));
    if constexpr (!trivial) {
      movable = !std::is_lvalue_reference_v<R> && !std::is_const_v<std::remove_reference_t<R>>;
    }
    static_assert(
        std::is_copy_constructible_v<Out> ||
            (!std::is_lvalue_reference_v<R> && !std::is_const_v<std::remove_reference_t<R>>),
        "co_yield of an lvalue hands on a copy, and this output type cannot be copied: "
        "write `co_yield std::move(x)` (or `co_yield coflow::emit(std::move(x))`)");
  }

  // Hands the output to `out` (moving it where allowed) and clears the slot.
  template <class Fn>
  void deliver(Fn& out) {
    Out* v = std::exchange(value, nullptr);
    if constexpr (trivial) {
      out(Out(*v));
    } else if constexpr (!std::is_copy_constructible_v<Out>) {
      out(std::move(*v));  // point_at admits only rvalues of a move-only type
    } else if (movable) {
      out(std::move(*v));
    } else {
      out(Out(*v));
    }
  }

  // Hands the batch of outputs to `out`, as one span where `out` takes spans.
  template <class Fn>
  void deliver_batch(Fn& out) {
    if constexpr (batches) {
      std::span<const Out> values(std::exchange(batch, nullptr), std::exchange(batch_size, 0));
      if constexpr (requires { out.push_batch(values); }) {
        out.push_batch(values);
      } else {
        for (const Out& v : values) out(Out(v));
      }
    }
  }

  // Hands on whatever the body output: one value or a batch.
  template <class Fn>
  void deliver_any(Fn& out) {
    if (value) {
      deliver(out);
    } else if (batches && batch) {
      deliver_batch(out);
    }
  }

  std::optional<Out> take() {
    if (batches && batch != nullptr) return take_single_of_batch();
    if (value == nullptr) return std::nullopt;
    std::optional<Out> result;
    auto keep = [&result](Out&& v) { result.emplace(std::move(v)); };
    deliver(keep);
    return result;
  }

  [[gnu::cold]] std::optional<Out> take_single_of_batch() {
    if constexpr (!batches) {
      return std::nullopt;
    } else {
      const std::size_t size = std::exchange(batch_size, 0);
      const Out* values = std::exchange(batch, nullptr);
      if (size > 1) {
        throw protocol_error(
            "coflow::coroutine: the body answered one value with a batch of several; call "
            "send(value, out) to receive them all");
      }
      if (size == 0) return std::nullopt;
      return std::optional<Out>(std::in_place, values[0]);
    }
  }
};
template <>
struct output_slot<void> {};

template <class Result>
struct result_slot {
  std::optional<Result> result;
  template <std::convertible_to<Result> R>
  void return_value(R&& r) {
    result.emplace(std::forward<R>(r));
  }
};
template <>
struct result_slot<void> {
  void return_void() noexcept {}
};

// State shared by every promise: what the driver and the body exchange.
template <class In, class Out, class Result>
struct promise_state : result_slot<Result> {
  In* input = nullptr;  // the value for the receive point (the sender's); null: end of stream
  std::size_t input_count = 0;  // at a batch receive point: how many values `input` points to
  [[no_unique_address]] output_slot<Out> out;
  std::exception_ptr failure;   // escaped the body; rethrown by the call that resumed it
  std::exception_ptr injected;  // from throw_into; raised at the point where the body waits
  run_control control;
  bool eos_delivered = false;  // close() handed the body its end of stream

  void raise_injected() {
    if (injected) [[unlikely]]
      rethrow_injected();
  }

  // Out of line and cold, so that the body's resume path needs no stack frame for it.
  [[noreturn, gnu::noinline, gnu::cold]] void rethrow_injected() {
    std::rethrow_exception(std::exchange(injected, nullptr));
  }
};

}  // namespace detail

template <class In, class Out, class Result>
class [[nodiscard]] coroutine {
  static_assert(!std::is_reference_v<In> && !std::is_void_v<In>,
                "coflow::coroutine<In, ...>: In must be an object type (values are moved in)");
  static_assert(!std::is_reference_v<Out>,
                "coflow::coroutine<In, Out, ...>: Out must be an object type or void");

  using state = detail::promise_state<In, Out, Result>;

 public:
  using input_type = In;
  using output_type = Out;
  using result_type = Result;
  /// reply_type is what start, send, next and throw_into return: the body's next output, or
  /// nothing when it answered nothing; `void` for a consumer.
  using reply_type = std::conditional_t<std::is_void_v<Out>, void, std::optional<Out>>;

  class promise_type;
  using handle_type = std::coroutine_handle<promise_type>;

  coroutine(coroutine&& other) noexcept
      : handle_(std::exchange(other.handle_, nullptr)),
        abandoned_(std::exchange(other.abandoned_, false)) {}

  coroutine& operator=(coroutine&& other) noexcept {
    if (this != &other) {
      release();
      handle_ = std::exchange(other.handle_, nullptr);
      abandoned_ = std::exchange(other.abandoned_, false);
    }
    return *this;
  }

  ~coroutine() { release(); }

  /// start runs the body to its first receive or emit point and returns what it output
  /// there. Python: next(c) on a new generator.
  reply_type start() {
    check_startable();
    resume(handle_);
    return take_output(handle_);
  }

  /// start(out) is start() that passes every output to `out`, running the body on through its
  /// emit points until it first waits for a value or finishes. Pipelines start stages so.
  template <class Fn>
    requires detail::output_callback<Fn, Out>
  void start(Fn&& out) {
    check_startable();
    auto h = handle_;
    resume(h);
    drain(h, out);
  }

  /// send delivers `value` to the receive point the body waits at, runs the body to its next
  /// receive or emit point, and returns what it output there (empty if it answered nothing
  /// or finished). Python: c.send(value).
  reply_type send(In value) {
    check_receiving("send()");
    auto h = handle_;
    h.promise().input = std::addressof(value);
    h.promise().input_count = 1;  // a batch of one, at a batch receive point
    resume(h);
    return take_output(h);
  }

  /// send(value, out) delivers `value` and passes every output to `out`, running the body on
  /// through its emit points until it waits for the next value or finishes. This is how a
  /// pipeline drives a stage.
  template <class Fn>
    requires detail::output_callback<Fn, Out>
  void send(In value, Fn&& out) { (void)push(value, out); }

  /// push(value, out) is send(value, out) that moves from the caller's `value` in place of a
  /// by-value parameter, and returns whether the body waits for the next value: the
  /// pipeline's hot path. On an exception `value` may have been moved from.
  template <class Fn>
    requires detail::output_callback<Fn, Out>
  bool push(In& value, Fn&& out) {
    auto h = handle_;
    if (!h || h.promise().control.where != detail::point::receiving) [[unlikely]]
      return push_to_batch_point(value, out);
    auto& p = h.promise();
    p.input = std::addressof(value);
    p.control.where = detail::point::running;
    h.resume();
    if (p.control.orphaned) [[unlikely]]
      orphan_destroy(h);
    if constexpr (!std::is_void_v<Out>) {
      if (p.out.value) p.out.deliver(out);
    }
    if (p.control.where == detail::point::receiving) [[likely]]
      return true;
    return after_uncommon_resume(h, out);
  }

  /// push_some(values, out) hands the body as many of `values` as it takes in one resume, and
  /// drops them from the front of `values`: all of them at `co_yield coflow::receive_batch`,
  /// the first one (copied) at a single receive point. Outputs go to `out`, as one span where
  /// `out` has a push_batch member. Returns whether the body waits for more values. A pipeline
  /// calls it until `values` is empty.
  template <class Fn>
    requires detail::output_callback<Fn, Out> && std::copy_constructible<In>
  bool push_some(std::span<const In>& values, Fn&& out) {
    auto h = handle_;
    if (values.empty()) {
      check_receiving("send()");
      return true;
    }
    if (!h || h.promise().control.where != detail::point::receiving_batch) {
      In first(values.front());
      values = values.subspan(1);
      return push(first, out);
    }
    return resume_with_batch(h, std::exchange(values, {}), out);
  }

  /// next resumes a body that stopped at `co_yield coflow::emit(x)` (or starts a new one) and
  /// returns its next output. Python: next(c).
  reply_type next() {
    check_usable("next()");
    if (finished()) fail("next()", "next() after the coroutine is done");
    if (running()) fail("next()", "the coroutine is already running");
    if (detail::waits_for_input(where()))
      fail("next()", "the coroutine waits for a value; call send() or close()");
    auto h = handle_;
    resume(h);
    return take_output(h);
  }

  /// close delivers end of stream (an empty optional at the receive point), runs the body to
  /// its end and returns its result. A new coroutine is started first, so that it can return
  /// its result for an empty stream. On a finished coroutine it runs nothing and returns the
  /// result again. A body that waits for another value after end of stream is destroyed and
  /// close throws protocol_error (Python's "generator ignored GeneratorExit"). Values the
  /// body emits while closing need close(out); here they are a protocol_error.
  Result close() {
    return close([](auto&&) {
      throw protocol_error(
          "coflow::coroutine::close(): the body emitted a value while closing; call "
          "close(out) to receive its flush");
    });
  }

  /// close(out) is close() that passes each value the body outputs while closing to `out`.
  template <class Fn>
    requires detail::output_callback<Fn, Out> Result close(Fn&& out) {
      check_usable("close()");
      if (finished()) return finished_result();
      if (running()) fail("close()", "the coroutine is already running");
      auto h = handle_;
      if (where() == detail::point::start) {
        resume(h);
        drain(h, out);
      }
      // Finish any emits still pending, then deliver end of stream once.
      while (h.promise().control.where != detail::point::finished) {
        auto& p = h.promise();
        if (detail::waits_for_input(p.control.where)) {
          if (p.eos_delivered) {
            abandon();
            fail("close()",
                 "the body waited for another value after end of stream (it must finish)");
          }
          p.eos_delivered = true;
          p.input = nullptr;
        }
        try {
          resume(h);
          drain(h, out);
        } catch (const detail::orphaned_error&) {
          throw;  // this object is gone
        } catch (...) {
          if (h.promise().control.where != detail::point::finished) abandon();  // `out` threw
          throw;
        }
      }
      return finished_result();
    }

  /// throw_into raises `error` at the point where the body waits. If the body handles it,
  /// throw_into returns the body's next output; otherwise the exception propagates out of
  /// throw_into and the coroutine is done. On a new coroutine the body never runs: the
  /// coroutine is done and the exception propagates. Python: c.throw(error).
  template <class E>
  reply_type throw_into(E error) {
    return throw_into(std::make_exception_ptr(std::move(error)));
  }

  reply_type throw_into(std::exception_ptr error) {
    check_usable("throw_into()");
    if (finished()) fail("throw_into()", "throw_into() after the coroutine is done");
    if (running()) fail("throw_into()", "the coroutine is already running");
    if (error == nullptr) fail("throw_into()", "the exception_ptr is null");
    if (where() == detail::point::start) {
      abandon();
      std::rethrow_exception(error);
    }
    auto h = handle_;
    h.promise().injected = std::move(error);
    h.promise().input = nullptr;  // the receive point looks for an injected error only then
    resume(h);
    return take_output(h);
  }

  /// status is created, running (only as seen from inside the body), suspended or done.
  [[nodiscard]] ::coflow::status status() const {
    if (abandoned_) return ::coflow::status::done;
    check_usable("status()");
    switch (where()) {
      case detail::point::start:
        return ::coflow::status::created;
      case detail::point::running:
        return ::coflow::status::running;
      case detail::point::finished:
        return ::coflow::status::done;
      default:
        return ::coflow::status::suspended;
    }
  }

  /// done is true once the body has finished: returned, failed, or was closed.
  [[nodiscard]] bool done() const { return status() == ::coflow::status::done; }

  /// receiving is true while the body waits at a receive point (a batch one too), ready for
  /// send().
  [[nodiscard]] bool receiving() const { return handle_ && detail::waits_for_input(where()); }

  /// emitting is true while the body stopped at `co_yield coflow::emit(x)` with more to do
  /// before it waits again; next() continues it.
  [[nodiscard]] bool emitting() const { return handle_ && where() == detail::point::emitting; }

 private:
  explicit coroutine(handle_type h) noexcept : handle_(h) {}

  [[noreturn]] static void fail(const char* call, const char* mistake) {
    throw protocol_error(std::string("coflow::coroutine::") + call + ": " + mistake);
  }

  void check_usable(const char* call) const {
    if (abandoned_) return;
    if (!handle_) fail(call, "use of a moved-from coroutine");
  }

  // finished is true once the body has ended; after abandon() there is no frame left to ask.
  [[nodiscard]] bool finished() const { return abandoned_ || where() == detail::point::finished; }

  // The running check comes first: during the first run the body still stands at its start.
  void check_startable() const {
    check_usable("start()");
    if (!finished() && running()) fail("start()", "the coroutine is already running");
    if (finished() || where() != detail::point::start)
      fail("start()", "the coroutine was already started");
  }

  void check_receiving(const char* call) const {
    if (abandoned_ || !handle_) {
      check_usable(call);
      fail(call, "send() after the coroutine is done");
    }
    if (finished()) fail(call, "send() after the coroutine is done");
    if (running()) fail(call, "the coroutine is already running (re-entrant send)");
    switch (where()) {
      case detail::point::start:
        fail(call, "send() before start(): a new coroutine must be started first");
      case detail::point::emitting:
        fail(call, "the coroutine is emitting, not receiving; call next() first");
      default:
        break;
    }
  }

  [[nodiscard]] bool running() const { return where() == detail::point::running; }
  [[nodiscard]] detail::point where() const { return handle_.promise().control.where; }

  // Resumes the body. Uses only `h`: the body may have destroyed this object meanwhile.
  static void resume(handle_type h) {
    auto& p = h.promise();
    p.control.where = detail::point::running;
    h.resume();
    if (p.control.orphaned) [[unlikely]]
      orphan_destroy(h);
    if (p.failure) [[unlikely]]
      std::rethrow_exception(std::exchange(p.failure, nullptr));
  }

  [[noreturn]] static void orphan_destroy(handle_type h) {
    h.destroy();
    throw detail::orphaned_error(
        "coflow::coroutine: the coroutine was destroyed from inside its own body; its "
        "frame was destroyed when the body suspended");
  }

  // The rarer outcomes of a resume in push(): the body emits again, finished, or failed.
  template <class Fn>
  static bool after_resume(handle_type h, Fn& out) {
    auto& p = h.promise();
    if (p.control.where == detail::point::emitting) {
      resume(h);
      drain(h, out);
    } else if (p.failure) {
      std::rethrow_exception(std::exchange(p.failure, nullptr));
    } else if constexpr (!std::is_void_v<Out>) {
      if (p.out.batch) p.out.deliver_batch(out);
    }
    return detail::waits_for_input(p.control.where);
  }

  // The rest of push() after the body did anything but wait for the next value (a batch reply,
  // an emit, the end). Out of line, so that push() stays small enough to inline upstream.
  template <class Fn>
  [[gnu::noinline]] static bool after_uncommon_resume(handle_type h, Fn& out) {
    auto& p = h.promise();
    if constexpr (!std::is_void_v<Out>) {
      if (p.out.batch) p.out.deliver_batch(out);
    }
    if (detail::waits_for_input(p.control.where)) return true;
    return after_resume(h, out);
  }

  // push() to a body that waits at a batch receive point (a batch of one), or misuse.
  template <class Fn>
  [[gnu::noinline]] bool push_to_batch_point(In& value, Fn& out) {
    if (!handle_ || where() != detail::point::receiving_batch) check_receiving("send()");
    return resume_with_batch(handle_, std::span<const In>(std::addressof(value), 1), out);
  }

  // Resumes a body waiting at a batch receive point with `values`, and hands on its outputs.
  template <class Fn>
  static bool resume_with_batch(handle_type h, std::span<const In> values, Fn& out) {
    auto& p = h.promise();
    // The body only reads a batch: the pointer loses its const for the shared input field.
    p.input = const_cast<In*>(values.data());
    p.input_count = values.size();
    p.control.where = detail::point::running;
    h.resume();
    if (p.control.orphaned) [[unlikely]]
      orphan_destroy(h);
    if constexpr (!std::is_void_v<Out>) p.out.deliver_any(out);
    if (detail::waits_for_input(p.control.where)) [[likely]]
      return true;
    return after_resume(h, out);
  }

  static reply_type take_output(handle_type h) {
    if constexpr (!std::is_void_v<Out>) {
      return h.promise().out.take();
    }
  }

  // Passes each output to `out`, resuming through emit points until the body waits or ends.
  template <class Fn>
  static void drain(handle_type h, Fn& out) {
    for (;;) {
      if constexpr (!std::is_void_v<Out>) h.promise().out.deliver_any(out);
      if (h.promise().control.where != detail::point::emitting) return;
      resume(h);
    }
  }

  Result finished_result() {
    if constexpr (!std::is_void_v<Result>) {
      if (abandoned_ || !handle_.promise().result)
        fail("close()",
             "the coroutine finished without a result (it failed, or its result "
             "was moved out by an earlier close())");
      auto& result = handle_.promise().result;
      if constexpr (std::is_copy_constructible_v<Result>) {
        return *result;
      } else {
        Result r = std::move(*result);
        result.reset();
        return r;
      }
    }
  }

  // Destroys the frame now (running the locals' destructors); the coroutine is done.
  void abandon() noexcept {
    if (handle_) handle_.destroy();
    handle_ = nullptr;
    abandoned_ = true;
  }

  void release() noexcept {
    if (!handle_) return;
    if (handle_.promise().control.where == detail::point::running) {
      handle_.promise().control.orphaned = true;  // the resumer destroys the frame when it suspends
    } else {
      handle_.destroy();
    }
    handle_ = nullptr;
  }

  handle_type handle_;
  bool abandoned_ = false;
};

template <class In, class Out, class Result>
class coroutine<In, Out, Result>::promise_type : public detail::promise_state<In, Out, Result> {
  using base = detail::promise_state<In, Out, Result>;

  struct wait_for_value {
    promise_type& promise;
    static constexpr bool await_ready() noexcept { return false; }
    static constexpr void await_suspend(std::coroutine_handle<>) noexcept {}
    std::optional<In> await_resume() {
      In* in = promise.input;
      if (in == nullptr) [[unlikely]] {
        promise.raise_injected();  // throw_into, or else end of stream
        return std::nullopt;
      }
      return std::optional<In>(std::move(*in));
    }
  };

  struct wait_for_batch {
    promise_type& promise;
    static constexpr bool await_ready() noexcept { return false; }
    static constexpr void await_suspend(std::coroutine_handle<>) noexcept {}
    std::optional<std::span<const In>> await_resume() {
      const In* in = promise.input;
      if (in == nullptr) [[unlikely]] {
        promise.raise_injected();  // throw_into, or else end of stream
        return std::nullopt;
      }
      return std::span<const In>(in, promise.input_count);
    }
  };

  // For a reply of another type than Out: the converted value lives in the awaiter, which
  // stays in the frame while the body is suspended.
  struct wait_with_converted : wait_for_value {
    Out converted;
    void await_suspend(std::coroutine_handle<>) noexcept {
      this->promise.out.point_at(std::move(converted));
    }
  };

  struct wait_with_converted_optional : wait_for_value {
    std::optional<Out> converted;
    void await_suspend(std::coroutine_handle<>) noexcept {
      if (converted) this->promise.out.point_at(std::move(*converted));
    }
  };

  struct continue_after_emit {
    promise_type& promise;
    static constexpr bool await_ready() noexcept { return false; }
    static constexpr void await_suspend(std::coroutine_handle<>) noexcept {}
    void await_resume() { promise.raise_injected(); }
  };

  struct continue_with_converted : continue_after_emit {
    Out converted;
    void await_suspend(std::coroutine_handle<>) noexcept {
      this->promise.out.point_at(std::move(converted));
    }
  };

 public:
  coroutine get_return_object() noexcept { return coroutine(handle_type::from_promise(*this)); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  std::suspend_always final_suspend() noexcept {
    this->control.where = detail::point::finished;
    return {};
  }

  void unhandled_exception() noexcept { this->failure = std::current_exception(); }

  /// `co_yield coflow::receive`: wait for the next value without answering.
  wait_for_value yield_value(receive_t) noexcept {
    this->control.where = detail::point::receiving;
    return {*this};
  }

  /// `co_yield reply`: answer `reply`, then wait for the next value. The reply is handed on
  /// from where it is (moved if it is an rvalue), or converted to Out first.
  template <class R>
    requires(!std::is_void_v<Out> && std::convertible_to<R, Out> &&
             !std::same_as<std::remove_cvref_t<R>, receive_t>)
  auto yield_value(R&& reply) {
    this->control.where = detail::point::receiving;
    if constexpr (std::same_as<std::remove_cvref_t<R>, Out>) {
      this->out.point_at(std::forward<R>(reply));
      return wait_for_value{*this};
    } else {
      return wait_with_converted{{*this}, Out(std::forward<R>(reply))};
    }
  }

  /// `co_yield maybe_reply`: answer only if the optional holds a value (Python's None).
  template <class Optional>
    requires(!std::is_void_v<Out> && detail::optional_of_convertible<Optional, Out>)
  auto yield_value(Optional&& reply) {
    this->control.where = detail::point::receiving;
    if constexpr (std::same_as<typename std::remove_cvref_t<Optional>::value_type, Out>) {
      if (reply) this->out.point_at(*std::forward<Optional>(reply));
      return wait_for_value{*this};
    } else {
      std::optional<Out> converted;
      if (reply) converted.emplace(*std::forward<Optional>(reply));
      return wait_with_converted_optional{{*this}, std::move(converted)};
    }
  }

  /// `co_yield coflow::receive_batch`: wait for the next batch of values without answering.
  wait_for_batch yield_value(receive_batch_t) noexcept {
    this->control.where = detail::point::receiving_batch;
    return {*this};
  }

  /// `co_yield coflow::receive_batch(replies)`: output every reply, then wait for a batch.
  template <class R>
    requires(!std::is_void_v<Out>)
  wait_for_batch yield_value(batch_replies<R> replies)
  noexcept {
    static_assert(std::same_as<std::remove_cv_t<R>, Out>,
                  "co_yield coflow::receive_batch(replies): the replies must be a contiguous "
                  "range of the coroutine's Out type");
    static_assert(std::is_copy_constructible_v<Out>,
                  "co_yield coflow::receive_batch(replies): the replies are copied on, and this "
                  "output type cannot be copied; emit them one by one with "
                  "`co_yield coflow::emit(std::move(x))`");
    this->control.where = detail::point::receiving_batch;
    if (!replies.values.empty()) {
      this->out.batch = replies.values.data();
      this->out.batch_size = replies.values.size();
    }
    return {*this};
  }

  /// `co_yield coflow::emit(x)`: output x and continue without waiting for input.
  template <class R>
    requires(!std::is_void_v<Out> && std::convertible_to<R, Out>)
  auto yield_value(emitted<R>&& e) {
    this->control.where = detail::point::emitting;
    if constexpr (std::same_as<R, Out>) {
      this->out.point_at(std::move(e.value));
      return continue_after_emit{*this};
    } else {
      return continue_with_converted{{*this}, Out(std::move(e.value))};
    }
  }

  /// A coroutine body waits only with co_yield; there is nothing to co_await.
  template <class T>
  void await_transform(T&&) {
    static_assert(detail::always_false<T>,
                  "co_await is not supported in a coflow::coroutine body: wait for values "
                  "with `co_yield reply` or `co_yield coflow::receive`");
  }
};

}  // namespace coflow

/// Rejects coroutine functions whose parameters can dangle (C++ Core Guidelines CP.53).
template <class In, class Out, class Result, class... Params>
struct std::coroutine_traits<coflow::coroutine<In, Out, Result>, Params...> {
  static_assert(coflow::detail::parameters_by_value<coflow::coroutine<In, Out, Result>, Params...>,
                "a coflow::coroutine function must take its parameters by value: a `const T&` "
                "or `T&&` parameter can bind a temporary that is destroyed before the body "
                "reads it. Take the parameter by value (or by non-const reference to an object "
                "the caller keeps alive).");
  using promise_type = typename coflow::coroutine<In, Out, Result>::promise_type;
};
