"""--quantize paths end to end (static int8, dynamic int8, 8da4w) on small models, in petite's
XnnpackBackend, against eager PyTorch.

The 4-bit check is pinned independently: the packed weights the writer produced are unpacked here
in numpy (nibble k at bits 4*(k%2) of byte k//2 of its row, value - 8, times its group's scale) and
loaded into the eager model; petite (dynamic int8 activations x those 4-bit weights) must then agree
with eager to about 1%, far closer than a wrong packing or scale layout could."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from petite import runtime  # noqa: E402
from petite.export import calibrate, capture, lower, plan, serialize, xnnpack  # noqa: E402

passed = failed = 0


def check(cond, what):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    if not cond:
        print("FAIL", what)


def export(model, xs, mode):
    gm = capture.capture(model, xs)
    p = lower.lower(gm, runtime.has_kernel)
    if mode == "static":
        calibrate.calibrate(gm, p, [[torch.randn_like(x)] for x in xs for _ in range(8)] + [xs])
    xnnpack.delegate(p, mode)
    arena, _ = plan.plan_memory(p)
    return serialize.serialize(p, "forward", arena)


def rel_err(got, ref):
    return float(np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-12))


def unpack4(packed, n, k, scales, group):
    """Independent decode of the 4-bit filter [n, k]."""
    row_bytes = (k + 1) // 2
    b = np.frombuffer(packed, np.uint8).reshape(n, row_bytes)
    q = np.zeros((n, k), np.float32)
    for j in range(k):
        q[:, j] = ((b[:, j // 2] >> (4 * (j % 2))) & 15).astype(np.float32) - 8
    g = group or k
    return q * np.repeat(scales.reshape(n, k // g), g, axis=1)


def main():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    lin = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10)).eval()
    conv = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 1)).eval()
    cases = [("linear", lin, [torch.randn(4, 64, generator=g)]), ("conv", conv, [torch.randn(1, 3, 8, 8, generator=g)])]
    tol = {"static": 0.05, "dynamic": 0.03, "8da4w": 0.25}
    for name, model, xs in cases:
        with torch.no_grad():
            ref = model(*xs).numpy()
        for mode in ("static", "dynamic", "8da4w"):
            got = runtime.Program(export(model, xs, mode)).load_method().run(*[x.numpy() for x in xs])[0]
            e = rel_err(got, ref)
            check(e <= tol[mode], "%s %s: relative error %.3g > %.3g" % (name, mode, e, tol[mode]))
    # 4-bit pinned against an independent decode: 64 -> groups of 32 (qbint4), 48 -> per channel (qcint4)
    for k in (64, 48):
        m = nn.Linear(k, 16).eval()
        x = torch.randn(3, k, generator=g)
        w = m.weight.detach().numpy()
        packed, dt, scales, group = xnnpack._int4(w)
        ref_model = nn.Linear(k, 16).eval()
        with torch.no_grad():
            ref_model.weight.copy_(torch.from_numpy(unpack4(packed.tobytes(), 16, k, scales, group)))
            ref_model.bias.copy_(m.bias)
            ref = ref_model(x).numpy()
        got = runtime.Program(export(m, [x], "8da4w")).load_method().run(x.numpy())[0]
        e = rel_err(got, ref)
        check(e <= 0.015, "4-bit k=%d (%s): petite vs eager with the decoded weights: %.3g" %
              (k, "qbint4" if group else "qcint4", e))
        # fp32 activations over the same 4-bit weights (4w): no activation rounding, so close to 1e-6
        got = runtime.Program(export(m, [x], "4w")).load_method().run(x.numpy())[0]
        e = rel_err(got, ref)
        check(e <= 1e-5, "4-bit k=%d (%s) with fp32 activations: petite vs eager with the decoded weights: %.3g" %
              (k, "qbint4" if group else "qcint4", e))
        check((dt == xnnpack.QBINT4) == (k == 64), "k=%d uses %s" % (k, dt))
    # blockwise scales written inline as fp32 that are not bf16 values (official files can hold
    # them): the runtime makes them bf16 as ExecuTorch's XNNCompiler does (convertF32TensorToBF16:
    # the bits of f * 1.00389105f, truncated), not by rounding to nearest
    m = nn.Linear(64, 16).eval()
    x = torch.randn(3, 64, generator=g)
    keep = xnnpack._bf16
    xnnpack._bf16 = lambda a: np.ascontiguousarray(a, np.float32)  # the exporter leaves them as they are
    try:
        packed, dt, scales, group = xnnpack._int4(m.weight.detach().numpy())
        blob = export(m, [x], "4w")
    finally:
        xnnpack._bf16 = keep
    et = ((scales * np.float32(1.00389105)).astype(np.float32).view(np.uint32) >> 16 << 16).view(np.float32)
    check(not np.array_equal(et, xnnpack._bf16(scales)), "the scales must tell the two roundings apart")
    ref_model = nn.Linear(64, 16).eval()
    with torch.no_grad():
        ref_model.weight.copy_(torch.from_numpy(unpack4(packed.tobytes(), 16, 64, et, group)))
        ref_model.bias.copy_(m.bias)
        ref = ref_model(x).numpy()
    got = runtime.Program(blob).load_method().run(x.numpy())[0]
    e = rel_err(got, ref)
    check(e <= 1e-5, "inline fp32 block scales made bf16 as ExecuTorch does: %.3g" % e)
    # calibration methods on an activation with outliers: percentile and MSE clip the rare large values
    # that min/max keeps, so most values get finer steps; all three run and stay close to eager
    class Spiky(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(32, 32), nn.Linear(32, 8)

        def forward(self, x):
            return self.b(self.a(x))

    m = Spiky().eval()
    xs = [torch.randn(64, 32, generator=g)]
    cal = [[torch.randn(64, 32, generator=g)] for _ in range(6)]
    cal[2][0][5, 3] = 60.0  # one outlier input
    ranges = {}
    for method in ("minmax", "percentile", "mse"):
        gm = capture.capture(m, xs)
        p = lower.lower(gm, runtime.has_kernel)
        ranges[method] = calibrate.calibrate(gm, p, cal + [xs], method, 99.9)
        xnnpack.delegate(p, "static")
        arena, _ = plan.plan_memory(p)
        with torch.no_grad():
            ref = m(*xs).numpy()
        got = runtime.Program(serialize.serialize(p, "forward", arena)).load_method().run(xs[0].numpy())[0]
        e = rel_err(got, ref)
        check(e <= 0.08, "calibration %s: relative error %.3g" % (method, e))
    inp = min(ranges["minmax"])  # the input's value index comes first
    width = {k: r[inp][1] - r[inp][0] for k, r in ranges.items()}
    check(width["percentile"] < 0.5 * width["minmax"] and width["mse"] < width["minmax"],
          "the input's range: min/max %.3g, percentile %.3g, mse %.3g (outlier clipped)" %
          (width["minmax"], width["percentile"], width["mse"]))
    try:
        calibrate.calibrate(gm, p, cal, "median")
        check(False, "an unknown calibration method is refused")
    except calibrate.CalibrationError:
        check(True, "")
    print("quantize: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
