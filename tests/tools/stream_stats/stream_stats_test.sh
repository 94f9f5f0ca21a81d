#!/usr/bin/env bash
# End-to-end tests of the stream_stats tool: runs the built binary on the small files in
# stream_stats_data/ and checks its exit status, stdout and stderr. The expected outputs were
# written by hand; the numbers come from Python's statistics module (mean of 1..10 is 5.5, its
# sample standard deviation 3.0276503540974917, ...).
#
# Outside Bazel: tests/tools/stream_stats/stream_stats_test.sh path/to/stream_stats
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

# expect NAME STATUS STDOUT STDERR [ARGS...]
# Runs the program with ARGS (stdin from $stdin, /dev/null by default) and compares. STDOUT and
# STDERR are the exact text without its last newline; "*" skips the comparison.
expect() {
  local name="$1" want_status="$2" want_out="$3" want_err="$4"
  shift 4
  "${program}" "$@" <"${stdin:-/dev/null}" >"${scratch}/out" 2>"${scratch}/err"
  local status=$?
  local ok=1
  if ((status != want_status)); then
    echo "FAIL ${name}: exit status ${status}, expected ${want_status}" >&2
    ok=0
  fi
  if [[ "${want_out}" != "*" ]]; then
    if [[ -z "${want_out}" ]]; then : >"${scratch}/want_out"; else
      printf '%s\n' "${want_out}" >"${scratch}/want_out"
    fi
    if ! diff -u "${scratch}/want_out" "${scratch}/out" >&2; then
      echo "FAIL ${name}: stdout differs (diff above: expected, then actual)" >&2
      ok=0
    fi
  fi
  if [[ "${want_err}" != "*" ]]; then
    if [[ -z "${want_err}" ]]; then : >"${scratch}/want_err"; else
      printf '%s\n' "${want_err}" >"${scratch}/want_err"
    fi
    if ! diff -u "${scratch}/want_err" "${scratch}/err" >&2; then
      echo "FAIL ${name}: stderr differs (diff above: expected, then actual)" >&2
      ok=0
    fi
  fi
  if ((ok)); then
    echo "ok   ${name}"
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
}

# check NAME CONDITION-COMMAND...: a test that is not a plain comparison.
check() {
  local name="$1"
  shift
  if "$@"; then
    echo "ok   ${name}"
    passed=$((passed + 1))
  else
    echo "FAIL ${name}" >&2
    failed=$((failed + 1))
  fi
}

if [[ ! -x "${program}" ]]; then
  echo "FAIL: ${program} is missing" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

csv_header="kind,key,count,mean,min,max,stddev,ewma"

# --- one number per line ------------------------------------------------------------------

expect "plain file, table" 0 "\
count           10
mean           5.5
min              1
max             10
stddev     3.02765
ewma(0.1)  4.48678
malformed        0" "" \
  "${data}/one_to_ten.txt" --quiet

expect "plain file, csv" 0 "\
${csv_header}
total,,10,5.5,1,10,3.0276503540974917,9.001953125" "" \
  "${data}/one_to_ten.txt" --quiet --format csv --alpha 0.5

expect "plain file, json" 0 '{
  "count": 10,
  "mean": 5.5,
  "min": 1,
  "max": 10,
  "stddev": 3.0276503540974917,
  "ewma": 9.001953125,
  "alpha": 0.5,
  "malformed": {"count": 0, "first": []}
}' "" \
  "${data}/one_to_ten.txt" -q -f json -a 0.5

stdin="${data}/one_to_ten.txt" expect "stdin" 0 "\
${csv_header}
total,,10,5.5,1,10,3.0276503540974917,9.001953125" "" \
  - -q -f csv -a 0.5

# --- CSV ----------------------------------------------------------------------------------

csv_one_to_four="\
${csv_header}
total,,4,2.5,1,4,1.2909944487358056,3.125"

expect "csv, column by name" 0 "${csv_one_to_four}" "" \
  "${data}/header.csv" -q -f csv -a 0.5 --column value
expect "csv, column by number, header detected" 0 "${csv_one_to_four}" "" \
  "${data}/header.csv" -q -f csv -a 0.5 --column 2
expect "csv without header, column by number" 0 "${csv_one_to_four}" "" \
  "${data}/no_header.csv" -q -f csv -a 0.5 -c 2

# --- per key -------------------------------------------------------------------------------

keyed_table="\
count            5
mean           7.8
min              1
max             20
stddev     7.59605
ewma(0.5)   8.5625
malformed        0

sensor  count  mean  min  max   stddev  ewma(0.5)
east        1     5    5    5        -          5
north       2     2    1    3  1.41421          2
south       2    15   10   20  7.07107         15"

expect "--by, table" 0 "${keyed_table}" "" \
  "${data}/keyed.csv" -q -a 0.5 --column reading --by sensor
