// coflow/benchmarks/bare_coroutine.hpp
//
// The floor of a per-value coroutine stage: a bare C++20 coroutine with none of coflow's
// protocol, resumed by a hand loop. The loop stores a pointer to the value in the promise and
// resumes; the body reads it and writes its answer back into the promise. No end of stream, no
// exceptions into the body, no replies handed on, no state to test. Each workload's
// "bare_resume" variant is written with it (RESULTS.md, "Appendix: the floor program").
//
// The "least_protocol" variants add to it the least that two of coflow's guarantees need per
// value (least_protocol_driving, receive_point): the loop tests that the body waits at its receive
// point before resuming it (misuse and re-entry are errors, not undefined behaviour) and marks it
// running; the body marks itself waiting again when it suspends and tests for end of stream (a
// null value) when it resumes. Still no exceptions into the body, no std::optional received, no
// replies handed on, no downstream to test.
#pragma once

#include <coroutine>
#include <cstdlib>

namespace coflow_bench {

/// bare_point: where a least-protocol stage stands.
enum class bare_point : unsigned char { receiving, running, finished };

/// bare_stage<In, Out>: the return type of a bare coroutine stage. Its body takes a pointer to
/// its own handle (which the caller stores before the first resume) to reach the promise.
template <class In, class Out>
struct bare_stage {
  struct promise_type {
    const In* in = nullptr;
    Out out{};
    bare_point where = bare_point::running;  // least-protocol stages only
    bare_stage get_return_object() {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept {
      where = bare_point::finished;
      return {};
    }
    void return_void() {}
    void unhandled_exception() { std::abort(); }
  };
  using handle = std::coroutine_handle<promise_type>;

  handle coroutine;
};

/// receive_point<Promise>{p}: `co_await` it in a least-protocol stage to wait for the next
/// value; it gives the value's address, null at end of stream.
template <class Promise>
struct receive_point {
  Promise& promise;
  static constexpr bool await_ready() noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) noexcept { promise.where = bare_point::receiving; }
  auto* await_resume() const noexcept { return promise.in; }
};

/// start_bare_stage(h, body): makes the stage `body` with `h` as its handle and runs it to its
/// first suspension. Out of line, so that the loop that drives it is compiled as it is alone.
template <class In, class Out>
[[gnu::noinline]] void start_bare_stage(
    typename bare_stage<In, Out>::handle& h,
    bare_stage<In, Out> (*body)(const typename bare_stage<In, Out>::handle*)) {
  h = body(&h).coroutine;
  h.resume();
}

/// floor_driving: how the hand loop drives a bare stage: push(h, x) puts the value's address
/// in the promise and resumes; end(h) does nothing.
struct floor_driving {
  template <class Promise, class In>
  [[gnu::always_inline]] static bool push(std::coroutine_handle<Promise> h, const In* x) {
    h.promise().in = x;
    h.resume();
    return true;
  }
  template <class Promise>
  static void end(std::coroutine_handle<Promise>) {}
};

/// least_protocol_driving: how the hand loop drives a least-protocol stage: push(h, x) resumes
/// `h` with the value at `x` if it waits at its receive point, and returns false (nothing
/// resumed) otherwise; end(h) pushes end of stream, which ends the body.
struct least_protocol_driving {
  template <class Promise, class In>
  [[gnu::always_inline]] static bool push(std::coroutine_handle<Promise> h, const In* x) {
    Promise& p = h.promise();
    if (p.where != bare_point::receiving) [[unlikely]]
      return false;
    p.where = bare_point::running;
    p.in = x;
    h.resume();
    return true;
  }
  template <class Promise>
  static void end(std::coroutine_handle<Promise> h) {
    push(h, decltype(h.promise().in){nullptr});
  }
};

}  // namespace coflow_bench
