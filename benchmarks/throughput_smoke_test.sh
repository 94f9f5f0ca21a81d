#!/usr/bin/env bash
# Runs every throughput benchmark once at N = 1000 (COFLOW_BENCH_SMOKE=1, one iteration each)
# and fails if any of them reports an error: a variant whose answer differs from the hand loop's,
# or a coflow variant that allocates per value. Then checks the callgrind mode runs one variant.
set -euo pipefail

bin=$1
out=$(COFLOW_BENCH_SMOKE=1 "$bin" --benchmark_min_time=0 2>&1) || {
  echo "$out"
  echo "FAIL: the benchmark binary exited with an error"
  exit 1
}
echo "$out"

if grep -q "ERROR OCCURRED" <<<"$out"; then
  echo "FAIL: a benchmark reported an error:"
  grep "ERROR OCCURRED" <<<"$out"
  exit 1
fi

# Every registered variant ran, and nothing else went missing.
expected=$("$bin" --callgrind list | wc -l)
ran=$(grep -cE '^[a-z_0-9]+/[a-z_0-9]+/1000 ' <<<"$out" || true)
if [[ $ran -lt $expected || $expected -eq 0 ]]; then
  echo "FAIL: ${ran} benchmarks ran at N = 1000, ${expected} variants are registered"
  exit 1
fi

# The callgrind mode computes the same answer as the hand loop, to rounding (1e-12 relative:
# coflow's averager is compensated, the hand loop is not).
hand=$("$bin" --callgrind averager hand 1000)
coflow=$("$bin" --callgrind averager coflow 1000)
close=$(awk -v a="$hand" -v b="$coflow" 'BEGIN {
  n = split(a, x, " "); m = split(b, y, " "); ok = n == m && n > 0
  for (i = 1; i <= n; i++) { d = x[i] - y[i]; if (d < 0) d = -d; t = x[i] < 0 ? -x[i] : x[i]
    if (d > 1e-12 * t) ok = 0 }
  print ok ? "yes" : "no" }')
if [[ -z $hand || $close != yes ]]; then
  echo "FAIL: --callgrind averager: hand gives '${hand}', coflow gives '${coflow}'"
  exit 1
fi

echo "PASS: ${ran} benchmarks ran once at N = 1000 without error"
