"""Static int8 XNNPACK nodes (fully connected, convolution, depthwise convolution) bit-exact against
integer arithmetic written here in numpy from XNNPACK's rules, on the quantization parameters the
exporter chose (recorded while it writes the file):

    xq  = clamp(rint(x * (1 / sx)) + zx)                        Convert fp32 -> qint8 (ties to even;
                                                                the reciprocal in float32, as XNNPACK)
    acc = bias_q + sum (xq - zx) * wq                           int32 accumulation
    yq  = clamp(rint(float(acc) * (sx * sw[c] / sy)) + zy)      fp32 requantization (ties to even)
    y   = (yq - zy) * sy                                        Convert qint8 -> fp32

Every output must be equal, not close: a zero point off by one or another rounding rule fails.

    /usr/bin/python3 tests/python/test_int8.py
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from petite import runtime  # noqa: E402
from petite.export import calibrate, capture, lower, plan, serialize, xnnpack  # noqa: E402

F = np.float32


def export_recording(model, x, first_scale=None):
    """Export static int8; return the file and the (scale, zero point) / (weights, scales) the
    writer chose, in the order it chose them. first_scale: use this scale for the first
    activation instead of the calibrated one."""
    acts, weights = [], []
    qp, pc = xnnpack._qparams, xnnpack._per_channel

    def rec_qparams(rng):
        r = qp(rng)
        if first_scale is not None and not acts:
            r = (first_scale,) + tuple(r[1:])
        acts.append(r)
        return r

    def rec_per_channel(w, axis=0):
        r = pc(w, axis)
        weights.append(r)
        return r

    xnnpack._qparams, xnnpack._per_channel = rec_qparams, rec_per_channel
    try:
        gm = capture.capture(model, [x])
        p = lower.lower(gm, runtime.has_kernel)
        g = torch.Generator().manual_seed(1)
        calibrate.calibrate(gm, p, [[torch.randn(x.shape, generator=g)] for _ in range(8)] + [[x]])
        xnnpack.delegate(p, "static")
        arena, _ = plan.plan_memory(p)
        data = serialize.serialize(p, "forward", arena)
    finally:
        xnnpack._qparams, xnnpack._per_channel = qp, pc
    return data, acts, weights


def quantize(x, s, z):
    inv = F(1) / F(s)
    return np.clip(np.rint((x.astype(F) * inv).astype(F)) + z, -128, 127).astype(np.int64)


def requantize(acc, sx, sw, sy, zy):
    scale = (F(sx) * sw.astype(F)).astype(F) / F(sy)
    return np.clip(np.rint(acc.astype(F) * scale) + zy, -128, 127).astype(np.int64)


def bias_q(b, sx, sw):
    bs = (F(sx) * sw).astype(F)
    return np.clip(np.round(b / bs), -2**31, 2**31 - 1).astype(np.int64)


def edge_inputs(s, rows):
    """[rows, 16] float32 values within 8 ulps of the rounding ties (k + 1/2) * s of a Convert with
    scale s, those where x / s and x * (1 / s) round to different integers first, and some past the
    int8 range."""
    s = F(s)
    k = np.arange(-140, 140, dtype=F)
    near = [((k + F(0.5)) * s).astype(F)]
    for direction in (np.inf, -np.inf):
        v = near[0]
        for _ in range(8):
            v = np.nextafter(v, F(direction))
            near.append(v)
    v = np.concatenate(near).astype(F)
    split = np.rint((v / s).astype(F)) != np.rint((v * (F(1) / s)).astype(F))
    v = np.concatenate([v[split], v[~split]])
    return torch.from_numpy(np.resize(v, rows * 16).astype(F).reshape(rows, 16))


def check_linear(edges=False):
    torch.manual_seed(0)
    m = nn.Linear(16, 8).eval()
    x = torch.randn(60 if edges else 3, 16)
    # a scale whose float32 reciprocal is inexact enough that x / s and x * (1 / s) round apart
    data, acts, weights = export_recording(m, x, first_scale=float(F(0.0123)) if edges else None)
    if edges:
        x = edge_inputs(acts[0][0], 60)
    (sx, zx), (sy, zy) = acts
    wq, sw = weights[0]
    xq = quantize(x.numpy(), sx, zx)
    acc = (xq - zx) @ wq.astype(np.int64).T + bias_q(m.bias.detach().numpy(), sx, sw)
    want = ((requantize(acc, sx, sw, sy, zy) - zy).astype(F) * F(sy)).astype(F)
    got = runtime.Program(data).load_method().run(x.numpy())[0]
    return got, want


def conv_ref(xq, zx, wq, bq, stride, pad, groups):
    """NCHW int64 convolution of (xq - zx) with wq [OC, C/groups, KH, KW], plus bq."""
    N, C, H, W = xq.shape
    OC, icg, KH, KW = wq.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), np.int64)
    xp[:, :, pad:pad + H, pad:pad + W] = xq - zx  # padding is the zero point: 0 after the shift
    OH, OW = (H + 2 * pad - KH) // stride + 1, (W + 2 * pad - KW) // stride + 1
    out = np.zeros((N, OC, OH, OW), np.int64)
    ocg = OC // groups
    for o in range(OC):
        g = o // ocg
        for kh in range(KH):
            for kw in range(KW):
                patch = xp[:, g * icg:(g + 1) * icg, kh:kh + stride * OH:stride, kw:kw + stride * OW:stride]
                out[:, o] += np.einsum("nchw,c->nhw", patch, wq[o, :, kh, kw].astype(np.int64))
        out[:, o] += bq[o]
    return out


def check_conv(cin, cout, k, stride, pad, groups, shape):
    torch.manual_seed(0)
    m = nn.Conv2d(cin, cout, k, stride=stride, padding=pad, groups=groups).eval()
    x = torch.randn(*shape)
    data, acts, weights = export_recording(m, x)
    (sx, zx), (sy, zy) = acts
    wq, sw = weights[0]
    xq = quantize(x.numpy(), sx, zx)
    acc = conv_ref(xq, zx, wq, bias_q(m.bias.detach().numpy(), sx, sw), stride, pad, groups)
    yq = requantize(acc, sx, sw.reshape(1, -1, 1, 1), sy, zy)
    want = ((yq - zy).astype(F) * F(sy)).astype(F)
    got = runtime.Program(data).load_method().run(x.numpy())[0]
    return got, want


def q8_bounds(lo, hi, s, z):
    """A fused clamp [lo, hi] in the int8 domain, as XNNPACK derives it (float32 lo / s + z, clamped to the
    type, rounded half to even)."""
    with np.errstate(over="ignore"):
        b = [np.rint(np.clip(F(v) / F(s) + F(z), F(-128), F(127))) for v in (lo, hi)]
    return int(b[0]), int(b[1])


def check_chain():
    """Conv + ReLU6 -> depthwise + ReLU -> 1x1 conv: activations stay int8 between the nodes (one
    Convert in, one out) and each activation is the node's fused int8 clamp."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU6(), nn.Conv2d(8, 8, 3, padding=1, groups=8), nn.ReLU(),
                      nn.Conv2d(8, 6, 1)).eval()
    x = torch.randn(1, 3, 7, 6)
    data, acts, weights = export_recording(m, x)
    assert len(acts) == 4, "expected one Convert in and three int8 results, got %d activation parameters" % len(acts)
    (sx, zx), (s1, z1), (s2, z2), (s3, z3) = acts
    q = quantize(x.numpy(), sx, zx)
    layers = [(m[0], 1, 1, (0.0, 6.0)), (m[2], 1, 8, (0.0, np.inf)), (m[4], 0, 1, None)]
    for (conv, pad, groups, act), (wq, sw), (si, zi), (so, zo) in zip(layers, weights, acts[:3], acts[1:]):
        acc = conv_ref(q, zi, wq, bias_q(conv.bias.detach().numpy(), si, sw), 1, pad, groups)
        q = requantize(acc, si, sw.reshape(1, -1, 1, 1), so, zo)
        if act:
            lo, hi = q8_bounds(act[0], act[1], so, zo)
            q = np.clip(q, lo, hi)
    want = ((q - z3).astype(F) * F(s3)).astype(F)
    got = runtime.Program(data).load_method().run(x.numpy())[0]
    return got, want


