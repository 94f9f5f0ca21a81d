// coflow/pipeline/scheduler/clock.hpp
//
// The clocks a coflow::basic_scheduler can run on:
// - any standard clock (std::chrono::steady_clock is the default): when every task is asleep
//   the scheduler sleeps the thread until the next timer is due;
// - coflow::manual_clock, virtual time: when every task is asleep the scheduler moves the clock
//   straight to the next timer, so a test of an hour of sleeps runs in microseconds, and the
//   times it observes are exact.
//
//   coflow::basic_scheduler<coflow::manual_clock> s;      // virtual time
//   s.spawn(job());                                       // job() sleeps for 2 s in all
//   s.run();
//   assert(s.now().time_since_epoch() == 2s);             // exactly, and at once
//
// The concept scheduler_clock says what else qualifies: a standard clock (static now()), or an
// object with now() and advance_to(t) that the scheduler may move forward itself.
// Guarantees: manual_clock never allocates or throws except on misuse (moving it backwards
// throws coflow::protocol_error); it starts at its epoch, time_point{}.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <chrono>
#include <concepts>
#include <cstdint>
#include <ratio>

#include "pipeline/protocol_error.hpp"

namespace coflow {

/// advanceable_clock<C> is a clock object that reads its time with now() and that the
/// scheduler moves forward with advance_to(t) instead of waiting for t.
template <class C>
concept advanceable_clock = requires(C& c, const C& cc, typename C::time_point t) {
  typename C::duration;
  typename C::time_point;
  { cc.now() } -> std::same_as<typename C::time_point>;
  c.advance_to(t);
};

/// scheduler_clock<C> is what coflow::basic_scheduler<C> accepts: a standard clock, which it
/// waits for by sleeping the thread, or an advanceable_clock.
template <class C>
concept scheduler_clock = std::chrono::is_clock_v<C> || advanceable_clock<C>;

/// manual_clock is virtual time: it stands still until advanced. A scheduler on a
/// manual_clock advances it to the next timer whenever every task is asleep; tests may also
/// advance it by hand between runs.
class manual_clock {
 public:
  using rep = std::int64_t;
  using period = std::nano;
  using duration = std::chrono::duration<rep, period>;
  using time_point = std::chrono::time_point<manual_clock>;
  static constexpr bool is_steady = true;

  /// manual_clock starts at `start` (the epoch by default).
  constexpr explicit manual_clock(time_point start = time_point{}) noexcept : now_(start) {}

  /// now is the current virtual time.
  [[nodiscard]] constexpr time_point now() const noexcept { return now_; }

  /// advance_to moves the clock to `t`. Throws protocol_error if `t` is earlier than now():
  /// a steady clock never goes back.
  constexpr void advance_to(time_point t) {
    if (t < now_)
      throw protocol_error("coflow::manual_clock::advance_to(): the time point is in the past");
    now_ = t;
  }

  /// advance moves the clock forward by `d`. Throws protocol_error if `d` is negative.
  constexpr void advance(duration d) {
    if (d < duration::zero())
      throw protocol_error("coflow::manual_clock::advance(): negative duration");
    now_ += d;
  }

 private:
  time_point now_;
};

}  // namespace coflow
