// tools/stream_stats/main.cc
//
// stream_stats: reads a stream of numbers (a file, stdin, or a built-in stream of generated
// sensor readings) and prints their count, mean, min, max, standard deviation and EWMA, per
// key with --by, running with --every, as a table, CSV or JSON. Run `stream_stats --help`.
//
//   ./bazelw run -c opt //tools/stream_stats
//   ./bazelw run -c opt //tools/stream_stats -- --by sensor --every 250000
//   seq 1 10 | bazel-bin/tools/stream_stats/stream_stats -
//
// The work is in tools/stream_stats/: this file only connects it to the process.
#include <unistd.h>

#include <iostream>
#include <span>

#include "tools/stream_stats/redis_modes.hpp"
#include "tools/stream_stats/stream_stats.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);  // stdin is read line by line: keep it buffered
  // Reading stdin need not flush stdout: the tool flushes what is for watching itself, and
  // checks each write of its own, which reports a failed one with its reason.
  std::cin.tie(nullptr);
  const std::span<const char* const> args(argv, static_cast<std::size_t>(argc));
  if (stream_stats::is_redis_command(args))
    return stream_stats::redis_main(args, std::cin, std::cout, std::cerr);
  return stream_stats::main_entry(
      std::span<const char* const>(argv, static_cast<std::size_t>(argc)), std::cin, std::cout,
      std::cerr, isatty(STDERR_FILENO) != 0);
}
