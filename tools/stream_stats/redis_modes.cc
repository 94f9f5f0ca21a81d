#include "tools/stream_stats/redis_modes.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "connectors/redis/checkpoint.hpp"
#include "connectors/redis/checkpointed_worker.hpp"
#include "connectors/redis/connection.hpp"
#include "connectors/redis/stream_sink.hpp"
#include "connectors/redis/stream_source.hpp"
#include "tools/stream_stats/options.hpp"
#include "tools/stream_stats/parse.hpp"
#include "tools/stream_stats/publish_rows.hpp"
#include "tools/stream_stats/redis_state.hpp"
#include "tools/stream_stats/report.hpp"
#include "tools/stream_stats/sources.hpp"
#include "tools/stream_stats/stream_stats.hpp"

namespace stream_stats {

namespace {

std::atomic<bool> stop_requested{false};

extern "C" void request_stop(int) { stop_requested = true; }

struct redis_command {
  std::string endpoint;
  std::string stream;
  std::string group;
  std::string consumer;
  std::string publish;
  bool report = false;
  double idle_exit = 0;
  double claim_idle = 30;
  std::uint64_t checkpoint_every = 1000;
  std::uint64_t batch = 256;
  std::string user;
  std::string password_env;
  std::string password_file;
  output_format format = output_format::table;
  double alpha = 0.1;
};

redis_command parse_redis_command(std::span<const char* const> args) {
  CLI::App app(
      "stream_stats on Redis Streams: --publish, a worker (--group --consumer), or --report",
      "stream_stats");
  redis_command c;
  std::string format = "table";
  std::string alpha = "0.1";
  app.add_option("--redis", c.endpoint, "The server; an IPv6 address in brackets, [::1]:6379")
      ->type_name("HOST:PORT")
      ->required();
  app.add_option("--stream", c.stream, "The stream")->required();
  app.add_option("--group", c.group, "The consumer group (worker, report)");
  app.add_option("--consumer", c.consumer, "This worker's name in the group");
  app.add_option("--publish", c.publish, "Append the values of FILE (- for stdin)")
      ->type_name("FILE");
  app.add_flag("--report", c.report, "Print the report merged from the workers' checkpoints");
  app.add_option("--idle-exit", c.idle_exit,
                 "Worker: stop after this long without entries (0: never)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--claim-idle", c.claim_idle,
                 "Worker: claim entries idle this long at another consumer")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--checkpoint-every", c.checkpoint_every, "Worker: entries between checkpoints")
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", c.batch, "Worker: entries per read")->check(CLI::Range(1, 100000));
  app.add_option("--user", c.user, "ACL user");
  app.add_option("--password-env", c.password_env, "Read the password from this variable")
      ->type_name("VAR");
  app.add_option("--password-file", c.password_file,
                 "Read the password from this file's first line")
      ->type_name("PATH");
  app.add_option("-f,--format", format, "Report: table, csv or json");
  app.add_option("--alpha", alpha, "Worker: the EWMA's weight of a new value");
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::CallForHelp&) {
    throw usage_error(app.help());
  } catch (const CLI::ParseError& e) {
    throw usage_error(std::string(e.what()) + " (see --redis x --stream y --help)");
  }
  c.format = parse_format(format);
  c.alpha = parse_alpha(alpha);
  const int modes = (c.report ? 1 : 0) + (c.publish.empty() ? 0 : 1) + (c.consumer.empty() ? 0 : 1);
  if (modes != 1)
    throw usage_error(
        "--redis needs exactly one of --publish FILE, --consumer NAME (a worker) or --report");
  if ((c.report || !c.consumer.empty()) && c.group.empty())
    throw usage_error("--group is needed by a worker and by --report");
  if (!c.password_env.empty() && !c.password_file.empty())
    throw usage_error("--password-env and --password-file: choose one");
  return c;
}

coflow::redis::connection connect(const redis_command& c) {
  coflow::redis::connection_options o;
  try {
    coflow::redis::parse_endpoint(c.endpoint, o);
  } catch (const coflow::redis::error& e) {
    throw usage_error(std::string("--redis: ") + e.what());
  }
  if (!c.password_env.empty())
    o.auth = coflow::redis::credentials::from_environment(c.password_env, c.user);
  if (!c.password_file.empty())
    o.auth = coflow::redis::credentials::from_file(c.password_file, c.user);
  o.command_timeout = std::chrono::milliseconds(10000);
  return coflow::redis::connection::open(o);
}

int publish(const redis_command& c, std::istream& in, std::ostream& err) {
  std::ifstream file;
  std::istream* source = &in;
  if (c.publish != "-") {
    file.open(c.publish, std::ios::binary);
    if (!file) throw input_error("cannot open " + c.publish);
    source = &file;
  }
  auto conn = connect(c);
  coflow::redis::stream_sink sink(conn, {.stream = c.stream});
  const publish_rows_found found = read_publish_rows(
      read_lines(*source, c.publish == "-" ? "stdin" : c.publish),
      [&sink](publish_entry&& entry) {
        if (entry.keyed) {
          sink.add({{"k", std::move(entry.key)}, {"v", std::move(entry.value)}});
        } else {
          sink.add({{"v", std::move(entry.value)}});
        }
      },
      shown_malformed);
  sink.flush();
  // Malformed lines as the file modes report them.
  report bad;
  bad.malformed_count = found.malformed_count;
  bad.first_malformed = found.first_malformed;
  err << format_malformed(bad, "stream_stats");
  err << "stream_stats: published " << group_digits(sink.appended()) << " entries to " << c.stream
      << (found.header_line > 0
              ? fmt::format(" (line {}, a header, not published)", found.header_line)
              : std::string())
      << "\n";
  return 0;
}

struct parse_entry {
  std::optional<keyed_value> operator()(const coflow::redis::stream_entry& e) const {
    const std::string* v = e.field("v");
    if (v == nullptr) return std::nullopt;
    const auto number = parse_number(*v);
    if (!number) return std::nullopt;
    // A present but empty k is the key "" (a group, as in the file modes); no k, no key.
    const std::string* k = e.field("k");
    return keyed_value{k != nullptr ? std::optional<std::string>(*k) : std::nullopt, *number};
  }
};

// A worker whose connection breaks (the server restarted, the network failed) connects again
// and resumes from its last checkpoint: what it folded since is still pending, and is read
// again (checkpointed_worker's reconnections). Each reconnection tries as connection::open
// does (5 attempts over about 3 s); a server that stays away ends the worker with status 1.
int work(const redis_command& c, std::ostream& err) {
  std::signal(SIGINT, request_stop);
  std::signal(SIGTERM, request_stop);
  auto conn = connect(c);
  const auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
  };
  coflow::redis::stream_source source(conn, {.stream = c.stream,
                                             .group = c.group,
                                             .consumer = c.consumer,
                                             .batch = c.batch,
                                             .block = std::chrono::milliseconds(500),
                                             .claim_idle = ms(c.claim_idle),
                                             .stop_requested = &stop_requested});
  coflow::redis::checkpoint_store store(conn, c.stream, c.group, c.consumer);
  // A fresh worker starts from redis_statistics(alpha); a restarted one from its checkpoint.
  coflow::redis::checkpointed_worker<redis_statistics, parse_entry> worker(
      source, store, parse_entry{},
      {.checkpoint_every = c.checkpoint_every,
       .idle_exit = ms(c.idle_exit),
       .reconnections = 3,
       .on_reconnect =
           [&err](const coflow::redis::connection_error& e) {
             err << "stream_stats: " << e.what()
                 << "; connecting again, from the last checkpoint\n";
           }},
      redis_statistics(c.alpha));
  const auto state = worker.run();
  err << "stream_stats: worker " << c.consumer << ": " << group_digits(state.entries)
      << " entries (" << group_digits(state.malformed) << " malformed), " << worker.checkpoints()
      << " checkpoints, " << source.claimed() << " claimed, " << worker.rollbacks()
      << " rollbacks\n";
  return 0;
}

