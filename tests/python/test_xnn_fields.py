"""Every field the official XNNPACK writer sets, pinned per XNode kind, on the files petite-export
writes. The official runtime refuses a file whose fields differ from what its writer would set
(GlobalAvgPooling2d without XNN_FLAG_KEEP_DIMS gives a 2-D output, and the next 4-D node fails),
so each expected value below comes from a source:

  - the official files in ../shared/conformance (Add, Clamp, FullyConnected, Convert, ...): the
    fields of every node kind found there are compared with the same kind in petite's files;
  - the official writer's sources (executorch backends/xnnpack/operators/op_*.py), for kinds the
    corpus lacks: mean.dim -> GlobalAvgPooling2d flags XNN_FLAG_KEEP_DIMS (op_mean_dim.py);
    avg_pool2d -> AvgPooling2d flags KEEP_DIMS, dilation 0 x 0 (op_avg_pooling2d.py);
    max_pool2d -> MaxPooling2d flags KEEP_DIMS (op_max_pool2d.py); convolution flags 0
    (op_conv2d.py); linear -> FullyConnected flags 0, addmm / mm flags XNN_FLAG_TRANSPOSE_WEIGHTS
    (op_linear.py, op_addmm.py, op_matrix_multiplication.py); permute, view, cat, softmax, add,
    bmm flags 0; relu -> Clamp [0, +inf] (op_relu.py); hardtanh -> Clamp [min, max].

    /usr/bin/python3 tests/python/test_xnn_fields.py
"""
import glob
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from petite import runtime  # noqa: E402
from petite.export import capture, lower, plan, serialize, xnnpack  # noqa: E402

XNN_FLAG_TRANSPOSE_WEIGHTS = 0x1
XNN_FLAG_KEEP_DIMS = 0x40
INF = float("inf")

# XNodeUnion type ids (schema order) and each table's fields
KINDS = ["Add", "FullyConnected", "Softmax", "Sigmoid", "StaticTranspose", "Clamp", "Conv2d", "Div",
         "StaticResizeBilinear2D", "StaticConstantPad", "AvgPooling2d", "Minimum", "DepthwiseConv2d",
         "MaxPooling2d", "Multiply", "Subtract", "Floor", "Convert", "GlobalAvgPooling2d", "StaticReshape",
         "ArgMaxPooling2d", "SquareRoot", "Ceiling", "Hardswish", "LeakyReLU", "Maximum", "Negate", "Square",
         "ELU", "Abs", "PReLU", "Concatenate2", "Concatenate3", "Concatenate4", "StaticSlice",
         "ScaledDotProductAttention", "BatchMatrixMultiply", "Concatenate5", "ConvTranspose2d",
         "ReciprocalSquareRoot", "Log", "Gelu", "Tanh", "Exp", "Sin", "Copy", "Cos"]
F2X1 = ["input1_id", "input2_id", "output_id", "flags"]
F1X1 = ["input_id", "output_id", "flags"]
FCONV = ["padding_top", "padding_right", "padding_bottom", "padding_left", "kernel_height", "kernel_width",
         "subsampling_height", "subsampling_width", "dilation_height", "dilation_width", "group_input_channels",
         "group_output_channels", "groups", "adjustment_height", "adjustment_width", "input1_id", "filter_id",
         "bias_id", "output_id", "flags"]
FPOOL = ["padding_top", "padding_right", "padding_bottom", "padding_left", "pooling_height", "pooling_width",
         "stride_height", "stride_width", "dilation_height", "dilation_width", "input_id", "output_id", "flags"]
FIELDS = {"Conv2d": FCONV, "DepthwiseConv2d": FCONV, "ConvTranspose2d": FCONV, "AvgPooling2d": FPOOL,
          "MaxPooling2d": FPOOL, "FullyConnected": ["input1_id", "filter_id", "bias_id", "output_id", "flags"],
          "StaticTranspose": ["num_dims", None, "input_id", "output_id", "flags"],
          "StaticReshape": ["num_dims", None, "input_id", "output_id", "flags"],
          "Clamp": F1X1}
for k in ("Add", "Subtract", "Multiply", "Div", "Minimum", "Maximum", "BatchMatrixMultiply"):
    FIELDS[k] = F2X1


# ---- a minimal flatbuffer reader (tables by vtable slot) ----

