// aggregates: the operator library on one stream of sensor readings.
//
//   - tee fans one pass out to several running aggregates;
//   - group_by runs a fresh aggregate per key;
//   - batch and sliding emit several values per input and flush at end of stream;
//   - repeater echoes values as they pass, as the Python seed does.
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "operators/averager.hpp"
#include "operators/batch.hpp"
#include "operators/count.hpp"
#include "operators/group_by.hpp"
#include "operators/last.hpp"
#include "operators/maximize.hpp"
#include "operators/minimize.hpp"
#include "operators/null.hpp"
#include "operators/repeater.hpp"
#include "operators/sliding.hpp"
#include "operators/stddev.hpp"
#include "operators/take.hpp"
#include "operators/tee.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/run.hpp"

namespace {

struct reading {
  std::string sensor;
  double value;
};

void print_optional(const char* label, const std::optional<double>& value) {
  std::cout << label << ": ";
  if (value) {
    std::cout << *value;
  } else {
    std::cout << "-";
  }
  std::cout << '\n';
}

}  // namespace

int main() {
  const std::vector<reading> readings = {
      {"north", 20.5}, {"south", 18.0}, {"north", 21.5}, {"east", 25.0},
      {"south", 19.0}, {"north", 22.0}, {"east", 24.0},  {"south", 17.5},
  };
  auto value_of = coflow::ops::transform(&reading::value);

  // One pass, four aggregates.
  auto [count, mean, low, high, spread] = coflow::run(
      readings, value_of | coflow::sinks::tee(coflow::sinks::count(),
                                              coflow::ops::averager() | coflow::sinks::last(),
                                              coflow::ops::minimize() | coflow::sinks::last(),
                                              coflow::ops::maximize() | coflow::sinks::last(),
                                              coflow::ops::stddev() | coflow::sinks::last()));
  std::cout << "count: " << count << '\n';
  print_optional("mean", mean);
  print_optional("min", low);
  print_optional("max", high);
  print_optional("stddev", spread);

  // A running mean per sensor.
  auto per_sensor = coflow::run(
      readings, coflow::sinks::group_by(
                    &reading::sensor, value_of | coflow::ops::averager() | coflow::sinks::last()));
  for (const auto& [sensor, sensor_mean] : per_sensor) {
    print_optional(("mean of " + sensor).c_str(), sensor_mean);
  }

  // Batches of three (the last one partial) and their sums.
  auto batch_sums = coflow::run(readings, value_of | coflow::ops::batch(3) |
                                              coflow::ops::transform([](std::vector<double> b) {
                                                double total = 0;
                                                for (double v : b) total += v;
                                                return total;
                                              }) |
                                              coflow::sinks::to_vector());
  std::cout << "batch sums:";
  for (double s : batch_sums) std::cout << ' ' << s;
  std::cout << '\n';

  // Windows of the last two values.
  auto windows = coflow::run(readings, value_of | coflow::ops::take(4) | coflow::ops::sliding(2) |
                                           coflow::sinks::to_vector());
  std::cout << "windows:";
  for (const auto& w : windows) std::cout << " [" << w[0] << ", " << w[1] << ']';
  std::cout << '\n';

  // The repeater echoes what passes through it.
  coflow::run(std::vector<std::string>{"First", "Second"},
              coflow::ops::repeater(std::cout) | coflow::sinks::null());
}
