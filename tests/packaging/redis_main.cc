// The program the Redis connector's packaging consumers build (tests/packaging/consumers.sh): it
// links coflow::redis (and through it hiredis) the way a user does, parses endpoints and tries a
// port where nothing listens, without needing a server, and prints what it got, which the
// script compares with redis_expected_output.txt.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>

#include "connectors/redis/connection.hpp"

namespace redis = coflow::redis;

// A loopback port that was free a moment ago: bound, then closed.
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 1;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

int main() {
  redis::connection_options options;
  redis::parse_endpoint("127.0.0.1:6380", options);
  std::cout << "redis endpoint: " << options.host << " " << options.port << '\n';

  try {
    redis::parse_endpoint("no port", options);
    std::cout << "redis bad endpoint: accepted\n";
  } catch (const redis::error&) {
    std::cout << "redis bad endpoint: redis::error\n";
  }

  options.port = closed_port();
  options.retry.attempts = 1;
  try {
    redis::connection::open(options);
    std::cout << "redis closed port: connected\n";
  } catch (const redis::connection_error&) {
    std::cout << "redis closed port: redis::connection_error\n";
  }
}
