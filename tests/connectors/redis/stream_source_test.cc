// connectors/redis/stream_source.hpp and stream_sink.hpp against a private server: batches,
// own pending entries first, claims of an idle consumer's entries, acks only after the
// pipeline took an entry, the three ways to stop, MAXLEN ~, and key-hash partitions.
#include "connectors/redis/stream_source.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "connectors/redis/stream_sink.hpp"
#include "operators/for_each.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/pipeline.hpp"
#include "tests/connectors/redis/redis_server.hpp"

namespace {

using coflow::redis::connection;
using coflow::redis::stream_entry;
using coflow::redis::stream_sink;
using coflow::redis::stream_source;
using coflow::testing::redis_server;
using namespace std::chrono_literals;

void publish(connection& c, const std::string& stream, int from, int to) {
  stream_sink sink(c, {.stream = stream, .pipeline_depth = 7});
  for (int i = from; i < to; ++i) sink.add({{"v", std::to_string(i)}});
  sink.flush();
}

long long pending_count(connection& c, const std::string& stream, const std::string& group) {
  return c.command({"XPENDING", stream, group}).at(0).as_integer();
}

std::vector<int> values(const std::vector<stream_entry>& entries) {
  std::vector<int> out;
  for (const auto& e : entries) out.push_back(std::stoi(*e.field("v")));
  return out;
}

TEST(RedisStreamSink, AppendsInOrderPipelined) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 1000);
  EXPECT_EQ(c.command({"XLEN", "s"}).as_integer(), 1000);
  const auto r = c.command({"XRANGE", "s", "-", "+", "COUNT", "3"});
  EXPECT_EQ(r.at(2).at(1).at(1).as_string(), "2");
}

TEST(RedisStreamSink, MaxLenTrimsApproximatelyButKeepsAtLeastThat) {
  redis_server server;
  auto c = connection::open(server.options());
  stream_sink sink(c, {.stream = "s", .max_length = 100});
  for (int i = 0; i < 5000; ++i) sink.add({{"v", std::to_string(i)}});
  sink.flush();
  EXPECT_EQ(sink.appended(), 5000u);
  const long long len = c.command({"XLEN", "s"}).as_integer();
  EXPECT_GE(len, 100);
  EXPECT_LT(len, 1000);
  // The newest entries are the ones kept.
  EXPECT_EQ(c.command({"XREVRANGE", "s", "+", "-", "COUNT", "1"}).at(0).at(1).at(1).as_string(),
            "4999");
}

TEST(RedisStreamSink, ErrorsAreReportedByFlush) {
  redis_server server;
  auto c = connection::open(server.options());
  c.command({"SET", "not-a-stream", "x"});
  stream_sink sink(c, {.stream = "not-a-stream"});
  sink.add({{"v", "1"}});
  EXPECT_THROW(sink.flush(), coflow::redis::server_error);
  EXPECT_THROW(sink.add({}), coflow::redis::error);
}

TEST(RedisPartitions, EachKeyGoesToOneStreamInOrder) {
  redis_server server;
  auto c = connection::open(server.options());
  stream_sink sink(c, {.stream = "p", .partitions = 4});
  std::map<std::string, std::size_t> partition;
  for (int i = 0; i < 400; ++i) {
    const std::string key = "key-" + std::to_string(i % 37);
    sink.add({{"k", key}, {"v", std::to_string(i)}}, key);
  }
  sink.flush();
  long long total = 0;
  for (std::size_t p = 0; p < 4; ++p) {
    const std::string stream = coflow::redis::partition_stream("p", p);
    const auto entries = c.command({"XRANGE", stream, "-", "+"}).as_array();
    total += static_cast<long long>(entries.size());
    EXPECT_GT(entries.size(), 0u) << "partition " << p << " is empty: a poor hash";
    std::map<std::string, int> last;
    for (const auto& e : entries) {
      const std::string key = e.at(1).at(1).as_string();
      const int v = std::stoi(e.at(1).at(3).as_string());
      EXPECT_EQ(coflow::redis::partition_of(key, 4), p);
      if (last.count(key)) {
        EXPECT_GT(v, last[key]) << "key order broken";
      }
      last[key] = v;
    }
  }
  EXPECT_EQ(total, 400);
  static_assert(coflow::redis::partition_of("a", 1) == 0);
}

