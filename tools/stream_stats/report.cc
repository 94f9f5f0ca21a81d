#include "tools/stream_stats/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>

namespace stream_stats {

std::string group_digits(std::uint64_t n) {
  const std::string digits = fmt::format("{}", n);
  std::string grouped;
  grouped.reserve(digits.size() + digits.size() / 3);
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) grouped += ',';
    grouped += digits[i];
  }
  return grouped;
}

std::string format_value(std::optional<double> value, output_format format) {
  switch (format) {
    case output_format::table:
      return value ? fmt::format("{:.6g}", *value) : "-";
    case output_format::csv:
      return value ? fmt::format("{}", *value) : "";
    case output_format::json:
      // JSON has no infinities; a deviation can overflow a double for extreme inputs.
      return value && std::isfinite(*value) ? fmt::format("{}", *value) : "null";
  }
  return "";
}

std::string csv_escape(std::string_view text) {
  if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  quoted += '"';
  return quoted;
}

std::string json_string(std::string_view text) {
  std::string literal = "\"";
  append_escaped(literal, text, quotes::escaped);
  literal += '"';
  return literal;
}

void check_output(const std::ostream& out) {
  if (out) return;
  const int error = errno;
  throw output_error(
      fmt::format("cannot write to stdout: {}", error != 0 ? std::strerror(error) : "I/O error"));
}

void flush_output(std::ostream& out) {
  if (out) {
    errno = 0;  // else keep the reason of the write that failed
    out.flush();
  }
  check_output(out);
}

std::string format_malformed(const report& result, std::string_view program) {
  if (result.malformed_count == 0) return {};
  std::string lines;
  auto out = std::back_inserter(lines);
  for (const malformed& bad : result.first_malformed) {
    fmt::format_to(out, "{}: line {}: ", program, bad.line);
    append_escaped(lines, bad.reason, quotes::kept);  // it may name a column of the input
    if (!bad.text.empty()) fmt::format_to(out, ": {}", shown_text(bad.text));
    lines += '\n';
  }
  const bool all_shown = result.first_malformed.size() == result.malformed_count;
  fmt::format_to(
      out, "{}: {} malformed line{} skipped{}\n", program, group_digits(result.malformed_count),
      result.malformed_count == 1 ? "" : "s",
      all_shown ? "" : fmt::format(" (the first {} shown)", result.first_malformed.size()));
  return lines;
}

std::string format_rate(std::uint64_t values, double seconds) {
  if (!(seconds > 0)) return "- values/s";
  const double rate = static_cast<double>(values) / seconds;
  if (rate >= 1e6) return fmt::format("{:.2f} M values/s", rate / 1e6);
  if (rate >= 1e3) return fmt::format("{:.1f} k values/s", rate / 1e3);
  return fmt::format("{:.0f} values/s", rate);
}

std::string format_throughput(std::string_view program, std::uint64_t values, double seconds) {
  return fmt::format("{}: {} value{} in {:.3f} s ({})\n", program, group_digits(values),
                     values == 1 ? "" : "s", seconds, format_rate(values, seconds));
}

report_writer::report_writer(output_format format, double alpha, std::ostream& out)
    : format_(format), alpha_(alpha), out_(out) {
  // CSV has one header for every row, running ones included: write it before any.
  if (format_ == output_format::csv) write("kind,key,count,mean,min,max,stddev,ewma\n", false);
}

void report_writer::write(std::string_view text, bool flush) {
  if (out_) {
    errno = 0;  // else keep the reason of the write that failed
    out_ << text;
    if (flush) out_.flush();
  }
  check_output(out_);
}

std::string report_writer::ewma_label() const { return fmt::format("ewma({})", alpha_); }

namespace {

std::array<std::optional<double>, 5> statistics_of(const summary& s) {
  return {s.mean, s.min, s.max, s.stddev, s.ewma};
}

std::string csv_row(std::string_view kind, std::string_view key, const summary& s) {
  std::string row = fmt::format("{},{},{}", kind, csv_escape(escape_controls(key)), s.count);
  for (const auto& value : statistics_of(s)) {
    row += ',';
    row += format_value(value, output_format::csv);
  }
  row += '\n';
  return row;
}

std::string json_object(const summary& s) {
  constexpr std::array<std::string_view, 5> names = {"mean", "min", "max", "stddev", "ewma"};
  std::string object = fmt::format("{{\"count\": {}", s.count);
  const auto values = statistics_of(s);
  for (std::size_t i = 0; i < names.size(); ++i) {
    fmt::format_to(std::back_inserter(object), ", \"{}\": {}", names[i],
                   format_value(values[i], output_format::json));
  }
  object += '}';
  return object;
}

constexpr int running_width = 12;

}  // namespace

