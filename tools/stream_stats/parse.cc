#include "tools/stream_stats/parse.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <system_error>

namespace stream_stats {

namespace {

// A comparison per character: find_first_not_of(" \t\r\n") calls memchr on the four blanks
// for each character it looks at, which costs more than the number it finds.
constexpr bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string_view trim(std::string_view text) noexcept {
  const char* first = text.data();
  const char* last = first + text.size();
  while (first != last && is_blank(*first)) ++first;
  while (last != first && is_blank(last[-1])) --last;
  return {first, static_cast<std::size_t>(last - first)};
}

std::string_view describe(number_problem problem) noexcept {
  switch (problem) {
    case number_problem::none:
      return "a number";
    case number_problem::empty:
      return "empty";
    case number_problem::not_a_number:
      return "not a number";
    case number_problem::out_of_range:
      return "out of range";
    case number_problem::not_finite:
      return "not a finite number";
  }
  return "not a number";
}

namespace {

// Whether a number that from_chars found out of range is below 1 in magnitude, hence one that
// underflowed rather than overflowed: from_chars reports both the same way. `digits` is a whole
// decimal number in from_chars' syntax (an optional '-', digits with an optional '.', an
// optional exponent). Exponents are clamped far beyond any double's.
bool is_below_one(std::string_view digits) noexcept {
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  const auto e = digits.find_first_of("eE");
  long long exponent = 0;
  if (e != std::string_view::npos) {
    std::string_view power = digits.substr(e + 1);
    digits = digits.substr(0, e);
    const bool negative = !power.empty() && power.front() == '-';
    if (!power.empty() && (power.front() == '-' || power.front() == '+')) power.remove_prefix(1);
    for (char c : power) exponent = std::min(exponent * 10 + (c - '0'), 1'000'000'000LL);
    if (negative) exponent = -exponent;
  }
  // The power of ten of the first significant digit, before the exponent.
  const auto point = std::min(digits.find('.'), digits.size());
  const auto first = digits.find_first_of("123456789");
  if (first == std::string_view::npos) return true;  // zero: never out of range, but below one
  const long long lead = first < point ? static_cast<long long>(point - first) - 1
                                       : -static_cast<long long>(first - point);
  return lead + exponent < 0;
}

}  // namespace

parsed_number check_number(std::string_view text) noexcept {
  text = trim(text);
  if (text.empty()) return {std::nullopt, number_problem::empty};
  // from_chars takes no leading '+', which people and spreadsheets write.
  std::string_view digits = text;
  if (digits.front() == '+') {
    digits.remove_prefix(1);
    if (digits.empty() || digits.front() == '+' || digits.front() == '-') {
      return {std::nullopt, number_problem::not_a_number};
    }
  }
  double value = 0;
  const char* const end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(digits.data(), end, value);
  if (ec == std::errc::result_out_of_range && ptr == end) {
    // A number too small for a double is the nearest double, zero (from_chars gives
    // subnormals), as strtod says; only one too large for it is out of range.
    if (!is_below_one(digits)) return {std::nullopt, number_problem::out_of_range};
    return {digits.front() == '-' ? -0.0 : 0.0, number_problem::none};
  }
  if (ec != std::errc{} || ptr != end) return {std::nullopt, number_problem::not_a_number};
  if (!std::isfinite(value)) return {std::nullopt, number_problem::not_finite};
  return {value, number_problem::none};
}

std::optional<double> parse_number(std::string_view text) noexcept {
  return check_number(text).value;
}

void split_csv(std::string_view line, std::vector<csv_field>& fields, char delimiter) {
  fields.clear();
  std::size_t pos = 0;
  for (;;) {
    // Blanks before an opening quote are allowed ( "a", "b" ).
    std::size_t start = pos;
    while (start < line.size() && line[start] != delimiter &&
           (line[start] == ' ' || line[start] == '\t')) {
      ++start;
    }
    if (start < line.size() && line[start] == '"') {
      std::size_t close = start + 1;
      for (;;) {
        close = line.find('"', close);
        if (close == std::string_view::npos || close + 1 >= line.size() || line[close + 1] != '"') {
          break;
        }
        close += 2;  // a doubled quote inside the field
      }
      if (close == std::string_view::npos) {
        fields.push_back({line.substr(start + 1), true});
        return;
      }
      fields.push_back({line.substr(start + 1, close - start - 1), true});
      const auto comma = line.find(delimiter, close + 1);
      if (comma == std::string_view::npos) return;
      pos = comma + 1;
    } else {
      const auto comma = line.find(delimiter, pos);
      if (comma == std::string_view::npos) {
        fields.push_back({line.substr(pos), false});
        return;
      }
      fields.push_back({line.substr(pos, comma - pos), false});
      pos = comma + 1;
    }
  }
}

std::string unquote(const csv_field& field) {
  if (!field.quoted) return std::string(trim(field.text));
  std::string value;
  value.reserve(field.text.size());
  for (std::size_t i = 0; i < field.text.size(); ++i) {
    value += field.text[i];
    if (field.text[i] == '"' && i + 1 < field.text.size() && field.text[i + 1] == '"') ++i;
  }
  return value;
}

std::string column_spec::describe() const {
  if (const auto* index = std::get_if<std::size_t>(&column)) return fmt::format("{}", *index + 1);
  return fmt::format("\"{}\"", std::get<std::string>(column));
}

column_spec parse_column_spec(std::string_view text, std::string_view option) {
  const std::string_view spec = trim(text);
  if (spec.empty()) {
    throw usage_error(
        fmt::format("{}: expected a column name or number, got an empty value", option));
  }
  if (spec.find_first_not_of("0123456789") != std::string_view::npos) {
    return column_spec{std::string(spec)};
  }
  std::size_t number = 0;
  const auto [ptr, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), number);
  if (ec != std::errc{} || ptr != spec.data() + spec.size()) {
    throw usage_error(fmt::format("{}: column number {} is too large", option, spec));
  }
  if (number == 0) {
    throw usage_error(fmt::format("{}: columns are numbered from 1, got 0", option));
  }
  return column_spec{number - 1};
}

std::vector<column_spec> parse_column_list(std::string_view text, std::string_view option) {
  std::vector<column_spec> specs;
  for (;;) {
    const auto comma = text.find(',');
    column_spec spec = parse_column_spec(text.substr(0, comma), option);
    if (std::find(specs.begin(), specs.end(), spec) != specs.end()) {
      throw usage_error(fmt::format("{}: column {} is named twice", option, spec.describe()));
    }
    specs.push_back(std::move(spec));
    if (comma == std::string_view::npos) return specs;
    text.remove_prefix(comma + 1);
  }
}

char parse_delimiter(std::string_view text) {
  if (text == "\\t" || text == "tab" || text == "TAB") return '\t';
  if (text.empty()) {
    throw usage_error("--delimiter: expected one character (or \"tab\"), got an empty value");
  }
  if (text.size() != 1) {
    throw usage_error(fmt::format(
        "--delimiter: expected one character (or \"tab\" or \"\\t\"), got \"{}\"", text));
  }
  if (text[0] == '"' || text[0] == '\n' || text[0] == '\r') {
    throw usage_error("--delimiter: a double quote or a line break cannot separate fields");
  }
  return text[0];
}

std::vector<double> parse_quantiles(std::string_view text) {
  std::vector<double> quantiles;
  for (;;) {
    const auto comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const auto q = parse_number(item);
    if (!q || !(*q >= 0 && *q <= 1)) {
      throw usage_error(fmt::format(
          "--quantiles: expected numbers from 0 to 1 separated by commas (0.5,0.9,0.99), got "
          "\"{}\"",
          trim(item)));
    }
    if (std::find(quantiles.begin(), quantiles.end(), *q) == quantiles.end()) {
      quantiles.push_back(*q + 0.0);  // -0 is 0
    }
    if (comma == std::string_view::npos) return quantiles;
    text.remove_prefix(comma + 1);
  }
}

std::string quantile_name(double q) {
  // The percentage with the fewest decimals that reads back as q: 0.999 * 100 is
  // 99.89999999999999 in doubles, yet "99.9" / 100 is 0.999.
  std::string text;
  for (int decimals = 0; decimals <= 17; ++decimals) {
    text = fmt::format("{:.{}f}", q * 100, decimals);
    const auto shown = parse_number(text);
    if (shown && (*shown / 100 == q || *shown == q * 100)) break;
  }
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return "p" + text;
}

window_spec parse_window(std::string_view text) {
  const std::string_view spec = trim(text);
  auto bad = [&](std::string_view why) {
    return usage_error(
        fmt::format("--window: expected a number of values (1000) or a duration "
                    "(10s, 5m, 2h, 1d, 500ms){}, got \"{}\"",
                    why, text));
  };
  const auto unit_at = spec.find_first_not_of("0123456789.+-eE");
  if (unit_at == std::string_view::npos) {
    if (spec.find_first_not_of("0123456789") != std::string_view::npos || spec.empty()) {
      throw bad("");
    }
    std::uint64_t values = 0;
    const auto [ptr, ec] = std::from_chars(spec.data(), spec.data() + spec.size(), values);
    if (ec != std::errc{} || ptr != spec.data() + spec.size()) throw bad("");
    if (values == 0) throw bad(" greater than zero");
    return {values, 0};
  }
  const std::string_view unit = spec.substr(unit_at);
  double scale = 0;
  if (unit == "ms") scale = 0.001;
  if (unit == "s") scale = 1;
  if (unit == "m" || unit == "min") scale = 60;
  if (unit == "h") scale = 3600;
  if (unit == "d") scale = 86400;
  const auto amount = parse_number(spec.substr(0, unit_at));
  if (scale == 0 || !amount) throw bad("");
  const double seconds = *amount * scale;
  if (!(seconds > 0) || !std::isfinite(seconds)) throw bad(" greater than zero");
  return {0, seconds};
}

}  // namespace stream_stats
