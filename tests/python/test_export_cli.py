"""petite-export end to end: model file kinds, output names, sidecar and summary JSON, and one
clear message (non-zero exit, nothing half-written) for each kind of bad input."""
import glob
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [HERE, os.path.join(ROOT, "python")]

import torch  # noqa: E402

import export_models  # noqa: E402

EXPORT = os.path.join(ROOT, "tools", "petite-export")
passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def run(*args):
    env = dict(os.environ, PYTHONPATH=HERE)
    p = subprocess.run([EXPORT, *args], capture_output=True, text=True, env=env)
    return p.returncode, p.stdout + p.stderr


def _umask():
    u = os.umask(0)
    os.umask(u)
    return u


def main():
    d = tempfile.mkdtemp(prefix="petite-export-test-")
    out = os.path.join(d, "out")
    torch.manual_seed(0)
    tiny = export_models.Tiny().eval()
    torch.save(tiny, os.path.join(d, "tiny.pt"))
    torch.save(tiny.state_dict(), os.path.join(d, "tiny_state.pth"))
    torch.jit.trace(tiny, torch.randn(1, 4)).save(os.path.join(d, "tiny.torchscript"))
    torch.save(export_models.TwoInputs(), os.path.join(d, "two.pt"))
    torch.save(export_models.NeedsAtan2(), os.path.join(d, "atan2.pt"))
    torch.save(export_models.Embed(), os.path.join(d, "embed.pt"))
    torch.save(export_models.InstNorm(), os.path.join(d, "inorm.pt"))

    # a whole pickled module, default backend, summary
    rc, log = run(os.path.join(d, "tiny.pt"), "--model-name", "tiny", "--input-shapes", "1,4",
                  "--output-dir", out, "--create-summary")
    check(rc == 0, "tiny.pt exports: " + log)
    check(os.path.exists(os.path.join(out, "tiny_portable.pte")), "tiny_portable.pte written")
    check(os.path.exists(os.path.join(out, "tiny_xnnpack.pte")), "tiny_xnnpack.pte written (default: both backends)")
    side = json.load(open(os.path.join(out, "tiny_portable.json")))
    check(side["validation"]["passed"] and side["inputs"][0]["shape"] == [1, 4], "sidecar: %s" % side)
    summ = json.load(open(os.path.join(out, "export_summary.json")))
    check(summ["export_summary"]["successful_exports"] == 2 and "backend_info" in summ and
          "available_backends" in summ and summ["results"][0]["success"], "summary fields")
    r0 = summ["results"][0]
    check(summ["available_backends"] == {"portable": True, "xnnpack": True, "coreml": False, "mps": False,
                                         "vulkan": False, "qnn": False, "arm": False} and
          summ["backend_info"]["xnnpack"]["available"] and "description" in summ["backend_info"]["qnn"],
          "upstream summary: available_backends map, backend_info objects")
    check(os.path.isabs(r0["output_path"]) and os.path.exists(r0["output_path"]) and r0["file_size_mb"] > 0 and
          r0["error_message"] is None and r0["export_time_seconds"] >= 0 and r0["metadata"]["input_shapes"] == [[1, 4]],
          "upstream per-result keys: %s" % {k: r0.get(k) for k in ("output_path", "file_size_mb", "error_message")})
    check(oct(os.stat(os.path.join(out, "tiny_portable.pte")).st_mode & 0o777) == oct(0o666 & ~_umask()),
          ".pte written with the umask's mode")
    for stage in ("load", "capture", "lower", "plan", "write", "validate"):
        check(("  " + stage) in log, "progress line for " + stage)

    # a state dict with its class; TorchScript; a platform name; two inputs with dtypes
    rc, log = run(os.path.join(d, "tiny_state.pth"), "--model-class", "export_models:Tiny", "--model-name", "tinysd",
                  "--input-shapes", "1,4", "--output-dir", out, "--target-platform", "android")
    check(rc == 0 and os.path.exists(os.path.join(out, "tinysd_android_xnnpack.pte")), "state dict + android -> xnnpack: " + log)
    rc, log = run(os.path.join(d, "tiny.torchscript"), "--model-name", "tinyts", "--input-shapes", "1,4", "--output-dir", out)
    check((rc == 0 and os.path.exists(os.path.join(out, "tinyts_portable.pte"))) or "make_fx" in log,
          "TorchScript exports or says make_fx failed: " + log)
    # a traced TorchScript CNN (aten::_convolution, the guide's first snippet), both backends validated
    cnn = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                              torch.nn.Conv2d(8, 8, 3, stride=2, groups=8), torch.nn.AdaptiveAvgPool2d(1),
                              torch.nn.Flatten(), torch.nn.Linear(8, 5)).eval()
    torch.jit.trace(cnn, torch.randn(1, 3, 16, 16)).save(os.path.join(d, "cnn_traced.pt"))
    rc, log = run(os.path.join(d, "cnn_traced.pt"), "--model-name", "cnntr", "--input-shapes", "1,3,16,16",
                  "--output-dir", out, "--backends", "portable", "xnnpack")
    check(rc == 0 and "2 of 2 exports succeeded" in log and log.count("top-1 equal") == 2,
          "a traced TorchScript CNN exports and validates on both backends: " + log[-600:])
    rc, log = run(os.path.join(d, "two.pt"), "--model-name", "two", "--input-shapes", "2,3;2", "--input-dtypes",
                  "float32", "int64", "--output-dir", out)
    check(rc == 0, "two inputs, ';' form and dtypes: " + log)

    rc, log = run(os.path.join(d, "inorm.pt"), "--model-name", "inorm", "--input-shapes", "1,3,8,8", "--output-dir", out)
    check(rc == 0 and "2 of 2" in log, "InstanceNorm2d in an eval() model exports: " + log[-300:])

    # one clear message each, non-zero exit, nothing half-written
    before = set(os.listdir(out))
    cases = [
        (["/nonexistent/model.pt", "--model-name", "x", "--input-shapes", "1,4"], "does not exist"),
        ([os.path.join(d, "tiny_state.pth"), "--model-name", "x", "--input-shapes", "1,4"], "state dict without its architecture"),
        ([os.path.join(d, "tiny.pt"), "--model-name", "x", "--input-shapes", "1,a"], "bad input shape"),
        ([os.path.join(d, "tiny.pt"), "--model-name", "x", "--input-shapes", "1,,4"], "bad input shape"),
        ([os.path.join(d, "embed.pt"), "--model-name", "x", "--input-shapes", "1,5"], "pass --input-dtypes int64"),
        ([os.path.join(d, "tiny.pt"), "--model-name", "x", "--input-shapes", "1,5"], "does not run on inputs of shapes"),
        ([os.path.join(d, "tiny.pt"), "--model-name", "x", "--input-shapes", "1,4", "--input-dtypes", "float32", "int64"], "input dtypes"),
        ([os.path.join(d, "atan2.pt"), "--model-name", "x", "--input-shapes", "4"], "petite_register_kernel"),
        ([os.path.join(d, "tiny.pt"), "--model-name", "x", "--input-shapes", "1,4", "--backends", "coreml"], "coremltools"),
        ([os.path.join(d, "tiny.pt"), "--model-name", "x", "--input-shapes", "1,4", "--backends", "qnn"], "Qualcomm"),
        ([os.path.join(d, "tiny.pt"), "--model-name", "x", "--input-shapes", "1,4", "--backends", "nope"], "unknown backend"),
    ]
    for args, words in cases:
        rc, log = run(*args, "--output-dir", out)
        check(rc != 0 and words in log, "%s -> %r: rc %d, %s" % (args[0], words, rc, log.strip()[-300:]))
    check(set(os.listdir(out)) == before and not glob.glob(os.path.join(out, ".petite-export-*")),
          "failed exports leave nothing behind: %s" % (set(os.listdir(out)) - before))

    # a failed backend is recorded as failed in the summary, beside a successful one
    rc, log = run(os.path.join(d, "tiny.pt"), "--model-name", "mixed", "--input-shapes", "1,4", "--backends",
                  "portable", "vulkan", "--output-dir", out, "--create-summary")
    summ = json.load(open(os.path.join(out, "export_summary.json")))
    check(rc != 0 and summ["export_summary"]["successful_exports"] == 1 and summ["export_summary"]["failed_exports"] == 1
          and "Vulkan" in summ["results"][1]["error"], "mixed summary: %s" % summ["export_summary"])
    # --quantize: int8 XNNPACK file, NAME_xnnpack_quantized.pte, the mode in the sidecar
    rc, log = run(os.path.join(d, "tiny.pt"), "--model-name", "q", "--input-shapes", "1,4", "--quantize",
                  "--output-dir", out)
    side = os.path.join(out, "q_xnnpack_quantized.json")
    check(rc == 0 and os.path.exists(os.path.join(out, "q_xnnpack_quantized.pte")) and
          json.load(open(side))["quantized"] == "static" and "calibrate" in log, "--quantize: " + log)
    rc, log = run(os.path.join(d, "tiny.pt"), "--model-name", "qd", "--input-shapes", "1,4", "--quantize", "dynamic",
                  "--output-dir", out)
    check(rc == 0 and json.load(open(os.path.join(out, "qd_xnnpack_quantized.json")))["quantized"] == "dynamic",
          "--quantize dynamic: " + log)
    rc, log = run(os.path.join(d, "tiny.pt"), "--model-name", "qp", "--input-shapes", "1,4", "--quantize",
                  "--backends", "portable", "--output-dir", out)
    check(rc != 0 and "use --backends xnnpack" in log and not glob.glob(os.path.join(out, "qp_*.pte")),
          "--quantize with portable: " + log)
    rc, log = run(os.path.join(d, "tiny.pt"), "--model-name", "qc", "--input-shapes", "1,4", "--quantize",
                  "--calibration-data", d, "--output-dir", out)
    check(rc != 0 and "no .npy files" in log, "--calibration-data without files: " + log)
    # the exporter reuses an input's planned memory once it is read: a second run must not read
    # the clobbered bytes silently, it must ask for the input again
    from petite import runtime
    import ctypes
    import numpy as np
    pte = os.path.join(out, "tiny_portable.pte")
    if os.path.exists(pte):
        m = runtime.Program(pte).load_method()
        x = np.ones((1, 4), np.float32)
        first = m.run(x)[0]
        rc2 = runtime.lib().petite_method_run(m._h)
        msg = runtime.lib().petite_method_errmsg(m._h).decode()
        reused = "must be set again" in msg
        check(rc2 == 0 or reused, "a second run without inputs either works or names the input: %s" % msg)
        check(np.array_equal(m.run(x)[0], first), "setting the input again gives the same output")
        del ctypes

    # the in-memory API (what the CLI itself runs): two backends, static int8 with given calibration
    # samples, a bad argument refused; and the guide's test-model generator built on it
    sys.path.insert(0, HERE)
    from petite.export import export_model
    from petite.export.cli import ExportError
    lin = torch.nn.Sequential(torch.nn.Linear(6, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    recs = export_model(lin, torch.randn(3, 6), model_name="api", output_dir=out, backends=["portable", "xnnpack"])
    check(len(recs) == 2 and all(r["success"] and r["validation"]["passed"] for r in recs) and
          os.path.exists(os.path.join(out, "api_xnnpack.pte")), "export_model: %s" % [r.get("error") for r in recs])
    recs = export_model(lin, [torch.randn(3, 6)], model_name="apiq", output_dir=out, quantize="static",
                        calibration_samples=[[torch.randn(3, 6)] for _ in range(32)])
    check(len(recs) == 1 and recs[0]["success"] and recs[0]["file"] == "apiq_xnnpack_quantized.pte",
          "export_model static int8: %s" % recs[0].get("error"))
    try:
        export_model(lin, [torch.randn(3, 6)], backends=["tpu"], output_dir=out)
        check(False, "export_model refuses an unknown backend")
    except ExportError as e:
        check("unknown backend tpu" in str(e), "message: %s" % e)
    # dict and nested outputs: flattened in pytree order, named in the sidecar
    class DictOut(torch.nn.Module):
        def forward(self, x):
            return {"logits": x * 2, "extra": (x.sum(1), [x - 1])}
    recs = export_model(DictOut(), torch.randn(2, 3), model_name="dictout", output_dir=out, backends=["portable"])
    side = json.load(open(os.path.join(out, "dictout_portable.json"))) if recs[0]["success"] else {}
    check(recs[0]["success"] and [o["name"] for o in side["outputs"]] == ["logits", "extra.0", "extra.1.0"],
          "dict / nested outputs: %s %s" % (recs[0].get("error"), side.get("outputs")))
    # state a model updates in forward (a streaming layer): a planned tensor with its initial value in
    # the mutable segment, written back by aten::copy_; runs in a row match eager step by step, a
    # second method instance starts from the initial state, and exporting leaves the model's state alone
    class Stream(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("ema", torch.arange(8.0).reshape(1, 8) / 8)
            self.register_buffer("steps", torch.zeros(1, dtype=torch.int64))
            self.lin = torch.nn.Linear(8, 8)

        def forward(self, x):
            y = torch.relu(self.lin(x))
            self.ema.mul_(0.9).add_(0.1 * y.mean(0, keepdim=True))
            self.steps += 1
            return y + self.ema * self.steps
    import numpy as np
    from petite import runtime
    torch.manual_seed(3)
    st = Stream().eval()
    ema0 = st.ema.clone()
    recs = export_model(st, torch.randn(2, 8), model_name="stream", output_dir=out, backends=["portable", "xnnpack"])
    check(all(r["success"] for r in recs), "stateful export: %s" % [r.get("error") for r in recs])
    check(torch.equal(st.ema, ema0) and int(st.steps) == 0, "exporting leaves the model's state as it was")
    side = json.load(open(os.path.join(out, "stream_portable.json"))) if recs[0]["success"] else {}
    check([x["name"] for x in side.get("state", [])] == ["ema", "steps"], "sidecar lists the state: %s" % side.get("state"))
    for b in ("portable", "xnnpack"):
        path = os.path.join(out, "stream_%s.pte" % b)
        if not os.path.exists(path):
            continue
        ref = Stream().eval()
        ref.load_state_dict(st.state_dict())
        m1 = runtime.Program(path).load_method("forward")
        xs = [torch.randn(2, 8) for _ in range(5)]
        worst = 0.0
        for k, x in enumerate(xs):
            with torch.no_grad():
                want = ref(x).numpy()
            worst = max(worst, float(np.abs(m1.run(x.numpy())[0] - want).max()))
        check(worst < 1e-5, "%s: 5 runs in a row match eager step by step (max abs error %g)" % (b, worst))
        m2 = runtime.Program(path).load_method("forward")
        fresh = Stream().eval()
        fresh.load_state_dict(st.state_dict())
        with torch.no_grad():
            want = fresh(xs[0]).numpy()
        check(np.abs(m2.run(xs[0].numpy())[0] - want).max() < 1e-5, "%s: a new method instance starts from the "
              "file's initial state" % b)
        raw = open(path, "rb").read()
        check(b"aten::copy_" in raw, "%s: the write-back is aten::copy_" % b)

    # --no-validate still runs the written file once: a wrong argument count is caught there
    class Mean(torch.nn.Module):
        def forward(self, x):
            return x.mean() + x.sum()
    recs = export_model(Mean(), torch.randn(2, 3), model_name="meanall", output_dir=out, backends=["portable"],
                        validate=False)
    check(recs[0]["success"] and recs[0].get("smoke_run") is True, "x.mean() without validation: %s" % recs[0])
    from petite.export import lower as lw_mod
    real_emit = lw_mod.Lowerer.emit

    def short_emit(self, name, overload, in_args, node, n_outputs=None):  # drops an argument of mean
        return real_emit(self, name, overload, in_args[:-1] if name == "aten::mean" else in_args, node, n_outputs)
    lw_mod.Lowerer.emit = short_emit
    try:
        recs = export_model(Mean(), torch.randn(2, 3), model_name="meanbad", output_dir=out, backends=["portable"],
                            validate=False)
    finally:
        lw_mod.Lowerer.emit = real_emit
    check(not recs[0]["success"] and "does not run in petite" in (recs[0].get("error") or "") and
          not os.path.exists(os.path.join(out, "meanbad_portable.pte")),
          "--no-validate: a kernel call with the wrong arity fails the export: %s" % recs[0].get("error"))

    class Replaces(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("s", torch.zeros(3))

        def forward(self, x):
            self.s = self.s + x
            return self.s * 2
    recs = export_model(Replaces(), torch.randn(3), model_name="replaces", output_dir=out, backends=["portable"])
    check(not recs[0]["success"] and "copy_(new_value)" in (recs[0].get("error") or ""),
          "a buffer replaced by assignment is refused with the fix: %s" % recs[0].get("error"))
    gen = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "generate_test_models.py"),
                          os.path.join(d, "test_models")], capture_output=True, text=True)
    check(gen.returncode == 0 and gen.stdout.count(" ok") == 7, "generate_test_models: %s" % (gen.stdout[-400:] + gen.stderr[-300:]))
    print("export cli: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
