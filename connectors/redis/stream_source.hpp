// coflow/connectors/redis/stream_source.hpp
//
// redis::stream_source: one consumer of a Redis Streams consumer group, read in batches;
// redis::pump(source, pipeline) drives an opened coflow pipeline with it.
//
//   coflow::redis::connection c = coflow::redis::connection::open(options);
//   coflow::redis::stream_source source(c, {.stream = "readings", .group = "stats",
//                                           .consumer = "worker-1"});
//   auto p = coflow::open<coflow::redis::stream_entry>(
//       coflow::ops::transform(value_of) | coflow::sinks::aggregate(coflow::moments{}));
//   coflow::moments m = coflow::redis::pump(source, p);
//
// Semantics: next_batch() returns, in this order of preference, (1) the consumer's own pending
//   entries (delivered before but never acknowledged: a restarted consumer finishes them
//   first), (2) entries of any consumer idle longer than `claim_idle`, claimed with XAUTOCLAIM,
//   (3) new entries (XREADGROUP ... >), waiting up to `block` for them. An empty batch means
//   nothing came within `block`. Nothing is acknowledged by reading: ack() does it, and pump()
//   acks an entry only after the pipeline's send() of it returned (at-least-once: a consumer
//   that dies before the ack has its entries delivered again, to itself or to a claimer).
//   The source stops (stopped() is true, next_batch() returns nothing) after `max_entries`
//   entries, at an entry that has the field `stop_field` (that entry is acknowledged and not
//   returned), or when `*stop_requested` becomes true (set it from a signal handler).
//   restart_pending() reads the consumer's pending entries again from the start (after a
//   checkpoint found that some of them were claimed away, see checkpoint.hpp, or after a
//   reconnection). `max_entries` counts each entry once: the entries such a re-read delivers
//   again do not count again (only one that another consumer claimed away and this one claimed
//   back would).
//   The group is created at the stream's start (and the stream with it) if it does not exist,
//   and created again when a read finds it gone (NOGROUP: a server restarted without
//   persistence, a stream deleted); an ack() to a group that is gone acknowledges nothing.
// Reconnection: the source holds the connection by reference, so after it broke,
//   `c.reconnect()` then restart_pending() resume the consumer: what it had been delivered and
//   not acknowledged is still pending at the server (with persistence), and is read again.
//   checkpointed_worker does this by itself (worker_options::reconnections), and so does pump
//   with pump_options::reconnections: it first acknowledges the entries its pipeline took
//   before the break, so that with a server that keeps its data (append-only file) the
//   pipeline takes every entry once across the break. A reconnection that cannot reach the
//   server (after the connection's retries) uses up one more of the budget; none is tried once
//   `*stop_requested` is true. An error a stage throws is never retried.
//   An entry deleted while pending comes back with no fields (`deleted` is true).
// Exceptions: redis::error from the connection (connection.hpp): a broken connection is a
//   redis::connection_error, and the source is usable again once the connection is. pump()
//   rethrows what a stage throws, after acknowledging the entries the pipeline had taken
//   before, and a connection_error once its reconnection budget is spent (0, the default: at
//   the first break).
// Cost: one round trip per batch of up to `batch` entries, one per ack() call.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/redis/connection.hpp"

namespace coflow::redis {

/// stream_entry: one entry of a stream, its id and its field/value pairs.
struct stream_entry {
  std::string id;
  std::vector<std::pair<std::string, std::string>> fields;
  bool deleted = false;

  /// field(name) is the value of the first field called `name`, or nullptr.
  [[nodiscard]] const std::string* field(std::string_view name) const {
    for (const auto& [k, v] : fields)
      if (k == name) return &v;
    return nullptr;
  }
};

struct source_options {
  std::string stream{};
  std::string group{};
  std::string consumer{};
  std::size_t batch = 256;
  std::chrono::milliseconds block{1000};
  std::chrono::milliseconds claim_idle{30000};  // 0: never claim others' entries
  std::optional<std::size_t> max_entries{};
  std::string stop_field{};  // empty: no stop entry
  const std::atomic<bool>* stop_requested = nullptr;
};

class stream_source {
 public:
  /// Creates the group (and the stream) if needed. `c` must outlive the source.
  stream_source(connection& c, source_options options);

  std::vector<stream_entry> next_batch();
  void ack(std::span<const std::string> ids);
  void restart_pending();

  [[nodiscard]] bool stopped() const;
  [[nodiscard]] const source_options& options() const { return options_; }
  /// claimed() is how many entries this source took over from other consumers so far.
  [[nodiscard]] std::size_t claimed() const { return claimed_; }
  /// connection_in_use() is the connection the source reads with.
  [[nodiscard]] connection& connection_in_use() const { return *connection_; }

