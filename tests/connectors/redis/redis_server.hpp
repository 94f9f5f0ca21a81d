// tests/connectors/redis/redis_server.hpp
//
// redis_server: a private redis-server for one test, on loopback at a free port, with its
// directory under $TEST_TMPDIR, no persistence unless asked for, stopped by the destructor
// (also when the test fails), and killed by the kernel if the test process dies first
// (PR_SET_PDEATHSIG), so that no server outlives its test.
//
//   redis_server server;                         // started and answering PING
//   auto c = coflow::redis::connection::open(server.options());
//
// The settings, a password included, go into a config file (mode 0600) in the server's
// directory, never onto its command line.
#pragma once

#include <sys/types.h>

#include <string>

#include "connectors/redis/connection.hpp"

namespace coflow::testing {

struct redis_server_options {
  bool append_only = false;    // appendonly yes, appendfsync always
  std::string password{};      // requirepass
  bool ipv6_loopback = false;  // listen on ::1 too (see ipv6_loopback_available)
};

class redis_server {
 public:
  explicit redis_server(redis_server_options options = {});
  redis_server(const redis_server&) = delete;
  redis_server& operator=(const redis_server&) = delete;
  ~redis_server();

  /// start launches the server (again, on the same port and directory) and waits for it.
  void start();
  /// stop asks it to shut down (SIGTERM) and waits; kill9 kills it without warning.
  void stop();
  void kill9();

  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] const std::string& dir() const { return dir_; }
  /// options() connects to this server, with a short retry policy (tests never wait long).
  [[nodiscard]] redis::connection_options options() const;
  /// log() is what the server printed.
  [[nodiscard]] std::string log() const;

 private:
  void wait_exit(int seconds);

  redis_server_options options_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// free_port() is a loopback TCP port nobody listens on (at the time of the call).
int free_port();

/// ipv6_loopback_available() is whether a TCP socket can be bound to [::1] here: false in a
/// container or on a host without IPv6.
bool ipv6_loopback_available();

}  // namespace coflow::testing
