#!/usr/bin/env bash
# stream_stats on Redis, end to end: publish a file, two workers, the merged report equals one
# stream_stats over the same values (the EWMA aside, which a merged report leaves empty and says
# why); --publish reads CSV (a quoted key keeps its comma, a header is skipped, a line of three
# fields is reported, an empty key is a group as in the file modes); a worker killed with SIGKILL mid-stream, whose entries another worker
# claims, still gives every value exactly once; malformed entries are counted; a server with
# requirepass refuses a wrong password with a clear error and the secret shows in no output.
#
# Each part starts its own redis-server on a free loopback port (no persistence) and stops it
# when the part ends or the script exits, whatever happened.
#
# Outside Bazel: tests/connectors/redis/stream_stats_redis_test.sh path/to/stream_stats
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root="${TEST_SRCDIR}/${TEST_WORKSPACE:-coflow}"
else
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
fi
program="${1:-${root}/tools/stream_stats/stream_stats}"
example="${2:-${root}/examples/redis_workers}"
scratch="$(mktemp -d "${TEST_TMPDIR:-/tmp}/redis-tool.XXXXXX")"
server_pid=""
worker_pid=""

stop_server() {
  if [[ -n "${server_pid}" ]]; then
    kill -CONT "${server_pid}" 2>/dev/null
    kill "${server_pid}" 2>/dev/null
    wait "${server_pid}" 2>/dev/null
    server_pid=""
  fi
}
cleanup() {
  [[ -n "${worker_pid}" ]] && kill -9 "${worker_pid}" 2>/dev/null
  stop_server
  rm -rf "${scratch}"
}
trap cleanup EXIT