 private:
  // An entry id, <milliseconds>-<sequence>, as the two numbers it is ordered by.
  using entry_order = std::pair<std::uint64_t, std::uint64_t>;
  static entry_order order_of(std::string_view id);

  void create_group();
  reply group_command(const std::vector<std::string>& args);
  // At most `count` entries, or fewer so as to stay within max_entries.
  [[nodiscard]] std::size_t entries_left(std::size_t count) const;
  std::vector<stream_entry> read(const std::string& from, bool block, std::size_t count);
  std::vector<stream_entry> claim();
  // Counts what `entries` delivers for the first time and stops at a stop entry.
  std::vector<stream_entry> deliver(std::vector<stream_entry> entries, bool from_pending);

  connection* connection_;
  source_options options_;
  bool reading_pending_ = true;
  std::string pending_cursor_ = "0";
  std::string claim_cursor_ = "0-0";
  std::chrono::steady_clock::time_point last_claim_{};
  std::size_t delivered_ = 0;  // distinct entries, toward max_entries
  entry_order newest_delivered_{0, 0};
  std::size_t claimed_ = 0;
  bool stop_seen_ = false;
};

struct pump_options {
  bool stop_when_idle = false;  // stop at the first empty batch
  int reconnections = 0;        // broken connections pump survives; 0: the first one throws
  std::function<void(const connection_error&)> on_reconnect{};  // before each reconnection
};

namespace detail {

// The reconnections a loop reading `source` may still make (pump, checkpointed_worker): none
// once `allowed` are spent or the source's stop flag is set.
class reconnection_budget {
 public:
  reconnection_budget(const stream_source& source, int allowed,
                      std::function<void(const connection_error&)> on_reconnect)
      : source_(&source), allowed_(allowed), on_reconnect_(std::move(on_reconnect)) {}

  // After `broken` broke the connection: whether to connect again. If so, the reconnection is
  // counted and reported to on_reconnect.
  bool spend(const connection_error& broken) {
    const auto* stop = source_->options().stop_requested;
    if (std::cmp_greater_equal(used_, allowed_) || (stop != nullptr && stop->load())) return false;
    ++used_;
    if (on_reconnect_) on_reconnect_(broken);
    return true;
  }

  // How many reconnections were made.
  [[nodiscard]] std::size_t used() const { return used_; }

 private:
  const stream_source* source_;
  int allowed_;
  std::function<void(const connection_error&)> on_reconnect_;
  std::size_t used_ = 0;
};

// Runs a pump's reads and acks, and resumes them after a broken connection while the budget
// lasts (see Reconnection above).
class pump_connection {
 public:
  pump_connection(stream_source& source, const pump_options& options)
      : source_(&source), budget_(source, options.reconnections, options.on_reconnect) {}

  // step() once it went through; `taken` are the entries the pipeline took and that are not
  // acknowledged yet: a resumption acknowledges them first.
  template <class Step>
  decltype(auto) run(Step step, std::vector<std::string>& taken) {
    for (;;) {
      try {
        if (broken_) {
          source_->connection_in_use().reconnect();
          source_->ack(taken);
          taken.clear();
          source_->restart_pending();
          broken_ = false;
        }
        return step();
      } catch (const connection_error& e) {
        if (!budget_.spend(e)) throw;
        broken_ = true;
      }
    }
  }

 private:
  stream_source* source_;
  reconnection_budget budget_;
  bool broken_ = false;
};

}  // namespace detail

/// pump(source, p, options) sends each entry of `source` into the opened pipeline `p` and
/// acknowledges it once send() returned, until the source stops or `p` is done; then closes
/// `p` and returns its result. With `stop_when_idle` it also stops at the first empty batch;
/// with `reconnections` it survives that many broken connections (see Reconnection above).
template <class Pipeline>
decltype(auto) pump(stream_source& source, Pipeline& p, const pump_options& options) {
  detail::pump_connection link(source, options);
  std::vector<std::string> taken;  // by the pipeline, not acknowledged yet
  while (!source.stopped() && !p.done()) {
    std::vector<stream_entry> batch = link.run([&] { return source.next_batch(); }, taken);
    if (batch.empty()) {
      if (options.stop_when_idle) break;
      continue;
    }
    try {
      for (auto& entry : batch) {
        if (p.done()) break;
        std::string id = entry.id;
        p.send(std::move(entry));
        taken.push_back(std::move(id));
      }
    } catch (...) {
      source.ack(taken);
      throw;
    }
    link.run(
        [&] {
          source.ack(taken);
          taken.clear();
        },
        taken);
  }
  return p.close();
}

/// pump(source, p, stop_when_idle) is pump(source, p, {.stop_when_idle = stop_when_idle}).
template <class Pipeline>
decltype(auto) pump(stream_source& source, Pipeline& p, bool stop_when_idle = false) {
  return pump(source, p, pump_options{.stop_when_idle = stop_when_idle});
}

}  // namespace coflow::redis
