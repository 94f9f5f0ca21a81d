#include "tools/stream_stats/line_batch.hpp"

#include <string_view>
#include <utility>

namespace stream_stats {

std::vector<record> parse_batch(line_batch batch) {
  std::vector<record> out = std::move(batch.parsed);
  out.reserve(out.size() + batch.lines.size());
  std::vector<csv_field> fields;
  const std::string_view text = batch.text;
  for (const line_batch::span& s : batch.lines) {
    const input_line line{s.number, text.substr(s.offset, s.size)};
    if (batch.columns) {
      out.push_back(parse_csv_line(line, *batch.columns, fields));
    } else {
      out.push_back(parse_plain_line(line));
    }
  }
  return out;
}

}  // namespace stream_stats
