// coflow/pipeline/coroutine_stage.hpp
//
// How a coflow::coroutine becomes part of a pipeline. Any coroutine<In, Out> is a stage as it
// stands: each reply (`co_yield reply`) and each emitted value (`co_yield coflow::emit(x)`) is
// its output, an empty reply outputs nothing, and the values it emits while closing (a flush)
// go downstream before end of stream does. A consumer<In, Result> (Out = void) ends a pipeline
// as its sink: the pipeline's result is the coroutine's. A coroutine that answers values and
// also returns a result may end a pipeline too; its replies are then dropped.
//
//   auto avg = averager() | coflow::sinks::last();   // averager written as in Python
//
// Batches: a coroutine waiting at `co_yield coflow::receive_batch` takes a whole span per resume
// when the pipeline is fed from a contiguous range (see coroutine.hpp); its batch replies go
// downstream as a span, to a stage that takes spans, or one by one. It receives the whole span
// even if its downstream becomes done partway through (the outputs past that point are dropped).
// Cost: one resume and one suspend per value that enters the stage, or per batch at a batch
// receive point; no allocation. The pipeline starts the coroutine (a new one) when it is
// bound, so users never prime it.
// Lifetime: the node owns the coroutine; destroying the pipeline destroys its frame.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <concepts>
#include <span>
#include <type_traits>
#include <utility>

#include "pipeline/coroutine.hpp"
#include "pipeline/protocol_error.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class In, class Out, class Result>
struct is_coroutine_type<coroutine<In, Out, Result>> : std::true_type {};

template <class C>
concept coroutine_part = is_coroutine_type<std::remove_cvref_t<C>>::value;

// A coroutine that answers values: a stage in the middle of a pipeline.
template <class C>
concept coroutine_stage_part =
    coroutine_part<C> && !std::is_void_v<typename std::remove_cvref_t<C>::output_type>;

// A coroutine that can end a pipeline: a consumer, or a coroutine that returns a result.
template <class C>
concept coroutine_sink_part = coroutine_part<C> &&
    (std::is_void_v<typename std::remove_cvref_t<C>::output_type> ||
     !std::is_void_v<typename std::remove_cvref_t<C>::result_type>);

template <class Coro>
void prepare_coroutine(Coro& coro, auto&& out) {
  switch (coro.status()) {
    case status::created:
      coro.start(out);
      break;
    case status::suspended:
      if (coro.receiving()) break;
      throw protocol_error(
          "coflow pipeline: a coroutine stage must be new or waiting at a receive point, not "
          "stopped at an emit point");
    default:
      break;  // done: the stage takes no values
  }
}

// Node for a coroutine stage: replies and emits go to `Down`.
template <class In, class Coro, class Down>
class coroutine_node {
  using coro_in = typename Coro::input_type;
  using coro_out = typename Coro::output_type;

 public:
  coroutine_node(Coro coro, Down down) : coro_(std::move(coro)), down_(std::move(down)) {
    static_assert(std::convertible_to<In, coro_in>,
                  "a coroutine stage receives values it cannot take: the upstream element type "
                  "does not convert to the coroutine's In");
    // A downstream that is done from the start (a take(0), a stage that finished at start)
    // must never be pushed to, not even by the coroutine's output at start or its flush.
    down_done_ = down_.done();
    prepare_coroutine(coro_, forward());
  }

  bool push(In&& value) {
    if constexpr (std::same_as<In, coro_in>) {
      return detail::push_into(coro_, value, forward());
    } else {
      coro_in converted(std::move(value));
      return detail::push_into(coro_, converted, forward());
    }
  }

  bool push_batch(std::span<const In> values) requires std::same_as<In, coro_in> &&
      std::copy_constructible<In> {
    while (!values.empty()) {
      if (!detail::push_some_into(coro_, values, forward()) || down_done_) return false;
    }
    return true;
  }

  [[nodiscard]] bool done() const { return !coro_.receiving() || down_done_ || down_.done(); }

  decltype(auto) finish() {
    if (!coro_.done()) (void)coro_.close(forward());
    return down_.finish();
  }

 private:
  // Passes the coroutine's outputs downstream, one by one or as a span, until it is done.
  // `first` takes the one reply of a push, the common case: a test of down_done_, which is set
  // only when downstream refuses, and no store.
  struct forwarder {
    coroutine_node* node;
    void operator()(coro_out&& out) const {
      if (!node->down_done_) node->down_done_ = !node->down_.push(std::move(out));
    }
    bool first(coro_out&& out) const {
      if (node->down_done_) [[unlikely]]
        return false;
      if (!node->down_.push(std::move(out))) [[unlikely]] {
        node->down_done_ = true;
        return false;
      }
      return true;
    }
    [[nodiscard]] bool accepting() const { return !node->down_done_; }
    void push_batch(std::span<const coro_out> outs) const {
      if (!node->down_done_) node->down_done_ = !push_values<coro_out>(node->down_, outs);
    }
  };

  forwarder forward() { return forwarder{this}; }

  Coro coro_;
  Down down_;
  bool down_done_ = false;
};

// Node for a coroutine that ends the pipeline: its result is the pipeline's.
template <class In, class Coro>
class coroutine_sink_node {
  using coro_in = typename Coro::input_type;

 public:
  explicit coroutine_sink_node(Coro coro) : coro_(std::move(coro)) {
    static_assert(std::convertible_to<In, coro_in>,
                  "a coroutine sink receives values it cannot take: the upstream element type "
                  "does not convert to the coroutine's In");
    prepare_coroutine(coro_, drop_output);
  }

  bool push(In&& value) {
    if constexpr (std::same_as<In, coro_in>) {
      return detail::push_into(coro_, value, drop_output);
    } else {
      coro_in converted(std::move(value));
      return detail::push_into(coro_, converted, drop_output);
    }
  }

  bool push_batch(std::span<const In> values) requires std::same_as<In, coro_in> &&
      std::copy_constructible<In> {
    while (!values.empty()) {
      if (!detail::push_some_into(coro_, values, drop_output)) return false;
    }
    return true;
  }

  [[nodiscard]] bool done() const { return !coro_.receiving(); }

  decltype(auto) finish() { return coro_.close(drop_output); }

 private:
  static constexpr auto drop_output = [](auto&&) {};

  Coro coro_;
};

}  // namespace detail

}  // namespace coflow
