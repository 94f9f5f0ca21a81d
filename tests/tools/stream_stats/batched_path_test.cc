// Tests of stream_stats' batched path (blocks.hpp, batch_statistics.hpp): the blocks hold the
// lines read_lines yields, wherever the blocks split them; and a run through the batched path
// reports exactly what the per-line pipeline reports, on one thread or several, for every kind
// of input and option the batched path takes.
#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <ios>
#include <istream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/failing_source.hpp"
#include "tests/support/trickling_source.hpp"
#include "tools/stream_stats/blocks.hpp"
#include "tools/stream_stats/options.hpp"
#include "tools/stream_stats/records.hpp"
#include "tools/stream_stats/report.hpp"
#include "tools/stream_stats/sources.hpp"
#include "tools/stream_stats/stream_stats.hpp"
#include "tools/stream_stats/text.hpp"

namespace stream_stats {
namespace {

// --- blocks ---------------------------------------------------------------------------------

// The texts of the lines of `blocks`, as each_line reads them.
std::vector<std::string> block_texts(coflow::generator<line_block> blocks,
                                     std::size_t* count = nullptr) {
  std::vector<std::string> texts;
  std::size_t seen = 0;
  for (line_block& block : blocks) {
    ++seen;
    EXPECT_EQ(block.stream_start, seen == 1);
    EXPECT_FALSE(block.failure.has_value());
    each_line(block.text, block.stream_start, [&](std::string_view text, std::size_t) {
      texts.emplace_back(text);
      return true;
    });
  }
  if (count != nullptr) *count = seen;
  return texts;
}

std::vector<std::string> line_texts(coflow::generator<input_line> lines) {
  std::vector<std::string> texts;
  for (const input_line& line : lines) texts.emplace_back(line.text);
  return texts;
}

TEST(ReadBlocks, HoldTheLinesReadLinesYieldsWhereverTheBlocksSplitThem) {
  const std::string long_line(1000, 'x');
  for (const std::string& input :
       {std::string(""), std::string("\n"), std::string("\n\n"), std::string("1"),
        std::string("1\r"), std::string("\r"), std::string("\r\n\r\n"),
        std::string("1\r\n22\n333\r\n4444"), std::string("a\r\r\nb\rc\n"),
        std::string("\xef\xbb\xbf") + "x\n" + long_line + "\n", std::string("\xef\xbb"),
        std::string("\xef\xbb\xbf"), std::string("\xef\xbb\xbf\n\xef\xbb\xbf"), long_line,
        long_line + "\r\n" + long_line + "\n\n" + long_line + "\r"}) {
    for (std::size_t block : {1u, 2u, 3u, 5u, 64u, 4096u, 1u << 18}) {
      std::istringstream lines_in(input);
      std::istringstream blocks_in(input);
      EXPECT_EQ(block_texts(read_blocks(blocks_in, nullptr, block)),
                line_texts(read_lines(lines_in, "test", nullptr, block)))
          << shown_text(input) << " in blocks of " << block;
    }
  }
}

TEST(ReadBlocks, ReadALineLongerThanManyBlocksIntoOneBlock) {
  std::string input(1'000'000, 'y');
  input += "\n2\n";
  std::istringstream in(input);
  std::uint64_t bytes_read = 0;
  const auto texts = block_texts(read_blocks(in, &bytes_read, 16));
  EXPECT_EQ(bytes_read, input.size());
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].size(), 1'000'000u);
  EXPECT_EQ(texts[1], "2");
}

