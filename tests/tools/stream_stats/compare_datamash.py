"""stream_stats against GNU datamash and Python's statistics module, on the same files.

Usage: compare_datamash.py STREAM_STATS SCRATCH_DIR

Generates a few files (integers, decimals with negatives, a CSV with two value columns and two
keys, the same as TSV), runs stream_stats in exact mode and datamash on each, and compares count,
sum, mean, min, max, sstdev, median, q1, q3, perc:90 and countunique; median and the quantiles
also against statistics.quantiles(method="inclusive"), which is datamash's perc (R's type 7).

Tolerance: count, min, max and the distinct count must be equal, and so must sums of integers
(both tools add them exactly); everything else agrees to a relative 1e-12 of the data's scale
(the largest |value|, or for a sum the sum of |values|), so that a result near zero (a quartile
that cancels to 1e-19 in datamash's long doubles and 1e-16 in doubles) is compared fairly.
Prints one line per check and exits 1 if any failed.
"""

import csv
import io
import math
import random
import statistics
import subprocess
import sys

RELATIVE = 1e-12

# datamash operation -> stream_stats' CSV column, and whether the two must agree exactly.
OPS = [
    ("count", "count", True),
    ("sum", "sum", False),
    ("mean", "mean", False),
    ("min", "min", True),
    ("max", "max", True),
    ("sstdev", "stddev", False),
    ("median", "p50", False),
    ("q1", "p25", False),
    ("q3", "p75", False),
    ("perc:90", "p90", False),
    ("countunique", "distinct", True),
]
STREAM_STATS_FLAGS = ["-q", "-f", "csv", "--sum", "--distinct", "--median",
                      "--quantiles", "0.25,0.75,0.9"]

failures = 0
checks = 0


def report(ok, what):
    global failures, checks
    checks += 1
    if not ok:
        failures += 1
        print(f"FAIL {what}")


def close(a, b, scale, exact):
    if exact:
        return a == b
    return abs(a - b) <= RELATIVE * max(abs(a), abs(b), scale)


def python_reference(values):
    quartiles = statistics.quantiles(values, n=4, method="inclusive")
    return {
        "count": len(values),
        "sum": math.fsum(values),
        "mean": statistics.fmean(values),
        "min": min(values),
        "max": max(values),
        "sstdev": statistics.stdev(values),
        "median": statistics.median(values),
        "q1": quartiles[0],
        "q3": quartiles[2],
        "perc:90": statistics.quantiles(values, n=10, method="inclusive")[8],
        "countunique": len(set(values)),
    }


def run(args, stdin=None):
    done = subprocess.run(args, input=stdin, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"FAIL {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()}")
        sys.exit(1)
    return done.stdout


def datamash_rows(args, path, columns):
    """datamash's rows: (key fields, {column: {op: value}}) for each group."""
    ops = []
    for column in columns:
        for op, _, _ in OPS:
            ops += [op, str(column)]
    with open(path) as f:
        text = run(["datamash", "--format=%.17g"] + args + ops, stdin=f.read())
    rows = []
    lines = text.splitlines()
    if "-H" in args:
        lines = lines[1:]  # the header datamash writes
    for line in lines:
        fields = line.split(args[args.index("-t") + 1] if "-t" in args else "\t")
        key_count = len(fields) - len(columns) * len(OPS)
        values = [float(x) for x in fields[key_count:]]
        stats = {}
        for i, column in enumerate(columns):
            chunk = values[i * len(OPS):(i + 1) * len(OPS)]
            stats[column] = {op: chunk[j] for j, (op, _, _) in enumerate(OPS)}
        rows.append((tuple(fields[:key_count]), stats))
    return rows


def stream_stats_rows(program, args):
    """stream_stats' CSV rows: {(kind, key fields, column label): row}."""
    rows = {}
    for row in csv.DictReader(io.StringIO(run([program] + args + STREAM_STATS_FLAGS))):
        keys = tuple(row[k] for k in row if k == "key" or k.startswith("key"))
        rows[(row["kind"], tuple(k for k in keys if k), row.get("column", ""))] = row
    return rows


