"""The `petite` command as a new user meets it: `info` shows methods, inputs and outputs first (format
details only with --verbose, everything with --json); every subcommand answers --help / -h with its
usage on stdout (exit 0) and an unknown option with its usage on stderr (exit 2); `run --output-dir`
makes the directory; `bench` prints times with a few decimals, and `--per-op` a summary by operator /
node kind (the per-instruction list with --per-op=all; --json has both).

    /usr/bin/python3 tests/python/test_cli.py [BUILD_DIR]      (or PETITE_BUILD=BUILD_DIR; default: build)

Needs the conformance files (PETITE_CONFORMANCE_DIR, default ../shared/conformance). Prints one line
per failure and a last line `cli: N passed, M failed`; exits 1 on any failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PETITE_BUILD", os.path.join(ROOT, "build"))
CLI = os.path.join(BUILD, "petite")
CONF = os.environ.get("PETITE_CONFORMANCE_DIR", os.path.join(ROOT, "..", "shared", "conformance"))
FILES = os.path.join(CONF, "files")
if not os.path.exists(os.path.join(CONF, "manifest.json")):  # a clone without ../shared: ctest reports a skip
    print("cli: SKIPPED: no conformance corpus (manifest.json) at %s" % CONF)
    sys.exit(77)
KWS = os.path.join(FILES, "cortex_m_int8_keyword_spotting.pte")  # 16 kernel calls, 8 operators
XNN = os.path.join(FILES, "xnnpack_int8_linear.pte")             # one delegate call, 3 nodes
ADD = os.path.join(FILES, "xnnpack_add.pte")

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def petite(*args):
    r = subprocess.run([CLI] + [str(a) for a in args], capture_output=True, text=True, timeout=300)
    return r.returncode, r.stdout, r.stderr


def test_info():
    rc, out, err = petite("info", XNN)
    lines = out.splitlines()
    check(rc == 0, "info: exit %d (%s)" % (rc, err.strip()))
    first_input = next((i for i, l in enumerate(lines) if l.strip() == "inputs:"), None)
    # the inputs come right after the file and the method's name, before operators / delegates / memory
    check(first_input is not None and first_input <= 4, "info: inputs at line %s of %d" % (first_input, len(lines)))
    order = [next((i for i, l in enumerate(lines) if l.strip() == k + ":"), 10 ** 9)
             for k in ("inputs", "outputs", "operators", "delegates", "memory_plan")]
    check(order == sorted(order) and order[-1] < 10 ** 9, "info: sections in order inputs, outputs, operators, "
          "delegates, memory_plan: %s" % order)
    for detail in ("identifier:", "extended_header:", "segments:", "constants:", "segment_base_offset:"):
        check(detail not in out, "info: '%s' shown without --verbose" % detail)
    check("--verbose" in out, "info: says where the format details are")

    rc, vout, err = petite("info", "--verbose", XNN)
    check(rc == 0, "info --verbose: exit %d (%s)" % (rc, err.strip()))
    for detail in ("identifier: ET12", "extended_header:", "segments:", "constants:", "segment_base_offset:"):
        check(detail in vout, "info --verbose: '%s' missing" % detail)
    vl = vout.splitlines()
    check("inputs:" in vout and vl.index("format:") > [l.strip() for l in vl].index("inputs:"),
          "info --verbose: the format details come after the methods")

    rc, jout, err = petite("info", "--json", XNN)
    check(rc == 0, "info --json: exit %d (%s)" % (rc, err.strip()))
    try:
        d = json.loads(jout)
    except ValueError as e:
        d = {}
        check(False, "info --json: not JSON (%s)" % e)
    fmt = d.get("format", {})
    check(fmt.get("identifier") == "ET12" and len(fmt.get("segments", [])) == 4 and "constants" in fmt
          and fmt.get("extended_header", {}).get("present") is True, "info --json: the format details kept: %s" % fmt)
    m = (d.get("methods") or [{}])[0]
    check(m.get("name") == "forward" and m["inputs"][0]["shape"] == [2, 8] and m["delegates"][0]["backend"]
          == "XnnpackBackend", "info --json: methods kept")
    # the summary of a bigger file stays short: the keyword spotter's inputs within the first lines
    rc, out, _ = petite("info", KWS)
    lines = [l.strip() for l in out.splitlines()]
    check(rc == 0 and "inputs:" in lines and lines.index("inputs:") <= 4, "info: the spotter's inputs come first")


USAGE_OF = {"info": "petite info FILE.pte", "run": "petite run FILE.pte", "bench": "petite bench FILE.pte",
            "classify": "petite classify MODEL.pte", "detect": "petite detect MODEL.pte"}


def test_help():
    for cmd, usage in USAGE_OF.items():
        for flag, args in (("--help", [cmd, "--help"]), ("-h", [cmd, "-h"]), ("after a file", [cmd, ADD, "--help"])):
            rc, out, err = petite(*args)
            check(rc == 0 and out.startswith("usage:") and usage in out and not err,
                  "%s %s: exit %d, stdout %r, stderr %r" % (cmd, flag, rc, out[:80], err[:80]))
            other = [c for c in USAGE_OF if c != cmd]
            check(not any(USAGE_OF[c] in out for c in other), "%s %s: prints only its own usage" % (cmd, flag))
        rc, out, err = petite(cmd, ADD, "--no-such-option")
        check(rc == 2 and "usage:" in err and usage in err and "--no-such-option" in err and not out,
              "%s --no-such-option: exit %d, stderr %r" % (cmd, rc, err[:200]))
    rc, out, err = petite("help", "bench")
    check(rc == 0 and USAGE_OF["bench"] in out and USAGE_OF["info"] not in out, "petite help bench")
    rc, out, err = petite("--help")
    check(rc == 0 and all(u in out for u in USAGE_OF.values()), "petite --help lists every command")
    rc, out, err = petite("no-such-command")
    check(rc == 2 and "unknown command" in err and not out, "unknown command: exit %d" % rc)


def test_output_dir():
    tmp = tempfile.mkdtemp()
    try:
        outdir = os.path.join(tmp, "a", "b", "c")
        rc, out, err = petite("run", ADD, "--output-dir", outdir)
        check(rc == 0, "run --output-dir (missing): exit %d (%s)" % (rc, err.strip()))
        f = os.path.join(outdir, "output_0.npy")
        check(os.path.isfile(f) and open(f, "rb").read(6) == b"\x93NUMPY", "run --output-dir: %s written" % f)
        rc, out, err = petite("run", ADD, "--output-dir", outdir)  # exists already: fine
        check(rc == 0, "run --output-dir (exists): exit %d (%s)" % (rc, err.strip()))
        rc, out, err = petite("run", ADD, "--output-dir", outdir + "//d/")
        check(rc == 0 and os.path.isfile(os.path.join(outdir, "d", "output_0.npy")), "run --output-dir DIR//d/")
        blocker = os.path.join(tmp, "file")
        open(blocker, "w").close()
        rc, out, err = petite("run", ADD, "--output-dir", os.path.join(blocker, "x"))
        check(rc == 1 and "--output-dir" in err and "not a directory" in err and "'%s'" % blocker in err,
              "run --output-dir under a file: exit %d, %r" % (rc, err.strip()))
        check("method 'forward'" not in out, "run --output-dir refused before the run")
    finally:
        shutil.rmtree(tmp)


LONG_NUMBER = re.compile(r"\d\.\d{10,}|\d{10,}\.\d|\de-?\d")  # %.17g-style floats or exponents


def test_bench_precision():
    rc, out, err = petite("bench", ADD, "--runs", "3", "--warmup", "0")
    check(rc == 0, "bench: exit %d (%s)" % (rc, err.strip()))
    times = {k: v for k, v in re.findall(r"^(\w+_ms): (\S+)$", out, re.M)}
    check(set(times) >= {"load_ms", "first_run_ms", "median_ms", "min_ms", "p90_ms", "cpu_median_ms"},
          "bench: the times: %s" % sorted(times))
    for k, v in times.items():
        check(re.fullmatch(r"\d+\.\d{3,9}", v) is not None, "bench text %s = %s: a plain number, 3..9 decimals" % (k, v))
        if "." in v:  # at most 3 significant digits after the first 3 decimals
            frac = v.split(".")[1]
            check(len(frac) <= 3 or len(frac.lstrip("0")) <= 3, "bench text %s = %s: sensible precision" % (k, v))
    rc, out, err = petite("bench", XNN, "--runs", "3", "--warmup", "0", "--per-op", "--json")
    check(rc == 0 and not LONG_NUMBER.search(out), "bench --json: no 17-digit floats: %s" % out[:300])
    d = json.loads(out) if rc == 0 else {}
    check(isinstance(d.get("median_ms"), float) and d["median_ms"] > 0, "bench --json: median_ms a number")


def test_per_op():
    rc, out, err = petite("bench", KWS, "--runs", "1", "--warmup", "0", "--per-op", "--json")
    check(rc == 0, "bench --per-op --json: exit %d (%s)" % (rc, err.strip()))
    d = json.loads(out) if rc == 0 else {"ops": [], "summary": []}
    ops, summary = d.get("ops", []), d.get("summary", [])
    check(len(ops) == 16, "bench --per-op --json keeps every instruction: %d" % len(ops))
    kinds = {}
    for o in ops:
        kinds.setdefault(o["kind"], [0, 0.0])
        kinds[o["kind"]][0] += 1
        kinds[o["kind"]][1] += o["ms"]
    check(sorted((s["kind"], s["count"]) for s in summary) == sorted((k, v[0]) for k, v in kinds.items()),
          "bench --per-op --json: the summary counts each kind's entries: %s" % summary)
    check(all(abs(s["ms"] - kinds[s["kind"]][1]) <= 1e-3 + 0.01 * s["ms"] for s in summary if s["kind"] in kinds),
          "bench --per-op --json: the summary's ms are the sums")
    check([s["ms"] for s in summary] == sorted((s["ms"] for s in summary), reverse=True),
          "bench --per-op --json: the summary sorted by total")
    check(abs(sum(s["percent"] for s in summary) - 100) < 1 and all(s["type"] == "kernel" for s in summary),
          "bench --per-op --json: shares add up to 100%, all kernel calls")

    rc, out, err = petite("bench", KWS, "--runs", "1", "--warmup", "0", "--per-op")
    check(rc == 0, "bench --per-op: exit %d (%s)" % (rc, err.strip()))
    lines = out.splitlines()
    hdr = next((i for i, l in enumerate(lines) if l.split()[:2] == ["operator", "/"]), None)
    check(hdr is not None, "bench --per-op: a summary table")
    rows = []
    for l in lines[hdr + 1:] if hdr is not None else []:
        f = l.split()
        if len(f) < 6 or not f[2].isdigit():
            break
        rows.append((f[0], f[1], int(f[2]), float(f[3]), f[4]))
    check(len(rows) == 8 and sum(r[2] for r in rows) == 16, "bench --per-op: 8 operators, 16 calls: %s" % rows)
    check([r[3] for r in rows] == sorted((r[3] for r in rows), reverse=True), "bench --per-op: sorted by total ms")
    check(all(r[4].endswith("%") for r in rows), "bench --per-op: a share column")
    check(len(lines) < 50 and "[1, 64, 25, 5]" not in out, "bench --per-op: no per-instruction list (%d lines)" % len(lines))

    rc, out, err = petite("bench", KWS, "--runs", "1", "--warmup", "0", "--per-op=all")
    check(rc == 0 and out.count("[1, 64, 25, 5]") == 12 and "operator / node" in out,
          "bench --per-op=all: the summary and each instruction")

    rc, out, err = petite("bench", XNN, "--runs", "1", "--warmup", "0", "--per-op")
    rows = [l.split() for l in out.splitlines() if l.split()[1:2] == ["delegate"]]
    check(rc == 0 and sorted((r[0], r[2]) for r in rows) == [("Convert", "2"), ("FullyConnected", "1")],
          "bench --per-op: XNNPACK node kinds summarized: %s" % rows)


def main():
    if not os.path.exists(CLI):
        print("no %s: build it (cmake --build BUILD --target petite) or give the build directory" % CLI)
        print("cli: 0 passed, 1 failed")
        return 1
    for t in (test_info, test_help, test_output_dir, test_bench_precision, test_per_op):
        try:
            t()
        except Exception as e:  # a crash of one group is a failure, the others still run
            check(False, "%s: %s: %s" % (t.__name__, type(e).__name__, e))
    print("cli: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