expect "--by with column numbers takes the labels from the header" 0 "${keyed_table}" "" \
  "${data}/keyed.csv" -q -a 0.5 --column 2 --by 1

expect "--by, csv" 0 "\
${csv_header}
group,east,1,5,5,5,,5
group,north,2,2,1,3,1.4142135623730951,2
group,south,2,15,10,20,7.0710678118654755,15
total,,5,7.8,1,20,7.5960516059331775,8.5625" "" \
  "${data}/keyed.csv" -q -a 0.5 -c reading -b sensor -f csv

expect "--by, json" 0 '{
  "count": 5,
  "mean": 7.8,
  "min": 1,
  "max": 20,
  "stddev": 7.5960516059331775,
  "ewma": 8.5625,
  "alpha": 0.5,
  "malformed": {"count": 0, "first": []},
  "by": "sensor",
  "groups": {
    "east": {"count": 1, "mean": 5, "min": 5, "max": 5, "stddev": null, "ewma": 5},
    "north": {"count": 2, "mean": 2, "min": 1, "max": 3, "stddev": 1.4142135623730951, "ewma": 2},
    "south": {"count": 2, "mean": 15, "min": 10, "max": 20, "stddev": 7.0710678118654755, "ewma": 15}
  }
}' "" \
  "${data}/keyed.csv" -q -a 0.5 -c reading -b sensor -f json

expect "--by, quoted keys holding commas" 0 "\
${csv_header}
group,Bergen,1,2,2,2,,2
group,\"Oslo, north\",2,2,1,3,1.4142135623730951,2
total,,3,2,1,3,1,2" "" \
  "${data}/quoted_keys.csv" -q -a 0.5 -c reading -b site -f csv

# --- running values -----------------------------------------------------------------------

expect "--every, csv" 0 "\
${csv_header}
running,,5,3,1,5,1.5811388300841898,4.0625
running,,10,5.5,1,10,3.0276503540974917,9.001953125
total,,10,5.5,1,10,3.0276503540974917,9.001953125" "" \
  "${data}/one_to_ten.txt" -q -a 0.5 -f csv --every 5

expect "--every, table" 0 "\
       count        mean         min         max      stddev   ewma(0.5)
           4         2.5           1           4     1.29099       3.125
           8         4.5           1           8     2.44949     7.00781

count           10
mean           5.5
min              1
max             10
stddev     3.02765
ewma(0.5)  9.00195
malformed        0" "" \
  "${data}/one_to_ten.txt" -q -a 0.5 --every 4

# --- bad input ----------------------------------------------------------------------------

expect "malformed lines are counted and the first five shown" 0 "\
${csv_header}
total,,5,3,1,5,1.5811388300841898,4.0625" "\
stream_stats: line 2: not a number: \"abc\"
stream_stats: line 4: empty line
stream_stats: line 6: not a number: \"1,5\"
stream_stats: line 7: not a finite number: \"nan\"
stream_stats: line 9: out of range: \"1e999\"
stream_stats: 7 malformed lines skipped (the first 5 shown)" \
  "${data}/malformed.txt" -q -a 0.5 -f csv

expect "malformed lines in the table" 0 "\
count            5
mean             3
min              1
max              5
stddev     1.58114
ewma(0.1)   1.9049
malformed        7" "*" \
  "${data}/malformed.txt" -q

expect "empty file, table" 0 "\
count      0
mean       -
min        -
max        -
stddev     -
ewma(0.1)  -
malformed  0" "" \
  "${data}/empty.txt" -q
expect "empty file, csv" 0 "\
${csv_header}
total,,0,,,,," "" \
  "${data}/empty.txt" -q -f csv
expect "empty file, json" 0 '{
  "count": 0,
  "mean": null,
  "min": null,
  "max": null,
  "stddev": null,
  "ewma": null,
  "alpha": 0.1,
  "malformed": {"count": 0, "first": []}
}' "" \
  "${data}/empty.txt" -q -f json

# --- errors -------------------------------------------------------------------------------

expect "missing file" 1 "" \
  "stream_stats: error: ${data}/no_such_file.txt: No such file or directory" \
  "${data}/no_such_file.txt"
expect "directory as input" 1 "" "stream_stats: error: ${data}: is a directory" "${data}"
expect "unknown column" 1 "" \
  "stream_stats: error: --column \"celsius\": unknown column; the header has \"name\", \"value\"" \
  "${data}/header.csv" --column celsius
expect "unknown --by column" 1 "" \
  "stream_stats: error: --by \"site\": unknown column; the header has \"sensor\", \"reading\"" \
  "${data}/keyed.csv" --column reading --by site
expect "column number beyond the fields" 1 "" \
  "stream_stats: error: --column 5: no such column, the first line has 2 fields" \
  "${data}/no_header.csv" --column 5
