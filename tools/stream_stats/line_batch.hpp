// tools/stream_stats/line_batch.hpp
//
// line_batch: lines copied out of the reader's buffer, so that another thread can parse them
// (stream_stats --threads N).
//
//   stream_stats::line_batch batch;
//   batch.columns = columns;                       // null: one number per line
//   batch.add({7, "north,18.5"});                  // copies the text
//   std::vector<stream_stats::record> records = stream_stats::parse_batch(std::move(batch));
//
// Semantics: parse_batch returns the batch's `parsed` records first (the lines read before the
//   columns were known, parsed on the reading thread), then one record per line, in order,
//   exactly as parse_records would make them once the columns are known.
// Cost: one copy of each line's bytes into the batch; the batch's buffers are its own, so a
//   batch outlives the reader's block it came from.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tools/stream_stats/records.hpp"

namespace stream_stats {

/// line_batch is a run of consecutive lines that owns its text.
struct line_batch {
  std::vector<record> parsed;                       // records made before the lines below
  std::shared_ptr<const resolved_columns> columns;  // null: each line is one number
  std::string text;                                 // the lines' bytes, back to back
  struct span {
    std::uint64_t number;
    std::size_t offset;
    std::size_t size;
  };
  std::vector<span> lines;

  void add(const input_line& line) {
    lines.push_back({line.number, text.size(), line.text.size()});
    text.append(line.text);
  }
  [[nodiscard]] bool empty() const noexcept { return parsed.empty() && lines.empty(); }
};

/// parse_batch parses a batch's lines (see above).
std::vector<record> parse_batch(line_batch batch);

}  // namespace stream_stats
