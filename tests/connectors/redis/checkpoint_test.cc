// connectors/redis/checkpoint.hpp and checkpointed_worker.hpp: commits are atomic and refuse
// entries claimed away; a worker restored from its checkpoint counts every entry once; a slow
// worker whose entries were claimed rolls back; malformed entries are counted; the worker
// state round-trips through bytes.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "connectors/redis/checkpointed_worker.hpp"
#include "operators/moments.hpp"
#include "tests/connectors/redis/redis_server.hpp"
#include "tests/connectors/redis/worker_fixtures.hpp"

namespace {

using coflow::redis::checkpoint_store;
using coflow::redis::connection;
using coflow::redis::stream_source;
using coflow::testing::iota;
using coflow::testing::merged_values;
using coflow::testing::parse_v;
using coflow::testing::redis_server;
using coflow::testing::run_worker;
using coflow::testing::value_bag;
using namespace std::chrono_literals;

std::vector<std::byte> bytes_of(const std::string& s) {
  const auto* p = reinterpret_cast<const std::byte*>(s.data());
  return {p, p + s.size()};
}

long long pending_for(connection& c, const std::string& consumer) {
  const auto r = c.command({"XPENDING", "s", "g"});
  if (r.at(3).is_nil()) return 0;
  for (const auto& row : r.at(3).as_array())
    if (row.at(0).as_string() == consumer) return std::stoll(row.at(1).as_string());
  return 0;
}

// --- No server needed ---

TEST(RedisWorkerState, RoundTripsAndMerges) {
  coflow::redis::worker_state<coflow::moments> a, b;
  for (double x : {1.0, 2.0, 3.0}) a.add(x);
  b.add(10.0);
  b.malformed = 2;
  b.entries += 2;
  std::vector<std::byte> bytes;
  a.serialize(bytes);
  auto a2 = coflow::redis::worker_state<coflow::moments>::deserialize(bytes);
  EXPECT_EQ(a2.entries, 3u);
  EXPECT_EQ(a2.aggregate.mean(), 2.0);
  a2.merge(b);
  EXPECT_EQ(a2.entries, 6u);
  EXPECT_EQ(a2.malformed, 2u);
  EXPECT_EQ(a2.aggregate.count(), 4u);
  bytes.pop_back();
  EXPECT_THROW((void)coflow::redis::worker_state<coflow::moments>::deserialize(bytes),
               coflow::format_error);
}

// --- A private server ---

TEST(RedisCheckpoint, CommitWritesStateAndAcksAtomically) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 10);
  stream_source source(c, {.stream = "s", .group = "g", .consumer = "a", .block = 50ms});
  auto batch = source.next_batch();
  std::vector<std::string> ids;
  for (auto& e : batch) ids.push_back(e.id);
  checkpoint_store store(c, "s", "g", "a");
  EXPECT_FALSE(store.load().has_value());
  EXPECT_TRUE(store.commit(bytes_of("state-1"), ids));
  EXPECT_EQ(store.load(), bytes_of("state-1"));
  EXPECT_EQ(pending_for(c, "a"), 0);
  // Committing the same ids again: they are no longer pending, nothing is written.
  EXPECT_FALSE(store.commit(bytes_of("state-2"), ids));
  EXPECT_EQ(store.load(), bytes_of("state-1"));
}

TEST(RedisCheckpoint, EntriesClaimedAwayMakeTheCommitWriteNothing) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 10);
  stream_source source(c, {.stream = "s", .group = "g", .consumer = "a", .block = 50ms});
  auto batch = source.next_batch();
  std::vector<std::string> ids;
  for (auto& e : batch) ids.push_back(e.id);
  // Another consumer claims one of a's entries (as XAUTOCLAIM would after a's idle time).
  c.command({"XCLAIM", "s", "g", "b", "0", ids[7]});
  checkpoint_store store(c, "s", "g", "a");
  EXPECT_FALSE(store.commit(bytes_of("state"), ids));
  EXPECT_FALSE(store.load().has_value());  // no state written
  EXPECT_EQ(pending_for(c, "a"), 9);       // and nothing acknowledged
  EXPECT_EQ(pending_for(c, "b"), 1);
}

TEST(RedisCheckpoint, SurvivesTheScriptCacheBeingFlushed) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 3);
  stream_source source(c, {.stream = "s", .group = "g", .consumer = "a", .block = 50ms});
  checkpoint_store store(c, "s", "g", "a");
  c.command({"SCRIPT", "FLUSH"});  // as after a server restart
  std::vector<std::string> ids;
  for (auto& e : source.next_batch()) ids.push_back(e.id);
  EXPECT_TRUE(store.commit(bytes_of("x"), ids));
}

