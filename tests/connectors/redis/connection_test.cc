// connectors/redis/connection.hpp: endpoints, credentials, an unreachable server (bounded
// retries, a clear error), authentication against a server with requirepass, and no secret in
// any message.
#include "connectors/redis/connection.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>

#include "tests/connectors/redis/redis_server.hpp"

namespace {

using coflow::redis::connection;
using coflow::redis::credentials;
using coflow::testing::redis_server;

constexpr const char* secret = "s3cret-Zq81-do-not-print";

std::string temp_file(const std::string& name, const std::string& content) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string path = std::string(base != nullptr ? base : ".") + "/" + name;
  std::ofstream(path) << content;
  return path;
}

// --- No server needed ---

TEST(RedisEndpoint, ParsesHostAndPort) {
  coflow::redis::connection_options o;
  coflow::redis::parse_endpoint("10.1.2.3:6390", o);
  EXPECT_EQ(o.host, "10.1.2.3");
  EXPECT_EQ(o.port, 6390);
  for (const char* bad : {"", "host", ":6379", "host:", "host:0", "host:70000", "host:12x"})
    EXPECT_THROW(coflow::redis::parse_endpoint(bad, o), coflow::redis::error) << bad;
}

TEST(RedisCredentials, FromEnvironment) {
  ::setenv("COFLOW_TEST_REDIS_PW", secret, 1);
  const credentials c = credentials::from_environment("COFLOW_TEST_REDIS_PW", "alice");
  EXPECT_EQ(c.password(), secret);
  EXPECT_EQ(c.user(), "alice");
  ::unsetenv("COFLOW_TEST_REDIS_PW");
  try {
    (void)credentials::from_environment("COFLOW_TEST_REDIS_PW");
    FAIL() << "an unset variable must throw";
  } catch (const coflow::redis::error& e) {
    EXPECT_NE(std::string(e.what()).find("COFLOW_TEST_REDIS_PW"), std::string::npos);
  }
}

TEST(RedisCredentials, FromFileFirstLine) {
  const auto path = temp_file("pw.txt", std::string(secret) + "\r\nsecond line\n");
  EXPECT_EQ(credentials::from_file(path).password(), secret);
  EXPECT_THROW((void)credentials::from_file(temp_file("empty.txt", "")), coflow::redis::error);
  EXPECT_THROW((void)credentials::from_file("no/such/file"), coflow::redis::error);
}

TEST(RedisConnection, UnreachableServerFailsClearlyAfterBoundedRetries) {
  coflow::redis::connection_options o;
  o.port = coflow::testing::free_port();  // nothing listens there
  o.retry.attempts = 4;
  o.retry.first_delay = std::chrono::milliseconds(20);
  o.retry.max_delay = std::chrono::milliseconds(40);
  const auto start = std::chrono::steady_clock::now();
  try {
    (void)connection::open(o);
    FAIL() << "connected to a port where nothing listens";
  } catch (const coflow::redis::connection_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot reach 127.0.0.1:" + std::to_string(o.port)), std::string::npos)
        << what;
    EXPECT_NE(what.find("after 4 attempts"), std::string::npos) << what;
  }
  // 20 + 40 + 40 ms of waiting: bounded, not a hang (generous bound for a loaded machine).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
}

// --- A private server ---

TEST(RedisConnection, CommandsAndPipelining) {
  redis_server server;
  auto c = connection::open(server.options());
  EXPECT_EQ(c.command({"SET", "k", std::string("a\0b", 3)}).as_string(), "OK");
  EXPECT_EQ(c.command({"GET", "k"}).as_string(), std::string("a\0b", 3));  // binary-safe
  EXPECT_TRUE(c.command({"GET", "none"}).is_nil());
  for (int i = 0; i < 100; ++i) c.append({"INCR", "n"});
  for (int i = 1; i <= 100; ++i) EXPECT_EQ(c.read_reply().as_integer(), i);
  EXPECT_THROW(c.command({"INCR", "k"}), coflow::redis::server_error);
  EXPECT_THROW((void)c.command({"GET", "k"}).as_integer(), coflow::redis::error);
}

