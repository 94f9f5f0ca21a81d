// tools/stream_stats/report.hpp
//
// stream_stats' output: the statistics as an aligned table, CSV or JSON, the running rows of
// --every, the report of malformed lines, and the progress and throughput lines.
//
//   stream_stats::report_writer writer(stream_stats::output_format::table, 0.1, std::cout);
//   writer.running(now);     // with --every: one row now
//   writer.finish(result);   // the final statistics
//
// Numbers: the table shows 6 significant digits and counts with thousands separators; CSV and
//   JSON give the shortest text that reads back as the same double. A statistic that has no
//   value (the mean of nothing, the deviation of one value) is "-" in the table, an empty
//   field in CSV and null in JSON; never NaN.
// Layouts:
//   table  the overall statistics one per line; with --by, a table of one row per key.
//   csv    one header line, then rows "kind,key,count,mean,min,max,stddev,ewma" where kind is
//          running (--every), group (--by, key set) or total (last).
//   json   one document: with --every, "running" (a list) first, written row by row as the
//          values come; then the overall statistics, "malformed", and with --by "by" and
//          "groups" (key -> statistics).
// Text from the input (keys, column names, malformed lines) is valid UTF-8 in JSON and free of
//   control characters in every format (see text.hpp).
// Exceptions: output_error as soon as a write to the stream fails (a full disk, a closed
//   pipe); what allocation throws.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/stream_stats/records.hpp"
#include "tools/stream_stats/statistics.hpp"
#include "tools/stream_stats/text.hpp"

namespace stream_stats {

/// output_format is the value of --format.
enum class output_format { table, csv, json };

/// report is everything the final output shows.
struct report {
  summary total;
  bool grouped = false;                                 // --by was given
  std::string value_label;                              // the value column's name (CSV)
  std::string key_label;                                // the key column's name
  std::vector<std::pair<std::string, summary>> groups;  // key order
  std::uint64_t malformed_count = 0;
  std::vector<malformed> first_malformed;  // the first few, in line order
  bool has_header = false;                 // a line of the input was its CSV header
  std::string read_error;                  // why the input ended early; empty if it did not
};

/// check_output throws output_error when `out` has failed, naming errno's reason: call it after
/// a write or a flush, before anything else can change errno.
void check_output(const std::ostream& out);

/// flush_output flushes `out`, then checks it.
void flush_output(std::ostream& out);

/// group_digits writes n with thousands separators: 1234567 -> "1,234,567".
std::string group_digits(std::uint64_t n);

/// format_value writes a statistic for a format (see above for empty values).
std::string format_value(std::optional<double> value, output_format format);

/// csv_escape quotes a CSV field when it holds a comma, a quote or a line break.
std::string csv_escape(std::string_view text);

/// json_string writes text as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

/// format_malformed writes the report of bad lines for stderr: one line for each of the first
/// ones, then a count; nothing when every line parsed. `program` starts each line.
std::string format_malformed(const report& result, std::string_view program);

/// format_rate writes values per second: "812 values/s", "48.2 k values/s", "2.43 M values/s".
std::string format_rate(std::uint64_t values, double seconds);

/// format_throughput writes the closing stderr line: values, time and rate.
std::string format_throughput(std::string_view program, std::uint64_t values, double seconds);

/// report_writer writes the output of one run in one format.
class report_writer {
 public:
  report_writer(output_format format, double alpha, std::ostream& out);

  /// running writes one --every row now (flushed in a table or CSV, which are for watching).
  void running(const summary& now);

  /// finish writes the final statistics.
  void finish(const report& result);

 private:
  void write_table(const report& result);
  void write_csv(const report& result);
  void write_json(const report& result);
  [[nodiscard]] std::string ewma_label() const;
  void write(std::string_view text, bool flush);

  output_format format_;
  double alpha_;
  std::ostream& out_;
  bool running_header_written_ = false;  // the table's running header, or JSON's "running": [
};

}  // namespace stream_stats
