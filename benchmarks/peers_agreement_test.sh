#!/usr/bin/env bash
# The peer-tool comparison's answers, at a small size: stream_stats, mawk, gawk, GNU datamash,
# Miller and Python must agree on the same files (benchmarks/peers.py --check-only).
set -euo pipefail
for tool in mawk gawk datamash mlr python3; do
  command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing (./bazelw installs it)" >&2; exit 1; }
done
python3 "$1" "$2" --lines 20000 --rows 20000 --keys 100 --check-only
