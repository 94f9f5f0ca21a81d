#!/usr/bin/env bash
# The Redis connector's numbers: starts a private redis-server on a free loopback port (no
# persistence), measures the server's own XADD and XREADGROUP rates with redis-benchmark, then
# the connector (redis_throughput.cc) on the same server, and stops the server.
#
#   benchmarks/redis.sh [ENTRIES]      (builds //benchmarks:redis_throughput with --config=opt)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
entries="${1:-200000}"
./bazelw build --config=opt --jobs=2 //benchmarks:redis_throughput >/dev/null 2>&1
dir="$(mktemp -d)"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/redis-server --bind 127.0.0.1 --port "${port}" --save '' --appendonly no --dir "${dir}" \
  >"${dir}/log" 2>&1 &
server=$!
trap 'kill "${server}" 2>/dev/null; wait "${server}" 2>/dev/null; rm -rf "${dir}"' EXIT
until redis-cli -p "${port}" PING >/dev/null 2>&1; do sleep 0.05; done

echo "redis-server $(redis-server --version | grep -o 'v=[^ ]*'), port ${port}"
echo "--- redis-benchmark (the limit): ${entries} XADD, 1 client, pipeline 256"
redis-benchmark -p "${port}" -c 1 -P 256 -n "${entries}" -q XADD rb '*' v 1.5 | tr '\r' '\n' | tail -1
redis-cli -p "${port}" XGROUP CREATE rb g 0 >/dev/null
reads=$((entries / 256))
echo "--- redis-benchmark: ${reads} XREADGROUP COUNT 256 (entries/s = requests/s x 256), 1 client"
redis-benchmark -p "${port}" -c 1 -n "${reads}" -q XREADGROUP GROUP g c COUNT 256 STREAMS rb '>' | tr '\r' '\n' | tail -1
echo "--- redis-benchmark: XACK of one id, 1 client, pipeline 256"
redis-benchmark -p "${port}" -c 1 -P 256 -n "${entries}" -q XACK rb g 0-1 | tr '\r' '\n' | tail -1
redis-cli -p "${port}" DEL rb >/dev/null
echo "--- coflow's Redis connector"
bazel-bin/benchmarks/redis_throughput "${port}" "${entries}"
echo "--- server time per command (INFO commandstats: calls, usec_per_call)"
redis-cli -p "${port}" INFO commandstats | tr -d '\r' |
  grep -E 'cmdstat_(evalsha|xpending|xack|hset|xadd|xreadgroup|xautoclaim):' |
  sed -E 's/cmdstat_([a-z]+):calls=([0-9]+),usec=[0-9]+,usec_per_call=([0-9.]+).*/\1 calls=\2 usec_per_call=\3/'
