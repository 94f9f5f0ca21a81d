// coflow/benchmarks/bare_coroutine.hpp
//
// The floor of a per-value coroutine stage: a bare C++20 coroutine with none of coflow's
// protocol, resumed by a hand loop. The loop stores a pointer to the value in the promise and
// resumes; the body reads it and writes its answer back into the promise. No end of stream, no
// exceptions into the body, no replies handed on, no state to test. Each workload's
// "bare_resume" variant is written with it (RESULTS.md, "Appendix: the floor program").
#pragma once

#include <coroutine>
#include <cstdlib>

namespace coflow_bench {

/// bare_stage<In, Out>: the return type of a bare coroutine stage. Its body takes a pointer to
/// its own handle (which the caller stores before the first resume) to reach the promise.
template <class In, class Out>
struct bare_stage {
  struct promise_type {
    const In* in = nullptr;
    Out out{};
    bare_stage get_return_object() {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::abort(); }
  };
  using handle = std::coroutine_handle<promise_type>;

  handle coroutine;
};

}  // namespace coflow_bench
