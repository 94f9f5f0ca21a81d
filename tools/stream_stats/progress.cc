#include "tools/stream_stats/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>

#include "tools/stream_stats/report.hpp"

namespace stream_stats {

namespace {

constexpr std::string_view tool_name = "stream_stats";

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

std::string format_bytes(double bytes) {
  if (bytes < 1024) return fmt::format("{:.0f} B", bytes);
  if (bytes < 1024.0 * 1024) return fmt::format("{:.1f} KiB", bytes / 1024);
  if (bytes < 1024.0 * 1024 * 1024) return fmt::format("{:.1f} MiB", bytes / (1024.0 * 1024));
  return fmt::format("{:.2f} GiB", bytes / (1024.0 * 1024 * 1024));
}

std::string format_progress(std::string_view program, std::uint64_t read, std::uint64_t total,
                            std::uint64_t values, double seconds) {
  const double share = total > 0 ? std::min(1.0, static_cast<double>(read) / total) : 1.0;
  std::string line = fmt::format("{}: {:3.0f}% {} of {}", program, std::floor(share * 100),
                                 format_bytes(static_cast<double>(read)),
                                 format_bytes(static_cast<double>(total)));
  if (!(seconds > 0) || read == 0) return line;
  const double byte_rate = static_cast<double>(read) / seconds;
  line += fmt::format(", {}/s, {}", format_bytes(byte_rate), format_rate(values, seconds));
  const double left = static_cast<double>(total > read ? total - read : 0) / byte_rate;
  if (std::isfinite(left) && left < 100 * 3600.0) {
    const auto whole = static_cast<long>(std::ceil(left));
    line += fmt::format(", {}:{:02}:{:02} left", whole / 3600, whole / 60 % 60, whole % 60);
  }
  return line;
}

progress::progress(std::ostream& err, bool enabled, std::uint64_t total_bytes,
                   const std::uint64_t* bytes_read)
    : err_(err),
      enabled_(enabled),
      total_bytes_(total_bytes),
      bytes_read_(bytes_read),
      started_(seconds_now()),
      last_drawn_(started_) {}

void progress::update(std::uint64_t values) {
  if (!enabled_) return;
  const double now = seconds_now();
  if (now - last_drawn_ < redraw_interval) return;
  last_drawn_ = now;
  drawn_ = true;
  // \r returns to the start of the line, \x1b[K clears what a longer line left.
  const std::string line =
      bytes_read_ != nullptr && total_bytes_ > 0
          ? format_progress(tool_name, *bytes_read_, total_bytes_, values, now - started_)
          : fmt::format("{}: {} values read ({})", tool_name, group_digits(values),
                        format_rate(values, now - started_));
  err_ << '\r' << line << "\x1b[K" << std::flush;
}

void progress::clear() {
  if (!drawn_) return;
  err_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

}  // namespace stream_stats