def qadd_ref(a, za, sa, b, zb, sb, zo, so, lo, hi):
    """XNNPACK's qs8 add: multipliers of 20-21 bits for sa / so and sb / so under one shift, the
    rounding in the bias, an arithmetic shift, then the output zero point and the clamp."""
    ra, rb = F(sa) / F(so), F(sb) / F(so)
    exponent = int(np.frexp(max(ra, rb))[1]) - 1
    shift = 20 - exponent
    ma, mb = int(np.rint(np.ldexp(ra, shift).astype(F))), int(np.rint(np.ldexp(rb, shift).astype(F)))
    acc = (1 << (shift - 1)) + (a - za) * ma + (b - zb) * mb
    return np.clip((acc >> shift) + zo, lo, hi)


def qmul_ref(a, za, sa, b, zb, sb, zo, so, lo, hi):
    """XNNPACK's qs8 multiply: the product of the shifted inputs times (sa * sb) / so in float32, clamped,
    rounded half to even, plus the output zero point."""
    scale = (F(sa) * F(sb)) / F(so)
    f = ((a - za) * (b - zb)).astype(F) * scale
    return np.rint(np.clip(f, F(lo - zo), F(hi - zo))).astype(np.int64) + zo


def check_add_mul():
    """a = conv(x); b = 1x1 conv(a); s = relu(a + b); out = 1x1 conv(s * b): the add (its ReLU folded into
    the clamp) and the multiply run on int8 with XNNPACK's arithmetic, every activation stays int8."""
    torch.manual_seed(0)

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.c2, self.c3 = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 1), nn.Conv2d(8, 4, 1)

        def forward(self, x):
            a = self.c1(x)
            b = self.c2(a)
            return self.c3(torch.relu(a + b) * b)

    m = M().eval()
    x = torch.randn(1, 3, 6, 7)
    data, acts, weights = export_recording(m, x)
    assert len(acts) == 6, "expected 6 activation parameters (all int8), got %d" % len(acts)
    (sx, zx), (sa, za), (sb, zb), (ss, zs), (sm, zm), (so, zo) = acts

    def conv(q, zi, si, conv_mod, wts, sy, zy, pad):
        wq, sw = wts
        acc = conv_ref(q, zi, wq, bias_q(conv_mod.bias.detach().numpy(), si, sw), 1, pad, 1)
        return requantize(acc, si, sw.reshape(1, -1, 1, 1), sy, zy)

    xq = quantize(x.numpy(), sx, zx)
    aq = conv(xq, zx, sx, m.c1, weights[0], sa, za, 1)
    bq = conv(aq, za, sa, m.c2, weights[1], sb, zb, 0)
    lo, hi = q8_bounds(0.0, np.inf, ss, zs)
    sq = qadd_ref(aq, za, sa, bq, zb, sb, zs, ss, lo, hi)
    mq = qmul_ref(sq, zs, ss, bq, zb, sb, zm, sm, -128, 127)
    oq = conv(mq, zm, sm, m.c3, weights[2], so, zo, 0)
    want = ((oq - zo).astype(F) * F(so)).astype(F)
    got = runtime.Program(data).load_method().run(x.numpy())[0]
    return got, want


