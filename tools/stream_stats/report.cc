#include "tools/stream_stats/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <iterator>

#include "tools/stream_stats/parse.hpp"

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

namespace {

std::vector<summary> all_totals(const report& result) {
  std::vector<summary> totals{result.total};
  totals.insert(totals.end(), result.more_totals.begin(), result.more_totals.end());
  return totals;
}

// A table's rows: the first `left` cells left-aligned (keys, labels), the others right-aligned;
// each column as wide as its widest cell.
void append_grid(std::string& text, const std::vector<std::vector<std::string>>& rows,
                 std::size_t left) {
  std::vector<std::size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto out = std::back_inserter(text);
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i != 0) text += "  ";
      if (i < left) {
        // No padding after the last cell of a row.
        if (i + 1 == row.size()) {
          text += row[i];
        } else {
          fmt::format_to(out, "{:<{}}", row[i], widths[i]);
        }
      } else {
        fmt::format_to(out, "{:>{}}", row[i], widths[i]);
      }
    }
    text += '\n';
  }
}

std::string shown_key(std::string_view key) { return key.empty() ? "\"\"" : escape_controls(key); }

std::string number_text(double x) { return fmt::format("{}", x); }

constexpr int running_width = 12;

report_layout layout_with_alpha(double alpha) {
  report_layout layout;
  layout.alpha = alpha;
  return layout;
}

}  // namespace

report_writer::report_writer(output_format format, double alpha, std::ostream& out)
    : report_writer(format, layout_with_alpha(alpha), out) {}

report_writer::report_writer(output_format format, report_layout layout, std::ostream& out)
    : format_(format), layout_(std::move(layout)), out_(out) {
  // CSV has one header for every row, running ones included: write it before any.
  if (format_ == output_format::csv) write(csv_header(), false);
}

void report_writer::write(std::string_view text, bool flush) {
  if (out_) {
    errno = 0;  // else keep the reason of the write that failed
    out_ << text;
    if (flush) out_.flush();
  }
  check_output(out_);
}

std::vector<std::string> report_writer::statistic_names() const {
  std::vector<std::string> names = {"count", "mean", "min", "max", "stddev"};
  names.push_back(format_ == output_format::table ? fmt::format("ewma({})", layout_.alpha)
                                                  : "ewma");
  if (layout_.sum) names.emplace_back("sum");
  if (layout_.distinct) names.emplace_back("distinct");
  for (double q : layout_.quantiles) names.push_back(quantile_name(q));
  return names;
}

std::vector<std::string> report_writer::cells(const summary& s) const {
  const bool table = format_ == output_format::table;
  std::vector<std::string> cells = {table ? group_digits(s.count) : fmt::format("{}", s.count)};
  for (const auto& value : {s.mean, s.min, s.max, s.stddev, s.ewma}) {
    cells.push_back(format_value(value, format_));
  }
  if (layout_.sum) cells.push_back(format_value(s.sum, format_));
  if (layout_.distinct) {
    const std::uint64_t distinct = s.distinct.value_or(0);
    cells.push_back(table ? group_digits(distinct) : fmt::format("{}", distinct));
  }
  for (std::size_t i = 0; i < layout_.quantiles.size(); ++i) {
    cells.push_back(format_value(i < s.quantiles.size() ? s.quantiles[i] : std::nullopt, format_));
  }
  return cells;
}

std::string report_writer::value_label(std::size_t column) const {
  if (header_ != nullptr && column < header_->value_labels.size()) {
    return header_->value_labels[column];
  }
  return fmt::format("column {}", column + 1);
}

std::string report_writer::key_label(std::size_t field) const {
  if (header_ != nullptr && field < header_->key_labels.size()) return header_->key_labels[field];
  return layout_.key_fields > 1 ? fmt::format("key{}", field + 1) : "key";
}

std::string report_writer::csv_header() const {
  std::string header = "kind";
  if (layout_.windows) header += ",start,end";
  if (layout_.key_fields <= 1) {
    header += ",key";
  } else {
    for (std::size_t i = 0; i < layout_.key_fields; ++i) header += fmt::format(",key{}", i + 1);
  }
  if (layout_.value_columns > 1) header += ",column";
  for (const std::string& name : statistic_names()) header += "," + name;
  if (!layout_.quantile_error.empty()) header += ",quantile_error";
  if (!layout_.distinct_error.empty()) header += ",distinct_error";
  header += '\n';
  return header;
}