expect "bad --every" 2 "" \
  "stream_stats: error: --every: expected a whole number of at least 1, got \"0\"" \
  "${data}/one_to_ten.txt" --every 0
expect "bad --alpha" 2 "" \
  "stream_stats: error: --alpha: expected a number greater than 0 and at most 1, got \"1.5\"" \
  "${data}/one_to_ten.txt" --alpha 1.5
expect "bad --format" 2 "" \
  "stream_stats: error: --format: expected table, csv or json, got \"xml\"" \
  "${data}/one_to_ten.txt" --format xml
expect "bad --column" 2 "" \
  "stream_stats: error: --column: columns are numbered from 1, got 0" \
  "${data}/header.csv" --column 0
expect "--by without --column" 2 "" \
  "stream_stats: error: --by needs --column: say which CSV column holds the values" \
  "${data}/keyed.csv" --by sensor
expect "unknown option" 2 "" "*" "${data}/one_to_ten.txt" --bogus
check "unknown option is one line on stderr naming it" \
  bash -c '[[ $(wc -l <"$1") == 1 ]] && grep -q -- "--bogus" "$1"' _ "${scratch}/err"

# --- the built-in stream ------------------------------------------------------------------

expect "built-in stream" 0 "*" "*" --readings 200000 -q -f csv
cp "${scratch}/out" "${scratch}/first"
check "built-in stream counts its readings" grep -q '^total,,200000,' "${scratch}/first"
expect "built-in stream again, same seed" 0 "*" "*" --readings 200000 -q -f csv
check "built-in stream is the same for the same seed" cmp -s "${scratch}/first" "${scratch}/out"
expect "built-in stream, another seed" 0 "*" "*" --readings 200000 -q -f csv --seed 99
check "built-in stream differs for another seed" \
  bash -c '! cmp -s "$1" "$2"' _ "${scratch}/first" "${scratch}/out"
expect "built-in stream per sensor" 0 "*" "*" --readings 2000 -q --by sensor
check "built-in stream has four sensors" \
  bash -c '[[ $(grep -cE "^(north|south|east|west) " "$1") == 4 ]]' _ "${scratch}/out"
expect "built-in stream announces itself and its throughput" 0 "*" "*" --readings 1000
check "announcement and throughput on stderr" \
  bash -c 'grep -q "built-in stream of 1,000 generated sensor readings" "$1" &&
           grep -qE "^stream_stats: 1,000 values in [0-9.]+ s \(.* values/s\)$" "$1" &&
           ! grep -q $'"'"'\r'"'"' "$1"' _ "${scratch}/err"

# --- --profile ---------------------------------------------------------------------------

expect "--profile leaves stdout as it was" 0 "*" "*" "${data}/malformed.txt"
cp "${scratch}/out" "${scratch}/plain"
expect "--profile" 0 "*" "*" "${data}/malformed.txt" --profile
check "--profile leaves stdout unchanged" cmp -s "${scratch}/plain" "${scratch}/out"
# Times differ from run to run: only the names and counts are compared.
sed -nE 's/^  ([a-z/+ ]*[a-z]) +([0-9,]+) +([0-9,]+) +[0-9.]+ ms$/\1 \2 \3/p' "${scratch}/err" \
  >"${scratch}/profile"
printf '%s\n' "parse 12 12" "partition 12 0" "malformed/unwrap 7 7" "malformed/collect 7 0" \
  "samples/value 5 5" "samples/statistics 5 0" >"${scratch}/want_profile"
check "--profile counts the values into and out of every stage" \
  diff -u "${scratch}/want_profile" "${scratch}/profile"
check "--profile comes after the throughput line, on stderr" \
  bash -c 'profile=$(grep -n "^stream_stats: profile per pipeline stage" "$1" | cut -d: -f1) &&
           throughput=$(grep -n "^stream_stats: 5 values in" "$1" | cut -d: -f1) &&
           ((profile > throughput))' _ "${scratch}/err"
expect "--profile with --by" 0 "*" "*" "${data}/keyed.csv" --column reading --by sensor --profile -q
check "--profile with --by names the per-key branch" \
  grep -qE "^  samples/overall\+by key +[0-9,]+ +0 +[0-9.]+ ms$" "${scratch}/err"

expect "help" 0 "*" "" --help
check "help shows usage and options" \
  bash -c 'grep -q "^Usage:" "$1" && grep -q -- "--column" "$1" && grep -q -- "--every" "$1"' \
  _ "${scratch}/out"
check "help shows --profile" grep -q -- "--profile" "${scratch}/out"
check "help points to the Redis modes" grep -q -- "--redis HOST:PORT --help" "${scratch}/out"

# --- output that cannot be written --------------------------------------------------------

