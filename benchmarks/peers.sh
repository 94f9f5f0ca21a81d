#!/usr/bin/env bash
# stream_stats against mawk, gawk, GNU datamash, Miller and Python on the same files: answers
# checked for agreement, then wall times side by side (see peers.py for the files, the commands
# and the rules).
#
#   benchmarks/peers.sh                       2 M plain lines, 1 M CSV rows by 1000 keys, 5 runs
#   benchmarks/peers.sh --lines 10000000 --repetitions 3
#   OTHER=path/to/stream_stats benchmarks/peers.sh    also times another build (an older
#                                                     revision) in the same run
#
# Builds stream_stats with -c opt first (STREAM_STATS=path measures that binary instead). The
# peer tools come with ./bazelw (Debian's mawk, gawk, datamash, miller, python3).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

program=${STREAM_STATS:-}
if [[ -z $program ]]; then
  ./bazelw build -c opt //tools/stream_stats:stream_stats >&2
  program=bazel-bin/tools/stream_stats/stream_stats
fi
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
other=()
[[ -n ${OTHER:-} ]] && other=(--other "$OTHER")
python3 benchmarks/peers.py "$program" --scratch "$scratch" --markdown "${other[@]}" "$@"
