// tools/stream_stats/progress.hpp
//
// The progress line stream_stats draws on a terminal while it reads a long input, as pv does:
//
//   stream_stats:  42% 12.3 MiB of 29.1 MiB, 45.6 MiB/s, 2.43 M values/s, 0:00:03 left
//
//   std::uint64_t read = 0;                      // bytes read so far, kept by the reader
//   stream_stats::progress ticks(std::cerr, isatty(2) && !quiet, file_size, &read);
//   ticks.update(values);                        // every few thousand values; draws <= 10/s
//   ticks.clear();                               // before a report row, and at the end
//
// The line starts with \r and ends by clearing the rest of the terminal line (\x1b[K), so each
// drawing replaces the last; clear() erases it. Nothing is written unless enabled: the caller
// decides (stderr a terminal, no --quiet, an input whose size is known or the built-in stream).
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace stream_stats {

/// format_bytes writes a size in binary units: "512 B", "12.3 KiB", "4.5 MiB", "1.20 GiB".
std::string format_bytes(double bytes);

/// format_progress writes the progress line for a file of `total` bytes of which `read` were
/// read in `seconds`, with `values` counted: share, sizes, byte rate, value rate and the time
/// left at the rate so far, as pv does:
///   "stream_stats:  42% 12.3 MiB of 29.1 MiB, 45.6 MiB/s, 2.43 M values/s, 0:00:03 left"
std::string format_progress(std::string_view program, std::uint64_t read, std::uint64_t total,
                            std::uint64_t values, double seconds);

/// progress writes a progress line on a terminal while a long run goes on: for a file of known
/// size, the share of its bytes read, the rate and the time left (format_progress); else the
/// values read and their rate.
class progress {
 public:
  /// redraw_interval is the least time between two drawings, in seconds.
  static constexpr double redraw_interval = 0.1;

  /// progress(err, enabled, total_bytes, bytes_read): nothing is ever written unless `enabled`
  /// (stderr is a terminal and --quiet was not given). `*bytes_read` counts the bytes read so
  /// far out of `total_bytes` (0: unknown); it must outlive the progress.
  progress(std::ostream& err, bool enabled, std::uint64_t total_bytes = 0,
           const std::uint64_t* bytes_read = nullptr);

  /// update is called every few thousand values; it redraws at most every redraw_interval.
  void update(std::uint64_t values);

  /// clear removes the line, if one was drawn.
  void clear();

 private:
  std::ostream& err_;
  bool enabled_;
  std::uint64_t total_bytes_;
  const std::uint64_t* bytes_read_;
  bool drawn_ = false;
  double started_;
  double last_drawn_;
};

}  // namespace stream_stats
