#include "tools/stream_stats/batch_statistics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace stream_stats {

namespace {

// The per-line pipeline reports progress every 64Ki values; so does a batch.
constexpr std::uint64_t progress_every = 65536;

}  // namespace

batch_statistics::batch_statistics(const std::shared_ptr<const statistics_config>& config,
                                   std::size_t columns, std::size_t key_columns,
                                   std::uint64_t every, report_writer* writer, progress* ticks,
                                   std::string name, std::size_t shown)
    : key_columns_(key_columns),
      every_(every),
      writer_(writer),
      ticks_(ticks),
      name_(std::move(name)),
      shown_(shown),
      overall_(config, columns),
      empty_(config, columns) {}

void batch_statistics::add(sample_batch&& batch) {
  const std::size_t rows = batch.rows();
  const double* values = batch.values.data();
  if (key_columns_ != 0) {
    for (std::size_t r = 0; r < rows; ++r) {
      groups_.find_or_add(batch.key(r), empty_).add_row(values + r * batch.columns, batch.columns);
    }
  }
  // The overall statistics a run of values at a time, each run ending where an --every row or
  // a progress update is due.
  for (std::size_t done = 0; done < rows;) {
    const std::uint64_t count = overall_.count();
    std::uint64_t run = rows - done;
    if (every_ != 0) run = std::min(run, every_ - count % every_);
    if (ticks_ != nullptr) run = std::min(run, progress_every - count % progress_every);
    overall_.add_rows(values + done * batch.columns, run, batch.columns);
    done += run;
    const std::uint64_t now = count + run;
    if (every_ != 0 && now % every_ == 0) {
      // The progress line and the rows may share a terminal: clear it before a row.
      if (ticks_ != nullptr) ticks_->clear();
      writer_->running(overall_.result());
    }
    if (ticks_ != nullptr && now % progress_every == 0) ticks_->update(now);
  }
  malformed_count_ += batch.bad.size();
  for (malformed& bad : batch.bad) {
    if (first_bad_.size() == shown_) break;
    bad.line += lines_;
    first_bad_.push_back(std::move(bad));
  }
  lines_ += batch.lines;
  if (batch.failure) {
    read_error_ = fmt::format("{}: read error after line {}{}", name_, lines_,
                              batch.failure->empty() ? "" : ": " + *batch.failure);
  }
  if (batch.pool) {
    const std::shared_ptr<buffer_pool> pool = std::move(batch.pool);
    pool->give(std::move(batch));
  }
}

std::vector<group_row> batch_statistics::take_groups() {
  // In the order of the keys' fields, as group_by's std::map of sample_keys has them.
  auto& entries = groups_.entries();
  std::vector<std::pair<sample_key, std::size_t>> order;
  order.reserve(entries.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    order.emplace_back(key_fields(entries[i].key, key_columns_), i);
  }
  std::sort(order.begin(), order.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<group_row> rows;
  rows.reserve(order.size());
  for (auto& [fields, i] : order) {
    row_statistics& statistics = entries[i].value;
    rows.push_back(
        {{std::make_move_iterator(fields.begin()), std::make_move_iterator(fields.end())},
         statistics.result()});
    statistics = row_statistics();  // its memory goes now, not with the whole table
    std::string().swap(entries[i].key);
  }
  groups_.clear();
  return rows;
}

}  // namespace stream_stats
