#include "tools/stream_stats/options.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
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

std::vector<column_spec> value_columns(const options& o) {
  std::vector<column_spec> columns;
  if (o.column) columns.push_back(*o.column);
  columns.insert(columns.end(), o.more_columns.begin(), o.more_columns.end());
  return columns;
}

namespace {

constexpr const char* description =
    "stream_stats: the count, mean, min, max, standard deviation and EWMA of a stream of\n"
    "numbers, and on request their sum, distinct values and quantiles, per column, per key\n"
    "and per window, computed by a coflow pipeline.";

constexpr const char* footer =
    R"(Input: one number per line; with --column, CSV split on --delimiter (a header line is
detected when the first line's field is not a number and the next line's is); with several
value columns, a line counts when every one holds a number. A leading UTF-8 byte order mark is
skipped. Lines that do not parse (blank ones included) are counted and the first 5 shown on
stderr with their line numbers; they never stop the run, but with --strict the exit status
says there were some. A relative FILE under `bazel run` is read from where bazel was run.

Quantiles are datamash's perc (numpy's default): linear between the two nearest ranks of the
sorted values. They and --distinct are exact, holding the values in memory; with --approx a
KLL sketch and a HyperLogLog take bounded memory, and the output states their error.

Windows: --window N makes windows of N values; --window 10s (ms, s, m, h, d) windows of time,
aligned to multiples of the duration, of --time-column in seconds since the epoch. Each
window's statistics are printed when it closes, with its bounds: the numbers of its first and
last values, or its start (inclusive) and end (exclusive) time. A time window closes when a
value at or after its end comes; a value older than the newest value's window is late: it is
in the totals, in no window, and counted ("late").

Threads: --threads N parses the input on N worker threads, a block of lines each at a time,
while this thread reads the blocks and computes the statistics, in input order: the output is
byte for byte that of one thread. It pays when the cores are free (see benchmarks/RESULTS.md).
Not with --profile; with --window only the parsing of lines moves.

Redis Streams: with --redis HOST:PORT the tool publishes values to a stream (--publish FILE),
runs as a worker of a consumer group (--group G --consumer C), or prints the report merged from
the workers' checkpoints (--report); a password comes from --password-env VAR or
--password-file PATH, never from the command line. For their options:
  stream_stats --redis HOST:PORT --help

Progress: on a terminal, reading a regular file shows the share read, the rate and the time
left on stderr, erased before the report; never on a pipe, for stdin or with --quiet.

