#!/usr/bin/env python3
"""Markdown tables from `petite bench --per-op --json`: time per operator kind (and kernel size),
then the slowest instructions / delegate nodes.

    python3 bench/per_op_table.py FILE.pte [--threads N] [--runs R] [--top K] [--petite build/petite]
"""
import argparse
import collections
import json
import subprocess


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--petite", default="build/petite")
    a = ap.parse_args()
    out = subprocess.run([a.petite, "bench", a.file, "--per-op", "--json", "--runs", str(a.runs), "--threads",
                          str(a.threads)], capture_output=True, text=True, check=True).stdout
    d = json.loads(out)
    total = d["profiled_ms"]
    print("`%s`: %d thread(s), ISA %s; median %.2f ms (min %.2f, CPU %.2f), %.3f GFLOP per run; profiled run %.2f ms\n"
          % (a.file.split("/")[-1], d["threads"], d["isa"], d["median_ms"], d["min_ms"], d["cpu_median_ms"], d["gflop"], total))
    agg = collections.defaultdict(lambda: [0.0, 0, 0.0])
    for o in d["ops"]:
        shape = o.get("shape", "")
        key = o["kind"] + ((" k" + shape.split(" k", 1)[1]) if " k" in shape else "")
        agg[key][0] += o["ms"]
        agg[key][1] += 1
        agg[key][2] += o.get("gflops", 0.0) * o["ms"] / 1e3
    print("| operator | count | ms | % | GFLOP/s |\n|---|---|---|---|---|")
    for k, (ms, n, gf) in sorted(agg.items(), key=lambda x: -x[1][0]):
        if ms < 0.005 * total:
            continue
        print("| %s | %d | %.2f | %.1f%% | %s |" % (k, n, ms, 100 * ms / total, "%.1f" % (gf / ms * 1e3) if gf else "—"))
    print("\n| # | node | shape | ms | GFLOP/s |\n|---|---|---|---|---|")
    for o in sorted(d["ops"], key=lambda o: -o["ms"])[:a.top]:
        where = "%d" % o["instruction"] + (".%d" % o["node"] if o.get("node", -1) >= 0 else "")
        g = o.get("gflops", 0.0)
        print("| %s | %s | %s | %.2f | %s |" % (where, o["kind"], o.get("shape", ""), o["ms"], "%.1f" % g if g else "—"))


if __name__ == "__main__":
    main()
