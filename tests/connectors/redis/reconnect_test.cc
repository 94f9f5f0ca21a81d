// Reconnection after a server restart: connection::reconnect() against a server restarted on
// the same port (with its password), a stream source whose group is gone, and a checkpointed
// worker whose server is killed and restarted from its append-only file mid-run: with a budget
// it finishes with every entry counted once (toward a count limit too), without one it throws as
// before, and against a server that never comes back it throws once the budget is spent; and
// redis::pump across the same kill, which sends every entry into its pipeline once.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/redis/checkpoint.hpp"
#include "connectors/redis/checkpointed_worker.hpp"
#include "connectors/redis/connection.hpp"
#include "connectors/redis/stream_source.hpp"
#include "operators/to_vector.hpp"
#include "operators/transform.hpp"
#include "pipeline/pipeline.hpp"
#include "tests/connectors/redis/redis_server.hpp"
#include "tests/connectors/redis/worker_fixtures.hpp"

namespace {

using coflow::redis::checkpoint_store;
using coflow::redis::checkpointed_worker;
using coflow::redis::connection;
using coflow::redis::connection_error;
using coflow::redis::stream_source;
using coflow::testing::iota;
using coflow::testing::merged_values;
using coflow::testing::parse_v;
using coflow::testing::redis_server;
using coflow::testing::value_bag;
using namespace std::chrono_literals;

// Patient enough for a server restarted from its append-only file (about 3.5 s in all).
coflow::redis::connection_options patient(coflow::redis::connection_options o) {
  o.retry.attempts = 10;
  o.retry.first_delay = 50ms;
  o.retry.max_delay = 500ms;
  return o;
}

TEST(RedisReconnect, ConnectionWorksAgainAfterTheServerRestartedOnTheSamePort) {
  redis_server server({.password = "reconnect-pw-5521"});
  ::setenv("COFLOW_TEST_REDIS_PW", "reconnect-pw-5521", 1);
  auto o = server.options();
  o.auth = coflow::redis::credentials::from_environment("COFLOW_TEST_REDIS_PW");
  ::unsetenv("COFLOW_TEST_REDIS_PW");
  auto c = connection::open(o);
  EXPECT_EQ(c.command({"SET", "x", "1"}).as_string(), "OK");
  server.stop();
  server.start();
  EXPECT_THROW(c.command({"GET", "x"}), connection_error);  // the old socket is closed
  EXPECT_THROW(c.command({"GET", "x"}), connection_error);  // and stays unusable
  c.reconnect();
  // Authenticated again (the server requires the password), on a server that kept nothing.
  EXPECT_EQ(c.command({"SET", "y", "2"}).as_string(), "OK");
  EXPECT_TRUE(c.command({"GET", "x"}).is_nil());
  EXPECT_EQ(c.command({"GET", "y"}).as_string(), "2");
}

TEST(RedisReconnect, ReconnectToAStoppedServerThrowsAndCanBeTriedAgain) {
  redis_server server;
  auto c = connection::open(server.options());
  server.stop();
  EXPECT_THROW(c.reconnect(), connection_error);
  EXPECT_THROW(c.command({"PING"}), connection_error);
  server.start();
  c.reconnect();
  EXPECT_EQ(c.command({"PING"}).as_string(), "PONG");
}

TEST(RedisReconnect, SourceCreatesItsGroupAgainWhenItIsGone) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 3);
  stream_source source(c, {.stream = "s", .group = "g", .consumer = "w", .block = 10ms});
  EXPECT_EQ(source.next_batch().size(), 3u);
  c.command({"XGROUP", "DESTROY", "s", "g"});
  // The group is made anew at the stream's start: the three entries come again.
  std::vector<coflow::redis::stream_entry> again;
  for (int i = 0; i < 5 && again.empty(); ++i) again = source.next_batch();
  EXPECT_EQ(again.size(), 3u);
  EXPECT_EQ(c.command({"XINFO", "GROUPS", "s"}).as_array().size(), 1u);
}

