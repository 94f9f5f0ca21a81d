// redis_throughput: entries per second through the Redis connector against a running server,
// printed as a table: the pipelined sink (XADD), one checkpointed worker and two (threads with
// a connection each, in one group), and the cost of one checkpoint commit by the number of ids
// it acknowledges. benchmarks/redis.sh starts a private server, runs redis-benchmark on it for
// the server's own XADD / XREADGROUP rates, then this.
//
//   redis_throughput PORT [ENTRIES]
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/redis/checkpoint.hpp"
#include "connectors/redis/checkpointed_worker.hpp"
#include "connectors/redis/connection.hpp"
#include "connectors/redis/stream_sink.hpp"
#include "connectors/redis/stream_source.hpp"
#include "operators/moments.hpp"

namespace {

using clock_type = std::chrono::steady_clock;
namespace redis = coflow::redis;

redis::connection_options options_for(int port) {
  redis::connection_options o;
  o.port = port;
  return o;
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct parse_v {
  std::optional<double> operator()(const redis::stream_entry& e) const {
    const std::string* s = e.field("v");
    if (s == nullptr) return std::nullopt;
    double v = 0;
    const auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc{} || end != s->data() + s->size()) return std::nullopt;
    return v;
  }
};

double publish(int port, const std::string& stream, std::size_t n) {
  auto c = redis::connection::open(options_for(port));
  c.command({"DEL", stream});
  const auto start = clock_type::now();
  redis::stream_sink sink(c, {.stream = stream});
  for (std::size_t i = 0; i < n; ++i) sink.add({{"v", std::to_string(i % 1000) + ".5"}});
  sink.flush();
  return static_cast<double>(n) / seconds_since(start);
}

// One worker that stops after `share` entries; returns its entries.
std::uint64_t work(int port, const std::string& stream, const std::string& consumer,
                   std::size_t share, std::size_t checkpoint_every) {
  auto c = redis::connection::open(options_for(port));
  redis::stream_source source(c, {.stream = stream,
                                  .group = "g",
                                  .consumer = consumer,
                                  .batch = 256,
                                  .block = std::chrono::milliseconds(100),
                                  .claim_idle = std::chrono::milliseconds(0),
                                  .max_entries = share});
  redis::checkpoint_store store(c, stream, "g", consumer);
  redis::checkpointed_worker<coflow::moments, parse_v> worker(
      source, store, parse_v{}, {.checkpoint_every = checkpoint_every});
  return worker.run().entries;
}

double workers(int port, std::size_t n, int count, std::size_t checkpoint_every) {
  const std::string stream =
      "bench-" + std::to_string(count) + "-" + std::to_string(checkpoint_every);
  publish(port, stream, n);
  auto c = redis::connection::open(options_for(port));
  c.command({"XGROUP", "CREATE", stream, "g", "0"});
  const auto start = clock_type::now();
  std::vector<std::thread> threads;
  std::vector<std::uint64_t> done(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    threads.emplace_back([&, i] {
      done[static_cast<std::size_t>(i)] =
          work(port, stream, "w" + std::to_string(i), n / static_cast<std::size_t>(count),
               checkpoint_every);
    });
  for (auto& t : threads) t.join();
  const double s = seconds_since(start);
  std::uint64_t total = 0;
  for (auto d : done) total += d;
  if (total != n)
    std::fprintf(stderr, "warning: %llu of %zu entries\n", static_cast<unsigned long long>(total),
                 n);
  c.command({"DEL", stream, redis::checkpoint_store::key(stream, "g")});
  return static_cast<double>(total) / s;
}

// The time of one commit of `ids` pending ids (and a state of moments' size).
double commit_cost_us(int port, std::size_t ids, int repetitions) {
  const std::string stream = "bench-commit";
  publish(port, stream, ids * static_cast<std::size_t>(repetitions));
  auto c = redis::connection::open(options_for(port));
  redis::stream_source source(c, {.stream = stream, .group = "g", .consumer = "w", .batch = ids});
  redis::checkpoint_store store(c, stream, "g", "w");
  coflow::moments m;
  for (int i = 0; i < 100; ++i) m.add(i);
  std::vector<std::byte> state;
  m.serialize(state);
  double total = 0;
  for (int r = 0; r < repetitions; ++r) {
    std::vector<std::string> batch;
    while (batch.size() < ids) {
      for (auto& e : source.next_batch()) batch.push_back(e.id);
    }
    const auto start = clock_type::now();
    if (!store.commit(state, batch)) std::fprintf(stderr, "warning: commit refused\n");
    total += seconds_since(start);
  }
  c.command({"DEL", stream, redis::checkpoint_store::key(stream, "g")});
  return total / repetitions * 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: redis_throughput PORT [ENTRIES]\n");
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const std::size_t n = argc > 2 ? static_cast<std::size_t>(std::atoll(argv[2])) : 200000;
  std::printf("entries: %zu\n", n);
  std::printf("%-44s %14.0f entries/s\n", "sink: XADD, pipelined 256 deep",
              publish(port, "bench-sink", n));
  for (int count : {1, 2}) {
    for (std::size_t every : {1000u, 100u}) {
      char label[96];
      std::snprintf(label, sizeof label, "%d worker%s, checkpoint every %zu", count,
                    count == 1 ? "" : "s", every);
      std::printf("%-44s %14.0f entries/s\n", label, workers(port, n, count, every));
    }
  }
  for (std::size_t ids : {1u, 100u, 1000u}) {
    char label[96];
    std::snprintf(label, sizeof label, "one checkpoint commit, %zu ids", ids);
    std::printf("%-44s %14.1f us\n", label, commit_cost_us(port, ids, 20));
  }
  return 0;
}
