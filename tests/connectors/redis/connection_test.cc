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

TEST(RedisEndpoint, IPv6AddressInBracketsLosesTheBrackets) {
  coflow::redis::connection_options o;
  coflow::redis::parse_endpoint("[::1]:6379", o);
  EXPECT_EQ(o.host, "::1");
  EXPECT_EQ(o.port, 6379);
  coflow::redis::parse_endpoint("[2001:db8::7]:6390", o);
  EXPECT_EQ(o.host, "2001:db8::7");
  EXPECT_EQ(o.port, 6390);
  coflow::redis::parse_endpoint("[fe80::1%eth0]:1", o);
  EXPECT_EQ(o.host, "fe80::1%eth0");
  EXPECT_EQ(o.port, 1);
  coflow::redis::parse_endpoint("redis.example:65535", o);  // names and IPv4 as before
  EXPECT_EQ(o.host, "redis.example");
  EXPECT_EQ(o.port, 65535);
}

// The message of parse_endpoint(endpoint), which must throw.
std::string endpoint_error(const std::string& endpoint) {
  coflow::redis::connection_options o;
  try {
    coflow::redis::parse_endpoint(endpoint, o);
  } catch (const coflow::redis::error& e) {
    return e.what();
  }
  ADD_FAILURE() << "'" << endpoint << "' was accepted as host '" << o.host << "' port " << o.port;
  return {};
}

TEST(RedisEndpoint, UnbracketedIPv6IsRejectedWithTheBracketedForm) {
  for (const char* ambiguous : {"::1:6379", "2001:db8::7:6379", "::1", "fe80::1:80"}) {
    const std::string what = endpoint_error(ambiguous);
    EXPECT_NE(what.find("[ADDRESS]:PORT"), std::string::npos) << ambiguous << ": " << what;
    EXPECT_NE(what.find(ambiguous), std::string::npos) << what;
  }
}

TEST(RedisEndpoint, MalformedBracketsAreRejected) {
  for (const char* bad : {"[::1]", "[::1]:", "[::1]:0", "[::1]:65536", "[::1]:x", "[]:6379",
                          "[:6379", "[::1", "[::1]x:6379", "[::1]6379", "[::1] :6379",
                          "[[::1]]:6379", "[::1]:6379]", "x[::1]:6379", "host]:6379"}) {
    EXPECT_FALSE(endpoint_error(bad).empty()) << bad;
  }
  EXPECT_NE(endpoint_error("[::1]").find("no port"), std::string::npos);
  EXPECT_NE(endpoint_error("[]:6379").find("empty address"), std::string::npos);
  EXPECT_NE(endpoint_error(":6379").find("empty host"), std::string::npos);
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

// Whether the object representation of `object` (its own bytes, not what it points to)
// holds `password` but for its first byte: a moved-from std::string of libstdc++ zeroes only
// that one.
template <class T>
bool bytes_hold(const T& object, std::string_view password) {
  const std::string_view bytes(reinterpret_cast<const char*>(&object), sizeof object);
  return bytes.find(password.substr(1)) != std::string_view::npos;
}

TEST(RedisCredentials, MovedFromCredentialsHoldNoPassword) {
  // A short password: a std::string would keep it inside the object (its small-string
  // buffer), where a move leaves the bytes behind.
  constexpr std::string_view short_secret = "pw-Kq3";
  ::setenv("COFLOW_TEST_REDIS_PW", std::string(short_secret).c_str(), 1);
  credentials a = credentials::from_environment("COFLOW_TEST_REDIS_PW", "alice");
  ::unsetenv("COFLOW_TEST_REDIS_PW");
  EXPECT_EQ(a.password(), short_secret);

  credentials b = std::move(a);
  EXPECT_EQ(b.password(), short_secret);
  EXPECT_EQ(b.user(), "alice");
  EXPECT_TRUE(a.password().empty());  // NOLINT(bugprone-use-after-move): what this tests
  EXPECT_FALSE(bytes_hold(a, short_secret));

  const credentials copy = b;  // a copy has a buffer of its own
  EXPECT_EQ(copy.password(), short_secret);
  EXPECT_NE(copy.password().data(), b.password().data());

  credentials c = credentials::from_file(temp_file("other.txt", "other-Pw\n"));
  c = std::move(b);  // assigned over: its own password is wiped and freed, b's taken
  EXPECT_EQ(c.password(), short_secret);
  EXPECT_TRUE(b.password().empty());  // NOLINT(bugprone-use-after-move)
  EXPECT_FALSE(bytes_hold(b, short_secret));
  c = copy;
  EXPECT_EQ(c.password(), short_secret);
}

TEST(RedisCredentials, FromFileReadsTheFirstLineOnly) {
  EXPECT_EQ(credentials::from_file(temp_file("nl.txt", "abc\n")).password(), "abc");
  EXPECT_EQ(credentials::from_file(temp_file("no-nl.txt", "abc")).password(), "abc");
  EXPECT_EQ(credentials::from_file(temp_file("blank.txt", " a b \n")).password(), " a b ");
  EXPECT_THROW((void)credentials::from_file(temp_file("crlf-only.txt", "\r\nx\n")),
               coflow::redis::error);
  const std::string long_line(5000, 'p');
  EXPECT_THROW((void)credentials::from_file(temp_file("long.txt", long_line + "\n")),
               coflow::redis::error);
  const std::string longest(4095, 'p');
  EXPECT_EQ(credentials::from_file(temp_file("longest.txt", longest + "\n")).password(), longest);
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

TEST(RedisConnection, ConnectsThroughABracketedIPv6Endpoint) {
  if (!coflow::testing::ipv6_loopback_available())
    GTEST_SKIP() << "no IPv6 loopback here: [::1] cannot be bound";
  redis_server server({.ipv6_loopback = true});
  auto o = server.options();
  coflow::redis::parse_endpoint("[::1]:" + std::to_string(server.port()), o);
  auto c = connection::open(o);
  // The server saw this client come from ::1, not from 127.0.0.1.
  const std::string info = c.command({"CLIENT", "INFO"}).as_string();
  EXPECT_NE(info.find("addr=[::1]:"), std::string::npos) << info;
  EXPECT_EQ(c.command({"PING"}).as_string(), "PONG");
  // Messages name the endpoint in the same form.
  server.kill9();
  try {
    (void)c.command({"PING"});
    FAIL() << "a command on a killed server succeeded";
  } catch (const coflow::redis::connection_error& e) {
    EXPECT_NE(std::string(e.what()).find("[::1]:" + std::to_string(server.port())),
              std::string::npos)
        << e.what();
  }
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
