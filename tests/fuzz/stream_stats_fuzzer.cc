// Fuzz target: the stream_stats tool on arbitrary input text and a command line drawn from its
// options.
//
// Input: five head bytes (seven with flag 64), then the input text (any bytes):
//   0  --format: table, csv or json (mod 3)
//   1  flags: 1 --column, 2 --by, 4 --every, 8 --strict, 16 columns by name ("value", "key")
//      rather than by number, 32 --alpha 1, 64 two more head bytes follow
//   2  --every N: 1 + (byte mod 8); also --window N
//   3  --column N: 1 + (byte mod 3)
//   4  --by N: 1 + (byte mod 3)
//   5  (flag 64) statistics: 1 --sum, 2 --distinct, 4 --median, 8 --quantiles 0,0.25,0.999,1,
//      16 --approx, 32 a second value column (-c N,N+1, or value,value2), 64 a second key field
//      (--by N,N+1, or key,key2), 128 --window N (instead of --every)
//   6  (flag 64) layout: delimiter (mod 4: none, -t ';', -t tab, -t '|'); 4 --window 2s with
//      --time-column (column 1 + (byte 3 + 1) mod 3, or "time") instead of a window of values
// The text is read as stdin ("-"). Properties:
// - main_entry returns 0, 1 or 2 and never throws; nothing crashes, leaks or is undefined
//   (ASan, UBSan under libFuzzer);
// - stdout and stderr are valid UTF-8 and hold no control character but '\n' (the terminal is
//   safe), and a JSON document is complete: balanced outside its strings, ended by "}\n";
// - every line read is counted once: samples + malformed lines + the header line = lines
//   read, and with --by the groups' counts add up to the total, in every value column;
// - the statistics hold together: min <= quantiles <= max, in order of q, and distinct values
//   at most the count.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/ranges/generator.hpp"
#include "tests/fuzz/fuzz_input.hpp"
#include "tools/stream_stats/options.hpp"
#include "tools/stream_stats/parse.hpp"
#include "tools/stream_stats/records.hpp"
#include "tools/stream_stats/report.hpp"
#include "tools/stream_stats/sources.hpp"
#include "tools/stream_stats/stream_stats.hpp"
#include "tools/stream_stats/text.hpp"

namespace {

using coflow::fuzz::fuzz_check;
using coflow::fuzz::fuzz_input;

struct command {
  std::vector<std::string> words;
  bool json = false;
};

command decode(fuzz_input& in) {
  command c;
  const std::size_t format = in.pick(3);
  const std::uint8_t flags = in.byte();
  const int every = in.small_int(1, 8);
  const int column = in.small_int(1, 3);
  const int by = in.small_int(1, 3);
  const bool named = (flags & 16) != 0;
  c.words = {"stream_stats", "-", "-q", "--format"};
  c.words.push_back(format == 0 ? "table" : format == 1 ? "csv" : "json");
  c.json = format == 2;
  if ((flags & 1) != 0) {
    c.words.insert(c.words.end(), {"--column", named ? "value" : std::to_string(column)});
  }
  if ((flags & 2) != 0) c.words.insert(c.words.end(), {"--by", named ? "key" : std::to_string(by)});
  const std::uint8_t more = (flags & 64) != 0 ? in.byte() : 0;
  const std::uint8_t layout = (flags & 64) != 0 ? in.byte() : 0;
  const bool window = (more & 128) != 0;
  if ((flags & 4) != 0 && !window) {
    c.words.insert(c.words.end(), {"--every", std::to_string(every)});
  }
  if ((flags & 8) != 0) c.words.push_back("--strict");
  if ((flags & 32) != 0) c.words.insert(c.words.end(), {"--alpha", "1"});
  if ((more & 1) != 0) c.words.push_back("--sum");
  if ((more & 2) != 0) c.words.push_back("--distinct");
  if ((more & 4) != 0) c.words.push_back("--median");
  if ((more & 8) != 0) c.words.insert(c.words.end(), {"--quantiles", "0,0.25,0.999,1"});
  if ((more & 16) != 0) c.words.push_back("--approx");
  // A second value column or key field extends the first (the options were added above).
  auto extend = [&](std::string_view option, std::string second) {
    for (std::size_t i = 0; i + 1 < c.words.size(); ++i) {
      if (c.words[i] == option) c.words[i + 1] += "," + second;
    }
  };
  if ((more & 32) != 0) extend("--column", named ? "value2" : std::to_string(column % 3 + 1));
  if ((more & 64) != 0) extend("--by", named ? "key2" : std::to_string(by % 3 + 1));
  switch (layout % 4) {
    case 1:
      c.words.insert(c.words.end(), {"-t", ";"});
      break;
    case 2:
      c.words.insert(c.words.end(), {"-t", "tab"});
      break;
    case 3:
      c.words.insert(c.words.end(), {"-t", "|"});
      break;
    default:
      break;
  }
  if (window && (layout & 4) != 0) {
    c.words.insert(c.words.end(), {"--window", "2s", "--time-column",
                                   named ? "time" : std::to_string((column + 1) % 3 + 1)});
  } else if (window) {
    c.words.insert(c.words.end(), {"--window", std::to_string(every)});
  }
  return c;
}

std::vector<const char*> arguments(const command& c) {
  std::vector<const char*> args;
  for (const std::string& word : c.words) args.push_back(word.c_str());
  return args;
}

// Valid UTF-8 without control characters but line ends: safe to show on a terminal.
void check_shown(std::string_view text, const char* stream) {
  fuzz_check(stream_stats::is_valid_utf8(text), std::string(stream) + " is not valid UTF-8");
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    fuzz_check(byte == '\n' || (byte >= 0x20 && byte != 0x7F),
               std::string(stream) + " holds a control character");
  }
}

