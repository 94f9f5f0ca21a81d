#include "tools/stream_stats/stream_stats.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "operators/aggregate.hpp"
#include "operators/count.hpp"
#include "operators/for_each.hpp"
#include "operators/group_by.hpp"
#include "operators/partition.hpp"
#include "operators/take.hpp"
#include "operators/tee.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "operators/tumbling_count.hpp"
#include "operators/tumbling_time.hpp"
#include "operators/window.hpp"
#include "pipeline/compose.hpp"
#include "pipeline/coroutine.hpp"
#include "pipeline/parallel/ordered_parallel.hpp"
#include "pipeline/profile/instrumented.hpp"
#include "pipeline/profile/named.hpp"
#include "tools/stream_stats/batch_statistics.hpp"
#include "tools/stream_stats/blocks.hpp"
#include "tools/stream_stats/line_batch.hpp"
#include "tools/stream_stats/sources.hpp"
#include "tools/stream_stats/statistics.hpp"
#include "tools/stream_stats/windows.hpp"

namespace stream_stats {

namespace {

constexpr std::string_view program = "stream_stats";

double seconds_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The statistics the options ask for.
std::shared_ptr<const statistics_config> statistics_for(const options& o) {
  auto config = std::make_shared<statistics_config>();
  config->alpha = o.alpha;
  config->sum = o.sum;
  config->distinct = o.distinct;
  config->quantiles = o.quantiles;
  config->approx = o.approx;
  return config;
}

// Takes each sample into the overall statistics, writes --every rows and feeds progress.
struct overall_feed {
  row_statistics* overall;
  report_writer* writer;
  std::uint64_t every;
  progress* ticks;

