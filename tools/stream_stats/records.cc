#include "tools/stream_stats/records.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>

#include "pipeline/receive.hpp"
#include "tools/stream_stats/text.hpp"

namespace stream_stats {

namespace {

// The start of a line, cut between two characters so that what is kept stays UTF-8 if it was.
std::string kept_text(std::string_view text) {
  return std::string(text.substr(0, utf8_prefix(text, max_kept_text)));
}

malformed bad_line(const input_line& line, std::string reason) {
  return malformed{line.number, std::move(reason), kept_text(line.text)};
}

// The columns once they are known: indices and the labels shown to the user.

std::string numbered_label(std::size_t index) { return fmt::format("column {}", index + 1); }

std::string fields_phrase(std::size_t count) {
  return fmt::format("{} field{}", count, count == 1 ? "" : "s");
}

// Finds a column in the header: by name, or by number when it has that many fields.
std::size_t find_column(const column_spec& spec, const std::vector<csv_field>& header,
                        std::string_view option) {
  if (const auto* index = std::get_if<std::size_t>(&spec.column)) {
    if (*index >= header.size()) {
      throw input_error(fmt::format("{} {}: no such column, the first line has {}", option,
                                    *index + 1, fields_phrase(header.size())));
    }
    return *index;
  }
  const auto& name = std::get<std::string>(spec.column);
  std::string names;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const std::string field = unquote(header[i]);
    if (field == name) return i;
    names += fmt::format("{}{}", i == 0 ? "" : ", ", shown_text(field));
  }
  throw input_error(
      fmt::format("{} {}: unknown column; the header has {}", option, shown_text(name), names));
}

// Labels from a header row, or "column N" where it has no usable name.
void label_from_header(resolved_columns& columns, const std::vector<csv_field>& header) {
  auto label = [&](std::size_t index) {
    std::string name = index < header.size() ? unquote(header[index]) : std::string();
    return name.empty() ? numbered_label(index) : name;
  };
  columns.value_labels.clear();
  columns.key_labels.clear();
  for (std::size_t index : columns.values) columns.value_labels.push_back(label(index));
  for (std::size_t index : columns.keys) columns.key_labels.push_back(label(index));
  if (columns.time) columns.time_label = label(*columns.time);
}

void label_by_number(resolved_columns& columns) {
  for (std::size_t index : columns.values) columns.value_labels.push_back(numbered_label(index));
  for (std::size_t index : columns.keys) columns.key_labels.push_back(numbered_label(index));
  if (columns.time) columns.time_label = numbered_label(*columns.time);
}

void publish(header_info* header, std::optional<resolved_columns>* found,
             const resolved_columns& columns, bool has_header) {
  if (found != nullptr) *found = columns;
  if (header == nullptr) return;
  header->has_header = has_header;
  header->value_labels = columns.value_labels;
  header->key_labels = columns.key_labels;
}

}  // namespace

namespace {

// A CSV line once the columns are known: its values appended to `values`, its key fields to
// `key` and its time to `time`; or, leaving `values` as it was, the reason it is malformed.
template <class Values, class AddKey>
std::optional<malformed> read_csv_line(const input_line& line, const resolved_columns& columns,
                                       std::vector<csv_field>& fields, Values& values,
                                       AddKey&& add_key, double& time) {
  if (trim(line.text).empty()) return bad_line(line, "empty line");
  split_csv(line.text, fields, columns.delimiter);
  auto missing = [&](std::size_t index) {
    return bad_line(line, fmt::format("no {} (the line has {})", numbered_label(index),
                                      fields_phrase(fields.size())));
  };
  for (std::size_t index : columns.values) {
    if (index >= fields.size()) return missing(index);
  }
  for (std::size_t index : columns.keys) {
    if (index >= fields.size()) return missing(index);
  }
  if (columns.time && *columns.time >= fields.size()) return missing(*columns.time);
  const std::size_t before = values.size();
  for (std::size_t i = 0; i < columns.values.size(); ++i) {
    double simple;
    if (read_simple_number(fields[columns.values[i]].text, simple)) {
      values.push_back(simple);
      continue;
    }
    const parsed_number number = check_number(fields[columns.values[i]].text);
    if (!number.value) {
      values.resize(before);
      return bad_line(line,
                      fmt::format("{} is {}", columns.value_labels[i], describe(number.problem)));
    }
    values.push_back(*number.value);
  }
  if (columns.time) {
    const parsed_number number = check_number(fields[*columns.time].text);
    if (!number.value) {
      values.resize(before);
      return bad_line(
          line, fmt::format("{} (the time) is {}", columns.time_label, describe(number.problem)));
    }
    time = *number.value;
  }
  for (std::size_t index : columns.keys) add_key(fields[index]);
  return std::nullopt;
}

}  // namespace

record parse_csv_line(const input_line& line, const resolved_columns& columns,
                      std::vector<csv_field>& fields) {
  sample s;
  s.values.reserve(columns.values.size());
  s.key.reserve(columns.keys.size());
  auto add_key = [&s](const csv_field& field) { s.key.push_back(unquote(field)); };
  if (auto bad = read_csv_line(line, columns, fields, s.values, add_key, s.time)) {
    return std::move(*bad);
  }
  return s;
}

std::optional<malformed> parse_csv_into(const input_line& line, const resolved_columns& columns,
                                        std::vector<csv_field>& fields,
                                        std::vector<double>& values) {
  double time = 0;
  return read_csv_line(
      line, columns, fields, values, [](const csv_field&) {}, time);
}

