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
  batch.bad.clear();
  batch.columns = 1;
  batch.lines = 0;
  batch.failure.reset();
  batch.pool.reset();
  const std::lock_guard lock(mutex_);
  if (texts_.size() < max_kept) texts_.push_back(std::move(batch.text));
  if (batches_.size() < max_kept) batches_.push_back(std::move(batch));
}

coflow::generator<line_block> read_blocks(std::istream& in, std::uint64_t* bytes_read,
                                          std::size_t block_size,
                                          std::shared_ptr<buffer_pool> pool) {
  // buffer[0, held) holds the bytes read and not yet yielded: a line left over from the last
  // block, then what was read after it; the rest of buffer is room to read into. The blocks
  // start small and double up to block_size, so that a run that stops early (its output closed,
  // say) has read little more than it used; a line longer than the buffer doubles it too, so
  // that any line fits. A buffer keeps its size between uses (the pool's buffers come back
  // with theirs), so that making room fills only bytes that were never room before: a
  // std::string cannot grow without writing its new bytes.
  block_size = std::max<std::size_t>(block_size, 1);
  std::size_t capacity = std::min(block_size, first_block_size);
  std::string buffer;
  std::size_t held = 0;
  bool stream_start = true;
  const auto yield_held = [&](std::size_t size) {
    buffer.resize(size);
    line_block block;
    block.text = std::move(buffer);
    block.stream_start = stream_start;
    block.pool = pool;
    return block;
  };
  for (;;) {
    if (held == capacity || capacity < block_size) capacity *= 2;
    if (buffer.size() < capacity) buffer.resize(capacity);
    // As read_lines: what the stream has at hand, and when it has nothing, whatever comes next
    // (never a read that waits for a whole block, so lines from a pipe come as they arrive).
    char* const into = buffer.data() + held;
    const auto room = static_cast<std::streamsize>(capacity - held);
    errno = 0;
    std::streamsize got = in.readsome(into, room);
    if (got == 0 && in && in.peek() != std::istream::traits_type::eof()) {
      got = in.readsome(into, room);
    }
    held += static_cast<std::size_t>(got);
    if (bytes_read != nullptr) *bytes_read += static_cast<std::uint64_t>(got);
    const std::size_t last = std::string_view(buffer.data(), held).rfind('\n');
    if (in.bad()) {
      // The lines read whole before the failure still count; a line cut by it does not.
      const int read_errno = errno;
      line_block block = yield_held(last == std::string_view::npos ? 0 : last + 1);
      block.failure = read_errno != 0 ? std::strerror(read_errno) : "";
      co_yield std::move(block);
      co_return;
    }
    if (!in || in.eof()) {
      // The last line need not end with a line end.
      if (held != 0) co_yield yield_held(held);
      co_return;
    }
    if (last == std::string_view::npos) continue;
    // The whole lines go; the part of a line after them stays for the next block.
    std::string rest = pool ? pool->take_text() : std::string();
    const std::size_t kept = held - (last + 1);
    if (rest.size() < capacity) rest.resize(capacity);
    std::memcpy(rest.data(), buffer.data() + last + 1, kept);
    line_block block = yield_held(last + 1);
    stream_start = false;
    buffer = std::move(rest);
    held = kept;
    co_yield std::move(block);
  }
}

sample_key key_fields(std::string_view key, std::size_t key_columns) {
  if (key_columns == 1) return sample_key{std::string(key)};
  return decode_key(key);
}

