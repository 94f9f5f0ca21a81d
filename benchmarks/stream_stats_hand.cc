// stream_stats_hand: the hand-written C++ loop that stream_stats is measured against on files
// (benchmarks/stream_stats_files.sh): the least a program can do for the same answer.
//
//   stream_stats_hand FILE            one number per line
//   stream_stats_hand FILE --by       CSV "key,value" with a header line, statistics per key
//   stream_stats_hand FILE [--by] --compensated
//                                     the same with the tool's statistics: coflow::moments
//                                     (compensated and shifted) for count, mean and stddev
//
// It reads the file in 256 KiB blocks with read(2), finds line ends (and the comma) with memchr,
// parses with std::from_chars and keeps count, mean and Welford's m2, min, max and the EWMA
// (alpha 0.1) with the formulas of coflow's operators, per key in a std::unordered_map looked
// up by std::string_view. It checks nothing that stream_stats checks (blanks, quotes, "+1",
// out-of-range numbers, UTF-8): lines it cannot read are counted as malformed. It prints every
// statistic with 17 digits, so that its answers can be compared with the tool's. Plain
// Welford is less work than the tool's compensated update (which keeps its answers within a
// few ulp at any offset); --compensated measures a hand loop that does the tool's work, in a
// separate instantiation of the same loop, so that the plain one is unchanged.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "operators/moments.hpp"

namespace {

struct statistics {
  std::uint64_t count = 0;
  double mean = 0;
  double m2 = 0;
  double min = 0;
  double max = 0;
  double ewma = 0;

  void add(double x) {
    if (count == 0 || x < min) min = x;
    if (count == 0 || max < x) max = x;
    ++count;
    const double old_mean = mean;
    mean += (x - mean) / static_cast<double>(count);
    m2 += (x - old_mean) * (x - mean);
    ewma = count == 1 ? x : 0.1 * x + (1 - 0.1) * ewma;
  }

  void print(const char* key) const {
    const double variance = count >= 2 ? m2 / static_cast<double>(count - 1) : 0;
    std::printf("%s %llu %.17g %.17g %.17g %.17g %.17g\n", key,
                static_cast<unsigned long long>(count), mean, min, max,
                std::sqrt(variance < 0 ? 0.0 : variance), ewma);
  }
};

// The tool's statistics: coflow::moments' compensated, shifted count, mean and variance.
struct compensated_statistics {
  coflow::moments moments;
  double min = 0;
  double max = 0;
  double ewma = 0;

  void add(double x) {
    const bool first = moments.count() == 0;
    if (first || x < min) min = x;
    if (first || max < x) max = x;
    moments.add(x);
    ewma = first ? x : 0.1 * x + (1 - 0.1) * ewma;
  }

  void print(const char* key) const {
    std::printf("%s %llu %.17g %.17g %.17g %.17g %.17g\n", key,
                static_cast<unsigned long long>(moments.count()), moments.mean(), min, max,
                moments.count() >= 2 ? moments.stddev() : 0.0, ewma);
  }
};

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

bool parse(std::string_view text, double& x) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

template <class Statistics>
int run(const char* path, bool by_key) {
  const int fd = open(path, O_RDONLY);
  if (fd < 0) {
    std::perror(path);
    return 1;
  }
  Statistics total;
  std::unordered_map<std::string, Statistics, string_hash, std::equal_to<>> groups;
  std::uint64_t malformed = 0;
  bool header = by_key;
  auto line = [&](std::string_view text) {
    if (header) {
      header = false;
      return;
    }
    double x = 0;
    if (!by_key) {
      if (parse(text, x)) {
        total.add(x);
      } else {
        ++malformed;
      }
      return;
    }
    const void* comma = std::memchr(text.data(), ',', text.size());
    if (comma == nullptr) {
      ++malformed;
      return;
    }
    const auto key_size = static_cast<std::size_t>(static_cast<const char*>(comma) - text.data());
    if (!parse(text.substr(key_size + 1), x)) {
      ++malformed;
      return;
    }
    total.add(x);
    const std::string_view key = text.substr(0, key_size);
    auto it = groups.find(key);
    if (it == groups.end()) it = groups.emplace(std::string(key), Statistics{}).first;
    it->second.add(x);
  };

  std::vector<char> buffer(1 << 18);
  std::size_t kept = 0;  // the start of a line cut by the end of the last block
  for (;;) {
    if (kept == buffer.size()) buffer.resize(buffer.size() * 2);
    const ssize_t got = read(fd, buffer.data() + kept, buffer.size() - kept);
    if (got < 0) {
      std::perror(path);
      return 1;
    }
    if (got == 0) break;
    const char* first = buffer.data();
    const char* const end = buffer.data() + kept + got;
    while (const void* newline = std::memchr(first, '\n', static_cast<std::size_t>(end - first))) {
      const char* const last = static_cast<const char*>(newline);
      line(std::string_view(first, static_cast<std::size_t>(last - first)));
      first = last + 1;
    }
    kept = static_cast<std::size_t>(end - first);
    std::memmove(buffer.data(), first, kept);
  }
  if (kept > 0) line(std::string_view(buffer.data(), kept));
  close(fd);

  if (by_key) {
    // In key order, as stream_stats prints them.
    std::map<std::string_view, const Statistics*> sorted;
    for (const auto& [key, s] : groups) sorted.emplace(key, &s);
    for (const auto& [key, s] : sorted) s->print(std::string(key).c_str());
  }
  total.print("total");
  std::printf("malformed %llu\n", static_cast<unsigned long long>(malformed));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--by] [--compensated]\n", argv[0]);
    return 2;
  }
  bool by_key = false;
  bool compensated = false;
  for (int i = 2; i < argc; ++i) {
    by_key = by_key || std::strcmp(argv[i], "--by") == 0;
    compensated = compensated || std::strcmp(argv[i], "--compensated") == 0;
  }
  return compensated ? run<compensated_statistics>(argv[1], by_key)
                     : run<statistics>(argv[1], by_key);
}
