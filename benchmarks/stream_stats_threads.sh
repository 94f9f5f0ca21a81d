#!/usr/bin/env bash
# stream_stats --threads 2 against --threads 1 (and more), wall time, runs alternating so that
# a change in the machine's load falls on both alike.
#
#   benchmarks/stream_stats_threads.sh               10 M plain lines and 1 M CSV rows by 1000
#                                                    keys, 1 and 2 threads, 3 runs each, medians
#   RUNS=5 THREADS="1 2 4" benchmarks/stream_stats_threads.sh
#   OTHER=path/to/stream_stats benchmarks/stream_stats_threads.sh
#                                                    also another build (an older revision)
#
# Files under $DATA (default /tmp/stream_stats_files) from benchmarks/stream_stats_data.py:
# plain10M.txt and by1000.csv. Builds //tools/stream_stats with -c opt first unless
# NO_BUILD=1. Before timing, each build's output with every thread count is checked to be the
# same as with one thread, byte for byte. Prints the load average before and after.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${RUNS:-3}
data=${DATA:-/tmp/stream_stats_files}
threads=(${THREADS:-1 2})

if [[ ${NO_BUILD:-0} != 1 ]]; then
  ./bazelw build -c opt --copt=-O2 --jobs=2 //tools/stream_stats:stream_stats >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp bazel-bin/tools/stream_stats/stream_stats "$tmp/"
python3 benchmarks/stream_stats_data.py "$data" plain10M.txt by1000.csv

builds=(now)
declare -A program=([now]=$tmp/stream_stats)
if [[ -n ${OTHER:-} ]]; then
  builds=(other now)
  program[other]=$OTHER
fi
declare -A workload=([plain10M]="$data/plain10M.txt -q -f csv"
  [by1000]="$data/by1000.csv -q -f csv -c value --by key")

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for name in plain10M by1000; do
  for build in "${builds[@]}"; do
    # shellcheck disable=SC2086
    "${program[$build]}" ${workload[$name]} --threads 1 >"$tmp/one"
    for n in "${threads[@]}"; do
      # shellcheck disable=SC2086
      "${program[$build]}" ${workload[$name]} --threads "$n" | cmp -s - "$tmp/one" || {
        echo "error: $build on $name: --threads $n differs from --threads 1" >&2
        exit 1
      }
    done
  done
  declare -A times=()
  for ((i = 0; i < runs; i++)); do
    for build in "${builds[@]}"; do
      for n in "${threads[@]}"; do
        start=$EPOCHREALTIME
        # shellcheck disable=SC2086
        "${program[$build]}" ${workload[$name]} --threads "$n" >/dev/null
        times[$build,$n]+="$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }') "
      done
    done
  done
  for build in "${builds[@]}"; do
    for n in "${threads[@]}"; do
      median=$(printf '%s\n' ${times[$build,$n]} | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }')
      printf '%-9s %-6s --threads %-3s median %6s s   runs: %s\n' "$name" "$build" "$n" "$median" \
        "${times[$build,$n]}"
    done
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
