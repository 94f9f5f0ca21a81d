// coflow/tests/reliability/fault_stages.hpp
//
// Coroutine stages and sinks that fail on cue, for the reliability tests. Each one takes a
// frame_counter token by value (it lives as long as the frame) and enters a second counter
// from its body (it lives as long as the body's scope), so a test can tell "the frame was
// destroyed" from "the body finished". Values are ints or counted<Tag> values; key_of(v) reads
// the int either way.
//
//   coflow::test_support::frame_counter frames, scopes;
//   auto p = coflow::open<int>(relay<int>(scopes, frames.enter(), /*throw_at=*/3) |
//                              recorder<int>(scopes, frames.enter(), seen));
//   p.send(1); p.send(2);
//   EXPECT_THROW(p.send(3), stage_error);
#pragma once

#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/coroutine.hpp"
#include "pipeline/receive.hpp"
#include "tests/support/counted.hpp"
#include "tests/support/frame_counter.hpp"

namespace coflow::reliability {

using test_support::frame_counter;

/// never is a value no test sends: a stage given it as its trigger never fires.
inline constexpr int never = std::numeric_limits<int>::min();

/// stage_error is what the stages below throw when their trigger value arrives.
class stage_error : public std::runtime_error {
 public:
  stage_error(const std::string& where, int value)
      : std::runtime_error(where + " failed at value " + std::to_string(value)), value_(value) {}
  /// value is the value that triggered the failure.
  [[nodiscard]] int value() const noexcept { return value_; }

 private:
  int value_;
};

/// key_of(v) is the int a value stands for.
inline int key_of(int v) { return v; }
template <class Tag>
int key_of(const test_support::counted<Tag>& v) {
  return v.value();
}

/// make<V>(i) makes the value of type V that stands for i.
template <class V>
V make(int i) {
  return V(i);
}

/// relay<V>: passes each value on; throws stage_error when `throw_at` arrives, and at end of
/// stream emits `flush` (unless it is `never`) and then throws if `throw_at_close`.
template <class V>
coroutine<V, V> relay(frame_counter& scopes, frame_counter::token, int throw_at = never,
                      int flush = never, bool throw_at_close = false) {
  auto alive = scopes.enter();
  while (auto v = co_yield receive) {
    if (key_of(*v) == throw_at) throw stage_error("relay", throw_at);
    co_yield emit(std::move(*v));
  }
  if (flush != never) co_yield emit(make<V>(flush));
  if (throw_at_close) throw stage_error("relay at close", flush);
}

/// fans_out<V>: outputs each value `copies` times (several emits per input), throwing
/// stage_error instead of the second copy of `throw_at`.
template <class V>
coroutine<V, V> fans_out(frame_counter& scopes, frame_counter::token, int copies,
                         int throw_at = never) {
  auto alive = scopes.enter();
  while (auto v = co_yield receive) {
    const int k = key_of(*v);
    for (int i = 0; i < copies; ++i) {
      if (i == 1 && k == throw_at) throw stage_error("fans_out", k);
      co_yield emit(make<V>(k));
    }
  }
}

/// throws_at_start<V>: fails before its first receive point (while the pipeline is opened).
template <class V>
coroutine<V, V> throws_at_start(frame_counter& scopes, frame_counter::token) {
  auto alive = scopes.enter();
  throw stage_error("throws_at_start", 0);
  // Unreachable, but makes this a coroutine whose first suspension is never reached.
  while (auto v = co_yield receive) co_yield emit(std::move(*v));
}

/// recorder<V>: a sink that appends the int of each value to `seen` and returns how many it
/// took; throws stage_error when `throw_at` arrives.
template <class V>
consumer<V, int> recorder(frame_counter& scopes, frame_counter::token, std::vector<int>& seen,
                          int throw_at = never) {
  auto alive = scopes.enter();
  int n = 0;
  while (auto v = co_yield receive) {
    if (key_of(*v) == throw_at) throw stage_error("recorder", throw_at);
    seen.push_back(key_of(*v));
    ++n;
  }
  co_return n;
}

/// eos_swallower<V>: ignores end of stream and waits for another value (Python's "generator
/// ignored GeneratorExit"), passing values on meanwhile.
template <class V>
coroutine<V, V> eos_swallower(frame_counter& scopes, frame_counter::token) {
  auto alive = scopes.enter();
  for (;;) {
    auto v = co_yield receive;
    if (v) co_yield emit(std::move(*v));
  }
}

}  // namespace coflow::reliability
