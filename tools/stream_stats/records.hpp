// tools/stream_stats/records.hpp
//
// From lines of text to records: the first stage of stream_stats' pipeline.
//
//   stream_stats::reader_config config{{stream_stats::parse_column_spec("reading", "--column")},
//                                      {stream_stats::parse_column_spec("sensor", "--by")}};
//   stream_stats::header_info header;
//   auto records = coflow::run(lines, stream_stats::parse_records(config, &header) |
//                                         coflow::sinks::to_vector());
//   // "sensor,reading" / "north,21.5" / "south,oops"  ->
//   //   sample{{21.5}, {"north"}}, malformed{3, "reading is not a number", "south,oops"}
//
// Semantics: each line becomes one record: a sample (the number, and its key with --by) or a
//   malformed line (its number, why, and its text), so that bad input is reported and never
//   dropped. Without a value column a line is one number. With value columns, lines are CSV
//   (fields split on the delimiter): a line is a sample when every value column (and the time
//   column) holds a number, else malformed, naming the first column that does not. A column
//   chosen by name makes the first line the header; with columns chosen by number, the first
//   line is taken as a header when its first value field is not a number while the next line's
//   is.
//   A header outputs no record. Blank lines before it are malformed ("empty line") like blank
//   lines anywhere, and the header is the first line after them.
// Exceptions: input_error for a column name that the header lacks, or a column number beyond
//   the first line's fields, naming the option (--column, --by, --time-column); the pipeline then
//   stops and the error reaches the caller of run().
// Lifetime: a line's text is read before the next line is taken, never kept; records own
//   their strings.
// Cost: a line of up to four values and two key fields allocates nothing beyond the key
//   strings' own (none for keys of up to 15 bytes).
#pragma once

#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "pipeline/coroutine.hpp"
#include "tools/stream_stats/parse.hpp"

namespace stream_stats {

/// input_line is one line of input: its 1-based number and its text (without the newline),
/// valid until the source reads the next line.
struct input_line {
  std::uint64_t number = 0;
  std::string_view text;
};

/// sample_values are a line's values, one per value column; the first four are held in place,
/// so that a line allocates nothing (boost's small_vector: a vector with a small buffer).
using sample_values = boost::container::small_vector<double, 4>;

/// sample_key are the fields of a line's --by key; the first two are held in place.
using sample_key = boost::container::small_vector<std::string, 2>;

/// sample is what a line holds: a value per --column (one without --column), the fields of its
/// --by key (none without --by), and with --time-column its time in seconds.
struct sample {
  sample_values values;
  sample_key key;
  double time = 0;

  sample() = default;
  sample(sample_values values_in, sample_key key_in = {}, double time_in = 0)
      : values(std::move(values_in)), key(std::move(key_in)), time(time_in) {}
  sample(const sample&) = default;
  sample& operator=(const sample&) = default;
  sample& operator=(sample&&) = default;
  /// The move that every line's sample takes on its way to the statistics (into its record,
  /// out of it), made cheap for the common sample, one value and no key: boost's small_vector
  /// moves its in-place elements through a generic loop, even none of them, which costs about
  /// as much as parsing the number.
  sample(sample&& other) : time(other.time) {
    if (other.values.size() == 1) {
      values.push_back(other.values.front());
    } else {
      values = std::move(other.values);
    }
    if (!other.key.empty()) key = std::move(other.key);
  }

  friend bool operator==(const sample&, const sample&) = default;
};

/// malformed is a line that gave no value: its number, why, and its text.
struct malformed {
  std::uint64_t line = 0;
  std::string reason;
  std::string text;

