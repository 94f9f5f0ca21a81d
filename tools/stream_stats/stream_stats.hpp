// tools/stream_stats/stream_stats.hpp
//
// The stream_stats command: options in, lines through a coflow pipeline, report out.
//
//   int status = stream_stats::main_entry(args, std::cin, std::cout, std::cerr, isatty(2));
//
// The main path, for a file or stdin (compute_blocks): the input in blocks of whole lines,
//
//   read_blocks(...)                         the reader: blocks of whole lines (blocks.hpp)
//   | transform(parse_block)                 a block -> a sample_batch (values, keys, malformed);
//                                            with --threads N, ordered_parallel(N, ...) of it
//   | for_each(batch_statistics::add)        the overall statistics, each --by key's, --every
//                                            rows, progress and malformed lines, fused
//
// so that the pipeline's cost is per block, not per line. With --window, with --profile and for
// the built-in stream, each line goes through the per-line pipeline (compute) instead:
//
//   parse_records(...)                     a coroutine stage: line -> sample | malformed
//   | partition(is a sample,
//       transform(sample) | for_each(overall statistics,     every value column's statistics,
//                                    --every rows, progress)  and the progress line
//       transform(malformed) | tee(take(5) | to_vector(), sinks::count()))
//
// With --window, that for_each is tee(for_each, tumbling_count(n, window_statistics) or
// tumbling_time(size, time, window_statistics) | for_each(write the window)) (windows.hpp).
// With --by, the samples go through tee(that sink,
// group_by(key, transform(values) | sinks::aggregate(row_statistics))) instead.
//
// The two paths give the same report, byte for byte (a test runs both). The statistics are in
// statistics.hpp; the tool feeds lines in and formats what comes out. With --profile the
// pipeline and the two branches of the partition are each wrapped in coflow::instrumented, and
// their stages are reported.
#pragma once

#include <istream>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "pipeline/profile/instrumented.hpp"
#include "pipeline/ranges/generator.hpp"
#include "tools/stream_stats/blocks.hpp"
#include "tools/stream_stats/options.hpp"
#include "tools/stream_stats/progress.hpp"
#include "tools/stream_stats/records.hpp"
#include "tools/stream_stats/report.hpp"

namespace stream_stats {

/// shown_malformed is how many malformed lines are shown with their line numbers.
inline constexpr std::size_t shown_malformed = 5;

/// compute runs `lines` through the pipeline described above and returns the report; --every
/// rows go to `writer` as they come, and `ticks` (if not null) hears about the progress. When
/// the source fails to read (an input_error from read_lines), the stream ends there and the
/// report holds what was read before, with the reason in `read_error`. When
/// `profile` is not null, the pipeline runs instrumented and *profile receives a row per stage,
/// in pipeline order: the pipeline's own stages ("parse", "partition"), then each branch's,
/// named "samples/..." and "malformed/...". A stage with branches includes their time.
report compute(const options& o, coflow::generator<input_line> lines, report_writer& writer,
               progress* ticks, std::vector<coflow::stage_profile>* profile = nullptr);

/// compute_blocks is compute on the batched path: `blocks` (read_blocks') are parsed a block at
/// a time, with --threads N on N workers, and taken by one fused statistics node
/// (batch_statistics.hpp). The report is compute's, byte for byte, for the options it takes:
/// any but --window and --profile, which take compute's per-line pipeline. `name` names the
/// input in a read error.
report compute_blocks(const options& o, coflow::generator<line_block> blocks, std::string name,
                      report_writer& writer, progress* ticks);

/// format_profile writes the --profile table: a heading line, then one line per stage with its
/// values in, values out and estimated time.
std::string format_profile(std::string_view program,
                           const std::vector<coflow::stage_profile>& stages,
                           std::uint64_t sample_every);

/// resolve_input_path returns where to open the input `path`: under `working_directory` when
/// that is set and not empty and `path` is relative (`bazel run` starts the tool in its runfiles
/// and says in BUILD_WORKING_DIRECTORY where the user was), else `path` itself.
std::string resolve_input_path(const std::string& path, const char* working_directory);

/// main_entry is the whole command: parses args, runs, writes stdout and stderr, and returns
/// the exit status: 0; 1 for unreadable input, input where no line held a number, a malformed
/// line under --strict, or output that cannot be written (`out` is flushed and checked before
/// main_entry returns, on every path); 2 for a bad command line.
int main_entry(std::span<const char* const> args, std::istream& in, std::ostream& out,
               std::ostream& err, bool err_is_terminal);

}  // namespace stream_stats
