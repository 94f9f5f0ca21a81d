// Faults on loopback, with workers in their own processes: a worker paused (SIGSTOP) until its
// entries are claimed, then resumed; a worker killed (SIGKILL) mid-stream whose entries another
// claims; a killed worker restarted from its checkpoint; the server killed and restarted from
// its append-only file. In each, the merged checkpoints hold every value exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "tests/connectors/redis/redis_server.hpp"
#include "tests/connectors/redis/worker_fixtures.hpp"

namespace {

using coflow::redis::connection;
using coflow::testing::iota;
using coflow::testing::merged_values;
using coflow::testing::parse_v;
using coflow::testing::redis_server;
using coflow::testing::run_worker;
using namespace std::chrono_literals;

// A worker in a child process. Exit status: 0 done, 10 done after a rollback, 2 an exception.
pid_t spawn_worker(const redis_server& server, const std::string& consumer,
                   std::chrono::milliseconds claim_idle, std::chrono::milliseconds idle,
                   std::chrono::microseconds delay) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    int code = 2;
    try {
      const auto r = run_worker(server.options(), "s", consumer, claim_idle, idle, parse_v{delay});
      code = r.rollbacks > 0 ? 10 : 0;
    } catch (...) {
    }
    ::_exit(code);
  }
  return pid;
}

// A worker process: wait() reaps it and gives its exit status (0 done, 10 done after a rollback,
// 2 an exception, 128 + N killed by signal N); one never waited for (a failed assertion) is
// killed and reaped when the test ends, so none outlives it.
class worker_process {
 public:
  explicit worker_process(pid_t pid) : pid_(pid) {}
  worker_process(const worker_process&) = delete;
  worker_process& operator=(const worker_process&) = delete;
  ~worker_process() {
    if (pid_ > 0 && ::kill(pid_, SIGKILL) == 0) ::waitpid(pid_, nullptr, 0);
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  int wait() {
    int status = 0;
    const pid_t reaped = ::waitpid(pid_, &status, 0);
    pid_ = -1;
    if (reaped <= 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

 private:
  pid_t pid_;
};

long long pending_for(connection& c, const std::string& consumer) {
  const auto r = c.command({"XPENDING", "s", "g"});
  if (r.at(3).is_nil()) return 0;
  for (const auto& row : r.at(3).as_array())
    if (row.at(0).as_string() == consumer) return std::stoll(row.at(1).as_string());
  return 0;
}

// Waits until `consumer` has committed a checkpoint.
void wait_for_progress(connection& c, const std::string& consumer) {
  for (int i = 0; i < 1000; ++i) {
    if (!c.command({"HGET", "s:checkpoints:g", consumer}).is_nil()) return;
    std::this_thread::sleep_for(10ms);
  }
  FAIL() << consumer << " never checkpointed";
}

TEST(RedisFaults, PausedWorkerResumesAfterItsEntriesWereClaimedAndCountsNothingTwice) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 2000);
  worker_process slow(spawn_worker(server, "slow", 0ms, 1000ms, 500us));
  wait_for_progress(c, "slow");
  // Pause it while it holds entries it has not committed (retry if the pause fell between).
  for (int i = 0; i < 100; ++i) {
    ::kill(slow.pid(), SIGSTOP);
    std::this_thread::sleep_for(20ms);
    if (pending_for(c, "slow") > 0) break;
    ::kill(slow.pid(), SIGCONT);
    std::this_thread::sleep_for(3ms);
  }
  ASSERT_GT(pending_for(c, "slow"), 0);
  // "fast" claims what "slow" holds once it has been idle 300 ms, and does the rest.
  const auto fast = run_worker(server.options(), "s", "fast", 300ms, 1000ms);
  EXPECT_GT(fast.state.entries, 0u);
  ::kill(slow.pid(), SIGCONT);
  // "slow" finds its uncommitted entries gone at its next checkpoint: it rolls back (10).
  EXPECT_EQ(slow.wait(), 10);
  EXPECT_EQ(merged_values(c, "s"), iota(2000));
}

TEST(RedisFaults, KilledWorkersEntriesAreClaimedByAnother) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 2000);
  worker_process victim(spawn_worker(server, "victim", 0ms, 1000ms, 500us));
  wait_for_progress(c, "victim");
  ::kill(victim.pid(), SIGKILL);
  EXPECT_EQ(victim.wait(), 128 + SIGKILL);
  const auto other = run_worker(server.options(), "s", "other", 200ms, 1000ms);
  EXPECT_GT(other.state.entries, 0u);
  EXPECT_EQ(merged_values(c, "s"), iota(2000));
  EXPECT_EQ(c.command({"XPENDING", "s", "g"}).at(0).as_integer(), 0);
}

TEST(RedisFaults, KilledWorkerRestartedFromItsCheckpoint) {
  redis_server server;
  auto c = connection::open(server.options());
  coflow::testing::publish_range(c, "s", 0, 2000);
  worker_process first(spawn_worker(server, "w", 0ms, 1000ms, 500us));
  wait_for_progress(c, "w");
  ::kill(first.pid(), SIGKILL);
  first.wait();
  const auto restarted = run_worker(server.options(), "s", "w", 0ms, 500ms);
  EXPECT_EQ(restarted.state.entries, 2000u);  // its checkpoint plus the rest, no claims needed
  EXPECT_EQ(merged_values(c, "s"), iota(2000));
}

TEST(RedisFaults, ServerRestartedFromItsAppendOnlyFileLosesNothingAcknowledged) {
  redis_server server({.append_only = true});
  {
    auto c = connection::open(server.options());
    coflow::testing::publish_range(c, "s", 0, 2000);
  }
  worker_process worker(spawn_worker(server, "w", 0ms, 1000ms, 200us));
  {
    auto c = connection::open(server.options());
    wait_for_progress(c, "w");
  }
  server.kill9();               // mid-stream, without a chance to save
  EXPECT_EQ(worker.wait(), 2);  // the worker sees a broken connection and stops
  server.start();
  auto c = connection::open(server.options());
  EXPECT_EQ(c.command({"XLEN", "s"}).as_integer(), 2000);
  const auto before = merged_values(c, "s");
  EXPECT_GT(before.size(), 0u);  // the checkpoints came back from the file
  const auto resumed = run_worker(server.options(), "s", "w", 0ms, 500ms);
  EXPECT_EQ(resumed.state.entries, 2000u);
  EXPECT_EQ(merged_values(c, "s"), iota(2000));
}

}  // namespace
