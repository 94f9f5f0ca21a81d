// coflow/connectors/redis/checkpointed_worker.hpp
//
// redis::checkpointed_worker<A>: folds a consumer group's entries into a serializable
// aggregate and checkpoints it, so that across crashes, restarts and claims every entry is
// counted exactly once in the union of the workers' checkpoints.
//
//   coflow::redis::stream_source source(c, {.stream = "readings", .group = "stats",
//                                           .consumer = "worker-1"});
//   coflow::redis::checkpoint_store store(c, "readings", "stats", "worker-1");
//   auto value_of = [](const coflow::redis::stream_entry& e) -> std::optional<double> { ... };
//   coflow::redis::checkpointed_worker<coflow::moments, decltype(value_of)> worker(
//       source, store, value_of, {.idle_exit = std::chrono::seconds(2)});
//   coflow::redis::worker_state<coflow::moments> mine = worker.run();
//   // later, anywhere: merge every consumer's checkpoint (merged_checkpoints below)
//
// Semantics: run() restores the consumer's last checkpoint (or starts from the empty state),
//   then reads batches from the source (its own pending entries first: those folded after
//   the last checkpoint, delivered again) and folds each entry's value; `parse` returns
//   nullopt for a malformed entry (a missing or non-numeric field), which is counted in the
//   state's `malformed` and acknowledged like the others. Every `checkpoint_every` entries, or
//   `checkpoint_interval` after the last checkpoint, and at the end, it commits the state with
//   the ids folded since the last one (checkpoint.hpp). When the commit finds some of them
//   claimed away, the worker drops its in-memory state, goes back to the last committed one
//   and reads its pending entries again (rollbacks() counts this). It ends when the source
//   stops (count, stop entry, signal) or when no entry came for `idle_exit` (0: never), and
//   returns the last committed state. An id seen twice between two checkpoints (a consumer
//   can claim its own entries back) is folded once.
// Reconnection: with `reconnections` > 0, a connection that breaks inside run() (the server
//   restarted, the network failed) is opened again (connection::reconnect(): the source's,
//   and the store's if it is another), and the worker resumes as a restarted one does: it
//   restores the last checkpoint from the server and reads its pending entries again, so the
//   entries folded since the checkpoint are folded again, once (at-least-once delivery, each
//   entry counted once in the committed state). A reconnection that cannot reach the server
//   (after the connection's retries) uses up one more of the budget. `on_reconnect` is called
//   with the error before each reconnection; reconnections() counts them. No reconnection is
//   tried once the source's stop flag is set. The state restored is the server's: a server
//   without persistence that lost the checkpoint gives the state of the worker's last
//   checkpoint known in memory (or the initial one), and its stream and group are made anew.
// Exceptions: redis::connection_error when the connection breaks and the budget is spent (0, the
//   default: at the first break); other redis::error; what parse or the aggregate throws.
//   Nothing is committed after an exception: the entries folded since the last checkpoint
//   stay pending, so a restarted worker folds them again, once.
// Cost: the aggregate's add per entry; one checkpoint round trip per `checkpoint_every`
//   entries (see benchmarks/RESULTS.md).
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "connectors/redis/checkpoint.hpp"
#include "connectors/redis/stream_source.hpp"
#include "operators/aggregate.hpp"
#include "pipeline/bytes.hpp"

namespace coflow::redis {

/// worker_state<A>: what a worker checkpoints, an aggregate and its entry counts. Itself a
/// serializable aggregate, so that the states of several workers merge.
template <serializable_aggregate A>
struct worker_state {
  using value_type = typename A::value_type;

  A aggregate;
  std::uint64_t entries = 0;    // entries folded, malformed ones included
  std::uint64_t malformed = 0;  // entries whose value could not be read

  void add(const value_type& v) {
    aggregate.add(v);
    ++entries;
  }
  void merge(const worker_state& other) {
    aggregate.merge(other.aggregate);
    entries += other.entries;
    malformed += other.malformed;
  }
  [[nodiscard]] const worker_state& result() const { return *this; }

  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header("redis_worker", 1);
    w.u64(entries);
    w.u64(malformed);
    std::vector<std::byte> inner;
    aggregate.serialize(inner);
    w.str(std::string_view(reinterpret_cast<const char*>(inner.data()), inner.size()));
  }
  static worker_state deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header("redis_worker", 1);
    worker_state s;
    s.entries = r.u64();
    s.malformed = r.u64();
    const std::string inner = r.str();
    r.finish();
    s.aggregate = A::deserialize(
        std::span<const std::byte>(reinterpret_cast<const std::byte*>(inner.data()), inner.size()));
    return s;
  }
};

