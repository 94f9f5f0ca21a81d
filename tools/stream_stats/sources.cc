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
#include <vector>

namespace stream_stats {

namespace {

constexpr std::size_t first_block_size = 4096;

}  // namespace

coflow::generator<input_line> read_lines(std::istream& in, std::string name,
                                         std::uint64_t* bytes_read, std::size_t block_size) {
  // The unread bytes are buffer[begin, end); no '\n' is in buffer[begin, scanned). A line longer
  // than the buffer doubles it, so that any line fits (as std::getline's string grows). The
  // blocks start small and double up to block_size, so that a run that stops early (its output
  // closed, say) has read little more than it used.
  block_size = std::max<std::size_t>(block_size, 1);
  std::vector<char> buffer(std::min<std::size_t>(block_size, first_block_size));
  std::size_t begin = 0;
  std::size_t scanned = 0;
  std::size_t end = 0;
  std::uint64_t number = 0;
  int read_errno = 0;
  bool failed = false;
  bool at_end = false;
  // The text of a line without its line end: a "\r" before the "\n" (or at the end of the
  // last line) is no part of it, nor a byte order mark at the start of the stream.
  auto text_of = [&number](const char* first, const char* last) {
    if (last != first && last[-1] == '\r') --last;
    std::string_view text(first, static_cast<std::size_t>(last - first));
    if (number == 0 && text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    return text;
  };
  for (;;) {
    while (const void* newline = std::memchr(buffer.data() + scanned, '\n', end - scanned)) {
      const char* const last = static_cast<const char*>(newline);
      const std::string_view text = text_of(buffer.data() + begin, last);
      begin = scanned = static_cast<std::size_t>(last - buffer.data()) + 1;
      co_yield input_line{++number, text};
    }
    scanned = end;
    if (at_end) break;
    // The part of a line left over moves to the front, and the next block is read after it.
    std::memmove(buffer.data(), buffer.data() + begin, end - begin);
    end -= begin;
    scanned -= begin;
    begin = 0;
    if (end == buffer.size() || buffer.size() < block_size) buffer.resize(buffer.size() * 2);
    // What the stream has at hand (readsome: for a file, up to a block in one read(2)); when it
    // has nothing, peek waits for the next bytes and readsome takes what came. Never a read that
    // waits for a whole block: lines from a pipe or a terminal are handled as they come (--every
    // rows appear as their lines arrive), and a failing read cannot take with it bytes that
    // were read before it.
    char* const into = buffer.data() + end;
    const auto room = static_cast<std::streamsize>(buffer.size() - end);
    errno = 0;
    std::streamsize got = in.readsome(into, room);
    if (got == 0 && in && in.peek() != std::istream::traits_type::eof()) {
      got = in.readsome(into, room);
    }
    end += static_cast<std::size_t>(got);
    if (bytes_read != nullptr) *bytes_read += static_cast<std::uint64_t>(got);
    if (in.bad()) {
      // The lines read whole before the failure still count; a line cut by it does not.
      read_errno = errno;
      failed = true;
      at_end = true;
    } else if (!in || in.eof()) {
      at_end = true;
    }
  }
  if (failed) {
    throw input_error(
        fmt::format("{}: read error after line {}{}", name, number,
                    read_errno != 0 ? fmt::format(": {}", std::strerror(read_errno)) : ""));
  }
  // The last line need not end with a line end.
  if (begin < end) {
    // The text first: text_of looks at `number` to find the first line.
    const std::string_view text = text_of(buffer.data() + begin, buffer.data() + end);
    co_yield input_line{++number, text};
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
