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
// receive point; no allocation. Adjacent coroutine stages (the second takes the first's Out as
// it is) are linked: `co_yield reply` resumes the next stage in place of returning to a driver
// (symmetric transfer), so a value passing a linked stage costs that stage's body, its test of
// the next stage's state and an indirect jump; the run's driver makes one test after it (GCC
// 12 -O2: about 46 instructions per added stage, see benchmarks/RESULTS.md). The pipeline starts
// the coroutine (a new one) when it is bound, so users never prime it. Lifetime: the node owns the
// coroutine; destroying the pipeline destroys its frame.
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

template <class In, class Coro, class Down>
class coroutine_node;

// Down is the node of a coroutine stage that takes Out as it is: a stage in front of it hands
// its replies straight to that coroutine (see coroutine_node).
template <class Down, class Out>
struct is_linkable_node : std::false_type {};
template <class Out, class Coro, class Down>
struct is_linkable_node<coroutine_node<Out, Coro, Down>, Out>
    : std::bool_constant<std::same_as<typename Coro::input_type, Out>> {};

// The last node of the run of linked coroutine stages that begins at Node.
template <class Node>
struct tail_of {
  using type = Node;
};
template <class In, class Coro, class Down>
requires is_linkable_node<Down, typename Coro::output_type>::value struct tail_of<
    coroutine_node<In, Coro, Down>> : tail_of<Down> {
};

// Node for a coroutine stage: replies and emits go to `Down`.
//
// Adjacent coroutine stages are linked: when this stage's downstream is the node of another
// coroutine stage taking the same type, a reply goes from `co_yield reply` straight into that
// coroutine's receive point (symmetric transfer, coroutine_promise::hand_on), and a run of
// linked stages returns to the driver of the stage where it began only when it is over. The
// driver (push_value) then makes one test, of the chain's word, and hands on the last
// stage's reply, if any. A stage that stopped anywhere else (an emit, a batch point, the end,
// a failure, a reply its downstream could not take) named itself in that word: settle() walks
// down to it and runs the driver's usual path for it, unlinked, as if its own node had
// resumed it; a refusal found on the way marks every node above it done, as the nested calls
// of unlinked stages would.
template <class In, class Coro, class Down>
class coroutine_node {
  template <class, class, class>
  friend class coroutine_node;

  using coro_in = typename Coro::input_type;
  using coro_out = typename Coro::output_type;
  using driver = coroutine_driver<coro_in, coro_out, typename Coro::result_type>;
  using handle_type = typename driver::handle_type;
  static constexpr bool linked = is_linkable_node<Down, coro_out>::value;

 public:
  coroutine_node(Coro coro, Down down) : coro_(std::move(coro)), down_(std::move(down)) {
    static_assert(std::convertible_to<In, coro_in>,
                  "a coroutine stage receives values it cannot take: the upstream element type "
                  "does not convert to the coroutine's In");
    // A downstream that is done from the start (a take(0), a stage that finished at start)
    // must never be pushed to, not even by the coroutine's output at start or its flush.
    down_done_ = down_.done();
    prepare_coroutine(coro_, forward());
    if (auto h = driver::handle(coro_)) {
      h.promise().pending = nullptr;  // what the start left there was handled by start
      link(h);
    }
  }

  bool push(In&& value) {
    if constexpr (std::same_as<In, coro_in>) {
      return push_value(value);
    } else {
      coro_in converted(std::move(value));
      return push_value(converted);
    }
  }

  bool push_batch(std::span<const In> values) requires std::same_as<In, coro_in> &&
      std::copy_constructible<In> {
    while (!values.empty()) {
      auto h = driver::handle(coro_);
      bool more;
      if (h && h.promise().control.where == point::receiving) {
        coro_in first(values.front());
        values = values.subspan(1);
        more = push_value(first);
      } else {
        unlinked_while guard(*this);
        more = detail::push_some_into(coro_, values, forward());
      }
      if (!more || down_done_) return false;
    }
    return true;
  }

  [[nodiscard]] bool done() const { return !coro_.receiving() || down_done_ || down_.done(); }

  decltype(auto) finish() {
    if (!coro_.done()) {
      unlinked_while guard(*this);
      (void)coro_.close(forward());
    }
    return down_.finish();
  }

 private:
  // The hot path: one resume, which may run every linked stage below, then one test.
  bool push_value(coro_in& value) {
    auto h = driver::handle(coro_);
    if (!h || h.promise().control.where != point::receiving) [[unlikely]]
      return push_elsewhere(value);
    auto& p = h.promise();
    p.input = std::addressof(value);
    p.control.where = point::running;
    h.resume();
    auto& last = tail();
    auto& tp = driver_of_tail::handle(last.coro_).promise();
    if (tp.pending) [[unlikely]]
      return settle();
    if (tp.out.value) {
      auto out = last.forward_fresh();
      if (tp.out.deliver_first(out)) [[likely]]
        return true;
      refuse_run();
      return false;
    }
    return true;
  }