std::string report_writer::csv_row(std::string_view kind, const std::string* bounds,
                                   const std::vector<std::string>& key, std::size_t column,
                                   const summary& s) const {
  std::string row(kind);
  if (layout_.windows) row += "," + (bounds != nullptr ? *bounds : std::string(","));
  const std::size_t fields = std::max<std::size_t>(layout_.key_fields, 1);
  for (std::size_t i = 0; i < fields; ++i) {
    row += ',';
    if (i < key.size()) row += csv_escape(escape_controls(key[i]));
  }
  if (layout_.value_columns > 1) row += "," + csv_escape(escape_controls(value_label(column)));
  for (const std::string& cell : cells(s)) row += "," + cell;
  if (!layout_.quantile_error.empty()) row += "," + csv_escape(layout_.quantile_error);
  if (!layout_.distinct_error.empty()) row += "," + csv_escape(layout_.distinct_error);
  row += '\n';
  return row;
}

std::string report_writer::json_members(const std::vector<summary>& columns,
                                        std::string_view indent) const {
  auto inline_object = [&](const summary& s) {
    const auto names = statistic_names();
    const auto values = cells(s);
    std::string object = "{";
    for (std::size_t i = 0; i < names.size(); ++i) {
      fmt::format_to(std::back_inserter(object), "{}\"{}\": {}", i == 0 ? "" : ", ", names[i],
                     values[i]);
    }
    return object + "}";
  };
  if (columns.size() == 1) {
    const std::string object = inline_object(columns.front());
    return object.substr(1, object.size() - 2);
  }
  std::string members = "\"columns\": {";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    fmt::format_to(std::back_inserter(members), "{}{}{}: {}",
                   i == 0 ? "" : (indent.empty() ? ", " : ","), indent, json_string(value_label(i)),
                   inline_object(columns[i]));
  }
  members += indent.empty() ? "}" : fmt::format("{}}}", indent.substr(0, indent.size() - 2));
  return members;
}

std::string report_writer::json_groups(const std::vector<group_row>& groups,
                                       std::string_view indent) const {
  const std::string inner = std::string(indent) + "  ";
  const std::string close = indent.empty() ? "" : std::string(indent.substr(0, indent.size() - 2));
  std::string text;
  auto out = std::back_inserter(text);
  if (layout_.key_fields <= 1) {
    text += '{';
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const group_row& g = groups[i];
      fmt::format_to(out, "{}{}{}: {{{}}}", i == 0 ? "" : (indent.empty() ? ", " : ","), indent,
                     json_string(g.key.empty() ? std::string() : g.key.front()),
                     json_members(g.columns, indent.empty() ? "" : inner));
    }
    text += groups.empty() ? "}" : close + "}";
    return text;
  }
  text += '[';
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const group_row& g = groups[i];
    std::string key = "{";
    for (std::size_t k = 0; k < g.key.size(); ++k) {
      fmt::format_to(std::back_inserter(key), "{}{}: {}", k == 0 ? "" : ", ",
                     json_string(key_label(k)), json_string(g.key[k]));
    }
    key += '}';
    fmt::format_to(out, "{}{}{{\"key\": {}, {}}}", i == 0 ? "" : (indent.empty() ? ", " : ","),
                   indent, key, json_members(g.columns, indent.empty() ? "" : inner));
  }
  text += groups.empty() ? "]" : close + "]";
  return text;
}

void report_writer::running(const summary& now) { running(std::vector<summary>{now}); }

void report_writer::running(const std::vector<summary>& now) {
  switch (format_) {
    case output_format::table: {
      std::string row;
      auto out = std::back_inserter(row);
      const bool labelled = layout_.value_columns > 1;
      std::size_t label_width = 6;
      for (std::size_t i = 0; labelled && i < now.size(); ++i) {
        label_width = std::max(label_width, escape_controls(value_label(i)).size());
      }
      if (!running_header_written_) {
        if (labelled) fmt::format_to(out, "{:<{}}", "column", label_width);
        for (const std::string& name : statistic_names()) {
          fmt::format_to(out, "{:>{}}", name, running_width);
        }
        row += '\n';
        running_header_written_ = true;
      }
      for (std::size_t i = 0; i < now.size(); ++i) {
        if (labelled) fmt::format_to(out, "{:<{}}", escape_controls(value_label(i)), label_width);
        for (const std::string& cell : cells(now[i])) {
          fmt::format_to(out, "{:>{}}", cell, running_width);
        }
        row += '\n';
      }
      write(row, true);  // a running row is for watching: show it now
      break;
    }
    case output_format::csv: {
      std::string rows;
      for (std::size_t i = 0; i < now.size(); ++i)
        rows += csv_row("running", nullptr, {}, i, now[i]);
      write(rows, true);
      break;
    }
    case output_format::json:
      // Row by row, so that memory stays flat however many rows come; a failed write still
      // shows within a buffer's worth of rows.
      write(fmt::format("{}\n    {{{}}}", running_header_written_ ? "," : "{\n  \"running\": [",
                        json_members(now, "")),
            false);
      running_header_written_ = true;
      break;
  }
}

