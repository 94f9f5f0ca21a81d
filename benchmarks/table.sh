#!/usr/bin/env bash
# Prints the "x hand loop" table of a throughput run: every workload and variant with its time per
# value, the spread of its repetitions and its ratio to its reference (the hand loop of the same
# formula, from the same run); with a callgrind.sh listing, its instructions per value too.
#
#   benchmarks/table.sh RESULTS.json [CALLGRIND.txt]
#
# RESULTS.json is Google Benchmark's JSON of //benchmarks:throughput (--benchmark_out=...
# --benchmark_out_format=json); with --benchmark_repetitions the medians are used and cv is
# their coefficient of variation. Each variant's reference comes from the binary's own list
# (`throughput --callgrind list`; THROUGHPUT=path names the binary, by default the last -c opt
# build); a variant it does not name is compared with its workload's "hand". CALLGRIND.txt is
# the output of benchmarks/callgrind.sh. The table is Markdown, as RESULTS.md has it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ $# -lt 1 || $# -gt 2 ]]; then
  echo "usage: $0 RESULTS.json [CALLGRIND.txt]" >&2
  exit 2
fi
json=$1
counts=${2:-/dev/null}
bin=${THROUGHPUT:-bazel-out/k8-opt/bin/benchmarks/throughput}
references=$(mktemp)
trap 'rm -f "$references"' EXIT
if [[ -x $bin ]]; then
  "$bin" --callgrind list >"$references"
else
  echo "$0: no $bin (build it with ./bazelw build -c opt //benchmarks:throughput);" \
    "every variant is compared with its workload's hand loop" >&2
fi

python3 - "$json" "$references" "$counts" <<'PY'
import json, sys

results = json.load(open(sys.argv[1]))
reference = {}
for line in open(sys.argv[2]):
    fields = line.split()
    if len(fields) == 3:
        reference[(fields[0], fields[1])] = fields[2]
instructions = {}
for line in open(sys.argv[3]):
    fields = line.split()
    if len(fields) >= 4 and fields[0] != "workload":
        try:
            instructions[(fields[0], fields[1])] = float(fields[3])
        except ValueError:
            pass

runs = [b for b in results["benchmarks"]
        if "/" in b["name"] and not b.get("error_occurred", False) and "time_per_value" in b]
aggregated = any(b.get("run_type") == "aggregate" for b in runs)
time, cv, order = {}, {}, []
for b in runs:
    workload, variant = b["name"].split("/")[:2]
    key = (workload, variant)
    if aggregated:
        if b.get("aggregate_name") == "median":
            time[key] = b["time_per_value"] * 1e9
        elif b.get("aggregate_name") == "cv":
            cv[key] = b["time_per_value"]
        else:
            continue
    else:
        time[key] = b["time_per_value"] * 1e9
    if key not in order:
        order.append(key)

def ratio(value, ref):
    return "%.2f" % (value / ref) if ref else "-"

with_counts = bool(instructions)
header = ["workload", "variant", "reference", "ns/value", "cv", "x hand (time)"]
if with_counts:
    header += ["instructions/value", "x hand (instructions)"]
print("| " + " | ".join(header) + " |")
print("|" + "|".join(["---"] * 3 + ["---:"] * (len(header) - 3)) + "|")
for workload, variant in order:
    ref = reference.get((workload, variant), "hand")
    row = [workload, variant, ref, "%.2f" % time[(workload, variant)],
           "%.0f%%" % (100 * cv[(workload, variant)]) if (workload, variant) in cv else "-",
           ratio(time[(workload, variant)], time.get((workload, ref)))]
    if with_counts:
        count = instructions.get((workload, variant))
        row += ["%.2f" % count if count is not None else "-",
                ratio(count, instructions.get((workload, ref))) if count is not None else "-"]
    print("| " + " | ".join(row) + " |")
PY
