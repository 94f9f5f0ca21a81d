#!/usr/bin/env bash
# stream_stats on files, in wall time and peak memory, against the hand-written C++ loop
# (stream_stats_hand.cc) and mawk computing the same statistics (count, mean, min, max, sample
# standard deviation, EWMA with alpha 0.1), in one run, side by side.
#
#   benchmarks/stream_stats_files.sh                 every workload, 5 runs each, medians
#   RUNS=9 benchmarks/stream_stats_files.sh plain    the workloads whose name matches
#   OTHER=path/to/stream_stats benchmarks/stream_stats_files.sh
#                                                    also measures another build of the tool
#                                                    (an older revision) in the same run
#   SAME_WORK=1 benchmarks/stream_stats_files.sh     also measures the hand loop with the
#                                                    tool's compensated statistics
#                                                    (stream_stats_hand --compensated)
#
# Workloads (files made once under $DATA, default /tmp/stream_stats_files, by
# benchmarks/stream_stats_data.py with a fixed seed): "plain", 2,000,000 lines of one number;
# "by10", "by1000", "by1M", 1,000,000 CSV rows
# "key,value" with 10, 1000 and 1,000,000 distinct keys (statistics per key and overall).
# Builds //tools/stream_stats:stream_stats and //benchmarks:stream_stats_hand with -c opt
# (-O2) first, unless NO_BUILD=1. Times are wall-clock seconds of the whole process (start-up
# and output included): the median and the fastest of RUNS runs, taken round robin across the
# programs, and the median CPU time (user + system); memory is the largest maximum resident set
# size that /usr/bin/time saw. Before timing, the programs' totals (count, mean, stddev) are
# checked to agree (to 9 significant digits: mawk prints with %.17g, stream_stats its shortest
# round trip).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

runs=${RUNS:-5}
data=${DATA:-/tmp/stream_stats_files}
filter=${1:-.}

if [[ ${NO_BUILD:-0} != 1 ]]; then
  ./bazelw build -c opt --copt=-O2 --jobs=2 //tools/stream_stats:stream_stats \
    //benchmarks:stream_stats_hand >&2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp bazel-bin/tools/stream_stats/stream_stats bazel-bin/benchmarks/stream_stats_hand "$tmp/"
tool=$tmp/stream_stats
hand=$tmp/stream_stats_hand

python3 benchmarks/stream_stats_data.py "$data"

# mawk: the same statistics, Welford's update, per key with --by.
mawk_plain='{ x = $1 + 0; n++; d = x - m; m += d / n; m2 += d * (x - m)
  if (n == 1 || x < lo) lo = x; if (n == 1 || x > hi) hi = x
  e = n == 1 ? x : 0.1 * x + 0.9 * e }
END { printf "total %d %.17g %.17g %.17g %.17g %.17g\n", n, m, lo, hi, sqrt(m2 / (n - 1)), e }'
mawk_by='BEGIN { FS = "," } NR > 1 { x = $2 + 0; k = $1
  c = ++kn[k]; d = x - km[k]; km[k] += d / c; km2[k] += d * (x - km[k])
  if (c == 1 || x < klo[k]) klo[k] = x; if (c == 1 || x > khi[k]) khi[k] = x
  ke[k] = c == 1 ? x : 0.1 * x + 0.9 * ke[k]
  n++; d = x - m; m += d / n; m2 += d * (x - m); e = n == 1 ? x : 0.1 * x + 0.9 * e }
END { for (k in kn) printf "%s %d %.17g %.17g %.17g %.17g %.17g\n", k, kn[k], km[k], klo[k], khi[k], (kn[k] > 1 ? sqrt(km2[k] / (kn[k] - 1)) : 0), ke[k]
  printf "total %d %.17g %.17g\n", n, m, sqrt(m2 / (n - 1)) }'