// Waits until `consumer` of group "g" on "s" has committed a checkpoint.
bool checkpointed(connection& c, const std::string& consumer) {
  for (int i = 0; i < 1000; ++i) {
    if (!c.command({"HGET", "s:checkpoints:g", consumer}).is_nil()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

// One worker "w" of group "g" on "s", slow enough (200 us an entry) to be caught mid-run.
struct slow_worker {
  explicit slow_worker(const coflow::redis::connection_options& o, int reconnections,
                       std::optional<std::size_t> max_entries = std::nullopt)
      : c(connection::open(o)),
        source(c, {.stream = "s",
                   .group = "g",
                   .consumer = "w",
                   .batch = 25,
                   .block = 50ms,
                   .claim_idle = 0ms,
                   .max_entries = max_entries}),
        store(c, "s", "g", "w"),
        worker(
            source, store, parse_v{200us},
            {.checkpoint_every = 50,
             .idle_exit = 1000ms,
             .reconnections = reconnections,
             .on_reconnect = [this](const connection_error& e) { reported.push_back(e.what()); }}) {
  }

  connection c;
  stream_source source;
  checkpoint_store store;
  checkpointed_worker<value_bag, parse_v> worker;
  std::vector<std::string> reported;  // the errors that led to a reconnection
};

// run_worker starts w's run() on a thread of its own, so that the test's thread can kill and
// restart the server: redis_server's process dies with the thread that started it
// (PR_SET_PDEATHSIG), which must be the test's.
std::future<coflow::redis::worker_state<value_bag>> run_worker(slow_worker& w) {
  return std::async(std::launch::async, [&w] { return w.worker.run(); });
}

// Waits until "w" has checkpointed, then kills the server without a chance to save.
void kill_after_a_checkpoint(redis_server& server) {
  {
    auto c = connection::open(server.options());
    ASSERT_TRUE(checkpointed(c, "w"));
  }
  server.kill9();
}

// The entries 0..1999 of "s", for the worker to count.
void publish_entries(const coflow::redis::connection_options& o) {
  auto c = connection::open(o);
  coflow::testing::publish_range(c, "s", 0, 2000);
}

// Starts w's run(), and kills the server once w has checkpointed: w breaks mid-run.
std::future<coflow::redis::worker_state<value_bag>> run_until_the_server_dies(redis_server& server,
                                                                              slow_worker& w) {
  auto running = run_worker(w);
  kill_after_a_checkpoint(server);
  return running;
}

TEST(RedisReconnect, WorkerSurvivesAServerRestartAndCountsEveryEntryOnce) {
  redis_server server({.append_only = true});
  const auto o = patient(server.options());
  publish_entries(o);
  slow_worker w(o, 2);
  auto running = run_until_the_server_dies(server, w);
  server.start();  // from its append-only file
  const auto state = running.get();
  EXPECT_EQ(w.worker.reconnections(), 1u) << ::testing::PrintToString(w.reported);
  EXPECT_EQ(w.reported.size(), 1u);
  EXPECT_EQ(state.entries, 2000u);
  auto values = state.aggregate.values;
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, iota(2000));
  auto c = connection::open(o);
  EXPECT_EQ(merged_values(c, "s"), iota(2000));
  EXPECT_EQ(c.command({"XPENDING", "s", "g"}).at(0).as_integer(), 0);
}

// The entries the worker reads again after the break (delivered since its last checkpoint)
// count once toward max_entries: it ends with exactly 1500 distinct entries.
TEST(RedisReconnect, WorkerWithACountLimitCountsTheEntriesItReadsAgainOnce) {
  redis_server server({.append_only = true});
  const auto o = patient(server.options());
  publish_entries(o);
  slow_worker w(o, 2, 1500);
  auto running = run_until_the_server_dies(server, w);
  server.start();
  const auto state = running.get();
  EXPECT_EQ(w.worker.reconnections(), 1u) << ::testing::PrintToString(w.reported);
  EXPECT_EQ(state.entries, 1500u);
  auto values = state.aggregate.values;
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, iota(1500));
}

// pump with a budget: killed mid-run and restarted from its append-only file, the server
// keeps what was acknowledged and what was delivered; pump acknowledges what its pipeline took
// before the break, reads its pending entries again, and the pipeline takes every entry once.
TEST(RedisReconnect, PumpSurvivesAServerRestartAndSendsEveryEntryOnce) {
  redis_server server({.append_only = true});
  const auto o = patient(server.options());
  publish_entries(o);
  auto c = connection::open(o);
  stream_source source(c, {.stream = "s",
                           .group = "g",
                           .consumer = "p",
                           .batch = 25,
                           .block = 50ms,
                           .claim_idle = 0ms});
  std::atomic<int> sent{0};
  auto p = coflow::open<coflow::redis::stream_entry>(
      coflow::ops::transform([&sent](const coflow::redis::stream_entry& e) {
        std::this_thread::sleep_for(200us);  // slow enough to be caught mid-run
        ++sent;
        return std::stoll(*e.field("v"));
      }) |
      coflow::sinks::to_vector());
  std::vector<std::string> reported;
  auto running = std::async(std::launch::async, [&] {
    return coflow::redis::pump(
        source, p,
        {.stop_when_idle = true,
         .reconnections = 2,
         .on_reconnect = [&](const connection_error& e) { reported.push_back(e.what()); }});
  });
  for (int i = 0; i < 5000 && sent < 500; ++i) std::this_thread::sleep_for(1ms);
  ASSERT_GE(sent.load(), 500);
  server.kill9();
  server.start();
  auto values = running.get();
  EXPECT_EQ(reported.size(), 1u) << ::testing::PrintToString(reported);
  std::sort(values.begin(), values.end());
  EXPECT_EQ(values, iota(2000));
  EXPECT_EQ(c.command({"XPENDING", "s", "g"}).at(0).as_integer(), 0);
}

TEST(RedisReconnect, PumpWithoutABudgetThrowsAtTheFirstBreak) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 10);
  stream_source source(c, {.stream = "s", .group = "g", .consumer = "p", .block = 10ms});
  auto p = coflow::open<coflow::redis::stream_entry>(coflow::sinks::to_vector());
  server.stop();
  EXPECT_THROW((void)coflow::redis::pump(source, p, true), connection_error);
}