write_error="stream_stats: error: cannot write to stdout: No space left on device"
for format in table csv json; do
  "${program}" "${data}/one_to_ten.txt" -q -f "${format}" >/dev/full 2>"${scratch}/err"
  status=$?
  check "a full disk fails the ${format} output with status 1" \
    bash -c '(($1 == 1)) && [[ $(cat "$2") == "$3" ]]' _ "${status}" "${scratch}/err" "${write_error}"
done
"${program}" --help >/dev/full 2>"${scratch}/err"
status=$?
check "a full disk fails --help with status 1" \
  bash -c '(($1 == 1)) && [[ $(cat "$2") == "$3" ]]' _ "${status}" "${scratch}/err" "${write_error}"
"${program}" "${data}/one_to_ten.txt" -q >&- 2>"${scratch}/err"
status=$?
check "a closed stdout fails with status 1" \
  bash -c '(($1 == 1)) && grep -q "^stream_stats: error: cannot write to stdout: " "$2"' _ \
  "${status}" "${scratch}/err"
for format in table json; do
  # SIGPIPE ignored, as some shells and services leave it: the closed pipe must stop the run.
  (
    trap '' PIPE
    yes 1 | timeout 20 "${program}" - -q -f "${format}" --every 1 2>"${scratch}/err" | head -n 1 \
      >/dev/null
    echo "${PIPESTATUS[1]}" >"${scratch}/status"
  )
  check "a closed pipe stops --every 1 over endless input (${format})" \
    bash -c 'status=$(cat "$1"); ((status == 1)) &&
             grep -q "^stream_stats: error: cannot write to stdout: Broken pipe$" "$2"' _ \
    "${scratch}/status" "${scratch}/err"
done

# --- bazel run: relative paths from where bazel was run ------------------------------------

mkdir -p "${scratch}/elsewhere" "${scratch}/user"
cp "${data}/one_to_ten.txt" "${scratch}/user/numbers.txt"
(cd "${scratch}/elsewhere" &&
  BUILD_WORKING_DIRECTORY="${scratch}/user" "${program}" numbers.txt -q -f csv -a 0.5 \
    >"${scratch}/out" 2>"${scratch}/err")
check "a relative input resolves against BUILD_WORKING_DIRECTORY" \
  grep -q '^total,,10,5.5,' "${scratch}/out"
(cd "${scratch}/user" &&
  BUILD_WORKING_DIRECTORY="${scratch}/elsewhere" "${program}" "${scratch}/user/numbers.txt" -q \
    -f csv >"${scratch}/out" 2>"${scratch}/err")
check "an absolute input ignores BUILD_WORKING_DIRECTORY" grep -q '^total,,10,5.5,' "${scratch}/out"
(cd "${scratch}/user" && BUILD_WORKING_DIRECTORY="${scratch}/elsewhere" "${program}" numbers.txt \
  >"${scratch}/out" 2>"${scratch}/err")
check "a missing relative input is named as given" \
  grep -qx "stream_stats: error: numbers.txt: No such file or directory" "${scratch}/err"

# --- any bytes in, valid JSON and a safe terminal out -----------------------------------------

json_valid() { python3 -c 'import json,sys; json.load(sys.stdin)' <"$1"; }
printf 'caf\xe9\n1\n\x00\xff\xfe binary\n2\n' >"${scratch}/latin1.txt"
stdin="${scratch}/latin1.txt" expect "Latin-1 and binary malformed lines" 0 "*" "*" - -q -f json
check "JSON of Latin-1 and binary lines is valid UTF-8 JSON" json_valid "${scratch}/out"
# A four-byte character straddling the 200-byte cut of a kept malformed line.
{
  printf 'x%.0s' {1..198}
  printf '\xf0\x9f\x98\x80 tail\n1\n'
} >"${scratch}/straddle.txt"
stdin="${scratch}/straddle.txt" expect "a character straddling the cut" 0 "*" "*" - -q -f json
check "JSON of a line cut near a four-byte character is valid" json_valid "${scratch}/out"
printf 'se\x1bnsor,reading\n\x1b[31mred,1\nbad\xe9,2\nnorth,x\x1b[2J\n' >"${scratch}/esc.csv"
stdin="${scratch}/esc.csv" expect "ESC in keys, json" 0 "*" "*" - -q -f json -c 2 --by 1
check "JSON of ESC sequences and Latin-1 in keys is valid" json_valid "${scratch}/out"
check "JSON escapes ESC" bash -c '! grep -q $'"'"'\x1b'"'"' "$1" && grep -q "u001b\[31mred" "$1"' \
  _ "${scratch}/out"
for format in table csv; do
  stdin="${scratch}/esc.csv" expect "ESC in keys, ${format}" 0 "*" "*" - -q -f "${format}" -c 2 \
    --by 1
  check "the ${format} output escapes ESC in keys" \
    bash -c '! grep -q $'"'"'\x1b'"'"' "$1" && grep -q "u001b\[31mred" "$1"' _ "${scratch}/out"
