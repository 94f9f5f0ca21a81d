#!/usr/bin/env bash
# Runs each example program and compares what it prints with its golden file, which holds what
# the Python original in the example's opening comment prints (for the examples that have no
# Python original, the output worked out independently of the program).
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root="${TEST_SRCDIR}/${TEST_WORKSPACE:-coflow}"
else
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
fi
golden="${root}/tests/examples/golden"

examples=(
  repeater
  minimize
  averager
  averager2
  return_value
  exception_handling
  states
  bridges
  aggregates
  profile
  batches
  windows
  merge
  parallel
  push_async
)

passed=0
failed=0
actual="$(mktemp)"
trap 'rm -f "${actual}"' EXIT

for name in "${examples[@]}"; do
  program="${root}/examples/${name}"
  if [[ ! -x "${program}" ]]; then
    echo "FAIL ${name}: ${program} is missing" >&2
    failed=$((failed + 1))
    continue
  fi
  "${program}" >"${actual}"
  status=$?
  if ((status != 0)); then
    echo "FAIL ${name}: exited with status ${status}" >&2
    failed=$((failed + 1))
  elif ! diff -u "${golden}/${name}.txt" "${actual}" >&2; then
    echo "FAIL ${name}: output differs from ${name}.txt (diff above: golden, then actual)" >&2
    failed=$((failed + 1))
  else
    echo "ok   ${name}"
    passed=$((passed + 1))
  fi
done

echo "${passed} passed, ${failed} failed"
((failed == 0))