def compare(name, ours, theirs, reference, values, integers):
    scale = max(abs(x) for x in values)
    for op, column, exact in OPS:
        a = float(ours[column])
        b = theirs[op]
        op_scale = math.fsum(abs(x) for x in values) if op == "sum" else scale
        exact_here = exact or (op == "sum" and integers)
        report(close(a, b, op_scale, exact_here), f"{name} {op}: stream_stats {a!r}, datamash {b!r}")
        if op in reference:
            c = reference[op]
            # Python's countunique is over numbers; datamash's over text: the files avoid
            # "1.0" next to "1".
            report(close(a, c, op_scale, exact_here), f"{name} {op}: stream_stats {a!r}, Python {c!r}")


def main():
    program, scratch = sys.argv[1], sys.argv[2]
    rng = random.Random(2024)

    # Integers with negatives, one per line.
    ints = [rng.randint(-5000, 5000) for _ in range(2001)]
    # Decimals with negatives and up to 6 decimals, some large: sums need compensation.
    floats = [round(rng.uniform(-1e6, 1e6), rng.choice([1, 2, 3, 6])) for _ in range(3000)]
    floats += [0.1] * 500 + [1e15, -1e15]
    for name, values, text in (
        ("integers", ints, [str(x) for x in ints]),
        ("decimals", floats, [repr(x) for x in floats]),
    ):
        path = f"{scratch}/{name}.txt"
        with open(path, "w") as f:
            f.write("\n".join(text) + "\n")
        ours = stream_stats_rows(program, [path])[("total", (), "")]
        [(_, theirs)] = datamash_rows([], path, [1])
        compare(name, ours, theirs[1], python_reference(values), values, name == "integers")

    # Two keys and two value columns: a (integers) and b (decimals), as CSV and as TSV.
    regions, shops = ["north", "south", "east"], ["x", "y"]
    rows = []
    for _ in range(1500):
        rows.append((rng.choice(regions), rng.choice(shops), rng.randint(-300, 300),
                     round(rng.uniform(-50, 50), 3)))
    columns = {"a": 3, "b": 4}
    for name, delimiter, flag in (("keyed.csv", ",", ","), ("keyed.tsv", "\t", "tab")):
        path = f"{scratch}/{name}"
        with open(path, "w") as f:
            f.write(delimiter.join(["region", "shop", "a", "b"]) + "\n")
            for r in rows:
                f.write(delimiter.join([r[0], r[1], str(r[2]), repr(r[3])]) + "\n")
        ours = stream_stats_rows(program, [path, "-t", flag, "-c", "a,b", "--by", "region,shop"])
        dm_delimiter = ["-t", ","] if delimiter == "," else []
        groups = datamash_rows(dm_delimiter + ["-H", "--sort", "groupby", "1,2"], path, [3, 4])
        report(len(groups) == 6, f"{name}: datamash found {len(groups)} groups, expected 6")
        for key, stats in groups:
            for label, index in columns.items():
                values = [r[index - 1] for r in rows if (r[0], r[1]) == key]
                mine = ours.get(("group", key, label))
                report(mine is not None, f"{name}: stream_stats has no row for {key} {label}")
                if mine is not None:
                    compare(f"{name} {'/'.join(key)} {label}", mine, stats[index],
                            python_reference(values), values, label == "a")
        [(_, totals)] = datamash_rows(dm_delimiter + ["-H"], path, [3, 4])
        for label, index in columns.items():
            values = [r[index - 1] for r in rows]
            compare(f"{name} total {label}", ours[("total", (), label)], totals[index],
                    python_reference(values), values, label == "a")

    print(f"{checks - failures} of {checks} checks agree (relative tolerance {RELATIVE})")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
