// Workload "stream_stats": the stream_stats tool's pipeline against a plain loop computing the
// same aggregates on the same lines.
//
//   the built-in stream (seed 2024): "sensor,reading", then n lines such as "north,18.31" with
//   noise, spikes and a few malformed lines; each line parsed as CSV, its "reading" column
//   read as a number; answer = {count, mean, sample stddev, EWMA} of the numbers.
//
// n counts lines after the header, malformed ones included: each is one value pushed into the
// pipeline. The lines are generated once, outside the timed loop, and both variants read the
// same ones (see stream()).
//
// "coflow" is the tool itself: stream_stats::compute with the options the tool uses for its
// built-in stream (the "reading" column, alpha 0.1, no --by, no --every), fed by a generator
// over the prepared lines as the tool is fed by its own line generators. Inside, that is
// parse_records (a coroutine stage: line -> record) | partition(samples -> one statistics
// aggregate (coflow::moments, extrema and the EWMA) through sinks::aggregate, malformed lines ->
// the first five and their count).
//
// "hand" parses each line with the same calls as the tool's CSV reader (trim, split_csv into a
// reused field vector, check_number) and computes every aggregate the tool reports, with the
// same formulas as the library's operators: count, the mean as mean += (x - mean) / count, min,
// max, Welford's sample variance with the same clamp and the standard deviation once at the
// end, EWMA as alpha * x + (1 - alpha) * ewma, and the malformed lines' count. The answers are
// therefore bit-identical. (min, max and the malformed count are not in the answer, which holds
// four numbers; they are kept from being optimized away.) The pipeline emits each running
// statistic after every value (a square root per value for the deviation), which the hand loop
// does not: that is part of what is measured.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "benchmarks/harness.hpp"
#include "pipeline/ranges/generator.hpp"
#include "tools/stream_stats/options.hpp"
#include "tools/stream_stats/parse.hpp"
#include "tools/stream_stats/records.hpp"
#include "tools/stream_stats/report.hpp"
#include "tools/stream_stats/sources.hpp"
#include "tools/stream_stats/stream_stats.hpp"

namespace coflow_bench {
namespace {

using stream_stats::input_line;

// The built-in stream as prepared lines: every line's text back to back in one buffer, and the
// lines (header first) as views into it.
struct prepared_stream {
  std::string text;
  std::vector<input_line> lines;
};

// At least this many lines are generated: the suite's default size. Smaller runs read a prefix
// of the same stream (a stream of more readings starts with the lines of a shorter one), so
// that generating it is a cost paid once per process: the allocation check's two sizes and
// callgrind.sh's two sizes then allocate and compute nothing for it.
constexpr std::uint64_t least_generated = std::uint64_t{1} << 20;

// stream(n) is the header and the first n lines of the built-in stream.
std::span<const input_line> stream(std::uint64_t n) {
  static prepared_stream cached;
  if (cached.lines.size() < n + 1) {
    prepared_stream fresh;
    std::vector<std::pair<std::size_t, std::size_t>> extents;  // offset and length of each line
    for (const input_line& line :
         stream_stats::sensor_lines(stream_stats::default_seed, std::max(n, least_generated))) {
      extents.emplace_back(fresh.text.size(), line.text.size());
      fresh.text += line.text;
    }
    fresh.lines.reserve(extents.size());
    std::uint64_t number = 0;
    for (const auto& [offset, length] : extents) {
      fresh.lines.push_back({++number, std::string_view(fresh.text).substr(offset, length)});
    }
    cached = std::move(fresh);
  }
  return std::span<const input_line>(cached.lines).first(n + 1);
}

// The options the tool runs its built-in stream with.
stream_stats::options built_in_options() {
  stream_stats::options o;
  o.column = stream_stats::column_spec{std::string(stream_stats::sensor_value_column)};
  return o;
}

answer hand(std::uint64_t n) {
  const std::span<const input_line> lines = stream(n);
  const double alpha = built_in_options().alpha;
  const double keep = 1 - alpha;

  // The header names the value column, as the tool finds it.
  std::vector<stream_stats::csv_field> fields;
  stream_stats::split_csv(lines.front().text, fields);
  std::size_t column = 0;
  while (column < fields.size() &&
         stream_stats::unquote(fields[column]) != stream_stats::sensor_value_column) {
    ++column;
  }

  std::uint64_t count = 0;
  double mean = 0;
  double m2 = 0;
  double ewma = 0;
  double least = 0;
  double greatest = 0;
  std::uint64_t malformed = 0;
  for (const input_line& line : lines.subspan(1)) {
    if (stream_stats::trim(line.text).empty()) {
      ++malformed;
      continue;
    }
    stream_stats::split_csv(line.text, fields);
    if (column >= fields.size()) {
      ++malformed;
      continue;
    }
    const stream_stats::parsed_number number = stream_stats::check_number(fields[column].text);
    if (!number.value) {
      ++malformed;
      continue;
    }
    const double x = *number.value;
    // check_number gives finite numbers only, so no NaN needs the operators' NaN rule.
    if (count == 0 || x < least) least = x;
    if (count == 0 || greatest < x) greatest = x;
    ++count;
    const double old_mean = mean;
    mean += (x - mean) / static_cast<double>(count);
    m2 += (x - old_mean) * (x - mean);
    ewma = count == 1 ? x : alpha * x + keep * ewma;
  }
  benchmark::DoNotOptimize(least);
  benchmark::DoNotOptimize(greatest);
  benchmark::DoNotOptimize(malformed);
  double stddev = 0;
  if (count >= 2) {
    const double variance = m2 / static_cast<double>(count - 1);
    stddev = std::sqrt(variance < 0 ? 0.0 : variance);
  }
  return {static_cast<double>(count), mean, stddev, ewma};
}

// The prepared lines as the tool's pipeline takes its input: a generator of input lines.
coflow::generator<input_line> replay(std::span<const input_line> lines) {
  for (const input_line& line : lines) co_yield input_line{line.number, line.text};
}

answer coflow_tool(std::uint64_t n) {
  const stream_stats::options o = built_in_options();
  // Without --every the writer is never called during compute; it writes nowhere.
  std::ostream nowhere(nullptr);
  stream_stats::report_writer writer(o.format, o.alpha, nowhere);
  const stream_stats::report result = stream_stats::compute(o, replay(stream(n)), writer, nullptr);
  const stream_stats::summary& s = result.total;
  return {static_cast<double>(s.count), s.mean.value_or(0.0), s.stddev.value_or(0.0),
          s.ewma.value_or(0.0)};
}

const registrar registered[] = {
    registrar({"stream_stats", "hand", "hand", 0, false, hand}),
    registrar({"stream_stats", "coflow", "hand", 0, true, coflow_tool}),
};

}  // namespace
}  // namespace coflow_bench
