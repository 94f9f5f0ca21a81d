// windows: count windows, event-time windows with a watermark and allowed lateness, and
// windows per key, each aggregated with a mergeable aggregate.
//
//   - tumbling_count and sliding_count output a window_result per window, and flush the
//     windows begun at end of stream;
//   - tumbling_time outputs each window once the watermark passes its end, refines it for a
//     late value within the allowed lateness (an update), and reports a value later than that
//     as a late_value: the worked example of operators/tumbling_time.hpp;
//   - group_by runs the window stage per key, each key with its own watermark.
#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "operators/group_by.hpp"
#include "operators/sliding_count.hpp"
#include "operators/to_vector.hpp"
#include "operators/tumbling_count.hpp"
#include "operators/tumbling_time.hpp"
#include "pipeline/run.hpp"

namespace {

using namespace std::chrono_literals;
using std::chrono::sys_seconds;

// total is a small mergeable aggregate: the sum of its values.
struct total {
  using value_type = double;
  double sum = 0;
  void add(double v) { sum += v; }
  void merge(const total& other) { sum += other.sum; }
  [[nodiscard]] double result() const { return sum; }
};

struct reading {
  std::string sensor;
  sys_seconds time;
  double value;
};

long seconds_of(sys_seconds t) { return static_cast<long>(t.time_since_epoch().count()); }

// print_event prints one output of a time window stage.
void print_event(const coflow::time_window_event<double, reading, sys_seconds>& e) {
  if (const auto* w = std::get_if<0>(&e)) {
    std::cout << "  [" << seconds_of(w->start) << "s," << seconds_of(w->end) << "s) count "
              << w->count << " sum " << w->result << (w->update ? " (update)" : "") << '\n';
  } else {
    const auto& late = std::get<1>(e);
    std::cout << "  late: " << late.value.value << " at " << seconds_of(late.timestamp)
              << "s, missed " << late.windows_missed << " window(s)\n";
  }
}

}  // namespace

int main() {
  const std::vector<double> values{1, 2, 3, 4, 5, 6, 7, 8};

  std::cout << "tumbling_count(3):\n";
  for (const auto& w :
       coflow::run(values, coflow::ops::tumbling_count(3, total{}) | coflow::sinks::to_vector())) {
    std::cout << "  #" << w.index << " values " << w.first << ".." << w.first + w.count - 1
              << " sum " << w.result << '\n';
  }

  std::cout << "sliding_count(4, 2):\n";
  for (const auto& w : coflow::run(
           values, coflow::ops::sliding_count(4, 2, total{}) | coflow::sinks::to_vector())) {
    std::cout << "  #" << w.index << " values " << w.first << ".." << w.first + w.count - 1
              << " sum " << w.result << '\n';
  }

  // The worked example of operators/tumbling_time.hpp; each value is its timestamp.
  std::vector<reading> readings;
  for (long t : {1, 4, 11, 9, 13, 3, 19, 2, 25}) {
    readings.push_back({"a", sys_seconds(std::chrono::seconds(t)), static_cast<double>(t)});
  }
  const coflow::event_time bounds{.out_of_orderness = 2s, .allowed_lateness = 5s};
  std::cout << "tumbling_time(10s), out of order by 2s, 5s of allowed lateness:\n";
  for (const auto& e : coflow::run(
           readings,
           coflow::ops::tumbling_time(10s, &reading::time, &reading::value, total{}, bounds) |
               coflow::sinks::to_vector())) {
    print_event(e);
  }

  std::cout << "tumbling_time(10s) per sensor:\n";
  const std::vector<reading> two_sensors{{"a", sys_seconds(1s), 1.5},  {"b", sys_seconds(2s), 10},
                                         {"a", sys_seconds(12s), 2.5}, {"b", sys_seconds(8s), 20},
                                         {"a", sys_seconds(4s), 3.5},  {"b", sys_seconds(15s), 30}};
  const auto by_sensor = coflow::run(
      two_sensors,
      coflow::sinks::group_by(&reading::sensor, coflow::ops::tumbling_time(
                                                    10s, &reading::time, &reading::value, total{}) |
                                                    coflow::sinks::to_vector()));
  for (const auto& [sensor, events] : by_sensor) {
    std::cout << " " << sensor << ":\n";
    for (const auto& e : events) print_event(e);
  }
}
