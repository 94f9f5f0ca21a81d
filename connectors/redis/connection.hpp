// coflow/connectors/redis/connection.hpp
//
// redis::connection: one connection to a Redis server (hiredis underneath), with a connect
// timeout, a command timeout, authentication and a bounded retry policy for a server that is
// not reachable yet.
//
//   coflow::redis::connection_options options;
//   options.host = "127.0.0.1";
//   options.port = 6379;
//   options.auth = coflow::redis::credentials::from_environment("COFLOW_REDIS_PASSWORD");
//   coflow::redis::connection c = coflow::redis::connection::open(options);
//   coflow::redis::reply r = c.command({"XADD", "readings", "*", "v", "1.5"});
//
// Semantics: open() connects, authenticates (AUTH [user] password) and answers PING; when the
//   server cannot be reached it tries again after a delay that doubles up to retry.max_delay,
//   retry.attempts times in all, then throws. A server still loading its data after a
//   restart (LOADING), and one that closes the connection before answering (a server going
//   down), count as not reachable yet. Authentication failures are not retried (a wrong
//   password does not become right). command() sends one command and waits for its reply;
//   append() and read_reply() pipeline several commands in one round trip.
//   reconnect() replaces a broken connection (a server restarted, a network that failed) by a
//   new one to the same server, opened as open() does, with the same options, retries and
//   credentials; objects that hold a reference to the connection (stream_source,
//   checkpoint_store) go on using it. Nothing survives that the server did not keep: a
//   pipelined command never answered is lost, and so is what a server without persistence
//   held (see stream_source.hpp for a group that is gone).
// Endpoints: parse_endpoint reads HOST:PORT, and an IPv6 address in brackets, [::1]:6379;
//   messages name an endpoint the same way.
// Secrets: the password comes from an environment variable or a file, never from a command
//   line (where `ps` shows it). It is kept only in the credentials object, in a buffer wiped
//   when the object is destroyed, assigned over or moved from (see credentials for what lies
//   beyond its reach: hiredis' own buffers), and sent only in AUTH; no error message or log
//   line contains it, nor the arguments of any command.
// Signals: a write to a connection the server closed does not raise SIGPIPE in the process
//   (it is blocked in the calling thread during hiredis's writes, and taken back).
// Exceptions: redis::connection_error when the server cannot be reached or the connection
//   breaks (a timeout included; the connection is then unusable until reconnect() succeeds);
//   redis::auth_error for a rejected password; redis::server_error for an error reply of a
//   command. All derive from redis::error (a std::runtime_error).
// Cost: one TCP round trip per command(); append() + read_reply() one per batch.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/redis/reply.hpp"

struct redisContext;

namespace coflow::redis {

/// error is what the Redis connector throws; its message never holds a secret.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
/// connection_error: the server is unreachable, or the connection broke or timed out.
struct connection_error : error {
  using error::error;
};
/// auth_error: the server rejected the credentials (or asked for some and got none).
struct auth_error : error {
  using error::error;
};
/// server_error: a command got an error reply.
struct server_error : error {
  using error::error;
};

/// credentials: an optional ACL user and a password, read from the environment or a file.
///
/// The password lives in one buffer of its own, which is overwritten with zeros
/// (explicit_bzero, which the compiler may not drop as a dead store) before it is freed: when
/// the credentials are destroyed or assigned over. A copy has a buffer of its own, wiped the
/// same way; a move hands the buffer over, so that the moved-from credentials hold no password
/// (password() is empty). from_file reads through a buffer on the stack that it wipes too.
/// What this cannot wipe: the environment variable the password came from (the process's
/// environment, which the caller may unset), and the copies outside this object on the way to
/// the server: hiredis formats AUTH into its own command and output buffers and frees them
/// unwiped, and the kernel's socket buffers. The AUTH command is built from views of the
/// buffer, not from copies.
class credentials {
 public:
  /// from_environment reads the password from variable `name`; throws redis::error when it is
  /// unset or empty. The user, if any, is given separately (it is not a secret).
  static credentials from_environment(const std::string& name, std::string user = {});
  /// from_file reads the password from the first line of `path` (without its "\r\n" or
  /// "\n"); throws redis::error when the file cannot be read or its first line is empty or
  /// longer than 4095 bytes.
  static credentials from_file(const std::string& path, std::string user = {});

  credentials(const credentials& other);
  credentials(credentials&& other) noexcept;
  credentials& operator=(const credentials& other);
  credentials& operator=(credentials&& other) noexcept;
  ~credentials();

  [[nodiscard]] const std::string& user() const { return user_; }
  /// password is a view of the buffer: valid while these credentials live and are not
  /// assigned to or moved from.
  [[nodiscard]] std::string_view password() const { return {password_.get(), password_size_}; }

 private:
  credentials(std::string user, std::string_view password);
  void wipe() noexcept;

  std::string user_;
  std::unique_ptr<char[]> password_;
  std::size_t password_size_ = 0;
};

/// retry_policy bounds the attempts to reach a server: `attempts` tries in all, waiting
/// `first_delay`, then twice as long each time, at most `max_delay`.
struct retry_policy {
  int attempts = 5;
  std::chrono::milliseconds first_delay{100};
  std::chrono::milliseconds max_delay{2000};
};

/// connection_options: where the server is and how patient to be with it.
struct connection_options {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds command_timeout{5000};  // must exceed any BLOCK time used
  std::optional<credentials> auth{};
  retry_policy retry{};
};

/// parse_endpoint fills host and port from "HOST:PORT" (a name or an IPv4 address:
/// "redis.local:6379", "10.0.0.5:6379") or "[ADDRESS]:PORT" (an IPv6 address in brackets, as in
/// a URL: "[::1]:6379", "[fe80::1%eth0]:6379"; the host is the address without them). It throws
/// redis::error, naming the string, for a missing or empty host, a port that is not a number
/// in 1..65535, an IPv6 address without brackets ("::1:6379" has no one reading: the message
/// gives the bracketed form), brackets without a port ("[::1]"), and anything between ']' and
/// ':'.
void parse_endpoint(std::string_view endpoint, connection_options& options);

/// connection: one hiredis context, owned.
class connection {
 public:
  /// open connects (with retries, see above), authenticates and checks the server with PING.
  static connection open(const connection_options& options);

  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  ~connection();

  /// command sends `args` and returns the reply; an error reply throws server_error.
  reply command(const std::vector<std::string>& args);
  reply command(std::initializer_list<std::string_view> args);

  /// append queues a command without waiting; read_reply returns the queued replies in order
  /// (error replies are returned, not thrown, so that a batch can be inspected whole).
  void append(const std::vector<std::string>& args);
  reply read_reply();

  /// reconnect closes the current connection, broken or not, and opens a new one with the
  /// options it was opened with (retries and authentication included). It throws as open()
  /// does; the connection is then unusable until a later reconnect() succeeds.
  void reconnect();

  [[nodiscard]] const connection_options& options() const { return options_; }

 private:
  struct context_deleter {
    void operator()(redisContext* c) const;
  };
  explicit connection(connection_options options) : options_(std::move(options)) {}
  void connect();
  void check_io(const char* what);
  void append_views(const std::vector<std::string_view>& args);

  connection_options options_;
  std::unique_ptr<redisContext, context_deleter> context_;
};

}  // namespace coflow::redis