done
check "stderr escapes ESC in malformed lines" \
  bash -c '! grep -q $'"'"'\x1b'"'"' "$1" && grep -q "x\\\\u001b\[2J" "$1"' _ "${scratch}/err"

# --- byte order mark, blank lines, tiny numbers --------------------------------------------

printf '\xef\xbb\xbf1\n2\n' >"${scratch}/bom.txt"
stdin="${scratch}/bom.txt" expect "a byte order mark before a plain number" 0 "\
${csv_header}
total,,2,1.5,1,2,0.7071067811865476,1.5" "" - -q -f csv -a 0.5
printf '\xef\xbb\xbfvalue\n1\n2\n' >"${scratch}/bom.csv"
stdin="${scratch}/bom.csv" expect "a byte order mark before a CSV header" 0 "\
${csv_header}
total,,2,1.5,1,2,0.7071067811865476,1.5" "" - -q -f csv -a 0.5 -c value
printf '\n\nvalue\n1\n2\n' >"${scratch}/blank.csv"
stdin="${scratch}/blank.csv" expect "blank lines before a CSV header" 0 "\
${csv_header}
total,,2,1.5,1,2,0.7071067811865476,1.5" "\
stream_stats: line 1: empty line
stream_stats: line 2: empty line
stream_stats: 2 malformed lines skipped" - -q -f csv -a 0.5 -c value
printf '1e-400\n-1e-400\n1e400\n' >"${scratch}/tiny.txt"
stdin="${scratch}/tiny.txt" expect "a number too small for a double is zero, too large is an error" \
  0 "${csv_header}
total,,2,0,0,0,0,0" "\
stream_stats: line 3: out of range: \"1e400\"
stream_stats: 1 malformed line skipped" - -q -f csv

# --- runs that fail after their report -----------------------------------------------------

expect "a CSV read without --column" 1 "*" "\
stream_stats: line 1: not a number: \"name,value\"
stream_stats: line 2: not a number: \"a,1\"
stream_stats: line 3: not a number: \"b,2\"
stream_stats: line 4: not a number: \"c,3\"
stream_stats: line 5: not a number: \"d,4\"
stream_stats: 5 malformed lines skipped
stream_stats: error: no line held a number (5 malformed lines); is this a CSV? try --column NAME" \
  "${data}/header.csv" -q
expect "--strict" 1 "*" "\
stream_stats: line 2: not a number: \"abc\"
stream_stats: line 4: empty line
stream_stats: line 6: not a number: \"1,5\"
stream_stats: line 7: not a finite number: \"nan\"
stream_stats: line 9: out of range: \"1e999\"
stream_stats: 7 malformed lines skipped (the first 5 shown)
stream_stats: error: --strict: line 2 is malformed (7 malformed lines)" \
  "${data}/malformed.txt" -q --strict
expect "--strict on good input" 0 "*" "" "${data}/one_to_ten.txt" -q --strict
expect "--seed with a file" 2 "" \
  "stream_stats: error: --seed only applies to the built-in stream, not to an input file" \
  "${data}/one_to_ten.txt" --seed 3
expect "--readings with stdin" 2 "" \
  "stream_stats: error: --readings only applies to the built-in stream, not to an input file" \
  - --readings 3
expect "--every with json streams the running rows first" 0 '{
  "running": [
    {"count": 5, "mean": 3, "min": 1, "max": 5, "stddev": 1.5811388300841898, "ewma": 4.0625},
    {"count": 10, "mean": 5.5, "min": 1, "max": 10, "stddev": 3.0276503540974917, "ewma": 9.001953125}
  ],
  "count": 10,
  "mean": 5.5,
  "min": 1,
  "max": 10,
  "stddev": 3.0276503540974917,
  "ewma": 9.001953125,
  "alpha": 0.5,
  "malformed": {"count": 0, "first": []}
}' "" "${data}/one_to_ten.txt" -q -f json -a 0.5 --every 5

# --- sum, distinct, quantiles --------------------------------------------------------------

expect "--sum, --distinct and --quantiles, table" 0 "\
count           10
mean           5.5
min              1
max             10
stddev     3.02765
ewma(0.1)  4.48678
sum             55
distinct        10
p25           3.25
p50            5.5
p99.9        9.991
malformed        0" "" "${data}/one_to_ten.txt" -q --sum --distinct --quantiles 0.25,0.5,0.999
expect "--median, csv" 0 "\
kind,key,count,mean,min,max,stddev,ewma,p50
total,,10,5.5,1,10,3.0276503540974917,4.4867844009999995,5.5" "" \
  "${data}/one_to_ten.txt" -q --median -f csv
