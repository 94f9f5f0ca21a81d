// tests/connectors/redis/worker_fixtures.hpp
//
// What the checkpoint and fault tests share: value_bag, an aggregate that keeps every value (so
// a test sees exactly which entries were counted, and how often), a publisher of 0..n-1, a
// parser of field "v", and one worker run.
#pragma once

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "connectors/redis/checkpoint.hpp"
#include "connectors/redis/checkpointed_worker.hpp"
#include "connectors/redis/connection.hpp"
#include "connectors/redis/stream_sink.hpp"
#include "connectors/redis/stream_source.hpp"
#include "pipeline/bytes.hpp"

namespace coflow::testing {

struct value_bag {
  using value_type = long long;
  std::vector<long long> values;

  void add(long long v) { values.push_back(v); }
  void merge(const value_bag& other) {
    values.insert(values.end(), other.values.begin(), other.values.end());
  }
  [[nodiscard]] const value_bag& result() const { return *this; }
  void serialize(std::vector<std::byte>& out) const {
    byte_writer w(out);
    w.header("value_bag", 1);
    w.u64(values.size());
    for (long long v : values) w.i64(v);
  }
  static value_bag deserialize(std::span<const std::byte> bytes) {
    byte_reader r(bytes);
    r.header("value_bag", 1);
    value_bag b;
    b.values.resize(r.count(8));
    for (auto& v : b.values) v = r.i64();
    r.finish();
    return b;
  }
  friend bool operator==(const value_bag&, const value_bag&) = default;
};

inline void publish_range(redis::connection& c, const std::string& stream, long long from,
                          long long to) {
  redis::stream_sink sink(c, {.stream = stream});
  for (long long i = from; i < to; ++i) sink.add({{"v", std::to_string(i)}});
  sink.flush();
}

/// parse_v reads field "v" as an integer; nullopt when it is missing or not a number.
struct parse_v {
  std::chrono::microseconds delay{0};  // a slow worker
  std::optional<long long> operator()(const redis::stream_entry& e) const {
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    const std::string* s = e.field("v");
    if (s == nullptr) return std::nullopt;
    long long v = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc{} || end != s->data() + s->size()) return std::nullopt;
    return v;
  }
};

struct worker_run {
  redis::worker_state<value_bag> state;
  std::size_t rollbacks = 0;
  std::size_t checkpoints = 0;
};

/// run_worker runs one checkpointed worker of group "g" on `stream` until idle for `idle`.
inline worker_run run_worker(const redis::connection_options& o, const std::string& stream,
                             const std::string& consumer, std::chrono::milliseconds claim_idle,
                             std::chrono::milliseconds idle, parse_v parse = {},
                             std::size_t checkpoint_every = 50) {
  auto c = redis::connection::open(o);
  redis::stream_source source(c, {.stream = stream,
                                  .group = "g",
                                  .consumer = consumer,
                                  .batch = 25,
                                  .block = std::chrono::milliseconds(50),
                                  .claim_idle = claim_idle});
  redis::checkpoint_store store(c, stream, "g", consumer);
  redis::checkpointed_worker<value_bag, parse_v> worker(
      source, store, parse, {.checkpoint_every = checkpoint_every, .idle_exit = idle});
  worker_run r;
  r.state = worker.run();
  r.rollbacks = worker.rollbacks();
  r.checkpoints = worker.checkpoints();
  return r;
}

/// sorted_values(c, stream) merges every consumer's checkpoint of group "g", values sorted.
inline std::vector<long long> merged_values(redis::connection& c, const std::string& stream) {
  auto all = redis::merged_checkpoints<value_bag>(c, stream, "g");
  auto v = all.aggregate.values;
  std::sort(v.begin(), v.end());
  return v;
}

inline std::vector<long long> iota(long long n) {
  std::vector<long long> v;
  for (long long i = 0; i < n; ++i) v.push_back(i);
  return v;
}

}  // namespace coflow::testing
