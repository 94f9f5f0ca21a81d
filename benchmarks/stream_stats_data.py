#!/usr/bin/env python3
"""Makes the files of the stream_stats benchmarks, once, with a fixed seed.

    python3 benchmarks/stream_stats_data.py DIR [NAME...]

Names: plain.txt (2,000,000 lines of one number), by10.csv, by1000.csv, by1M.csv (1,000,000 CSV
rows "key,value" with 10, 1000 and 1,000,000 distinct keys), plain10M.txt (10,000,000 lines).
Without names, the first four. A file that exists is left as it is.
"""
import os
import random
import sys


def write(path, lines):
    if not os.path.exists(path):
        with open(path + ".tmp", "w") as f:
            f.writelines(lines)
        os.replace(path + ".tmp", path)


def plain(count, seed=7):
    r = random.Random(seed)
    return (f"{r.gauss(20, 5):.2f}\n" for _ in range(count))


def keyed(keys):
    # The three keyed files come from one generator, as they always did: their values depend on
    # the order they are made in, so each is made after the plain file's draws.
    r = random.Random(7)
    for _ in range(2_000_000):
        r.gauss(20, 5)
    for name, k in (("by10.csv", 10), ("by1000.csv", 1000), ("by1M.csv", 1_000_000)):
        rows = ["key,value\n"] + [f"k{(i * 7919) % k},{r.gauss(20, 5):.2f}\n"
                                  for i in range(1_000_000)]
        if k == keys:
            return rows
    raise ValueError(keys)


def main():
    data = sys.argv[1]
    names = sys.argv[2:] or ["plain.txt", "by10.csv", "by1000.csv", "by1M.csv"]
    os.makedirs(data, exist_ok=True)
    makers = {
        "plain.txt": lambda: plain(2_000_000),
        "plain10M.txt": lambda: plain(10_000_000),
        "by10.csv": lambda: keyed(10),
        "by1000.csv": lambda: keyed(1000),
        "by1M.csv": lambda: keyed(1_000_000),
    }
    for name in names:
        path = os.path.join(data, name)
        if not os.path.exists(path):
            write(path, makers[name]())


if __name__ == "__main__":
    main()