def per_op_kinds(data):
    """{node kind: count} of a file's delegate nodes, through petite bench --per-op."""
    import json
    import subprocess
    import tempfile
    cli = os.environ.get("PETITE_CLI", os.path.join(ROOT, "build", "petite"))
    with tempfile.NamedTemporaryFile(suffix=".pte") as f:
        f.write(data)
        f.flush()
        out = subprocess.run([cli, "bench", f.name, "--runs", "1", "--warmup", "0", "--per-op", "--json"],
                             capture_output=True, text=True, check=True).stdout
    kinds = {}
    for op in json.loads(out)["ops"]:
        kinds[op["kind"]] = kinds.get(op["kind"], 0) + 1
    return kinds


def check_pools():
    """conv -> max pool 3x3 s2 -> global mean: the pools run on int8 (max pool with its input's parameters,
    the mean with XNNPACK's quantized-mean arithmetic), equal to numpy."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.MaxPool2d(3, 2, 1), nn.AdaptiveAvgPool2d(1)).eval()
    x = torch.randn(1, 3, 9, 10)
    data, acts, weights = export_recording(m, x)
    assert len(acts) == 3, "expected 3 activation parameters (conv in, conv out, mean out), got %d" % len(acts)
    kinds = per_op_kinds(data)
    assert kinds.get("Convert") == 2, "expected one Convert in and one out, got %s" % kinds
    (sx, zx), (sa, za), (so, zo) = acts
    wq, sw = weights[0]
    aq = requantize(conv_ref(quantize(x.numpy(), sx, zx), zx, wq, bias_q(m[0].bias.detach().numpy(), sx, sw), 1, 1, 1),
                    sx, sw.reshape(1, -1, 1, 1), sa, za)
    N, C, H, W = aq.shape
    pad = np.full((N, C, H + 2, W + 2), -128, np.int64)
    pad[:, :, 1:-1, 1:-1] = aq
    OH, OW = (H - 1) // 2 + 1, (W - 1) // 2 + 1
    mq = np.stack([np.stack([pad[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3].max(axis=(2, 3)) for j in range(OW)], -1)
                   for i in range(OH)], -2)
    count = OH * OW
    scale = (F(sa) / F(so)) * (F(1) / F(count))
    zero = F(zo) - (F(count) * F(za)) * scale
    sums = mq.sum(axis=(2, 3)).astype(F)
    gq = np.clip(np.rint((sums * scale).astype(F) + zero), -128, 127).astype(np.int64).reshape(N, C, 1, 1)
    want = ((gq - zo).astype(F) * F(so)).astype(F)
    got = runtime.Program(data).load_method().run(x.numpy())[0]
    return got, want


def check_qunary():
    """conv -> Hardswish -> conv -> SiLU (sigmoid, multiply) -> conv, static int8: the functions run on int8
    (no Convert between the convolutions) and the result stays within 3 output steps of eager PyTorch."""
    torch.manual_seed(0)
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Hardswish(), nn.Conv2d(8, 8, 1), nn.SiLU(),
                      nn.Conv2d(8, 4, 1)).eval()
    x = torch.randn(1, 3, 8, 8)
    data, acts, _ = export_recording(m, x)
    kinds = per_op_kinds(data)
    # SiLU's Multiply(x, sigmoid(x)) folds into the Sigmoid's table at load ("(fused)")
    assert kinds.get("Convert") == 2 and kinds.get("Hardswish") == 1 and kinds.get("Sigmoid") == 1 and \
        kinds.get("(fused)") == 1, "expected int8 Hardswish, Sigmoid (+ Multiply) between one Convert in and out: %s" % kinds
    got = runtime.Program(data).load_method().run(x.numpy())[0]
    want = m(x).detach().numpy()
    so = acts[-1][0]
    err = np.abs(got - want).max()
    assert err <= 3 * so, "max error %g is more than 3 output steps (%g)" % (err, so)
    # the folded table equals the int8 Sigmoid and int8 Multiply run one after the other, bit for bit
    return got, run_with(data, x, "PETITE_XNN_NO_FUSION")


def check_every_kind():
    """One static int8 file with every quantized node kind the exporter writes (convolution, depthwise,
    max pool, add + ReLU, multiply, concatenation, Sigmoid, Tanh, Hardswish, global mean, fully
    connected): one Convert in, one out, nothing in fp32 between; it runs and stays near eager."""
    torch.manual_seed(0)

    class Every(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.dw = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 8, 3, padding=1, groups=8)
            self.c2, self.c3 = nn.Conv2d(8, 8, 1), nn.Conv2d(16, 12, 1)
            self.pool, self.gap, self.fc = nn.MaxPool2d(2), nn.AdaptiveAvgPool2d(1), nn.Linear(12, 5)

        def forward(self, x):
            a = self.pool(self.c1(x))
            b = torch.relu(a + self.dw(a))
            c = self.c2(b) * torch.sigmoid(b)
            d = torch.cat([torch.tanh(c), nn.functional.hardswish(b)], 1)
            return self.fc(torch.flatten(self.gap(self.c3(d)), 1))

    m = Every().eval()
    x = torch.randn(1, 3, 12, 12)
    data, acts, _ = export_recording(m, x)
    kinds = per_op_kinds(data)
    want_kinds = ("Conv2d", "DepthwiseConv2d", "MaxPooling2d", "Add", "Multiply", "Concatenate2", "Sigmoid", "Tanh",
                  "Hardswish", "GlobalAvgPooling2d", "FullyConnected")
    missing = [k for k in want_kinds if not kinds.get(k)]
    assert not missing and kinds.get("Convert") == 2, "int8 kinds missing %s or extra Converts: %s" % (missing, kinds)
    got = runtime.Program(data).load_method().run(x.numpy())[0]
    want = m(x).detach().numpy()
    err, so = np.abs(got - want).max(), acts[-1][0]
    assert err <= 4 * so, "max error %g is more than 4 output steps (%g)" % (err, so)
    return got, got


def check_tables():
    """Conv -> GELU -> conv -> |x| -> conv (functions the exporter leaves in fp32): each int8 -> fp32
    Convert, fp32 function, fp32 -> int8 Convert becomes one byte table at load. Its outputs must equal
    the node-by-node run (PETITE_XNN_NO_TABLES=1) bit for bit, and the table nodes must be there."""
    torch.manual_seed(0)

    class Abs(nn.Module):
        def forward(self, x):
            return torch.abs(x)

    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.GELU(), nn.Conv2d(8, 8, 1), Abs(), nn.Conv2d(8, 5, 1)).eval()
    x = torch.randn(1, 3, 9, 11)
    data, _, _ = export_recording(m, x)
    tables = per_op_kinds(data).get("Table", 0)
    assert tables == 2, "expected 2 byte tables (GELU, abs), found %d" % tables
    return run_with(data, x), run_with(data, x, "PETITE_XNN_NO_TABLES")


def run_with(data, x, env=None):
    """the file's first output on x, with the environment variable env set to 1 while it loads"""
    if env:
        os.environ[env] = "1"
    try:
        return runtime.Program(data).load_method().run(x.numpy())[0]
    finally:
        if env:
            del os.environ[env]


