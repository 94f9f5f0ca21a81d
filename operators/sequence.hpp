// coflow/operators/sequence.hpp
//
// ops::sequence(stages): a runtime number of coroutine stages of one type, run one after the
// other as a single stage. For pipelines whose depth is known only at run time (a filter
// bank read from a configuration, a chain of 1,000 stages).
//
//   coflow::coroutine<int, int> add(int k) {
//     while (auto v = co_yield coflow::receive) co_yield coflow::emit(*v + k);
//   }
//
//   std::vector<coflow::coroutine<int, int>> stages;
//   for (int i = 0; i < depth; ++i) stages.push_back(add(1));
//   auto out = coflow::run(xs, coflow::ops::sequence(std::move(stages)) |
//                                  coflow::sinks::to_vector());   // each x + depth
//
// Semantics: as `stages[0] | stages[1] | ... | stages[n-1]` written out: each value goes
//   into stage 0, each output of stage i (a reply or an emit) goes into stage i+1, and the
//   outputs of the last stage go downstream, in order. With no stages the values pass
//   through unchanged. The stages are started when the pipeline is bound (their outputs at
//   start flow on as well). Once a stage finishes (co_return) the sequence is done, and
//   whatever the stages before it still output is dropped, as in a written-out chain. At end
//   of stream stage 0 is closed first (its flush feeds stage 1 ...), then stage 1, and so
//   on; then downstream is finished and its result comes back.
// Exceptions: what a stage throws propagates to the caller of send/run/close; the stage is
//   then done and so is the sequence. A stage passed in stopped at an emit point, or a
//   moved-from coroutine, is a protocol_error at bind.
// Lifetime: the description owns the coroutine objects and is move-only; binding it needs an
//   rvalue (`coflow::run(xs, std::move(p))`), and the node then owns the frames. A coroutine
//   object runs once, so unlike other descriptions a sequence is used up by one run: build a
//   fresh one (fresh coroutine objects) for each run.
// Cost: one resume per value per stage it enters, as in a written-out chain, with no
//   recursion: a value is carried through the stages by a loop, so the C++ stack depth is the
//   same for 1 stage and for 100,000. A stage that emits several values is remembered on a
//   small explicit stack, reserved at bind (one allocation of n indices): no allocation per
//   value.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "pipeline/coroutine.hpp"
#include "pipeline/coroutine_stage.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class>
inline constexpr bool sequence_always_false = false;

template <class In, class T, class Down>
class sequence_node {
  using stage_type = coroutine<T, T>;

 public:
  sequence_node(std::vector<stage_type> stages, Down down)
      : stages_(std::move(stages)), down_(std::move(down)) {
    // A downstream that is done from the start (a take(0)) must never be pushed to, not even
    // by what the stages output at start or flush at end of stream.
    down_done_ = down_.done();
    pending_.reserve(stages_.size());
    // Last stage first, so that what a stage outputs at start finds its successor running,
    // as in a written-out chain (which binds from the sink backwards).
    for (std::size_t i = stages_.size(); i-- > 0;) {
      auto flush = [this, i](T&& value) { feed(i + 1, std::move(value)); };
      ::coflow::detail::prepare_coroutine(stages_[i], flush);
      if (!stages_[i].receiving()) stopped(i);
    }
  }

  bool push(In&& value) {
    interrupted_ = true;  // stays set if a stage throws: the sequence is then done
    feed(0, T(std::move(value)));
    interrupted_ = false;
    return !done();
  }

  [[nodiscard]] bool done() const {
    return interrupted_ || first_live_ > 0 || down_done_ || down_.done();
  }

  decltype(auto) finish() {
    pending_.clear();
    for (std::size_t i = 0; i < stages_.size(); ++i) {
      if (stages_[i].done()) continue;
      auto flush = [this, i](T&& value) { feed(i + 1, std::move(value)); };
      (void)stages_[i].close(flush);
    }
    return down_.finish();
  }

 private:
  // Delivers `value` to stage `to` (stages_.size() = downstream) and carries everything it
  // causes on through the later stages, in order, before returning. Iterative: stages whose
  // body stopped at an emit point wait on pending_, deepest on top, and are continued once
  // the output in hand has gone all the way down.
  void feed(std::size_t to, T&& value) {
    const std::size_t n = stages_.size();
    std::optional<T> out(std::move(value));
    std::size_t at = to;
    for (;;) {
      if (out) {
        if (at < first_live_ || down_done_) {
          out.reset();  // a later stage finished: nothing from here on can arrive anywhere
        } else if (at == n) {
          down_done_ = !down_.push(std::move(*out));
          out.reset();
        } else {
          stage_type& s = stages_[at];
          out = s.send(std::move(*out));
          if (s.emitting()) {
            pending_.push_back(at);
          } else if (!s.receiving()) {
            stopped(at);
          }
          ++at;
          continue;
        }
      }
      if (pending_.empty()) return;
      const std::size_t k = pending_.back();
      stage_type& s = stages_[k];
      out = s.next();
      if (!s.emitting()) {
        pending_.pop_back();
        if (!s.receiving()) stopped(k);
      }
      at = k + 1;
    }
  }

  // Stage i finished: every stage before it now outputs into nothing.
  void stopped(std::size_t i) {
    first_live_ = std::max(first_live_, i + 1);
    pending_.clear();  // only stages before i can be pending
  }

  std::vector<stage_type> stages_;
  Down down_;
  std::vector<std::size_t> pending_;  // stages stopped at an emit point, ascending
  std::size_t first_live_ = 0;        // outputs into a stage below this index are dropped
  bool down_done_ = false;
  bool interrupted_ = false;
};

}  // namespace detail

namespace ops {

/// sequence_stage<T> is the description made by sequence(stages). Move-only.
template <class T>
class sequence_stage : public stage_interface {
 public:
  /// output<In> is the type it outputs: the stages' value type.
  template <class In>
  using output = T;

  explicit sequence_stage(std::vector<coroutine<T, T>> stages) : stages_(std::move(stages)) {}
  // Said outright: std::vector claims to be copyable whatever its elements are.
  sequence_stage(const sequence_stage&) = delete;
  sequence_stage& operator=(const sequence_stage&) = delete;
  sequence_stage(sequence_stage&&) noexcept = default;
  sequence_stage& operator=(sequence_stage&&) noexcept = default;
  ~sequence_stage() = default;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) && {
    static_assert(std::convertible_to<In, T>,
                  "coflow::ops::sequence: the upstream element type does not convert to the "
                  "stages' input type");
    using down_type = decltype(make_down(std::type_identity<T>{}));
    return detail::sequence_node<In, T, down_type>(std::move(stages_),
                                                   make_down(std::type_identity<T>{}));
  }

  template <class In, class MakeDown>
  void bind(MakeDown) const& {
    static_assert(detail::sequence_always_false<In>,
                  "coflow::ops::sequence owns coroutine objects, which run once: pass the "
                  "pipeline as an rvalue (std::move(p)) and build a new sequence for each run");
  }

  /// size is the number of stages.
  [[nodiscard]] std::size_t size() const noexcept { return stages_.size(); }

 private:
  std::vector<coroutine<T, T>> stages_;
};

/// sequence(stages) runs `stages` one after the other as one stage, without recursion.
template <class T>
[[nodiscard]] sequence_stage<T> sequence(std::vector<coroutine<T, T>> stages) {
  return sequence_stage<T>(std::move(stages));
}

}  // namespace ops

}  // namespace coflow
