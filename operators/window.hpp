// coflow/operators/window.hpp
//
// What the window operators output, and the bounds of event time they take:
//
//   coflow::window_result<R>                  count windows (ops::tumbling_count, sliding_count)
//   coflow::time_window_result<R, TimePoint>  time windows (ops::tumbling_time, sliding_time)
//   coflow::late_value<T, TimePoint>          a value that came too late for a time window
//   coflow::time_window_event<R, T, TimePoint> what a time window stage outputs: either of the
//                                             two above, in the order they happened
//   coflow::event_time                        out-of-orderness and allowed lateness
//
// A window aggregates its values with a copy of a coflow::mergeable_aggregate state
// (operators/aggregate.hpp) given to the operator; R is that aggregate's result() type.
//
// Per key: sinks::group_by(key_fn, window_stage | sink) runs a window stage per key, so each
// key has its own windows and, for time windows, its own watermark: a key's windows are output
// when that key's own values move its watermark, or at end of stream (Flink's watermark is one
// for all keys instead). group_by is a sink, so its per-key outputs are its result at end of
// stream.
//
// Why a late value is an output and not a callback: a time window stage outputs a
// std::variant, so a late value goes wherever the windows go (a to_vector, a for_each with a
// visitor, a group_by's sub-pipeline), in stream order with them, and a pipeline cannot be
// built that forgets it: a sink that only knows window results does not compile. A downstream
// that wants the windows alone filters them out with std::get_if, and so says so.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <variant>

namespace coflow {

/// window_result<R> is one count window: the `count` values with sequence numbers `first` to
/// `first + count - 1` (the stream's first value is number 0), window number `index`, and the
/// aggregate's `result`. `count` is the window's size, except in windows flushed at end of
/// stream.
template <class R>
struct window_result {
  std::uint64_t index = 0;
  std::uint64_t first = 0;
  std::uint64_t count = 0;
  R result{};

  friend bool operator==(const window_result&, const window_result&) = default;
};

/// time_window_result<R, TimePoint> is one time window [start, end): the `count` values whose
/// timestamps fell in it and the aggregate's `result`. `update` is false the first time a
/// window is output and true when it is output again, refined by values that came late but
/// within the allowed lateness (its count and result then cover every value so far).
template <class R, class TimePoint>
struct time_window_result {
  TimePoint start{};
  TimePoint end{};
  std::uint64_t count = 0;
  R result{};
  bool update = false;

  friend bool operator==(const time_window_result&, const time_window_result&) = default;
};

/// late_value<T, TimePoint> is a value that came after the allowed lateness of
/// `windows_missed` of its windows (every window for a tumbling window; for a sliding one, it
/// was still added to those of its windows that were open). The value is moved in.
template <class T, class TimePoint>
struct late_value {
  T value;
  TimePoint timestamp{};
  std::uint64_t windows_missed = 0;

  friend bool operator==(const late_value&, const late_value&) = default;
};

/// time_window_event<R, T, TimePoint> is what a time window stage outputs for values of type T.
template <class R, class T, class TimePoint>
using time_window_event = std::variant<time_window_result<R, TimePoint>, late_value<T, TimePoint>>;

/// event_time bounds how far out of order values may come (see operators/tumbling_time.hpp):
/// - out_of_orderness: the watermark trails the largest timestamp seen by this much, so a
///   value up to this much older than the newest still finds its window open;
/// - allowed_lateness: a window that has been output stays for this much more watermark time,
///   and a value that comes in it is added and the window output again as an update.
/// Both must be zero or positive. They are converted to the timestamps' unit rounding up (a
/// bound of 1500 ms with timestamps in seconds is 2 s), so that no value the bound admits is
/// refused.
struct event_time {
  std::chrono::nanoseconds out_of_orderness{0};
  std::chrono::nanoseconds allowed_lateness{0};
};

}  // namespace coflow
