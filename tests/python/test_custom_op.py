"""Custom operators end to end: a submodule kept as demo::rms_norm (petite-export --custom-op), its
kernel built as a kernel library (examples/custom_op/rms_norm_kernel.c, compiled here with cc),
loaded for validation (--kernel-lib) and by `petite run --kernel-lib`; and every way it can go
wrong says so: no kernel when validating, no kernel at run time, a library without the init
function, a missing file, a bad --custom-op, a submodule that does not exist."""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EX = os.path.join(ROOT, "examples", "custom_op")
sys.path[:0] = [EX, os.path.join(ROOT, "python")]

import numpy as np  # noqa: E402
import torch  # noqa: E402

from model import build  # noqa: E402
from petite import runtime  # noqa: E402
from petite.export import export_model  # noqa: E402
from petite.export.cli import ExportError  # noqa: E402

CLI = os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite"))
EXPORT = os.path.join(ROOT, "tools", "petite-export")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def main():
    d = tempfile.mkdtemp(prefix="petite-custom-op-")
    lib = os.path.join(d, "librms_norm.so")
    cc = subprocess.run(["cc", "-O2", "-std=c11", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC",
                         "-I" + os.path.join(ROOT, "include"), os.path.join(EX, "rms_norm_kernel.c"), "-o", lib, "-lm"],
                        capture_output=True, text=True)
    check(cc.returncode == 0, "the example kernel library builds: %s" % cc.stderr)
    out = os.path.join(d, "out")
    x = torch.randn(2, 16)

    # without the kernel: validation is impossible and says how to fix it; --no-validate writes it unrun
    recs = export_model(build(), x, model_name="nolib", output_dir=out, backends=["portable"],
                        custom_ops={"norm": "demo::rms_norm"})
    check(not recs[0]["success"] and "--kernel-lib" in (recs[0].get("error") or "") and
          not os.path.exists(os.path.join(out, "nolib_portable.pte")), "validation without the kernel: %s" % recs[0].get("error"))
    recs = export_model(build(), x, model_name="unrun", output_dir=out, backends=["portable"],
                        custom_ops={"norm": "demo::rms_norm"}, validate=False)
    check(recs[0]["success"] and recs[0].get("smoke_run") is False and recs[0]["custom_ops"] == ["demo::rms_norm.out"],
          "--no-validate without the kernel writes the file unrun: %s" % recs[0])

    # with the kernel library: both backends validate against eager
    recs = export_model(build(), x, model_name="rmsnet", output_dir=out, backends=["portable", "xnnpack"],
                        custom_ops={"norm": "demo::rms_norm"}, kernel_libs=[lib])
    check(all(r["success"] and r["validation"]["passed"] for r in recs), "export with --kernel-lib: %s" %
          [r.get("error") for r in recs])
    side = json.load(open(os.path.join(out, "rmsnet_portable.json")))
    check(side.get("custom_ops") == ["demo::rms_norm.out"], "sidecar names the custom operator: %s" % side.get("custom_ops"))

    # petite run --kernel-lib gives eager's numbers; without it the operator is named
    xin = np.random.default_rng(1).standard_normal((2, 16)).astype(np.float32)
    np.save(os.path.join(d, "x.npy"), xin)
    with torch.no_grad():
        want = build()(torch.from_numpy(xin)).numpy()
    for b in ("portable", "xnnpack"):
        pte = os.path.join(out, "rmsnet_%s.pte" % b)
        od = os.path.join(d, "run_" + b)
        os.makedirs(od)
        r = subprocess.run([CLI, "run", pte, "--kernel-lib", lib, "--input", os.path.join(d, "x.npy"), "--output-dir", od],
                           capture_output=True, text=True)
        got = np.load(os.path.join(od, "output_0.npy")) if r.returncode == 0 else None
        check(got is not None and np.abs(got - want).max() < 1e-5, "%s: petite run --kernel-lib matches eager: %s %s" %
              (b, r.stderr, None if got is None else np.abs(got - want).max()))
        r = subprocess.run([CLI, "run", pte], capture_output=True, text=True)
        check(r.returncode != 0 and "demo::rms_norm.out" in r.stderr and "--kernel-lib" in r.stderr,
              "%s: without the library the operator is named with the fix: %s" % (b, r.stderr))

    # what can go wrong with a library
    r = subprocess.run([CLI, "run", os.path.join(out, "rmsnet_portable.pte"), "--kernel-lib", os.path.join(d, "missing.so")],
                       capture_output=True, text=True)
    check(r.returncode == 1 and "AccessFailed" in r.stderr and "missing.so" in r.stderr, "missing library: %s" % r.stderr)
    noinit = os.path.join(d, "libnoinit.so")
    with open(os.path.join(d, "noinit.c"), "w") as f:
        f.write("int petite_something_else(void) { return 0; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", os.path.join(d, "noinit.c"), "-o", noinit], check=True)
    try:
        runtime.load_kernel_library(noinit)
        check(False, "a library without petite_kernel_library_init is refused")
    except runtime.PetiteError as e:
        check("petite_kernel_library_init" in str(e), "message: %s" % e)
    for spec, want_msg in (({"nosuch": "demo::rms_norm"}, "no submodule"), ({"norm": "rms_norm"}, "SUBMODULE=namespace::name"),
                           ({"norm": "aten::rms"}, "aten namespace")):
        try:
            recs = export_model(build(), x, model_name="bad", output_dir=out, backends=["portable"], custom_ops=spec)
            msg = recs[0].get("error") or ""
            check(not recs[0]["success"] and want_msg in msg, "custom_ops=%s: %s" % (spec, msg))
        except ExportError as e:
            check(want_msg in str(e), "custom_ops=%s: %s" % (spec, e))
    # the CLI form
    pt = os.path.join(d, "rmsnet.pt")
    torch.save(build(), pt)
    r = subprocess.run([EXPORT, pt, "--model-name", "clinet", "--input-shapes", "2,16", "--output-dir", out,
                        "--backends", "xnnpack", "--custom-op", "norm=demo::rms_norm", "--kernel-lib", lib],
                       capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=EX))
    check(r.returncode == 0 and "validate" in r.stdout + r.stderr, "petite-export --custom-op --kernel-lib: %s" % (r.stdout + r.stderr)[-600:])
    print("custom op: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