expect "--median and --sum, json" 0 '{
  "count": 10,
  "mean": 5.5,
  "min": 1,
  "max": 10,
  "stddev": 3.0276503540974917,
  "ewma": 4.4867844009999995,
  "sum": 55,
  "p50": 5.5,
  "alpha": 0.1,
  "malformed": {"count": 0, "first": []}
}' "" "${data}/one_to_ten.txt" -q --median --sum -f json

expect "--distinct --approx states the HyperLogLog's error, json" 0 '{
  "count": 10,
  "mean": 5.5,
  "min": 1,
  "max": 10,
  "stddev": 3.0276503540974917,
  "ewma": 4.4867844009999995,
  "distinct": 10,
  "alpha": 0.1,
  "distinct_error": "relative standard error 0.81% (HyperLogLog p=14)",
  "malformed": {"count": 0, "first": []}
}' "" "${data}/one_to_ten.txt" -q --distinct --approx -f json
expect "--distinct --approx states the HyperLogLog's error, csv" 0 "\
kind,key,count,mean,min,max,stddev,ewma,distinct,distinct_error
total,,10,5.5,1,10,3.0276503540974917,4.4867844009999995,10,relative standard error 0.81% (HyperLogLog p=14)" \
  "" "${data}/one_to_ten.txt" -q --distinct --approx -f csv

expect "--median --approx states the KLL sketch's error, table" 0 "\
count           10
mean           5.5
min              1
max             10
stddev     3.02765
ewma(0.1)  4.48678
distinct        10
p50              5
malformed        0
quantiles  approximate quantiles (KLL sketch, k = 200): rank error <= 0.013 with probability >= 99%, measured
distinct   relative standard error 0.81% (HyperLogLog p=14)" "" "${data}/one_to_ten.txt" -q --median \
  --approx --distinct

# --- several value columns and key fields ----------------------------------------------------

expect "two value columns and two keys, table" 0 "\
             price      qty
count            5        5
mean          2.65        3
min             -1        1
max           7.25        5
stddev     2.99792  1.58114
ewma(0.1)   2.0804   2.4049
sum          13.25       15
malformed        0

region  shop  column  count   mean  min   max   stddev  ewma(0.1)   sum
n       a     price       2   2.25  1.5     3  1.06066       1.65   4.5
n       a     qty         2    3.5    2     5  2.12132        2.3     7
n       b     price       1    2.5  2.5   2.5        -        2.5   2.5
n       b     qty         1      3    3     3        -          3     3
s       a     price       2  3.125   -1  7.25  5.83363     -0.175  6.25
s       a     qty         2    2.5    1     4  2.12132        3.7     5" "" \
  "${data}/two_columns.csv" -q -c price,qty --by region,shop --sum
expect "two value columns and two keys, csv" 0 "\
kind,key1,key2,column,count,mean,min,max,stddev,ewma,p50
group,n,a,price,2,2.25,1.5,3,1.0606601717798212,1.6500000000000001,2.25
group,n,a,qty,2,3.5,2,5,2.1213203435596424,2.3,3.5
group,n,b,price,1,2.5,2.5,2.5,,2.5,2.5
group,n,b,qty,1,3,3,3,,3,3
group,s,a,price,2,3.125,-1,7.25,5.833630944789017,-0.17499999999999993,3.125
group,s,a,qty,2,2.5,1,4,2.1213203435596424,3.7,2.5
total,,,price,5,2.65,-1,7.25,2.9979159427842537,2.0804,2.5
total,,,qty,5,3,1,5,1.5811388300841898,2.4049,3" "" \
  "${data}/two_columns.csv" -q -c 3,4 --by 1,2 --median -f csv
expect "two value columns and two keys, json" 0 '{
  "columns": {
    "price": {"count": 5, "mean": 2.65, "min": -1, "max": 7.25, "stddev": 2.9979159427842537, "ewma": 2.0804},
    "qty": {"count": 5, "mean": 3, "min": 1, "max": 5, "stddev": 1.5811388300841898, "ewma": 2.4049}
  },
  "alpha": 0.1,
  "malformed": {"count": 0, "first": []},
  "by": ["region", "shop"],
  "groups": [
    {"key": {"region": "n", "shop": "a"}, "columns": {
      "price": {"count": 2, "mean": 2.25, "min": 1.5, "max": 3, "stddev": 1.0606601717798212, "ewma": 1.6500000000000001},
      "qty": {"count": 2, "mean": 3.5, "min": 2, "max": 5, "stddev": 2.1213203435596424, "ewma": 2.3}
    }},
    {"key": {"region": "n", "shop": "b"}, "columns": {
      "price": {"count": 1, "mean": 2.5, "min": 2.5, "max": 2.5, "stddev": null, "ewma": 2.5},
      "qty": {"count": 1, "mean": 3, "min": 3, "max": 3, "stddev": null, "ewma": 3}
    }},
    {"key": {"region": "s", "shop": "a"}, "columns": {
      "price": {"count": 2, "mean": 3.125, "min": -1, "max": 7.25, "stddev": 5.833630944789017, "ewma": -0.17499999999999993},
      "qty": {"count": 2, "mean": 2.5, "min": 1, "max": 4, "stddev": 2.1213203435596424, "ewma": 3.7}
    }}
  ]
}' "" "${data}/two_columns.csv" -q -c price,qty --by region,shop -f json