class Table:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos
        self.vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vlen = struct.unpack_from("<H", buf, self.vt)[0]

    def _off(self, slot):
        o = 4 + 2 * slot
        return struct.unpack_from("<H", self.buf, self.vt + o)[0] if o < self.vlen else 0

    def scalar(self, slot, fmt, default=0):
        o = self._off(slot)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + o)[0] if o else default

    def table(self, slot):
        o = self._off(slot)
        if not o:
            return None
        p = self.pos + o
        return Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0])

    def _vec(self, slot):
        o = self._off(slot)
        if not o:
            return None, 0
        p = self.pos + o
        p += struct.unpack_from("<I", self.buf, p)[0]
        return p + 4, struct.unpack_from("<I", self.buf, p)[0]

    def tables(self, slot):
        p, n = self._vec(slot)
        return [Table(self.buf, p + 4 * i + struct.unpack_from("<I", self.buf, p + 4 * i)[0]) for i in range(n)]

    def bytes(self, slot):
        p, n = self._vec(slot)
        return bytes(self.buf[p:p + n]) if p else b""

    def string(self, slot):
        return self.bytes(slot).decode()


def xnn_blobs(data, where=None):
    """The XNNGraph flatbuffers of every XnnpackBackend delegate in a .pte (where: a list that
    receives each flatbuffer's offset in data)."""
    root = Table(data, struct.unpack_from("<I", data, 0)[0])
    base = struct.unpack_from("<Q", data, 24)[0] if data[8:12] == b"eh00" else 0
    segments = [(s.scalar(0, "Q"), s.scalar(1, "Q")) for s in root.tables(4)]
    inline = root.tables(3)
    out = []
    for ep in root.tables(1):
        for d in ep.tables(7):
            if d.string(0) != "XnnpackBackend":
                continue
            ref = d.table(1)
            loc, idx = ref.scalar(0, "b"), ref.scalar(1, "I")
            if loc == 0:
                p, n = inline[idx]._vec(0)
            else:
                off, size = segments[idx]
                p, n = base + off, size
            if data[p + 4:p + 8] == b"XH00":
                fo, fs = struct.unpack_from("<II", data, p + 10)
                p, n = p + fo, fs
            out.append(bytearray(data[p:p + n]))
            if where is not None:
                where.append(p)
    return out


def xnodes(graph):
    """(kind, {field: value}, (output_min, output_max)) of each node of an XNNGraph flatbuffer."""
    g = Table(graph, struct.unpack_from("<I", graph, 0)[0])
    nodes = []
    for n in g.tables(1):
        kind = KINDS[n.scalar(0, "B") - 1]
        t = n.table(1)
        names = FIELDS.get(kind, F1X1 if kind not in ("StaticConstantPad", "StaticSlice", "Concatenate2",
                                                     "Concatenate3", "Concatenate4", "Concatenate5",
                                                     "StaticResizeBilinear2D", "LeakyReLU", "ELU",
                                                     "ScaledDotProductAttention", "ArgMaxPooling2d") else [])
        fields = {name: t.scalar(i, "I") for i, name in enumerate(names) if name}
        mm = n.table(3)
        rng = (mm.scalar(0, "f", 0.0), mm.scalar(1, "f", 0.0)) if mm else (-INF, INF)  # schema defaults 0
        nodes.append((kind, fields, rng))
    return nodes


IDS = {"input_id", "input1_id", "input2_id", "output_id", "filter_id", "bias_id"}


def settings(fields):
    """The fields that are settings (not value ids)."""
    return {k: v for k, v in fields.items() if k not in IDS}


# ---- petite's files ----

def export(model, *inputs, quantize=None):
    model.eval()
    gm = capture.capture(model, list(inputs))
    p = lower.lower(gm, runtime.has_kernel)
    if quantize:
        from petite.export import calibrate
        calibrate.calibrate(gm, p, [list(inputs)])
    xnnpack.delegate(p, quantize) if quantize else xnnpack.delegate(p)
    arena, _ = plan.plan_memory(p)
    data = serialize.serialize(p, "forward", arena)
    nodes = [n for b in xnn_blobs(bytearray(data)) for n in xnodes(b)]
    return data, nodes


class Fn(nn.Module):
    def __init__(self, f, *mods):
        super().__init__()
        self.f, self.m = f, nn.ModuleList(mods)

    def forward(self, *x):
        return self.f(self.m, *x)


def r(*s):
    return torch.randn(*s, generator=GEN)


GEN = torch.Generator().manual_seed(0)