void report_writer::running(const summary& now) {
  switch (format_) {
    case output_format::table: {
      std::string row;
      auto out = std::back_inserter(row);
      if (!running_header_written_) {
        for (std::string_view name : {"count", "mean", "min", "max", "stddev"}) {
          fmt::format_to(out, "{:>{}}", name, running_width);
        }
        fmt::format_to(out, "{:>{}}\n", ewma_label(), running_width);
        running_header_written_ = true;
      }
      fmt::format_to(out, "{:>{}}", group_digits(now.count), running_width);
      for (const auto& value : statistics_of(now)) {
        fmt::format_to(out, "{:>{}}", format_value(value, output_format::table), running_width);
      }
      row += '\n';
      write(row, true);  // a running row is for watching: show it now
      break;
    }
    case output_format::csv:
      write(csv_row("running", "", now), true);
      break;
    case output_format::json:
      // Row by row, so that memory stays flat however many rows come; a failed write still
      // shows within a buffer's worth of rows.
      write(fmt::format("{}\n    {}", running_header_written_ ? "," : "{\n  \"running\": [",
                        json_object(now)),
            false);
      running_header_written_ = true;
      break;
  }
}

void report_writer::finish(const report& result) {
  switch (format_) {
    case output_format::table:
      write_table(result);
      break;
    case output_format::csv:
      write_csv(result);
      break;
    case output_format::json:
      write_json(result);
      break;
  }
  flush_output(out_);
}

void report_writer::write_table(const report& result) {
  std::string text;
  auto out = std::back_inserter(text);
  if (running_header_written_) text += '\n';

  // The overall statistics, one per line: labels left, values right-aligned.
  const std::array<std::pair<std::string, std::string>, 7> lines = {{
      {"count", group_digits(result.total.count)},
      {"mean", format_value(result.total.mean, format_)},
      {"min", format_value(result.total.min, format_)},
      {"max", format_value(result.total.max, format_)},
      {"stddev", format_value(result.total.stddev, format_)},
      {ewma_label(), format_value(result.total.ewma, format_)},
      {"malformed", group_digits(result.malformed_count)},
  }};
  std::size_t label_width = 0;
  std::size_t value_width = 0;
  for (const auto& [label, value] : lines) {
    label_width = std::max(label_width, label.size());
    value_width = std::max(value_width, value.size());
  }
  for (const auto& [label, value] : lines) {
    fmt::format_to(out, "{:<{}}  {:>{}}\n", label, label_width, value, value_width);
  }

  if (result.grouped) {
    // One row per key; each column as wide as its widest cell.
    std::vector<std::array<std::string, 7>> rows;
    rows.push_back(
        {escape_controls(result.key_label), "count", "mean", "min", "max", "stddev", ewma_label()});
    for (const auto& [key, s] : result.groups) {
      std::array<std::string, 7> row;
      row[0] = key.empty() ? "\"\"" : escape_controls(key);
      row[1] = group_digits(s.count);
      const auto values = statistics_of(s);
      for (std::size_t i = 0; i < values.size(); ++i) row[i + 2] = format_value(values[i], format_);
      rows.push_back(std::move(row));
    }
    std::array<std::size_t, 7> widths{};
    for (const auto& row : rows) {
      for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    text += '\n';
    for (const auto& row : rows) {
      fmt::format_to(out, "{:<{}}", row[0], widths[0]);
      for (std::size_t i = 1; i < row.size(); ++i) {
        fmt::format_to(out, "  {:>{}}", row[i], widths[i]);
      }
      text += '\n';
    }
  }
  write(text, false);
}

void report_writer::write_csv(const report& result) {
  std::string text;
  for (const auto& [key, s] : result.groups) text += csv_row("group", key, s);
  text += csv_row("total", "", result.total);
  write(text, false);
}

void report_writer::write_json(const report& result) {
  // With --every, the document and its "running" list are open: close the list.
  std::string text = running_header_written_ ? "\n  ],\n" : "{\n";
  auto out = std::back_inserter(text);
  fmt::format_to(out, "  \"count\": {},\n", result.total.count);
  constexpr std::array<std::string_view, 5> names = {"mean", "min", "max", "stddev", "ewma"};
  const auto values = statistics_of(result.total);
  for (std::size_t i = 0; i < names.size(); ++i) {
    fmt::format_to(out, "  \"{}\": {},\n", names[i], format_value(values[i], format_));
  }
  fmt::format_to(out, "  \"alpha\": {},\n", alpha_);
  fmt::format_to(out, "  \"malformed\": {{\"count\": {}, \"first\": [", result.malformed_count);
  for (std::size_t i = 0; i < result.first_malformed.size(); ++i) {
    const malformed& bad = result.first_malformed[i];
    fmt::format_to(out, "{}{{\"line\": {}, \"reason\": {}, \"text\": {}}}", i == 0 ? "" : ", ",
                   bad.line, json_string(bad.reason), json_string(bad.text));
  }
  text += "]}";
  if (result.grouped) {
    fmt::format_to(out, ",\n  \"by\": {},\n  \"groups\": {{", json_string(result.key_label));
    for (std::size_t i = 0; i < result.groups.size(); ++i) {
      const auto& [key, s] = result.groups[i];
      fmt::format_to(out, "{}\n    {}: {}", i == 0 ? "" : ",", json_string(key), json_object(s));
    }
    text += result.groups.empty() ? "}" : "\n  }";
  }
  text += "\n}\n";
  write(text, false);
}

}  // namespace stream_stats
