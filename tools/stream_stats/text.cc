#include "tools/stream_stats/text.hpp"

#include <fmt/format.h>

#include <iterator>

namespace stream_stats {

namespace {

constexpr utf8_unit invalid_byte{U'\uFFFD', 1, false};

}  // namespace

utf8_unit decode_utf8(std::string_view text) noexcept {
  if (text.empty()) return invalid_byte;
  const auto lead = static_cast<unsigned char>(text[0]);
  if (lead < 0x80) return {lead, 1, true};
  std::size_t length = 0;
  char32_t code_point = 0;
  char32_t smallest = 0;  // below it, the form is overlong
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
    smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
    smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
    smallest = 0x10000;
  } else {
    return invalid_byte;  // a continuation byte, or F8 to FF
  }
  if (text.size() < length) return invalid_byte;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[i]);
    if ((next & 0xC0) != 0x80) return invalid_byte;
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < smallest || (code_point >= 0xD800 && code_point <= 0xDFFF) ||
      code_point > 0x10FFFF) {
    return invalid_byte;
  }
  return {code_point, length, true};
}

bool is_valid_utf8(std::string_view text) noexcept {
  while (!text.empty()) {
    const utf8_unit unit = decode_utf8(text);
    if (!unit.valid) return false;
    text.remove_prefix(unit.length);
  }
  return true;
}

std::size_t utf8_prefix(std::string_view text, std::size_t max_bytes) noexcept {
  if (text.size() <= max_bytes) return text.size();
  std::size_t end = 0;
  while (end < text.size()) {
    const std::size_t length = decode_utf8(text.substr(end)).length;
    if (end + length > max_bytes) break;
    end += length;
  }
  return end;
}

void append_escaped(std::string& to, std::string_view text, quotes q) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    const utf8_unit unit = decode_utf8(text.substr(pos));
    const char32_t c = unit.code_point;
    if (!unit.valid) {
      to += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
    } else if ((c == '"' || c == '\\') && q == quotes::escaped) {
      to += '\\';
      to += static_cast<char>(c);
    } else if (c == '\n') {
      to += "\\n";
    } else if (c == '\r') {
      to += "\\r";
    } else if (c == '\t') {
      to += "\\t";
    } else if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
      // C0, DEL and C1: ESC and CSI would drive the terminal that shows them.
      fmt::format_to(std::back_inserter(to), "\\u{:04x}", static_cast<unsigned>(c));
    } else {
      to += text.substr(pos, unit.length);
    }
    pos += unit.length;
  }
}

std::string escape_controls(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size());
  append_escaped(escaped, text, quotes::kept);
  return escaped;
}

std::string shown_text(std::string_view text, std::size_t width) {
  const std::size_t cut = utf8_prefix(text, width);
  std::string shown = "\"";
  append_escaped(shown, text.substr(0, cut), quotes::escaped);
  shown += '"';
  if (cut < text.size()) shown += "...";
  return shown;
}

}  // namespace stream_stats
