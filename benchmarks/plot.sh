#!/usr/bin/env bash
# Draws benchmarks/stages.png: ns per value against the number of chained stages, per variant.
#
#   benchmarks/plot.sh RESULTS.json [OUT.png]   from a saved run (--benchmark_format=json)
#   benchmarks/plot.sh                          runs the stages_N benchmarks first (-c opt)
#
# The JSON is Google Benchmark's: every stages_N benchmark carries the counters "stages" and
# "time_per_value" (CPU seconds per value).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=${2:-benchmarks/stages.png}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ $# -ge 1 ]]; then
  json=$1
else
  json=$tmp/results.json
  ./bazelw run -c opt --jobs=2 //benchmarks:throughput -- --benchmark_filter='^stages_' \
    --benchmark_out="$json" --benchmark_out_format=json
fi

python3 - "$json" "$tmp/stages.dat" "$tmp/subtitle" <<'PY'
import json, sys
from collections import defaultdict

results = json.load(open(sys.argv[1]))
table = defaultdict(dict)  # stages -> variant -> ns/value
variants = []
runs = [b for b in results["benchmarks"] if b["name"].startswith("stages_")
        and not b.get("error_occurred", False)]
# With --benchmark_repetitions, plot the medians.
if any(b.get("run_type") == "aggregate" for b in runs):
    runs = [b for b in runs if b.get("aggregate_name") == "median"]
for b in runs:
    variant = b["name"].split("/")[1]
    if variant not in variants:
        variants.append(variant)
    table[int(b["stages"])][variant] = b["time_per_value"] * 1e9
with open(sys.argv[2], "w") as f:
    f.write("stages " + " ".join(variants) + "\n")
    for stages in sorted(table):
        f.write(str(stages) + " " + " ".join(
            "%.4f" % table[stages][v] if v in table[stages] else "NaN" for v in variants) + "\n")
context = results["context"]
with open(sys.argv[3], "w") as f:
    f.write("%s, %d CPUs, CPU time per value" % (context.get("date", "")[:10],
                                                 context.get("num_cpus", 0)))
PY

gnuplot -e "data='$tmp/stages.dat'; out='$out'; subtitle='$(cat "$tmp/subtitle")'" \
  benchmarks/stages.gnuplot
echo "wrote $out"
cat "$tmp/stages.dat"
