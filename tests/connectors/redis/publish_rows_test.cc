// tools/stream_stats/publish_rows.hpp: the lines of `--publish FILE` as stream entries, read
// as CSV with the file modes' quoting rules; malformed lines counted and kept, never
// published. No server needed.
#include "tools/stream_stats/publish_rows.hpp"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "tools/stream_stats/sources.hpp"

namespace {

using stream_stats::publish_entry;

publish_entry value(std::string v) { return {false, {}, std::move(v)}; }
publish_entry keyed(std::string k, std::string v) { return {true, std::move(k), std::move(v)}; }

struct published {
  std::vector<publish_entry> entries;
  stream_stats::publish_rows_found found;
};

published publish(const std::string& text, std::size_t shown = 5) {
  std::istringstream in(text);
  published out;
  out.found = stream_stats::read_publish_rows(
      stream_stats::read_lines(in, "test"),
      [&out](publish_entry&& e) { out.entries.push_back(std::move(e)); }, shown);
  EXPECT_EQ(out.found.entries, out.entries.size());
  return out;
}

TEST(PublishRows, AQuotedKeyKeepsItsComma) {
  const auto p = publish("\"a,b\",3\nc,4\n\"say \"\"hi\"\"\", 5 \n");
  EXPECT_EQ(p.entries, (std::vector{keyed("a,b", "3"), keyed("c", "4"), keyed("say \"hi\"", "5")}));
  EXPECT_EQ(p.found.malformed_count, 0u);
  EXPECT_EQ(p.found.header_line, 0u);
}

TEST(PublishRows, OneFieldIsAValueAlone) {
  const auto p = publish("1.5\n  2 \n\"3,5\"\n\nnot-a-number\r\n");
  // Values go out as they are: a worker counts "not-a-number" as malformed.
  EXPECT_EQ(p.entries,
            (std::vector{value("1.5"), value("2"), value("3,5"), value("not-a-number")}));
  EXPECT_EQ(p.found.malformed_count, 0u);
}

TEST(PublishRows, MoreThanTwoFieldsIsMalformedAndReadingGoesOn) {
  const auto p = publish("k,1\nx,y,z\nk,2\n\"never closed,3\nk,3\n");
  EXPECT_EQ(p.entries, (std::vector{keyed("k", "1"), keyed("k", "2"), keyed("k", "3")}));
  ASSERT_EQ(p.found.malformed_count, 2u);
  ASSERT_EQ(p.found.first_malformed.size(), 2u);
  EXPECT_EQ(p.found.first_malformed[0].line, 2u);
  EXPECT_EQ(p.found.first_malformed[0].text, "x,y,z");
  EXPECT_EQ(p.found.first_malformed[0].reason, "3 fields (expected VALUE or KEY,VALUE)");
  EXPECT_EQ(p.found.first_malformed[1].line, 4u);
  EXPECT_EQ(p.found.first_malformed[1].reason, "a quote is not closed");
}

TEST(PublishRows, TheFirstFewMalformedLinesAreKept) {
  std::string text;
  for (int i = 1; i <= 7; ++i) text += "a,b," + std::to_string(i) + "\n";
  text += "5\n";
  const auto p = publish(text, 3);
  EXPECT_EQ(p.entries, (std::vector{value("5")}));
  EXPECT_EQ(p.found.malformed_count, 7u);
  ASSERT_EQ(p.found.first_malformed.size(), 3u);
  EXPECT_EQ(p.found.first_malformed[2].line, 3u);
}

TEST(PublishRows, AHeaderIsNotPublished) {
  // Blank lines before it, as the file modes allow; the header is the first line with text.
  const auto p = publish("\n\nsensor,reading\nnorth,21.5\n");
  EXPECT_EQ(p.entries, (std::vector{keyed("north", "21.5")}));
  EXPECT_EQ(p.found.header_line, 3u);
}

TEST(PublishRows, AFirstLineIsAHeaderOnlyWhenTheNextHoldsANumber) {
  // The next line's value is no number either: both are data (a worker counts them).
  auto p = publish("sensor,reading\nnorth,oops\n");
  EXPECT_EQ(p.entries, (std::vector{keyed("sensor", "reading"), keyed("north", "oops")}));
  EXPECT_EQ(p.found.header_line, 0u);
  // Alone, or followed by a malformed line: data.
  p = publish("sensor,reading\n");
  EXPECT_EQ(p.entries, (std::vector{keyed("sensor", "reading")}));
  p = publish("sensor,reading\na,b,c\nnorth,1\n");
  EXPECT_EQ(p.entries, (std::vector{keyed("sensor", "reading"), keyed("north", "1")}));
  EXPECT_EQ(p.found.malformed_count, 1u);
  // A first line whose value is a number is data.
  p = publish("north,1\nsouth,2\n");
  EXPECT_EQ(p.entries, (std::vector{keyed("north", "1"), keyed("south", "2")}));
  // A first line of one field is data, as `stream_stats FILE` reads it.
  p = publish("reading\n1\n");
  EXPECT_EQ(p.entries, (std::vector{value("reading"), value("1")}));
  EXPECT_EQ(p.found.header_line, 0u);
}

}  // namespace
