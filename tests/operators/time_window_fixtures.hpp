// Fixtures shared by the time-window tests (tumbling_time_test, sliding_time_test): a reading
// with an event time, aggregates that keep or reject values, and helpers that spell windows.
#pragma once

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "operators/window.hpp"

namespace coflow::window_testing {

using std::chrono::seconds;
using std::chrono::sys_seconds;

struct reading {
  sys_seconds time;
  int value = 0;
  friend bool operator==(const reading&, const reading&) = default;
};

// collect keeps every value it is given, so that a test sees a window's exact contents.
struct collect {
  using value_type = int;
  std::vector<int> values;
  void add(int v) { values.push_back(v); }
  void merge(const collect& other) {
    values.insert(values.end(), other.values.begin(), other.values.end());
  }
  [[nodiscard]] std::vector<int> result() const { return values; }
};

// throwing_at throws from add when it sees `bad`.
struct throwing_at {
  using value_type = int;
  int bad = 0;
  long sum = 0;
  void add(int v) {
    if (v == bad) throw std::runtime_error("bad value " + std::to_string(v));
    sum += v;
  }
  void merge(const throwing_at& other) { sum += other.sum; }
  [[nodiscard]] long result() const { return sum; }
};

using window = coflow::time_window_result<std::vector<int>, sys_seconds>;
using late = coflow::late_value<reading, sys_seconds>;
using event = coflow::time_window_event<std::vector<int>, reading, sys_seconds>;

sys_seconds at(long s) { return sys_seconds(seconds(s)); }
window win(long start, long end, std::vector<int> values, bool update = false) {
  const auto count = values.size();
  return {at(start), at(end), count, std::move(values), update};
}

}  // namespace coflow::window_testing
