// tools/stream_stats/sources.hpp
//
// Where stream_stats' lines come from: a stream (a file, stdin), or the built-in stream of
// generated sensor readings. Both are coflow generators: lazy, one block of lines (read_lines)
// or one line (sensor_lines) in memory at a time.
//
//   std::ifstream file("readings.csv");
//   for (stream_stats::input_line line : stream_stats::read_lines(file, "readings.csv")) ...
//   auto lines = stream_stats::sensor_lines(42, 1'000'000);   // "sensor,reading", "north,18.31",
//   ...
//
// Semantics: lines are numbered from 1; a line's text excludes its "\n" (and a "\r" before
//   it, or at the end of a last line that has no "\n") and is valid until the next line is read. A
//   UTF-8 byte order mark (EF BB BF) at the start of a stream is skipped.
// Exceptions: read_lines throws input_error when the stream fails with an I/O error (not at
//   end of file); the pipeline reading it stops and the error reaches the caller of run().
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>

#include "pipeline/ranges/generator.hpp"
#include "tools/stream_stats/records.hpp"

namespace stream_stats {

/// default_block_size is how many bytes read_lines asks for at a time: few reads, and a block
/// that stays in the second-level cache while its lines are parsed.
inline constexpr std::size_t default_block_size = std::size_t{1} << 18;

/// read_lines(in, name, bytes_read) yields the lines of `in`; `name` names it in error messages.
/// `in` must outlive the generator. It reads `block_size` bytes at a time (more only for a longer
/// line) and finds line ends with memchr: a line's text is a view into that block, not a copy.
/// `*bytes_read` (when not null) counts the bytes read so far, for a progress line: up to a block
/// ahead of the lines yielded.
coflow::generator<input_line> read_lines(std::istream& in, std::string name,
                                         std::uint64_t* bytes_read = nullptr,
                                         std::size_t block_size = default_block_size);

/// sensor_lines(seed, readings) yields a CSV stream "sensor,reading" of `readings` readings
/// from four sensors (north, south, east, west): a slow daily swing with noise, a few spikes,
/// and a few malformed lines among them (not counted in `readings`). The same seed gives the
/// same lines.
coflow::generator<input_line> sensor_lines(std::uint64_t seed, std::uint64_t readings);

/// sensor_value_column and sensor_key_column name the built-in stream's columns.
inline constexpr const char* sensor_value_column = "reading";
inline constexpr const char* sensor_key_column = "sensor";

}  // namespace stream_stats
