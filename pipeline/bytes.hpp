// coflow/pipeline/bytes.hpp
//
// byte_writer and byte_reader: the portable encoding that serializable aggregates use
// (operators/aggregate.hpp), and format_error, what a reader throws for bytes it cannot read.
//
//   std::vector<std::byte> out;
//   coflow::byte_writer w(out);
//   w.header("moments", 1);             // a tag and a version, checked when read back
//   w.u64(count);
//   w.f64(mean);
//
//   coflow::byte_reader r(out);
//   r.header("moments", 1);             // format_error if another kind or a newer version
//   std::uint64_t n = r.u64();
//   double m = r.f64();
//   r.finish();                         // format_error if bytes are left over
//
// Encoding: integers little-endian at fixed width, doubles as their IEEE-754 bits (so NaN
// payloads, infinities and -0.0 survive), strings and byte blocks as a u64 length and the
// bytes. The same bytes on every platform, so states move between machines.
// Exceptions: every read past the end, a wrong tag, an unknown version, a length that does not
// fit the remaining bytes, and leftover bytes throw coflow::format_error naming what was read.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace coflow {

/// format_error is thrown for bytes that do not hold what the reader expects.
class format_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// byte_writer appends values to a byte vector in coflow's portable encoding.
class byte_writer {
 public:
  explicit byte_writer(std::vector<std::byte>& out) noexcept : out_(out) {}

  /// header writes a kind tag and a format version, for byte_reader::header to check.
  void header(std::string_view tag, std::uint32_t version) {
    str(tag);
    u32(version);
  }

  void u8(std::uint8_t v) { out_.push_back(static_cast<std::byte>(v)); }
  void u32(std::uint32_t v) { fixed(v); }
  void u64(std::uint64_t v) { fixed(v); }
  void i64(std::int64_t v) { fixed(static_cast<std::uint64_t>(v)); }
  void f64(double v) { fixed(std::bit_cast<std::uint64_t>(v)); }

  /// str writes a length and the bytes of `s`.
  void str(std::string_view s) {
    u64(s.size());
    const auto* p = reinterpret_cast<const std::byte*>(s.data());
    out_.insert(out_.end(), p, p + s.size());
  }

 private:
  template <class U>
  void fixed(U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i)
      out_.push_back(static_cast<std::byte>((v >> (8 * i)) & 0xff));
  }

  std::vector<std::byte>& out_;
};

/// byte_reader reads what a byte_writer wrote, checking every step.
class byte_reader {
 public:
  explicit byte_reader(std::span<const std::byte> in) noexcept : in_(in) {}

  /// header checks the kind tag and that the version is one this reader knows (<= version).
  /// Returns the version found.
  std::uint32_t header(std::string_view tag, std::uint32_t version) {
    const std::string found = str();
    if (found != tag)
      throw format_error("coflow: the bytes hold a '" + printable(found) + "', not a '" +
                         std::string(tag) + "'");
    const std::uint32_t v = u32();
    if (v == 0 || v > version)
      throw format_error("coflow: '" + std::string(tag) + "' bytes of format version " +
                         std::to_string(v) + "; this build reads versions 1 to " +
                         std::to_string(version));
    return v;
  }

  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint32_t u32() { return fixed<std::uint32_t>(); }
  std::uint64_t u64() { return fixed<std::uint64_t>(); }
  std::int64_t i64() { return static_cast<std::int64_t>(fixed<std::uint64_t>()); }
  double f64() { return std::bit_cast<double>(fixed<std::uint64_t>()); }

  std::string str() {
    const std::uint64_t size = u64();
    if (size > in_.size())
      throw format_error("coflow: a length of " + std::to_string(size) + " bytes with only " +
                         std::to_string(in_.size()) + " left");
    const auto bytes = take(static_cast<std::size_t>(size));
    return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  }

  /// count reads a number of elements that each take at least `min_bytes` bytes, rejecting
  /// a count the remaining bytes cannot hold (so a corrupt count cannot make a reader allocate
  /// without bound). Every element takes at least one byte: a `min_bytes` of 0 counts as 1.
  std::size_t count(std::size_t min_bytes) {
    const std::uint64_t n = u64();
    const std::size_t per = min_bytes > 0 ? min_bytes : 1;
    if (n > in_.size() / per)
      throw format_error("coflow: a count of " + std::to_string(n) + " elements with only " +
                         std::to_string(in_.size()) + " bytes left");
    return static_cast<std::size_t>(n);
  }

  /// remaining is the number of bytes not read yet.
  [[nodiscard]] std::size_t remaining() const noexcept { return in_.size(); }

  /// finish throws unless every byte was read.
  void finish() const {
    if (!in_.empty())
      throw format_error("coflow: " + std::to_string(in_.size()) +
                         " bytes left over after the value");
  }

 private:
  std::span<const std::byte> take(std::size_t n) {
    if (n > in_.size())
      throw format_error("coflow: the bytes end early (" + std::to_string(n) + " needed, " +
                         std::to_string(in_.size()) + " left)");
    auto part = in_.first(n);
    in_ = in_.subspan(n);
    return part;
  }

  template <class U>
  U fixed() {
    const auto bytes = take(sizeof(U));
    U v = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i)
      v |= static_cast<U>(static_cast<std::uint8_t>(bytes[i])) << (8 * i);
    return v;
  }

  static std::string printable(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
    return out;
  }

  std::span<const std::byte> in_;
};

}  // namespace coflow
