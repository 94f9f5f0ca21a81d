#!/usr/bin/env bash
# stream_stats' numbers against GNU datamash and Python's statistics module on the same generated
# files (integers, decimals with negatives, a CSV and a TSV with two value columns and two keys):
# count, sum, mean, min, max, sstdev, median, q1, q3, perc:90 and countunique, in exact mode.
# compare_datamash.py states the tolerance (relative 1e-12; exact for counts, min, max and sums of
# integers). ./bazelw installs datamash.
#
# Outside Bazel: tests/tools/stream_stats/stream_stats_datamash_test.sh path/to/stream_stats
set -uo pipefail

if [[ -n "${TEST_SRCDIR:-}" ]]; then
  root="${TEST_SRCDIR}/${TEST_WORKSPACE:-coflow}"
else
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
fi
program="${1:-${root}/tools/stream_stats/stream_stats}"

for tool in datamash python3; do
  if ! command -v "${tool}" >/dev/null; then
    echo "FAIL: ${tool} is missing (./bazelw installs datamash; python3 comes with Debian)" >&2
    exit 1
  fi
done

scratch="$(mktemp -d)"
trap 'rm -rf "${scratch}"' EXIT
python3 "${root}/tests/tools/stream_stats/compare_datamash.py" "${program}" "${scratch}"