Examples:
  stream_stats                       a built-in stream of a million sensor readings
  stream_stats --by sensor -e 250000 the same per sensor, with running values
  stream_stats latencies.txt --quantiles 0.5,0.9,0.99 --sum
  seq 1 10 | stream_stats -          stdin
  stream_stats sales.csv -c price,qty --by region,shop --format json
  stream_stats data.tsv -t tab -c 3 --median --distinct
  stream_stats log.csv -c ms --time-column ts --window 5m

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
  std::string delimiter;
  std::string window;
  std::string time_column;
  std::string quantiles;
  bool median = false;
  bool approx = false;
  bool sum = false;
  bool distinct = false;
  std::string format = "table";
  std::string alpha = "0.1";
  std::string seed;
  std::string readings;
  bool quiet = false;
  bool profile = false;
  bool strict = false;
  std::string threads;
  auto* input_option =
      app.add_option("input", input, "File to read, - for stdin (default: built-in stream)")
          ->type_name("FILE");
  auto* column_option =
      app.add_option("-c,--column", column,
                     "CSV column(s) of the values: header names or numbers, a,b for several")
          ->type_name("NAME|N,...");
  auto* by_option =
      app.add_option("-b,--by", by,
                     "Also report per key of this CSV column (k1,k2: a composite key)")
          ->type_name("NAME|N,...");
  auto* delimiter_option =
      app.add_option("-t,--delimiter", delimiter,
                     "Field separator of the CSV: one character, or tab (default ,)")
          ->type_name("C");
  auto* quantiles_option =
      app.add_option("--quantiles", quantiles, "Quantiles to report, in [0, 1]: 0.5,0.9,0.99")
          ->type_name("Q,...");
  app.add_flag("--median", median, "Report the median (p50)");
  app.add_flag("--sum", sum, "Report the sum (compensated: accurate to the last digits)");
  app.add_flag("--distinct", distinct, "Report the number of distinct values");
  app.add_flag("--approx", approx,
               "Quantiles by a KLL sketch, distinct values by HyperLogLog: bounded memory, with "
               "the error stated");
  auto* window_option =
      app.add_option("-w,--window", window,
                     "Statistics per window of N values, or of a duration (10s, 5m) with "
                     "--time-column")
          ->type_name("N|DURATION");
  auto* time_option = app.add_option("--time-column", time_column,
                                     "CSV column of each value's time, in seconds since the epoch")
                          ->type_name("NAME|N");
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

  auto* threads_option =
      app.add_option("-j,--threads", threads,
                     fmt::format("Parse on N threads (1 to {}; default 1); the output is the same",
                                 max_threads))
          ->type_name("N");

  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp&) {
    return {std::nullopt, app.help()};
  } catch (const CLI::ParseError& e) {
    throw usage_error(fmt::format("{} (see --help)", e.what()));
  }

  options o;
  if (input_option->count() > 0) o.input = input;
  if (column_option->count() > 0) {
    std::vector<column_spec> columns = parse_column_list(column, "--column");
    o.column = columns.front();
    o.more_columns.assign(columns.begin() + 1, columns.end());
  }
  if (by_option->count() > 0) o.by = parse_column_list(by, "--by");
  if (delimiter_option->count() > 0) o.delimiter = parse_delimiter(delimiter);
  if (quantiles_option->count() > 0) o.quantiles = parse_quantiles(quantiles);
  if (median && std::find(o.quantiles.begin(), o.quantiles.end(), 0.5) == o.quantiles.end()) {
    o.quantiles.insert(o.quantiles.begin(), 0.5);
  }
  o.sum = sum;
  o.distinct = distinct;
  o.approx = approx;
  if (window_option->count() > 0) o.window = parse_window(window);
  if (time_option->count() > 0) o.time_column = parse_column_spec(time_column, "--time-column");
  if (every_option->count() > 0) o.every = parse_whole_number(every, "--every", 1);
  o.format = parse_format(format);
  o.alpha = parse_alpha(alpha);
  if (seed_option->count() > 0) o.seed = parse_whole_number(seed, "--seed");
  if (readings_option->count() > 0) o.readings = parse_whole_number(readings, "--readings");
  o.quiet = quiet;
  o.profile = profile;
  o.strict = strict;
  if (threads_option->count() > 0) {
    const std::uint64_t n = parse_whole_number(threads, "--threads", 1);
    if (n > max_threads) {
      throw usage_error(fmt::format("--threads: at most {}, got {}", max_threads, threads));
    }
    o.threads = static_cast<std::size_t>(n);
  }
  if (o.profile && o.threads > 1) {
    throw usage_error("--profile and --threads do not go together: profile with one thread");
  }
  if (o.window && o.every != 0) {
    throw usage_error("--window and --every do not go together: choose one kind of rows");
  }
  if (o.window && o.window->by_time() && !o.time_column) {
    throw usage_error(
        "--window: a window of a duration needs --time-column, the column of each value's time");
  }
  if (o.time_column && !(o.window && o.window->by_time())) {
    throw usage_error("--time-column is for a window of a duration: give --window 10s or so");
  }
  if (o.time_column && !o.column && o.input) {
    throw usage_error("--time-column needs --column: say which CSV column holds the values");
  }
  if (o.approx && o.quantiles.empty() && !o.distinct) {
    throw usage_error("--approx is for --quantiles, --median or --distinct: give one of them");
  }
  if (!o.by.empty() && !o.column && o.input) {
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
