// coflow/operators/tumbling_time.hpp
//
// ops::tumbling_time(size, timestamp_fn, state, bounds): event-time windows [k*size,
// (k+1)*size) that do not overlap, aligned to the clock's epoch, each aggregated with a copy of
// `state` (a coflow::mergeable_aggregate), with a watermark that tolerates values out of
// order and an allowed lateness that refines a window already output. Output:
// coflow::time_window_event<R, In, TimePoint> (operators/window.hpp), a std::variant of
// time_window_result<R, TimePoint> {start, end, count, result, update} and late_value<In,
// TimePoint> {value, timestamp, windows_missed}. It is sliding_time(size, size, ...)
// (operators/sliding_time.hpp), which documents timestamps, saturation, exceptions and cost.
//
//   using namespace std::chrono_literals;
//   struct reading { std::chrono::sys_seconds time; double value; };
//   auto p = coflow::ops::tumbling_time(10s, &reading::time, &reading::value, my_sum{},
//                                       coflow::event_time{.out_of_orderness = 2s,
//                                                          .allowed_lateness = 5s})
//            | coflow::sinks::to_vector();
//
// Semantics (event time, as in Flink with its default trigger):
// - The watermark is the largest timestamp seen so far minus out_of_orderness: the stage's
//   claim that no value older than it is still to come. It only moves forward.
// - A window [start, end) is complete once the watermark is at or past its end; it is then
//   output (update = false) with every value seen so far for it. Values are added as they
//   come, so values out of order by up to out_of_orderness are in their window when it is
//   output.
// - A complete window stays for allowed_lateness more: until the watermark reaches
//   end + allowed_lateness. A value for it in that time is late but allowed: it is added, and
//   the window is output again at once with update = true, its count and result covering every
//   value so far (a later output replaces an earlier one for the same window).
// - A value whose window the watermark has passed by more than that (watermark >= end +
//   allowed_lateness) is too late: it is output as a late_value with its timestamp, never
//   dropped. So the counts of the last output of each window plus the late values add up to
//   the values in.
// - End of stream is a watermark of +infinity: every window not yet output is output, oldest
//   first, then end of stream goes on. An empty stream outputs nothing.
// - Within one value: its window is updated or reported first, then the watermark moves and
//   the windows it completes are output, oldest first.
// With both bounds zero (the default), a window is output when the first value at or after its
//   end arrives, and any value older than the newest value's window is reported late.
//
// Worked example: tumbling_time(10s, ..., {.out_of_orderness = 2s, .allowed_lateness = 5s}),
// a count per window, timestamps in seconds:
//
//   value  watermark  output
//   1      -1         -                               [0,10) holds 1
//   4       2         -                               [0,10) holds 2
//   11      9         -                               [10,20) holds 1
//   9       9         -                               out of order within 2 s: [0,10) holds 3
//   13     11         [0,10) count 3                  the watermark passed 10
//   3      11         [0,10) count 4, update          late, but within 10 + 5
//   19     17         -                               17 >= 10 + 5: [0,10) is dropped
//   2      17         late_value{2, 2s, 1}            too late for [0,10)
//   25     23         [10,20) count 3
//   end    +inf       [20,30) count 1
//
// 9 values in: 4 in [0,10), 3 in [10,20), 1 in [20,30), 1 reported late.
// Preconditions: size > 0, bounds not negative (std::invalid_argument at the call, naming the
//   parameter).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <chrono>
#include <functional>
#include <utility>

#include "operators/aggregate.hpp"
#include "operators/sliding_time.hpp"
#include "operators/window.hpp"

namespace coflow::ops {

/// tumbling_time(size, timestamp_fn, state, bounds) aggregates the values of each event time
/// window [k*size, (k+1)*size), output once the watermark passes its end.
template <class Rep, class Period, class TimestampFn, mergeable_aggregate A>
[[nodiscard]] auto tumbling_time(std::chrono::duration<Rep, Period> size,
                                 TimestampFn&& timestamp_fn, A state, event_time bounds = {}) {
  return detail::make_time_window_stage("tumbling_time(size, timestamp_fn, state)", size, size,
                                        std::forward<TimestampFn>(timestamp_fn), std::identity{},
                                        std::move(state), bounds);
}

/// tumbling_time(size, timestamp_fn, value_fn, state, bounds) adds value_fn(v) to the
/// aggregate instead of v itself; the timestamp and a late_value still see the whole value.
template <class Rep, class Period, class TimestampFn, class ValueFn, mergeable_aggregate A>
[[nodiscard]] auto tumbling_time(std::chrono::duration<Rep, Period> size,
                                 TimestampFn&& timestamp_fn, ValueFn&& value_fn, A state,
                                 event_time bounds = {}) {
  return detail::make_time_window_stage("tumbling_time(size, timestamp_fn, state)", size, size,
                                        std::forward<TimestampFn>(timestamp_fn),
                                        std::forward<ValueFn>(value_fn), std::move(state), bounds);
}

}  // namespace coflow::ops