def main():
    cases = {
        "fully connected 16 -> 8": check_linear,
        "fully connected on rounding ties of the input Convert": lambda: check_linear(edges=True),
        "convolution 3x3 pad 1": lambda: check_conv(4, 6, 3, 1, 1, 1, (1, 4, 6, 6)),
        "convolution 3x3 stride 2": lambda: check_conv(3, 5, 3, 2, 1, 1, (2, 3, 9, 8)),
        "depthwise 3x3 stride 2": lambda: check_conv(5, 5, 3, 2, 1, 5, (1, 5, 7, 7)),
        "int8 chain: conv + ReLU6, depthwise + ReLU, 1x1": check_chain,
        "byte tables for SiLU and Hardswish between int8 convolutions": check_tables,
        "int8 add (+ ReLU) and multiply between convolutions": check_add_mul,
        "int8 max pooling and global mean": check_pools,
        "int8 Hardswish, Sigmoid and SiLU": check_qunary,
        "one file with every int8 node kind": check_every_kind,
    }
    failed = 0
    for name, fn in cases.items():
        got, want = fn()
        same = got.shape == want.shape and np.array_equal(got, want)
        if not same:
            failed += 1
            diff = np.abs(got - want) if got.shape == want.shape else None
            print("FAIL %s: %s" % (name, "shape %s vs %s" % (got.shape, want.shape) if diff is None else
                                   "%d of %d outputs differ (max %g)" % ((diff > 0).sum(), diff.size, diff.max())))
    print("int8: %d passed, %d failed" % (len(cases) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
