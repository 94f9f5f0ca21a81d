#include "tools/stream_stats/publish_rows.hpp"

#include <fmt/format.h>

#include <optional>
#include <utility>
#include <variant>

#include "tools/stream_stats/parse.hpp"
#include "tools/stream_stats/text.hpp"

namespace stream_stats {

namespace {

// A quoted field that runs to the end of the line never found its closing quote: split_csv
// keeps the rest of the line as its text.
bool quote_left_open(std::string_view line, const csv_field& field) {
  return field.quoted && field.text.data() + field.text.size() == line.data() + line.size();
}

std::variant<publish_entry, malformed> read_row(const input_line& line,
                                                std::vector<csv_field>& fields) {
  split_csv(line.text, fields);
  auto bad = [&line](std::string reason) {
    return malformed{line.number, std::move(reason),
                     std::string(line.text.substr(0, utf8_prefix(line.text, max_kept_text)))};
  };
  if (fields.size() > 2) {
    return bad(fmt::format("{} fields (expected VALUE or KEY,VALUE)", fields.size()));
  }
  if (quote_left_open(line.text, fields.back())) return bad("a quote is not closed");
  if (fields.size() == 1) return publish_entry{false, {}, unquote(fields[0])};
  return publish_entry{true, unquote(fields[0]), unquote(fields[1])};
}

bool holds_number(const publish_entry& entry) { return parse_number(entry.value).has_value(); }

}  // namespace

publish_rows_found read_publish_rows(coflow::generator<input_line> lines,
                                     const std::function<void(publish_entry&&)>& add,
                                     std::size_t shown) {
  publish_rows_found found;
  auto publish = [&](publish_entry&& entry) {
    add(std::move(entry));
    ++found.entries;
  };
  std::vector<csv_field> fields;
  bool first = true;
  // The first line while the next one decides whether it is a header.
  std::optional<publish_entry> maybe_header;
  std::uint64_t maybe_header_line = 0;
  for (const input_line& line : lines) {
    if (trim(line.text).empty()) continue;
    auto row = read_row(line, fields);
    if (auto* entry = std::get_if<publish_entry>(&row)) {
      if (first && entry->keyed && !holds_number(*entry)) {
        maybe_header = std::move(*entry);
        maybe_header_line = line.number;
      } else {
        if (maybe_header) {
          if (holds_number(*entry)) {
            found.header_line = maybe_header_line;
          } else {
            publish(std::move(*maybe_header));
          }
          maybe_header.reset();
        }
        publish(std::move(*entry));
      }
    } else {
      if (maybe_header) {
        publish(std::move(*maybe_header));
        maybe_header.reset();
      }
      ++found.malformed_count;
      if (found.first_malformed.size() < shown) {
        found.first_malformed.push_back(std::move(std::get<malformed>(row)));
      }
    }
    first = false;
  }
  if (maybe_header) publish(std::move(*maybe_header));
  return found;
}

}  // namespace stream_stats