std::string_view key_text(const csv_field& field, std::string& scratch) {
  if (!field.quoted) return trim(field.text);
  if (field.text.find("\"\"") == std::string_view::npos) return field.text;
  scratch = unquote(field);
  return scratch;
}

simple_csv_rows::simple_csv_rows(const resolved_columns& columns) noexcept
    : delimiter_(columns.delimiter) {
  // A delimiter that a number may hold ("1.5" split on '.') leaves every row to split_csv.
  const bool number_byte =
      (delimiter_ >= '0' && delimiter_ <= '9') || delimiter_ == '.' || delimiter_ == '-';
  applies_ =
      columns.values.size() == 1 && columns.keys.size() <= 1 && !columns.time && !number_byte;
  if (!applies_) return;
  value_ = columns.values.front();
  keyed_ = !columns.keys.empty();
  key_ = keyed_ ? columns.keys.front() : value_;
  last_ = std::max(value_, key_);
}

simple_csv_rows simple_csv_rows::plain_lines() noexcept {
  simple_csv_rows rows;
  rows.delimiter_ = '\n';  // one field: the line
  rows.applies_ = true;
  return rows;
}

void append_key_field(std::string& key, std::string_view field) {
  const std::size_t size = field.size();
  key.append(reinterpret_cast<const char*>(&size), sizeof size);
  key.append(field);
}

sample_key decode_key(std::string_view key) {
  sample_key fields;
  while (key.size() >= sizeof(std::size_t)) {
    std::size_t size = 0;
    std::memcpy(&size, key.data(), sizeof size);
    key.remove_prefix(sizeof size);
    fields.emplace_back(key.substr(0, size));
    key.remove_prefix(std::min(size, key.size()));
  }
  return fields;
}

namespace {

// Finds every chosen column in the first line, by name or by number.
void find_columns(resolved_columns& columns, const reader_config& config,
                  const std::vector<csv_field>& fields) {
  for (const column_spec& spec : config.value_columns) {
    columns.values.push_back(find_column(spec, fields, "--column"));
  }
  for (const column_spec& spec : config.key_columns) {
    columns.keys.push_back(find_column(spec, fields, "--by"));
  }
  if (config.time_column) columns.time = find_column(*config.time_column, fields, "--time-column");
}

bool any_by_name(const reader_config& config) {
  auto named = [](const column_spec& spec) { return spec.by_name(); };
  return std::any_of(config.value_columns.begin(), config.value_columns.end(), named) ||
         std::any_of(config.key_columns.begin(), config.key_columns.end(), named) ||
         (config.time_column && config.time_column->by_name());
}

}  // namespace

std::optional<malformed> parse_plain_into(const input_line& line, std::vector<double>& values) {
  const parsed_number number = check_number(line.text);
  if (number.value) {
    values.push_back(*number.value);
    return std::nullopt;
  }
  if (number.problem == number_problem::empty) return bad_line(line, "empty line");
  return bad_line(line, std::string(describe(number.problem)));
}

record parse_plain_line(const input_line& line) {
  const parsed_number number = check_number(line.text);
  if (number.value) {
    sample s;
    s.values.push_back(*number.value);
    return s;
  }
  if (number.problem == number_problem::empty) return bad_line(line, "empty line");
  return bad_line(line, std::string(describe(number.problem)));
}

coflow::coroutine<input_line, record> parse_records(reader_config config, header_info* header,
                                                    std::optional<resolved_columns>* found) {
  std::optional<input_line> line = co_yield coflow::receive;
  if (config.value_columns.empty()) {
    while (line) line = co_yield parse_plain_line(*line);
    co_return;
  }
  // Blank lines before the header are reported like any blank line; the header, or the first
  // row, is the first line that holds something.
  while (line && trim(line->text).empty()) line = co_yield bad_line(*line, "empty line");
  if (!line) co_return;

  std::vector<csv_field> fields;
  resolved_columns columns;
  columns.delimiter = config.delimiter;
  split_csv(line->text, fields, columns.delimiter);
  find_columns(columns, config, fields);
  if (any_by_name(config)) {
    // A column chosen by name: the first line must be the header that names it.
    label_from_header(columns, fields);
    publish(header, found, columns, true);
    line = co_yield coflow::receive;
  } else {
    label_by_number(columns);
    record first = parse_csv_line(*line, columns, fields);
    if (std::holds_alternative<malformed>(first)) {
      // Maybe a header: it is one if the next line holds a number where it holds none.
      const std::string first_text(line->text);
      line = co_yield coflow::receive;
      std::optional<record> next;
      if (line) next = parse_csv_line(*line, columns, fields);
      if (next && std::holds_alternative<sample>(*next)) {
        split_csv(first_text, fields, columns.delimiter);
        label_from_header(columns, fields);
        publish(header, found, columns, true);
        line = co_yield std::move(*next);
      } else {
        publish(header, found, columns, false);
        if (!next) {
          co_yield coflow::emit(std::move(first));
          co_return;
        }
        co_yield coflow::emit(std::move(first));
        line = co_yield std::move(*next);
      }
    } else {
      publish(header, found, columns, false);
      line = co_yield std::move(first);
    }
  }
  while (line) line = co_yield parse_csv_line(*line, columns, fields);
}

}  // namespace stream_stats