# (name, model, inputs, node kind, the settings the official writer gives it, output range or None)
CASES = [
    ("mean.dim keepdim", Fn(lambda m, x: x.mean([2, 3], keepdim=True)), [r(1, 4, 5, 5)], "GlobalAvgPooling2d",
     {"flags": XNN_FLAG_KEEP_DIMS}, None),
    ("adaptive_avg_pool2d 1", Fn(lambda m, x: F.adaptive_avg_pool2d(x, 1)), [r(1, 4, 5, 5)], "GlobalAvgPooling2d",
     {"flags": XNN_FLAG_KEEP_DIMS}, None),
    ("avg_pool2d", Fn(lambda m, x: F.avg_pool2d(x, 3, 2)), [r(1, 4, 9, 9)], "AvgPooling2d",
     {"padding_top": 0, "padding_right": 0, "padding_bottom": 0, "padding_left": 0, "pooling_height": 3,
      "pooling_width": 3, "stride_height": 2, "stride_width": 2, "dilation_height": 0, "dilation_width": 0,
      "flags": XNN_FLAG_KEEP_DIMS}, None),
    ("max_pool2d", Fn(lambda m, x: F.max_pool2d(x, 3, 2, 1)), [r(1, 4, 9, 9)], "MaxPooling2d",
     {"padding_top": 1, "padding_right": 1, "padding_bottom": 1, "padding_left": 1, "pooling_height": 3,
      "pooling_width": 3, "stride_height": 2, "stride_width": 2, "dilation_height": 1, "dilation_width": 1,
      "flags": XNN_FLAG_KEEP_DIMS}, None),
    ("conv2d", Fn(lambda m, x: m[0](x), nn.Conv2d(3, 8, 3, stride=2, padding=1, dilation=1)), [r(1, 3, 9, 9)],
     "Conv2d", {"padding_top": 1, "padding_right": 1, "padding_bottom": 1, "padding_left": 1, "kernel_height": 3,
                "kernel_width": 3, "subsampling_height": 2, "subsampling_width": 2, "dilation_height": 1,
                "dilation_width": 1, "group_input_channels": 3, "group_output_channels": 8, "groups": 1,
                "adjustment_height": 0, "adjustment_width": 0, "flags": 0}, None),
    ("depthwise conv2d", Fn(lambda m, x: m[0](x), nn.Conv2d(6, 6, 3, padding=1, groups=6)), [r(1, 6, 7, 7)],
     "DepthwiseConv2d", {"padding_top": 1, "padding_right": 1, "padding_bottom": 1, "padding_left": 1,
                         "kernel_height": 3, "kernel_width": 3, "subsampling_height": 1, "subsampling_width": 1,
                         "dilation_height": 1, "dilation_width": 1, "group_input_channels": 1,
                         "group_output_channels": 1, "groups": 6, "adjustment_height": 0, "adjustment_width": 0,
                         "flags": 0}, None),
    ("conv2d + relu", Fn(lambda m, x: F.relu(m[0](x)), nn.Conv2d(3, 4, 1)), [r(1, 3, 4, 4)], "Conv2d",
     {"flags": 0}, (0.0, INF)),
    ("relu alone", Fn(lambda m, x: F.relu(x)), [r(2, 5)], "Clamp", {"flags": 0}, (0.0, INF)),
    ("hardtanh", Fn(lambda m, x: F.hardtanh(x, -0.5, 2.0)), [r(2, 5)], "Clamp", {"flags": 0}, (-0.5, 2.0)),
    ("linear", Fn(lambda m, x: m[0](x), nn.Linear(6, 4)), [r(2, 6)], "FullyConnected", {"flags": 0}, None),
    ("add", Fn(lambda m, a, b: a + b), [r(2, 5), r(2, 5)], "Add", {"flags": 0}, None),
    ("softmax", Fn(lambda m, x: torch.softmax(x, -1)), [r(2, 5)], "Softmax", {"flags": 0}, None),
    ("permute", Fn(lambda m, x: x.permute(0, 2, 1) * 2), [r(2, 3, 4)], "StaticTranspose", {"flags": 0}, None),
    ("bmm", Fn(lambda m, a, b: torch.bmm(a, b)), [r(2, 3, 4), r(2, 4, 5)], "BatchMatrixMultiply", {"flags": 0},
     None),
]


def official_kinds():
    """node kind -> list of (settings, output range) in the official corpus files."""
    conf = os.environ.get("PETITE_CONFORMANCE_DIR", os.path.join(ROOT, "..", "shared", "conformance"))
    seen = {}
    for f in sorted(glob.glob(os.path.join(conf, "files", "*.pte"))):
        data = bytearray(open(f, "rb").read())
        try:
            blobs = xnn_blobs(data)
        except Exception:  # noqa: BLE001 - a file this small reader does not follow has no XNNPACK blob to compare
            continue
        for b in blobs:
            for kind, fields, rng in xnodes(b):
                seen.setdefault(kind, []).append((os.path.basename(f), settings(fields), rng))
    return seen