  friend bool operator==(const malformed&, const malformed&) = default;
};

/// record is what the parsing stage outputs for each line.
using record = std::variant<sample, malformed>;

/// reader_config says how to read a line: one number, or CSV columns.
struct reader_config {
  std::vector<column_spec> value_columns;  // empty: one number per line
  std::vector<column_spec> key_columns;    // --by; needs value_columns
  std::optional<column_spec> time_column;  // --time-column; needs value_columns
  char delimiter = ',';                    // --delimiter
};

/// header_info is what parse_records learned about the columns, for the report's labels.
struct header_info {
  bool has_header = false;
  std::vector<std::string> value_labels;  // the header's names of the value columns, or "column N"
  std::vector<std::string> key_labels;    // the same for the key columns (none without --by)
};

/// resolved_columns are the CSV columns as found in the first line (or the header): where each
/// value, key and time column is, and how each is named in messages.
struct resolved_columns {
  std::vector<std::size_t> values;
  std::vector<std::size_t> keys;
  std::optional<std::size_t> time;
  std::vector<std::string> value_labels;
  std::vector<std::string> key_labels;
  std::string time_label;
  char delimiter = ',';
};

/// parse_records(config, header, found) is the coroutine stage that turns lines into records
/// (see above). `header`, if not null, is filled in once the first line was read and must outlive
/// the stage. `found`, if not null, receives the columns once they are known (CSV lines only):
/// from then on each line's record is parse_csv_line(line, **found, ...), so that later lines
/// can be parsed elsewhere, on other threads.
coflow::coroutine<input_line, record> parse_records(
    reader_config config, header_info* header, std::optional<resolved_columns>* found = nullptr);

/// parse_csv_line reads a CSV line once the columns are known; `fields` is scratch space.
record parse_csv_line(const input_line& line, const resolved_columns& columns,
                      std::vector<csv_field>& fields);

/// parse_csv_into is parse_csv_line for a batch: a sample's values are appended to `values`
/// (its time is checked, not kept), and `fields` keeps the line's fields, among them its key
/// fields (see key_text); a malformed line is returned, with `values` as it was.
std::optional<malformed> parse_csv_into(const input_line& line, const resolved_columns& columns,
                                        std::vector<csv_field>& fields,
                                        std::vector<double>& values);

/// key_text returns a --by field's value, unquote's: a view of the field's own bytes (trimmed,
/// or inside its quotes) wherever it is one, so that a batch's key needs no copy; only a quoted
/// field with doubled quotes is unquoted into `scratch`, and the view is of `scratch` then.
std::string_view key_text(const csv_field& field, std::string& scratch);

/// append_key_field appends one field of a --by key to `key`, its bytes after their count: a
/// key of several fields is then one string, hashed and compared as such, that decode_key turns
/// back into the fields.
void append_key_field(std::string& key, std::string_view field);

/// simple_csv_rows reads the common row of a block in one pass over its bytes, finding the
/// fields, the number and the line's end at once, without a field vector or a second scan:
/// with one value column, at most one key column and no time column (or, from plain_lines(),
/// lines of one number), a row whose fields up to the last of those two start with neither a
/// blank nor a quote, whose value field is a short decimal (scan_short_decimal) and whose key
/// field has no blank at either end. For such a row, `read` appends the value to `values`, sets
/// `key` to the key field (a view of the block's bytes), exactly as parse_csv_into and key_text
/// (or parse_plain_into) read them, and returns where the next line starts. For every other row
/// it returns null, having changed nothing: that row then takes the general path, each_line's
/// line and parse_csv_into's fields (quotes, blanks, missing fields, other numbers, malformed
/// lines). A byte order mark is each_line's to skip: a stream's first line takes the general
/// path.
class simple_csv_rows {
 public:
  explicit simple_csv_rows(const resolved_columns& columns) noexcept;

  /// plain_lines reads lines that hold one number each, as parse_plain_into does.
  static simple_csv_rows plain_lines() noexcept;

  /// applies is whether the columns have the shape `read` reads; if not, `read` is never true.
  [[nodiscard]] bool applies() const noexcept { return applies_; }

