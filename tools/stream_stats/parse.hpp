// tools/stream_stats/parse.hpp
//
// Text parsing for stream_stats: numbers, CSV fields and column specifications.
//
//   stream_stats::parse_number(" 21.5 ")           // 21.5
//   stream_stats::parse_number("21,5")             // empty: not a number
//   std::vector<stream_stats::csv_field> fields;
//   stream_stats::split_csv("north,\"a, b\",3", fields);   // north | a, b | 3
//   stream_stats::parse_column_spec("2")           // the second column (columns count from 1)
//   stream_stats::parse_column_spec("reading")     // the column named "reading" in the header
//
// Guarantees: the number parsing never allocates and never throws; split_csv reuses the
// caller's field vector, so a steady stream of lines allocates nothing. parse_column_spec
// throws usage_error for a spec that names no column.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace stream_stats {

/// usage_error is a bad command line: an unknown option or a bad option value. The tool
/// prints its message on one line and exits with status 2.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// input_error is input that cannot be read at all: a missing file, an unknown column. The
/// tool prints its message on one line and exits with status 1. (A line that does not parse
/// is not an input_error: it is counted and reported, and the run goes on.)
class input_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// output_error is output that cannot be written: a full disk, a closed pipe. The tool stops at
/// once, prints its message on one line and exits with status 1.
class output_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// trim returns `text` without leading and trailing blanks (spaces, tabs, CR, LF).
std::string_view trim(std::string_view text) noexcept;

/// number_problem says why a field is not a number.
enum class number_problem { none, empty, not_a_number, out_of_range, not_finite };

/// describe returns a short phrase for a problem, as shown to the user ("not a number").
std::string_view describe(number_problem problem) noexcept;

/// parsed_number is the outcome of parse_number: a value, or the reason there is none.
struct parsed_number {
  std::optional<double> value;
  number_problem problem = number_problem::none;
};

/// check_number parses a decimal or scientific number (blanks around it and a leading '+'
/// allowed) with std::from_chars. "nan", "inf" and values beyond a double's range are
/// rejected: a statistic over them would be meaningless. A value too small for a double
/// (1e-400) reads as the nearest double, as strtod reads it: zero, or a subnormal.
parsed_number check_number(std::string_view text) noexcept;

/// parse_number is check_number's value alone.
std::optional<double> parse_number(std::string_view text) noexcept;

/// csv_field is one field of a CSV line: its text (without the surrounding quotes of a quoted
/// field) and whether it was quoted, in which case doubled quotes inside it stand for one.
struct csv_field {
  std::string_view text;
  bool quoted = false;
};

/// split_csv splits one CSV line into `fields` (cleared first), on commas outside double
/// quotes. Fields are views into `line`. An unterminated quote runs to the end of the line.
void split_csv(std::string_view line, std::vector<csv_field>& fields);

/// unquote returns a field's value: its text, with doubled quotes of a quoted field undone and
/// the blanks around an unquoted one trimmed.
std::string unquote(const csv_field& field);

/// column_spec is a column chosen on the command line: a 0-based index (given 1-based by the
/// user) or a header name.
struct column_spec {
  std::variant<std::size_t, std::string> column;

  [[nodiscard]] bool by_name() const noexcept { return column.index() == 1; }
  /// describe returns the spec as the user wrote it: `3` or `"reading"`.
  [[nodiscard]] std::string describe() const;

  friend bool operator==(const column_spec&, const column_spec&) = default;
};

/// parse_column_spec reads `--column` / `--by` values: digits are a 1-based column number,
/// anything else a header name. `option` names the option in the error message.
column_spec parse_column_spec(std::string_view text, std::string_view option);

}  // namespace stream_stats