struct worker_options {
  std::size_t checkpoint_every = 1000;
  std::chrono::milliseconds checkpoint_interval{1000};
  std::chrono::milliseconds idle_exit{0};
  int reconnections = 0;  // broken connections run() survives; 0: the first one throws
  std::function<void(const connection_error&)> on_reconnect{};  // before each reconnection
};

/// entry_parser<P, A>: reads an entry's value for aggregate A, nullopt when it is malformed.
template <class P, class A>
concept entry_parser = requires(P& parse, const stream_entry& e) {
  { parse(e) } -> std::convertible_to<std::optional<typename A::value_type>>;
};

template <serializable_aggregate A, entry_parser<A> Parse>
class checkpointed_worker {
 public:
  using state_type = worker_state<A>;

  /// `initial` is the state of a consumer that has no checkpoint yet.
  checkpointed_worker(stream_source& source, checkpoint_store& store, Parse parse,
                      worker_options options = {}, A initial = {})
      : source_(&source),
        store_(&store),
        parse_(std::move(parse)),
        options_(options),
        reconnections_(source, options_.reconnections, options_.on_reconnect) {
    committed_.aggregate = std::move(initial);
  }

  state_type run() {
    for (bool broken = false;; broken = true) {
      try {
        if (broken) reconnect();
        return run_from_checkpoint();
      } catch (const connection_error& e) {
        if (!reconnections_.spend(e)) throw;
      }
    }
  }

  /// rollbacks() is how many checkpoints found entries claimed away (see above).
  [[nodiscard]] std::size_t rollbacks() const { return rollbacks_; }
  /// checkpoints() is how many checkpoints were committed.
  [[nodiscard]] std::size_t checkpoints() const { return checkpoints_; }
  /// reconnections() is how many times run() opened its connection again (see above).
  [[nodiscard]] std::size_t reconnections() const { return reconnections_.used(); }

 private:
  using clock = std::chrono::steady_clock;

  void reconnect() {
    connection& reading = source_->connection_in_use();
    reading.reconnect();
    if (&store_->connection_in_use() != &reading) store_->connection_in_use().reconnect();
  }

  // As a restarted worker: the last checkpoint, then this consumer's pending entries first.
  state_type run_from_checkpoint() {
    if (auto bytes = store_->load()) committed_ = state_type::deserialize(*bytes);
    state_ = committed_;
    ids_.clear();
    seen_.clear();
    source_->restart_pending();
    auto last_entry = clock::now();
    last_commit_ = last_entry;
    while (!source_->stopped()) {
      std::vector<stream_entry> batch = source_->next_batch();
      const auto now = clock::now();
      if (batch.empty()) {
        if (!ids_.empty()) commit();
        if (options_.idle_exit.count() > 0 && now - last_entry >= options_.idle_exit) break;
        continue;
      }
      last_entry = now;
      for (const stream_entry& e : batch) fold(e);
      if (ids_.size() >= options_.checkpoint_every ||
          now - last_commit_ >= options_.checkpoint_interval)
        commit();
    }
    commit();
    return committed_;
  }

  void fold(const stream_entry& e) {
    if (!seen_.insert(e.id).second) return;
    ids_.push_back(e.id);
    std::optional<typename A::value_type> v;
    if (!e.deleted) v = parse_(e);
    if (v) {
      state_.add(*v);
    } else {
      ++state_.entries;
      ++state_.malformed;
    }
  }

  void commit() {
    last_commit_ = clock::now();
    if (ids_.empty()) return;
    std::vector<std::byte> bytes;
    state_.serialize(bytes);
    if (store_->commit(bytes, ids_)) {
      committed_ = state_;
      ++checkpoints_;
    } else {
      state_ = committed_;
      source_->restart_pending();
      ++rollbacks_;
    }
    ids_.clear();
    seen_.clear();
  }

  stream_source* source_;
  checkpoint_store* store_;
  Parse parse_;
  worker_options options_;
  state_type committed_;
  state_type state_;
  std::vector<std::string> ids_;
  std::unordered_set<std::string> seen_;
  clock::time_point last_commit_{};
  std::size_t rollbacks_ = 0;
  std::size_t checkpoints_ = 0;
  detail::reconnection_budget reconnections_;
};

/// merged_checkpoints<A>(c, stream, group) merges the last checkpoint of every consumer of
/// `group` on `stream`: the group's result so far, each committed entry counted once.
template <serializable_aggregate A>
worker_state<A> merged_checkpoints(connection& c, const std::string& stream,
                                   const std::string& group) {
  checkpoint_store store(c, stream, group, "-");
  worker_state<A> all;
  for (const auto& [consumer, bytes] : store.load_all())
    all.merge(worker_state<A>::deserialize(bytes));
  return all;
}

}  // namespace coflow::redis
