// tools/stream_stats/batch_statistics.hpp
//
// The statistics of stream_stats' main path as one node: it takes parsed blocks (sample_batch)
// in input order and keeps the overall statistics, each --by key's, the --every rows, the
// progress line and the malformed lines, a batch at a time.
//
//   stream_stats::batch_statistics stats(config, 1, 0, 0, &writer, nullptr, "data.txt", 5);
//   for (stream_stats::line_block& block : stream_stats::read_blocks(file)) {
//     stats.add(stream_stats::parse_block(std::move(block)));
//   }
//   std::vector<stream_stats::summary> totals = stats.overall().result();
//
// Semantics: the same as the per-line pipeline's sinks (stream_stats.hpp), value for value and
//   bit for bit: the values reach each statistic in input order, an --every row is written after
//   every `every`-th value and the progress line hears of every 65536th, the malformed lines are
//   numbered from the stream's first line (the batches' lines, counted), the first
//   `shown` of them kept. A batch that carries a read error ends the input: its reason
//   is kept as read_lines states it ("NAME: read error after line N: reason").
// Cost: per batch, a loop over its values per column; with --by one key_table lookup per
//   sample, of the key's bytes where the block holds them; take_groups sorts the keys once.
// Exceptions: what the writer throws (output_error), and what allocation throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tools/stream_stats/blocks.hpp"
#include "tools/stream_stats/key_table.hpp"
#include "tools/stream_stats/progress.hpp"
#include "tools/stream_stats/report.hpp"
#include "tools/stream_stats/statistics.hpp"

namespace stream_stats {

/// batch_statistics is the fused statistics node of the batched path (see above).
class batch_statistics {
 public:
  /// `key_columns` is the number of --by columns (0: no keys); `writer` receives the --every
  /// rows (every 0: none); `ticks`, if not null, the progress; `name` names the input in a read
  /// error; the first `shown` malformed lines are kept.
  batch_statistics(const std::shared_ptr<const statistics_config>& config, std::size_t columns,
                   std::size_t key_columns, std::uint64_t every, report_writer* writer,
                   progress* ticks, std::string name, std::size_t shown);

  /// add takes the next batch.
  void add(sample_batch&& batch);

  [[nodiscard]] const row_statistics& overall() const noexcept { return overall_; }
  [[nodiscard]] std::uint64_t malformed_count() const noexcept { return malformed_count_; }
  /// take_first_malformed returns the first `shown` malformed lines, in line order.
  [[nodiscard]] std::vector<malformed> take_first_malformed() { return std::move(first_bad_); }
  /// read_error is why the input ended early, or empty.
  [[nodiscard]] const std::string& read_error() const noexcept { return read_error_; }
  /// take_groups returns each key's statistics in key order, freeing each key's state as its
  /// row is made (a million keys are hundreds of MiB).
  std::vector<group_row> take_groups();

 private:
  std::size_t key_columns_;
  std::uint64_t every_;
  report_writer* writer_;
  progress* ticks_;
  std::string name_;
  std::size_t shown_;
  row_statistics overall_;
  row_statistics empty_;  // a new key's first state
  // Looked up by a view of the batch's key: no string is made but for a new key.
  key_table<row_statistics> groups_;
  std::uint64_t lines_ = 0;  // lines of the batches taken so far
  std::uint64_t malformed_count_ = 0;
  std::vector<malformed> first_bad_;
  std::string read_error_;
};

}  // namespace stream_stats
