#include "tools/stream_stats/records.hpp"

#include <fmt/format.h>

#include <cstddef>
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
struct resolved_columns {
  std::size_t value = 0;
  std::optional<std::size_t> key;
  std::string value_label;
  std::string key_label;
};

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
  columns.value_label = label(columns.value);
  if (columns.key) columns.key_label = label(*columns.key);
}

void publish(header_info* header, const resolved_columns& columns, bool has_header) {
  if (header == nullptr) return;
  header->has_header = has_header;
  header->value_label = columns.value_label;
  header->key_label = columns.key_label;
}

record parse_csv_line(const input_line& line, const resolved_columns& columns,
                      std::vector<csv_field>& fields) {
  if (trim(line.text).empty()) return bad_line(line, "empty line");
  split_csv(line.text, fields);
  auto missing = [&](std::size_t index) {
    return bad_line(line, fmt::format("no {} (the line has {})", numbered_label(index),
                                      fields_phrase(fields.size())));
  };
  if (columns.value >= fields.size()) return missing(columns.value);
  if (columns.key && *columns.key >= fields.size()) return missing(*columns.key);
  const parsed_number number = check_number(fields[columns.value].text);
  if (!number.value) {
    return bad_line(line, fmt::format("{} is {}", columns.value_label, describe(number.problem)));
  }
  return sample{*number.value, columns.key ? unquote(fields[*columns.key]) : std::string()};
}

}  // namespace

record parse_plain_line(const input_line& line) {
  const parsed_number number = check_number(line.text);
  if (number.value) return sample{*number.value, {}};
  if (number.problem == number_problem::empty) return bad_line(line, "empty line");
  return bad_line(line, std::string(describe(number.problem)));
}

coflow::coroutine<input_line, record> parse_records(reader_config config, header_info* header) {
  std::optional<input_line> line = co_yield coflow::receive;
  if (!config.value_column) {
    while (line) line = co_yield parse_plain_line(*line);
    co_return;
  }
  // Blank lines before the header are reported like any blank line; the header, or the first
  // row, is the first line that holds something.
  while (line && trim(line->text).empty()) line = co_yield bad_line(*line, "empty line");
  if (!line) co_return;

  std::vector<csv_field> fields;
  resolved_columns columns;
  split_csv(line->text, fields);
  const bool named =
      config.value_column->by_name() || (config.key_column && config.key_column->by_name());
  if (named) {
    // A column chosen by name: the first line must be the header that names it.
    columns.value = find_column(*config.value_column, fields, "--column");
    if (config.key_column) columns.key = find_column(*config.key_column, fields, "--by");
    label_from_header(columns, fields);
    publish(header, columns, true);
    line = co_yield coflow::receive;
  } else {
    columns.value = find_column(*config.value_column, fields, "--column");
    if (config.key_column) columns.key = find_column(*config.key_column, fields, "--by");
    columns.value_label = numbered_label(columns.value);
    if (columns.key) columns.key_label = numbered_label(*columns.key);
    record first = parse_csv_line(*line, columns, fields);
    if (std::holds_alternative<malformed>(first)) {
      // Maybe a header: it is one if the next line holds a number where it holds none.
      const std::string first_text(line->text);
      line = co_yield coflow::receive;
      std::optional<record> next;
      if (line) next = parse_csv_line(*line, columns, fields);
      if (next && std::holds_alternative<sample>(*next)) {
        split_csv(first_text, fields);
        label_from_header(columns, fields);
        publish(header, columns, true);
        line = co_yield std::move(*next);
      } else {
        publish(header, columns, false);
        if (!next) {
          co_yield coflow::emit(std::move(first));
          co_return;
        }
        co_yield coflow::emit(std::move(first));
        line = co_yield std::move(*next);
      }
    } else {
      publish(header, columns, false);
      line = co_yield std::move(first);
    }
  }
  while (line) line = co_yield parse_csv_line(*line, columns, fields);
}

}  // namespace stream_stats
