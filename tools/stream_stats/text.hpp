// tools/stream_stats/text.hpp
//
// Text from the input, made safe to show: a UTF-8 decoder, cuts that never split a character,
// and the escaping that every output shares (JSON strings, stderr messages, table and CSV keys).
//
//   stream_stats::is_valid_utf8("caf\xc3\xa9")                 // true
//   stream_stats::is_valid_utf8("caf\xe9")                     // false: Latin-1
//   stream_stats::utf8_prefix("a\xf0\x9f\x98\x80", 3)          // 1: the emoji does not fit
//   std::string s;
//   stream_stats::append_escaped(s, "\x1b[31mred", stream_stats::quotes::escaped);
//   // s == "\\u001b[31mred"
//
// Guarantees: the output of append_escaped is valid UTF-8 and holds no control character
// (C0, DEL, C1), whatever bytes come in: a byte that is not part of a well-formed UTF-8
// sequence becomes U+FFFD, a control character a backslash escape. Nothing here throws but
// allocation.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace stream_stats {

/// utf8_unit is the first unit of a text: a well-formed character, or one byte that starts none.
struct utf8_unit {
  char32_t code_point = 0;  // U+FFFD for an invalid byte
  std::size_t length = 0;   // in bytes; 1 for an invalid byte
  bool valid = false;
};

/// decode_utf8 decodes the first unit of a non-empty text. It rejects what Unicode calls
/// ill-formed: continuation bytes without a lead, truncated sequences, overlong forms,
/// surrogates (U+D800 to U+DFFF) and code points beyond U+10FFFF.
utf8_unit decode_utf8(std::string_view text) noexcept;

/// is_valid_utf8 is true when the whole text is well-formed UTF-8.
bool is_valid_utf8(std::string_view text) noexcept;

/// utf8_prefix returns the length of the longest prefix of `text` of at most `max_bytes` bytes
/// that ends between two units, so that a cut there never splits a character.
std::size_t utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept;

/// quotes says whether append_escaped escapes '"' and '\' too: yes inside a quoted string
/// (JSON, messages), no in a table cell or a CSV field (CSV quotes its own way).
enum class quotes { escaped, kept };

/// append_escaped appends `text` to `to` with the control characters escaped (\n, \r, \t, and
/// \u00XX for the others: JSON's escapes, which a terminal shows as they are) and invalid UTF-8
/// replaced by U+FFFD.
void append_escaped(std::string& to, std::string_view text, quotes q);

/// escape_controls is append_escaped(quotes::kept) into a new string: a key or a column name
/// as shown in the table and CSV outputs.
std::string escape_controls(std::string_view text);

/// shown_text writes a line's text for a message: quoted, escaped, and cut to at most `width`
/// bytes (never inside a character) with "..." after.
std::string shown_text(std::string_view text, std::size_t width = 60);

}  // namespace stream_stats
