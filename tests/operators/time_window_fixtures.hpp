// Fixtures shared by the time-window tests (tumbling_time_test, sliding_time_test): a reading
// with an event time, aggregates that keep or reject values, helpers that spell windows, the
// streams of readings both tests run, and the message of a rejected parameter.
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
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

inline sys_seconds at(long s) { return sys_seconds(seconds(s)); }
inline window win(long start, long end, std::vector<int> values, bool update = false) {
  const auto count = values.size();
  return {at(start), at(end), count, std::move(values), update};
}

// Readings whose value is their timestamp in seconds.
inline std::vector<reading> stamped(std::initializer_list<long> times) {
  std::vector<reading> out;
  for (long t : times) out.push_back({at(t), static_cast<int>(t)});
  return out;
}

// n readings, per_second of them to each second and mostly increasing, each moved back by up
// to max_back seconds (a linear congruential sequence from seed); reading i has the value i.
inline std::vector<reading> jittered(int n, std::uint64_t seed, int per_second,
                                     std::uint64_t max_back) {
  std::vector<reading> values;
  for (int i = 0; i < n; ++i) {
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    values.push_back({at(i / per_second - static_cast<long>((seed >> 33) % (max_back + 1))), i});
  }
  return values;
}

// 2000 readings scattered over [0, 3001) seconds, far out of order.
inline std::vector<reading> scattered() {
  std::vector<reading> values;
  for (int i = 0; i < 2000; ++i) values.push_back({at((i * 7919) % 3001), i});
  return values;
}

// A reading with a nanosecond timestamp, to reach the ends of the time point's range.
using ns_time = std::chrono::sys_time<std::chrono::nanoseconds>;
struct ns_reading {
  ns_time time;
  int value;
};
using ns_window = coflow::time_window_result<std::vector<int>, ns_time>;

// The message of the std::invalid_argument that make() throws, or "no exception".
template <class Make>
std::string invalid_argument_message(Make make) {
  try {
    (void)make();
  } catch (const std::invalid_argument& e) {
    return std::string(e.what());
  }
  return std::string("no exception");
}

}  // namespace coflow::window_testing