  void operator()(const sample& s) const {
    overall->add(s.values);
    const std::uint64_t values = overall->count();
    if (every != 0 && values % every == 0) {
      // The progress line and the rows may share a terminal: clear it before a row.
      if (ticks != nullptr) ticks->clear();
      writer->running(overall->result());
    }
    // A clock read every 64Ki values costs nothing next to the values themselves.
    if (ticks != nullptr && values % 65536 == 0) ticks->update(values);
  }
};

// Runs `lines` through `pipeline` as coflow::run does, except that where the source fails to
// read (an input_error from the source, not from a stage) the stream ends, with the reason kept
// in *error: what was read before the failure is still counted, grouped and shown. (A generator
// wrapping the source would do the same at the cost of one more resume per line.)
template <class Pipeline>
auto run_until_read_error(coflow::generator<input_line>& lines, Pipeline&& pipeline,
                          std::string* error) {
  auto head = coflow::bind_chain<input_line>(std::forward<Pipeline>(pipeline));
  auto read = [error](auto&& advance) {
    try {
      advance();
      return true;
    } catch (const input_error& e) {
      *error = e.what();
      return false;
    }
  };
  std::optional<decltype(lines.begin())> line;
  if (!head.done() && read([&] { line.emplace(lines.begin()); })) {
    while (*line != lines.end()) {
      if (!head.push(input_line(**line))) break;
      if (!read([&] { ++*line; })) break;
    }
  }
  return head.finish();
}

// Under --threads: how many lines (or bytes of them) go to a worker at a time: enough that a
// batch's hand-off costs little next to parsing it, few enough that workers start early.
constexpr std::size_t batch_lines = 4096;
constexpr std::size_t batch_bytes = std::size_t{1} << 18;

// Passes on each record of each parsed batch, in order.
coflow::coroutine<std::vector<record>, record> each_record() {
  std::optional<std::vector<record>> batch = co_yield coflow::receive;
  while (batch) {
    for (record& r : *batch) co_yield coflow::emit(std::move(r));
    batch = co_yield coflow::receive;
  }
}

// run_until_read_error with the parsing spread over `threads` workers: this thread reads the
// lines and parses them itself until the columns are known (the header, or the first line),
// then copies them into batches that ordered_parallel parses on the workers, in input order;
// the records then reach `records` on this thread, in input order, as with one thread.
template <class Records>
auto run_threaded(coflow::generator<input_line>& lines, std::size_t threads,
                  const reader_config& config, header_info* header, Records&& records,
                  std::string* error) {
  auto head = coflow::bind_chain<line_batch>(
      coflow::ops::ordered_parallel(threads, coflow::ops::transform(parse_batch), 4, 1) |
      each_record() | std::forward<Records>(records));
  // Until the columns are known, lines go through parse_records here, as with one thread.
  const bool csv = !config.value_columns.empty();
  std::optional<resolved_columns> found;
  std::vector<record> early;
  auto first_lines = coflow::bind_chain<input_line>(
      parse_records(config, header, &found) |
      coflow::sinks::for_each([&early](record&& r) { early.push_back(std::move(r)); }));
  bool columns_known = !csv;
  line_batch batch;
  auto read = [error](auto&& advance) {
    try {
      advance();
      return true;
    } catch (const input_error& e) {
      *error = e.what();
      return false;
    }
  };
  bool more = true;
  auto send = [&] {
    std::shared_ptr<const resolved_columns> columns = batch.columns;
    more = head.push(std::move(batch));
    batch = line_batch{};
    batch.columns = std::move(columns);
  };
  std::optional<decltype(lines.begin())> line;
  if (!head.done() && read([&] { line.emplace(lines.begin()); })) {
    while (*line != lines.end()) {
      const input_line current = **line;
      if (!columns_known) {
        first_lines.push(input_line(current));
        if (found) {
          columns_known = true;
          batch.parsed = std::move(early);
          batch.columns = std::make_shared<const resolved_columns>(std::move(*found));
        }
      } else {
        batch.add(current);
        if (batch.lines.size() >= batch_lines || batch.text.size() >= batch_bytes) send();
        if (!more) break;
      }
      if (!read([&] { ++*line; })) break;
    }
  }
  if (more && !columns_known) {
    // The input ended (or failed) before the columns were known: what parse_records still
    // holds (a first line that may have been a header) comes out now.
    first_lines.finish();
    batch.parsed = std::move(early);
  }
  if (more && !batch.empty()) send();
  return head.finish();
}

template <class Alternative>
constexpr auto holds = [](const record& r) { return std::holds_alternative<Alternative>(r); };

template <class Alternative>
constexpr auto take_out = [](record&& r) { return std::get<Alternative>(std::move(r)); };

}  // namespace

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

// The report's labels: the header's, else as the user named the columns.
void label_report(const options& o, const reader_config& config, const header_info& header,
                  report& result) {
  result.has_header = header.has_header;
  result.value_labels = header.value_labels;
  result.key_labels = header.key_labels;
  if (!o.by.empty() && result.key_labels.empty()) {
    // No line was read, so no header named the columns: name them as the user did.
    for (const column_spec& spec : o.by) {
      const auto* name = std::get_if<std::string>(&spec.column);
      result.key_labels.push_back(name != nullptr ? *name : "column " + spec.describe());
    }
  }
  if (result.value_labels.empty()) {
    for (const column_spec& spec : config.value_columns) {
      const auto* name = std::get_if<std::string>(&spec.column);
      result.value_labels.push_back(name != nullptr ? *name : "column " + spec.describe());
    }
  }
}

template <bool Profiled>
report compute_with(const options& o, coflow::generator<input_line> lines, report_writer& writer,
                    progress* ticks, std::vector<coflow::stage_profile>* profile) {
  reader_config config{value_columns(o), o.by, o.time_column, o.delimiter};
  const std::size_t columns = std::max<std::size_t>(config.value_columns.size(), 1);
  header_info header;
  writer.use_labels(&header);
  const auto wanted = statistics_for(o);
  row_statistics overall(wanted, columns);
  profiler<Profiled> probe;

  using namespace coflow;
  // Each record goes one way: samples to the statistics, malformed lines to their report.
  auto bad_lines = probe(
      "malformed", named("unwrap", ops::transform(take_out<malformed>)) |
                       named("collect", sinks::tee(ops::take(shown_malformed) | sinks::to_vector(),
                                                   sinks::count())));
  auto feed = sinks::for_each(overall_feed{&overall, &writer, o.every, ticks});

  report result;
  auto take_bad_lines = [&result](auto& bad) {
    result.first_malformed = std::move(std::get<0>(bad));
    result.malformed_count = std::get<1>(bad);
  };
  // Parses the lines and passes the records to `records`, on this thread or, with --threads,
  // on workers (never under --profile, which the options refuse with --threads).
  auto run_records = [&](auto records) {
    if constexpr (!Profiled) {
      if (o.threads > 1) {
        return run_threaded(lines, o.threads, config, &header, std::move(records),
                            &result.read_error);
      }
    }
    return run_until_read_error(
        lines, probe("", named("parse", parse_records(config, &header)) | std::move(records)),
        &result.read_error);
  };
  // `statistics` is the sink of the samples: the overall statistics, and each window's.
  auto run_with = [&](auto statistics) {
    if (!o.by.empty()) {
      auto per_key = sinks::group_by(&sample::key,
                                     ops::transform(&sample::values) | sinks::aggregate(overall));
      auto samples = probe("samples", named("unwrap", ops::transform(take_out<sample>)) |
                                          named("overall+by key", sinks::tee(statistics, per_key)));
      auto [by_key, bad] = run_records(sinks::partition(holds<sample>, samples, bad_lines));
      take_bad_lines(bad);
      result.grouped = true;
      // Each key's statistics are freed once its row is made, so that the two are not both
      // alive for every key (a million keys are hundreds of MiB).
      auto& per_key_statistics = std::get<1>(by_key);
      result.groups.reserve(per_key_statistics.size());
      while (!per_key_statistics.empty()) {
        auto node = per_key_statistics.extract(per_key_statistics.begin());
        result.groups.push_back({{std::make_move_iterator(node.key().begin()),
                                  std::make_move_iterator(node.key().end())},
                                 node.mapped().result()});
      }
    } else {
      auto samples = probe("samples", named("value", ops::transform(take_out<sample>)) |
                                          named("statistics", statistics));
      auto outcome = run_records(sinks::partition(holds<sample>, samples, bad_lines));
      take_bad_lines(outcome.second);
    }
  };
  auto write_window = [&writer, ticks](window_rows& rows) {
    // The progress line and the rows may share a terminal: clear it before a row.
    if (ticks != nullptr) ticks->clear();
    writer.window(rows);
  };
  const window_statistics window_state(wanted, columns, !o.by.empty());
  if (!o.window) {
    run_with(feed);
  } else if (!o.window->by_time()) {
    auto each_window = [&](window_result<window_rows>&& w) {
      w.result.start = static_cast<double>(w.first + 1);  // values are numbered from 1
      w.result.end = static_cast<double>(w.first + w.count);
      write_window(w.result);
    };
    run_with(sinks::tee(feed, named("window", ops::tumbling_count(o.window->values, window_state)) |
                                  sinks::for_each(each_window)));
  } else {
    using event = time_window_event<window_rows, sample, window_time>;
    auto each_event = [&](event&& e) {
      if (auto* w = std::get_if<0>(&e)) {
        w->result.start = seconds_of(w->start);
        w->result.end = seconds_of(w->end);
        write_window(w->result);
      } else {
        ++result.late_count;
      }
    };
    auto time_of = [](const sample& s) { return to_window_time(s.time); };
    run_with(
        sinks::tee(feed, named("window", ops::tumbling_time(to_window_duration(o.window->seconds),
                                                            time_of, window_state)) |
                             sinks::for_each(each_event)));
  }
  std::vector<summary> totals = overall.result();
  result.total = totals.front();
  result.more_totals.assign(totals.begin() + 1, totals.end());
  label_report(o, config, header, result);
  writer.use_labels(nullptr);
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

report compute_blocks(const options& o, coflow::generator<line_block> blocks, std::string name,
                      report_writer& writer, progress* ticks) {
  reader_config config{value_columns(o), o.by, o.time_column, o.delimiter};
  header_info header;
  writer.use_labels(&header);
  batch_statistics stats(statistics_for(o), std::max<std::size_t>(config.value_columns.size(), 1),
                         o.by.size(), o.every, &writer, ticks, std::move(name), shown_malformed);
  using namespace coflow;
  auto parse = ops::transform([](line_block&& block) { return parse_block(std::move(block)); });
  auto consume = sinks::for_each([&stats](sample_batch&& batch) { stats.add(std::move(batch)); });
  // Until the CSV columns are known (the header, or the first lines), lines go one by one
  // through parse_records, here; its records then travel with the rest of their block.
  std::optional<resolved_columns> found;
  std::vector<record> early;
  auto first_lines = bind_chain<input_line>(
      parse_records(config, &header, &found) |
      sinks::for_each([&early](record&& r) { early.push_back(std::move(r)); }));
  std::shared_ptr<const resolved_columns> columns;
  bool columns_known = config.value_columns.empty();
  std::uint64_t number = 0;
  auto feed = [&](auto head) {
    std::optional<std::string> failure;
    for (line_block& block : blocks) {
      if (!columns_known) {
        std::size_t rest = block.text.size();
        each_line(block.text, block.stream_start, [&](std::string_view text, std::size_t next) {
          first_lines.push(input_line{++number, text});
          if (found) rest = next;
          return !found;
        });
        if (!found) {
          failure = std::move(block.failure);
          continue;
        }
        columns_known = true;
        columns = std::make_shared<const resolved_columns>(std::move(*found));
        block.text.erase(0, rest);
        block.stream_start = false;
        block.parsed = std::move(early);
        block.parsed_lines = number;
      }
      block.columns = columns;
      if (!head.push(std::move(block))) break;
    }
    if (!columns_known) {
      // The input ended (or failed) before the columns were known: what parse_records still
      // holds (a first line that may have been a header) comes out now.
      first_lines.finish();
      line_block last;
      if (found) last.columns = std::make_shared<const resolved_columns>(std::move(*found));
      last.parsed = std::move(early);
      last.parsed_lines = number;
      last.failure = std::move(failure);
      head.push(std::move(last));
    }
    head.finish();
  };
  if (o.threads > 1) {
    // The workers parse whole blocks; the batches come back in input order to this thread.
    feed(bind_chain<line_block>(ops::ordered_parallel(o.threads, parse, 4, 1) | consume));
  } else {
    feed(bind_chain<line_block>(parse | consume));
  }

  report result;
  std::vector<summary> totals = stats.overall().result();
  result.total = totals.front();
  result.more_totals.assign(totals.begin() + 1, totals.end());
  result.malformed_count = stats.malformed_count();
  result.first_malformed = stats.take_first_malformed();
  result.read_error = stats.read_error();
  if (!o.by.empty()) {
    result.grouped = true;
    result.groups = stats.take_groups();
  }
  label_report(o, config, header, result);
  writer.use_labels(nullptr);
  return result;
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
    if (result.value_labels.size() == 1) {
      message += fmt::format(" in column {}", shown_text(result.value_labels.front()));
    } else if (!result.value_labels.empty()) {
      message += " in the columns";
      for (const std::string& label : result.value_labels) message += " " + shown_text(label);
    }
    return message;
  }
  const bool looks_like_csv = std::any_of(
      result.first_malformed.begin(), result.first_malformed.end(),
      [](const malformed& bad) { return bad.text.find_first_of(",;\t") != std::string::npos; });
  if (looks_like_csv) message += "; is this a CSV? try --column NAME";
  return message;
}

report_layout layout_for(const options& o) {
  report_layout layout;
  layout.alpha = o.alpha;
  layout.value_columns = 1 + o.more_columns.size();
  layout.key_fields = o.by.size();
  layout.sum = o.sum;
  layout.distinct = o.distinct;
  layout.quantiles = o.quantiles;
  layout.quantile_error = o.approx && !o.quantiles.empty() ? quantile_error_text() : "";
  layout.distinct_error = o.approx && o.distinct ? distinct_error_text() : "";
  layout.windows = o.window.has_value();
  layout.time_windows = o.window && o.window->by_time();
  return layout;
}

int execute(const options& given, std::istream& in, std::ostream& out, std::ostream& err,
            bool err_is_terminal) {
  options o = given;
  std::ifstream file;
  coflow::generator<input_line> lines;
  coflow::generator<line_block> blocks;
  std::optional<std::string> blocks_name;  // set when the input goes the batched path
  bool show_progress = true;
  std::uint64_t total_bytes = 0;
  std::uint64_t bytes_read = 0;
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
  } else {
    std::istream* source = &in;
    std::string name = "stdin";
    if (*o.input == "-") {
      show_progress = false;  // a pipe's size is unknown
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
      // Only a regular file has a size to measure progress against (not a FIFO, /dev/stdin).
      if (std::filesystem::is_regular_file(where, ec)) {
        total_bytes = std::filesystem::file_size(where, ec);
        if (ec) total_bytes = 0;
      }
      show_progress = total_bytes > 0;
      source = &file;
      name = path;
    }
    // Windows and --profile take the per-line pipeline; everything else the batched path.
    if (o.window || o.profile) {
      lines = read_lines(*source, name, &bytes_read);
    } else {
      blocks =
          read_blocks(*source, &bytes_read, std::size_t{1} << 18, std::make_shared<buffer_pool>());
      blocks_name = name;
    }
  }

  report_writer writer(o.format, layout_for(o), out);
  progress ticks(err, show_progress && err_is_terminal && !o.quiet, total_bytes, &bytes_read);
  const double started = seconds_now();
  report result;
  std::vector<coflow::stage_profile> stages;
  try {
    if (blocks_name) {
      result = compute_blocks(o, std::move(blocks), *blocks_name, writer, &ticks);
    } else {
      result = compute(o, std::move(lines), writer, &ticks, o.profile ? &stages : nullptr);
    }
  } catch (...) {
    ticks.clear();
    throw;
  }
  const double elapsed = seconds_now() - started;
  ticks.clear();

  writer.finish(result);
  err << format_malformed(result, program);
  if (result.late_count > 0) {
    err << fmt::format(
        "{}: {} value{} came after {} window had been written: in the totals, in no window\n",
        program, group_digits(result.late_count), result.late_count == 1 ? "" : "s",
        result.late_count == 1 ? "its" : "their");
  }
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
