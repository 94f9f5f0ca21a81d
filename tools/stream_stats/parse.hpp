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
//   stream_stats::parse_quantiles("0.5,0.999")     // 0.5, 0.999, named "p50", "p99.9"
//   stream_stats::parse_window("10s")              // windows of 10 seconds
//
// Guarantees: the number parsing never allocates and never throws; split_csv reuses the
// caller's field vector, so a steady stream of lines allocates nothing. The parse_* functions of
// option values throw usage_error with a message that names the option.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
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

/// scan_short_decimal reads a short decimal (see read_short_decimal) at the start of [p, end):
/// an optional '-', then digits with at most one '.', up to the first other byte. It returns
/// where it stopped, with the value in `value`, or null (with `value` unchanged) when what it
/// read is no short decimal (no digit, more than 19 digits, an integer beyond 2^53). The caller
/// decides whether the byte it stopped at may end the number: a row reader scans a field and
/// reads its number in one pass. With EndsInNewline, end[-1] is known to be '\n', which ends
/// every number: the scan then never tests for `end`.
template <bool EndsInNewline = false>
inline const char* scan_short_decimal(const char* p, const char* const end,
                                      double& value) noexcept {
  const auto more = [end](const char* q) { return EndsInNewline || q != end; };
  static constexpr double powers_of_ten[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,
                                             1e7,  1e8,  1e9,  1e10, 1e11, 1e12, 1e13,
                                             1e14, 1e15, 1e16, 1e17, 1e18, 1e19};
  const bool negative = more(p) && *p == '-';
  if (negative) ++p;
  const char* const first = p;
  std::uint64_t integer = 0;  // wraps past 19 digits, which are then refused
  auto digit_at = [](const char* q) {
    return static_cast<unsigned>(static_cast<unsigned char>(*q)) - '0';
  };
  for (; more(p) && digit_at(p) < 10; ++p) integer = integer * 10 + digit_at(p);
  std::ptrdiff_t digits = p - first;
  std::ptrdiff_t decimals = 0;
  if (more(p) && *p == '.') {
    const char* const fraction = ++p;
    for (; more(p) && digit_at(p) < 10; ++p) integer = integer * 10 + digit_at(p);
    decimals = p - fraction;
    digits += decimals;
  }
  // At most 19 digits: at most 19 decimals, and 10^19 is exact.
  if (digits == 0 || digits > 19 || integer > (std::uint64_t{1} << 53)) return nullptr;
  const double magnitude = static_cast<double>(integer) / powers_of_ten[decimals];
  value = negative ? -magnitude : magnitude;
  return p;
}

/// read_short_decimal reads a plain decimal, an optional '-', then digits with at most one '.'
/// (no exponent), of at most 19 digits whose integer (the digits without the point) is at most
/// 2^53: such a number is that integer divided by a power of ten, both exact doubles, and one
/// IEEE division rounds the quotient correctly, to the double std::from_chars gives, bit for bit
/// ("-0.0" too). It returns false, with `value` unchanged, for any other text. About 5
/// instructions a character where from_chars takes about 160 a number.
inline bool read_short_decimal(std::string_view text, double& value) noexcept {
  const char* const end = text.data() + text.size();
  double read;
  const char* const stop = scan_short_decimal(text.data(), end, read);
  if (stop == nullptr || stop != end) return false;
  value = read;
  return true;
}

/// read_simple_number reads the common field, a number with nothing around it, without
/// check_number's trimming and case analysis: it returns true (with the value) only where
/// check_number would give that value, and false for anything else (blanks, "+1", an exponent
/// out of range, "nan"), which then takes check_number's path. A short decimal is read by
/// read_short_decimal, anything else by std::from_chars.
inline bool read_simple_number(std::string_view text, double& value) noexcept {
  if (text.empty()) return false;
  const char first = text.front();
  const char last = text.back();
  if (!((first >= '0' && first <= '9') || first == '-' || first == '.')) return false;
  if (!((last >= '0' && last <= '9') || last == '.')) return false;
  if (read_short_decimal(text, value)) return true;
  const char* const end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  return ec == std::errc{} && ptr == end && std::isfinite(value);
}

/// parse_number is check_number's value alone.
std::optional<double> parse_number(std::string_view text) noexcept;

/// csv_field is one field of a CSV line: its text (without the surrounding quotes of a quoted
/// field) and whether it was quoted, in which case doubled quotes inside it stand for one.
struct csv_field {
  std::string_view text;
  bool quoted = false;
};

/// split_csv splits one CSV line into `fields` (cleared first), on `delimiter` (a comma unless
/// --delimiter says otherwise) outside double quotes. Fields are views into `line`. An
/// unterminated quote runs to the end of the line.
void split_csv(std::string_view line, std::vector<csv_field>& fields, char delimiter = ',');

/// unquote returns a field's value: its text, with doubled quotes of a quoted field undone and
/// the blanks around an unquoted one trimmed (tabs too, which only matters when tab is not the
/// delimiter).
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

/// parse_column_list reads a comma-separated list of column specs (`-c price,qty`,
/// `--by 1,region`); `option` names the option in the error message. A column named twice is
/// an error.
std::vector<column_spec> parse_column_list(std::string_view text, std::string_view option);

/// parse_delimiter reads --delimiter: one character, or `\t` or `tab` for a tab (datamash's
/// -t). A double quote, a line break or an empty value is an error.
char parse_delimiter(std::string_view text);

/// parse_quantiles reads --quantiles: a comma-separated list of numbers in [0, 1] (0.5,0.9,0.99),
/// kept in the order given, duplicates dropped.
std::vector<double> parse_quantiles(std::string_view text);

/// quantile_name names a quantile as the output does: 0.5 -> "p50", 0.999 -> "p99.9",
/// 0.25 -> "p25", 1 -> "p100".
std::string quantile_name(double q);

/// window_spec is --window: a number of values, or a duration in seconds.
struct window_spec {
  std::uint64_t values = 0;  // a count window: this many values each
  double seconds = 0;        // a time window (values == 0): this long each

  [[nodiscard]] bool by_time() const noexcept { return values == 0; }
  friend bool operator==(const window_spec&, const window_spec&) = default;
};

/// parse_window reads --window: a whole number of values (1000), or a duration with a unit:
/// s, m, h or d (10s, 1.5m, 2h); ms too (500ms). Zero, negative or unparsable is an error.
window_spec parse_window(std::string_view text);

}  // namespace stream_stats