passed=0
failed=0
check() {  # check NAME CONDITION-STATUS [DETAIL]
  if [[ "$2" -eq 0 ]]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $1 ${3:-}"
  fi
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# start_server [requirepass]: a private server in ${scratch}/server; sets port and server_pid.
# A port taken by another test between free_port and the server's bind: try another.
start_server() {
  for _ in 1 2 3 4 5; do
    start_server_once "$@" && return 0
  done
  echo "redis-server did not start"; cat "${scratch}/server/log"; exit 1
}
start_server_once() {
  port=$(free_port)
  mkdir -p "${scratch}/server"
  {
    echo "bind 127.0.0.1"
    echo "port ${port}"
    echo "dir ${scratch}/server"
    echo 'save ""'
    echo "appendonly no"
    [[ -n "${1:-}" ]] && echo "requirepass $1"
  } >"${scratch}/server/redis.conf"
  chmod 600 "${scratch}/server/redis.conf"
  /usr/bin/redis-server "${scratch}/server/redis.conf" >"${scratch}/server/log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    # The password through the environment, as the tool takes it: never on a command line.
    if REDISCLI_AUTH="${1:-}" redis-cli -p "${port}" PING 2>/dev/null | grep -q PONG; then return 0; fi
    kill -0 "${server_pid}" 2>/dev/null || { wait "${server_pid}"; server_pid=""; return 1; }
    sleep 0.05
  done
  echo "redis-server did not answer"; cat "${scratch}/server/log"; exit 1
}

# --- Two workers give the report one stream_stats gives. ---
start_server
awk 'BEGIN { for (i = 1; i <= 20000; i++) printf "%.3f\n", (i * 7919) % 1000 / 7.0 }' >"${scratch}/values"
echo "not-a-number" >>"${scratch}/values"
"${program}" --redis "127.0.0.1:${port}" --stream r --publish "${scratch}/values" 2>"${scratch}/pub.err"
check "publish" $? "$(cat "${scratch}/pub.err")"
grep -q "published 20,001 entries to r" "${scratch}/pub.err"; check "publish count" $?
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --consumer w1 --idle-exit 1 2>"${scratch}/w1.err" &
w1=$!
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --consumer w2 --idle-exit 1 2>"${scratch}/w2.err"
check "worker w2" $? "$(cat "${scratch}/w2.err")"
wait "${w1}"; check "worker w1" $? "$(cat "${scratch}/w1.err")"
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --report >"${scratch}/report" 2>"${scratch}/report.err"
check "report" $?
"${program}" "${scratch}/values" >"${scratch}/single" 2>/dev/null
# Every line but the EWMA's is the same; the merged report's EWMA is "-" with a note.
diff <(grep -v '^ewma' "${scratch}/single") <(grep -v '^ewma' "${scratch}/report") >"${scratch}/diff"
check "two workers == one pass" $? "$(cat "${scratch}/diff")"
grep -q '^ewma(0.1) *-$' "${scratch}/report"; check "merged ewma empty" $?
grep -q '^ewma: not shown for a report merged from 2 worker states' "${scratch}/report"; check "ewma note" $?
grep -q 'stream_stats: 1 malformed entry skipped' "${scratch}/report.err"; check "malformed counted" $?
for format in csv json; do
  "${program}" --redis "127.0.0.1:${port}" --stream r --group g --report --format "${format}" >"${scratch}/r.${format}" 2>/dev/null
  check "report ${format}" $?
done
grep -q '"count": 20000' "${scratch}/r.json"; check "json count" $?
grep -q '^total,,20000,' "${scratch}/r.csv"; check "csv count" $? "$(cat "${scratch}/r.csv")"
stop_server

# --- --publish reads its lines as CSV, as the file modes do: a quoted key keeps its comma, a
#     header is not published, a line of three fields is reported and skipped; the round trip
#     through a worker gives the report of `stream_stats -c 2 --by 1` over the same file. ---
start_server
# ,7 and "",8 have the empty key: a group "" in both reports.
printf 'sensor,reading\n"a,b",3\nc,4\n"a,b",5\nx,y,z\nc,6\n,7\n"",8\n' >"${scratch}/keyed.csv"
"${program}" --redis "127.0.0.1:${port}" --stream k --publish "${scratch}/keyed.csv" 2>"${scratch}/kpub.err"
check "publish csv" $? "$(cat "${scratch}/kpub.err")"
grep -qx 'stream_stats: published 6 entries to k (line 1, a header, not published)' "${scratch}/kpub.err"
check "publish csv: header skipped" $? "$(cat "${scratch}/kpub.err")"
grep -qx 'stream_stats: line 5: 3 fields (expected VALUE or KEY,VALUE): "x,y,z"' "${scratch}/kpub.err" &&
  grep -qx 'stream_stats: 1 malformed line skipped' "${scratch}/kpub.err"
check "publish csv: three fields reported" $? "$(cat "${scratch}/kpub.err")"
[[ "$(redis-cli -p "${port}" XRANGE k - + COUNT 1)" == *$'\nk\na,b\nv\n3' ]]
check "publish csv: the quoted key's entry" $? "$(redis-cli -p "${port}" XRANGE k - + COUNT 1)"
"${program}" --redis "127.0.0.1:${port}" --stream k --group g --consumer w --idle-exit 0.5 2>"${scratch}/kw.err"
check "publish csv: worker" $? "$(cat "${scratch}/kw.err")"
grep -q "worker w: 6 entries (0 malformed)" "${scratch}/kw.err"; check "publish csv: worker entries" $? "$(cat "${scratch}/kw.err")"
"${program}" --redis "127.0.0.1:${port}" --stream k --group g --report --format csv >"${scratch}/kr.csv" 2>/dev/null
check "publish csv: report" $?
"${program}" -c 2 --by 1 --format csv "${scratch}/keyed.csv" >"${scratch}/kfile.csv" 2>/dev/null
diff "${scratch}/kfile.csv" "${scratch}/kr.csv" >"${scratch}/kdiff"
check "publish csv: round trip == stream_stats -c 2 --by 1" $? "$(cat "${scratch}/kdiff")"
grep -q '^group,,2,7.5,' "${scratch}/kr.csv"; check "publish csv: the empty key's group" $? "$(cat "${scratch}/kr.csv")"
stop_server

# --- A worker killed mid-stream: another claims its entries; each value counted once. ---
start_server
awk 'BEGIN { for (i = 1; i <= 200000; i++) print i }' >"${scratch}/many"
"${program}" --redis "127.0.0.1:${port}" --stream r --publish "${scratch}/many" 2>/dev/null
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --consumer victim --batch 50 \
  --checkpoint-every 100 --idle-exit 5 2>/dev/null &
worker_pid=$!
for _ in $(seq 1 200); do
  [[ "$(redis-cli -p "${port}" HEXISTS r:checkpoints:g victim)" == 1 ]] && break
  sleep 0.02
done
# Kill it while it holds entries it has not committed (pause, look, resume if it held none).
for _ in $(seq 1 100); do
  kill -STOP "${worker_pid}"
  pending=$(redis-cli -p "${port}" XPENDING r g | head -1)
  [[ "${pending}" -gt 0 ]] && break
  kill -CONT "${worker_pid}"
  sleep 0.003
done
kill -9 "${worker_pid}"; wait "${worker_pid}" 2>/dev/null; worker_pid=""
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --consumer rescuer --claim-idle 0.3 \
  --idle-exit 1.5 2>"${scratch}/rescuer.err"
check "rescuer" $? "$(cat "${scratch}/rescuer.err")"
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --report --format json >"${scratch}/r.json" 2>/dev/null
grep -q '"count": 200000,' "${scratch}/r.json"; check "kill -9: every value once" $? "$(head -3 "${scratch}/r.json")"
grep -q '"mean": 100000.5,' "${scratch}/r.json"; check "kill -9: mean" $? "$(head -3 "${scratch}/r.json")"
[[ "${pending}" -gt 0 ]] && grep -qE ' [1-9][0-9]* claimed' "${scratch}/rescuer.err"
check "rescuer claimed the victim's entries" $? "pending ${pending}: $(cat "${scratch}/rescuer.err")"
stop_server

# --- SIGTERM stops a worker cleanly: it checkpoints and reports. ---
start_server
"${program}" --redis "127.0.0.1:${port}" --stream r --publish "${scratch}/values" 2>/dev/null
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --consumer w 2>"${scratch}/term.err" &
worker_pid=$!
for _ in $(seq 1 200); do
  [[ "$(redis-cli -p "${port}" HEXISTS r:checkpoints:g w)" == 1 ]] && break
  sleep 0.02
done
# Wait until it has read and committed everything (the group's lag and pending count are 0);
# from then on it waits for more, and only a signal stops it.
for _ in $(seq 1 500); do
  lag=$(redis-cli -p "${port}" XINFO GROUPS r | grep -A1 '^lag$' | tail -1)
  [[ "${lag}" == 0 && "$(redis-cli -p "${port}" XPENDING r g | head -1)" == 0 ]] && break
  sleep 0.02
done
kill -TERM "${worker_pid}"; wait "${worker_pid}"; status=$?; worker_pid=""
[[ ${status} -eq 0 ]] && grep -q "worker w: 20,001 entries (1 malformed)" "${scratch}/term.err"
check "SIGTERM: clean stop" $? "status ${status}: $(cat "${scratch}/term.err")"
[[ "$(redis-cli -p "${port}" XPENDING r g | head -1)" == 0 ]]; check "SIGTERM: everything committed" $?
stop_server

# --- The server killed and restarted from its append-only file under a running worker: the
#     worker connects again, resumes from its checkpoint, and counts each value once. ---
port=$(free_port)
mkdir -p "${scratch}/aof"
printf 'bind 127.0.0.1\nport %s\ndir %s\nsave ""\nappendonly yes\nappendfsync always\n' "${port}" "${scratch}/aof" >"${scratch}/aof/redis.conf"
start_aof() {
  /usr/bin/redis-server "${scratch}/aof/redis.conf" >>"${scratch}/aof/log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do redis-cli -p "${port}" PING 2>/dev/null | grep -q PONG && return 0; sleep 0.05; done
  echo "redis-server (aof) did not start"; cat "${scratch}/aof/log"; exit 1
}
start_aof
"${program}" --redis "127.0.0.1:${port}" --stream r --publish "${scratch}/many" 2>/dev/null
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --consumer w --batch 50 --checkpoint-every 100 \
  --idle-exit 2 2>"${scratch}/aof.err" &
worker_pid=$!
for _ in $(seq 1 200); do
  [[ "$(redis-cli -p "${port}" HEXISTS r:checkpoints:g w)" == 1 ]] && break
  sleep 0.02
done
kill -9 "${server_pid}"; wait "${server_pid}" 2>/dev/null
start_aof
wait "${worker_pid}"; status=$?; worker_pid=""
check "AOF restart: worker resumed" ${status} "$(cat "${scratch}/aof.err")"
grep -q "connecting again, from the last checkpoint" "${scratch}/aof.err"; check "AOF restart: worker reconnected" $? "$(cat "${scratch}/aof.err")"
"${program}" --redis "127.0.0.1:${port}" --stream r --group g --report --format json >"${scratch}/r.json" 2>/dev/null
grep -q '"count": 200000,' "${scratch}/r.json"; check "AOF restart: every value once" $? "$(head -3 "${scratch}/r.json")"
stop_server

# --- requirepass: a wrong password is a clear error; the secret is in no output. ---
secret="Tq9-stream-secret-4417"
start_server "${secret}"
echo 1.5 >"${scratch}/one"
export STREAM_STATS_TEST_PW="wrong-${secret}"
"${program}" --redis "127.0.0.1:${port}" --stream r --password-env STREAM_STATS_TEST_PW --publish "${scratch}/one" \
  >"${scratch}/auth.out" 2>"${scratch}/auth.err"
status=$?
[[ ${status} -eq 1 ]]; check "wrong password: status 1" $? "got ${status}"
grep -q "authentication to 127.0.0.1:${port} failed (WRONGPASS)" "${scratch}/auth.err"; check "wrong password: message" $? "$(cat "${scratch}/auth.err")"
"${program}" --redis "127.0.0.1:${port}" --stream r --publish "${scratch}/one" >>"${scratch}/auth.out" 2>>"${scratch}/auth.err"
[[ $? -eq 1 ]] && grep -q "requires authentication" "${scratch}/auth.err"; check "no password: clear error" $? "$(cat "${scratch}/auth.err")"
printf '%s\n' "${secret}" >"${scratch}/pw"
chmod 600 "${scratch}/pw"
"${program}" --redis "127.0.0.1:${port}" --stream r --password-file "${scratch}/pw" --publish "${scratch}/one" \
  >>"${scratch}/auth.out" 2>>"${scratch}/auth.err"
check "right password from a file" $?
export STREAM_STATS_TEST_PW="${secret}"
"${program}" --redis "127.0.0.1:${port}" --stream r --password-env STREAM_STATS_TEST_PW --group g --consumer w \
  --idle-exit 0.5 >>"${scratch}/auth.out" 2>>"${scratch}/auth.err"
check "right password from the environment" $?
"${program}" --redis "127.0.0.1:${port}" --stream r --password-env STREAM_STATS_TEST_PW --group g --report \
  >>"${scratch}/auth.out" 2>>"${scratch}/auth.err"
grep -q '^count *1$' "${scratch}/auth.out"; check "authenticated report" $? "$(cat "${scratch}/auth.out")"
! grep -q -- "${secret}" "${scratch}/auth.out" "${scratch}/auth.err" "${scratch}/server/log"
check "the secret appears in no output" $?
unset STREAM_STATS_TEST_PW
stop_server

# --- examples/redis_workers.cc: two workers, merged checkpoints, a pump. ---
start_server
"${example}" "127.0.0.1:${port}" >"${scratch}/example.out" 2>&1
check "example runs" $? "$(cat "${scratch}/example.out")"
printf 'published 1001 entries\nw1 + w2: 1001 entries, 1 malformed, mean 500.5, stddev 288.819\npump (group tail): 1001 entries\nremoved coflow-example- and its checkpoints\n' >"${scratch}/example.want"
diff "${scratch}/example.want" "${scratch}/example.out" >"${scratch}/example.diff"
check "example output" $? "$(cat "${scratch}/example.diff")"
[[ "$(redis-cli -p "${port}" DBSIZE)" == 0 ]]; check "example cleans up" $?
stop_server

# --- No server: a clear error after bounded retries, no hang. ---
"${program}" --redis "127.0.0.1:$(free_port)" --stream r --group g --report >/dev/null 2>"${scratch}/none.err"
[[ $? -eq 1 ]] && grep -q "cannot reach 127.0.0.1:.* after 5 attempts" "${scratch}/none.err"
check "unreachable server" $? "$(cat "${scratch}/none.err")"
"${program}" --redis nowhere --stream r --report >/dev/null 2>"${scratch}/usage.err"
[[ $? -eq 2 ]]; check "bad endpoint is a usage error" $? "$(cat "${scratch}/usage.err")"
"${program}" --redis ::1:6379 --stream r --group g --report >/dev/null 2>"${scratch}/usage.err"
[[ $? -eq 2 ]] && grep -q "write an IPv6 address in brackets, \[ADDRESS\]:PORT" "${scratch}/usage.err"
check "unbracketed IPv6 endpoint is a usage error" $? "$(cat "${scratch}/usage.err")"

echo "${passed} passed, ${failed} failed"
[[ ${failed} -eq 0 ]]