TEST(ReadBlocks, ReuseThePoolsBuffersAndGiveTheSameLines) {
  std::string input;
  for (int i = 0; i < 20'000; ++i) input += std::to_string(i) + "\n";
  std::istringstream in(input);
  auto pool = std::make_shared<buffer_pool>();
  std::uint64_t lines = 0;
  std::uint64_t values = 0;
  for (line_block& block : read_blocks(in, nullptr, 4096, pool)) {
    EXPECT_EQ(block.pool, pool);
    sample_batch batch = parse_block(std::move(block));
    EXPECT_TRUE(batch.bad.empty());
    for (double v : batch.values) EXPECT_EQ(v, static_cast<double>(values++));
    lines += batch.lines;
    pool->give(std::move(batch));
  }
  EXPECT_EQ(lines, 20'000u);
  EXPECT_EQ(values, 20'000u);
}

using coflow_test::trickling_source;  // a pipe whose writer sends one chunk at a time

TEST(ReadBlocks, YieldALineAsSoonAsItArrivesWithoutWaitingForABlock) {
  trickling_source source({"1\n", "2", "2\n", "3"});
  std::istream in(&source);
  auto blocks = read_blocks(in);
  auto block = blocks.begin();
  EXPECT_EQ(block->text, "1\n");
  EXPECT_EQ(source.refills, 1u);  // the second line was not waited for
  ++block;
  EXPECT_EQ(block->text, "22\n");  // its part that came first waited for the rest
  EXPECT_EQ(source.refills, 3u);
  ++block;
  EXPECT_EQ(block->text, "3");
  ++block;
  EXPECT_TRUE(block == blocks.end());
}

using coflow_test::failing_source;  // a stream that fails as an unreadable disk

TEST(ReadBlocks, EndWithTheWholeLinesBeforeAReadErrorAndItsReason) {
  failing_source source("1\n2\nhalf a li");
  std::istream in(&source);
  std::vector<line_block> blocks;
  for (line_block& block : read_blocks(in)) blocks.push_back(std::move(block));
  ASSERT_FALSE(blocks.empty());
  ASSERT_TRUE(blocks.back().failure.has_value());
  EXPECT_EQ(*blocks.back().failure, "Input/output error");
  std::string text;
  for (const line_block& block : blocks) text += block.text;
  EXPECT_EQ(text, "1\n2\n");  // the line cut by the failure is dropped
}

// --- parse_block ------------------------------------------------------------------------------

TEST(ParseBlock, NumbersMalformedLinesWithinTheBlockAndCountsItsLines) {
  line_block block;
  block.text = "1\nx\n\n 2 \n+3\nnan\r\n1e999\n4";
  const sample_batch batch = parse_block(std::move(block));
  EXPECT_EQ(batch.lines, 8u);
  EXPECT_EQ(batch.values, (std::vector<double>{1, 2, 3, 4}));
  ASSERT_EQ(batch.bad.size(), 4u);
  EXPECT_EQ(batch.bad[0], (malformed{2, "not a number", "x"}));
  EXPECT_EQ(batch.bad[1], (malformed{3, "empty line", ""}));
  EXPECT_EQ(batch.bad[2], (malformed{6, "not a finite number", "nan"}));
  EXPECT_EQ(batch.bad[3], (malformed{7, "out of range", "1e999"}));
}

TEST(ParseBlock, KeepsEachSamplesKeyFieldsAsDecodeKeyGivesThemBack) {
  auto columns = std::make_shared<resolved_columns>();
  columns->values = {2};
  columns->keys = {0, 1};
  columns->value_labels = {"v"};
  columns->key_labels = {"a", "b"};
  line_block block;
  block.columns = columns;
  block.text = "north, x ,1\n\"a\"\"b\",,2\n,\"\",3\nshort,4\n";
  const sample_batch batch = parse_block(std::move(block));
  EXPECT_EQ(batch.values, (std::vector<double>{1, 2, 3}));
  ASSERT_EQ(batch.keys.size(), 3u);
  EXPECT_EQ(decode_key(batch.key(0)), (sample_key{"north", "x"}));
  EXPECT_EQ(decode_key(batch.key(1)), (sample_key{"a\"b", ""}));
  EXPECT_EQ(decode_key(batch.key(2)), (sample_key{"", ""}));
  // Keys of different fields never look alike: ("ab", "") and ("a", "b").
  std::string ab;
  append_key_field(ab, "ab");
  append_key_field(ab, "");
  std::string a_b;
  append_key_field(a_b, "a");
  append_key_field(a_b, "b");
  EXPECT_NE(ab, a_b);
  ASSERT_EQ(batch.bad.size(), 1u);
  EXPECT_EQ(batch.bad[0].line, 4u);
}

// Lines at the edges of simple_csv_rows' shape: quotes, blanks, missing and empty fields, other
// numbers, more fields than needed.
const std::vector<std::string>& edge_lines() {
  static const std::vector<std::string> lines = {"k1,2.5",
                                                 "k1,2.5,x",
                                                 "x,k1,3",
                                                 "k1,-0.25",
                                                 ".5,k",
                                                 "k,5.",
                                                 "k1,2.5e3",
                                                 "k1,1e999",
                                                 "k1,1e-400",
                                                 "k1,+2",
                                                 "k1, 2",
                                                 "k1,2 ",
                                                 " k1,2",
                                                 "k1 ,2",
                                                 "\tk1,2",
                                                 "k1\r,2",
                                                 "\rk1,2",
                                                 "\"k1\",2",
                                                 " \"k1\",2",
                                                 "\"k,1\",2,3",
                                                 "k1,\"2\"",
                                                 "k\"1,2",
                                                 "k1,2\"",
                                                 ",2",
                                                 "k1,",
                                                 ",",
                                                 "",
                                                 " ",
                                                 "k1",
                                                 "2",
                                                 "k1;2",
                                                 "k1;2;x",
                                                 "k1\t2",
                                                 "k1 2",
                                                 "k1,nan",
                                                 "k1,inf",
                                                 "k1,0x10",
                                                 "k1,2,,",
                                                 "\xff\xfe,2",
                                                 "k\xc3\xb6,2",
                                                 "k1,2\r",
                                                 "k1,--2",
                                                 "k1,2.5.1",
                                                 "k1,-",
                                                 "a,b,c,d,e,f,7",
                                                 "2,k1",
                                                 "2,k1\r",
                                                 "2,k1\r\r",
                                                 "2, k1",
                                                 "2,",
                                                 "a-key-longer-than-sixteen-bytes,2",
                                                 "2,a-key-longer-than-sixteen-bytes"};
  return lines;
}

// The first line of `text` as each_line finds it, and where the next one starts.
std::pair<std::string_view, std::size_t> first_line(std::string_view text) {
  std::pair<std::string_view, std::size_t> found;
  each_line(text, false, [&](std::string_view line, std::size_t rest) {
    found = {line, rest};
    return false;
  });
  return found;
}

// The edge lines as the start of a block: the whole text, a line end, a "\r\n", more lines.
const std::vector<std::string>& line_ends() {
  static const std::vector<std::string> ends = {"", "\n", "\r\n", "\nk2,3\n", "\r\n\n"};
  return ends;
}

TEST(SimpleCsvRows, ReadsWhatParseCsvIntoReadsOrLeavesTheLineToIt) {
  std::size_t read_by_both = 0;
  for (const char delimiter : {',', ';', '\t', ' '}) {
    for (const std::size_t value : {0u, 1u, 2u, 6u}) {
      for (const std::size_t key : {0u, 1u, 2u, 99u}) {
        resolved_columns columns;
        columns.delimiter = delimiter;
        columns.values = {value};
        columns.value_labels = {"v"};
        if (key != 99) {
          columns.keys = {key};
          columns.key_labels = {"k"};
        }
        const simple_csv_rows simple(columns);
        ASSERT_TRUE(simple.applies());
        for (const std::string& edge : edge_lines()) {
          for (const std::string& line_end : line_ends()) {
            const std::string text = edge + line_end;
            std::vector<double> values = {1};
            std::string_view row_key = "x";
            const char* const next =
                simple.read(text.data(), text.data() + text.size(), values, row_key);
            if (text.ends_with('\n')) {
              // The scans that trust the final line end read the same.
              std::vector<double> guarded_values = {1};
              std::string_view guarded_key = "x";
              EXPECT_EQ(simple.read<true>(text.data(), text.data() + text.size(), guarded_values,
                                          guarded_key),
                        next);
              EXPECT_EQ(guarded_values, values);
              EXPECT_EQ(guarded_key, row_key);
            }
            const auto [line, rest] = first_line(text);
            std::vector<csv_field> fields;
            std::vector<double> general_values = {1};
            const auto bad = parse_csv_into(input_line{1, line}, columns, fields, general_values);
            const std::string what = shown_text(text) + " delimiter " +
                                     shown_text({&delimiter, 1}) + " value " +
                                     std::to_string(value) + " key " + std::to_string(key);
            if (next == nullptr) {
              EXPECT_EQ(values, std::vector<double>{1}) << what;
              EXPECT_EQ(row_key, "x") << what;
              continue;
            }
            ++read_by_both;
            ASSERT_FALSE(bad.has_value()) << what;
            EXPECT_EQ(next, text.data() + rest) << what;  // the next line, as each_line finds it
            ASSERT_EQ(values.size(), 2u) << what;
            // Bit for bit: -0 is not 0.
            EXPECT_EQ(std::signbit(values[1]), std::signbit(general_values[1])) << what;
            EXPECT_EQ(values, general_values) << what;
            if (key != 99) {
              // The key is the line's own bytes, and the value parse_csv_line's key holds.
              EXPECT_GE(row_key.data(), text.data()) << what;
              EXPECT_LE(row_key.data() + row_key.size(), text.data() + text.size()) << what;
              EXPECT_EQ(row_key, unquote(fields[columns.keys.front()])) << what;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(read_by_both, 250u);  // the common rows do take the one-pass path
}

TEST(SimpleCsvRows, ReadTheCommonRowsAndLeaveOtherShapesAlone) {
  resolved_columns columns;
  columns.values = {1};
  columns.keys = {0};
  const simple_csv_rows simple(columns);
  std::vector<double> values;
  std::string_view key;
  auto read = [&](std::string_view text) {
    return simple.read(text.data(), text.data() + text.size(), values, key);
  };
  const std::string_view rows = "north,21.5\nsouth,-3,extra\r\n\"west\",1\neast, 1\n";
  const char* next = read(rows);
  EXPECT_EQ(next, rows.data() + 11);
  EXPECT_EQ(key, "north");
  next = read(rows.substr(11));
  EXPECT_EQ(next, rows.data() + 27);
  EXPECT_EQ(key, "south");
  EXPECT_EQ(read(rows.substr(27)), nullptr);
  EXPECT_EQ(read("east, 1"), nullptr);
  EXPECT_EQ(values, (std::vector<double>{21.5, -3}));

  for (auto shape :
       {+[](resolved_columns& c) {
          c.values = {1, 2};
        },
        +[](resolved_columns& c) {
          c.keys = {0, 2};
        },
        +[](resolved_columns& c) { c.time = 2; }, +[](resolved_columns& c) { c.delimiter = '.'; },
        +[](resolved_columns& c) { c.delimiter = '-'; },
        +[](resolved_columns& c) { c.delimiter = '5'; }}) {
    resolved_columns other = columns;
    shape(other);
    EXPECT_FALSE(simple_csv_rows(other).applies());
    const std::string_view text = "north,21.5,3";
    EXPECT_EQ(simple_csv_rows(other).read(text.data(), text.data() + text.size(), values, key),
              nullptr);
  }
}

TEST(SimpleCsvRows, ReadPlainLinesAsParsePlainIntoDoes) {
  const simple_csv_rows plain = simple_csv_rows::plain_lines();
  ASSERT_TRUE(plain.applies());
  std::size_t read_by_both = 0;
  for (const std::string_view number : {"1",
                                        "-0.00",
                                        "21.5",
                                        ".5",
                                        "5.",
                                        "-",
                                        ".",
                                        "",
                                        " 1",
                                        "1 ",
                                        "+1",
                                        "1e3",
                                        "1,5",
                                        "\"1\"",
                                        "12345678901234567890",
                                        "9007199254740993",
                                        "9007199254740992",
                                        "0.1234567890123456789",
                                        "1\r",
                                        "1\r\r",
                                        "nan",
                                        "1.2.3",
                                        "--1"}) {
    for (const std::string& line_end : line_ends()) {
      const std::string text = std::string(number) + line_end;
      std::vector<double> values;
      std::string_view key;
      const char* const next = plain.read(text.data(), text.data() + text.size(), values, key);
      if (text.ends_with('\n')) {
        std::vector<double> guarded;
        EXPECT_EQ(plain.read<true>(text.data(), text.data() + text.size(), guarded, key), next);
        EXPECT_EQ(guarded, values);
      }
      const auto [line, rest] = first_line(text);
      std::vector<double> general;
      const auto bad = parse_plain_into(input_line{1, line}, general);
      if (next == nullptr) {
        EXPECT_TRUE(values.empty()) << shown_text(text);
        continue;
      }
      ++read_by_both;
      ASSERT_FALSE(bad.has_value()) << shown_text(text);
      EXPECT_EQ(next, text.data() + rest) << shown_text(text);
      ASSERT_EQ(values.size(), 1u) << shown_text(text);
      EXPECT_EQ(std::signbit(values[0]), std::signbit(general[0])) << shown_text(text);
      EXPECT_EQ(values, general) << shown_text(text);
    }
  }
  EXPECT_GE(read_by_both, 30u);
}

// --- the batched path against the per-line pipeline ------------------------------------------

options options_of(std::vector<const char*> args) {
  args.insert(args.begin(), "stream_stats");
  const command_line cl = parse_command_line(args);
  EXPECT_TRUE(cl.run.has_value());
  return *cl.run;
}

// What a run shows: the written rows and the report's every field.
struct shown {
  std::string rows;
  std::string final_output;
  std::string malformed_text;
  report result;
};

shown finish(report result, output_format format, std::string rows) {
  std::ostringstream out;
  report_writer writer(format, 0.5, out);
  writer.finish(result);
  return {std::move(rows), out.str(), format_malformed(result, "stream_stats"), std::move(result)};
}

shown per_line(const options& o, const std::string& input) {
  std::istringstream in(input);
  std::ostringstream rows;
  report_writer writer(o.format, 0.5, rows);
  report result = compute(o, read_lines(in, "test"), writer, nullptr);
  return finish(std::move(result), o.format, rows.str());
}

shown batched(const options& o, const std::string& input, std::size_t block_size,
              std::istream* from = nullptr) {
  std::istringstream text(input);
  std::istream& in = from != nullptr ? *from : text;
  std::ostringstream rows;
  report_writer writer(o.format, 0.5, rows);
  report result =
      compute_blocks(o, read_blocks(in, nullptr, block_size, std::make_shared<buffer_pool>()),
                     "test", writer, nullptr);
  return finish(std::move(result), o.format, rows.str());
}

void expect_same(const shown& a, const shown& b, const std::string& what) {
  EXPECT_EQ(a.rows, b.rows) << what;
  EXPECT_EQ(a.final_output, b.final_output) << what;
  EXPECT_EQ(a.malformed_text, b.malformed_text) << what;
  EXPECT_EQ(a.result.total, b.result.total) << what;
  EXPECT_EQ(a.result.more_totals, b.result.more_totals) << what;
  EXPECT_EQ(a.result.groups, b.result.groups) << what;
  EXPECT_EQ(a.result.malformed_count, b.result.malformed_count) << what;
  EXPECT_EQ(a.result.first_malformed, b.result.first_malformed) << what;
  EXPECT_EQ(a.result.value_labels, b.result.value_labels) << what;
  EXPECT_EQ(a.result.key_labels, b.result.key_labels) << what;
  EXPECT_EQ(a.result.has_header, b.result.has_header) << what;
  EXPECT_EQ(a.result.grouped, b.result.grouped) << what;
  EXPECT_EQ(a.result.read_error, b.result.read_error) << what;
}

// Numbers that exercise the compensated statistics: a large offset, tiny and huge magnitudes.
std::string awkward_numbers(int n) {
  std::string text;
  for (int i = 0; i < n; ++i) {
    text += std::to_string(1e9 + i * 0.001) + "\n";
    if (i % 97 == 0) text += "1e-300\n-2.5e300\n";
    if (i % 101 == 0) text += "oops\n \n";
  }
  return text;
}

std::string keyed_rows(int n) {
  std::string text = "sensor,site,reading,load\n";
  const char* sensors[] = {"north", "south", "\"ea\"\"st\"", " west ", "", "n\xc3\xb6rth"};
  for (int i = 0; i < n; ++i) {
    text += std::string(sensors[i % 6]) + "," + std::to_string(i % 3) + "," +
            std::to_string(20 + (i * 37) % 11 * 0.25) + "," + std::to_string(i) + "\n";
    if (i % 89 == 0) text += "north,1,warm,2\n\xff\xfe,1\n";
  }
  return text;
}

// A header, then the edge lines and the same lines with a third field, in several orders.
std::string edge_rows(char delimiter = ',') {
  std::string text = std::string("a") + delimiter + "b" + delimiter + "c\n";
  for (const std::string& line : edge_lines()) {
    text += line + "\n" + line + ",k9\n" + "1," + line + "\n" + line + "\t4\t" + line + "\n";
  }
  return text;
}

// Keys of every length and form, before or after the value, some of them quoted (the general
// path), with "\r\n" and "\n" line ends and a last line without one: in blocks of a few bytes
// they span the blocks' boundaries.
std::string key_rows(bool key_first) {
  const std::vector<std::string> keys = {"k1",
                                         "",
                                         "k1\r",
                                         "\"k1\"",
                                         "\"k\"\"1\"",
                                         std::string(300, 'q'),
                                         "k1",
                                         "12345678",
                                         "a-key-of-17-bytes",
                                         std::string(5000, 'w'),
                                         "k\xc3\xb6",
                                         "\"\"",
                                         "k12345",
                                         "k1234567",
                                         "k\r1"};
  std::string text = key_first ? "key,value\r\n" : "value,key\r\n";
  for (std::size_t i = 0; i < 600; ++i) {
    const std::string& key = keys[i % keys.size()];
    const std::string value = std::to_string(static_cast<double>(i % 7) * 0.5 - 1);
    text += key_first ? key + "," + value : value + "," + key;
    text += i % 3 == 0 ? "\r\n" : "\n";
  }
  text += key_first ? "k1,9" : "9,k1";
  return text;
}

TEST(BatchedPath, ReportsWhatThePerLinePipelineReports) {
  const std::string long_line(5000, '7');
  const std::vector<std::pair<std::vector<const char*>, std::string>> cases = {
      {{"-", "-f", "csv"}, ""},
      {{"-", "-f", "csv"}, "1\n2\n3\n"},
      {{"-", "-f", "csv"},
       "\xef\xbb\xbf"
       "1\r\n2\r\n\r\n 3 \n+4\nnan\ninf\n-inf\n1e999\n1e-400\n"
       "0x10\n\xff\xfe\n" +
           long_line + "\n5"},
      {{"-", "-f", "json", "--every", "7", "--sum", "--distinct", "--median"},
       awkward_numbers(300)},
      {{"-", "-f", "table", "--every", "1", "--quantiles", "0.1,0.9", "--approx", "--distinct"},
       awkward_numbers(50)},
      {{"-", "-f", "csv", "--every", "3"}, "x\ny\n"},
      {{"-", "-f", "csv", "-c", "reading", "--by", "sensor"}, keyed_rows(500)},
      {{"-", "-f", "json", "-c", "reading,load", "--by", "sensor,site", "--every", "50", "--sum"},
       keyed_rows(400)},
      {{"-", "-f", "csv", "-c", "3", "--by", "1"}, keyed_rows(100)},         // a header, by number
      {{"-", "-f", "csv", "-c", "2"}, "a,1\nb,2\nc,x\n"},                    // no header
      {{"-", "-f", "csv", "-c", "2"}, "a,1\n"},                              // one line: held
      {{"-", "-f", "csv", "-c", "2"}, "name,value\n"},                       // a header alone
      {{"-", "-f", "csv", "-c", "2"}, "name,value\nb,oops\n"},               // no number: no header
      {{"-", "-f", "csv", "-c", "reading"}, "\n\r\n  \nreading\n1\n\n2\n"},  // blanks first
      {{"-", "-f", "csv", "-c", "v", "--delimiter", ";", "--by", "k"}, "k;v\na;1,5\nb;2\na;3\n"},
      {{"-", "-f", "csv", "-c", "1", "--by", "3"}, edge_rows()},  // one-pass rows and others
      {{"-", "-f", "csv", "-c", "3", "--by", "1"}, edge_rows()},
      {{"-", "-f", "csv", "-c", "2", "--by", "1", "--delimiter", "tab"}, edge_rows('\t')},
      {{"-", "-f", "csv", "-c", "value", "--by", "key"}, key_rows(true)},
      {{"-", "-f", "json", "-c", "value", "--by", "key", "--every", "100"}, key_rows(false)},
      {{"-", "-f", "csv", "-c", "1"},
       "1\r\n2.5\r\n-0\n\xef\xbb\xbf"
       "3\n4\r"},  // a byte order mark past the first line
  };
  for (const auto& [args, input] : cases) {
    const options o = options_of(args);
    const shown expected = per_line(o, input);
    for (std::size_t block : {1u, 7u, 64u, 1u << 18}) {
      for (std::size_t threads : {1u, 2u, 3u}) {
        options with_threads = o;
        with_threads.threads = threads;
        expect_same(batched(with_threads, input, block), expected,
                    shown_text(input.substr(0, 80)) + " with " + std::to_string(args.size()) +
                        " args, blocks of " + std::to_string(block) + ", " +
                        std::to_string(threads) + " threads");
      }
    }
  }
}

TEST(BatchedPath, ReportsWhatWasReadBeforeAReadErrorAsThePerLinePipelineDoes) {
  for (const std::string& input :
       {std::string("sensor,reading\nnorth,1\nsouth,3\nnorth,5\nwest,"), std::string("sensor,"),
        std::string("sensor,reading\n"), std::string("")}) {
    const options o = options_of({"-", "-f", "csv", "-c", "reading", "--by", "sensor"});
    failing_source lines_source(input);
    std::istream lines_in(&lines_source);
    std::ostringstream rows;
    report_writer writer(o.format, 0.5, rows);
    const shown expected =
        finish(compute(o, read_lines(lines_in, "test"), writer, nullptr), o.format, rows.str());
    EXPECT_NE(expected.result.read_error, "");
    for (std::size_t threads : {1u, 2u}) {
      options with_threads = o;
      with_threads.threads = threads;
      failing_source blocks_source(input);
      std::istream blocks_in(&blocks_source);
      expect_same(batched(with_threads, "", 1u << 18, &blocks_in), expected, shown_text(input));
    }
  }
}

TEST(BatchedPath, StopsAtAnUnknownColumnAsThePerLinePipelineDoes) {
  const options o = options_of({"-", "-c", "missing"});
  EXPECT_THROW(per_line(o, "a,b\n1,2\n"), input_error);
  for (std::size_t threads : {1u, 2u}) {
    options with_threads = o;
    with_threads.threads = threads;
    EXPECT_THROW(batched(with_threads, "a,b\n1,2\n", 1u << 18), input_error);
  }
}

// The whole command: --profile takes the per-line pipeline and writes only to stderr, so its
// stdout must be the batched path's, byte for byte.
TEST(BatchedPath, WritesTheSameOutputAsTheProfiledPerLineRun) {
  for (const char* format : {"table", "csv", "json"}) {
    for (const std::string& input : {awkward_numbers(2000), std::string("1\n2\nx\n")}) {
      auto run = [&](std::vector<const char*> extra) {
        std::vector<const char*> args = {"stream_stats", "-", "-q", "-f", format, "--every", "500"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::istringstream in(input);
        std::ostringstream out;
        std::ostringstream err;
        const int status = main_entry(args, in, out, err, false);
        return std::make_pair(status, out.str());
      };
      const auto profiled = run({"--profile"});
      EXPECT_EQ(profiled.first, 0);
      EXPECT_EQ(run({}), profiled) << format;
      EXPECT_EQ(run({"--threads", "2"}), profiled) << format;
    }
  }
}

}  // namespace
}  // namespace stream_stats
