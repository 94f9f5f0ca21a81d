#include "tools/stream_stats/stream_stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "operators/count.hpp"
#include "operators/for_each.hpp"
#include "operators/group_by.hpp"
#include "operators/partition.hpp"
#include "operators/take.hpp"
#include "operators/tee.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/profile/instrumented.hpp"
#include "pipeline/profile/named.hpp"
#include "pipeline/run.hpp"
#include "tools/stream_stats/sources.hpp"
#include "tools/stream_stats/statistics.hpp"

namespace stream_stats {

namespace {

constexpr std::string_view program = "stream_stats";

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Called with the running count after each value: writes --every rows and feeds progress.
struct ticker {
  const summary* now;
  report_writer* writer;
  std::uint64_t every;
  progress* ticks;

  void operator()(std::uint64_t values) const {
    if (every != 0 && values % every == 0) {
      // The progress line and the rows may share a terminal: clear it before a row.
      if (ticks != nullptr) ticks->clear();
      writer->running(*now);
    }
    // A clock read every 64Ki values costs nothing next to the values themselves.
    if (ticks != nullptr && values % 65536 == 0) ticks->update(values);
  }
};

// Ends the stream where the source fails to read, keeping the reason for after the report: what
// was read before the failure is still counted, grouped and shown.
coflow::generator<input_line> until_read_error(coflow::generator<input_line> lines,
                                               std::string* error) {
  try {
    for (const input_line& line : lines) co_yield line;
  } catch (const input_error& e) {
    *error = e.what();
  }
}

template <class Alternative>
constexpr auto holds = [](const record& r) { return std::holds_alternative<Alternative>(r); };

template <class Alternative>
constexpr auto take_out = [](record&& r) { return std::get<Alternative>(std::move(r)); };

}  // namespace

progress::progress(std::ostream& err, bool enabled)
    : err_(err), enabled_(enabled), started_(seconds_now()), last_drawn_(started_) {}

void progress::update(std::uint64_t values) {
  if (!enabled_) return;
  const double now = seconds_now();
  if (now - last_drawn_ < 0.25) return;
  last_drawn_ = now;
  drawn_ = true;
  // \r returns to the start of the line, \x1b[K clears what a longer line left.
  err_ << fmt::format("\r{}: {} values read ({})\x1b[K", program, group_digits(values),
                      format_rate(values, now - started_))
       << std::flush;
}

void progress::clear() {
  if (!drawn_) return;
  err_ << "\r\x1b[K" << std::flush;
  drawn_ = false;
}

namespace {

// Under --profile, wraps a runnable description in coflow::instrumented and keeps its profile
// under `label`; otherwise hands the description back unchanged, at no cost.
template <bool Profiled>
class profiler {
 public:
  template <class P>
  auto operator()(std::string label, P&& p) {
    if constexpr (Profiled) {
      auto probe = coflow::instrumented(std::forward<P>(p));
      parts_.emplace_back(std::move(label), probe.profile());
      return probe;
    } else {
      return std::decay_t<P>(std::forward<P>(p));
    }
  }

  // Every stage of every profile: the unlabelled one's (the pipeline's own) first, then the
  // others' in the order they were made, each named "label/stage".
  std::vector<coflow::stage_profile> stages() const {
    std::vector<coflow::stage_profile> out;
    for (const bool own : {true, false}) {
      for (const auto& [label, profile] : parts_) {
        if (label.empty() != own) continue;
        for (coflow::stage_profile& s : profile.stages()) {
          if (!own) s.name = label + "/" + s.name;
          out.push_back(std::move(s));
        }
      }
    }
    return out;
  }

