#include "tools/stream_stats/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <system_error>

namespace stream_stats {

std::uint64_t parse_whole_number(std::string_view text, std::string_view option,
                                 std::uint64_t minimum) {
  const std::string_view digits = trim(text);
  std::uint64_t value = 0;
  const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  const bool whole = !digits.empty() && ec == std::errc{} && ptr == digits.data() + digits.size();
  if (!whole || value < minimum) {
    throw usage_error(fmt::format("{}: expected a whole number{}, got \"{}\"", option,
                                  minimum > 0 ? fmt::format(" of at least {}", minimum) : "",
                                  text));
  }
  return value;
}

double parse_alpha(std::string_view text) {
  const auto alpha = parse_number(text);
  if (!alpha || !(*alpha > 0 && *alpha <= 1)) {
    throw usage_error(
        fmt::format("--alpha: expected a number greater than 0 and at most 1, got \"{}\"", text));
  }
  return *alpha;
}

output_format parse_format(std::string_view text) {
  if (text == "table") return output_format::table;
  if (text == "csv") return output_format::csv;
  if (text == "json") return output_format::json;
  throw usage_error(fmt::format("--format: expected table, csv or json, got \"{}\"", text));
}

namespace {

constexpr const char* description =
    "stream_stats: the count, mean, min, max, standard deviation and EWMA of a stream of\n"
    "numbers, computed by a coflow pipeline.";

constexpr const char* footer =
    R"(Input: one number per line; with --column, CSV (a header line is detected when the first
line's field is not a number and the next line's is). A leading UTF-8 byte order mark is
skipped. Lines that do not parse (blank ones included) are counted and the first 5 shown on
stderr with their line numbers; they never stop the run, but with --strict the exit status
says there were some. A relative FILE under `bazel run` is read from where bazel was run.

Examples:
  stream_stats                       a built-in stream of a million sensor readings
  stream_stats --by sensor -e 250000 the same per sensor, with running values
  stream_stats latencies.txt         one number per line
  seq 1 10 | stream_stats -          stdin
  stream_stats sales.csv -c price --by region --format json

Output: text from the input (keys, malformed lines) is shown with control characters escaped
(\u001b) and, in JSON, invalid UTF-8 replaced by U+FFFD.

Exit status: 0 on success (malformed lines included); 1 when the input cannot be read (a
missing file, an unknown column, a read error: the report of what was read comes first), when
no line of a non-empty input held a number, with --strict when a line was malformed, or when
the output cannot be written; 2 for a bad command line.)";

}  // namespace

command_line parse_command_line(std::span<const char* const> args) {
  CLI::App app(description, "stream_stats");
  app.footer(footer);
  app.get_formatter()->column_width(32);

  std::string input;
  std::string column;
  std::string by;
  std::string every;
  std::string format = "table";
  std::string alpha = "0.1";
  std::string seed;
  std::string readings;
  bool quiet = false;
  bool profile = false;
  bool strict = false;
  auto* input_option =
      app.add_option("input", input, "File to read, - for stdin (default: built-in stream)")
          ->type_name("FILE");
  auto* column_option =
      app.add_option("-c,--column", column, "CSV column of the values: header name or number")
          ->type_name("NAME|N");
  auto* by_option =
      app.add_option("-b,--by", by, "Also report per key of this CSV column")->type_name("NAME|N");
  auto* every_option =
      app.add_option("-e,--every", every, "Print the running values every N values")
          ->type_name("N");
  app.add_option("-f,--format", format, "table (default), csv or json")->type_name("FORMAT");
  app.add_option("-a,--alpha", alpha, "EWMA weight of a new value, in (0, 1] (default 0.1)")
      ->type_name("A");
  auto* seed_option =
      app.add_option("--seed", seed,
                     fmt::format("Seed of the built-in stream (default {})", default_seed))
          ->type_name("N");
  auto* readings_option =
      app.add_option("--readings", readings,
                     fmt::format("Length of the built-in stream (default {})", default_readings))
          ->type_name("N");
  app.add_flag("-q,--quiet", quiet, "No progress or throughput line on stderr");
  app.add_flag("--profile", profile,
               "Print values in, values out and time of each pipeline stage on stderr");
  app.add_flag("--strict", strict,
               "Fail (exit 1, after the report) when a line is malformed, naming the first");

  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, app.help()};
  } catch (const CLI::ParseError& e) {
    throw usage_error(fmt::format("{} (see --help)", e.what()));
  }

  options o;
  if (input_option->count() > 0) o.input = input;
  if (column_option->count() > 0) o.column = parse_column_spec(column, "--column");
  if (by_option->count() > 0) o.by = parse_column_spec(by, "--by");
  if (every_option->count() > 0) o.every = parse_whole_number(every, "--every", 1);
  o.format = parse_format(format);
  o.alpha = parse_alpha(alpha);
  if (seed_option->count() > 0) o.seed = parse_whole_number(seed, "--seed");
  if (readings_option->count() > 0) o.readings = parse_whole_number(readings, "--readings");
  o.quiet = quiet;
  o.profile = profile;
  o.strict = strict;
  if (o.by && !o.column && o.input) {
    throw usage_error("--by needs --column: say which CSV column holds the values");
  }
  if (o.input && (seed_option->count() > 0 || readings_option->count() > 0)) {
    const bool both = seed_option->count() > 0 && readings_option->count() > 0;
    throw usage_error(fmt::format("{} only appl{} to the built-in stream, not to an input file",
                                  both                       ? "--seed and --readings"
                                  : seed_option->count() > 0 ? "--seed"
                                                             : "--readings",
                                  both ? "y" : "ies"));
  }
  return {std::move(o), {}};
}

}  // namespace stream_stats