sample_batch parse_block(line_block block) {
  sample_batch batch = block.pool ? block.pool->take_batch() : sample_batch();
  batch.pool = block.pool;
  const resolved_columns* columns = block.columns.get();
  if (columns != nullptr) batch.columns = std::max<std::size_t>(columns->values.size(), 1);
  const std::size_t key_columns = columns != nullptr ? columns->keys.size() : 0;
  const std::string_view text = block.text;
  const char* const end = text.data() + text.size();
  // Keys that are no bytes of a line, to follow the lines in the batch's text.
  std::string made_keys;
  auto add_key_of_line = [&](std::string_view key) {
    batch.keys.push_back({static_cast<std::size_t>(key.data() - text.data()), key.size()});
  };
  auto add_made_key = [&](std::size_t begin) {
    batch.keys.push_back({text.size() + begin, made_keys.size() - begin});
  };

  // The records parsed before (the first lines, while the columns were found).
  for (record& r : block.parsed) {
    if (auto* s = std::get_if<sample>(&r)) {
      batch.values.insert(batch.values.end(), s->values.begin(), s->values.end());
      if (key_columns != 0) {
        const std::size_t begin = made_keys.size();
        if (key_columns == 1) {
          made_keys += s->key.front();
        } else {
          for (const std::string& field : s->key) append_key_field(made_keys, field);
        }
        add_made_key(begin);
      }
    } else {
      batch.bad.push_back(std::get<malformed>(std::move(r)));
    }
  }
  batch.lines = block.parsed_lines;

  // A line of a few bytes each, at most: a guess that spares most reallocations.
  batch.values.reserve(batch.values.size() + text.size() / 8 * batch.columns);
  if (key_columns != 0) batch.keys.reserve(batch.keys.size() + text.size() / 8);
  std::vector<csv_field> fields;
  std::string scratch;
  const simple_csv_rows simple_rows =
      columns != nullptr ? simple_csv_rows(*columns) : simple_csv_rows::plain_lines();
  std::uint64_t number = batch.lines;
  // A line that simple_rows leaves, found as each_line finds it: the line ends at "\n" (or the
  // text's end), without a "\r" before it, and the stream's first line without a byte order mark.
  auto general_line = [&](const char* p, bool stream_first) {
    const void* newline = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
    const char* const line_end = newline != nullptr ? static_cast<const char*>(newline) : end;
    std::string_view line_text(p, static_cast<std::size_t>(line_end - p));
    if (!line_text.empty() && line_text.back() == '\r') line_text.remove_suffix(1);
    if (stream_first && line_text.starts_with("\xEF\xBB\xBF")) line_text.remove_prefix(3);
    const input_line line{number, line_text};
    std::optional<malformed> bad;
    if (columns == nullptr) {
      double value;
      if (read_simple_number(line_text, value)) {
        batch.values.push_back(value);
      } else {
        bad = parse_plain_into(line, batch.values);
      }
    } else {
      bad = parse_csv_into(line, *columns, fields, batch.values);
      if (!bad && key_columns == 1) {
        const std::string_view key = key_text(fields[columns->keys.front()], scratch);
        if (key.data() == scratch.data()) {
          const std::size_t begin = made_keys.size();
          made_keys += key;
          add_made_key(begin);
        } else {
          add_key_of_line(key);
        }
      } else if (!bad && key_columns > 1) {
        const std::size_t begin = made_keys.size();
        for (std::size_t index : columns->keys) {
          append_key_field(made_keys, key_text(fields[index], scratch));
        }
        add_made_key(begin);
      }
    }
    if (bad) batch.bad.push_back(std::move(*bad));
    return newline != nullptr ? line_end + 1 : line_end;
  };

  const char* p = text.data();
  if (block.stream_start && p != end) {
    ++number;
    p = general_line(p, true);
  }
  auto parse_rows = [&]<bool EndsInNewline>() {
    std::string_view key;
    while (p != end) {
      ++number;
      if (const char* next = simple_rows.read<EndsInNewline>(p, end, batch.values, key)) {
        if (key_columns != 0) add_key_of_line(key);
        p = next;
      } else {
        p = general_line(p, false);
      }
    }
  };
  // Every block but a stream's last ends with a line end, where every scan stops.
  if (p != end && end[-1] == '\n') {
    parse_rows.operator()<true>();
  } else {
    parse_rows.operator()<false>();
  }
  batch.lines = number;
  batch.failure = std::move(block.failure);
  batch.text = std::move(block.text);
  batch.text += made_keys;
  return batch;
}

}  // namespace stream_stats
