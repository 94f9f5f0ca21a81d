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
#include <exception>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "pipeline/detail/coroutine_driver.hpp"
#include "pipeline/detail/coroutine_promise.hpp"
#include "pipeline/detail/parameters.hpp"
#include "pipeline/detail/promise_state.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/status.hpp"

namespace coflow {

template <class In, class Out = void, class Result = void>
class coroutine;

/// consumer<In, Result> is a coroutine that receives values and answers nothing.
template <class In, class Result = void>
using consumer = coroutine<In, void, Result>;

template <class In, class Out, class Result>
class [[nodiscard]] coroutine {
  static_assert(!std::is_reference_v<In> && !std::is_void_v<In>,
                "coflow::coroutine<In, ...>: In must be an object type (values are moved in)");
  static_assert(!std::is_reference_v<Out>,
                "coflow::coroutine<In, Out, ...>: Out must be an object type or void");

  using driver = detail::coroutine_driver<In, Out, Result>;
  friend driver;
  friend detail::coroutine_promise<In, Out, Result>;

 public:
  using input_type = In;
  using output_type = Out;
  using result_type = Result;
  /// reply_type is what start, send, next and throw_into return: the body's next output, or
  /// nothing when it answered nothing; `void` for a consumer.
  using reply_type = std::conditional_t<std::is_void_v<Out>, void, std::optional<Out>>;

  using promise_type = detail::coroutine_promise<In, Out, Result>;
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
    driver::resume(handle_);
    return driver::take_output(handle_);
  }

  /// start(out) is start() that passes every output to `out`, running the body on through its
  /// emit points until it first waits for a value or finishes. Pipelines start stages so.
  template <class Fn>
    requires detail::output_callback<Fn, Out>
  void start(Fn&& out) {
    check_startable();
    auto h = handle_;
    driver::resume(h);
    driver::drain(h, out);
  }

  /// send delivers `value` to the receive point the body waits at, runs the body to its next
  /// receive or emit point, and returns what it output there (empty if it answered nothing
  /// or finished). Python: c.send(value).
  reply_type send(In value) {
    check_receiving("send()");
    auto h = handle_;
    h.promise().input = std::addressof(value);
    h.promise().input_count = 1;  // a batch of one, at a batch receive point
    driver::resume(h);
    return driver::take_output(h);
  }

  /// send(value, out) delivers `value` and passes every output to `out`, running the body on
  /// through its emit points until it waits for the next value or finishes. This is how a
  /// pipeline drives a stage.
  template <class Fn>
    requires detail::output_callback<Fn, Out>
  void send(In value, Fn&& out) { (void)driver::template push<Fn&>(*this, value, out); }

  /// next resumes a body that stopped at `co_yield coflow::emit(x)` (or starts a new one) and
  /// returns its next output. Python: next(c).
  reply_type next() {
    check_usable("next()");
    if (finished()) fail("next()", "next() after the coroutine is done");
    if (running()) fail("next()", "the coroutine is already running");
    if (detail::waits_for_input(where()))
      fail("next()", "the coroutine waits for a value; call send() or close()");
    auto h = handle_;
    driver::resume(h);
    return driver::take_output(h);
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
        driver::resume(h);
        driver::drain(h, out);
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
          driver::resume(h);
          driver::drain(h, out);
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
    driver::resume(h);
    return driver::take_output(h);
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
      // The resumer destroys the frame when it suspends; a pipeline's driver learns it from
      // the chain's word.
      handle_.promise().control.orphaned = true;
      handle_.promise().need_driver();
    } else {
      handle_.destroy();
    }
    handle_ = nullptr;
  }

  handle_type handle_;
  bool abandoned_ = false;
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