int print_report(const redis_command& c, std::ostream& out, std::ostream& err) {
  auto conn = connect(c);
  coflow::redis::checkpoint_store store(conn, c.stream, c.group, "-");
  coflow::redis::worker_state<redis_statistics> all;
  std::size_t states = 0;
  for (const auto& [consumer, bytes] : store.load_all()) {
    all.merge(coflow::redis::worker_state<redis_statistics>::deserialize(bytes));
    ++states;
  }
  report r = all.aggregate.to_report(states);
  r.malformed_count = all.malformed;
  report_writer writer(c.format, all.aggregate.alpha(), out);
  writer.finish(r);
  if (states > 1) (c.format == output_format::table ? out : err) << redis_ewma_note(states) << "\n";
  flush_output(out);
  if (all.malformed > 0)
    err << "stream_stats: " << group_digits(all.malformed) << " malformed entr"
        << (all.malformed == 1 ? "y" : "ies") << " skipped (no field v, or not a number)\n";
  return 0;
}

}  // namespace

bool is_redis_command(std::span<const char* const> args) {
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--redis" || a.starts_with("--redis=")) return true;
  }
  return false;
}

int redis_main(std::span<const char* const> args, std::istream& in, std::ostream& out,
               std::ostream& err) {
  try {
    const redis_command c = parse_redis_command(args);
    if (!c.publish.empty()) return publish(c, in, err);
    if (c.report) return print_report(c, out, err);
    return work(c, err);
  } catch (const usage_error& e) {
    err << "stream_stats: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    // Redis errors never hold the password (connectors/redis/connection.hpp).
    err << "stream_stats: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace stream_stats
