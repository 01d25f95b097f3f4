#!/usr/bin/env python3
"""ab_bench.py — steady-state A/B of two petite builds on the same files, interleaved.

    python3 bench/ab_bench.py OLD/petite NEW/petite FILE.pte ... [--rounds 5] [--runs 15] [--threads 1]

Each round runs `petite bench FILE --json` with the old build and then the new one (the order
alternates between rounds, so a burst of load from another tenant does not always hit the same
build). Prints, per file, each build's best and median of the rounds' median ms and CPU ms, and
the ratio new / old of the best medians. For judging a kernel change; ratios against ONNX Runtime
come from run_bench.py."""
import argparse
import json
import os
import statistics
import subprocess


def bench(exe, path, runs, threads):
    out = subprocess.run([exe, "bench", path, "--json", "--runs", str(runs), "--warmup", "3", "--threads", str(threads)],
                         check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j["median_ms"], j["cpu_median_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("files", nargs="+")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    ratios = []
    for f in a.files:
        res = {"old": [], "new": []}
        for r in range(a.rounds):
            order = ("old", "new") if r % 2 == 0 else ("new", "old")
            for which in order:
                res[which].append(bench(getattr(a, which), f, a.runs, a.threads))
        best = {k: min(m for m, _ in v) for k, v in res.items()}
        med = {k: statistics.median(m for m, _ in v) for k, v in res.items()}
        cpu = {k: min(c for _, c in v) for k, v in res.items()}
        ratios.append(best["new"] / best["old"])
        print(f"{os.path.basename(f):40s} old {best['old']:8.3f} ms (median {med['old']:8.3f}, cpu {cpu['old']:8.3f})"
              f"  new {best['new']:8.3f} ms (median {med['new']:8.3f}, cpu {cpu['new']:8.3f})  new/old {ratios[-1]:.3f}")
    g = 1.0
    for r in ratios:
        g *= r
    print(f"geometric mean new/old (best medians): {g ** (1 / len(ratios)):.3f}")


if __name__ == "__main__":
    main()