# argv NAME WORKLOAD: sets `args` to the command line of one program on one workload.
argv() {
  local file=$data/$2.csv by=(-c value --by key)
  [[ $2 == plain ]] && file=$data/plain.txt && by=()
  case $1 in
    hand) args=("$hand" "$file") && [[ $2 != plain ]] && args+=(--by) ;;
    same) args=("$hand" "$file" --compensated) && [[ $2 != plain ]] && args+=(--by) ;;
    mawk) args=(mawk "$mawk_by" "$file") && [[ $2 == plain ]] && args=(mawk "$mawk_plain" "$file") ;;
    stream_stats) args=("$tool" "$file" -q -f csv "${by[@]}") ;;
    other) args=("$OTHER" "$file" -q -f csv "${by[@]}") ;;
  esac
  return 0
}

# The totals' count, mean and stddev, to 9 significant digits.
totals() {
  case $1 in
    stream_stats | other) awk -F, '$1 == "total" { printf "%d %.9g %.9g\n", $3, $4, $7 }' ;;
    hand | same) awk '$1 == "total" { printf "%d %.9g %.9g\n", $2, $3, $6 }' ;;
    mawk) awk '$1 == "total" { printf "%d %.9g %.9g\n", $2, $3, (NF == 4 ? $4 : $6) }' ;;
  esac
}

# The median of its arguments (numbers).
middle() { printf '%s\n' "$@" | sort -n | awk '{ t[NR] = $1 } END { print t[int((NR + 1) / 2)] }'; }
# a / b to two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

programs=(hand stream_stats mawk)
[[ -n ${OTHER:-} ]] && programs=(hand other stream_stats mawk)
[[ ${SAME_WORK:-0} == 1 ]] && programs=(hand same "${programs[@]:1}")

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-13s %9s %9s %8s %9s %8s %9s\n' workload program "seconds" "max MiB" "x hand" \
  "fastest" "x hand" "CPU s"
for workload in plain by10 by1000 by1M; do
  [[ $workload =~ $filter ]] || continue
  reference=""
  for name in "${programs[@]}"; do
    argv "$name" "$workload"
    answer=$("${args[@]}" | totals "$name")
    if [[ -z $reference ]]; then
      reference=$answer
    elif [[ $answer != "$reference" ]]; then
      echo "error: $name on $workload answers '$answer', hand '$reference'" >&2
      exit 1
    fi
  done
  # Round robin: run i of every program before run i + 1 of any, so that a slow spell of the
  # machine (this kind of VM switches between two speeds for seconds at a time) falls on all of
  # them rather than on one program's runs.
  declare -A times=() cpu=() peak=()
  for name in "${programs[@]}"; do peak[$name]=0; done
  for ((i = 0; i < runs; i++)); do
    for name in "${programs[@]}"; do
      argv "$name" "$workload"
      start=$EPOCHREALTIME
      /usr/bin/time -f '%M %U %S' -o "$tmp/time" "${args[@]}" >/dev/null
      seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }')
      read -r kib user system <"$tmp/time"
      times[$name]+="$seconds "
      cpu[$name]+="$(awk -v u="$user" -v s="$system" 'BEGIN { printf "%.2f", u + s }') "
      ((kib > peak[$name])) && peak[$name]=$kib
    done
  done
  declare -A median=() best=() cpu_median=()
  for name in "${programs[@]}"; do
    median[$name]=$(middle ${times[$name]})
    best[$name]=$(printf '%s\n' ${times[$name]} | sort -n | head -n 1)
    cpu_median[$name]=$(middle ${cpu[$name]})
  done
  for name in "${programs[@]}"; do
    printf '%-8s %-13s %9s %9.1f %8s %9s %8s %9s\n' "$workload" "$name" "${median[$name]}" \
      "$(awk -v k="${peak[$name]}" 'BEGIN { print k / 1024 }')" \
      "$(ratio "${median[$name]}" "${median[hand]}")" "${best[$name]}" \
      "$(ratio "${best[$name]}" "${best[hand]}")" "${cpu_median[$name]}"
  done
  awk -v m="${median[mawk]}" -v s="${median[stream_stats]}" -v w="$workload" \
    'BEGIN { printf "%-8s stream_stats is %.2fx faster than mawk\n", w, m / s }'
done
