// tools/stream_stats/blocks.hpp
//
// stream_stats' main path: input read in blocks of whole lines, each block parsed at once into a
// sample_batch (values in one contiguous vector), so that the pipeline's cost is per block, not
// per line, and a block can be parsed on any thread.
//
//   std::ifstream file("readings.csv");
//   for (stream_stats::line_block& block : stream_stats::read_blocks(file)) {
//     block.columns = columns;  // null: one number per line
//     stream_stats::sample_batch batch = stream_stats::parse_block(std::move(block));
//     // batch.values: row after row of batch.columns values; batch.bad: the malformed lines
//   }
//
// Semantics: the lines, their text and their records are exactly read_lines' and
//   parse_records' once the columns are known (a "\r" before the "\n" or at the end of a last
//   line without one is no part of the line, a byte order mark at the start of the stream is
//   skipped, a last line without "\n" is a line). A block holds only whole lines, except the
//   last block of a stream, whose last line may lack its "\n". A line longer than a block makes
//   its block as long as the line.
// Line numbers: a block does not know where it starts (finding that would take a pass over its
//   bytes on the reading thread); a batch numbers its malformed lines from 1 within the block
//   and says how many lines it held, so that whoever takes the batches in order numbers them.
// Read errors: when the stream fails, read_blocks yields the whole lines read before the failure,
//   then a last block whose `failure` holds the reason (strerror's text, or empty); a line cut
//   by the failure is dropped. Nothing is thrown, so that what was read is still counted.
// Lifetime: a batch owns its block's bytes, and its --by keys are spans of them (offsets, not
//   pointers, so that moving the batch, to another thread under --threads, moves its keys
//   along); the bytes go back to the pool with the batch.
// Cost: one copy of each byte, from the stream into its block, and none of a key's: the
//   common row (simple_csv_rows) is read in one pass, its key, its number and its line end at
//   once; in stream_stats by 1000 keys a row costs about 560 instructions where it cost 846
//   with each key copied into the batch and each line found, split and read in three passes
//   (callgrind). Parsing allocates only the batch's vectors (none once a pool has buffers to
//   give) and the malformed lines' text.
// Exceptions: what allocation throws; a malformed line is a record, never an exception.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <istream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/ranges/generator.hpp"
#include "tools/stream_stats/records.hpp"

namespace stream_stats {

class buffer_pool;

/// line_block is a run of whole lines of a stream, owning its bytes.
struct line_block {
  std::string text;                                 // lines, each ending in "\n" but maybe the last
  bool stream_start = false;                        // its first line is the stream's first
  std::optional<std::string> failure;               // set on the block after a read error
  std::shared_ptr<const resolved_columns> columns;  // null: each line is one number
  std::vector<record> parsed;                       // records made before the lines in `text`
  std::uint64_t parsed_lines = 0;                   // how many lines `parsed` came from
  std::shared_ptr<buffer_pool> pool;                // where its buffers go when used, if any
};

/// key_span is where a sample's --by key lies in its batch's `text`.
struct key_span {
  std::size_t offset = 0;
  std::size_t size = 0;
};

/// sample_batch is a parsed block: its samples' values (row after row, `columns` values each),
/// their --by keys (one per sample, or none without --by), and its malformed lines. It owns the
/// block's bytes, so that a key is where the line holds it, not a copy: the batch can go to
/// another thread and its keys with it. A key is its field's value with one --by column, and
/// append_key_field's fields with several; the bytes of a key that is no bytes of a line (a
/// field with doubled quotes undone, several fields, a sample parsed before the block) follow
/// the lines in `text`.
struct sample_batch {
  std::size_t columns = 1;
  std::vector<double> values;
  std::string text;                    // the block's lines, then the keys made apart from them
  std::vector<key_span> keys;          // with --by, one per sample
  std::vector<malformed> bad;          // `line` counts from 1 at the block's first line
  std::uint64_t lines = 0;             // how many lines the block held
  std::optional<std::string> failure;  // the block's read error, if any
  std::shared_ptr<buffer_pool> pool;   // where its buffers go when used, if any

  [[nodiscard]] std::size_t rows() const noexcept { return values.size() / columns; }
  /// key returns sample r's key.
  [[nodiscard]] std::string_view key(std::size_t r) const noexcept {
    return std::string_view(text.data() + keys[r].offset, keys[r].size);
  }
};

/// key_fields returns the fields of a batch's key, made with `key_columns` --by columns.
sample_key key_fields(std::string_view key, std::size_t key_columns);

/// buffer_pool keeps the buffers of blocks and batches that were used, for the next ones: a
/// steady stream reuses a few buffers, warm in the cache, where new ones would cost a page fault
/// per 4 KiB. It is shared by the reader, the parsers and the statistics, on any threads (a lock
/// per block). It keeps at most `max_kept` buffers of each kind.
class buffer_pool {
 public:
  static constexpr std::size_t max_kept = 16;

  /// take_text returns a string given back, with the size it had (its bytes are stale: room
  /// for read_blocks to read into without filling it first), or an empty one.
  std::string take_text();
  void give(std::string&& text);
  /// take_batch returns an empty batch, with the capacity of one given back if there is one.
  sample_batch take_batch();
  /// give(batch) keeps the batch's vectors, and its text as a block's buffer.
  void give(sample_batch&& batch);

 private:
  std::mutex mutex_;
  std::vector<std::string> texts_;
  std::vector<sample_batch> batches_;
};

/// read_blocks(in, bytes_read, block_size) yields `in` in blocks of whole lines (see above).
/// `in` must outlive the generator. It reads what the stream has at hand, up to `block_size`
/// bytes at a time, and yields the whole lines read at once: lines from a pipe are handled as
/// they come. `*bytes_read` (when not null) counts the bytes read so far. With a `pool`, the
/// blocks' buffers come from it, and the blocks carry it to parse_block.
coflow::generator<line_block> read_blocks(std::istream& in, std::uint64_t* bytes_read = nullptr,
                                          std::size_t block_size = std::size_t{1} << 18,
                                          std::shared_ptr<buffer_pool> pool = nullptr);

/// parse_block parses a block: first its `parsed` records, then each line of `text` as
/// parse_csv_line (with `columns`) or parse_plain_line (without) would, the common rows in one
/// pass (simple_csv_rows). The batch comes from the block's pool and takes the block's text;
/// both go back to the pool when the batch is given back.
sample_batch parse_block(line_block block);

/// each_line calls f(line, rest) for each line of `text` (a block's), in order, with the line
/// ends, "\r" and byte order mark handled as above; `rest` is the offset just past the line's
/// "\n". It stops early when f returns false, and returns how many lines f was called with.
template <class F>
std::uint64_t each_line(std::string_view text, bool stream_start, F&& f) {
  std::uint64_t lines = 0;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const void* newline = std::memchr(text.data() + begin, '\n', text.size() - begin);
    const std::size_t end =
        newline != nullptr
            ? static_cast<std::size_t>(static_cast<const char*>(newline) - text.data())
            : text.size();
    std::string_view line = text.substr(begin, end - begin);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (stream_start && lines == 0 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    begin = newline != nullptr ? end + 1 : end;
    ++lines;
    if (!f(line, begin)) break;
  }
  return lines;
}

}  // namespace stream_stats
