// coflow/pipeline/pipeline.hpp
//
// pipeline<In, Head>: a bound, running pipeline that behaves like a consumer coroutine. Made
// by coflow::open<In>(chain), or coflow::open(chain) when the chain's first stage is a
// coroutine that names its input type.
//
//   auto p = coflow::open<double>(coflow::ops::averager() | coflow::sinks::last());
//   p.send(10);
//   p.send(20);
//   std::optional<double> mean = p.close();   // 15
//
// Semantics: every stage is started when the pipeline is opened (users never prime). send()
// pushes one value through; close() delivers end of stream, which flows downstream stage by
// stage (each may flush), and returns the sink's result. done() is true once the pipeline
// takes no more values (a take(n) is full, a coroutine stage finished, or it was closed).
// Exceptions: an exception from any stage propagates out of send() or close(); the pipeline is
// then done, and every frame is destroyed when the pipeline is. Misuse (send after done,
// close twice, re-entrant send from inside a stage, use after move) throws protocol_error.
// Lifetime: the stages live in one heap block, allocated at open(): moving the pipeline moves
// a pointer, and destroying it from inside one of its own stages is deferred until that stage
// returns (the call that ran it then throws protocol_error).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include "pipeline/compose.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/status.hpp"

namespace coflow {

/// pipeline<In, Head> is an opened pipeline taking values of type In.
template <class In, node_for<In> Head>
class [[nodiscard]] pipeline {
  struct state {
    explicit state(Head h) : head(std::move(h)) {}
    Head head;
    bool running = false;
    bool finished = false;  // closed, or failed
    bool orphaned = false;  // destroyed from inside a stage; the running call frees it
  };

 public:
  using input_type = In;
  using result_type = decltype(std::declval<Head&>().finish());

  explicit pipeline(Head head) : state_(std::make_unique<state>(std::move(head))) {}
  pipeline(pipeline&&) noexcept = default;
  pipeline& operator=(pipeline&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  ~pipeline() { release(); }

  /// send pushes one value through the pipeline.
  void send(In value) {
    state& s = checked("send()");
    if (s.finished || s.head.done()) fail("send()", "send() after the pipeline is done");
    enter(s, [&] { (void)s.head.push(std::move(value)); });
  }

  /// close delivers end of stream and returns the sink's result.
  result_type close() {
    state& s = checked("close()");
    if (s.finished) fail("close()", "close() after the pipeline was closed or failed");
    if constexpr (std::is_void_v<result_type>) {
      enter(s, [&] { s.head.finish(); });
      s.finished = true;
    } else {
      std::optional<result_type> result;
      enter(s, [&] { result.emplace(s.head.finish()); });
      s.finished = true;
      return std::move(*result);
    }
  }

  /// done is true once the pipeline takes no more values.
  [[nodiscard]] bool done() const {
    const state& s = existing("done()");
    if (s.running) return false;
    return s.finished || s.head.done();
  }

  /// status is suspended (ready for values), running (seen from inside a stage), or done.
  [[nodiscard]] ::coflow::status status() const {
    const state& s = existing("status()");
    if (s.running) return ::coflow::status::running;
    return s.finished || s.head.done() ? ::coflow::status::done : ::coflow::status::suspended;
  }

 private:
  [[noreturn]] static void fail(const char* call, const char* mistake) {
    throw protocol_error(std::string("coflow::pipeline::") + call + ": " + mistake);
  }

  state& existing(const char* call) const {
    if (!state_) fail(call, "use of a moved-from pipeline");
    return *state_;
  }

  state& checked(const char* call) const {
    state& s = existing(call);
    if (s.running) fail(call, "the pipeline is already running (re-entrant call)");
    return s;
  }

  // Runs `body` with the running flag set. Touches only `s` afterwards: a stage may have
  // destroyed this object meanwhile.
  template <class Body>
  static void enter(state& s, Body&& body) {
    s.running = true;
    try {
      body();
    } catch (...) {
      s.running = false;
      s.finished = true;
      if (s.orphaned) delete &s;
      throw;
    }
    s.running = false;
    if (s.orphaned) {
      delete &s;
      throw protocol_error(
          "coflow::pipeline: the pipeline was destroyed from inside one of its own stages; "
          "it was freed when that stage returned");
    }
  }

  void release() noexcept {
    if (state_ && state_->running) {
      state_->orphaned = true;
      (void)state_.release();
    }
    state_.reset();
  }

  std::unique_ptr<state> state_;
};

namespace detail {

template <class P>
struct head_input {};

template <class P>
  requires coroutine_part<P>
struct head_input<P> {
  using type = typename P::input_type;
};

template <class... Parts>
struct head_input<chain<Parts...>>
    : head_input<std::remove_cvref_t<std::tuple_element_t<0, std::tuple<Parts...>>>> {};

}  // namespace detail

/// open<In>(p) binds a runnable description for input In, starts every stage and returns
/// the running pipeline.
template <class In, class P>
  requires runnable<P>
auto open(P&& p) {
  auto head = bind_chain<In>(std::forward<P>(p));
  return pipeline<In, decltype(head)>(std::move(head));
}

/// open(p) is open<In>(p) for a pipeline whose first stage is a coroutine with input In.
template <class P>
  requires runnable<P> && requires { typename detail::head_input<std::remove_cvref_t<P>>::type; }
auto open(P&& p) {
  return open<typename detail::head_input<std::remove_cvref_t<P>>::type>(std::forward<P>(p));
}

}  // namespace coflow
