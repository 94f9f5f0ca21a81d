#!/usr/bin/env bash
# stream_stats --threads N: the same bytes on stdout and stderr, and the same exit status, as
# with --threads 1, for the files in stream_stats_data/ and for generated files (plain numbers,
# CSV with keys, malformed lines, CRLF line ends, a last line without a newline) larger than a
# batch of lines, in every format and with --by, --sum --distinct --median, --every, --window
# and --strict. Then the errors of a bad --threads.
#
# Outside Bazel: tests/tools/stream_stats/stream_stats_threads_test.sh path/to/stream_stats
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root="${TEST_SRCDIR}/${TEST_WORKSPACE:-coflow}"
else
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
fi
program="${1:-${root}/tools/stream_stats/stream_stats}"
data="${root}/tests/tools/stream_stats/stream_stats_data"

passed=0
failed=0
scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT

if [[ ! -x "${program}" ]]; then
  echo "FAIL: ${program} is missing" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# run TAG ARGS...: runs the program (stdin from $stdin, /dev/null by default) into
# $scratch/TAG.out, .err and .status.
run() {
  local tag="$1"
  shift
  "${program}" "$@" <"${stdin:-/dev/null}" >"${scratch}/${tag}.out" 2>"${scratch}/${tag}.err"
  echo $? >"${scratch}/${tag}.status"
}

# same NAME ARGS...: runs ARGS with --threads 1, 2 and 4 and compares all three outputs byte for
# byte with the first; the first must have written something (a report or a message).
same() {
  local name="$1"
  shift
  run t1 "$@" --threads 1
  local ok=1
  if [[ ! -s "${scratch}/t1.out" && ! -s "${scratch}/t1.err" ]]; then
    echo "FAIL ${name}: no output at all with --threads 1" >&2
    ok=0
  fi
  for n in 2 4; do
    run "t${n}" "$@" --threads "${n}"
    for part in out err status; do
      if ! cmp -s "${scratch}/t1.${part}" "${scratch}/t${n}.${part}"; then
        echo "FAIL ${name}: --threads ${n} ${part} differs from --threads 1:" >&2
        diff -u "${scratch}/t1.${part}" "${scratch}/t${n}.${part}" | head -20 >&2
        ok=0
      fi
    done
  done
  if ((ok)); then
    echo "ok   ${name}"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
}

# expect_error NAME MESSAGE ARGS...: exit status 2 and exactly MESSAGE on stderr, nothing on
# stdout.
expect_error() {
  local name="$1" message="$2"
  shift 2
  run e "$@"
  if [[ "$(cat "${scratch}/e.status")" == 2 && ! -s "${scratch}/e.out" &&
    "$(cat "${scratch}/e.err")" == "${message}" ]]; then
    echo "ok   ${name}"
    passed=$((passed + 1))
  else
    echo "FAIL ${name}: status $(cat "${scratch}/e.status"), stderr:" >&2
    cat "${scratch}/e.err" >&2
    failed=$((failed + 1))
  fi
}

# --- generated files, several batches of lines long ---------------------------------------

# Plain numbers with malformed and blank lines among them, CRLF line ends, no last newline.
awk 'BEGIN {
  for (i = 1; i <= 30000; i++) {
    if (i % 997 == 0) print "oops " i "\r";
    else if (i % 1999 == 0) print "\r";
    else if (i % 4001 == 0) print "nan\r";
    else printf "%.6f\r\n", sin(i) * 1000 + i / 7;
  }
  printf "%d", 42;
}' >"${scratch}/plain.txt"

# CSV with a header, 100 keys (some quoted), malformed rows; blank lines before the header.
awk 'BEGIN {
  print ""; print "";
  print "time,sensor,reading,other";
  for (i = 1; i <= 25000; i++) {
    key = "k" (i * 7919 % 100);
    if (i % 50 == 0) key = "\"q, " key "\"";
    if (i % 1013 == 0) print (1700000000 + i) "," key ",bad," i;
    else if (i % 2027 == 0) print (1700000000 + i) "," key;
    else printf "%d,%s,%.4f,%d\n", 1700000000 + i, key, cos(i) * 50 + i % 13, i % 5;
  }
}' >"${scratch}/keyed.csv"

# CSV without a header, the columns chosen by number; CRLF; a first line that is malformed.
awk 'BEGIN {
  print "x,notanumber\r";
  for (i = 1; i <= 12000; i++) printf "%s,%d\r\n", (i % 3 ? "a" : "b"), i * 31 % 1000;
}' >"${scratch}/numbered.csv"

