// parallel: the shape of a log-statistics tool spread over several cores.
//
// Lines "user,latency" are parsed on two worker threads by an ordered parallel stage (the
// records come out in the order of the lines), cross a thread boundary, and are aggregated per
// user on two more workers by a keyed parallel sink: each user's latencies go to one worker,
// whose moments are merged at the end. The same pipeline on one thread gives the same numbers.
#include <cstdio>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "operators/moments.hpp"
#include "operators/transform.hpp"
#include "pipeline/parallel/keyed_parallel.hpp"
#include "pipeline/parallel/ordered_parallel.hpp"
#include "pipeline/parallel/thread_boundary.hpp"
#include "pipeline/run.hpp"

namespace {

struct record {
  std::string user;
  double latency;
};

// "alice,12.5" -> {"alice", 12.5}
record parse(const std::string& line) {
  const auto comma = line.find(',');
  return {line.substr(0, comma), std::stod(line.substr(comma + 1))};
}

std::vector<std::string> make_lines() {
  const char* users[] = {"alice", "bob", "carol"};
  std::vector<std::string> lines;
  for (int i = 0; i < 30000; ++i) {
    lines.push_back(std::string(users[i % 3]) + "," + std::to_string((i * i) % 97 + 10 * (i % 3)) +
                    ".5");
  }
  return lines;
}

}  // namespace

int main() {
  const std::vector<std::string> lines = make_lines();

  // Parsing on 2 workers, in order; statistics per user on 2 workers.
  auto threaded = coflow::run(
      lines,
      coflow::ops::ordered_parallel(2, coflow::ops::transform(parse)) |
          coflow::ops::thread_boundary(8) |
          coflow::sinks::keyed_parallel(2, &record::user, &record::latency, coflow::moments{}));

  // The same on one thread.
  std::map<std::string, coflow::moments> serial;
  for (const std::string& line : lines) {
    record r = parse(line);
    serial[r.user].add(r.latency);
  }

  for (const auto& [user, m] : threaded) {
    std::printf("%-6s n=%llu mean=%.4f stddev=%.4f same_as_one_thread=%s\n", user.c_str(),
                static_cast<unsigned long long>(m.count()), m.mean(), m.stddev(),
                m.count() == serial[user].count() && m.mean() == serial[user].mean() &&
                        m.variance() == serial[user].variance()
                    ? "yes"
                    : "no");
  }
}
