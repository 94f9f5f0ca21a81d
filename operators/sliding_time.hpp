// coflow/operators/sliding_time.hpp
//
// ops::sliding_time(size, slide, timestamp_fn, state, bounds): event-time windows of length
// `size` that begin every `slide`, aligned to the clock's epoch, each aggregated with a copy of
// `state` (a coflow::mergeable_aggregate); output as coflow::time_window_event<R, In, TimePoint>
// (operators/window.hpp): a window's result, or a value that came too late.
//
//   using namespace std::chrono_literals;
//   struct reading { std::chrono::sys_seconds time; double value; };
//   // the mean of the last minute, every 10 seconds, values up to 5 s out of order:
//   auto p = coflow::ops::sliding_time(60s, 10s, &reading::time, &reading::value, my_mean{},
//                                      coflow::event_time{.out_of_orderness = 5s})
//            | coflow::sinks::to_vector();
//
// Windows: the windows are [k*slide, k*slide + size) for every integer k, counted from the
//   epoch of the timestamps' clock (like Flink; for sys_time, 1970-01-01 UTC), so
//   sliding_time(60s, 10s, ...) has windows [0 s, 60 s), [10 s, 70 s), ... and a value with
//   timestamp t is in every window whose start is in (t - size, t]: size/slide of them when
//   slide divides size. A window exists once a value falls in it; windows no value falls in
//   are not output.
// Watermark, completion, lateness and end of stream: exactly as for tumbling_time (a tumbling
//   window is a sliding window whose slide is its size); see operators/tumbling_time.hpp for
//   the rules and a worked example. For a sliding window they apply to each of a value's
//   windows on its own: a value too late for some of its windows is added to the others and
//   reported once, as a late_value whose windows_missed says how many it missed. So the values
//   in the output windows plus the windows_missed reports add up to (size/slide) times the
//   values in (when slide divides size).
// Timestamps: timestamp_fn(const In&) (a function, a lambda, or a pointer to a data member)
//   returns a std::chrono::time_point with an integer representation (sys_seconds,
//   sys_time<std::chrono::milliseconds>, your own clock's). size and slide must convert to its
//   duration without loss (a compile-time error says so: 1500ms windows need timestamps in
//   milliseconds or finer). Arithmetic saturates at the time_point's range and never
//   overflows: a window that would end after its maximum ends at time_point::max() and is
//   output only at end of stream (so a value stamped time_point::max() is kept, not lost); a
//   window that would begin before its minimum begins at time_point::min() and ends `size`
//   after it (and is then the only window of a value within one slide of the minimum).
// Values: each value v is added to its windows' states as v, or as value_fn(v) with the
//   overload that takes a value_fn (a pointer to a data member, say): a transform in front
//   would lose the timestamp, and a late_value carries the whole value.
// Preconditions: 0 < slide <= size (a larger slide would skip values) and bounds that are not
//   negative, else std::invalid_argument at the call, naming the parameter. Each window starts
//   from a copy of `state`; windows are never merged with each other.
// Exceptions: what timestamp_fn, the aggregate's add or result() or copy throws, std::bad_alloc,
//   and what downstream throws propagate to the caller of push/run.
// Cost: fused, no resume. Per value: timestamp_fn, one map lookup and one add per window of
//   the value (size/slide of them, as Flink does: time windows are not cut into panes as
//   sliding_count's are). Each watermark step visits only the windows it completes. Memory: one map
//   node with a copy of `state` per open window (the windows between the watermark minus the
//   allowed lateness and the newest timestamp).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "operators/aggregate.hpp"
#include "operators/window.hpp"
#include "pipeline/stage.hpp"