TEST(RedisReconnect, WorkerWithoutABudgetThrowsAtTheFirstBreak) {
  redis_server server({.append_only = true});
  const auto o = patient(server.options());
  publish_entries(o);
  slow_worker w(o, 0);
  auto running = run_until_the_server_dies(server, w);
  server.start();
  EXPECT_THROW((void)running.get(), connection_error);
  EXPECT_EQ(w.worker.reconnections(), 0u);
  EXPECT_TRUE(w.reported.empty());
  // What it committed before the break survived; the rest is still to do.
  auto c = connection::open(o);
  const auto committed = merged_values(c, "s");
  EXPECT_GT(committed.size(), 0u);
  EXPECT_LT(committed.size(), 2000u);
}

TEST(RedisReconnect, WorkerGivesUpWhenTheServerNeverComesBack) {
  redis_server server({.append_only = true});
  const auto o = server.options();  // 3 attempts, 150 ms, for each reconnection
  publish_entries(o);
  slow_worker w(o, 2);
  auto running = run_until_the_server_dies(server, w);
  EXPECT_THROW((void)running.get(), connection_error);
  EXPECT_EQ(w.worker.reconnections(), 2u);
  EXPECT_EQ(w.reported.size(), 2u) << ::testing::PrintToString(w.reported);
}

}  // namespace
