"""stream_stats against the tools a user would pick instead: mawk, gawk, GNU datamash, Miller and
Python, on the same two files, with every tool's answers checked against stream_stats'.

Usage: peers.py STREAM_STATS [--lines N] [--rows N] [--keys K] [--repetitions R]
                             [--check-only] [--markdown] [--scratch DIR]

The files, made once with a fixed seed:
  plain.txt  N lines (default 2,000,000), one decimal number each ("-123.456789");
  keyed.csv  a header and N rows (default 1,000,000) "key,value" over K keys (default 1000).
The job, for every tool: count, mean, min, max and the sample standard deviation of the plain
file, and the same per key of the CSV. Each tool runs its idiomatic command (printed with
--markdown): awk keeps Welford's running mean per key in arrays; datamash needs its input grouped,
so it sorts (-s), as its manual says; Miller's stats1; Python a loop over the file's lines. All
read the file by path, none from a pipe.

Agreement: every tool's count, min and max must equal stream_stats', and its mean and standard
deviation agree to a relative 1e-9 (the peers sum naively, in doubles or long doubles; stream_stats
compensates). A disagreement is reported and makes the exit status 1, before any timing.

Timing: wall time of the whole process (start-up included), the median of R runs (default 5),
with the file in the page cache (one untimed run first). The table gives seconds and each tool's
time as a multiple of stream_stats' (x stream_stats > 1: stream_stats is faster).
"""

import argparse
import csv
import io
import math
import os
import random
import shlex
import statistics
import subprocess
import sys
import time

RELATIVE = 1e-9

AWK_PLAIN = r"""
{ x = $1 + 0; n++; d = x - m; m += d / n; s += d * (x - m)
  if (n == 1 || x < lo) lo = x; if (n == 1 || x > hi) hi = x }
END { sd = n > 1 ? sprintf("%.17g", sqrt(s / (n - 1))) : ""
      printf ",%d,%.17g,%.17g,%.17g,%s\n", n, m, lo, hi, sd }
"""

AWK_KEYED = r"""
NR > 1 { k = $1; x = $2 + 0; c = ++n[k]; d = x - m[k]; m[k] += d / c; s[k] += d * (x - m[k])
  if (c == 1 || x < lo[k]) lo[k] = x; if (c == 1 || x > hi[k]) hi[k] = x }
END { for (k in n) { sd = n[k] > 1 ? sprintf("%.17g", sqrt(s[k] / (n[k] - 1))) : ""
      printf "%s,%d,%.17g,%.17g,%.17g,%s\n", k, n[k], m[k], lo[k], hi[k], sd } }
"""

PYTHON = r"""
import math, sys
path, keyed = sys.argv[1], sys.argv[2] == "keyed"
state = {}
with open(path, "rb") as f:
    if keyed:
        next(f)
    for line in f:
        if keyed:
            k, _, v = line.partition(b",")
            k = k.decode()
        else:
            k, v = "", line
        x = float(v)
        st = state.get(k)
        if st is None:
            state[k] = [1, x, 0.0, x, x]
            continue
        st[0] += 1
        d = x - st[1]
        st[1] += d / st[0]
        st[2] += d * (x - st[1])
        if x < st[3]: st[3] = x
        if x > st[4]: st[4] = x
for k, (n, m, s, lo, hi) in state.items():
    sd = repr(math.sqrt(s / (n - 1))) if n > 1 else ""
    print(f"{k},{n},{m!r},{lo!r},{hi!r},{sd}")
"""


def make_files(scratch, lines, rows, keys):
    rng = random.Random(2024)
    plain = os.path.join(scratch, "plain.txt")
    keyed = os.path.join(scratch, "keyed.csv")
    with open(plain, "w") as f:
        f.writelines(f"{rng.gauss(100, 30):.6f}\n" for _ in range(lines))
    with open(keyed, "w") as f:
        f.write("key,value\n")
        f.writelines(f"k{rng.randrange(keys)},{rng.gauss(0, 1000):.3f}\n" for _ in range(rows))
    return plain, keyed


def commands(stream_stats, plain, keyed):
    """tool -> (plain command, keyed command, parser of its output)."""
    mlr_fields = "count,mean,min,max,stddev"
    return {
        "stream_stats": (
            [stream_stats, "-q", "-f", "csv", plain],
            [stream_stats, "-q", "-f", "csv", "-c", "value", "--by", "key", keyed],
            parse_stream_stats),
        "mawk": (["mawk", AWK_PLAIN, plain], ["mawk", "-F,", AWK_KEYED, keyed], parse_rows),
        "gawk": (["gawk", AWK_PLAIN, plain], ["gawk", "-F,", AWK_KEYED, keyed], parse_rows),
        "datamash": (
            ["datamash", "--format=%.17g", "count", "1", "mean", "1", "min", "1", "max", "1",
             "sstdev", "1", f"<{plain}"],
            ["datamash", "--format=%.17g", "-t,", "-s", "-g1", "--header-in", "count", "2",
             "mean", "2", "min", "2", "max", "2", "sstdev", "2", f"<{keyed}"],
            parse_datamash),
        "miller": (
            ["mlr", "--inidx", "--ifs", " ", "--ocsv", "--headerless-csv-output", "stats1", "-a",
             mlr_fields, "-f", "1", plain],
            ["mlr", "--icsv", "--ocsv", "--headerless-csv-output", "stats1", "-a", mlr_fields,
             "-f", "value", "-g", "key", keyed],
            parse_miller),
        "python3": (["python3", "-c", PYTHON, plain, "plain"],
                    ["python3", "-c", PYTHON, keyed, "keyed"], parse_rows),
    }