def check_keep_dims():
    """Runtime side: petite follows XNNPACK's rule, so a GlobalAvgPooling2d without KEEP_DIMS gives
    [N, C] and the 4-D transpose after it is refused at load, as in the official runtime."""
    x = r(1, 4, 5, 5)
    data, nodes = export(Fn(lambda m, x: x.mean([2, 3], keepdim=True)), x)
    got = runtime.Program(bytes(data)).load_method().run(x.numpy())[0]
    if abs(got - x.mean([2, 3], keepdim=True).numpy()).max() > 1e-6:
        return "wrong mean with KEEP_DIMS"
    where = []
    data = bytearray(data)
    graph = xnn_blobs(data, where)[0]
    g = Table(graph, struct.unpack_from("<I", graph, 0)[0])
    for n in g.tables(1):
        if KINDS[n.scalar(0, "B") - 1] == "GlobalAvgPooling2d":
            t = n.table(1)
            o = t._off(2)  # flags
            struct.pack_into("<I", data, where[0] + t.pos + o, 0)
    try:
        runtime.Program(bytes(data)).load_method().run(x.numpy())
    except runtime.PetiteError as e:
        return None if "StaticTranspose" in str(e) else "refused, but the message names no StaticTranspose: %s" % e
    return "GlobalAvgPooling2d without KEEP_DIMS still ran as 4-D"


def check_zero_nodes():
    """An XNNGraph whose outputs no node writes (here: no nodes at all) is refused at load; it
    would otherwise run and return the planned buffer's zeros."""
    blob = xnnpack._blob

    def no_nodes(g, named):
        g.nodes.clear()
        return blob(g, named)
    xnnpack._blob = no_nodes
    try:
        x = r(2, 5)
        data, nodes = export(Fn(lambda m, a, b: a + b), x, x)
    finally:
        xnnpack._blob = blob
    if nodes:
        return "the patched export still has nodes"
    try:
        runtime.Program(bytes(data)).load_method().run(x.numpy(), x.numpy())
    except runtime.PetiteError as e:
        return None if "written by no node" in str(e) else "refused, but not for the missing writer: %s" % e
    return "a graph with no nodes loaded and ran"


def main():
    failed = 0
    problem = check_zero_nodes()
    if problem:
        failed += 1
        print("FAIL zero nodes: %s" % problem)
    problem = check_keep_dims()
    if problem:
        failed += 1
        print("FAIL keep dims: %s" % problem)
    ours = {}
    for name, model, inputs, kind, want, rng in CASES:
        _, nodes = export(model, *inputs)
        got = [n for n in nodes if n[0] == kind]
        for n in nodes:
            ours.setdefault(n[0], []).append((name, settings(n[1]), n[2]))
        problems = []
        if not got:
            problems.append("no %s node (nodes: %s)" % (kind, [n[0] for n in nodes]))
        for _, fields, nrng in got:
            for k, v in want.items():
                if fields.get(k) != v:
                    problems.append("%s.%s = %s, the official writer sets %s" % (kind, k, fields.get(k), v))
            if rng is not None and nrng != rng:
                problems.append("%s output range %s, the official writer sets %s" % (kind, nrng, rng))
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(sorted(set(problems)))))
    # every node kind both corpora contain: the flags (and settings) of petite's nodes are among the
    # official ones (value ids aside)
    official = official_kinds()
    compared = 0
    for kind, theirs in sorted(official.items()):
        if kind not in ours:
            continue
        compared += 1
        flags = {s.get("flags", 0) for _, s, _ in theirs}
        bad = [(case, s) for case, s, _ in ours[kind] if s.get("flags", 0) not in flags]
        if bad:
            failed += 1
            print("FAIL %s: petite writes flags %s (%s); the official files have %s" %
                  (kind, sorted({s.get("flags", 0) for _, s in bad}), bad[0][0], sorted(flags)))
    conf = os.environ.get("PETITE_CONFORMANCE_DIR", os.path.join(ROOT, "..", "shared", "conformance"))
    if not os.path.exists(os.path.join(conf, "manifest.json")):  # a clone without ../shared
        print("SKIPPED: the comparison with the official corpus's node fields (no corpus at %s)" % conf)
    elif not official:
        failed += 1
        print("FAIL: no XNNPACK node read from the official corpus")
    print("xnn fields: %d cases, %d node kinds compared with the official corpus (%s); %d failed" %
          (len(CASES), compared, ", ".join(sorted(k for k in official if k in ours)), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
