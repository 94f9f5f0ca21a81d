// tools/stream_stats/windows.hpp
//
// --window: the statistics of each window of values or of time, computed by coflow's window
// operators (ops::tumbling_count, ops::tumbling_time) with window_statistics as their aggregate.
//
//   auto config = std::make_shared<stream_stats::statistics_config>();
//   auto rows = coflow::run(samples, coflow::ops::tumbling_count(
//                                        1000, stream_stats::window_statistics(config, 1, false)) |
//                                        coflow::sinks::to_vector());
//   // rows[k].result.totals: the statistics of values k*1000+1 .. k*1000+1000
//
// Semantics: a window holds every value column's statistics, and with --by each key's within
//   the window (a window of 1000 values is 1000 values of any key). Time windows are
//   [k*size, (k+1)*size) in seconds since the epoch, output once a value at or after the end
//   comes (or at the end of the stream); a value older than the newest value's window is late:
//   it is in the totals and groups but in no window, and counted (coflow's event time with no
//   out-of-orderness allowed).
// Exceptions: what allocation throws.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tools/stream_stats/records.hpp"
#include "tools/stream_stats/report.hpp"
#include "tools/stream_stats/statistics.hpp"

namespace stream_stats {

/// window_time is a sample's time as the time windows take it: microseconds since the epoch.
using window_time = std::chrono::sys_time<std::chrono::microseconds>;

/// to_window_time converts seconds since the epoch, saturating beyond window_time's range.
window_time to_window_time(double seconds) noexcept;

/// to_window_duration converts a window's length in seconds (positive) to whole microseconds,
/// at least one.
std::chrono::microseconds to_window_duration(double seconds) noexcept;

/// seconds_of converts a window_time back to seconds since the epoch.
double seconds_of(window_time t) noexcept;

/// window_statistics is a window's state: the statistics of its samples, in total or per key.
/// It is a coflow::mergeable_aggregate of samples; result() leaves the bounds to the caller.
class window_statistics {
 public:
  using value_type = sample;

  window_statistics() = default;
  window_statistics(std::shared_ptr<const statistics_config> config, std::size_t columns,
                    bool grouped)
      : config_(std::move(config)),
        columns_(columns),
        grouped_(grouped),
        totals_(config_, columns) {}

  void add(const sample& s);
  void merge(const window_statistics& other);
  [[nodiscard]] window_rows result() const;

 private:
  std::shared_ptr<const statistics_config> config_;
  std::size_t columns_ = 1;
  bool grouped_ = false;
  row_statistics totals_;
  std::map<sample_key, row_statistics> groups_;
};

}  // namespace stream_stats