void report_writer::window(const window_rows& rows) {
  const std::string start = number_text(rows.start);
  const std::string end = number_text(rows.end);
  // Without --by, the window's totals are its rows; with it, each key's.
  std::vector<std::pair<const std::vector<std::string>*, const std::vector<summary>*>> keyed;
  const std::vector<std::string> no_key;
  if (layout_.key_fields == 0) {
    keyed.emplace_back(&no_key, &rows.totals);
  } else {
    for (const group_row& g : rows.groups) keyed.emplace_back(&g.key, &g.columns);
  }
  switch (format_) {
    case output_format::table: {
      std::string text;
      auto out = std::back_inserter(text);
      const bool labelled = layout_.value_columns > 1;
      if (!window_header_written_) {
        fmt::format_to(out, "{:>{}}{:>{}}", "start", running_width, "end", running_width);
        for (std::size_t k = 0; k < layout_.key_fields; ++k) {
          fmt::format_to(out, "  {:<{}}", escape_controls(key_label(k)), running_width - 2);
        }
        if (labelled) fmt::format_to(out, "  {:<{}}", "column", running_width - 2);
        for (const std::string& name : statistic_names()) {
          fmt::format_to(out, "{:>{}}", name, running_width);
        }
        text += '\n';
        window_header_written_ = true;
      }
      for (const auto& [key, columns] : keyed) {
        for (std::size_t i = 0; i < columns->size(); ++i) {
          fmt::format_to(out, "{:>{}}{:>{}}", start, running_width, end, running_width);
          for (const std::string& field : *key) {
            fmt::format_to(out, "  {:<{}}", shown_key(field), running_width - 2);
          }
          if (labelled) {
            fmt::format_to(out, "  {:<{}}", escape_controls(value_label(i)), running_width - 2);
          }
          for (const std::string& cell : cells((*columns)[i])) {
            fmt::format_to(out, "{:>{}}", cell, running_width);
          }
          text += '\n';
        }
      }
      write(text, true);
      break;
    }
    case output_format::csv: {
      const std::string bounds = start + "," + end;
      std::string text;
      for (const auto& [key, columns] : keyed) {
        for (std::size_t i = 0; i < columns->size(); ++i) {
          text += csv_row("window", &bounds, *key, i, (*columns)[i]);
        }
      }
      write(text, true);
      break;
    }
    case output_format::json: {
      std::string row =
          fmt::format("{}\n    {{\"start\": {}, \"end\": {}, ",
                      running_header_written_ ? "," : "{\n  \"windows\": [", start, end);
      if (layout_.key_fields == 0) {
        row += json_members(rows.totals, "");
      } else {
        row += "\"groups\": " + json_groups(rows.groups, "");
      }
      row += '}';
      write(row, false);
      running_header_written_ = true;
      break;
    }
  }
}

void report_writer::finish(const report& result) {
  // The report names the columns as the header did, or as the user did when no line came.
  const header_info labels{result.has_header, result.value_labels, result.key_labels};
  header_ = &labels;
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
  header_ = nullptr;
  flush_output(out_);
}

