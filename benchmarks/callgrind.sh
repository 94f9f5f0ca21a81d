#!/usr/bin/env bash
# Instructions per value of every throughput variant, counted by callgrind.
#
#   benchmarks/callgrind.sh [REGEX]                  every variant whose "workload/variant" matches
#   benchmarks/callgrind.sh --annotate WORKLOAD VARIANT
#                                                    callgrind_annotate of one variant, by line
#
# Builds //benchmarks:throughput with -c opt (plus -g, which changes no generated code, so that
# the annotation can name source lines), then runs each variant once, outside the benchmark
# framework (`throughput --callgrind WORKLOAD VARIANT N`), at two sizes N1 and N2. The fixed cost
# of a run (process start-up, building the pipeline) cancels in the difference:
#
#   instructions per value = (Ir(N2) - Ir(N1)) / (N2 - N1)
#
# Inputs that variants read from memory (contiguous_readings, the stream_stats lines) are made at
# one fixed size whatever N is, so that making them cancels too. (Counting only the variant's
# own call with --toggle-collect would be neater, but callgrind loses track of it across
# Boost.Context's stack switches.)
#
# and the ratio is to the variant's reference, the hand-written loop of the same formula.
# Environment: N1, N2 (default 100000, 200000); NO_BUILD=1 uses the last build; THROUGHPUT=path
# measures that binary instead.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

n1=${N1:-100000}
n2=${N2:-200000}

build() {
  if [[ ${NO_BUILD:-0} != 1 && -z ${THROUGHPUT:-} ]]; then
    ./bazelw build -c opt --copt=-g --jobs=2 //benchmarks:throughput >&2
  fi
  # A private copy, so that another build in this workspace cannot swap the binary mid-run.
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  bin=$tmp/throughput
  cp "${THROUGHPUT:-bazel-out/k8-opt/bin/benchmarks/throughput}" "$bin"
}

# Ir of one run: callgrind prints "Collected : N" on stderr.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --callgrind "$@" 2>&1 \
    >/dev/null | sed -n 's/.*Collected : *//p'
}

if [[ ${1:-} == --annotate ]]; then
  [[ $# -eq 3 ]] || { echo "usage: $0 --annotate WORKLOAD VARIANT" >&2; exit 2; }
  build
  valgrind --tool=callgrind --dump-instr=yes --callgrind-out-file="$tmp/out" "$bin" --callgrind \
    "$2" "$3" "$n2" >/dev/null 2>&1
  callgrind_annotate --auto=yes --show-percs=no --threshold=99 "$tmp/out"
  exit 0
fi

filter=${1:-.}
build

declare -A per_value
printf '%-12s %-18s %-18s %14s %10s\n' workload variant reference "instr/value" "x ref"
while read -r workload variant reference; do
  [[ "$workload/$variant" =~ $filter ]] || continue
  for name in "$variant" "$reference"; do
    key="$workload/$name"
    [[ -n ${per_value[$key]:-} ]] && continue
    ir1=$(instructions "$workload" "$name" "$n1")
    ir2=$(instructions "$workload" "$name" "$n2")
    per_value[$key]=$(awk -v a="$ir1" -v b="$ir2" -v n1="$n1" -v n2="$n2" \
      'BEGIN { printf "%.2f", (b - a) / (n2 - n1) }')
  done
  value=${per_value[$workload/$variant]}
  ratio=$(awk -v v="$value" -v r="${per_value[$workload/$reference]}" \
    'BEGIN { if (r > 0) printf "%.2f", v / r; else print "-" }')
  printf '%-12s %-18s %-18s %14s %10s\n' "$workload" "$variant" "$reference" "$value" "$ratio"
done < <("$bin" --callgrind list)