TEST(RedisConnection, ServerGoneIsAConnectionError) {
  redis_server server;
  auto c = connection::open(server.options());
  server.kill9();
  EXPECT_THROW(c.command({"PING"}), coflow::redis::connection_error);
  EXPECT_THROW(c.command({"PING"}), coflow::redis::connection_error);  // stays broken, no crash
}

TEST(RedisConnection, ServerThatComesBackWithinTheRetriesIsReached) {
  redis_server server;
  server.stop();
  auto o = server.options();
  o.retry.attempts = 50;
  o.retry.first_delay = std::chrono::milliseconds(100);
  o.retry.max_delay = std::chrono::milliseconds(100);
  // The client starts while the server is down, and keeps trying while it comes back.
  auto client = std::async(std::launch::async,
                           [o] { return connection::open(o).command({"PING"}).as_string(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  server.start();
  EXPECT_EQ(client.get(), "PONG");
}

TEST(RedisSecurity, PasswordFromEnvironmentAuthenticates) {
  redis_server server({.password = secret});
  auto o = server.options();
  EXPECT_THROW(connection::open(o), coflow::redis::auth_error);  // no credentials: NOAUTH
  ::setenv("COFLOW_TEST_REDIS_PW", secret, 1);
  o.auth = credentials::from_environment("COFLOW_TEST_REDIS_PW");
  auto c = connection::open(o);
  EXPECT_EQ(c.command({"PING"}).as_string(), "PONG");
  ::unsetenv("COFLOW_TEST_REDIS_PW");
}

TEST(RedisSecurity, WrongPasswordIsAClearErrorWithoutTheSecret) {
  redis_server server({.password = secret});
  auto o = server.options();
  const std::string wrong = "wrong-Pw-7731-do-not-print";
  o.auth = credentials::from_file(temp_file("wrong.txt", wrong + "\n"));
  try {
    (void)connection::open(o);
    FAIL() << "a wrong password was accepted";
  } catch (const coflow::redis::auth_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("authentication to 127.0.0.1:" + std::to_string(server.port()) + " failed"),
              std::string::npos)
        << what;
    EXPECT_NE(what.find("WRONGPASS"), std::string::npos) << what;
    EXPECT_EQ(what.find(wrong), std::string::npos) << what;
    EXPECT_EQ(what.find(secret), std::string::npos) << what;
  }
}

TEST(RedisSecurity, AclUserAuthenticates) {
  redis_server server({.password = secret});
  ::setenv("COFLOW_TEST_REDIS_PW", secret, 1);
  auto admin_o = server.options();
  admin_o.auth = credentials::from_environment("COFLOW_TEST_REDIS_PW");
  auto admin = connection::open(admin_o);
  admin.command({"ACL", "SETUSER", "worker", "on", ">worker-Pw-5512", "~*", "+@all"});
  ::setenv("COFLOW_TEST_REDIS_PW", "worker-Pw-5512", 1);
  auto o = server.options();
  o.auth = credentials::from_environment("COFLOW_TEST_REDIS_PW", "worker");
  EXPECT_EQ(connection::open(o).command({"ACL", "WHOAMI"}).as_string(), "worker");
  ::setenv("COFLOW_TEST_REDIS_PW", secret, 1);  // the default user's password, wrong for worker
  o.auth = credentials::from_environment("COFLOW_TEST_REDIS_PW", "worker");
  try {
    (void)connection::open(o);
    FAIL();
  } catch (const coflow::redis::auth_error& e) {
    EXPECT_NE(std::string(e.what()).find("for user 'worker'"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find(secret), std::string::npos) << e.what();
  }
  ::unsetenv("COFLOW_TEST_REDIS_PW");
}

}  // namespace