namespace coflow {

namespace detail {

template <class T>
inline constexpr bool is_integral_time_point_v = false;
template <class Clock, class Duration>
inline constexpr bool is_integral_time_point_v<std::chrono::time_point<Clock, Duration>> =
    std::is_integral_v<typename Duration::rep>;

template <class In, class TimestampFn>
using window_timestamp_t = std::remove_cvref_t<std::invoke_result_t<TimestampFn&, const In&>>;

// Saturating arithmetic on a time_point's count; b >= 0.
template <class Rep>
constexpr Rep saturating_add(Rep a, Rep b) {
  return a > std::numeric_limits<Rep>::max() - b ? std::numeric_limits<Rep>::max() : a + b;
}
template <class Rep>
constexpr Rep saturating_sub(Rep a, Rep b) {
  return a < std::numeric_limits<Rep>::min() + b ? std::numeric_limits<Rep>::min() : a - b;
}

template <class In, class TimestampFn, class ValueFn, class A, class TimePoint, class Down>
class time_window_node {
  using rep = typename TimePoint::rep;
  using urep = std::make_unsigned_t<rep>;
  using duration = typename TimePoint::duration;
  using result_type = time_window_result<aggregate_result_t<A>, TimePoint>;
  using late_type = late_value<In, TimePoint>;
  using event_type = time_window_event<aggregate_result_t<A>, In, TimePoint>;
  static constexpr rep rep_min = std::numeric_limits<rep>::min();
  static constexpr rep rep_max = std::numeric_limits<rep>::max();

  struct window {
    A state;
    std::uint64_t count = 0;
    bool emitted = false;
  };

 public:
  time_window_node(rep size, rep slide, rep out_of_orderness, rep allowed_lateness,
                   TimestampFn timestamp_fn, ValueFn value_fn, A initial, Down down)
      : size_(size),
        slide_(slide),
        out_of_orderness_(out_of_orderness),
        allowed_lateness_(allowed_lateness),
        timestamp_fn_(std::move(timestamp_fn)),
        value_fn_(std::move(value_fn)),
        initial_(std::move(initial)),
        down_(std::move(down)) {}

  bool push(In&& value) {
    const TimePoint timestamp = std::invoke(timestamp_fn_, std::as_const(value));
    const rep t = timestamp.time_since_epoch().count();
    // The value's windows begin at first, first + slide, ..., last (see Windows above).
    rep r = t % slide_;
    if (r < 0) r += slide_;
    const rep last = t < rep_min + r ? rep_min : t - r;
    const urep by_size = static_cast<urep>(size_ - 1 - (t - last)) / static_cast<urep>(slide_);
    const urep by_range =
        (static_cast<urep>(last) - static_cast<urep>(rep_min)) / static_cast<urep>(slide_);
    const urep windows = std::min(by_size, by_range) + 1;
    const rep first =
        static_cast<rep>(static_cast<urep>(last) - (windows - 1) * static_cast<urep>(slide_));
    std::uint64_t missed = 0;
    for (urep i = 0; i < windows; ++i) {
      const rep start = static_cast<rep>(static_cast<urep>(first) + i * static_cast<urep>(slide_));
      const rep end = end_of(start);
      if (expired(end)) {
        ++missed;
        continue;
      }
      auto it = windows_.lower_bound(start);
      if (it == windows_.end() || it->first != start) {
        it = windows_.emplace_hint(it, start, window{initial_});
      }
      it->second.state.add(
          static_cast<const typename A::value_type&>(std::invoke(value_fn_, std::as_const(value))));
      ++it->second.count;
      // A window the watermark has passed is output at once: for the first time if the value
      // is the first of it to come, else as an update.
      if (complete(end) && !emit(it)) return false;
    }
    if (missed != 0) {
      if (!down_.push(
              event_type(std::in_place_index<1>, late_type{std::move(value), timestamp, missed}))) {
        return false;
      }
    }
    const rep mark = saturating_sub(t, out_of_orderness_);
    if (!has_watermark_ || mark > watermark_) {
      has_watermark_ = true;
      watermark_ = mark;
      return advance();
    }
    return true;
  }

  [[nodiscard]] bool done() const { return down_.done(); }

  decltype(auto) finish() {
    // The watermark jumps to +infinity: every window not yet output is output, oldest first.
    for (auto it = windows_.begin(); it != windows_.end() && !down_.done(); ++it) {
      if (!it->second.emitted) (void)emit(it);
    }
    windows_.clear();
    return down_.finish();
  }

