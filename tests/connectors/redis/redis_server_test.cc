// The test fixture itself: a private server starts, answers, restarts on its port, and is gone
// after stop() and after the destructor.
#include "tests/connectors/redis/redis_server.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include "connectors/redis/connection.hpp"

namespace {

using coflow::testing::redis_server;

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(RedisServer, StartsAnswersAndStops) {
  pid_t pid = -1;
  {
    redis_server server;
    pid = server.pid();
    ASSERT_TRUE(alive(pid));
    auto c = coflow::redis::connection::open(server.options());
    EXPECT_EQ(c.command({"PING"}).as_string(), "PONG");
    // No persistence: nothing is saved on its own.
    EXPECT_EQ(c.command({"CONFIG", "GET", "save"}).at(1).as_string(), "");
    EXPECT_EQ(c.command({"CONFIG", "GET", "appendonly"}).at(1).as_string(), "no");
  }
  EXPECT_FALSE(alive(pid));
}

TEST(RedisServer, RestartsOnTheSamePort) {
  redis_server server;
  const int port = server.port();
  server.stop();
  EXPECT_FALSE(server.running());
  EXPECT_THROW(coflow::redis::connection::open(server.options()), coflow::redis::connection_error);
  server.start();
  EXPECT_EQ(server.port(), port);
  auto c = coflow::redis::connection::open(server.options());
  EXPECT_EQ(c.command({"PING"}).as_string(), "PONG");
}

TEST(RedisServer, TwoServersAreApart) {
  redis_server a;
  redis_server b;
  EXPECT_NE(a.port(), b.port());
  auto ca = coflow::redis::connection::open(a.options());
  auto cb = coflow::redis::connection::open(b.options());
  ca.command({"SET", "k", "a"});
  EXPECT_TRUE(cb.command({"GET", "k"}).is_nil());
}

}  // namespace