  using tail_node = typename tail_of<coroutine_node>::type;
  using driver_of_tail = typename tail_node::driver;

  // The last node of the run of linked coroutine stages that starts here.
  tail_node& tail() noexcept {
    if constexpr (linked) {
      return down_.tail();
    } else {
      return *this;
    }
  }

  // A refusal of the last stage's reply: every node of the run refuses, as nested pushes
  // would have.
  [[gnu::noinline]] void refuse_run() noexcept {
    refuse();
    if constexpr (linked) down_.refuse_run();
  }

  // A push into a coroutine that waits at a batch receive point, or misuse: the driver's path.
  [[gnu::noinline]] bool push_elsewhere(coro_in& value) {
    unlinked_while guard(*this);
    return driver::template push<forwarder>(coro_, value, forward());
  }

  // After a run that stopped somewhere uncommon: finds the stage that named itself in the
  // chain's word and finishes its resume as its own node would have; returns what this
  // node's push returns.
  [[gnu::noinline]] bool settle() {
    auto h = driver::handle(coro_);
    if constexpr (linked) {
      void*& pending = driver_of_tail::handle(tail().coro_).promise().pending;
      if (h && pending != static_cast<void*>(std::addressof(h.promise()))) {
        const bool accepted = down_.settle();
        if (!accepted) refuse();
        return accepted;
      }
      pending = nullptr;
    } else {
      h.promise().pending = nullptr;
    }
    auto& p = h.promise();
    if (p.control.orphaned) [[unlikely]]
      driver::orphan_destroy(h);
    unlinked_while guard(*this);
    auto out = forward();
    return driver::hand_on_after_push(h, out);
  }

  // Links this coroutine to its downstream: its replies go straight there, unless the
  // downstream is done (then through the refusing inlet, so that the driver drops them).
  void link(handle_type h) noexcept {
    auto& p = h.promise();
    if constexpr (linked) {
      auto down = decltype(down_)::driver::handle(down_.coro_);
      auto last = driver_of_tail::handle(tail().coro_);
      if (down && last) {
        p.chain = &last.promise().pending;
        if (down_done_) {
          p.next = &refusing_inlet<coro_out>;
        } else {
          p.next = std::addressof(down.promise());
          p.next_handle = down;
        }
        return;
      }
    }
    p.chain = &p.pending;
    if constexpr (!std::is_void_v<coro_out>) {
      p.next = down_done_ ? &refusing_inlet<coro_out> : nullptr;
    }
  }

  // The downstream refused: this node is done, and its coroutine's replies take the driver's
  // path (which drops them) from now on.
  void refuse() noexcept {
    down_done_ = true;
    if (auto h = driver::handle(coro_)) link(h);
  }

  // Runs the driver's usual path with this coroutine unlinked (its replies and emits wait in
  // its output slot for the driver), and links it again after.
  class unlinked_while {
   public:
    explicit unlinked_while(coroutine_node& node) : node_(node) {
      if (auto h = driver::handle(node_.coro_)) {
        auto& p = h.promise();
        p.chain = &p.pending;
        if constexpr (!std::is_void_v<coro_out>) p.next = nullptr;
      }
    }
    ~unlinked_while() {
      if (auto h = driver::handle(node_.coro_)) {
        h.promise().pending = nullptr;
        node_.link(h);
      }
    }
    unlinked_while(const unlinked_while&) = delete;
    unlinked_while& operator=(const unlinked_while&) = delete;

   private:
    coroutine_node& node_;
  };

  // Passes the coroutine's outputs downstream, one by one or as a span, until it is done.
  // `first` takes the one reply of a push, the common case: a test of down_done_, which is set
  // only when downstream refuses, and no store.
  struct forwarder {
    coroutine_node* node;
    void operator()(coro_out&& out) const {
      if (!node->down_done_ && !node->down_.push(std::move(out))) node->refuse();
    }
    bool first(coro_out&& out) const {
      if (node->down_done_) [[unlikely]]
        return false;
      if (!node->down_.push(std::move(out))) [[unlikely]] {
        node->refuse();
        return false;
      }
      return true;
    }
    [[nodiscard]] bool accepting() const { return !node->down_done_; }
    void push_batch(std::span<const coro_out> outs) const {
      if (!node->down_done_ && !push_values<coro_out>(node->down_, outs)) node->refuse();
    }
  };

  // The forwarder for a reply of the fast path: the downstream is not done (a done one
  // refuses through the refusing inlet), so no test of down_done_. The pusher handles a
  // refusal (refuse_run).
  struct fresh_forwarder {
    coroutine_node* node;
    bool first(coro_out&& out) const { return node->down_.push(std::move(out)); }
  };

  forwarder forward() { return forwarder{this}; }
  fresh_forwarder forward_fresh() { return fresh_forwarder{this}; }

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