 private:
  rep end_of(rep start) const { return saturating_add(start, size_); }
  // complete(end): the watermark has passed the window's end. A window whose end saturated
  // at the maximum completes only at end of stream.
  bool complete(rep end) const { return has_watermark_ && end != rep_max && watermark_ >= end; }
  // expired(end): the watermark has passed the window's end plus the allowed lateness.
  bool expired(rep end) const {
    return complete(end) && watermark_ >= rep_min + allowed_lateness_ &&
           watermark_ - allowed_lateness_ >= end;
  }

  bool emit(typename std::map<rep, window>::iterator it) {
    window& w = it->second;
    const bool update = w.emitted;
    w.emitted = true;
    return down_.push(event_type(
        std::in_place_index<0>,
        result_type{TimePoint(duration(it->first)), TimePoint(duration(end_of(it->first))), w.count,
                    w.state.result(), update}));
  }

  // The watermark moved: output the windows it completed, oldest first, then drop those past
  // their allowed lateness.
  bool advance() {
    auto it = fired_any_ ? windows_.upper_bound(fired_below_) : windows_.begin();
    for (; it != windows_.end() && complete(end_of(it->first)); ++it) {
      fired_any_ = true;
      fired_below_ = it->first;
      if (!it->second.emitted && !emit(it)) return false;
    }
    while (!windows_.empty() && expired(end_of(windows_.begin()->first))) {
      windows_.erase(windows_.begin());
    }
    return true;
  }

  rep size_;
  rep slide_;
  rep out_of_orderness_;
  rep allowed_lateness_;
  [[no_unique_address]] TimestampFn timestamp_fn_;
  [[no_unique_address]] ValueFn value_fn_;
  A initial_;
  bool has_watermark_ = false;
  rep watermark_ = rep_min;
  bool fired_any_ = false;
  rep fired_below_ = rep_min;  // every window that begins at or before it has been output
  std::map<rep, window> windows_;
  Down down_;
};

}  // namespace detail

namespace ops {

/// time_window_stage<Duration, TimestampFn, ValueFn, A> is the description made by sliding_time
/// and tumbling_time.
template <class Duration, class TimestampFn, class ValueFn, mergeable_aggregate A>
struct time_window_stage : stage_interface {
  /// output<In> is the type it outputs for input In.
  template <class In>
  using output =
      time_window_event<aggregate_result_t<A>, In, detail::window_timestamp_t<In, TimestampFn>>;

  Duration size;
  Duration slide;
  TimestampFn timestamp_fn;
  ValueFn value_fn;
  A initial;
  event_time bounds;