# --- delimiters ---------------------------------------------------------------------------

tr , '\t' <"${data}/two_columns.csv" >"${scratch}/two_columns.tsv"
tr , ';' <"${data}/two_columns.csv" >"${scratch}/two_columns.ssv"
tsv_by_region="\
kind,key,count,mean,min,max,stddev,ewma
group,n,3,2.3333333333333335,1.5,3,0.7637626158259734,1.7400000000000002
group,s,2,3.125,-1,7.25,5.833630944789017,-0.17499999999999993
total,,5,2.65,-1,7.25,2.9979159427842537,2.0804"
expect "TSV with -t tab" 0 "${tsv_by_region}" "" "${scratch}/two_columns.tsv" -q -t tab -c price \
  --by region -f csv
expect "TSV with --delimiter '\\t'" 0 "${tsv_by_region}" "" "${scratch}/two_columns.tsv" -q \
  --delimiter '\t' -c price --by region -f csv
expect "semicolons with -t ';'" 0 "${tsv_by_region}" "" "${scratch}/two_columns.ssv" -q -t ';' \
  -c price --by region -f csv

# --- windows ------------------------------------------------------------------------------

expect "--window of values, per key" 0 "\
       start         end  region           count        mean         min         max      stddev   ewma(0.1)
           1           2  n                    2           2         1.5         2.5    0.707107         1.6
           3           4  n                    1           3           3           3           -           3
           3           4  s                    1          -1          -1          -1           -          -1
           5           5  s                    1        7.25        7.25        7.25           -        7.25

count            5
mean          2.65
min             -1
max           7.25
stddev     2.99792
ewma(0.1)   2.0804
malformed        0

region  count     mean  min   max    stddev  ewma(0.1)
n           3  2.33333  1.5     3  0.763763       1.74
s           2    3.125   -1  7.25   5.83363     -0.175" "" \
  "${data}/two_columns.csv" -q -c 3 --by 1 --window 2
expect "--window of time with --time-column" 0 "\
kind,start,end,key,count,mean,min,max,stddev,ewma
window,1700000000,1700000010,,3,4.333333333333333,1,7,3.055050463303893,4.78
window,1700000010,1700000020,,1,4,4,4,,4
window,1700000030,1700000040,,1,8,8,8,,8
total,,,,5,5,1,8,2.7386127875258306,5.0318000000000005" \
  'stream_stats: line 6: ts (the time) is not a number: "bad,3"
stream_stats: 1 malformed line skipped' "${data}/timed.csv" -q -c ms --time-column ts --window 10s \
  -f csv
expect "--window of time, json" 0 '{
  "windows": [
    {"start": 1699999980, "end": 1700000040, "count": 5, "mean": 5, "min": 1, "max": 8, "stddev": 2.7386127875258306, "ewma": 5.0318000000000005}
  ],
  "count": 5,
  "mean": 5,
  "min": 1,
  "max": 8,
  "stddev": 2.7386127875258306,
  "ewma": 5.0318000000000005,
  "alpha": 0.1,
  "late": 0,
  "malformed": {"count": 1, "first": [{"line": 6, "reason": "ts (the time) is not a number", "text": "bad,3"}]}
}' "*" "${data}/timed.csv" -q -c ms --time-column ts --window 1m -f json
expect "--window of time counts a value older than the newest value's window as late" 0 "\
       start         end       count        mean         min         max      stddev   ewma(0.1)
         100         110           2         1.5           1           2    0.707107         1.1
         110         120           1           3           3           3           -           3
         120         130           1           5           5           5           -           5

count            5
mean             3
min              1
max              5
stddev     1.58114
ewma(0.1)   1.9049
malformed        0
late             1" \
  "stream_stats: 1 value came after its window had been written: in the totals, in no window" \
  "${data}/late.csv" -q -c v --time-column ts --window 10s

# --- bad options name themselves ------------------------------------------------------------

expect "quantile above 1" 2 "" \
  'stream_stats: error: --quantiles: expected numbers from 0 to 1 separated by commas (0.5,0.9,0.99), got "1.5"' \
  "${data}/one_to_ten.txt" --quantiles 0.5,1.5
expect "quantile that is no number" 2 "" \
  'stream_stats: error: --quantiles: expected numbers from 0 to 1 separated by commas (0.5,0.9,0.99), got "p90"' \
  "${data}/one_to_ten.txt" --quantiles p90
