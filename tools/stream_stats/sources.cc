#include "tools/stream_stats/sources.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <numbers>
#include <random>
#include <string_view>

namespace stream_stats {

coflow::generator<input_line> read_lines(std::istream& in, std::string name) {
  std::string text;
  std::uint64_t number = 0;
  errno = 0;
  while (std::getline(in, text)) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    // A byte order mark is no part of the first line's text (nor of a CSV header's name).
    if (number == 0 && text.starts_with("\xEF\xBB\xBF")) text.erase(0, 3);
    co_yield input_line{++number, text};
    errno = 0;
  }
  if (in.bad()) {
    const int error = errno;
    throw input_error(fmt::format("{}: read error after line {}{}", name, number,
                                  error != 0 ? fmt::format(": {}", std::strerror(error)) : ""));
  }
}

namespace {

// A deterministic source of uniform and normal variates. mt19937_64's sequence is fixed by
// the standard; the distributions are written out here because std's are not, so a seed
// gives the same stream with every standard library.
class noise {
 public:
  explicit noise(std::uint64_t seed) : engine_(seed) {}

  /// uniform returns a double in [0, 1).
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  /// normal returns a standard normal variate (Box-Muller).
  double normal() {
    const double u = 1.0 - uniform();  // (0, 1]: log(0) never happens
    const double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }

 private:
  std::mt19937_64 engine_;
};

struct sensor {
  std::string_view name;
  double baseline;
};

constexpr std::array<sensor, 4> sensors = {{
    {"north", 17.5},
    {"south", 22.0},
    {"east", 19.0},
    {"west", 20.5},
}};

// What broken sensors and broken links send.
constexpr std::array<std::string_view, 7> garbage = {
    "", "north,", "sensor offline", "south,21..4", "east,NaN", "west,1e999", "north;19.2",
};

constexpr double spike_rate = 1e-5;      // about ten spikes in a million readings
constexpr double malformed_rate = 7e-6;  // about seven malformed lines
constexpr double day = 250'000;          // readings per daily swing

}  // namespace

coflow::generator<input_line> sensor_lines(std::uint64_t seed, std::uint64_t readings) {
  noise rng(seed);
  std::uint64_t number = 1;
  std::size_t bad_lines = 0;
  co_yield input_line{number, "sensor,reading"};
  // name + "," + the value with two decimals, written with to_chars: this loop is most of the
  // built-in stream's cost, and to_chars is the fastest formatter at any optimization level.
  std::array<char, 64> text{};
  for (std::uint64_t i = 0; i < readings; ++i) {
    if (rng.uniform() < malformed_rate) {
      // In turn, so that even a short stream shows different kinds of bad line.
      co_yield input_line{++number, garbage[bad_lines++ % garbage.size()]};
    }
    const sensor& s = sensors[i % sensors.size()];
    double value = s.baseline +
                   3.0 * std::sin(2.0 * std::numbers::pi * static_cast<double>(i) / day) +
                   0.6 * rng.normal();
    if (rng.uniform() < spike_rate) value += 35.0 + 25.0 * rng.uniform();
    char* const value_start = std::copy(s.name.begin(), s.name.end(), text.data());
    *value_start = ',';
    const auto written = std::to_chars(value_start + 1, text.data() + text.size(), value,
                                       std::chars_format::fixed, 2);
    co_yield input_line{++number, std::string_view(text.data(), written.ptr)};
  }
}

}  // namespace stream_stats