TEST(RedisStreamSource, ReadsEverythingInBatchesAndAcksAfterThePipelineTookIt) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 1000);
  auto reader = connection::open(server.options());
  stream_source source(reader,
                       {.stream = "s", .group = "g", .consumer = "a", .batch = 64, .block = 100ms});
  std::vector<int> seen;
  auto p = coflow::open<stream_entry>(coflow::sinks::for_each([&](const stream_entry& e) {
    // While the pipeline holds an entry, it is pending, not acknowledged.
    EXPECT_GE(pending_count(c, "s", "g"), 1);
    seen.push_back(std::stoi(*e.field("v")));
  }));
  coflow::redis::pump(source, p, /*stop_when_idle=*/true);
  ASSERT_EQ(seen.size(), 1000u);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(seen[static_cast<std::size_t>(i)], i);
  EXPECT_EQ(pending_count(c, "s", "g"), 0);
}

TEST(RedisStreamSource, AThrowingStageLeavesItsEntryPendingAndTheRestDeliveredAgain) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 10);
  {
    stream_source source(
        c, {.stream = "s", .group = "g", .consumer = "a", .batch = 10, .block = 100ms});
    auto p = coflow::open<stream_entry>(coflow::sinks::for_each([&](const stream_entry& e) {
      if (*e.field("v") == "4") throw std::runtime_error("stage failed");
    }));
    EXPECT_THROW(coflow::redis::pump(source, p, true), std::runtime_error);
  }
  // 0..3 were taken and acknowledged; 4..9 are still pending for "a".
  EXPECT_EQ(pending_count(c, "s", "g"), 6);
  stream_source again(c,
                      {.stream = "s", .group = "g", .consumer = "a", .batch = 4, .block = 100ms});
  auto p = coflow::open<stream_entry>(coflow::sinks::to_vector());
  const auto entries = coflow::redis::pump(again, p, true);
  EXPECT_EQ(values(entries), (std::vector<int>{4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(pending_count(c, "s", "g"), 0);
}

TEST(RedisStreamSource, StopsAfterACount) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 100);
  stream_source source(
      c, {.stream = "s", .group = "g", .consumer = "a", .batch = 30, .max_entries = 45});
  auto p = coflow::open<stream_entry>(coflow::sinks::to_vector());
  EXPECT_EQ(coflow::redis::pump(source, p).size(), 45u);
  EXPECT_TRUE(source.stopped());
  EXPECT_EQ(pending_count(c, "s", "g"), 0);
}

TEST(RedisStreamSource, CountsEachEntryOnceWhenItsPendingEntriesAreReadAgain) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 10);
  {
    // An earlier run of consumer "a" left 0, 1, 2 pending.
    stream_source earlier(c, {.stream = "s", .group = "g", .consumer = "a", .batch = 3});
    EXPECT_EQ(values(earlier.next_batch()), (std::vector<int>{0, 1, 2}));
  }
  stream_source source(
      c,
      {.stream = "s", .group = "g", .consumer = "a", .batch = 2, .block = 10ms, .max_entries = 5});
  EXPECT_EQ(values(source.next_batch()), (std::vector<int>{0, 1}));  // pending, new to it
  source.restart_pending();                                          // as after a rollback
  EXPECT_EQ(values(source.next_batch()), (std::vector<int>{0, 1}));  // again: not counted
  EXPECT_EQ(values(source.next_batch()), (std::vector<int>{2}));     // pending, new
  EXPECT_FALSE(source.stopped());
  EXPECT_EQ(values(source.next_batch()), (std::vector<int>{3, 4}));  // 5 distinct entries
  EXPECT_TRUE(source.stopped());
  EXPECT_TRUE(source.next_batch().empty());
  EXPECT_EQ(pending_count(c, "s", "g"), 5);  // read, not acknowledged: 5..9 were never read
}

TEST(RedisStreamSource, CountLimitCutsAPendingListThatHoldsMoreNewEntries) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 10);
  {
    stream_source earlier(c, {.stream = "s", .group = "g", .consumer = "a", .batch = 6});
    EXPECT_EQ(earlier.next_batch().size(), 6u);
  }
  stream_source source(c, {.stream = "s", .group = "g", .consumer = "a", .max_entries = 4});
  EXPECT_EQ(values(source.next_batch()), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_TRUE(source.stopped());
}

