// coflow/connectors/redis/stream_sink.hpp
//
// redis::stream_sink: appends entries to a stream with XADD, pipelined; and
// redis::partition_of, which picks one of several streams by the hash of a key, so that keyed
// work spreads over streams (and workers) while each key's entries stay in order in one stream.
//
//   coflow::redis::stream_sink sink(c, {.stream = "results", .max_length = 100000});
//   sink.add({{"k", "sensor-7"}, {"v", "21.5"}});
//   sink.flush();                          // every queued XADD has its reply
//
//   coflow::redis::stream_sink part(c, {.stream = "readings", .partitions = 4});
//   part.add({{"k", key}, {"v", value}}, key);   // to readings:0 .. readings:3 by key hash
//
// Semantics: add() queues one XADD (id `*`, with `MAXLEN ~ max_length` when max_length is set:
//   the stream is trimmed to about that many entries, at least that many) and sends the queue
//   when `pipeline_depth` commands are waiting; flush() sends the rest and reads every reply.
//   The destructor flushes too but swallows errors: call flush() to see them. With
//   `partitions` = n > 1, add(fields, key) appends to stream "<stream>:<i>", i =
//   partition_of(key, n); the hash is FNV-1a 64, the same on every machine and build.
// Exceptions: redis::error; flush() throws server_error for the first XADD that failed (the
//   others of the batch were still appended).
// Cost: one round trip per `pipeline_depth` entries.
#pragma once

#include "pipeline/detail/require_cpp20.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "connectors/redis/connection.hpp"

namespace coflow::redis {

/// partition_of(key, n) is the partition in [0, n) of `key` (FNV-1a 64 modulo n).
[[nodiscard]] constexpr std::size_t partition_of(std::string_view key, std::size_t n) {
  std::uint64_t h = 14695981039346656037ull;
  for (char ch : key) {
    h ^= static_cast<unsigned char>(ch);
    h *= 1099511628211ull;
  }
  return n == 0 ? 0 : static_cast<std::size_t>(h % n);
}

/// partition_stream(stream, i) is the name of partition i of `stream`: "<stream>:<i>".
[[nodiscard]] inline std::string partition_stream(const std::string& stream, std::size_t i) {
  return stream + ":" + std::to_string(i);
}

struct sink_options {
  std::string stream{};
  std::optional<std::size_t> max_length{};
  std::size_t pipeline_depth = 256;
  std::size_t partitions = 1;
};

using field_list = std::vector<std::pair<std::string, std::string>>;

class stream_sink {
 public:
  /// `c` must outlive the sink.
  stream_sink(connection& c, sink_options options);
  stream_sink(const stream_sink&) = delete;
  stream_sink& operator=(const stream_sink&) = delete;
  ~stream_sink();

  void add(const field_list& fields, std::string_view key = {});
  void flush();
  /// appended() is how many XADDs succeeded so far.
  [[nodiscard]] std::size_t appended() const { return appended_; }

 private:
  connection* connection_;
  sink_options options_;
  std::size_t queued_ = 0;
  std::size_t appended_ = 0;
};

}  // namespace coflow::redis
