// tools/stream_stats/options.hpp
//
// stream_stats' command line, read with CLI11.
//
//   stream_stats::command_line cl = stream_stats::parse_command_line(args);
//   if (!cl.run) { std::cout << cl.help; return 0; }   // --help
//   const stream_stats::options& o = *cl.run;
//
// Exceptions: usage_error, with a one-line message naming the option, for an unknown option,
// a bad value (--every 0, --alpha 2, --format xml, --column 0, --quantiles 1.5, --window 0,
// --delimiter '') or options that do not go together (--by without --column on a file, --seed
// or --readings with a file, --window with --every, a window of a duration without
// --time-column).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tools/stream_stats/parse.hpp"
#include "tools/stream_stats/report.hpp"

namespace stream_stats {

/// default_seed seeds the built-in stream unless --seed says otherwise.
inline constexpr std::uint64_t default_seed = 2024;

/// max_threads bounds --threads: far more than any machine's cores, few enough to start.
inline constexpr std::size_t max_threads = 256;

/// default_readings is the length of the built-in stream.
inline constexpr std::uint64_t default_readings = 1'000'000;

/// options are the settings of one run.
struct options {
  std::optional<std::string> input;        // a path, or "-" for stdin; empty: the built-in stream
  std::optional<column_spec> column;       // the value column: -c's first
  std::vector<column_spec> more_columns;   // -c a,b,...: the value columns after the first
  std::vector<column_spec> by;             // --by: the fields of the key; none: no groups
  char delimiter = ',';                    // --delimiter
  std::uint64_t every = 0;                 // 0: no running rows
  std::optional<window_spec> window;       // --window
  std::optional<column_spec> time_column;  // --time-column, for a window of a duration
  bool sum = false;                        // --sum
  bool distinct = false;                   // --distinct
  std::vector<double> quantiles;           // --quantiles, --median
  bool approx = false;                     // --approx: sketches for quantiles and distinct
  output_format format = output_format::table;
  double alpha = 0.1;
  std::uint64_t seed = default_seed;
  std::uint64_t readings = default_readings;
  bool quiet = false;
  bool profile = false;     // --profile: values and time per pipeline stage on stderr
  bool strict = false;      // --strict: a malformed line fails the run (after the report)
  std::size_t threads = 1;  // --threads: workers that parse the lines; 1: parse on this thread
};

/// command_line is what the command line asks for: a run, or the help text.
struct command_line {
  std::optional<options> run;  // empty when --help was given
  std::string help;
};

/// parse_command_line reads args (args[0] is the program name).
command_line parse_command_line(std::span<const char* const> args);

/// parse_whole_number reads an option's unsigned value, at least `minimum`.
std::uint64_t parse_whole_number(std::string_view text, std::string_view option,
                                 std::uint64_t minimum = 0);

/// parse_alpha reads --alpha: a number in (0, 1].
double parse_alpha(std::string_view text);

/// parse_format reads --format: table, csv or json.
output_format parse_format(std::string_view text);

/// value_columns returns every value column of `o`: column, then more_columns.
std::vector<column_spec> value_columns(const options& o);

}  // namespace stream_stats