  template <class In, class MakeDown>
  auto bind(MakeDown make_down) const {
    static_assert(std::invocable<const TimestampFn&, const In&>,
                  "coflow::ops::sliding_time/tumbling_time: timestamp_fn must be callable with a "
                  "const In& (a function, a lambda, or a pointer to a data member)");
    using time_point = detail::window_timestamp_t<In, TimestampFn>;
    static_assert(detail::is_integral_time_point_v<time_point>,
                  "coflow::ops::sliding_time/tumbling_time: timestamp_fn must return a "
                  "std::chrono::time_point with an integer representation (sys_seconds, "
                  "sys_time<milliseconds>...): convert a floating-point time there");
    using tick = typename time_point::duration;
    static_assert(std::is_convertible_v<Duration, tick>,
                  "coflow::ops::sliding_time/tumbling_time: the window size and slide must be "
                  "whole numbers of the timestamps' unit: use finer timestamps or coarser "
                  "windows");
    static_assert(std::invocable<const ValueFn&, const In&>,
                  "coflow::ops::sliding_time/tumbling_time: value_fn must be callable with a "
                  "const In&");
    static_assert(std::convertible_to<std::invoke_result_t<const ValueFn&, const In&>,
                                      typename A::value_type>,
                  "coflow::ops::sliding_time/tumbling_time: the values (or what value_fn "
                  "returns) must convert to the aggregate's value_type");
    static_assert(std::move_constructible<In>,
                  "coflow::ops::sliding_time/tumbling_time: the values must be move "
                  "constructible (a late value is passed on in a late_value)");
    using down_type = decltype(make_down(std::type_identity<output<In>>{}));
    return detail::time_window_node<In, TimestampFn, ValueFn, A, time_point, down_type>(
        tick(size).count(), tick(slide).count(),
        std::chrono::ceil<tick>(bounds.out_of_orderness).count(),
        std::chrono::ceil<tick>(bounds.allowed_lateness).count(), timestamp_fn, value_fn, initial,
        make_down(std::type_identity<output<In>>{}));
  }
};

}  // namespace ops

namespace detail {

template <class Duration, class TimestampFn, class ValueFn, class A>
ops::time_window_stage<Duration, std::decay_t<TimestampFn>, std::decay_t<ValueFn>, A>
make_time_window_stage(const char* name, Duration size, Duration slide, TimestampFn&& timestamp_fn,
                       ValueFn&& value_fn, A state, event_time bounds) {
  static_assert(std::is_integral_v<typename Duration::rep>,
                "coflow::ops::sliding_time/tumbling_time: the window size and slide must be "
                "std::chrono durations with an integer representation");
  auto invalid = [name](const char* what) {
    return std::invalid_argument(std::string("coflow::ops::") + name + ": " + what);
  };
  if (size <= Duration::zero()) throw invalid("size must be positive");
  if (slide <= Duration::zero() || slide > size) {
    throw invalid("slide must be positive and at most size");
  }
  if (bounds.out_of_orderness < std::chrono::nanoseconds::zero()) {
    throw invalid("event_time::out_of_orderness must not be negative");
  }
  if (bounds.allowed_lateness < std::chrono::nanoseconds::zero()) {
    throw invalid("event_time::allowed_lateness must not be negative");
  }
  return {{},
          size,
          slide,
          std::forward<TimestampFn>(timestamp_fn),
          std::forward<ValueFn>(value_fn),
          std::move(state),
          bounds};
}

}  // namespace detail

namespace ops {

/// sliding_time(size, slide, timestamp_fn, state, bounds) aggregates the values of each event
/// time window [k*slide, k*slide + size), output once the watermark passes its end.
template <class Rep1, class Period1, class Rep2, class Period2, class TimestampFn,
          mergeable_aggregate A>
[[nodiscard]] auto sliding_time(std::chrono::duration<Rep1, Period1> size,
                                std::chrono::duration<Rep2, Period2> slide,
                                TimestampFn&& timestamp_fn, A state, event_time bounds = {}) {
  using common = std::common_type_t<std::chrono::duration<Rep1, Period1>,
                                    std::chrono::duration<Rep2, Period2>>;
  return detail::make_time_window_stage(
      "sliding_time(size, slide, timestamp_fn, state)", common(size), common(slide),
      std::forward<TimestampFn>(timestamp_fn), std::identity{}, std::move(state), bounds);
}

/// sliding_time(size, slide, timestamp_fn, value_fn, state, bounds) adds value_fn(v) to the
/// aggregate instead of v itself (a pointer to a data member, say), while the timestamp and a
/// late_value still see the whole value.
template <class Rep1, class Period1, class Rep2, class Period2, class TimestampFn, class ValueFn,
          mergeable_aggregate A>
[[nodiscard]] auto sliding_time(std::chrono::duration<Rep1, Period1> size,
                                std::chrono::duration<Rep2, Period2> slide,
                                TimestampFn&& timestamp_fn, ValueFn&& value_fn, A state,
                                event_time bounds = {}) {
  using common = std::common_type_t<std::chrono::duration<Rep1, Period1>,
                                    std::chrono::duration<Rep2, Period2>>;
  return detail::make_time_window_stage("sliding_time(size, slide, timestamp_fn, state)",
                                        common(size), common(slide),
                                        std::forward<TimestampFn>(timestamp_fn),
                                        std::forward<ValueFn>(value_fn), std::move(state), bounds);
}

}  // namespace ops

}  // namespace coflow