// A complete JSON document: brackets balanced outside strings, strings closed, "}\n" last.
void check_json(std::string_view text) {
  std::vector<char> open;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      open.push_back(c);
    } else if (c == '}' || c == ']') {
      fuzz_check(!open.empty() && open.back() == (c == '}' ? '{' : '['), "unbalanced JSON");
      open.pop_back();
    }
  }
  fuzz_check(!in_string && open.empty(), "an unfinished JSON document");
  fuzz_check(text.size() >= 2 && text.substr(text.size() - 2) == "}\n", "JSON ends oddly");
}

coflow::generator<stream_stats::input_line> counted(
    coflow::generator<stream_stats::input_line> lines, std::uint64_t* read) {
  for (const stream_stats::input_line& line : lines) {
    ++*read;
    co_yield line;
  }
}

// Runs the pipeline itself, to compare its counts with the lines it read.
void check_counts(const command& c, const std::string& text) {
  const auto args = arguments(c);
  stream_stats::options o;
  try {
    o = *stream_stats::parse_command_line(args).run;
  } catch (const stream_stats::usage_error&) {
    return;
  }
  std::istringstream in(text);
  std::ostringstream out;
  stream_stats::report_writer writer(o.format, o.alpha, out);
  std::uint64_t read = 0;
  stream_stats::report result;
  try {
    result = stream_stats::compute(o, counted(stream_stats::read_lines(in, "stdin"), &read), writer,
                                   nullptr);
  } catch (const stream_stats::input_error&) {
    return;  // a column the first line lacks: nothing was counted
  }
  fuzz_check(result.total.count + result.malformed_count + (result.has_header ? 1 : 0) == read,
             "samples + malformed lines + header != lines read");
  std::vector<stream_stats::summary> totals{result.total};
  totals.insert(totals.end(), result.more_totals.begin(), result.more_totals.end());
  if (!o.by.empty()) {
    for (std::size_t i = 0; i < totals.size(); ++i) {
      std::uint64_t grouped = 0;
      for (const auto& group : result.groups) grouped += group.columns.at(i).count;
      fuzz_check(grouped == totals[i].count, "the groups' counts do not add up to the total");
    }
  }
  for (const stream_stats::summary& s : totals) {
    fuzz_check(s.count == result.total.count, "value columns counted different lines");
    if (s.distinct) fuzz_check(*s.distinct <= s.count, "more distinct values than values");
    std::optional<double> previous;
    for (const auto& q : s.quantiles) {
      if (!q) continue;
      fuzz_check(*q >= *s.min && *q <= *s.max, "a quantile outside [min, max]");
      // Quantiles are asked in increasing order of q (0, 0.25, 0.999, 1; the median first).
      if (previous && s.quantiles.size() == 4) {
        fuzz_check(*q >= *previous, "quantiles out of order");
      }
      previous = q;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz_input in(data, size);
  const command c = decode(in);
  const std::size_t head = size < 5 ? size : 5;
  const std::string text(reinterpret_cast<const char*>(data) + head, size - head);

  const auto args = arguments(c);
  std::istringstream stdin_text(text);
  std::ostringstream out;
  std::ostringstream err;
  const int status = stream_stats::main_entry(args, stdin_text, out, err, false);
  fuzz_check(status == 0 || status == 1 || status == 2, "an unknown exit status");
  check_shown(out.str(), "stdout");
  check_shown(err.str(), "stderr");
  if (c.json && !out.str().empty()) check_json(out.str());
  check_counts(c, text);
  return 0;
}