TEST(RedisCheckpointedWorker, CountsEveryEntryOnceAndMalformedOnesApart) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 500);
  c.command({"XADD", "s", "*", "v", "twelve"});
  c.command({"XADD", "s", "*", "w", "1"});
  c.command({"XADD", "s", "*", "v", "1e3"});
  const auto r = run_worker(server.options(), "s", "a", 0ms, 300ms);
  EXPECT_EQ(r.state.malformed, 3u);
  EXPECT_EQ(r.state.entries, 503u);
  EXPECT_GE(r.checkpoints, 10u);  // every 50 entries
  EXPECT_EQ(merged_values(c, "s"), iota(500));
  EXPECT_EQ(pending_for(c, "a"), 0);
}

TEST(RedisCheckpointedWorker, RestartedWorkerResumesFromItsCheckpoint) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 1000);
  {
    // A worker that fails at entry 620: it checkpointed up to 600 (every 50), folded 20 more.
    auto c2 = connection::open(server.options());
    stream_source source(
        c2, {.stream = "s", .group = "g", .consumer = "a", .batch = 25, .block = 50ms});
    checkpoint_store store(c2, "s", "g", "a");
    auto failing = [](const coflow::redis::stream_entry& e) -> std::optional<long long> {
      const auto v = parse_v{}(e);
      if (v == 620) throw std::runtime_error("worker crashed");
      return v;
    };
    coflow::redis::checkpointed_worker<value_bag, decltype(failing)> worker(
        source, store, failing, {.checkpoint_every = 50});
    EXPECT_THROW(worker.run(), std::runtime_error);
  }
  EXPECT_EQ(merged_values(c, "s"), iota(600));
  EXPECT_EQ(pending_for(c, "a"), 25);  // the batch 600..624 was read, not committed
  const auto r = run_worker(server.options(), "s", "a", 0ms, 300ms);
  EXPECT_EQ(r.state.entries, 1000u);
  EXPECT_EQ(merged_values(c, "s"), iota(1000));
}

TEST(RedisCheckpointedWorker, SlowWorkerWhoseEntriesWereClaimedRollsBack) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 300);
  auto claimer = connection::open(server.options());
  // While worker "a" folds entry 130, consumer "b" claims every entry pending for "a" (as it
  // would if "a" had seemed dead): a's next checkpoint must not commit them.
  bool claimed = false;
  auto slow = [&](const coflow::redis::stream_entry& e) -> std::optional<long long> {
    const auto v = parse_v{}(e);
    if (v == 130 && !claimed) {
      claimed = true;
      const auto pending = claimer.command({"XPENDING", "s", "g", "-", "+", "1000", "a"});
      for (const auto& row : pending.as_array())
        claimer.command({"XCLAIM", "s", "g", "b", "0", row.at(0).as_string()});
    }
    return v;
  };
  auto ca = connection::open(server.options());
  stream_source source(ca,
                       {.stream = "s", .group = "g", .consumer = "a", .batch = 25, .block = 50ms});
  checkpoint_store store(ca, "s", "g", "a");
  coflow::redis::checkpointed_worker<value_bag, decltype(slow)> worker(
      source, store, slow, {.checkpoint_every = 50, .idle_exit = 300ms});
  const auto a = worker.run();
  EXPECT_EQ(worker.rollbacks(), 1u);
  // "a" has everything except what "b" took; "b" then folds those once.
  EXPECT_LT(a.entries, 300u);
  const auto b = run_worker(server.options(), "s", "b", 0ms, 300ms);
  EXPECT_EQ(a.entries + b.state.entries, 300u);
  EXPECT_EQ(merged_values(c, "s"), iota(300));
}

TEST(RedisCheckpointedWorker, ServerGoneIsAnErrorNotAHang) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 100);
  auto o = server.options();
  auto cw = connection::open(o);
  stream_source source(cw,
                       {.stream = "s", .group = "g", .consumer = "a", .batch = 10, .block = 50ms});
  checkpoint_store store(cw, "s", "g", "a");
  auto killing = [&](const coflow::redis::stream_entry& e) -> std::optional<long long> {
    const auto v = parse_v{}(e);
    if (v == 42) server.kill9();
    return v;
  };
  coflow::redis::checkpointed_worker<value_bag, decltype(killing)> worker(source, store, killing,
                                                                          {.checkpoint_every = 20});
  EXPECT_THROW(worker.run(), coflow::redis::connection_error);
}

}  // namespace
