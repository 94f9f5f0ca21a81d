// Two workers of one Redis consumer group share a stream; their checkpoints merge into the
// result one pass over the stream gives, each entry counted once. Then redis::pump feeds the
// stream, read by another group, into a plain pipeline.
//
//   redis-server --port 6390 --save '' &
//   bazel-bin/examples/redis_workers 127.0.0.1:6390
//
// The stream and group are made fresh (a prefix with the process id), so a shared server is
// left as it was apart from the keys named on the last line.
#include <unistd.h>

#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

#include "connectors/redis/checkpoint.hpp"
#include "connectors/redis/checkpointed_worker.hpp"
#include "connectors/redis/connection.hpp"
#include "connectors/redis/stream_sink.hpp"
#include "connectors/redis/stream_source.hpp"
#include "operators/count.hpp"
#include "operators/moments.hpp"
#include "pipeline/pipeline.hpp"

namespace redis = coflow::redis;

// An entry's value: field "v" as a number; nullopt (counted as malformed) otherwise.
std::optional<double> value_of(const redis::stream_entry& e) {
  const std::string* v = e.field("v");
  double x = 0;
  if (v == nullptr) return std::nullopt;
  const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (ec != std::errc{} || end != v->data() + v->size()) return std::nullopt;
  return x;
}

void worker(const redis::connection_options& o, const std::string& stream,
            const std::string& name) {
  redis::connection c = redis::connection::open(o);
  redis::stream_source source(c,
                              {.stream = stream, .group = "stats", .consumer = name, .batch = 64});
  redis::checkpoint_store store(c, stream, "stats", name);
  // A broken connection (the server restarted, say) is opened again up to three times; the
  // worker then resumes from its last checkpoint, so no entry is lost or counted twice.
  redis::checkpointed_worker<coflow::moments, decltype(&value_of)> w(
      source, store, &value_of,
      {.checkpoint_every = 100,
       .idle_exit = std::chrono::milliseconds(500),
       .reconnections = 3,
       .on_reconnect = [&name](const redis::connection_error& e) {
         std::fprintf(stderr, "%s: %s; connecting again\n", name.c_str(), e.what());
       }});
  w.run();
}

int main(int argc, char** argv) {
  redis::connection_options o;
  redis::parse_endpoint(argc > 1 ? argv[1] : "127.0.0.1:6379", o);
  const std::string stream = "coflow-example-" + std::to_string(::getpid());

  redis::connection c = redis::connection::open(o);
  {
    redis::stream_sink sink(c, {.stream = stream});
    for (int i = 1; i <= 1000; ++i) sink.add({{"v", std::to_string(i)}});
    sink.add({{"v", "not a number"}});
  }  // the sink's destructor flushes
  std::printf("published 1001 entries\n");

  std::thread a(worker, o, stream, "w1");
  std::thread b(worker, o, stream, "w2");
  a.join();
  b.join();

  const auto all = redis::merged_checkpoints<coflow::moments>(c, stream, "stats");
  std::printf("w1 + w2: %llu entries, %llu malformed, mean %g, stddev %.6g\n",
              static_cast<unsigned long long>(all.entries),
              static_cast<unsigned long long>(all.malformed), all.aggregate.mean(),
              all.aggregate.stddev());

  // Without checkpoints: redis::pump sends a consumer's entries into any pipeline and
  // acknowledges each once the pipeline took it (at least once; with a server that keeps its
  // data, once across a reconnection too). Another group reads the whole stream again.
  redis::stream_source tail(c, {.stream = stream, .group = "tail", .consumer = "t1"});
  auto counting = coflow::open<redis::stream_entry>(coflow::sinks::count());
  const auto taken = redis::pump(tail, counting,
                                 {.stop_when_idle = true,
                                  .reconnections = 3,
                                  .on_reconnect = [](const redis::connection_error& e) {
                                    std::fprintf(stderr, "pump: %s; connecting again\n", e.what());
                                  }});
  std::printf("pump (group tail): %llu entries\n", static_cast<unsigned long long>(taken));
  c.command({"DEL", stream, redis::checkpoint_store::key(stream, "stats")});
  std::printf("removed %s and its checkpoints\n", stream.substr(0, 15).c_str());
  return 0;
}
