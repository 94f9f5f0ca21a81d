// coflow/connectors/redis/checkpoint.hpp
//
// redis::checkpoint_store: a consumer's checkpoints, each an aggregate's state and the
// acknowledgement of the entries folded into it, committed in one atomic step that first
// checks the entries are still pending for this consumer.
//
//   coflow::redis::checkpoint_store store(c, "readings", "stats", "worker-1");
//   std::optional<std::vector<std::byte>> last = store.load();   // after a restart
//   if (!store.commit(state_bytes, ids_folded_since_last_commit)) {
//     // some entries were claimed by another consumer: drop the in-memory state, go back to
//     // `last` and read this consumer's pending entries again (see checkpointed_worker.hpp)
//   }
//   auto all = store.load_all();   // every consumer's last state, to merge into a report
//
// Semantics: the checkpoints of group G on stream S live in the hash "S:checkpoints:G", one
//   field per consumer. commit() runs one server-side script: every id must be in the
//   consumer's pending list (XPENDING S G - + n consumer: delivered to this consumer and not
//   acknowledged); if one is not, nothing is written and commit() returns false. Otherwise it
//   writes the state (HSET) and acknowledges the ids (XACK), and returns true. Redis runs a script
//   atomically, like a MULTI/EXEC block, and unlike MULTI/EXEC its writes can depend on what it
//   read: a MULTI/EXEC would queue HSET and XACK without knowing whether the entries had been
//   claimed away by a consumer that thought this one dead, and both would then count them. The
//   script is sent with EVALSHA, and with EVAL when the server does not have it cached (after a
//   restart).
//   A state written this way is durable as the server is: with appendonly and appendfsync
//   always, an acknowledged commit survives a server restart.
// Exceptions: redis::error from the connection. A commit whose connection broke may or may not
//   have run: load() after the connection's reconnect() tells (the script is all or nothing).
//   The store keeps nothing per connection but the script's hash, and a server that lost the
//   script (NOSCRIPT) gets the script itself.
// Cost: one round trip; on the server, reading the consumer's pending list (the entries it has
//   not committed: the ids of this commit, and few others), one HSET and one XACK.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "connectors/redis/connection.hpp"

namespace coflow::redis {

class checkpoint_store {
 public:
  /// `c` must outlive the store.
  checkpoint_store(connection& c, std::string stream, std::string group, std::string consumer);

  [[nodiscard]] bool commit(std::span<const std::byte> state, std::span<const std::string> ids);
  [[nodiscard]] std::optional<std::vector<std::byte>> load();
  [[nodiscard]] std::vector<std::pair<std::string, std::vector<std::byte>>> load_all();

  /// connection_in_use() is the connection the store commits with.
  [[nodiscard]] connection& connection_in_use() const { return *connection_; }

  /// key(stream, group) is the name of the hash that holds the group's checkpoints.
  [[nodiscard]] static std::string key(const std::string& stream, const std::string& group) {
    return stream + ":checkpoints:" + group;
  }

 private:
  connection* connection_;
  std::string stream_;
  std::string group_;
  std::string consumer_;
  std::string key_;
  std::string sha_;
};

}  // namespace coflow::redis