 private:
  std::vector<std::pair<std::string, coflow::pipeline_profile>> parts_;
};

template <bool Profiled>
report compute_with(const options& o, coflow::generator<input_line> lines, report_writer& writer,
                    progress* ticks, std::vector<coflow::stage_profile>* profile) {
  reader_config config{o.column, o.by};
  header_info header;
  summary now;
  profiler<Profiled> probe;

  using namespace coflow;
  // Each record goes one way: samples to the statistics, malformed lines to their report.
  auto bad_lines = probe(
      "malformed", named("unwrap", ops::transform(take_out<malformed>)) |
                       named("collect", sinks::tee(ops::take(shown_malformed) | sinks::to_vector(),
                                                   sinks::count())));
  auto overall = statistics(o.alpha, store_into(&now),
                            ops::count() | sinks::for_each(ticker{&now, &writer, o.every, ticks}));

  report result;
  lines = until_read_error(std::move(lines), &result.read_error);
  auto take_bad_lines = [&result](auto& bad) {
    result.first_malformed = std::move(std::get<0>(bad));
    result.malformed_count = std::get<1>(bad);
  };
  if (o.by) {
    auto per_key = sinks::group_by(&sample::key,
                                   ops::transform(&sample::value) | statistics(o.alpha, keep_last));
    auto samples = probe(
        "samples",
        named("unwrap", ops::transform(take_out<sample>)) |
            named("overall+by key", sinks::tee(ops::transform(&sample::value) | overall, per_key)));
    auto pipeline = probe("", named("parse", parse_records(config, &header)) |
                                  sinks::partition(holds<sample>, samples, bad_lines));
    auto [by_key, bad] = coflow::run(lines, std::move(pipeline));
    take_bad_lines(bad);
    result.grouped = true;
    for (auto& [key, key_statistics] : std::get<1>(by_key)) {
      result.groups.emplace_back(key, to_summary(key_statistics));
    }
  } else {
    auto samples =
        probe("samples",
              named("value", ops::transform([](record&& r) { return std::get<sample>(r).value; })) |
                  named("statistics", overall));
    auto pipeline = probe("", named("parse", parse_records(config, &header)) |
                                  sinks::partition(holds<sample>, samples, bad_lines));
    auto outcome = coflow::run(lines, std::move(pipeline));
    take_bad_lines(outcome.second);
  }
  result.total = now;
  result.has_header = header.has_header;
  result.value_label = header.value_label;
  result.key_label = header.key_label;
  if (o.by && result.key_label.empty()) {
    // No line was read, so no header named the column: name it as the user did.
    const auto* name = std::get_if<std::string>(&o.by->column);
    result.key_label = name != nullptr ? *name : "column " + o.by->describe();
  }
  if constexpr (Profiled) {
    if (profile != nullptr) *profile = probe.stages();
  }
  return result;
}

}  // namespace

report compute(const options& o, coflow::generator<input_line> lines, report_writer& writer,
               progress* ticks, std::vector<coflow::stage_profile>* profile) {
  if (profile != nullptr) return compute_with<true>(o, std::move(lines), writer, ticks, profile);
  return compute_with<false>(o, std::move(lines), writer, ticks, nullptr);
}

std::string format_profile(std::string_view program_name,
                           const std::vector<coflow::stage_profile>& stages,
                           std::uint64_t sample_every) {
  std::string out = fmt::format(
      "{}: profile per pipeline stage (time in the stage alone, estimated from one value in {}; "
      "a stage with branches includes theirs)\n",
      program_name, sample_every);
  std::size_t width = 5;
  for (const coflow::stage_profile& s : stages) width = std::max(width, s.name.size());
  out += fmt::format("  {:<{}} {:>14} {:>14} {:>12}\n", "stage", width, "values in", "values out",
                     "time");
  for (const coflow::stage_profile& s : stages) {
    out += fmt::format("  {:<{}} {:>14} {:>14} {:>9.3f} ms\n", s.name, width,
                       group_digits(s.values_in), group_digits(s.values_out),
                       std::chrono::duration<double, std::milli>(s.time).count());
  }
  return out;
}

std::string resolve_input_path(const std::string& path, const char* working_directory) {
  if (working_directory == nullptr || *working_directory == '\0' || path.empty() ||
      std::filesystem::path(path).is_absolute()) {
    return path;
  }
  return (std::filesystem::path(working_directory) / path).string();
}

namespace {

// Why nothing was counted, when a non-empty input held no number at all: the most likely
// mistake first.
std::string nothing_parsed(const options& o, const report& result) {
  std::string message =
      fmt::format("no line held a number ({} malformed line{})",
                  group_digits(result.malformed_count), result.malformed_count == 1 ? "" : "s");
  if (o.column) {
    if (!result.value_label.empty()) {
      message += fmt::format(" in column {}", shown_text(result.value_label));
    }
    return message;
  }
  const bool looks_like_csv = std::any_of(
      result.first_malformed.begin(), result.first_malformed.end(),
      [](const malformed& bad) { return bad.text.find_first_of(",;\t") != std::string::npos; });
  if (looks_like_csv) message += "; is this a CSV? try --column NAME";
  return message;
}

int execute(const options& given, std::istream& in, std::ostream& out, std::ostream& err,
            bool err_is_terminal) {
  options o = given;
  std::ifstream file;
  coflow::generator<input_line> lines;
  if (!o.input) {
    // The built-in stream is CSV: read its reading column unless told otherwise.
    if (!o.column) o.column = column_spec{std::string(sensor_value_column)};
    if (!o.quiet) {
      err << fmt::format(
          "{}: no input file: reading a built-in stream of {} generated sensor readings "
          "(seed {}); try --by sensor, --every N, or a file (see --help)\n",
          program, group_digits(o.readings), o.seed);
    }
    lines = sensor_lines(o.seed, o.readings);
  } else if (*o.input == "-") {
    lines = read_lines(in, "stdin");
  } else {
    // Messages name the file as the user did.
    const std::string& path = *o.input;
    const std::string where = resolve_input_path(path, std::getenv("BUILD_WORKING_DIRECTORY"));
    std::error_code ec;
    if (std::filesystem::is_directory(where, ec)) {
      throw input_error(fmt::format("{}: is a directory", path));
    }
    file.open(where, std::ios::binary);
    if (!file) throw input_error(fmt::format("{}: {}", path, std::strerror(errno)));
    lines = read_lines(file, path);
  }

  report_writer writer(o.format, o.alpha, out);
  progress ticks(err, err_is_terminal && !o.quiet);
  const double started = seconds_now();
  report result;
  std::vector<coflow::stage_profile> stages;
  try {
    result = compute(o, std::move(lines), writer, &ticks, o.profile ? &stages : nullptr);
  } catch (...) {
    ticks.clear();
    throw;
  }
  const double elapsed = seconds_now() - started;
  ticks.clear();

  writer.finish(result);
  err << format_malformed(result, program);
  if (!o.quiet) err << format_throughput(program, result.total.count, elapsed);
  if (o.profile) err << format_profile(program, stages, coflow::instrument_options{}.sample_every);
  // The report is out; what follows says why the run still failed.
  if (!result.read_error.empty()) {
    err << program << ": error: " << result.read_error << '\n';
    return 1;
  }
  if (result.total.count == 0 && result.malformed_count > 0) {
    err << program << ": error: " << nothing_parsed(o, result) << '\n';
    return 1;
  }
  if (o.strict && result.malformed_count > 0) {
    err << fmt::format("{}: error: --strict: line {} is malformed ({} malformed line{})\n", program,
                       result.first_malformed.front().line, group_digits(result.malformed_count),
                       result.malformed_count == 1 ? "" : "s");
    return 1;
  }
  return 0;
}

}  // namespace

int main_entry(std::span<const char* const> args, std::istream& in, std::ostream& out,
               std::ostream& err, bool err_is_terminal) {
  try {
    const command_line cl = parse_command_line(args);
    if (!cl.run) {
      errno = 0;  // so that a failed write's reason is the one flush_output reports
      out << cl.help;
      flush_output(out);
      return 0;
    }
    const int status = execute(*cl.run, in, out, err, err_is_terminal);
    flush_output(out);
    return status;
  } catch (const output_error& e) {
    err << program << ": error: " << e.what() << '\n';
    return 1;
  } catch (const usage_error& e) {
    err << program << ": error: " << e.what() << '\n';
    return 2;
  } catch (const input_error& e) {
    out.flush();
    err << program << ": error: " << e.what() << '\n';
    return 1;
  } catch (const std::exception& e) {
    out.flush();
    err << program << ": error: " << e.what() << '\n';
    return 1;
  }
}

}  // namespace stream_stats