  /// read reads the row that starts at `p`, in a block whose bytes end at `end` (see above).
  /// With EndsInNewline the caller knows that end[-1] is '\n' (every block but a stream's last
  /// has that form): every line then ends before `end`, and no scan needs to test for it.
  /// Always inlined: called once a row, its call and saved registers cost about 30 of the
  /// row's 200 instructions.
  template <bool EndsInNewline = false>
  [[gnu::always_inline]] const char* read(const char* p, const char* const end,
                                          std::vector<double>& values,
                                          std::string_view& key) const {
    if (!applies_) return nullptr;
    const auto more = [end](const char* q) { return EndsInNewline || q != end; };
    std::string_view key_field;
    double value = 0;
    for (std::size_t i = 0;; ++i) {
      const char* const start = p;
      if (i == value_) {
        // A quote or a blank first (a quoted field, split_csv's case) is no short decimal.
        p = scan_short_decimal<EndsInNewline>(p, end, value);
        if (p == nullptr) return nullptr;
      } else {
        // A quote, maybe after blanks, makes a quoted field (split_csv's case).
        if (more(p) && (*p == '"' || *p == ' ' || *p == '\t')) return nullptr;
        p = field_end<EndsInNewline>(p, end);
      }
      if (i == key_) key_field = std::string_view(start, static_cast<std::size_t>(p - start));
      if (i == last_) break;
      if (!more(p) || *p != delimiter_) return nullptr;  // too few fields, or "2.5e3", "2x"
      ++p;
    }
    // Where the row ends: at its line's end, or after its last field needed, the rest unread.
    const char* next;
    bool line_ends = true;
    if (!more(p)) {
      next = end;
    } else if (*p == '\n') {
      next = p + 1;
    } else if (*p == delimiter_) {
      line_ends = false;
      const void* newline = std::memchr(p, '\n', static_cast<std::size_t>(end - p));
      next = newline != nullptr ? static_cast<const char*>(newline) + 1 : end;
    } else if (*p == '\r' && (!more(p + 1) || p[1] == '\n')) {
      next = more(p + 1) ? p + 2 : end;  // a number, then "\r\n": the "\r" is no part of it
    } else {
      return nullptr;  // the number goes on: "2.5e3", "2x", "1.2.3"
    }
    if (keyed_) {
      // A key that ends the line: each_line drops a "\r" before the "\n".
      if (key_ == last_ && line_ends && !key_field.empty() && key_field.back() == '\r') {
        key_field.remove_suffix(1);
      }
      if (!key_field.empty() &&
          (is_blank_byte(key_field.front()) || is_blank_byte(key_field.back()))) {
        return nullptr;  // parse_csv_into trims them
      }
    }
    values.push_back(value);
    key = key_field;
    return next;
  }

 private:
  // The first delimiter or '\n' from `p` on (or `end`).
  template <bool EndsInNewline>
  const char* field_end(const char* p, const char* const end) const noexcept {
    const auto more = [end](const char* q) { return EndsInNewline || q != end; };
    while (more(p) && *p != delimiter_ && *p != '\n') ++p;
    return p;
  }

  static constexpr bool is_blank_byte(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
  }

  simple_csv_rows() = default;

  std::size_t value_ = 0;
  std::size_t key_ = 0;
  std::size_t last_ = 0;  // the larger of the two
  char delimiter_ = ',';
  bool keyed_ = false;
  bool applies_ = false;
};

/// decode_key returns the fields of a key made by append_key_field.
sample_key decode_key(std::string_view key);

/// parse_plain_into is parse_plain_line for a batch: the value appended to `values`, or the
/// malformed line returned.
std::optional<malformed> parse_plain_into(const input_line& line, std::vector<double>& values);

/// max_kept_text is how many bytes of a malformed line a record keeps at most (fewer when the
/// cut would split a UTF-8 character).
inline constexpr std::size_t max_kept_text = 200;

/// parse_plain_line reads a line that holds one number.
record parse_plain_line(const input_line& line);

}  // namespace stream_stats
