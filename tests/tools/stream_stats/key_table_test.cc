// Tests of stream_stats::key_table (tools/stream_stats/key_table.hpp): one value per distinct
// byte string, whatever the keys' lengths and however many, kept in first-seen order; and of
// its hash and comparison, which read a key with fixed-size loads.
#include "tools/stream_stats/key_table.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tools/stream_stats/records.hpp"

namespace stream_stats {
namespace {

TEST(KeyTable, KeepsOneValuePerKeyInFirstSeenOrder) {
  key_table<int> counts;
  for (std::string_view key : {"north", "south", "north", "", "north", ""}) {
    ++counts.find_or_add(key, 0);
  }
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_EQ(counts.entries()[0].key, "north");
  EXPECT_EQ(counts.entries()[0].value, 3);
  EXPECT_EQ(counts.entries()[1].key, "south");
  EXPECT_EQ(counts.entries()[1].value, 1);
  EXPECT_EQ(counts.entries()[2].key, "");
  EXPECT_EQ(counts.entries()[2].value, 2);
}

TEST(KeyTable, StartsANewKeyFromACopyOfTheFreshValue) {
  key_table<std::vector<int>> lists;
  const std::vector<int> fresh = {7};
  lists.find_or_add("a", fresh).push_back(1);
  lists.find_or_add("b", fresh).push_back(2);
  lists.find_or_add("a", fresh).push_back(3);
  EXPECT_EQ(lists.find_or_add("a", fresh), (std::vector<int>{7, 1, 3}));
  EXPECT_EQ(lists.find_or_add("b", fresh), (std::vector<int>{7, 2}));
  EXPECT_EQ(fresh, (std::vector<int>{7}));
}

// Keys of every length from 0 to 40 bytes that differ in one byte only, at any position, or
// in their length alone (a zero byte more), and length-prefixed --by keys: each its own entry.
TEST(KeyTable, TellsApartKeysThatDifferInOneByteOrInLengthAlone) {
  std::vector<std::string> keys;
  for (std::size_t length = 0; length <= 40; ++length) {
    const std::string base(length, 'k');
    keys.push_back(base);
    keys.push_back(base + '\0');
    for (std::size_t at = 0; at < length; ++at) {
      std::string changed = base;
      changed[at] = 'j';
      keys.push_back(changed);
    }
  }
  for (int i = 0; i < 300; ++i) {
    std::string key;
    append_key_field(key, "k" + std::to_string(i));
    keys.push_back(key);
    append_key_field(key, "");
    keys.push_back(key);
  }
  const std::set<std::string> distinct(keys.begin(), keys.end());
  ASSERT_EQ(distinct.size(), keys.size());

  key_table<std::size_t> table;
  for (int round = 0; round < 2; ++round) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      std::size_t& seen = table.find_or_add(std::string(keys[i]), i);
      EXPECT_EQ(seen, i) << "key " << i << " in round " << round;
    }
  }
  ASSERT_EQ(table.size(), keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(table.entries()[i].key, keys[i]);
}

TEST(KeyTable, KeepsEveryKeyAsItGrows) {
  key_table<int> table;
  std::map<std::string, int> expected;
  for (int i = 0; i < 50'000; ++i) {
    const std::string key = "sensor-" + std::to_string(i * 7919 % 20'011);
    ++table.find_or_add(key, 0);
    ++expected[key];
  }
  ASSERT_EQ(table.size(), expected.size());
  for (const auto& e : table.entries()) EXPECT_EQ(e.value, expected.at(e.key)) << e.key;
}

TEST(KeyTable, ForgetsEveryKeyWhenCleared) {
  key_table<int> table;
  table.find_or_add("a", 1);
  table.find_or_add("b", 2);
  table.clear();
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.find_or_add("a", 5), 5);
  EXPECT_EQ(table.size(), 1u);
}

TEST(HashKey, DependsOnTheBytesNotWhereTheyAre) {
  const std::string text = "xx north-east yy";
  const std::string copy = "north-east";
  EXPECT_EQ(hash_key(std::string_view(text).substr(3, 10)), hash_key(copy));
  EXPECT_TRUE(same_key(std::string_view(text).substr(3, 10), copy));
  EXPECT_FALSE(same_key(std::string_view(text).substr(3, 9), copy));
  EXPECT_NE(hash_key("north-east"), hash_key("north-eass"));
  EXPECT_NE(hash_key("ab"), hash_key("ba"));
  EXPECT_NE(hash_key(std::string_view("\0", 1)), hash_key(""));
}

TEST(SameKey, TellsKeysOfEveryShortLengthApartByAnyOneByte) {
  for (std::size_t n = 0; n <= 24; ++n) {
    const std::string key(n, 'k');
    const std::string text = "[" + key + "]";
    EXPECT_TRUE(same_key(std::string_view(text).substr(1, n), key)) << n;
    for (std::size_t i = 0; i < n; ++i) {
      std::string other = key;
      other[i] = 'j';
      EXPECT_FALSE(same_key(other, key)) << n << " " << i;
      EXPECT_FALSE(same_key(key, other)) << n << " " << i;
    }
    EXPECT_FALSE(same_key(key, key + "k")) << n;
  }
}

}  // namespace
}  // namespace stream_stats
