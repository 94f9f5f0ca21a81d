#include "tools/stream_stats/windows.hpp"

#include <cmath>
#include <cstdint>
#include <limits>

namespace stream_stats {

window_time to_window_time(double seconds) noexcept {
  using rep = window_time::rep;
  const double micros = std::round(seconds * 1e6);
  // 2^63 is a double; casting anything at or beyond it to int64 would be undefined.
  constexpr double limit = 9.2e18;
  if (!(micros > -limit))
    return window_time(window_time::duration(std::numeric_limits<rep>::min()));
  if (!(micros < limit)) return window_time(window_time::duration(std::numeric_limits<rep>::max()));
  return window_time(window_time::duration(static_cast<rep>(micros)));
}

std::chrono::microseconds to_window_duration(double seconds) noexcept {
  const auto micros = to_window_time(seconds).time_since_epoch();
  return micros.count() < 1 ? std::chrono::microseconds(1) : micros;
}

double seconds_of(window_time t) noexcept {
  return static_cast<double>(t.time_since_epoch().count()) / 1e6;
}

void window_statistics::add(const sample& s) {
  if (grouped_) {
    groups_.try_emplace(s.key, config_, columns_).first->second.add(s.values);
  } else {
    totals_.add(s.values);
  }
}

void window_statistics::merge(const window_statistics& other) {
  totals_.merge(other.totals_);
  for (const auto& [key, state] : other.groups_) {
    auto [it, added] = groups_.try_emplace(key, state);
    if (!added) it->second.merge(state);
  }
}

window_rows window_statistics::result() const {
  window_rows rows;
  if (grouped_) {
    for (const auto& [key, state] : groups_) {
      rows.groups.push_back({{key.begin(), key.end()}, state.result()});
    }
  } else {
    rows.totals = totals_.result();
  }
  return rows;
}

}  // namespace stream_stats