TEST(RedisStreamSource, StopsOnlyOnceTheStopEntryIsAcknowledged) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 3);
  c.command({"XADD", "s", "*", "stop", "1"});
  publish(c, "s", 3, 5);
  stream_source source(
      c, {.stream = "s", .group = "g", .consumer = "a", .block = 10ms, .stop_field = "stop"});
  c.command({"ACL", "SETUSER", "default", "-xack"});  // the stop entry's ack fails
  EXPECT_THROW((void)source.next_batch(), coflow::redis::server_error);
  EXPECT_FALSE(source.stopped());
  c.command({"ACL", "SETUSER", "default", "+xack"});
  source.restart_pending();  // as a worker does after an error it survives
  EXPECT_EQ(values(source.next_batch()), (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(source.stopped());
  // 0..2 wait for the caller's ack, 3 and 4 (after the stop entry) for another consumer.
  EXPECT_EQ(pending_count(c, "s", "g"), 5);
}

TEST(RedisStreamSource, StopsAtAStopEntry) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 5);
  c.command({"XADD", "s", "*", "stop", "1"});
  publish(c, "s", 5, 8);
  stream_source source(c, {.stream = "s", .group = "g", .consumer = "a", .stop_field = "stop"});
  auto p = coflow::open<stream_entry>(coflow::sinks::to_vector());
  EXPECT_EQ(values(coflow::redis::pump(source, p)), (std::vector<int>{0, 1, 2, 3, 4}));
  // The stop entry is acknowledged; the three after it stay pending for another consumer.
  EXPECT_EQ(pending_count(c, "s", "g"), 3);
}

TEST(RedisStreamSource, StopsWhenAskedFromOutside) {
  redis_server server;
  auto c = connection::open(server.options());
  std::atomic<bool> stop{false};
  stream_source source(
      c, {.stream = "s", .group = "g", .consumer = "a", .block = 50ms, .stop_requested = &stop});
  std::thread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop = true;
  });
  auto p = coflow::open<stream_entry>(coflow::sinks::to_vector());
  EXPECT_TRUE(coflow::redis::pump(source, p).empty());  // returns: it neither hangs nor throws
  stopper.join();
}

TEST(RedisStreamSource, ClaimsTheEntriesOfAConsumerIdleTooLong) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 20);
  {
    stream_source dead(
        c, {.stream = "s", .group = "g", .consumer = "dead", .batch = 20, .block = 50ms});
    EXPECT_EQ(dead.next_batch().size(), 20u);  // read, never acknowledged
  }
  stream_source alive(c, {.stream = "s",
                          .group = "g",
                          .consumer = "alive",
                          .batch = 8,
                          .block = 50ms,
                          .claim_idle = 300ms});
  EXPECT_TRUE(alive.next_batch().empty());  // too early: "dead" may only be slow
  std::this_thread::sleep_for(400ms);
  std::vector<stream_entry> all;
  for (int i = 0; i < 10 && all.size() < 20; ++i) {
    auto b = alive.next_batch();
    alive.ack(std::vector<std::string>{});  // acknowledging nothing is a no-op
    for (auto& e : b) all.push_back(e);
    std::vector<std::string> ids;
    for (auto& e : b) ids.push_back(e.id);
    alive.ack(ids);
  }
  std::vector<int> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(values(all), expected);
  EXPECT_EQ(alive.claimed(), 20u);
  EXPECT_EQ(pending_count(c, "s", "g"), 0);
}

TEST(RedisStreamSource, DeletedPendingEntryComesBackWithoutFields) {
  redis_server server;
  auto c = connection::open(server.options());
  publish(c, "s", 0, 3);
  std::string id;
  {
    stream_source a(c, {.stream = "s", .group = "g", .consumer = "a", .block = 50ms});
    id = a.next_batch().at(1).id;
  }
  c.command({"XDEL", "s", id});
  stream_source a(c, {.stream = "s", .group = "g", .consumer = "a", .block = 50ms});
  const auto b = a.next_batch();
  ASSERT_EQ(b.size(), 3u);
  EXPECT_TRUE(b[1].deleted);
  EXPECT_EQ(b[1].field("v"), nullptr);
  EXPECT_FALSE(b[0].deleted);
}

TEST(RedisStreamSource, RejectsBadOptions) {
  redis_server server;
  auto c = connection::open(server.options());
  EXPECT_THROW(stream_source(c, {.stream = "s", .group = "", .consumer = "a"}),
               coflow::redis::error);
  EXPECT_THROW(stream_source(c, {.stream = "s", .group = "g", .consumer = "a", .batch = 0}),
               coflow::redis::error);
  c.command({"SET", "str", "x"});
  EXPECT_THROW(stream_source(c, {.stream = "str", .group = "g", .consumer = "a"}),
               coflow::redis::server_error);
}

}  // namespace