void report_writer::write_table(const report& result) {
  std::string text;
  if (running_header_written_ || window_header_written_) text += '\n';

  // The overall statistics, one per line: labels left, values right-aligned; a column of
  // values per value column, headed by its name when there are several.
  const std::vector<summary> totals = all_totals(result);
  const std::vector<std::string> names = statistic_names();
  std::vector<std::vector<std::string>> lines;
  if (totals.size() > 1) {
    lines.push_back({""});
    for (std::size_t i = 0; i < totals.size(); ++i) {
      lines.back().push_back(escape_controls(value_label(i)));
    }
  }
  const std::size_t first = lines.size();
  for (const std::string& name : names) lines.push_back({name});
  for (const summary& s : totals) {
    const auto values = cells(s);
    for (std::size_t i = 0; i < values.size(); ++i) lines[first + i].push_back(values[i]);
  }
  lines.push_back({"malformed", group_digits(result.malformed_count)});
  if (layout_.time_windows) lines.push_back({"late", group_digits(result.late_count)});
  append_grid(text, lines, 1);
  std::size_t label_width = 0;
  for (const auto& line : lines) label_width = std::max(label_width, line.front().size());
  auto out = std::back_inserter(text);
  if (!layout_.quantile_error.empty()) {
    fmt::format_to(out, "{:<{}}  {}\n", "quantiles", label_width, layout_.quantile_error);
  }
  if (!layout_.distinct_error.empty()) {
    fmt::format_to(out, "{:<{}}  {}\n", "distinct", label_width, layout_.distinct_error);
  }

  if (result.grouped) {
    // One row per key (and value column).
    const bool labelled = totals.size() > 1;
    std::vector<std::vector<std::string>> rows(1);
    for (std::size_t k = 0; k < std::max<std::size_t>(result.key_labels.size(), 1); ++k) {
      rows[0].push_back(escape_controls(k < result.key_labels.size() ? result.key_labels[k]
                                                                     : std::string("key")));
    }
    const std::size_t key_cells = rows[0].size();
    if (labelled) rows[0].emplace_back("column");
    rows[0].insert(rows[0].end(), names.begin(), names.end());
    for (const group_row& g : result.groups) {
      for (std::size_t i = 0; i < g.columns.size(); ++i) {
        std::vector<std::string> row;
        for (std::size_t k = 0; k < key_cells; ++k) {
          row.push_back(shown_key(k < g.key.size() ? g.key[k] : std::string()));
        }
        if (labelled) row.push_back(escape_controls(value_label(i)));
        const auto values = cells(g.columns[i]);
        row.insert(row.end(), values.begin(), values.end());
        rows.push_back(std::move(row));
      }
    }
    text += '\n';
    append_grid(text, rows, key_cells + (labelled ? 1 : 0));
  }
  write(text, false);
}

void report_writer::write_csv(const report& result) {
  std::string text;
  for (const group_row& g : result.groups) {
    for (std::size_t i = 0; i < g.columns.size(); ++i) {
      text += csv_row("group", nullptr, g.key, i, g.columns[i]);
    }
  }
  const std::vector<summary> totals = all_totals(result);
  for (std::size_t i = 0; i < totals.size(); ++i) {
    text += csv_row("total", nullptr, {}, i, totals[i]);
  }
  write(text, false);
}

void report_writer::write_json(const report& result) {
  // With --every or --window, the document and its list are open: close the list.
  std::string text = running_header_written_ ? "\n  ],\n" : "{\n";
  auto out = std::back_inserter(text);
  const std::vector<summary> totals = all_totals(result);
  if (totals.size() == 1) {
    const auto names = statistic_names();
    const auto values = cells(totals.front());
    for (std::size_t i = 0; i < names.size(); ++i) {
      fmt::format_to(out, "  \"{}\": {},\n", names[i], values[i]);
    }
  } else {
    fmt::format_to(out, "  {},\n", json_members(totals, "\n    "));
  }
  fmt::format_to(out, "  \"alpha\": {},\n", layout_.alpha);
  if (!layout_.quantile_error.empty()) {
    fmt::format_to(out, "  \"quantile_error\": {},\n", json_string(layout_.quantile_error));
  }
  if (!layout_.distinct_error.empty()) {
    fmt::format_to(out, "  \"distinct_error\": {},\n", json_string(layout_.distinct_error));
  }
  if (layout_.time_windows) fmt::format_to(out, "  \"late\": {},\n", result.late_count);
  fmt::format_to(out, "  \"malformed\": {{\"count\": {}, \"first\": [", result.malformed_count);
  for (std::size_t i = 0; i < result.first_malformed.size(); ++i) {
    const malformed& bad = result.first_malformed[i];
    fmt::format_to(out, "{}{{\"line\": {}, \"reason\": {}, \"text\": {}}}", i == 0 ? "" : ", ",
                   bad.line, json_string(bad.reason), json_string(bad.text));
  }
  text += "]}";
  if (result.grouped) {
    if (result.key_labels.size() == 1) {
      fmt::format_to(out, ",\n  \"by\": {}", json_string(result.key_labels.front()));
    } else {
      text += ",\n  \"by\": [";
      for (std::size_t k = 0; k < result.key_labels.size(); ++k) {
        fmt::format_to(out, "{}{}", k == 0 ? "" : ", ", json_string(result.key_labels[k]));
      }
      text += ']';
    }
    fmt::format_to(out, ",\n  \"groups\": {}", json_groups(result.groups, "\n    "));
  }
  text += "\n}\n";
  write(text, false);
}

}  // namespace stream_stats
