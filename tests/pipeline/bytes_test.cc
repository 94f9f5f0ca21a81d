#include "pipeline/bytes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using coflow::byte_reader;
using coflow::byte_writer;
using coflow::format_error;
using ::testing::HasSubstr;

std::uint64_t bits(double x) { return std::bit_cast<std::uint64_t>(x); }

// The message of the format_error `f` throws, or "" if it throws none.
template <class F>
std::string format_error_of(F f) {
  try {
    f();
  } catch (const format_error& e) {
    return e.what();
  }
  return "";
}

TEST(Bytes, RoundTripsEveryIntegerAtItsExtremes) {
  std::vector<std::byte> out;
  byte_writer w(out);
  w.u8(0);
  w.u8(255);
  w.u32(0);
  w.u32(std::numeric_limits<std::uint32_t>::max());
  w.u64(std::numeric_limits<std::uint64_t>::max());
  w.i64(std::numeric_limits<std::int64_t>::min());
  w.i64(std::numeric_limits<std::int64_t>::max());
  w.i64(-1);
  byte_reader r(out);
  EXPECT_EQ(r.u8(), 0);
  EXPECT_EQ(r.u8(), 255);
  EXPECT_EQ(r.u32(), 0u);
  EXPECT_EQ(r.u32(), std::numeric_limits<std::uint32_t>::max());
  EXPECT_EQ(r.u64(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(r.i64(), std::numeric_limits<std::int64_t>::min());
  EXPECT_EQ(r.i64(), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(r.i64(), -1);
  EXPECT_NO_THROW(r.finish());
}

TEST(Bytes, WritesIntegersLittleEndianAtFixedWidth) {
  std::vector<std::byte> out;
  byte_writer(out).u32(0x04030201);
  EXPECT_EQ(out, (std::vector<std::byte>{std::byte{1}, std::byte{2}, std::byte{3}, std::byte{4}}));
}

TEST(Bytes, RoundTripsDoublesBitForBit) {
  const std::vector<double> xs = {
      0.0,
      -0.0,
      std::numeric_limits<double>::infinity(),
      -std::numeric_limits<double>::infinity(),
      std::numeric_limits<double>::quiet_NaN(),
      std::bit_cast<double>(std::uint64_t{0x7ff0000000000001}),  // a signalling NaN
      std::bit_cast<double>(std::uint64_t{0xfff8000000abcdef}),  // a negative NaN with payload
      std::numeric_limits<double>::denorm_min(),
      std::numeric_limits<double>::max(),
      -std::numeric_limits<double>::min(),
      1.0 / 3};
  std::vector<std::byte> out;
  byte_writer w(out);
  for (double x : xs) w.f64(x);
  byte_reader r(out);
  for (double x : xs) EXPECT_EQ(bits(r.f64()), bits(x));
  r.finish();
}

TEST(Bytes, RoundTripsStringsIncludingEmptyAndBinaryOnes) {
  const std::string binary("a\0b\xff", 4);
  std::vector<std::byte> out;
  byte_writer w(out);
  w.str("");
  w.str(binary);
  w.header("kind", 3);
  byte_reader r(out);
  EXPECT_EQ(r.str(), "");
  EXPECT_EQ(r.str(), binary);
  EXPECT_EQ(r.header("kind", 3), 3u);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(Bytes, ReadsOlderVersionsAndReportsWhichOne) {
  std::vector<std::byte> out;
  byte_writer(out).header("kind", 1);
  EXPECT_EQ(byte_reader(out).header("kind", 4), 1u);
}

TEST(Bytes, RejectsTruncatedInputAtEveryLength) {
  std::vector<std::byte> out;
  byte_writer w(out);
  w.header("kind", 1);
  w.u64(7);
  w.f64(2.5);
  for (std::size_t n = 0; n < out.size(); ++n) {
    const std::vector<std::byte> part(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
    const std::string message = format_error_of([&] {
      byte_reader r(part);
      r.header("kind", 1);
      (void)r.u64();
      (void)r.f64();
    });
    EXPECT_THAT(message, HasSubstr("coflow: ")) << n << " bytes";
  }
}

TEST(Bytes, RejectsAnotherKindNamingBoth) {
  std::vector<std::byte> out;
  byte_writer(out).header("coflow.moments", 1);
  const std::string message =
      format_error_of([&] { byte_reader(out).header("coflow.counter", 1); });
  EXPECT_THAT(message, HasSubstr("coflow.moments"));
  EXPECT_THAT(message, HasSubstr("coflow.counter"));
}

TEST(Bytes, RejectsANewerVersionAndVersionZero) {
  std::vector<std::byte> out;
  byte_writer(out).header("kind", 2);
  EXPECT_THAT(format_error_of([&] { byte_reader(out).header("kind", 1); }), HasSubstr("version 2"));
  std::vector<std::byte> zero;
  byte_writer(zero).header("kind", 0);
  EXPECT_THAT(format_error_of([&] { byte_reader(zero).header("kind", 1); }),
              HasSubstr("version 0"));
}

TEST(Bytes, RejectsAHugeLengthWithoutAllocating) {
  std::vector<std::byte> out;
  byte_writer w(out);
  w.u64(std::numeric_limits<std::uint64_t>::max());
  w.u8(1);
  EXPECT_THAT(format_error_of([&] { (void)byte_reader(out).str(); }), HasSubstr("a length of"));
}

TEST(Bytes, RejectsACountTheRemainingBytesCannotHold) {
  std::vector<std::byte> out;
  byte_writer w(out);
  w.u64(3);
  w.u64(1);
  w.u64(2);
  w.u64(3);
  EXPECT_EQ(byte_reader(out).count(8), 3u);
  EXPECT_THAT(format_error_of([&] { (void)byte_reader(out).count(9); }), HasSubstr("a count of"));
  std::vector<std::byte> huge;
  byte_writer(huge).u64(std::numeric_limits<std::uint64_t>::max());
  EXPECT_THAT(format_error_of([&] { (void)byte_reader(huge).count(1); }), HasSubstr("a count of"));
  // An element size of 0 must not switch the check off: every element takes some byte.
  EXPECT_THAT(format_error_of([&] { (void)byte_reader(huge).count(0); }), HasSubstr("a count of"));
}

TEST(Bytes, RejectsLeftoverBytes) {
  std::vector<std::byte> out;
  byte_writer w(out);
  w.u32(1);
  w.u8(0);
  byte_reader r(out);
  (void)r.u32();
  EXPECT_EQ(r.remaining(), 1u);
  EXPECT_THAT(format_error_of([&] { r.finish(); }), HasSubstr("1 bytes left over"));
}

TEST(Bytes, ShowsOnlyPrintableCharactersOfAForeignTag) {
  std::vector<std::byte> out;
  byte_writer(out).header(std::string("\x1b[31mred", 8), 1);
  const std::string message = format_error_of([&] { byte_reader(out).header("kind", 1); });
  EXPECT_THAT(message, ::testing::Not(HasSubstr("\x1b")));
}

TEST(Bytes, FormatErrorIsARuntimeError) {
  static_assert(std::derived_from<format_error, std::runtime_error>);
}

}  // namespace
