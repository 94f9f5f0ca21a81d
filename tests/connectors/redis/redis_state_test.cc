// tools/stream_stats/redis_state.hpp: the stream_stats worker's state round-trips through
// bytes, merges into the statistics of all values, keeps keys apart, and shows the EWMA only
// for a report of one state. No server needed.
#include "tools/stream_stats/redis_state.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "pipeline/bytes.hpp"

namespace {

using stream_stats::keyed_value;
using stream_stats::redis_statistics;

redis_statistics round_trip(const redis_statistics& s) {
  std::vector<std::byte> bytes;
  s.serialize(bytes);
  return redis_statistics::deserialize(bytes);
}

TEST(RedisStatistics, MergedStatesGiveTheStatisticsOfAllValues) {
  redis_statistics a(0.5), b(0.5), whole(0.5);
  for (int i = 1; i <= 10; ++i) {
    const keyed_value v{i % 2 == 0 ? std::optional<std::string>("even") : std::nullopt,
                        static_cast<double>(i)};
    (i <= 4 ? a : b).add(v);
    whole.add(v);
  }
  redis_statistics merged = round_trip(a);
  merged.merge(round_trip(b));
  const auto r = merged.to_report(2);
  const auto w = whole.to_report(1);
  EXPECT_EQ(r.total.count, 10u);
  EXPECT_DOUBLE_EQ(*r.total.mean, 5.5);
  EXPECT_EQ(*r.total.min, 1.0);
  EXPECT_EQ(*r.total.max, 10.0);
  EXPECT_NEAR(*r.total.stddev, *w.total.stddev, 1e-12);
  // Keys: only the entries that had one.
  ASSERT_TRUE(r.grouped);
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].key, std::vector<std::string>{"even"});
  EXPECT_EQ(r.groups[0].columns[0].count, 5u);
  EXPECT_DOUBLE_EQ(*r.groups[0].columns[0].mean, 6.0);
}

TEST(RedisStatistics, EwmaOnlyForOneState) {
  redis_statistics s(0.5);
  for (double x : {4.0, 8.0}) s.add({std::nullopt, x});
  const auto one = round_trip(s).to_report(1);
  ASSERT_TRUE(one.total.ewma.has_value());
  EXPECT_DOUBLE_EQ(*one.total.ewma, 6.0);  // 0.5 * 8 + 0.5 * 4
  EXPECT_FALSE(s.to_report(2).total.ewma.has_value());
  EXPECT_NE(stream_stats::redis_ewma_note(2).find("2 worker states"), std::string::npos);
  EXPECT_EQ(round_trip(s).alpha(), 0.5);
}

// An empty key is a group, as the file modes make one of a row ",5"; no key is no group.
TEST(RedisStatistics, EmptyKeyIsAGroupAndNoKeyIsNone) {
  redis_statistics s;
  s.add({"", 5.0});
  s.add({"", 7.0});
  s.add({std::nullopt, 100.0});
  s.add({"a", 1.0});
  const auto r = round_trip(s).to_report(1);
  EXPECT_EQ(r.total.count, 4u);
  ASSERT_TRUE(r.grouped);
  ASSERT_EQ(r.groups.size(), 2u);
  EXPECT_EQ(r.groups[0].key, std::vector<std::string>{""});
  EXPECT_EQ(r.groups[0].columns[0].count, 2u);
  EXPECT_DOUBLE_EQ(*r.groups[0].columns[0].mean, 6.0);
  EXPECT_EQ(r.groups[1].key, std::vector<std::string>{"a"});
  EXPECT_EQ(r.groups[1].columns[0].count, 1u);

  redis_statistics unkeyed;
  unkeyed.add({std::nullopt, 1.0});
  EXPECT_FALSE(round_trip(unkeyed).to_report(1).grouped);
}

TEST(RedisStatistics, EmptyStateAndCorruptBytes) {
  const auto r = round_trip(redis_statistics{}).to_report(0);
  EXPECT_EQ(r.total.count, 0u);
  EXPECT_FALSE(r.total.mean.has_value());
  EXPECT_FALSE(r.grouped);
  redis_statistics s;
  s.add({"k", 1.0});
  std::vector<std::byte> bytes;
  s.serialize(bytes);
  for (std::size_t cut : {std::size_t{0}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_THROW((void)redis_statistics::deserialize(std::span<const std::byte>(bytes.data(), cut)),
                 coflow::format_error);
  }
}

}  // namespace
