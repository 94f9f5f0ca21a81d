// tools/stream_stats/report.hpp
//
// stream_stats' output: the statistics as an aligned table, CSV or JSON, the running rows of
// --every and --window, the report of malformed lines, and the throughput line.
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
//   table  the overall statistics one per line (a column of values per value column); with
//          --by, a table of one row per key (and value column); window rows as they close.
//   csv    one header line, then rows "kind,key,count,mean,min,max,stddev,ewma" where kind is
//          running (--every), window (--window, after "kind": start,end), group (--by, key
//          set) or total (last). Several key fields are key1,key2,...; several value columns
//          add a "column" field after the key (one row per column). --sum, --distinct and
//          --quantiles add sum, distinct, p50... at the end, and --approx the error columns
//          quantile_error and distinct_error.
//   json   one document: with --every, "running" (a list) first, written row by row as the
//          values come; with --window, "windows" (a list of {start, end, statistics or
//          groups}); then the overall statistics, "malformed", and with --by "by" and
//          "groups" (key -> statistics; with several key fields, a list of {"key": {field:
//          value}, statistics}). With several value columns, statistics are "columns": {name:
//          statistics}. With --approx, "quantile_error" / "distinct_error" state the error.
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

/// group_row is one key's statistics: the key's fields, and a summary per value column.
struct group_row {
  std::vector<std::string> key;
  std::vector<summary> columns;

  friend bool operator==(const group_row&, const group_row&) = default;
};

/// report is everything the final output shows.
struct report {
  summary total;                          // the (first) value column's statistics
  std::vector<summary> more_totals;       // the other value columns' (-c a,b,...), in order
  bool grouped = false;                   // --by was given
  std::vector<std::string> value_labels;  // the value columns' names
  std::vector<std::string> key_labels;    // the key columns' names
  std::vector<group_row> groups;          // key order
  std::uint64_t malformed_count = 0;
  std::vector<malformed> first_malformed;  // the first few, in line order
  std::uint64_t late_count = 0;            // --window of time: values too late for theirs
  bool has_header = false;                 // a line of the input was its CSV header
  std::string read_error;                  // why the input ended early; empty if it did not
};

/// window_rows is one window's statistics: its bounds, and its totals or its groups.
struct window_rows {
  double start = 0;  // a count window: the number of its first value; else its start time
  double end = 0;    // the number of its last value; or its end time (exclusive)
  std::vector<summary> totals;  // without --by: a summary per value column
  std::vector<group_row> groups;
};

/// report_layout is what every row shows, known before the first row: which statistics, and
/// how many value columns and key fields.
struct report_layout {
  double alpha = 0.1;
  std::size_t value_columns = 1;
  std::size_t key_fields = 0;
  bool sum = false;
  bool distinct = false;
  std::vector<double> quantiles;
  std::string quantile_error;  // with --approx: the sketch's error, stated in the output
  std::string distinct_error;
  bool windows = false;       // window rows come (CSV adds start and end columns)
  bool time_windows = false;  // windows of time: late values are counted ("late")
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
  report_writer(output_format format, report_layout layout, std::ostream& out);

  /// use_labels makes rows written from now on name the value columns (and keys) as `header`
  /// does once filled in; `header` must outlive the writer.
  void use_labels(const header_info* header) { header_ = header; }

  /// running writes one --every row now (flushed in a table or CSV, which are for watching).
  void running(const summary& now);
  void running(const std::vector<summary>& now);

  /// window writes one window's rows now (flushed in a table or CSV).
  void window(const window_rows& rows);

  /// finish writes the final statistics.
  void finish(const report& result);

 private:
  void write_table(const report& result);
  void write_csv(const report& result);
  void write_json(const report& result);
  [[nodiscard]] std::vector<std::string> statistic_names() const;
  [[nodiscard]] std::vector<std::string> cells(const summary& s) const;
  [[nodiscard]] std::string value_label(std::size_t column) const;
  [[nodiscard]] std::string key_label(std::size_t field) const;
  [[nodiscard]] std::string csv_header() const;
  [[nodiscard]] std::string csv_row(std::string_view kind, const std::string* bounds,
                                    const std::vector<std::string>& key, std::size_t column,
                                    const summary& s) const;
  [[nodiscard]] std::string json_members(const std::vector<summary>& columns,
                                         std::string_view indent) const;
  [[nodiscard]] std::string json_groups(const std::vector<group_row>& groups,
                                        std::string_view indent) const;
  void write_table_rows(std::string& text, const std::vector<std::string>& lead_labels,
                        const std::vector<std::vector<std::string>>& leads,
                        const std::vector<const summary*>& rows) const;
  void write(std::string_view text, bool flush);

  output_format format_;
  report_layout layout_;
  std::ostream& out_;
  const header_info* header_ = nullptr;
  bool running_header_written_ = false;  // the table's running header, or JSON's "running": [
  bool window_header_written_ = false;   // the table's window header, or JSON's "windows": [
};

}  // namespace stream_stats
