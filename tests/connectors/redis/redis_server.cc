#include "tests/connectors/redis/redis_server.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace coflow::testing {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("redis_server: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("redis_server: cannot find a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool ipv6_loopback_available() {
  const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  addr.sin6_port = 0;
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return bound;
}

namespace {

std::string make_dir() {
  static std::atomic<int> serial{0};
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/redis-" +
                    std::to_string(::getpid()) + "-" + std::to_string(serial++);
  ::mkdir(dir.c_str(), 0700);
  return dir;
}

}  // namespace

redis_server::redis_server(redis_server_options options)
    : options_(std::move(options)), dir_(make_dir()) {
  // A free port can be taken by another test between free_port() and the server's bind: then
  // the server exits at once ("Address already in use") and another port is tried.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    const std::string conf = dir_ + "/redis.conf";
    {
      std::ofstream out(conf);
      out << "bind 127.0.0.1" << (options_.ipv6_loopback ? " ::1" : "") << "\nport " << port_
          << "\ndir " << dir_ << "\nsave \"\"\n"
          << "daemonize no\nprotected-mode yes\nlogfile \"\"\n"
          << "appendonly " << (options_.append_only ? "yes" : "no") << "\n"
          << "appendfsync always\n";
      if (!options_.password.empty()) out << "requirepass " << options_.password << "\n";
    }
    ::chmod(conf.c_str(), 0600);
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      if (attempt == 5 || log().find("Address already in use") == std::string::npos) throw;
    }
  }
}

redis_server::~redis_server() {
  try {
    stop();
  } catch (...) {
  }
}

void redis_server::start() {
  if (running()) return;
  const std::string conf = dir_ + "/redis.conf";
  const std::string log_path = dir_ + "/server.log";
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("redis_server: fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);  // the test died before the line above
    const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    ::execl("/usr/bin/redis-server", "redis-server", conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  pid_ = pid;
  // Wait until it answers, at most 10 s.
  auto o = options();
  o.retry.attempts = 1;
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("redis_server: redis-server exited at start:\n" + log());
    }
    try {
      redis::connection::open(o);
      return;
    } catch (const redis::auth_error&) {
      return;  // it answers; the test asked for a password it may not give here
    } catch (const redis::error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  kill9();
  throw std::runtime_error("redis_server: redis-server did not answer within 10 s:\n" + log());
}

void redis_server::wait_exit(int seconds) {
  for (int i = 0; i < seconds * 100; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void redis_server::stop() {
  if (!running()) return;
  ::kill(pid_, SIGCONT);  // a test may have paused it
  ::kill(pid_, SIGTERM);
  wait_exit(10);
}

void redis_server::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  wait_exit(10);
}

redis::connection_options redis_server::options() const {
  redis::connection_options o;
  o.host = "127.0.0.1";
  o.port = port_;
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.command_timeout = std::chrono::milliseconds(5000);
  o.retry.attempts = 3;
  o.retry.first_delay = std::chrono::milliseconds(50);
  o.retry.max_delay = std::chrono::milliseconds(200);
  return o;
}

std::string redis_server::log() const {
  std::ifstream in(dir_ + "/server.log");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace coflow::testing
