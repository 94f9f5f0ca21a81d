// profile: where a pipeline's values go and where its time goes, with coflow::instrumented.
//
//   ./bazelw run //examples:profile
//
// A stream of text lines is split into numbers by a coroutine stage (several values per line),
// the valid readings kept, converted, averaged and the last mean taken. instrumented() counts
// the values into and out of every stage exactly, and estimates each stage's own time by
// timing one input line in every 256 (see pipeline/instrumented.hpp). The counts go to stdout;
// the times, which differ from run to run, to stderr.
#include <charconv>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operators/averager.hpp"
#include "operators/filter.hpp"
#include "operators/last.hpp"
#include "operators/transform.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/profile/instrumented.hpp"
#include "pipeline/profile/named.hpp"
#include "pipeline/receive.hpp"
#include "pipeline/run.hpp"

namespace {

// Splits each line at spaces and outputs every field that is a whole number.
coflow::coroutine<std::string, int> numbers() {
  while (auto line = co_yield coflow::receive) {
    std::string_view rest = *line;
    while (!rest.empty()) {
      const std::size_t space = rest.find(' ');
      const std::string_view field = rest.substr(0, space);
      int value = 0;
      const auto [end, error] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (error == std::errc() && end == field.data() + field.size() && !field.empty()) {
        co_yield coflow::emit(value);
      }
      rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    }
  }
}

// Lines of three readings in tenths of a degree, every seventh line with a sensor fault (-999)
// and every eleventh with a malformed field.
std::vector<std::string> sensor_lines(int n) {
  std::vector<std::string> lines;
  for (int i = 0; i < n; ++i) {
    std::string line = std::to_string(200 + i % 50) + ' ' + std::to_string(210 + i % 30) + ' ';
    line += i % 7 == 0 ? "-999" : std::to_string(190 + i % 40);
    if (i % 11 == 0) line += " n/a";
    lines.push_back(std::move(line));
  }
  return lines;
}

}  // namespace

int main() {
  auto probe = coflow::instrumented(
      coflow::named("parse", numbers()) |
      coflow::named("valid", coflow::ops::filter([](int tenths) { return tenths > -500; })) |
      coflow::ops::transform([](int tenths) { return tenths / 10.0; }) | coflow::ops::averager() |
      coflow::sinks::last());
  const coflow::pipeline_profile profile = probe.profile();

  // The pipeline holds a coroutine object, so it runs once, as an rvalue; the profile handle
  // stays valid.
  const std::optional<double> mean = coflow::run(sensor_lines(10'000), std::move(probe));
  std::cout << "mean: " << std::fixed << std::setprecision(3) << mean.value_or(0) << "\n\n";

  std::cout << std::left << std::setw(12) << "stage" << std::right << std::setw(10) << "in"
            << std::setw(10) << "out" << '\n';
  for (const coflow::stage_profile& s : profile.stages()) {
    std::cout << std::left << std::setw(12) << s.name << std::right << std::setw(10) << s.values_in
              << std::setw(10) << s.values_out << '\n';
  }

  std::cerr << "\n"
            << std::fixed << std::left << std::setw(12) << "stage" << std::right << std::setw(12)
            << "time (us)" << std::setw(10) << "timed" << '\n';
  for (const coflow::stage_profile& s : profile.stages()) {
    std::cerr << std::left << std::setw(12) << s.name << std::right << std::setw(12)
              << std::setprecision(1) << static_cast<double>(s.time.count()) / 1000.0
              << std::setw(10) << s.timed_values << '\n';
  }
}