for format in table csv json; do
  same "plain, ${format}" "${scratch}/plain.txt" -q -f "${format}"
  same "plain, --sum --distinct --median, ${format}" \
    "${scratch}/plain.txt" -q -f "${format}" --sum --distinct --median
  same "plain, --every 1000, ${format}" "${scratch}/plain.txt" -q -f "${format}" --every 1000
  same "plain, --window 777, ${format}" "${scratch}/plain.txt" -q -f "${format}" --window 777
  same "keyed, --by sensor, ${format}" \
    "${scratch}/keyed.csv" -q -f "${format}" -c reading --by sensor
  same "keyed, --by sensor --sum --distinct --median, ${format}" \
    "${scratch}/keyed.csv" -q -f "${format}" -c reading --by sensor --sum --distinct --median
  same "keyed, two columns --by sensor,other --every 333, ${format}" \
    "${scratch}/keyed.csv" -q -f "${format}" -c reading,other --by sensor,other --every 333
  same "keyed, --window 60s --time-column time --by sensor, ${format}" \
    "${scratch}/keyed.csv" -q -f "${format}" -c reading --by sensor --window 60s \
    --time-column time
  same "keyed, --approx --median --distinct, ${format}" \
    "${scratch}/keyed.csv" -q -f "${format}" -c reading --approx --median --distinct
  same "numbered columns, --by 1, ${format}" \
    "${scratch}/numbered.csv" -q -f "${format}" -c 2 --by 1 --median
done
same "plain, --strict" "${scratch}/plain.txt" -q --strict
same "keyed, --strict" "${scratch}/keyed.csv" -q -c reading --strict
same "keyed, an unknown column" "${scratch}/keyed.csv" -q -c nosuch
same "keyed, a column number beyond the first line" "${scratch}/numbered.csv" -q -c 9
stdin="${scratch}/keyed.csv" same "stdin, --by sensor" - -q -c reading --by sensor -f json
same "the built-in stream, --by sensor" -q --readings 20000 --by sensor --median -f csv
same "keyed, --tab delimiter" "${scratch}/keyed.csv" -q -c 3 -t tab

# --- the small test files, with every format ----------------------------------------------

for file in "${data}"/*; do
  base="$(basename "${file}")"
  for format in table csv json; do
    case "${base}" in
      *.csv)
        same "${base}, column 2, ${format}" "${file}" -q -f "${format}" -c 2 --median
        same "${base}, column 2 --by 1, ${format}" "${file}" -q -f "${format}" -c 2 --by 1 \
          --sum --distinct --every 2
        ;;
      *)
        same "${base}, ${format}" "${file}" -q -f "${format}" --sum --distinct --median --every 3
        ;;
    esac
  done
done

# --- a closed pipe: the same message and status ---------------------------------------------

closed_pipe() {
  "${program}" "${scratch}/plain.txt" -q --every 1 -f csv --threads "$1" 2>"${scratch}/pipe$1.err" |
    head -c 100 >/dev/null
  echo "${PIPESTATUS[0]}" >"${scratch}/pipe$1.status"
}
closed_pipe 1
closed_pipe 3
if cmp -s "${scratch}/pipe1.err" "${scratch}/pipe3.err" &&
  cmp -s "${scratch}/pipe1.status" "${scratch}/pipe3.status" &&
  [[ "$(cat "${scratch}/pipe1.status")" != 0 ]]; then
  echo "ok   a closed pipe stops the run the same way"
  passed=$((passed + 1))
else
  echo "FAIL a closed pipe: status $(cat "${scratch}/pipe1.status") / $(cat "${scratch}/pipe3.status")" >&2
  diff "${scratch}/pipe1.err" "${scratch}/pipe3.err" >&2
  failed=$((failed + 1))
fi

# --- bad --threads ---------------------------------------------------------------------------

expect_error "--threads 0" \
  'stream_stats: error: --threads: expected a whole number of at least 1, got "0"' \
  "${scratch}/plain.txt" --threads 0
expect_error "--threads two" \
  'stream_stats: error: --threads: expected a whole number of at least 1, got "two"' \
  "${scratch}/plain.txt" --threads two
expect_error "--threads -3" \
  'stream_stats: error: --threads: expected a whole number of at least 1, got "-3"' \
  "${scratch}/plain.txt" --threads=-3
expect_error "--threads 257" 'stream_stats: error: --threads: at most 256, got 257' \
  "${scratch}/plain.txt" --threads 257
expect_error "--threads beyond 64 bits" \
  'stream_stats: error: --threads: expected a whole number of at least 1, got "99999999999999999999999"' \
  "${scratch}/plain.txt" --threads 99999999999999999999999
expect_error "--threads with --profile" \
  'stream_stats: error: --profile and --threads do not go together: profile with one thread' \
  "${scratch}/plain.txt" --threads 2 --profile
run p "${scratch}/plain.txt" -q --threads 1 --profile
if [[ "$(cat "${scratch}/p.status")" == 1 || "$(cat "${scratch}/p.status")" == 0 ]] &&
  grep -q "profile per pipeline stage" "${scratch}/p.err"; then
  echo "ok   --threads 1 with --profile is today's run"
  passed=$((passed + 1))
else
  echo "FAIL --threads 1 with --profile" >&2
  failed=$((failed + 1))
fi

echo "${passed} passed, ${failed} failed"
((failed == 0))
