// tools/stream_stats/redis_modes.hpp
//
// stream_stats on Redis Streams: a worker of a consumer group, the report merged from the
// workers' checkpoints, and a publisher of values. A command line with --redis comes here.
//
//   stream_stats --redis 127.0.0.1:6379 --stream readings --publish values.txt
//   stream_stats --redis [::1]:6379 --stream readings --publish sensors.csv   # KEY,VALUE lines
//   stream_stats --redis 127.0.0.1:6379 --stream readings --group g --consumer w1 --idle-exit 2
//   stream_stats --redis 127.0.0.1:6379 --stream readings --group g --report [--format json]
//
// Semantics: the publisher reads FILE (- for stdin) as CSV, with the file modes' quoting rules,
//   and appends one entry per non-blank line (publish_rows.hpp): a line of one field gives
//   field v; a line KEY,VALUE gives fields k and v ("a,b",3 has the key a,b). A first line
//   KEY,VALUE whose value is no number while the next line's is, is a header and is not
//   published. A line of more fields, or with a quote never closed, is not published: it is
//   counted and the first few are named on stderr, as the file modes report malformed lines,
//   and publishing goes on (status 0). A worker folds each entry's v (and k, for the per-key
//   rows; an empty k is the key "", a group as in the file modes, while an entry without k
//   counts in the total only) into its statistics with the Redis connector's checkpointed
//   worker (connectors/redis/checkpointed_worker.hpp): its own pending entries first, entries
//   of a consumer idle longer than --claim-idle seconds claimed, a checkpoint every
//   --checkpoint-every entries and at the end; an entry without a numeric v is counted as
//   malformed. It runs until no entry came for --idle-exit seconds, or until SIGINT/SIGTERM.
//   When its connection breaks it connects again (up to 3 times, the worker's reconnections)
//   and resumes from its last checkpoint; one that cannot reach the server at its start ends
//   after the connection's retries, without reconnections (status 1).
//   The report merges every consumer's last checkpoint and prints the usual report in the
//   --format asked for; it counts each entry once whatever the workers went through (see
//   redis_state.hpp for the EWMA).
// Endpoint: --redis HOST:PORT, or [ADDRESS]:PORT for an IPv6 address (connection.hpp's
//   parse_endpoint); an unbracketed IPv6 address is a usage error that names that form.
// Secrets: a password comes from --password-env VAR or --password-file PATH (with --user for an
//   ACL user), never from the command line itself.
// Exit status: 0; 1 for a server that cannot be reached or refuses the credentials (after the
//   retries), or unreadable input; 2 for a bad command line.
#pragma once

#include <istream>
#include <ostream>
#include <span>

namespace stream_stats {

/// is_redis_command is true when `args` asks for one of the Redis modes (it has --redis).
bool is_redis_command(std::span<const char* const> args);

/// redis_main runs a Redis mode and returns the exit status.
int redis_main(std::span<const char* const> args, std::istream& in, std::ostream& out,
               std::ostream& err);

}  // namespace stream_stats
