#include "tools/stream_stats/blocks.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>
#include <utility>

namespace stream_stats {

namespace {

constexpr std::size_t first_block_size = 4096;

}  // namespace

std::string buffer_pool::take_text() {
  const std::lock_guard lock(mutex_);
  if (texts_.empty()) return {};
  std::string text = std::move(texts_.back());
  texts_.pop_back();
  return text;
}

void buffer_pool::give(std::string&& text) {
  text.clear();
  const std::lock_guard lock(mutex_);
  if (texts_.size() < max_kept) texts_.push_back(std::move(text));
}

sample_batch buffer_pool::take_batch() {
  const std::lock_guard lock(mutex_);
  if (batches_.empty()) return {};
  sample_batch batch = std::move(batches_.back());
  batches_.pop_back();
  return batch;
}

void buffer_pool::give(sample_batch&& batch) {
  batch.values.clear();
  batch.keys.clear();
  batch.key_ends.clear();
  batch.bad.clear();
  batch.columns = 1;
  batch.lines = 0;
  batch.failure.reset();
  batch.pool.reset();
  const std::lock_guard lock(mutex_);
  if (batches_.size() < max_kept) batches_.push_back(std::move(batch));
}

coflow::generator<line_block> read_blocks(std::istream& in, std::uint64_t* bytes_read,
                                          std::size_t block_size,
                                          std::shared_ptr<buffer_pool> pool) {
  // buffer holds the bytes read and not yet yielded: a line left over from the last block, then
  // what was read after it. The blocks start small and double up to block_size, so that a run
  // that stops early (its output closed, say) has read little more than it used; a line longer
  // than the buffer doubles it too, so that any line fits.
  block_size = std::max<std::size_t>(block_size, 1);
  std::size_t capacity = std::min(block_size, first_block_size);
  std::string buffer;
  bool stream_start = true;
  for (;;) {
    if (buffer.size() == capacity || capacity < block_size) capacity *= 2;
    const std::size_t end = buffer.size();
    buffer.resize(capacity);
    // As read_lines: what the stream has at hand, and when it has nothing, whatever comes next
    // (never a read that waits for a whole block, so lines from a pipe come as they arrive).
    char* const into = buffer.data() + end;
    const auto room = static_cast<std::streamsize>(capacity - end);
    errno = 0;
    std::streamsize got = in.readsome(into, room);
    if (got == 0 && in && in.peek() != std::istream::traits_type::eof()) {
      got = in.readsome(into, room);
    }
    buffer.resize(end + static_cast<std::size_t>(got));
    if (bytes_read != nullptr) *bytes_read += static_cast<std::uint64_t>(got);
    if (in.bad()) {
      // The lines read whole before the failure still count; a line cut by it does not.
      const int read_errno = errno;
      const std::size_t last = buffer.rfind('\n');
      buffer.resize(last == std::string::npos ? 0 : last + 1);
      line_block block;
      block.text = std::move(buffer);
      block.stream_start = stream_start;
      block.failure = read_errno != 0 ? std::strerror(read_errno) : "";
      block.pool = pool;
      co_yield std::move(block);
      co_return;
    }
    if (!in || in.eof()) {
      // The last line need not end with a line end.
      if (!buffer.empty()) {
        line_block block;
        block.text = std::move(buffer);
        block.stream_start = stream_start;
        block.pool = pool;
        co_yield std::move(block);
      }
      co_return;
    }
    const std::size_t last = buffer.rfind('\n');
    if (last == std::string::npos) continue;
    // The whole lines go; the part of a line after them stays for the next block.
    std::string rest = pool ? pool->take_text() : std::string();
    rest.reserve(capacity);
    rest.assign(buffer, last + 1);
    buffer.resize(last + 1);
    line_block block;
    block.text = std::move(buffer);
    block.stream_start = stream_start;
    stream_start = false;
    block.pool = pool;
    buffer = std::move(rest);
    co_yield std::move(block);
  }
}

sample_batch parse_block(line_block block) {
  sample_batch batch = block.pool ? block.pool->take_batch() : sample_batch();
  batch.pool = block.pool;
  const resolved_columns* columns = block.columns.get();
  if (columns != nullptr) batch.columns = std::max<std::size_t>(columns->values.size(), 1);
  const bool keyed = columns != nullptr && !columns->keys.empty();
  // The records parsed before (the first lines, while the columns were found).
  for (record& r : block.parsed) {
    if (auto* s = std::get_if<sample>(&r)) {
      batch.values.insert(batch.values.end(), s->values.begin(), s->values.end());
      if (keyed) {
        for (const std::string& field : s->key) append_key_field(batch.keys, field);
        batch.key_ends.push_back(batch.keys.size());
      }
    } else {
      batch.bad.push_back(std::get<malformed>(std::move(r)));
    }
  }
  batch.lines = block.parsed_lines;

  // A line of a few bytes each, at most: a guess that spares most reallocations.
  batch.values.reserve(batch.values.size() + block.text.size() / 8 * batch.columns);
  std::vector<csv_field> fields;
  const simple_csv_rows simple_rows =
      columns != nullptr ? simple_csv_rows(*columns) : simple_csv_rows(resolved_columns{});
  std::uint64_t number = batch.lines;
  each_line(block.text, block.stream_start, [&](std::string_view text, std::size_t) {
    const input_line line{++number, text};
    std::optional<malformed> bad;
    if (columns == nullptr) {
      double value;
      if (read_simple_number(text, value)) {
        batch.values.push_back(value);
        return true;
      }
      bad = parse_plain_into(line, batch.values);
    } else {
      if (simple_rows.read(text, batch.values, batch.keys)) {
        if (keyed) batch.key_ends.push_back(batch.keys.size());
        return true;
      }
      const std::size_t key_begin = batch.keys.size();
      bad = parse_csv_into(line, *columns, fields, batch.values, batch.keys);
      if (bad) {
        batch.keys.resize(key_begin);
      } else if (keyed) {
        batch.key_ends.push_back(batch.keys.size());
      }
    }
    if (bad) batch.bad.push_back(std::move(*bad));
    return true;
  });
  batch.lines = number;
  batch.failure = std::move(block.failure);
  if (block.pool) block.pool->give(std::move(block.text));
  return batch;
}

}  // namespace stream_stats
