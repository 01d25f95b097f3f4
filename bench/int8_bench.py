"""int8 against fp32, petite against ONNX Runtime, on the same CNNs, interleaved in one run.

For each model (torchvision, random weights, BatchNorm statistics re-estimated as in run_bench.py),
the same 16 random calibration inputs make both int8 files:
- petite: `petite-export --backends xnnpack --quantize static --calibration-data DIR`;
- ONNX Runtime: a QDQ ONNX written here (conv + BN fused; weights per output channel, symmetric
  int8; activations per tensor, asymmetric int8 from the observed min/max; QuantizeLinear /
  DequantizeLinear on the input and after every convolution, linear layer, activation, add and
  pooling; ReLU6 as ReLU with the range capped at 6), which ORT's graph optimizer turns into
  QLinearConv / QGemm where its QDQ rules allow (the count is printed).
Then, round after round with the order alternating, the median of `--runs` runs of: petite int8,
petite fp32 (run_bench.py's xnnpack file), ORT QDQ, ORT fp32 (run_bench.py's ONNX), 1 thread.

    /usr/bin/python3 bench/int8_bench.py [--models mobilenet_v2,resnet18,efficientnet_b0] [--rounds 5]
                                         [--runs 20] [--out build/bench]

Needs what run_bench.py needs, and its files (run it first, or this exports them).
"""
import argparse
import json
import operator
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [os.path.join(ROOT, "python"), ROOT, os.path.join(ROOT, "bench")]

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.fx as fx  # noqa: E402
import torch.nn as nn  # noqa: E402
from torch.fx.experimental.optimization import fuse as fx_fuse  # noqa: E402

import run_bench  # noqa: E402

ACT = (nn.ReLU, nn.ReLU6, nn.Hardtanh, nn.SiLU, nn.Hardswish, nn.Hardsigmoid, nn.Sigmoid)


class Observe(nn.Module):
    """min/max while calibrating, then fake quantization (int8, per tensor, asymmetric)"""

    def __init__(self, cap=None):
        super().__init__()
        self.lo = self.hi = None
        self.cap, self.frozen, self.scale, self.zp = cap, False, 1.0, 0

    def forward(self, x):
        if self.frozen:
            return torch.fake_quantize_per_tensor_affine(x, self.scale, self.zp, -128, 127)
        lo, hi = float(x.min()), float(x.max())
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)
        return x

    def freeze(self):
        lo, hi = min(self.lo, 0.0), max(self.hi, 0.0)
        if self.cap is not None:
            hi = min(hi, self.cap)
        self.scale = max((hi - lo) / 255.0, 1e-8)
        self.zp = max(-128, min(127, int(round(-128 - lo / self.scale))))
        self.frozen = True


class QWeight(nn.Module):
    """a convolution / linear layer with per-channel symmetric int8 fake-quantized weights"""

    def __init__(self, m):
        super().__init__()
        self.m = m
        amax = m.weight.detach().abs().reshape(m.weight.shape[0], -1).max(1).values.clamp(min=1e-8)
        self.register_buffer("s", (amax / 127.0).float())
        self.register_buffer("z", torch.zeros(m.weight.shape[0], dtype=torch.int32))

    def forward(self, x):
        w = torch.fake_quantize_per_channel_affine(self.m.weight, self.s, self.z, 0, -128, 127)
        if isinstance(self.m, nn.Conv2d):
            return nn.functional.conv2d(x, w, self.m.bias, self.m.stride, self.m.padding, self.m.dilation, self.m.groups)
        return nn.functional.linear(x, w, self.m.bias)


def qdq_model(model, calib):
    gm = fx.symbolic_trace(fx_fuse(model.eval()))
    mods = dict(gm.named_modules())
    observers = []

    def observe(node, cap=None):
        name = "observe%d" % len(observers)
        observers.append(Observe(cap))
        gm.add_module(name, observers[-1])
        with gm.graph.inserting_after(node):
            o = gm.graph.call_module(name, (node,))
        node.replace_all_uses_with(o)
        o.args = (node,)

    def swap(node, module, suffix):
        name = node.target.replace(".", "_") + suffix
        gm.add_module(name, module)
        node.target = name

    for node in list(gm.graph.nodes):
        m = mods.get(node.target) if node.op == "call_module" else None
        if node.op == "placeholder":
            observe(node)
        elif isinstance(m, (nn.Conv2d, nn.Linear)):
            swap(node, QWeight(m), "_qw")
            users = list(node.users)
            followed = len(users) == 1 and users[0].op == "call_module" and isinstance(mods.get(users[0].target), ACT)
            if not followed:
                observe(node)
        elif isinstance(m, (nn.ReLU6, nn.Hardtanh)) and getattr(m, "min_val", 0.0) == 0.0 and getattr(m, "max_val", 6.0) == 6.0:
            swap(node, nn.ReLU(), "_relu")  # ReLU6: ReLU with the range capped at 6 saturates alike
            observe(node, cap=6.0)
        elif isinstance(m, ACT + (nn.AdaptiveAvgPool2d, nn.MaxPool2d, nn.AvgPool2d)):
            observe(node)
        elif node.op == "call_function" and node.target in (operator.add, torch.add, operator.mul, torch.mul, torch.cat):
            observe(node)
    gm.recompile()
    with torch.no_grad():
        for x in calib:
            gm(x)
    for o in observers:
        o.freeze()
    return gm