def run(command):
    """Runs a command (a last argument "<path" is its stdin); returns (stdout, seconds)."""
    stdin = None
    if command[-1].startswith("<"):
        stdin = open(command[-1][1:], "rb")
        command = command[:-1]
    try:
        start = time.perf_counter()
        done = subprocess.run(command, stdin=stdin, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, check=False)
        seconds = time.perf_counter() - start
    finally:
        if stdin:
            stdin.close()
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace')[:300]}")
    return done.stdout.decode(), seconds


def number(text):
    return float(text) if text not in ("", "-nan", "nan") else None


def row(key, fields):
    count, mean, lo, hi, sd = fields
    return key, (int(float(count)), number(mean), number(lo), number(hi), number(sd))


def parse_rows(text):
    out = {}
    for line in text.splitlines():
        key, *fields = line.split(",")
        k, v = row(key, fields)
        out[k] = v
    return out


def parse_stream_stats(text):
    out = {}
    rows = list(csv.DictReader(io.StringIO(text)))
    grouped = any(r["kind"] == "group" for r in rows)
    for r in rows:
        if grouped and r["kind"] != "group":
            continue
        k, v = row(r["key"], [r["count"], r["mean"], r["min"], r["max"], r["stddev"]])
        out[k] = v
    return out


def parse_datamash(text):
    out = {}
    for line in text.splitlines():
        fields = line.replace("\t", ",").split(",")
        key = fields[0] if len(fields) == 6 else ""
        k, v = row(key, fields[-5:])
        out[k] = v
    return out


def parse_miller(text):
    out = {}
    for line in text.splitlines():
        fields = line.split(",")
        key = fields[0] if len(fields) == 6 else ""
        k, v = row(key, fields[-5:])
        out[k] = v
    return out


def agree(reference, answer):
    """Returns a list of disagreements of answer with reference."""
    problems = []
    if set(reference) != set(answer):
        missing = sorted(set(reference) - set(answer))[:3]
        extra = sorted(set(answer) - set(reference))[:3]
        return [f"keys differ: missing {missing}, extra {extra}"]
    for key, want in reference.items():
        got = answer[key]
        for name, w, g, exact in zip(("count", "mean", "min", "max", "stddev"), want, got,
                                     (True, False, True, True, False)):
            if w is None or g is None:
                ok = w is None and g is None
            elif exact:
                ok = w == g
            else:
                ok = abs(w - g) <= RELATIVE * max(abs(w), abs(g), 1e-300)
            if not ok:
                problems.append(f"key {key!r} {name}: {g!r}, stream_stats {w!r}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stream_stats")
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--check-only", action="store_true")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--scratch", default=None)
    parser.add_argument("--other", default=None,
                        help="another build of stream_stats (an older revision), timed too")
    args = parser.parse_args()

    scratch = args.scratch or os.environ.get("TEST_TMPDIR") or "."
    plain, keyed = make_files(scratch, args.lines, args.rows, args.keys)
    tools = commands(os.path.abspath(args.stream_stats), plain, keyed)
    if args.other:
        # The other build right after stream_stats, its answers checked like a peer's.
        other = commands(os.path.abspath(args.other), plain, keyed)["stream_stats"]
        tools = {"stream_stats": tools.pop("stream_stats"), "stream_stats (other)": other,
                 **tools}

    failures = 0
    reference = {}
    for tool, (plain_cmd, keyed_cmd, parse) in tools.items():
        for job, command in (("plain", plain_cmd), ("keyed", keyed_cmd)):
            answer = parse(run(command)[0])
            if tool == "stream_stats":
                reference[job] = answer
                continue
            problems = agree(reference[job], answer)
            status = "agrees" if not problems else "DISAGREES"
            print(f"{tool:12} {job}: {status} with stream_stats on {len(answer)} row(s)")
            for p in problems[:5]:
                print(f"    {p}")
            failures += bool(problems)
    if failures:
        print(f"{failures} disagreement(s)")
        return 1
    if args.check_only:
        return 0

    times = {}
    for tool, (plain_cmd, keyed_cmd, _) in tools.items():
        for job, command in (("plain", plain_cmd), ("keyed", keyed_cmd)):
            run(command)  # warm: the file in the page cache, the program's pages too
            times[tool, job] = statistics.median(run(command)[1]
                                                 for _ in range(args.repetitions))

    base_plain, base_keyed = times["stream_stats", "plain"], times["stream_stats", "keyed"]
    print()
    print(f"| tool | {args.lines:,} plain lines (s) | x stream_stats | "
          f"{args.rows:,} CSV rows by {args.keys} keys (s) | x stream_stats |")
    print("|---|---:|---:|---:|---:|")
    for tool in tools:
        p, k = times[tool, "plain"], times[tool, "keyed"]
        print(f"| {tool} | {p:.3f} | {p / base_plain:.2f} | {k:.3f} | {k / base_keyed:.2f} |")
    if args.markdown:
        print()
        for tool, (plain_cmd, keyed_cmd, _) in tools.items():
            for command in (plain_cmd, keyed_cmd):
                shown = " ".join("'<program>'" if "\n" in c else c if c.startswith("<") else shlex.quote(c)
                                 for c in command)
                shown = shown.replace(scratch + os.sep, "").replace(tools["stream_stats"][0][0],
                                                                    "stream_stats")
                print(f"    {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
