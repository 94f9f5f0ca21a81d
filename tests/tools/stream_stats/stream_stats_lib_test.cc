// Tests of stream_stats' library: parsing, the record stage, the statistics pipeline, the
// report formats, the command line, and whole runs through main_entry on in-memory streams.
// Expected values were computed by hand or with Python's statistics module.
#include <gtest/gtest.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <ios>
#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "operators/for_each.hpp"
#include "operators/to_vector.hpp"
#include "operators/tumbling_count.hpp"
#include "pipeline/pipeline.hpp"
#include "pipeline/ranges/generator.hpp"
#include "pipeline/run.hpp"
#include "tests/support/failing_source.hpp"
#include "tests/support/trickling_source.hpp"
#include "tools/stream_stats/options.hpp"
#include "tools/stream_stats/parse.hpp"
#include "tools/stream_stats/records.hpp"
#include "tools/stream_stats/report.hpp"
#include "tools/stream_stats/sources.hpp"
#include "tools/stream_stats/statistics.hpp"
#include "tools/stream_stats/stream_stats.hpp"
#include "tools/stream_stats/text.hpp"
#include "tools/stream_stats/windows.hpp"

namespace stream_stats {
namespace {

// --- numbers -------------------------------------------------------------------------------

TEST(ParseNumber, ReadsDecimalAndScientificNumbers) {
  EXPECT_EQ(parse_number("42"), 42.0);
  EXPECT_EQ(parse_number("-3.25"), -3.25);
  EXPECT_EQ(parse_number("1e3"), 1000.0);
  EXPECT_EQ(parse_number("2.5E-1"), 0.25);
  EXPECT_EQ(parse_number(".5"), 0.5);
}

TEST(ParseNumber, AllowsBlanksAroundAndALeadingPlus) {
  EXPECT_EQ(parse_number("  7.5\t"), 7.5);
  EXPECT_EQ(parse_number("12\r"), 12.0);
  EXPECT_EQ(parse_number("+8"), 8.0);
}

TEST(ParseNumber, RejectsTextThatIsNotOneWholeNumber) {
  for (std::string_view text :
       {"abc", "1,5", "1.2.3", "12abc", "0x10", "++1", "+-1", "+", "- 1", "1 2"}) {
    EXPECT_EQ(parse_number(text), std::nullopt) << text;
    EXPECT_EQ(check_number(text).problem, number_problem::not_a_number) << text;
  }
}

TEST(ParseNumber, ReadsAValueTooSmallForADoubleAsZeroAndRejectsOneTooLarge) {
  EXPECT_EQ(parse_number("1e-400"), 0.0);
  const auto negative = parse_number("-1e-400");
  ASSERT_TRUE(negative.has_value());
  EXPECT_EQ(*negative, 0.0);
  EXPECT_TRUE(std::signbit(*negative));
  EXPECT_EQ(parse_number("+1e-400"), 0.0);
  EXPECT_EQ(parse_number("100000e-330"), 0.0);
  EXPECT_EQ(parse_number("0.0001e-321"), 0.0);
  EXPECT_EQ(parse_number("1e-99999999999999999999"), 0.0);
  EXPECT_EQ(parse_number("1e-310"), 1e-310);  // a subnormal
  EXPECT_EQ(parse_number("4e-324"), 4.9406564584124654e-324);
  EXPECT_EQ(check_number("1e400").problem, number_problem::out_of_range);
  EXPECT_EQ(check_number("-1e400").problem, number_problem::out_of_range);
  EXPECT_EQ(check_number("0.00001e310").problem, number_problem::none);
  EXPECT_EQ(check_number("0.001e312").problem, number_problem::out_of_range);
  EXPECT_EQ(check_number("1e99999999999999999999").problem, number_problem::out_of_range);
  EXPECT_EQ(check_number("1e-400x").problem, number_problem::not_a_number);
}

TEST(ParseNumber, SaysWhyAFieldIsNoNumber) {
  EXPECT_EQ(check_number("").problem, number_problem::empty);
  EXPECT_EQ(check_number("   ").problem, number_problem::empty);
  EXPECT_EQ(check_number("1e999").problem, number_problem::out_of_range);
  EXPECT_EQ(check_number("nan").problem, number_problem::not_finite);
  EXPECT_EQ(check_number("-inf").problem, number_problem::not_finite);
  EXPECT_EQ(describe(number_problem::not_finite), "not a finite number");
}

// from_chars' answer for the whole text, or nothing.
std::optional<double> from_chars_of(std::string_view text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

TEST(ReadShortDecimal, GivesFromCharsDoubleBitForBitOrDeclines) {
  std::vector<std::string> texts = {"0",
                                    "-0",
                                    "0.0",
                                    "-0.00",
                                    "1",
                                    "-1",
                                    "1.",
                                    ".5",
                                    "-.5",
                                    "20.41",
                                    "007.250",
                                    "9007199254740992",
                                    "9007199254740993",
                                    "0.9007199254740993",
                                    "9007199254740991.5",
                                    "1234567890123456789",
                                    "12345678901234567890",
                                    "0.1",
                                    "0.2",
                                    "0.3",
                                    "2.675",
                                    "1.0000000000000000000001",
                                    "0.0000000000000000000001",
                                    "0.00000000000000000000001",
                                    "123456789.0123456789012",
                                    "4.35",
                                    "1e5",
                                    "1.5e-3",
                                    ".",
                                    "-",
                                    "-.",
                                    "",
                                    "1.2.3",
                                    "1-",
                                    "--1",
                                    "+1",
                                    " 1",
                                    "1 ",
                                    "0x10",
                                    "1,5",
                                    "inf",
                                    "nan",
                                    "\xff"
                                    "1"};
  std::uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  for (int i = 0; i < 200'000; ++i) {
    std::string text = next() % 4 == 0 ? "-" : "";
    const std::size_t digits = 1 + next() % 20;
    const std::size_t point = next() % (digits + 2);  // digits + 1: none
    for (std::size_t d = 0; d < digits; ++d) {
      if (d == point) text += '.';
      text += static_cast<char>('0' + (next() % 10 == 0 ? 9 : next() % 10));
    }
    if (point == digits) text += '.';
    texts.push_back(std::move(text));
  }
  std::size_t read = 0;
  for (const std::string& text : texts) {
    double value = 42;
    if (!read_short_decimal(text, value)) {
      EXPECT_EQ(value, 42) << text;
      continue;
    }
    ++read;
    const auto expected = from_chars_of(text);
    ASSERT_TRUE(expected.has_value()) << text;
    EXPECT_TRUE(same_bits(value, *expected)) << text << ": " << value << " vs " << *expected;
  }
  EXPECT_GT(read, texts.size() / 2);  // most of them take the short path
  double value = 0;
  EXPECT_TRUE(read_short_decimal("-0.00", value));
  EXPECT_TRUE(std::signbit(value));
  EXPECT_FALSE(read_short_decimal("12345678901234567890", value));       // 20 digits
  EXPECT_FALSE(read_short_decimal("9007199254740993", value));           // beyond 2^53
  EXPECT_FALSE(read_short_decimal("1.00000000000000000000001", value));  // 23 decimals
  EXPECT_FALSE(read_short_decimal("1e5", value));
}

TEST(ReadSimpleNumber, AgreesWithCheckNumberWhereverItReads) {
  for (const std::string_view text :
       {"1", "-0", "20.41", "1e5", "1e-400", "1e999", "9007199254740993", ".5", "5.", "-.5", " 1",
        "+1", "nan", "-inf", "0x10", "1.2.3", "-", "."}) {
    double value = 0;
    if (!read_simple_number(text, value)) continue;
    const parsed_number checked = check_number(text);
    ASSERT_TRUE(checked.value.has_value()) << text;
    EXPECT_TRUE(same_bits(value, *checked.value)) << text;
  }
}

// --- CSV -----------------------------------------------------------------------------------

std::vector<std::string> values_of(std::string_view line) {
  std::vector<csv_field> fields;
  split_csv(line, fields);
  std::vector<std::string> values;
  for (const auto& field : fields) values.push_back(unquote(field));
  return values;
}

TEST(SplitCsv, SplitsOnCommas) {
  EXPECT_EQ(values_of("a,b,c"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(values_of("a,,c,"), (std::vector<std::string>{"a", "", "c", ""}));
  EXPECT_EQ(values_of(""), (std::vector<std::string>{""}));
}

TEST(SplitCsv, KeepsCommasAndDoubledQuotesInsideQuotedFields) {
  EXPECT_EQ(values_of(R"(north,"a, b",3)"), (std::vector<std::string>{"north", "a, b", "3"}));
  EXPECT_EQ(values_of(R"("say ""hi""",2)"), (std::vector<std::string>{R"(say "hi")", "2"}));
  EXPECT_EQ(values_of(R"( "x" , 1)"), (std::vector<std::string>{"x", "1"}));
}

TEST(SplitCsv, RunsAnUnterminatedQuoteToTheEndOfTheLine) {
  EXPECT_EQ(values_of(R"(a,"b,c)"), (std::vector<std::string>{"a", "b,c"}));
}

TEST(SplitCsv, TrimsBlanksAroundUnquotedFields) {
  EXPECT_EQ(values_of(" a , 2 "), (std::vector<std::string>{"a", "2"}));
}

// --- column specs --------------------------------------------------------------------------

TEST(ParseColumnSpec, ReadsDigitsAsAOneBasedColumnNumber) {
  EXPECT_EQ(parse_column_spec("1", "--column").column,
            (std::variant<std::size_t, std::string>(0u)));
  EXPECT_EQ(parse_column_spec("12", "--column").column,
            (std::variant<std::size_t, std::string>(11u)));
  EXPECT_FALSE(parse_column_spec("3", "--column").by_name());
}

TEST(ParseColumnSpec, ReadsAnythingElseAsAHeaderName) {
  const column_spec spec = parse_column_spec("reading", "--column");
  EXPECT_TRUE(spec.by_name());
  EXPECT_EQ(std::get<std::string>(spec.column), "reading");
  EXPECT_EQ(spec.describe(), "\"reading\"");
}

TEST(ParseColumnSpec, RejectsColumnZeroAndEmptySpecs) {
  try {
    (void)parse_column_spec("0", "--column");
    FAIL() << "column 0 was accepted";
  } catch (const usage_error& e) {
    EXPECT_STREQ(e.what(), "--column: columns are numbered from 1, got 0");
  }
  EXPECT_THROW((void)parse_column_spec("", "--by"), usage_error);
}

// --- the record stage ----------------------------------------------------------------------

std::vector<record> parse_all(std::vector<std::string> texts, reader_config config,
                              header_info* header = nullptr) {
  std::vector<input_line> lines;
  for (std::size_t i = 0; i < texts.size(); ++i) lines.push_back({i + 1, texts[i]});
  return coflow::run(lines, parse_records(std::move(config), header) | coflow::sinks::to_vector());
}

column_spec spec(std::string_view text) { return parse_column_spec(text, "--column"); }

// A value column, and a key column unless `key` is empty.
reader_config columns(std::string_view value, std::string_view key = {}) {
  reader_config config;
  config.value_columns = {spec(value)};
  if (!key.empty()) config.key_columns = {spec(key)};
  return config;
}

TEST(ParseRecords, ReadsOneNumberPerLine) {
  const auto records = parse_all({"1.5", " 2 ", "x", ""}, {});
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[0], record(sample{{1.5}, {}}));
  EXPECT_EQ(records[1], record(sample{{2.0}, {}}));
  EXPECT_EQ(records[2], record(malformed{3, "not a number", "x"}));
  EXPECT_EQ(records[3], record(malformed{4, "empty line", ""}));
}

TEST(ParseRecords, TakesTheHeaderFromTheFirstLineWhenAColumnIsNamed) {
  header_info header;
  const auto records = parse_all({"sensor,reading", "north,1", "south,x", "west"},
                                 columns("reading", "sensor"), &header);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], record(sample{{1.0}, {"north"}}));
  EXPECT_EQ(records[1], record(malformed{3, "reading is not a number", "south,x"}));
  EXPECT_EQ(records[2], record(malformed{4, "no column 2 (the line has 1 field)", "west"}));
  EXPECT_TRUE(header.has_header);
  EXPECT_EQ(header.value_labels, std::vector<std::string>{"reading"});
  EXPECT_EQ(header.key_labels, std::vector<std::string>{"sensor"});
}

TEST(ParseRecords, DetectsAHeaderWhenColumnsAreNumbered) {
  header_info header;
  const auto records = parse_all({"name,value", "a,1", "b,2"}, columns("2", "1"), &header);
  EXPECT_EQ(records, (std::vector<record>{sample{{1.0}, {"a"}}, sample{{2.0}, {"b"}}}));
  EXPECT_TRUE(header.has_header);
  EXPECT_EQ(header.key_labels, std::vector<std::string>{"name"});
}

TEST(ParseRecords, ReadsNumberedColumnsWithoutAHeader) {
  header_info header;
  const auto records = parse_all({"a,1", "b,2"}, columns("2", "1"), &header);
  EXPECT_EQ(records, (std::vector<record>{sample{{1.0}, {"a"}}, sample{{2.0}, {"b"}}}));
  EXPECT_FALSE(header.has_header);
  EXPECT_EQ(header.key_labels, std::vector<std::string>{"column 1"});
}

TEST(ParseRecords, ReportsAFirstLineThatIsNoHeaderBecauseTheNextLineIsBadToo) {
  const auto records = parse_all({"a,x", "b,y", "c,3"}, columns("2"));
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0], record(malformed{1, "column 2 is not a number", "a,x"}));
  EXPECT_EQ(records[1], record(malformed{2, "column 2 is not a number", "b,y"}));
  EXPECT_EQ(records[2], record(sample{{3.0}, {}}));
}

TEST(ParseRecords, ReportsALoneLineThatIsNoNumber) {
  const auto records = parse_all({"value"}, columns("1"));
  EXPECT_EQ(records, (std::vector<record>{malformed{1, "column 1 is not a number", "value"}}));
}

TEST(ParseRecords, OutputsNothingForAHeaderAlone) {
  EXPECT_TRUE(parse_all({"sensor,reading"}, columns("reading")).empty());
  EXPECT_TRUE(parse_all({}, columns("reading")).empty());
}

TEST(ParseRecords, FailsOnAColumnNameTheHeaderLacks) {
  try {
    (void)parse_all({"sensor,reading", "north,1"}, columns("celsius"));
    FAIL() << "an unknown column was accepted";
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(),
                 "--column \"celsius\": unknown column; the header has \"sensor\", \"reading\"");
  }
}

TEST(ParseRecords, FailsOnAColumnNumberBeyondTheFirstLine) {
  try {
    (void)parse_all({"1,2", "3,4"}, columns("3"));
    FAIL() << "a column beyond the first line was accepted";
  } catch (const input_error& e) {
    EXPECT_STREQ(e.what(), "--column 3: no such column, the first line has 2 fields");
  }
}

TEST(ParseRecords, KeepsOnlyTheStartOfALongMalformedLine) {
  const std::string long_line(1000, 'x');
  const auto records = parse_all({long_line}, {});
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(std::get<malformed>(records[0]).text.size(), max_kept_text);
}

TEST(ParseRecords, KeepsWholeCharactersOfALongMalformedLine) {
  // A four-byte character straddles the cut: it is left out whole.
  const std::string long_line = std::string(max_kept_text - 2, 'x') + "\xf0\x9f\x98\x80" + "tail";
  const auto records = parse_all({long_line}, {});
  const std::string& kept = std::get<malformed>(records.at(0)).text;
  EXPECT_EQ(kept, std::string(max_kept_text - 2, 'x'));
  EXPECT_TRUE(is_valid_utf8(kept));
}

TEST(ParseRecords, ReportsBlankLinesBeforeTheHeaderAndReadsTheHeaderAfterThem) {
  header_info header;
  const auto named =
      parse_all({"", "  ", "sensor,reading", "north,1"}, columns("reading", "sensor"), &header);
  EXPECT_EQ(named,
            (std::vector<record>{malformed{1, "empty line", ""}, malformed{2, "empty line", "  "},
                                 sample{{1.0}, {"north"}}}));
  EXPECT_TRUE(header.has_header);
  const auto numbered = parse_all({"", "name,value", "a,1"}, columns("2"));
  EXPECT_EQ(numbered, (std::vector<record>{malformed{1, "empty line", ""}, sample{{1.0}, {}}}));
  EXPECT_EQ(parse_all({"", ""}, columns("reading")).size(), 2u);
}

// --- the statistics pipeline ---------------------------------------------------------------

const std::vector<double> one_to_ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

summary basic(std::uint64_t count, std::optional<double> mean, std::optional<double> min,
              std::optional<double> max, std::optional<double> stddev, std::optional<double> ewma) {
  summary s;
  s.count = count;
  s.mean = mean;
  s.min = min;
  s.max = max;
  s.stddev = stddev;
  s.ewma = ewma;
  return s;
}

summary basic() { return summary{}; }

std::shared_ptr<statistics_config> config_with_alpha(double alpha) {
  auto config = std::make_shared<statistics_config>();
  config->alpha = alpha;
  return config;
}

summary statistics_of(const std::vector<double>& values,
                      std::shared_ptr<const statistics_config> config) {
  column_statistics s(std::move(config));
  for (double x : values) s.add(x);
  return s.result();
}

TEST(Statistics, ComputesEveryStatisticOfAStream) {
  const summary s = statistics_of(one_to_ten, config_with_alpha(0.5));
  EXPECT_EQ(s.count, 10u);
  EXPECT_EQ(s.mean, 5.5);
  EXPECT_EQ(s.min, 1.0);
  EXPECT_EQ(s.max, 10.0);
  ASSERT_TRUE(s.stddev.has_value());
  EXPECT_NEAR(*s.stddev, 3.0276503540974917, 1e-12);  // statistics.stdev(range(1, 11))
  EXPECT_EQ(s.ewma, 9.001953125);                     // 1, 1.5, 2.25, ... each step halves the gap
  EXPECT_FALSE(s.sum.has_value());
  EXPECT_FALSE(s.distinct.has_value());
  EXPECT_TRUE(s.quantiles.empty());
}

TEST(Statistics, GivesNoValuesForAnEmptyStream) {
  const summary s = statistics_of({}, config_with_alpha(0.1));
  EXPECT_EQ(s, basic());
  EXPECT_EQ(s.count, 0u);
  EXPECT_FALSE(s.mean.has_value());
}

TEST(Statistics, NeedsTwoValuesForAStandardDeviation) {
  const summary s = statistics_of({4.0}, config_with_alpha(0.1));
  EXPECT_EQ(s.count, 1u);
  EXPECT_EQ(s.mean, 4.0);
  EXPECT_FALSE(s.stddev.has_value());
}

TEST(Statistics, GivesTheRunningValuesAfterEachValue) {
  column_statistics s(config_with_alpha(0.5));
  s.add(2);
  EXPECT_EQ(s.result(), (basic(1, 2.0, 2.0, 2.0, std::nullopt, 2.0)));
  s.add(4);
  EXPECT_EQ(s.result(), (basic(2, 3.0, 2.0, 4.0, std::sqrt(2.0), 3.0)));
  s.add(6);
  EXPECT_EQ(s.result(), (basic(3, 4.0, 2.0, 6.0, 2.0, 4.5)));
}

TEST(Statistics, SumsAccurately) {
  auto config = config_with_alpha(0.1);
  config->sum = true;
  // A plain running sum gives 0 here: 1 is lost next to 1e100.
  EXPECT_EQ(statistics_of({1e100, 1.0, -1e100}, config).sum, 1.0);
  std::vector<double> tenths(10, 0.1);
  EXPECT_EQ(statistics_of(tenths, config).sum, 1.0);  // a plain sum gives 0.9999999999999999
  EXPECT_EQ(statistics_of({}, config).sum, 0.0);
}

TEST(Statistics, CountsDistinctValuesWithMinusZeroAsZero) {
  auto config = config_with_alpha(0.1);
  config->distinct = true;
  EXPECT_EQ(statistics_of({1, 2, 2, 3, 1, 0.0, -0.0}, config).distinct, 4u);
  EXPECT_EQ(statistics_of({}, config).distinct, 0u);
}

TEST(Statistics, EstimatesDistinctValuesWithHyperLogLogUnderApprox) {
  auto config = config_with_alpha(0.1);
  config->distinct = true;
  config->approx = true;
  column_statistics s(config);
  for (int i = 0; i < 100'000; ++i) s.add(i % 50'000);
  const auto distinct = s.result().distinct;
  ASSERT_TRUE(distinct.has_value());
  // 0.81 % standard error: 4 % is five of them.
  EXPECT_NEAR(static_cast<double>(*distinct), 50'000, 2'000);
  EXPECT_EQ(statistics_of({1, 2, 2, -0.0, 0.0}, config).distinct, 3u);
  EXPECT_EQ(statistics_of({}, config).distinct, 0u);
  EXPECT_EQ(distinct_error_text(), "relative standard error 0.81% (HyperLogLog p=14)");
}

TEST(Statistics, SketchesQuantilesWithKllUnderApprox) {
  auto config = config_with_alpha(0.1);
  config->quantiles = {0.01, 0.5, 0.99};
  config->approx = true;
  column_statistics s(config);
  // 0, 1, ..., 99999 in a scrambled order: the q-quantile's rank is q.
  for (std::uint64_t i = 0; i < 100'000; ++i) s.add(static_cast<double>(i * 7919 % 100'000));
  const summary r = s.result();
  ASSERT_EQ(r.quantiles.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(r.quantiles[i].has_value());
    EXPECT_NEAR(*r.quantiles[i] / 100'000, config->quantiles[i], 0.013) << i;
  }
  EXPECT_EQ(quantile_error_text(),
            "approximate quantiles (KLL sketch, k = 200): rank error <= 0.013 with probability "
            ">= 99%, measured");
}

TEST(Statistics, ComputesQuantilesAsDatamashPercDoes) {
  auto config = config_with_alpha(0.1);
  config->quantiles = {0.5, 0.25, 0.75, 0.9, 0, 1};
  // numpy.quantile([1..10], q) (datamash perc/q1/q3/median agree): 5.5, 3.25, 7.75, 9.1, 1, 10.
  const summary s = statistics_of({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, config);
  ASSERT_EQ(s.quantiles.size(), 6u);
  EXPECT_EQ(s.quantiles[0], 5.5);
  EXPECT_EQ(s.quantiles[1], 3.25);
  EXPECT_EQ(s.quantiles[2], 7.75);
  EXPECT_NEAR(*s.quantiles[3], 9.1, 1e-12);
  EXPECT_EQ(s.quantiles[4], 1.0);
  EXPECT_EQ(s.quantiles[5], 10.0);
  EXPECT_EQ(statistics_of({7}, config).quantiles[3], 7.0);
  const summary none = statistics_of({}, config);
  ASSERT_EQ(none.quantiles.size(), 6u);
  EXPECT_FALSE(none.quantiles[0].has_value());
}

TEST(Statistics, MergesAsIfOneStateHadSeenEveryValue) {
  auto config = config_with_alpha(0.5);
  config->sum = true;
  config->distinct = true;
  config->quantiles = {0.5};
  column_statistics first(config);
  column_statistics second(config);
  column_statistics all(config);
  for (double x : {1.0, 5.0, 2.0}) {
    first.add(x);
    all.add(x);
  }
  for (double x : {8.0, 2.0, 3.0, 9.0}) {
    second.add(x);
    all.add(x);
  }
  first.merge(second);
  const summary merged = first.result();
  const summary whole = all.result();
  EXPECT_EQ(merged.count, whole.count);
  EXPECT_NEAR(*merged.mean, *whole.mean, 1e-12);
  EXPECT_NEAR(*merged.stddev, *whole.stddev, 1e-12);
  EXPECT_NEAR(*merged.ewma, *whole.ewma, 1e-12);
  EXPECT_EQ(merged.min, whole.min);
  EXPECT_EQ(merged.max, whole.max);
  EXPECT_EQ(merged.sum, whole.sum);
  EXPECT_EQ(merged.distinct, whole.distinct);
  EXPECT_EQ(merged.quantiles, whole.quantiles);
}

TEST(Windows, ConvertsSecondsToMicrosecondsAndSaturates) {
  EXPECT_EQ(to_window_time(1.5).time_since_epoch().count(), 1'500'000);
  EXPECT_EQ(to_window_time(-2).time_since_epoch().count(), -2'000'000);
  EXPECT_EQ(to_window_time(1e300), window_time::max());
  EXPECT_EQ(to_window_time(-1e300), window_time::min());
  EXPECT_EQ(seconds_of(to_window_time(1700000000.25)), 1700000000.25);
  EXPECT_EQ(to_window_duration(10).count(), 10'000'000);
  EXPECT_EQ(to_window_duration(1e-9).count(), 1);  // never an empty window
}

TEST(Windows, KeepsEachKeysStatisticsWithinAWindow) {
  const auto config = config_with_alpha(0.5);
  window_statistics grouped(config, 1, true);
  grouped.add(sample{{1}, {"b"}});
  grouped.add(sample{{2}, {"a"}});
  grouped.add(sample{{3}, {"b"}});
  const window_rows rows = grouped.result();
  EXPECT_TRUE(rows.totals.empty());
  ASSERT_EQ(rows.groups.size(), 2u);
  EXPECT_EQ(rows.groups[0].key, std::vector<std::string>{"a"});
  EXPECT_EQ(rows.groups[1].key, std::vector<std::string>{"b"});
  EXPECT_EQ(rows.groups[1].columns.at(0).mean, 2.0);
  window_statistics plain(config, 2, false);
  plain.add(sample{{1, 10}, {}});
  plain.add(sample{{3, 30}, {}});
  const window_rows totals = plain.result();
  ASSERT_EQ(totals.totals.size(), 2u);
  EXPECT_EQ(totals.totals[1].mean, 20.0);
}

TEST(Windows, RunsInCoflowsTumblingCountWindows) {
  const auto config = config_with_alpha(0.5);
  std::vector<sample> samples;
  for (double x : {1.0, 2.0, 3.0, 4.0, 5.0}) samples.push_back(sample{{x}, {}});
  const auto windows =
      coflow::run(samples, coflow::ops::tumbling_count(2, window_statistics(config, 1, false)) |
                               coflow::sinks::to_vector());
  ASSERT_EQ(windows.size(), 3u);
  EXPECT_EQ(windows[0].result.totals.at(0).mean, 1.5);
  EXPECT_EQ(windows[2].count, 1u);
  EXPECT_EQ(windows[2].result.totals.at(0).mean, 5.0);
}

TEST(RowStatistics, GivesEachColumnItsOwnStatistics) {
  row_statistics rows(config_with_alpha(0.5), 2);
  rows.add({1, 10});
  rows.add({3, 30});
  const std::vector<summary> s = rows.result();
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].mean, 2.0);
  EXPECT_EQ(s[1].mean, 20.0);
  EXPECT_EQ(rows.count(), 2u);
}

// --- formatting ----------------------------------------------------------------------------

TEST(GroupDigits, PutsACommaBetweenThousands) {
  EXPECT_EQ(group_digits(0), "0");
  EXPECT_EQ(group_digits(999), "999");
  EXPECT_EQ(group_digits(1000), "1,000");
  EXPECT_EQ(group_digits(1234567), "1,234,567");
}

TEST(FormatValue, ShowsSixDigitsInTablesAndEveryDigitElsewhere) {
  EXPECT_EQ(format_value(3.0276503540974917, output_format::table), "3.02765");
  EXPECT_EQ(format_value(3.0276503540974917, output_format::csv), "3.0276503540974917");
  EXPECT_EQ(format_value(3.0276503540974917, output_format::json), "3.0276503540974917");
  EXPECT_EQ(format_value(10.0, output_format::json), "10");
}

TEST(FormatValue, ShowsAMissingValueWithoutNaN) {
  EXPECT_EQ(format_value(std::nullopt, output_format::table), "-");
  EXPECT_EQ(format_value(std::nullopt, output_format::csv), "");
  EXPECT_EQ(format_value(std::nullopt, output_format::json), "null");
  EXPECT_EQ(format_value(HUGE_VAL, output_format::json), "null");
}

TEST(CsvEscape, QuotesOnlyFieldsThatNeedIt) {
  EXPECT_EQ(csv_escape("north"), "north");
  EXPECT_EQ(csv_escape("a,b"), "\"a,b\"");
  EXPECT_EQ(csv_escape("say \"hi\""), "\"say \"\"hi\"\"\"");
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(json_string("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(json_string("tab\there\x01"), R"("tab\there\u0001")");
}

TEST(JsonString, ReplacesInvalidUtf8AndEscapesC1Controls) {
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_string("caf\xe9"), "\"caf\xef\xbf\xbd\"");
  EXPECT_EQ(json_string("\x1b[1m\x7f\xc2\x9b"), R"("\u001b[1m\u007f\u009b")");
}

TEST(DecodeUtf8, DecodesEachLengthOfSequence) {
  EXPECT_EQ(decode_utf8("A").code_point, U'A');
  const utf8_unit two = decode_utf8("\xc3\xa9");
  EXPECT_TRUE(two.valid);
  EXPECT_EQ(two.code_point, U'\u00e9');
  EXPECT_EQ(two.length, 2u);
  EXPECT_EQ(decode_utf8("\xe2\x82\xac").code_point, U'\u20ac');
  const utf8_unit four = decode_utf8("\xf0\x9f\x98\x80");
  EXPECT_EQ(four.code_point, U'\U0001f600');
  EXPECT_EQ(four.length, 4u);
  EXPECT_EQ(decode_utf8("\xf4\x8f\xbf\xbf").code_point, U'\U0010ffff');
}

TEST(DecodeUtf8, RejectsIllFormedSequencesOneByteAtATime) {
  for (std::string_view bad : {"\x80",              // a continuation byte alone
                               "\xc3",              // truncated
                               "\xe2\x82",          // truncated
                               "\xc3\x28",          // a lead without its continuation
                               "\xc0\xaf",          // overlong '/'
                               "\xe0\x80\xaf",      // overlong '/'
                               "\xf0\x80\x80\xaf",  // overlong '/'
                               "\xed\xa0\x80",      // a surrogate, U+D800
                               "\xed\xbf\xbf",      // a surrogate, U+DFFF
                               "\xf4\x90\x80\x80",  // U+110000
                               "\xf8\x88\x80\x80\x80", "\xff", "\xfe"}) {
    const utf8_unit unit = decode_utf8(bad);
    EXPECT_FALSE(unit.valid) << testing::PrintToString(bad);
    EXPECT_EQ(unit.length, 1u);
    EXPECT_FALSE(is_valid_utf8(bad));
  }
  EXPECT_TRUE(is_valid_utf8("plain \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_TRUE(is_valid_utf8(""));
}

TEST(Utf8Prefix, NeverSplitsACharacter) {
  const std::string_view text =
      "ab\xf0\x9f\x98\x80"
      "cd";
  EXPECT_EQ(utf8_prefix(text, 2), 2u);
  EXPECT_EQ(utf8_prefix(text, 3), 2u);
  EXPECT_EQ(utf8_prefix(text, 5), 2u);
  EXPECT_EQ(utf8_prefix(text, 6), 6u);
  EXPECT_EQ(utf8_prefix(text, 100), text.size());
  EXPECT_EQ(utf8_prefix("\xe9\xe9\xe9", 2), 2u);  // invalid bytes are units of one
}

TEST(EscapeControls, EscapesControlsAndKeepsQuotes) {
  EXPECT_EQ(escape_controls("a\"b\\c"), "a\"b\\c");
  EXPECT_EQ(escape_controls("\x1b[2J\ttab\r"), "\\u001b[2J\\ttab\\r");
  EXPECT_EQ(escape_controls("\xe9"), "\xef\xbf\xbd");
}

TEST(ShownText, CutsBetweenCharacters) {
  EXPECT_EQ(shown_text("a\xc3\xa9", 2), "\"a\"...");
  EXPECT_EQ(shown_text("a\xc3\xa9", 3), "\"a\xc3\xa9\"");
}

TEST(ShownText, CutsLongTextAndMarksTheCut) {
  EXPECT_EQ(shown_text("abcdef", 3), "\"abc\"...");
  EXPECT_EQ(shown_text("ab\ncd"), "\"ab\\ncd\"");
}

TEST(FormatRate, ScalesToThousandsAndMillions) {
  EXPECT_EQ(format_rate(500, 1.0), "500 values/s");
  EXPECT_EQ(format_rate(48'200, 1.0), "48.2 k values/s");
  EXPECT_EQ(format_rate(4'860'000, 2.0), "2.43 M values/s");
  EXPECT_EQ(format_rate(10, 0.0), "- values/s");
}

TEST(FormatMalformed, ListsTheFirstLinesAndCountsThemAll) {
  report r;
  r.malformed_count = 7;
  r.first_malformed = {malformed{2, "not a number", "abc"}, malformed{9, "empty line", ""}};
  EXPECT_EQ(format_malformed(r, "prog"),
            "prog: line 2: not a number: \"abc\"\n"
            "prog: line 9: empty line\n"
            "prog: 7 malformed lines skipped (the first 2 shown)\n");
  r.malformed_count = 2;
  EXPECT_EQ(format_malformed(r, "prog"),
            "prog: line 2: not a number: \"abc\"\n"
            "prog: line 9: empty line\n"
            "prog: 2 malformed lines skipped\n");
  EXPECT_EQ(format_malformed(report{}, "prog"), "");
}

report keyed_report() {
  report r;
  r.total = basic(5, 7.8, 1.0, 20.0, 7.5960516059331775, 8.5625);
  r.grouped = true;
  r.key_labels = {"sensor"};
  r.groups = {{{"east"}, {basic(1, 5.0, 5.0, 5.0, std::nullopt, 5.0)}},
              {{"north"}, {basic(2, 2.0, 1.0, 3.0, 1.4142135623730951, 2.0)}},
              {{"south"}, {basic(2, 15.0, 10.0, 20.0, 7.0710678118654755, 15.0)}}};
  r.malformed_count = 1;
  r.first_malformed = {malformed{4, "reading is empty", "west,"}};
  return r;
}

std::string written(output_format format, const report& r,
                    const std::vector<summary>& running = {}) {
  std::ostringstream out;
  report_writer writer(format, 0.5, out);
  for (const auto& now : running) writer.running(now);
  writer.finish(r);
  return out.str();
}

TEST(ReportWriter, WritesAnAlignedTable) {
  EXPECT_EQ(written(output_format::table, keyed_report()),
            "count            5\n"
            "mean           7.8\n"
            "min              1\n"
            "max             20\n"
            "stddev     7.59605\n"
            "ewma(0.5)   8.5625\n"
            "malformed        1\n"
            "\n"
            "sensor  count  mean  min  max   stddev  ewma(0.5)\n"
            "east        1     5    5    5        -          5\n"
            "north       2     2    1    3  1.41421          2\n"
            "south       2    15   10   20  7.07107         15\n");
}

TEST(ReportWriter, WritesRunningRowsBeforeTheTable) {
  report r;
  r.total = basic(2, 1.5, 1.0, 2.0, 0.7071067811865476, 1.5);
  EXPECT_EQ(written(output_format::table, r, {basic(1, 1.0, 1.0, 1.0, std::nullopt, 1.0)}),
            "       count        mean         min         max      stddev   ewma(0.5)\n"
            "           1           1           1           1           -           1\n"
            "\n"
            "count             2\n"
            "mean            1.5\n"
            "min               1\n"
            "max               2\n"
            "stddev     0.707107\n"
            "ewma(0.5)       1.5\n"
            "malformed         0\n");
}

TEST(ReportWriter, WritesCsvRowsOfOneSchema) {
  EXPECT_EQ(written(output_format::csv, keyed_report(), {basic(1, 1.0, 1.0, 1.0, {}, 1.0)}),
            "kind,key,count,mean,min,max,stddev,ewma\n"
            "running,,1,1,1,1,,1\n"
            "group,east,1,5,5,5,,5\n"
            "group,north,2,2,1,3,1.4142135623730951,2\n"
            "group,south,2,15,10,20,7.0710678118654755,15\n"
            "total,,5,7.8,1,20,7.5960516059331775,8.5625\n");
}

TEST(ReportWriter, WritesOneJsonDocumentWithTheRunningRowsFirst) {
  // The running rows are written as they come, so they open the document.
  EXPECT_EQ(
      written(output_format::json, keyed_report(), {basic(1, 1.0, 1.0, 1.0, {}, 1.0)}),
      "{\n"
      "  \"running\": [\n"
      "    {\"count\": 1, \"mean\": 1, \"min\": 1, \"max\": 1, \"stddev\": null, \"ewma\": 1}\n"
      "  ],\n"
      "  \"count\": 5,\n"
      "  \"mean\": 7.8,\n"
      "  \"min\": 1,\n"
      "  \"max\": 20,\n"
      "  \"stddev\": 7.5960516059331775,\n"
      "  \"ewma\": 8.5625,\n"
      "  \"alpha\": 0.5,\n"
      "  \"malformed\": {\"count\": 1, \"first\": [{\"line\": 4, \"reason\": \"reading is "
      "empty\", \"text\": \"west,\"}]},\n"
      "  \"by\": \"sensor\",\n"
      "  \"groups\": {\n"
      "    \"east\": {\"count\": 1, \"mean\": 5, \"min\": 5, \"max\": 5, \"stddev\": null, "
      "\"ewma\": 5},\n"
      "    \"north\": {\"count\": 2, \"mean\": 2, \"min\": 1, \"max\": 3, \"stddev\": "
      "1.4142135623730951, \"ewma\": 2},\n"
      "    \"south\": {\"count\": 2, \"mean\": 15, \"min\": 10, \"max\": 20, \"stddev\": "
      "7.0710678118654755, \"ewma\": 15}\n"
      "  }\n"
      "}\n");
}

TEST(ReportWriter, WritesEachJsonRunningRowAsItComes) {
  std::ostringstream out;
  report_writer writer(output_format::json, 0.5, out);
  writer.running(basic(1, 1.0, 1.0, 1.0, {}, 1.0));
  EXPECT_EQ(out.str(),
            "{\n  \"running\": [\n"
            "    {\"count\": 1, \"mean\": 1, \"min\": 1, \"max\": 1, \"stddev\": null, "
            "\"ewma\": 1}");
  writer.running(basic(2, 1.0, 1.0, 1.0, 0.0, 1.0));
  EXPECT_NE(out.str().find("},\n    {\"count\": 2,"), std::string::npos) << out.str();
}

TEST(ReportWriter, EscapesControlCharactersInKeysOfTheTableAndCsv) {
  report r = keyed_report();
  r.key_labels = {"se\x1bnsor"};
  r.groups[0].key = {"\x1b[31mred"};
  r.groups[1].key = {"a\"b"};
  const std::string table = written(output_format::table, r);
  EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
  EXPECT_NE(table.find("\nse\\u001bnsor "), std::string::npos) << table;
  EXPECT_NE(table.find("\n\\u001b[31mred "), std::string::npos) << table;
  EXPECT_NE(table.find("\na\"b "), std::string::npos) << table;
  const std::string csv = written(output_format::csv, r);
  EXPECT_NE(csv.find("\ngroup,\\u001b[31mred,1,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("\ngroup,\"a\"\"b\",2,"), std::string::npos) << csv;
}

TEST(ReportWriter, WritesValidUtf8JsonWhateverTheInputBytes) {
  report r = keyed_report();
  r.key_labels = {"caf\xe9"};                          // Latin-1
  r.groups[0].key = {std::string("\xff\x00\x80", 3)};  // binary
  r.first_malformed = {malformed{4, "column 2 is not a number", "\xc3\xa9t\xe9 \x1b[0m"}};
  const std::string json = written(output_format::json, r);
  EXPECT_TRUE(is_valid_utf8(json)) << json;
  EXPECT_NE(json.find("\"by\": \"caf\xef\xbf\xbd\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"\xef\xbf\xbd\\u0000\xef\xbf\xbd\": {"), std::string::npos) << json;
  EXPECT_NE(json.find("\"text\": \"\xc3\xa9t\xef\xbf\xbd \\u001b[0m\""), std::string::npos) << json;
}

// A stream whose writes fail as a full disk's do.
class full_disk : public std::streambuf {
 protected:
  int_type overflow(int_type) override {
    errno = ENOSPC;
    return traits_type::eof();
  }
  std::streamsize xsputn(const char*, std::streamsize) override {
    errno = ENOSPC;
    return 0;
  }
};

TEST(ReportWriter, ThrowsAtTheFirstWriteThatFails) {
  for (output_format format : {output_format::table, output_format::csv, output_format::json}) {
    full_disk disk;
    std::ostream out(&disk);
    try {
      report_writer writer(format, 0.5, out);
      writer.running(basic(1, 1.0, 1.0, 1.0, {}, 1.0));
      writer.finish(report{});
      ADD_FAILURE() << "a failed write went unnoticed";
    } catch (const output_error& e) {
      EXPECT_STREQ(e.what(), "cannot write to stdout: No space left on device");
    }
  }
}

TEST(ReportWriter, WritesAnEmptyReportWithoutNaN) {
  const std::string json = written(output_format::json, report{});
  EXPECT_NE(json.find("\"mean\": null"), std::string::npos);
  EXPECT_EQ(json.find("nan"), std::string::npos);
  EXPECT_EQ(written(output_format::csv, report{}),
            "kind,key,count,mean,min,max,stddev,ewma\n"
            "total,,0,,,,,\n");
}

TEST(Progress, StaysSilentWhenDisabled) {
  std::ostringstream err;
  progress ticks(err, false);
  ticks.update(1 << 20);
  ticks.clear();
  EXPECT_EQ(err.str(), "");
  const std::uint64_t read = 1 << 20;
  progress of_a_file(err, false, 2 << 20, &read);
  of_a_file.update(1 << 20);
  of_a_file.clear();
  EXPECT_EQ(err.str(), "");
}

TEST(FormatBytes, UsesBinaryUnits) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(12.3 * 1024), "12.3 KiB");
  EXPECT_EQ(format_bytes(4.5 * 1024 * 1024), "4.5 MiB");
  EXPECT_EQ(format_bytes(1.2 * 1024 * 1024 * 1024), "1.20 GiB");
}

TEST(FormatProgress, ShowsTheShareTheRatesAndTheTimeLeft) {
  EXPECT_EQ(format_progress("prog", 512 * 1024, 2 * 1024 * 1024, 100'000, 2.0),
            "prog:  25% 512.0 KiB of 2.0 MiB, 256.0 KiB/s, 50.0 k values/s, 0:00:06 left");
  EXPECT_EQ(format_progress("prog", 3 << 20, 3 << 20, 10, 1.0),
            "prog: 100% 3.0 MiB of 3.0 MiB, 3.0 MiB/s, 10 values/s, 0:00:00 left");
  // Nothing read yet, or no time passed: no rate and no estimate.
  EXPECT_EQ(format_progress("prog", 0, 1024, 0, 0.5), "prog:   0% 0 B of 1.0 KiB");
  // Hours left, and a file that grew past the size it had at the start.
  EXPECT_EQ(format_progress("prog", 1024, 1024 * 7201, 1, 1.0),
            "prog:   0% 1.0 KiB of 7.0 MiB, 1.0 KiB/s, 1 values/s, 2:00:00 left");
  EXPECT_EQ(format_progress("prog", 2048, 1024, 1, 1.0),
            "prog: 100% 2.0 KiB of 1.0 KiB, 2.0 KiB/s, 1 values/s, 0:00:00 left");
}

// --- the command line ----------------------------------------------------------------------

command_line parse(std::vector<const char*> args) {
  args.insert(args.begin(), "stream_stats");
  return parse_command_line(args);
}

std::string usage_message(std::vector<const char*> args) {
  try {
    (void)parse(std::move(args));
  } catch (const usage_error& e) {
    return e.what();
  }
  return "(accepted)";
}

TEST(CommandLine, DefaultsToTheBuiltInStreamAsATable) {
  const options o = *parse({}).run;
  EXPECT_FALSE(o.input.has_value());
  EXPECT_FALSE(o.column.has_value());
  EXPECT_EQ(o.format, output_format::table);
  EXPECT_EQ(o.alpha, 0.1);
  EXPECT_EQ(o.every, 0u);
  EXPECT_EQ(o.seed, default_seed);
  EXPECT_EQ(o.readings, default_readings);
  EXPECT_FALSE(o.quiet);
}

TEST(CommandLine, ReadsEveryOption) {
  const options o = *parse({"data.csv", "--column", "2", "--by", "sensor", "--every", "100",
                            "--format", "json", "--alpha", "0.25", "--quiet"})
                         .run;
  EXPECT_EQ(o.input, "data.csv");
  EXPECT_EQ(o.column, spec("2"));
  EXPECT_EQ(o.by, std::vector<column_spec>{spec("sensor")});
  EXPECT_EQ(o.every, 100u);
  EXPECT_EQ(o.format, output_format::json);
  EXPECT_EQ(o.alpha, 0.25);
  EXPECT_TRUE(o.quiet);
  const options built_in = *parse({"--seed", "7", "--readings", "10", "-f", "csv"}).run;
  EXPECT_EQ(built_in.seed, 7u);
  EXPECT_EQ(built_in.readings, 10u);
  EXPECT_EQ(built_in.format, output_format::csv);
}

TEST(CommandLine, TakesADashForStdin) { EXPECT_EQ(parse({"-"}).run->input, "-"); }

TEST(CommandLine, ReturnsTheHelpText) {
  const command_line cl = parse({"--help"});
  EXPECT_FALSE(cl.run.has_value());
  EXPECT_NE(cl.help.find("--column"), std::string::npos);
  EXPECT_NE(cl.help.find("--every"), std::string::npos);
}

TEST(CommandLine, RejectsBadValuesWithAMessageNamingTheOption) {
  EXPECT_EQ(usage_message({"--every", "0"}),
            "--every: expected a whole number of at least 1, got \"0\"");
  EXPECT_EQ(usage_message({"--every", "ten"}),
            "--every: expected a whole number of at least 1, got \"ten\"");
  EXPECT_EQ(usage_message({"--alpha", "2"}),
            "--alpha: expected a number greater than 0 and at most 1, got \"2\"");
  EXPECT_EQ(usage_message({"--alpha", "0"}),
            "--alpha: expected a number greater than 0 and at most 1, got \"0\"");
  EXPECT_EQ(usage_message({"--format", "xml"}),
            "--format: expected table, csv or json, got \"xml\"");
  EXPECT_EQ(usage_message({"--column", "0"}), "--column: columns are numbered from 1, got 0");
  EXPECT_EQ(usage_message({"--seed", "-3"}), "--seed: expected a whole number, got \"-3\"");
  EXPECT_EQ(usage_message({"data.csv", "--by", "sensor"}),
            "--by needs --column: say which CSV column holds the values");
}

TEST(CommandLine, RefusesTheBuiltInStreamsOptionsWithAFile) {
  EXPECT_EQ(usage_message({"data.txt", "--seed", "3"}),
            "--seed only applies to the built-in stream, not to an input file");
  EXPECT_EQ(usage_message({"-", "--readings", "3"}),
            "--readings only applies to the built-in stream, not to an input file");
  EXPECT_EQ(usage_message({"data.txt", "--seed", "3", "--readings", "3"}),
            "--seed and --readings only apply to the built-in stream, not to an input file");
}

TEST(CommandLine, ReadsStrict) {
  EXPECT_FALSE(parse({"-"}).run->strict);
  EXPECT_TRUE(parse({"-", "--strict"}).run->strict);
  EXPECT_NE(parse({"--help"}).help.find("--strict"), std::string::npos);
}

TEST(CommandLine, ReadsTheNewStatisticsAndLayouts) {
  const options o = *parse({"data.tsv", "-c", "price,3", "--by", "region,shop", "-t", "tab",
                            "--quantiles", "0.9,0.99", "--median", "--sum", "--distinct",
                            "--approx", "--window", "5m", "--time-column", "ts"})
                         .run;
  EXPECT_EQ(value_columns(o), (std::vector<column_spec>{spec("price"), spec("3")}));
  EXPECT_EQ(o.by, (std::vector<column_spec>{spec("region"), spec("shop")}));
  EXPECT_EQ(o.delimiter, '\t');
  EXPECT_EQ(o.quantiles, (std::vector<double>{0.5, 0.9, 0.99}));
  EXPECT_TRUE(o.sum);
  EXPECT_TRUE(o.distinct);
  EXPECT_TRUE(o.approx);
  EXPECT_EQ(o.window, (window_spec{0, 300}));
  EXPECT_EQ(o.time_column, spec("ts"));
  EXPECT_EQ(parse({"-c", "1", "--median", "--quantiles", "0.5"}).run->quantiles,
            std::vector<double>{0.5});
}

TEST(CommandLine, NamesTheOptionOfABadValue) {
  EXPECT_EQ(usage_message({"--quantiles", "0.5,1.01"}),
            "--quantiles: expected numbers from 0 to 1 separated by commas (0.5,0.9,0.99), got "
            "\"1.01\"");
  EXPECT_EQ(usage_message({"--quantiles", "-0.1"}).substr(0, 12), "--quantiles:");
  EXPECT_EQ(usage_message({"--quantiles", ""}).substr(0, 12), "--quantiles:");
  EXPECT_EQ(usage_message({"--window", "0"}).substr(0, 9), "--window:");
  EXPECT_EQ(usage_message({"--window", "-5s"}).substr(0, 9), "--window:");
  EXPECT_EQ(usage_message({"--window", "5y"}).substr(0, 9), "--window:");
  EXPECT_EQ(usage_message({"-t", ""}).substr(0, 12), "--delimiter:");
  EXPECT_EQ(usage_message({"-t", "\""}).substr(0, 12), "--delimiter:");
  EXPECT_EQ(usage_message({"-c", "a,"}),
            "--column: expected a column name or number, got an empty value");
  EXPECT_EQ(usage_message({"-c", "a", "--by", "k,k"}), "--by: column \"k\" is named twice");
  EXPECT_EQ(usage_message({"-c", "a", "--window", "3", "--every", "2"}),
            "--window and --every do not go together: choose one kind of rows");
  EXPECT_EQ(usage_message({"-c", "a", "--time-column", "t"}),
            "--time-column is for a window of a duration: give --window 10s or so");
}

TEST(ParseOptionValues, ReadsWindowsDelimitersAndQuantileNames) {
  EXPECT_EQ(parse_window("1000"), (window_spec{1000, 0}));
  EXPECT_EQ(parse_window("10s"), (window_spec{0, 10}));
  EXPECT_EQ(parse_window("1.5m"), (window_spec{0, 90}));
  EXPECT_EQ(parse_window("2h"), (window_spec{0, 7200}));
  EXPECT_EQ(parse_window("1d"), (window_spec{0, 86400}));
  EXPECT_EQ(parse_window("500ms"), (window_spec{0, 0.5}));
  EXPECT_THROW((void)parse_window("0"), usage_error);
  EXPECT_THROW((void)parse_window("0s"), usage_error);
  EXPECT_THROW((void)parse_window("1.5"), usage_error);
  EXPECT_EQ(parse_delimiter(","), ',');
  EXPECT_EQ(parse_delimiter("tab"), '\t');
  EXPECT_EQ(parse_delimiter("\\t"), '\t');
  EXPECT_EQ(parse_delimiter("\t"), '\t');
  EXPECT_EQ(parse_delimiter(";"), ';');
  EXPECT_EQ(quantile_name(0.5), "p50");
  EXPECT_EQ(quantile_name(0.9), "p90");
  EXPECT_EQ(quantile_name(0.99), "p99");
  EXPECT_EQ(quantile_name(0.999), "p99.9");
  EXPECT_EQ(quantile_name(0.25), "p25");
  EXPECT_EQ(quantile_name(0.0), "p0");
  EXPECT_EQ(quantile_name(1.0), "p100");
  EXPECT_EQ(quantile_name(0.12345), "p12.345");
}

TEST(ParseCsv, SplitsOnAnotherDelimiter) {
  std::vector<csv_field> fields;
  split_csv("a\t\"b\tc\"\t 3", fields, '\t');
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0].text, "a");
  EXPECT_EQ(fields[1].text, "b\tc");
  EXPECT_TRUE(fields[1].quoted);
  EXPECT_EQ(unquote(fields[2]), "3");
  split_csv("a\t\tb", fields, '\t');  // an empty field between two tabs
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[1].text, "");
}

TEST(CommandLine, RejectsUnknownOptions) {
  const std::string message = usage_message({"--bogus"});
  EXPECT_NE(message.find("--bogus"), std::string::npos) << message;
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

// --- sources -------------------------------------------------------------------------------

std::vector<std::string> texts_of(coflow::generator<input_line> lines) {
  std::vector<std::string> texts;
  std::uint64_t expected_number = 1;
  for (const input_line& line : lines) {
    EXPECT_EQ(line.number, expected_number++);
    texts.emplace_back(line.text);
  }
  return texts;
}

TEST(ReadLines, YieldsNumberedLinesWithoutLineEnds) {
  std::istringstream in("1\r\n2\n\nlast");
  EXPECT_EQ(texts_of(read_lines(in, "test")), (std::vector<std::string>{"1", "2", "", "last"}));
}

TEST(ReadLines, SkipsAByteOrderMarkAtTheStartOnly) {
  std::istringstream in(
      "\xef\xbb\xbf"
      "value\n\xef\xbb\xbf"
      "1\n");
  EXPECT_EQ(texts_of(read_lines(in, "test")), (std::vector<std::string>{"value",
                                                                        "\xef\xbb\xbf"
                                                                        "1"}));
}

// The lines as std::getline reads them (a "\r" at the end of each taken off, a byte order mark
// at the start dropped): what read_lines must yield whatever its block size.
std::vector<std::string> getline_texts(const std::string& input) {
  std::istringstream in(input);
  std::vector<std::string> texts;
  for (std::string text; std::getline(in, text);) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (texts.empty() && text.starts_with("\xef\xbb\xbf")) text.erase(0, 3);
    texts.push_back(text);
  }
  return texts;
}

TEST(ReadLines, YieldsTheSameLinesWhereverTheBlocksSplitThem) {
  const std::string long_line(1000, 'x');
  for (const std::string& input :
       {std::string(""), std::string("\n"), std::string("\n\n"), std::string("1"),
        std::string("1\r"), std::string("\r\n\r\n"), std::string("1\r\n22\n333\r\n4444"),
        std::string("a\r\r\nb\rc\n"), std::string("\xef\xbb\xbf") + "x\n" + long_line + "\n",
        std::string("\xef\xbb"), std::string("\xef\xbb\xbf"), long_line,
        long_line + "\r\n" + long_line + "\n\n" + long_line + "\r"}) {
    for (std::size_t block : {1u, 2u, 3u, 5u, 64u, 4096u}) {
      std::istringstream in(input);
      EXPECT_EQ(texts_of(read_lines(in, "test", nullptr, block)), getline_texts(input))
          << shown_text(input) << " in blocks of " << block;
    }
  }
}

TEST(ReadLines, ReadsALineLongerThanManyBlocks) {
  std::string input(1'000'000, 'y');
  input += "\n2\n";
  std::istringstream in(input);
  std::uint64_t bytes_read = 0;
  const auto texts = texts_of(read_lines(in, "test", &bytes_read, 16));
  EXPECT_EQ(bytes_read, input.size());
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].size(), 1'000'000u);
  EXPECT_EQ(texts[1], "2");
}

using coflow_test::trickling_source;  // a pipe whose writer sends one chunk at a time

TEST(ReadLines, YieldsALineAsSoonAsItArrivesWithoutWaitingForABlock) {
  trickling_source source({"1\n", "2\n", "3"});
  std::istream in(&source);
  auto lines = read_lines(in, "pipe");
  auto line = lines.begin();
  EXPECT_EQ(line->text, "1");
  EXPECT_EQ(source.refills, 1u);  // the second line was not waited for
  ++line;
  EXPECT_EQ(line->text, "2");
  EXPECT_EQ(source.refills, 2u);
  ++line;
  EXPECT_EQ(line->text, "3");
  ++line;
  EXPECT_TRUE(line == lines.end());
}

TEST(Trim, RemovesSpacesTabsAndLineEndsAroundTheTextOnly) {
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim(" \t\r\n"), "");
  EXPECT_EQ(trim("x"), "x");
  EXPECT_EQ(trim(" \t1 2\r\n"), "1 2");
  EXPECT_EQ(trim("\v1\f"), "\v1\f");  // blanks are the four above, as a CSV reader sees them
  const std::string_view text = "  21.5 ";
  EXPECT_EQ(trim(text).data(), text.data() + 2);  // a view into the text, never a copy
}

TEST(SensorLines, StartsWithAHeaderAndYieldsTheReadingsAsked) {
  const auto texts = texts_of(sensor_lines(1, 1000));
  ASSERT_GE(texts.size(), 1001u);
  EXPECT_EQ(texts[0], "sensor,reading");
  EXPECT_EQ(texts[1].substr(0, 6), "north,");
  EXPECT_EQ(texts[2].substr(0, 6), "south,");
  std::size_t readings = 0;
  for (std::size_t i = 1; i < texts.size(); ++i) {
    std::vector<csv_field> fields;
    split_csv(texts[i], fields);
    if (fields.size() == 2 && parse_number(fields[1].text)) ++readings;
  }
  EXPECT_EQ(readings, 1000u);
}

TEST(SensorLines, RepeatsForTheSameSeedOnly) {
  EXPECT_EQ(texts_of(sensor_lines(5, 200)), texts_of(sensor_lines(5, 200)));
  EXPECT_NE(texts_of(sensor_lines(5, 200)), texts_of(sensor_lines(6, 200)));
}

TEST(SensorLines, IncludesAFewMalformedLinesOfDifferentKinds) {
  std::vector<std::string> bad;
  for (const auto& text : texts_of(sensor_lines(default_seed, 250'000))) {
    std::vector<csv_field> fields;
    split_csv(text, fields);
    if (fields.size() != 2 || !parse_number(fields[1].text)) bad.push_back(text);
  }
  // The header, then about seven malformed lines per million readings, each unlike the last.
  ASSERT_GE(bad.size(), 3u);
  EXPECT_LT(bad.size(), 20u);
  EXPECT_EQ(bad[0], "sensor,reading");
  EXPECT_NE(bad[1], bad[2]);
}

// --- whole runs ----------------------------------------------------------------------------

struct outcome {
  int status;
  std::string out;
  std::string err;
};

outcome run_tool(std::vector<const char*> args, const std::string& input = "") {
  args.insert(args.begin(), "stream_stats");
  std::istringstream in(input);
  std::ostringstream out;
  std::ostringstream err;
  const int status = main_entry(args, in, out, err, false);
  return {status, out.str(), err.str()};
}

TEST(MainEntry, ShowsNoProgressWhenStderrIsNoTerminal) {
  std::string lines;
  for (int i = 0; i < 200'000; ++i) lines += "1\n";
  const outcome o = run_tool({"-", "-f", "csv"}, lines);
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.err.find('\r'), std::string::npos);
  EXPECT_EQ(o.err.find('%'), std::string::npos);
}

TEST(MainEntry, ComputesTheStatisticsOfStdin) {
  const outcome o = run_tool({"-", "--quiet", "--format", "csv", "--alpha", "0.5"},
                             "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out,
            "kind,key,count,mean,min,max,stddev,ewma\n"
            "total,,10,5.5,1,10,3.0276503540974917,9.001953125\n");
  EXPECT_EQ(o.err, "");
}

TEST(MainEntry, ReportsMalformedLinesAndGoesOn) {
  const outcome o = run_tool({"-", "-q", "-f", "csv"}, "1\nabc\n\n3\n");
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out,
            "kind,key,count,mean,min,max,stddev,ewma\n"
            "total,,2,2,1,3,1.4142135623730951,1.2000000000000002\n");
  EXPECT_EQ(o.err,
            "stream_stats: line 2: not a number: \"abc\"\n"
            "stream_stats: line 3: empty line\n"
            "stream_stats: 2 malformed lines skipped\n");
}

TEST(MainEntry, PrintsRunningRowsEveryNValues) {
  const outcome o =
      run_tool({"-", "-q", "-f", "csv", "--every", "2", "--alpha", "0.5"}, "2\n4\n6\n8\n9\n");
  EXPECT_EQ(o.out,
            "kind,key,count,mean,min,max,stddev,ewma\n"
            "running,,2,3,2,4,1.4142135623730951,3\n"
            "running,,4,5,2,8,2.581988897471611,6.25\n"
            "total,,5,5.8,2,9,2.8635642126552705,7.625\n");
}

TEST(MainEntry, GroupsByAKeyColumn) {
  const outcome o = run_tool({"-", "-q", "-f", "csv", "-c", "reading", "--by", "sensor"},
                             "sensor,reading\nnorth,1\nsouth,10\nnorth,3\nsouth,20\n");
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out,
            "kind,key,count,mean,min,max,stddev,ewma\n"
            "group,north,2,2,1,3,1.4142135623730951,1.2000000000000002\n"
            "group,south,2,15,10,20,7.0710678118654755,11\n"
            "total,,4,8.5,1,20,8.582928793055823,3.809\n");
}

TEST(MainEntry, NamesTheKeyColumnOfAnEmptyInputAsTheUserDid) {
  const outcome o = run_tool({"-", "-q", "-c", "2", "--by", "1"}, "");
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.out.find("\ncolumn 1  count  mean  min  max  stddev  ewma(0.1)\n"), std::string::npos)
      << o.out;
}

TEST(MainEntry, RunsTheBuiltInStreamReproducibly) {
  const outcome first = run_tool({"--readings", "500", "--seed", "3", "-q", "-f", "json"});
  const outcome again = run_tool({"--readings", "500", "--seed", "3", "-q", "-f", "json"});
  EXPECT_EQ(first.status, 0);
  EXPECT_EQ(first.out, again.out);
  EXPECT_NE(first.out.find("\"count\": 500,"), std::string::npos) << first.out;
}

TEST(MainEntry, AnnouncesTheBuiltInStreamAndTheThroughputUnlessQuiet) {
  const outcome o = run_tool({"--readings", "10"});
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.err.find("built-in stream of 10 generated sensor readings"), std::string::npos);
  EXPECT_NE(o.err.find("stream_stats: 10 values in "), std::string::npos) << o.err;
}

TEST(MainEntry, FailsWithStatusOneOnAMissingFile) {
  const outcome o = run_tool({"/nonexistent/readings.txt"});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err, "stream_stats: error: /nonexistent/readings.txt: No such file or directory\n");
  EXPECT_EQ(o.out, "");
}

TEST(MainEntry, FailsWithStatusOneOnAnUnknownColumn) {
  const outcome o = run_tool({"-", "-q", "-c", "celsius"}, "sensor,reading\nnorth,1\n");
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err,
            "stream_stats: error: --column \"celsius\": unknown column; the header has "
            "\"sensor\", \"reading\"\n");
}

TEST(MainEntry, FailsWithStatusTwoOnABadOption) {
  const outcome o = run_tool({"--every", "0"});
  EXPECT_EQ(o.status, 2);
  EXPECT_EQ(o.err,
            "stream_stats: error: --every: expected a whole number of at least 1, got \"0\"\n");
  EXPECT_EQ(o.out, "");
}

TEST(MainEntry, FailsWithStatusOneWhenNoLineHeldANumber) {
  const outcome csv = run_tool({"-", "-q", "-f", "csv"}, "sensor,reading\nnorth,1\n");
  EXPECT_EQ(csv.status, 1);
  EXPECT_NE(csv.out.find("total,,0,"), std::string::npos) << csv.out;  // the report comes first
  EXPECT_NE(csv.err.find("stream_stats: error: no line held a number (2 malformed lines); is "
                         "this a CSV? try --column NAME\n"),
            std::string::npos)
      << csv.err;
  const outcome column = run_tool({"-", "-q", "-c", "reading"}, "sensor,reading\nnorth,x\n");
  EXPECT_EQ(column.status, 1);
  EXPECT_NE(column.err.find("error: no line held a number (1 malformed line) in column "
                            "\"reading\"\n"),
            std::string::npos)
      << column.err;
  EXPECT_EQ(run_tool({"-", "-q"}, "").status, 0);  // an empty input is no mistake
  EXPECT_EQ(run_tool({"-", "-q", "-c", "reading"}, "sensor,reading\n").status, 0);
}

TEST(MainEntry, FailsUnderStrictAfterTheReportNamingTheFirstBadLine) {
  const outcome o = run_tool({"-", "-q", "-f", "csv", "--strict"}, "1\n2\nx\n4\n\n");
  EXPECT_EQ(o.status, 1);
  EXPECT_NE(o.out.find("total,,3,"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("stream_stats: error: --strict: line 3 is malformed (2 malformed lines)\n"),
            std::string::npos)
      << o.err;
  EXPECT_EQ(run_tool({"-", "-q", "--strict"}, "1\n2\n").status, 0);
}

using coflow_test::failing_source;  // a stream that fails as an unreadable disk

TEST(MainEntry, ReportsWhatWasReadBeforeAReadError) {
  failing_source source("sensor,reading\nnorth,1\nsouth,3\nnorth,5\n");
  std::istream in(&source);
  std::ostringstream out;
  std::ostringstream err;
  const std::vector<const char*> args = {"stream_stats", "-",       "-q",   "-f",    "csv",
                                         "-c",           "reading", "--by", "sensor"};
  EXPECT_EQ(main_entry(args, in, out, err, false), 1);
  EXPECT_EQ(out.str(),
            "kind,key,count,mean,min,max,stddev,ewma\n"
            "group,north,2,3,1,5,2.8284271247461903,1.4\n"
            "group,south,1,3,3,3,,3\n"
            "total,,3,3,1,5,2,1.5800000000000003\n");
  EXPECT_EQ(err.str(), "stream_stats: error: stdin: read error after line 4: Input/output error\n");
}

TEST(MainEntry, FailsWithStatusOneWhenTheOutputCannotBeWritten) {
  for (std::vector<const char*> args :
       {std::vector<const char*>{"stream_stats", "--help"},
        std::vector<const char*>{"stream_stats", "-", "-q"},
        std::vector<const char*>{"stream_stats", "-", "-q", "-f", "json", "--every", "1"}}) {
    std::istringstream in("1\n2\n");
    full_disk disk;
    std::ostream out(&disk);
    std::ostringstream err;
    EXPECT_EQ(main_entry(args, in, out, err, false), 1) << args[1];
    EXPECT_EQ(err.str(), "stream_stats: error: cannot write to stdout: No space left on device\n");
  }
}

TEST(MainEntry, StopsReadingAtTheFirstRunningRowThatCannotBeWritten) {
  std::string many;
  for (int i = 0; i < 100'000; ++i) many += "1\n";
  for (const char* format : {"table", "csv", "json"}) {
    std::istringstream in(many);
    full_disk disk;
    std::ostream out(&disk);
    std::ostringstream err;
    const std::vector<const char*> args = {"stream_stats", "-", "-q", "-f", format, "-e", "1"};
    EXPECT_EQ(main_entry(args, in, out, err, false), 1) << format;
    // The pipeline stopped at the first row: nearly all the input is still unread.
    EXPECT_LT(in.tellg(), 10'000) << format;
  }
}

TEST(MainEntry, PrintsHelpOnStdout) {
  const outcome o = run_tool({"--help"});
  EXPECT_EQ(o.status, 0);
  EXPECT_NE(o.out.find("Usage"), std::string::npos);
  EXPECT_EQ(o.err, "");
}

TEST(ResolveInputPath, ReadsRelativePathsUnderBazelsWorkingDirectory) {
  EXPECT_EQ(resolve_input_path("data.txt", "/home/me/src"), "/home/me/src/data.txt");
  EXPECT_EQ(resolve_input_path("../data.txt", "/home/me/src"), "/home/me/src/../data.txt");
  EXPECT_EQ(resolve_input_path("/tmp/data.txt", "/home/me/src"), "/tmp/data.txt");
  EXPECT_EQ(resolve_input_path("data.txt", nullptr), "data.txt");
  EXPECT_EQ(resolve_input_path("data.txt", ""), "data.txt");
}

}  // namespace
}  // namespace stream_stats