def median_of(fn, rounds):
    return statistics.median(fn() for _ in range(rounds))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="mobilenet_v2,resnet18,efficientnet_b0")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "bench"))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    from petite.export import cli
    rows = []
    for name in a.models.split(","):
        spec, _ = run_bench.export(name, a.out)  # fp32 ONNX + .pte, the input
        model, shape, _ = run_bench.build(name)
        g = torch.Generator().manual_seed(5)
        calib = [torch.randn(*shape, generator=g) for _ in range(16)]
        cal_dir = os.path.join(a.out, name + "_calibration")
        os.makedirs(cal_dir, exist_ok=True)
        for i, x in enumerate(calib):
            np.save(os.path.join(cal_dir, "%02d.npy" % i), x.numpy())
        pte8 = os.path.join(a.out, name + "_xnnpack_quantized.pte")
        if not os.path.exists(pte8):
            pt = os.path.join(a.out, name + ".pt")
            torch.save(model, pt)
            if cli.main([pt, "--model-name", name, "--input-shapes", ",".join(map(str, shape)), "--output-dir", a.out,
                         "--backends", "xnnpack", "--quantize", "static", "--calibration-data", cal_dir, "--no-validate"]):
                raise RuntimeError("petite-export --quantize failed for " + name)
        onnx8 = os.path.join(a.out, name + "_qdq.onnx")
        if not os.path.exists(onnx8):
            q = qdq_model(model, calib)
            torch.onnx.export(q, (calib[0],), onnx8, opset_version=13, input_names=["x"], do_constant_folding=True)
        prof = json.loads(run_bench.sh(["node", os.path.join(ROOT, "bench", "ort_profile.js"), onnx8, "--threads", "1",
                                        "--runs", "3", "--input", spec]))
        ops = [n["op"] for n in prof["nodes"]]
        qconv = sum(o in ("QLinearConv", "QGemm", "QLinearMatMul") for o in ops)
        fconv = sum(o in ("Conv", "Gemm", "MatMul", "FusedConv", "FusedGemm") for o in ops)
        npy = os.path.join(a.out, name + "_input.npy")
        who = {
            "petite int8": lambda: run_bench.petite_bench(pte8, 1, a.runs, 3, npy)["median_ms"],
            "petite fp32": lambda: run_bench.petite_bench(os.path.join(a.out, name + "_xnnpack.pte"), 1, a.runs, 3,
                                                          npy)["median_ms"],
            "ORT QDQ": lambda: run_bench.ort_bench(onnx8, 1, a.runs, 3, spec)["median_ms"],
            "ORT fp32": lambda: run_bench.ort_bench(os.path.join(a.out, name + ".onnx"), 1, a.runs, 3, spec)["median_ms"],
        }
        got = {k: [] for k in who}
        for r in range(a.rounds):
            order = list(who) if r % 2 == 0 else list(reversed(list(who)))
            for k in order:
                got[k].append(who[k]())
        med = {k: statistics.median(v) for k, v in got.items()}
        rows.append((name, med, qconv, fconv))
        print("%s: %s; ORT ran %d int8 and %d fp32 convolution/GEMM nodes of the QDQ file" % (
            name, ", ".join("%s %.2f ms" % (k, v) for k, v in med.items()), qconv, fconv), flush=True)
    print("\n| model | petite int8 | petite fp32 | int8 speed-up | ORT QDQ int8 | ORT fp32 | petite int8 / ORT QDQ | "
          "petite int8 / ORT fp32 | ORT's int8 nodes |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, m, qc, fc in rows:
        print("| %s | %.2f | %.2f | %.2fx | %.2f | %.2f | %.2fx | %.2fx | %d of %d |" % (
            name, m["petite int8"], m["petite fp32"], m["petite fp32"] / m["petite int8"], m["ORT QDQ"], m["ORT fp32"],
            m["petite int8"] / m["ORT QDQ"], m["petite int8"] / m["ORT fp32"], qc, qc + fc))
    print("(median ms over %d rounds of %d runs, 1 thread, ISA %s)" % (
        a.rounds, a.runs, run_bench.petite_bench(os.path.join(a.out, rows[0][0] + "_xnnpack.pte"), 1, 1, 0,
                                                 os.path.join(a.out, rows[0][0] + "_input.npy"))["isa"] if rows else "?"))


if __name__ == "__main__":
    main()