expect "window of zero" 2 "" \
  'stream_stats: error: --window: expected a number of values (1000) or a duration (10s, 5m, 2h, 1d, 500ms) greater than zero, got "0s"' \
  "${data}/timed.csv" -c ms --time-column ts --window 0s
expect "window that does not parse" 2 "" \
  'stream_stats: error: --window: expected a number of values (1000) or a duration (10s, 5m, 2h, 1d, 500ms), got "10 parsecs"' \
  "${data}/timed.csv" -c ms --window "10 parsecs"
expect "window of time without --time-column" 2 "" \
  "stream_stats: error: --window: a window of a duration needs --time-column, the column of each value's time" \
  "${data}/timed.csv" -c ms --window 5m
expect "unknown --time-column" 1 "" \
  'stream_stats: error: --time-column "time": unknown column; the header has "ts", "ms"' \
  "${data}/timed.csv" -c ms --time-column time --window 5m
expect "unknown column among several" 1 "" \
  'stream_stats: error: --column "cost": unknown column; the header has "region", "shop", "price", "qty"' \
  "${data}/two_columns.csv" -c price,cost
expect "unknown key field among several" 1 "" \
  'stream_stats: error: --by "town": unknown column; the header has "region", "shop", "price", "qty"' \
  "${data}/two_columns.csv" -c price --by region,town
expect "empty delimiter" 2 "" \
  'stream_stats: error: --delimiter: expected one character (or "tab"), got an empty value' \
  "${data}/two_columns.csv" -c price -t ""
expect "delimiter of two characters" 2 "" \
  'stream_stats: error: --delimiter: expected one character (or "tab" or "\t"), got "::"' \
  "${data}/two_columns.csv" -c price -t ::
expect "--approx without quantiles or distinct" 2 "" \
  "stream_stats: error: --approx is for --quantiles, --median or --distinct: give one of them" \
  "${data}/one_to_ten.txt" --approx

# --- progress -----------------------------------------------------------------------------

# Only on a terminal: never when stderr is a file or a pipe (every run above), never for stdin,
# never with --quiet. `script` gives the tool a terminal where util-linux has it.
awk 'BEGIN { for (i = 0; i < 400000; ++i) print i % 1000 }' >"${scratch}/long.txt"
expect "no progress when stderr is no terminal" 0 "*" "*" "${scratch}/long.txt" -f csv
check "no progress line in a file" bash -c '! grep -q "%" "$1" && ! grep -q $'"'"'\r'"'"' "$1"' _ \
  "${scratch}/err"
if command -v script >/dev/null && script -qec true /dev/null >/dev/null 2>&1; then
  in_terminal() {
    script -qec "$1" /dev/null >"${scratch}/tty" 2>&1
  }
  in_terminal "'${program}' '${scratch}/long.txt' -f csv >'${scratch}/tty_out'"
  # The line is drawn at most every 0.1 s, from the 65,536th value on: an optimized build may
  # finish before the first drawing, so its presence is required only of a run that took 0.5 s.
  seconds=$(grep -oE 'values in [0-9.]+ s' "${scratch}/tty" | cut -d' ' -f3)
  if awk -v s="${seconds:-0}" 'BEGIN { exit !(s >= 0.5) }'; then
    check "progress on a terminal shows the share, the rate and the time left" \
      grep -qE $'\r''stream_stats: +[0-9]+% [0-9.]+ [KM]iB of [0-9.]+ MiB, [0-9.]+ [KM]iB/s, .* values/s, [0-9]+:[0-9]{2}:[0-9]{2} left' \
      "${scratch}/tty"
  else
    echo "skip progress line check: the run took ${seconds:-?} s, too short to draw one"
  fi
  erased_before_the_report() {
    ! grep -q "%" "$1" || grep -qE $'\r\x1b''\[Kstream_stats: 400,000 values in' "$1"
  }
  check "progress, if drawn, is erased before the throughput line" \
    erased_before_the_report "${scratch}/tty"
  check "the report on stdout is untouched by progress" \
    grep -qxE "total,,400000,499\.5[0-9]*,0,999,[0-9.]+,[0-9.]+.?" "${scratch}/tty_out"
  in_terminal "cat '${scratch}/long.txt' | '${program}' - -f csv >/dev/null"
  check "no progress for stdin" bash -c '! grep -q "%" "$1"' _ "${scratch}/tty"
  in_terminal "'${program}' '${scratch}/long.txt' -q -f csv >/dev/null"
  check "no progress with --quiet" bash -c '! grep -q "%" "$1"' _ "${scratch}/tty"
else
  echo "skip progress on a terminal: no util-linux script here"
fi

echo "${passed} passed, ${failed} failed"
((failed == 0))
