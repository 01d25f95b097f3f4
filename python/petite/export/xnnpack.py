"""Delegate runs of supported operators to XNNPACK: the `xnnpack` backend of petite-export.

Partitioning: consecutive instructions (in the program's topological order) that this module can
express as XNNPACK nodes form one subgraph; each becomes one DelegateCall to "XnnpackBackend"
whose arguments are the subgraph's inputs then outputs (their external ids). The rest stay
portable KernelCalls.

Inside a subgraph tensors are NCHW (as the program has them) or NHWC (what XNNPACK's convolution
and pooling nodes want); StaticTranspose nodes convert between the two where needed, and values
remember which layouts exist. BatchNorm after a convolution is folded into its weights; ReLU /
hardtanh / clamp fold into the producing node's output clamp when nothing else reads its input.

The blob is the XNNPACK delegate's layout: the XH00 header, an XNNGraph flatbuffer ("XN01"), and
weights as the program's named data (key = sha256 of the bytes), as the official writer does.
With --quantize, convolutions and linear layers become int8 XNNPACK nodes (symmetric per-channel
int8 weights, asymmetric per-tensor int8 activations from calibration, int32 bias) between
Convert nodes; --quantize dynamic makes linear layers take dynamically quantized (qdint8) inputs.
"""
import hashlib
import os
import re
import struct

import numpy as np

from . import serialize as ser
from .lower import Instr

def _read_def(name, macro):
    """Rows of one of the runtime's lists (src/backends/xnnpack/*.def): the one place they are kept."""
    here = os.path.dirname(os.path.abspath(__file__))
    for root in (os.path.join(here, "..", "..", "..", "src", "backends", "xnnpack"), os.path.join(here, "data")):
        path = os.path.join(root, name)
        if os.path.exists(path):
            with open(path) as f:
                return [[c.strip() for c in m.group(1).split(",")]
                        for m in re.finditer(r"^%s\(([^)]*)\)" % macro, f.read(), re.M)]
    raise FileNotFoundError("%s (the runtime's list, from src/backends/xnnpack)" % name)


# XNNDatatype ids and XNodeUnion type ids, read from the runtime's lists
_XDT = {row[1]: int(row[0]) for row in _read_def("xdatatypes.def", "XDT")}
FP32, FP16, QINT8, QINT32, QCINT8, QCINT32, QCINT4, QDINT8, QBINT4 = (
    _XDT[n] for n in ("FP32", "FP16", "QINT8", "QINT32", "QCINT8", "QCINT32", "QCINT4", "QDINT8", "QBINT4"))
XN = {row[1]: int(row[0]) for row in _read_def("xnodes.def", "XN")}
INT4_GROUP = 32
XDT_OF = {6: FP32, 5: FP16}           # ExecuTorch ScalarType -> XNNDatatype
NP_OF = {6: np.float32, 5: np.float16}
UINT32_MAX = 0xFFFFFFFF
INF = float("inf")
XNN_FLAG_KEEP_DIMS = 0x40  # xnnpack.h; the official writer sets it on GlobalAvgPooling2d, AvgPooling2d, MaxPooling2d

BINARY = {"aten::add": "Add", "aten::sub": "Subtract", "aten::mul": "Multiply", "aten::div": "Div"}
UNARY = {"aten::sigmoid": "Sigmoid", "aten::tanh": "Tanh", "aten::exp": "Exp", "aten::log": "Log",
         "aten::abs": "Abs", "aten::neg": "Negate", "aten::sqrt": "SquareRoot", "aten::rsqrt": "ReciprocalSquareRoot",
         "aten::floor": "Floor", "aten::ceil": "Ceiling", "aten::gelu": "Gelu"}
CLAMPS = {"aten::relu", "aten::hardtanh", "aten::clamp"}
NCHW_TO_NHWC, NHWC_TO_NCHW = [0, 2, 3, 1], [0, 3, 1, 2]
# nodes whose output clamp (output_min/max) XNNPACK applies: only these absorb a following clamp
CLAMPABLE = {"Conv2d", "DepthwiseConv2d", "FullyConnected", "Add", "Subtract", "Multiply", "Div", "MaxPooling2d",
             "AvgPooling2d", "GlobalAvgPooling2d", "Clamp"}


class _Graph:
    """One XNNPACK subgraph under construction."""

    def __init__(self, p, uses, quantize=None, group=None):
        self.p, self.uses, self.quantize, self.group = p, uses, quantize, group or INT4_GROUP
        self.ranges = getattr(p, "ranges", {})
        self.values = []       # dicts: dims, const (bytes) / None, ext, flags
        self.nodes = []        # dicts: type, fields, min, max
        self.xv = {}           # (edge value, layout) -> xvalue id
        self.xq = {}           # (edge value, layout) -> (int8 xvalue id, scale, zero point): static int8
                               # results stay int8; the float form is made only when something reads it
        self.producer = {}     # xvalue id -> node index
        self.ext_in, self.ext_out = [], []  # edge values, in external id order

    def new_value(self, dims, const=None, ext=None, flags=0, dtype=FP32, q=None):
        """q: None, ("tensor", scale, zero_point), ("channel", scales, channel_dim) or ("token", dims)"""
        self.values.append({"dims": [int(d) for d in dims], "const": const, "ext": ext, "flags": flags,
                            "dtype": dtype, "q": q})
        return len(self.values) - 1

    def node(self, typ, fields, out_id, lo=-INF, hi=INF):
        self.nodes.append({"type": typ, "fields": fields, "min": lo, "max": hi})
        self.producer[out_id] = len(self.nodes) - 1

    def const(self, arr, dtype=FP32):
        arr = np.ascontiguousarray(arr, dtype=np.float16 if dtype == FP16 else np.float32)
        return self.new_value(arr.shape if arr.ndim else [1], const=arr.tobytes(), dtype=dtype)

    def get(self, v, layout="nchw"):
        """xvalue id of edge value v in `layout`, adding a transpose if only the other exists (and a
        Convert to float if v so far exists only as int8)."""
        if (v, layout) in self.xv:
            return self.xv[(v, layout)]
        for ql in (layout, "nhwc" if layout == "nchw" else "nchw"):
            if (v, ql) in self.xq and (v, ql) not in self.xv:
                self.dequantize(v, ql)
                return self.get(v, layout)
        val = self.p.values[v]
        if val.role == "const":
            arr = np.frombuffer(val.data, NP_OF[val.dtype]).reshape(val.shape)
            if layout == "nhwc":
                arr = arr.transpose(NCHW_TO_NHWC)
            self.xv[(v, layout)] = self.const(arr, XDT_OF[val.dtype])
            return self.xv[(v, layout)]
        other = "nhwc" if layout == "nchw" else "nchw"
        if (v, other) not in self.xv:
            raise KeyError(v)
        src = self.xv[(v, other)]
        perm = NCHW_TO_NHWC if layout == "nhwc" else NHWC_TO_NCHW
        dims = [self.values[src]["dims"][i] for i in perm]
        dst = self.new_value(dims, dtype=self.values[src]["dtype"])
        self.node("StaticTranspose", {"num_dims": 4, "perm": perm, "input_id": src, "output_id": dst}, dst)
        self.xv[(v, layout)] = dst
        return dst

    def layout_of(self, v):
        if (v, "nhwc") in self.xv and (v, "nchw") not in self.xv:
            return "nhwc"
        if (v, "nhwc") in self.xq and (v, "nchw") not in self.xv:
            return "nhwc"
        return "nchw"

    def quantized(self, v, layout, yq, scale, zp):
        """Record int8 xvalue yq as edge value v's result; a subgraph output gets its float form now."""
        self.xq[(v, layout)] = (yq, scale, zp)
        if v in self.ext_out:
            self.dequantize(v, layout)

    def dequantize(self, v, layout):
        yq = self.xq[(v, layout)][0]
        o = self.out(v, layout)
        self.node("Convert", {"input_id": yq, "output_id": o}, o)
        self.finish(v)

    def out(self, v, layout):
        """xvalue to write edge value v in `layout` (an external output is written NCHW)."""
        shape = self.p.values[v].shape
        dt = XDT_OF[self.p.values[v].dtype]
        dims = [shape[i] for i in NCHW_TO_NHWC] if layout == "nhwc" else shape
        if v in self.ext_out and layout == "nchw":
            xid = self.new_value(dims, ext=len(self.ext_in) + self.ext_out.index(v), flags=2, dtype=dt)
        else:
            xid = self.new_value(dims, dtype=dt)
        self.xv[(v, layout)] = xid
        return xid

    def finish(self, v):
        """After v was produced: an external output produced NHWC gets its transpose now."""
        if v in self.ext_out and (v, "nchw") not in self.xv:
            src = self.xv[(v, "nhwc")]
            dst = self.new_value(self.p.values[v].shape, ext=len(self.ext_in) + self.ext_out.index(v), flags=2,
                                 dtype=XDT_OF[self.p.values[v].dtype])
            self.node("StaticTranspose", {"num_dims": 4, "perm": NHWC_TO_NCHW, "input_id": src, "output_id": dst}, dst)
            self.xv[(v, "nchw")] = dst


def _qparams(rng):
    """Asymmetric int8 activation parameters covering [min, max] (and 0)."""
    lo, hi = min(rng[0], 0.0), max(rng[1], 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zp = int(np.clip(np.round(-128 - lo / scale), -128, 127))
    return float(np.float32(scale)), zp


def _per_channel(w, axis=0):
    """Symmetric int8 per output channel (axis): (int8 weights, float32 scales)."""
    flat = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    maxabs = np.abs(flat).max(axis=1)
    scales = np.where(maxabs > 0, maxabs / 127.0, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scales.reshape(shape)), -127, 127).astype(np.int8)
    return q, scales


def _bf16(a):
    """Round float32 values to bfloat16 (as XNNPACK stores blockwise scales), kept as float32."""
    u = np.ascontiguousarray(a, np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) << 16
    return u.astype(np.uint32).view(np.float32)


def _int4(w, group_size=INT4_GROUP):
    """Symmetric 4-bit weights for a [N, K] filter: groups of group_size along K when K allows (qbint4,
    bf16-rounded scales [N, K/group]) else per output channel (qcint4). Returns (packed bytes [N, ceil(K/2)],
    dtype, scales, group size or None). Nibbles are w + 8, the low one holding the even k."""
    n, k = w.shape
    group = group_size if k % group_size == 0 and k > group_size else None
    blocks = w.reshape(n, k // group, group) if group else w.reshape(n, 1, k)
    maxabs = np.abs(blocks).max(axis=2)
    scales = np.where(maxabs > 0, maxabs / 7.0, 1.0).astype(np.float32)
    if group:
        scales = _bf16(scales)
    q = np.clip(np.round(blocks / scales[:, :, None]), -8, 7).astype(np.int16).reshape(n, k)
    if k % 2:
        q = np.pad(q, ((0, 0), (0, 1)))
    u = (q + 8).astype(np.uint8)
    packed = (u[:, 1::2] << 4) | u[:, 0::2]
    return np.ascontiguousarray(packed), (QBINT4 if group else QCINT4), scales.reshape(-1), group


def _quantized_io(g, x, out, x_layout):
    """For static int8: (x as an int8 xvalue via Convert, output int8 xvalue, out scale, x scale), or None
    when calibration did not see both tensors."""
    if g.quantize != "static" or x not in g.ranges or out not in g.ranges:
        return None
    if (x, x_layout) in g.xq:  # already int8 (an earlier quantized node's result): no Convert
        xq, sx, _ = g.xq[(x, x_layout)]
        sy, zy = _qparams(g.ranges[out])
        return xq, sx, sy, zy
    sx, zx = _qparams(g.ranges[x])
    sy, zy = _qparams(g.ranges[out])
    xi = g.get(x, x_layout)
    xq = g.new_value(g.values[xi]["dims"], dtype=QINT8, q=("tensor", sx, zx))
    g.node("Convert", {"input_id": xi, "output_id": xq}, xq)
    return xq, sx, sy, zy


def _scalar(p, i):
    v = p.values[i]
    return v.value if v.kind in ("int", "double", "bool") else None


def _ints(p, i):
    v = p.values[i]
    if v.kind != "int_list":
        return None
    return [p.values[j].value for j in v.value]


def _is_f32(p, i):
    v = p.values[i]
    return v.kind == "tensor" and v.dtype == 6


def _is_float(p, i, like=None):
    """fp32 or fp16 (element-wise ops), of the same dtype as value `like` if given"""
    v = p.values[i]
    return v.kind == "tensor" and v.dtype in (5, 6) and (like is None or v.dtype == p.values[like].dtype)


def _const(p, i):
    v = p.values[i]
    return v.kind == "tensor" and v.role == "const" and v.dtype == 6


# ---- one table of operators: {op: (supported, emit)} -------------------------------------------
# supported(p, ins) -> bool: can this instruction become XNNPACK nodes? (pure check, no side effects)
# emit(g, p, ins, run, k) -> int: add the nodes for run[k] = ins; returns how many instructions it
# consumed (a convolution folds a following batch norm).


def _sup_binary(p, ins):
    a, op = ins.args, ins.op
    if ins.overload not in ("out", "Scalar_out"):
        return False
    if len(p.values[a[0]].shape) == 0 or len(p.values[ins.outs[0]].shape) == 0:
        return False  # a 0-d result: XNNPACK's scalar constants are [1] and would make it 1-d
    alpha_ok = op not in ("aten::add", "aten::sub") or _scalar(p, a[2]) == 1
    other_ok = _is_float(p, a[1], a[0]) if ins.overload == "out" else isinstance(_scalar(p, a[1]), (int, float))
    return alpha_ok and other_ok and _is_float(p, a[0]) and _is_float(p, ins.outs[0], a[0])


def _int8_of(g, v, layout):
    """(int8 xvalue, scale, zero point) of edge value v in `layout`: its int8 result, or a Convert of its
    float form with the calibrated range."""
    if (v, layout) in g.xq:
        return g.xq[(v, layout)]
    s, z = _qparams(g.ranges[v])
    xi = g.get(v, layout)
    xq = g.new_value(g.values[xi]["dims"], dtype=QINT8, q=("tensor", s, z))
    g.node("Convert", {"input_id": xi, "output_id": xq}, xq)
    return xq, s, z


def _emit_qbinary(g, p, ins, run, k, lay):
    """Static int8 Add / Multiply of two tensors, as the official quantizer writes them: inputs and
    result int8 with their own parameters, a following relu / hardtanh folded into the node's clamp.
    None when calibration did not see the tensors or XNNPACK would refuse the scales (then fp32)."""
    a, op = ins.args, ins.op
    x, y, out = a[0], a[1], ins.outs[0]
    act = _clamp_after(g, p, run, k, out)
    res = act[2] if act else out
    if any(v not in g.ranges for v in (x, y, res)) or len(p.values[y].shape) not in (len(p.values[x].shape), 0):
        return None
    sx, _ = g.xq[(x, lay)][1:] if (x, lay) in g.xq else _qparams(g.ranges[x])
    sy_in, _ = g.xq[(y, lay)][1:] if (y, lay) in g.xq else _qparams(g.ranges[y])
    so, zo = _qparams(g.ranges[res])
    f32 = np.float32
    if op == "aten::add":
        ra, rb = f32(sx) / f32(so), f32(sy_in) / f32(so)
        if not (2.0**-10 <= ra < 2.0**8 and 2.0**-10 <= rb < 2.0**8):
            return None
    else:
        r = (f32(sx) * f32(sy_in)) / f32(so)
        if not (2.0**-16 <= r < 2.0**8):
            return None
    xq = _int8_of(g, x, lay)[0]
    yq_in = _int8_of(g, y, lay)[0]
    lo, hi, used = -INF, INF, 1
    if act:
        lo, hi, out = act
        used = 2
    shape = p.values[out].shape
    dims = [shape[i] for i in NCHW_TO_NHWC] if lay == "nhwc" else list(shape)
    o = g.new_value(dims, dtype=QINT8, q=("tensor", so, zo))
    g.node(BINARY[op], {"input1_id": xq, "input2_id": yq_in, "output_id": o}, o, lo, hi)
    g.quantized(out, lay, o, so, zo)
    return used


def _emit_binary(g, p, ins, run, k):
    a, op = ins.args, ins.op
    x = a[0]
    if (g.quantize == "static" and ins.overload == "out" and op in ("aten::add", "aten::mul") and
            p.values[a[0]].dtype == 6 and p.values[a[1]].dtype == 6):
        xs, ys = p.values[x].shape, p.values[a[1]].shape
        lay = "nhwc" if len(xs) == 4 and len(ys) == 4 and (g.layout_of(x) == "nhwc" or g.layout_of(a[1]) == "nhwc") \
            else "nchw"
        used = _emit_qbinary(g, p, ins, run, k, lay) if len(xs) == len(ys) else None
        if used:
            return used
    if ins.overload == "Scalar_out":
        lay = g.layout_of(x)
        xi = g.get(x, lay)
        yi = g.const(np.array([float(_scalar(p, a[1]))]), XDT_OF[p.values[x].dtype])
    else:
        y = a[1]
        xs, ys = p.values[x].shape, p.values[y].shape
        both4 = len(xs) == 4 and (len(ys) == 4 or int(np.prod(ys)) == 1)
        lay = "nhwc" if both4 and (g.layout_of(x) == "nhwc" or g.layout_of(y) == "nhwc") else "nchw"
        xi = g.get(x, lay)
        yi = g.get(y, lay) if len(ys) == 4 else g.get(y, "nchw")
    out = ins.outs[0]
    o = g.out(out, lay)
    g.node(BINARY[op], {"input1_id": xi, "input2_id": yi, "output_id": o}, o)
    g.finish(out)
    return 1


def _sup_unary(p, ins):
    a = ins.args
    if ins.overload != "out":
        return False
    if ins.op == "aten::gelu" and p.values[a[1]].kind == "string" and p.values[a[1]].value != "none":
        return False
    return _is_float(p, a[0]) and _is_float(p, ins.outs[0], a[0])


QUANTIZED_UNARY = ("Sigmoid", "Tanh", "Hardswish")  # functions XNNPACK runs on int8 (as a byte table)


def _emit_qunary(g, p, x, out, typ):
    """Static int8: an element-wise function of an int8 value stays int8 (its own output parameters).
    False when x is not int8 here or calibration did not see the output."""
    lay = g.layout_of(x)
    if g.quantize != "static" or typ not in QUANTIZED_UNARY or (x, lay) not in g.xq or out not in g.ranges:
        return False
    xq = g.xq[(x, lay)][0]
    so, zo = _qparams(g.ranges[out])
    o = g.new_value(g.values[xq]["dims"], dtype=QINT8, q=("tensor", so, zo))
    g.node(typ, {"input_id": xq, "output_id": o}, o)
    g.quantized(out, lay, o, so, zo)
    return True


def _emit_unary(g, p, ins, run, k):
    a = ins.args
    if _emit_qunary(g, p, a[0], ins.outs[0], UNARY[ins.op]):
        return 1
    lay = g.layout_of(a[0])
    xi = g.get(a[0], lay)
    o = g.out(ins.outs[0], lay)
    g.node(UNARY[ins.op], {"input_id": xi, "output_id": o}, o)
    g.finish(ins.outs[0])
    return 1


def _sup_clamp(p, ins):
    a = ins.args
    return ins.overload == "out" and _is_float(p, a[0]) and _is_float(p, ins.outs[0], a[0])


def _emit_clamp(g, p, ins, run, k):
    a, op = ins.args, ins.op
    lo, hi = (0.0, INF) if op == "aten::relu" else (-INF, INF)
    if op == "aten::hardtanh":
        lo, hi = float(_scalar(p, a[1])), float(_scalar(p, a[2]))
    if op == "aten::clamp":
        lo = float(_scalar(p, a[1])) if p.values[a[1]].kind != "none" else -INF
        hi = float(_scalar(p, a[2])) if p.values[a[2]].kind != "none" else INF
    x, out = a[0], ins.outs[0]
    lay = g.layout_of(x)
    xi = g.get(x, lay)
    n = g.producer.get(xi)
    # fuse into the producer when only this clamp reads x (and x leaves nowhere else)
    if n is not None and p.uses.get(x, 0) == 1 and x not in g.ext_out and g.values[xi]["flags"] == 0 \
            and g.nodes[n]["type"] in CLAMPABLE:
        g.nodes[n]["min"] = max(g.nodes[n]["min"], lo)
        g.nodes[n]["max"] = min(g.nodes[n]["max"], hi)
        g.xv[(out, lay)] = xi
        if out in g.ext_out:  # the fused output leaves the subgraph: write it out
            if lay == "nchw":
                dst = g.new_value(p.values[out].shape, ext=len(g.ext_in) + g.ext_out.index(out), flags=2,
                                  dtype=XDT_OF[p.values[out].dtype])
                g.nodes[n]["fields"]["output_id"] = dst
                g.values[xi]["dead"] = True
                g.xv[(out, lay)] = dst
                g.producer[dst] = n
            g.finish(out)
        return 1
    o = g.out(out, lay)
    g.node("Clamp", {"input_id": xi, "output_id": o}, o, lo, hi)
    g.finish(out)
    return 1


def _clamp_after(g, p, run, k, v):
    """(lo, hi, clamp output) when run[k + 1] is relu / hardtanh / clamp with constant bounds, the only
    reader of v (v not a subgraph output), and calibration saw its output; else None."""
    if k + 1 >= len(run) or p.uses.get(v, 0) != 1 or v in g.ext_out:
        return None
    nxt = run[k + 1]
    a = nxt.args
    if (nxt.op not in ("aten::relu", "aten::hardtanh", "aten::clamp") or nxt.overload != "out" or a[0] != v or
            nxt.outs[0] not in g.ranges):
        return None
    if nxt.op == "aten::relu":
        return 0.0, INF, nxt.outs[0]
    if nxt.op == "aten::hardtanh":
        return float(_scalar(p, a[1])), float(_scalar(p, a[2])), nxt.outs[0]
    lo = float(_scalar(p, a[1])) if p.values[a[1]].kind != "none" else -INF
    hi = float(_scalar(p, a[2])) if p.values[a[2]].kind != "none" else INF
    return lo, hi, nxt.outs[0]


def _sup_conv(p, ins):
    a = ins.args
    if ins.overload != "out":
        return False
    x, w, b = a[0], a[1], a[2]
    if not (_is_f32(p, x) and _const(p, w) and len(p.values[x].shape) == 4 and _scalar(p, a[6]) is False):
        return False
    if p.values[b].kind == "tensor" and not _const(p, b):
        return False
    groups, cin = _scalar(p, a[8]), p.values[x].shape[1]
    return groups == 1 or (groups == cin and p.values[w].shape[1] == 1)


def _emit_conv(g, p, ins, run, k):
    a = ins.args
    x, wv, bv = a[0], a[1], a[2]
    w = np.frombuffer(p.values[wv].data, np.float32).reshape(p.values[wv].shape).copy()
    oc = w.shape[0]
    b = (np.frombuffer(p.values[bv].data, np.float32).copy() if p.values[bv].kind == "tensor"
         else np.zeros(oc, np.float32))
    out, used = ins.outs[0], 1
    # fold a following batch norm that alone reads the convolution's output
    if k + 1 < len(run):
        nxt = run[k + 1]
        if (nxt.op == "aten::_native_batch_norm_legit_no_training" and nxt.args[0] == out and
                p.uses.get(out, 0) == 1 and out not in g.ext_out):
            bn_w, bn_b, mean, var = [np.frombuffer(p.values[i].data, np.float32) if p.values[i].kind == "tensor"
                                     else None for i in nxt.args[1:5]]
            eps = float(_scalar(p, nxt.args[6]))
            scale = (bn_w if bn_w is not None else 1.0) / np.sqrt(var + eps)
            w = w * scale.reshape(-1, 1, 1, 1)
            b = (b - mean) * scale + (bn_b if bn_b is not None else 0.0)
            out, used = nxt.outs[0], 2
    stride, pad, dil = _ints(p, a[3]), _ints(p, a[4]), _ints(p, a[5])
    stride = stride * 2 if len(stride) == 1 else stride
    pad = pad * 2 if len(pad) == 1 else pad
    dil = dil * 2 if len(dil) == 1 else dil
    groups, cin = _scalar(p, a[8]), p.values[x].shape[1]
    kh, kw = w.shape[2], w.shape[3]
    depthwise = groups > 1
    fields = {"padding_top": pad[0], "padding_right": pad[1], "padding_bottom": pad[0], "padding_left": pad[1],
              "kernel_height": kh, "kernel_width": kw, "subsampling_height": stride[0],
              "subsampling_width": stride[1], "dilation_height": dil[0], "dilation_width": dil[1],
              "group_input_channels": 1 if depthwise else cin, "group_output_channels": oc // groups,
              "groups": groups}
    typ = "DepthwiseConv2d" if depthwise else "Conv2d"
    # int8: an activation clamp that alone reads the result folds in (its range is the output's)
    act = _clamp_after(g, p, run, k + used - 1, out)
    qio = _quantized_io(g, x, act[2] if act else out, "nhwc") if g.quantize == "static" else None
    if qio:  # int8: (Convert unless x is int8 already) -> quantized convolution, result kept int8
        xq, sx, sy, zy = qio
        lo, hi = -INF, INF
        if act:
            lo, hi, out = act
            used += 1
        wq, sw = _per_channel(w, 0)
        wt = wq.transpose(1, 2, 3, 0) if depthwise else wq.transpose(0, 2, 3, 1)
        wi = g.new_value(wt.shape, const=np.ascontiguousarray(wt).tobytes(), dtype=QCINT8,
                         q=("channel", sw, 3 if depthwise else 0))
        bs = (np.float32(sx) * sw).astype(np.float32)
        bq = np.clip(np.round(b / bs), -2**31, 2**31 - 1).astype(np.int32)
        bi = g.new_value([oc], const=bq.tobytes(), dtype=QCINT32, q=("channel", bs, 0))
        shape = p.values[out].shape
        yq = g.new_value([shape[i] for i in NCHW_TO_NHWC], dtype=QINT8, q=("tensor", sy, zy))
        g.node(typ, dict(fields, input1_id=xq, filter_id=wi, bias_id=bi, output_id=yq), yq, lo, hi)
        g.quantized(out, "nhwc", yq, sy, zy)
        return used
    wi = g.const(w.transpose(1, 2, 3, 0) if depthwise else w.transpose(0, 2, 3, 1))  # 1HWO / OHWI
    bi = g.const(b.astype(np.float32))
    xi = g.get(x, "nhwc")
    o = g.out(out, "nhwc")
    g.node(typ, dict(fields, input1_id=xi, filter_id=wi, bias_id=bi, output_id=o), o)
    g.finish(out)
    return used


def _sup_batch_norm(p, ins):
    a = ins.args
    return ins.overload == "out" and _is_f32(p, a[0]) and len(p.values[a[0]].shape) == 4 and all(
        _const(p, i) or p.values[i].kind == "none" for i in a[1:5]) and all(p.uses.get(o, 0) == 0 for o in ins.outs[1:])


def _emit_batch_norm(g, p, ins, run, k):
    a = ins.args
    bn_w, bn_b, mean, var = [np.frombuffer(p.values[i].data, np.float32) if p.values[i].kind == "tensor"
                             else None for i in a[1:5]]
    eps = float(_scalar(p, a[6]))
    scale = (bn_w if bn_w is not None else 1.0) / np.sqrt(var + eps)
    shift = (bn_b if bn_b is not None else 0.0) - mean * scale
    xi = g.get(a[0], "nhwc")
    c = p.values[a[0]].shape[1]
    mid = g.new_value([p.values[a[0]].shape[i] for i in NCHW_TO_NHWC])
    g.node("Multiply", {"input1_id": xi, "input2_id": g.const(np.broadcast_to(scale, (c,))), "output_id": mid}, mid)
    out = ins.outs[0]
    o = g.out(out, "nhwc")
    g.node("Add", {"input1_id": mid, "input2_id": g.const(np.broadcast_to(shift, (c,))), "output_id": o}, o)
    g.finish(out)
    return 1


def _sup_matmul(p, ins):
    a, op = ins.args, ins.op
    if ins.overload != "out":
        return False
    if op == "aten::addmm":
        bias, x, w = a[0], a[1], a[2]
        return (_const(p, bias) and len(p.values[bias].shape) == 1 and _scalar(p, a[3]) == 1 and
                _scalar(p, a[4]) == 1 and _is_f32(p, x) and _const(p, w))
    return _is_f32(p, a[0]) and _const(p, a[1])


def _emit_matmul(g, p, ins, run, k):
    a, op = ins.args, ins.op
    if op == "aten::addmm":
        bias, x, wv = a[0], a[1], a[2]
    else:
        bias, x, wv = None, a[0], a[1]
    w = np.frombuffer(p.values[wv].data, np.float32).reshape(p.values[wv].shape).T  # filter [N, K]
    b = np.frombuffer(p.values[bias].data, np.float32) if bias is not None else None
    out = ins.outs[0]
    qio = _quantized_io(g, x, out, "nchw")
    if qio:  # static int8
        xq, sx, sy, zy = qio
        wq, sw = _per_channel(np.ascontiguousarray(w), 0)
        wi = g.new_value(wq.shape, const=wq.tobytes(), dtype=QCINT8, q=("channel", sw, 0))
        bi = UINT32_MAX
        if b is not None:
            bs = (np.float32(sx) * sw).astype(np.float32)
            bq = np.clip(np.round(b / bs), -2**31, 2**31 - 1).astype(np.int32)
            bi = g.new_value([len(bq)], const=bq.tobytes(), dtype=QCINT32, q=("channel", bs, 0))
        yq = g.new_value(p.values[out].shape, dtype=QINT8, q=("tensor", sy, zy))
        g.node("FullyConnected", {"input1_id": xq, "filter_id": wi, "bias_id": bi, "output_id": yq}, yq)
        g.quantized(out, "nchw", yq, sy, zy)
        return 1
    xi = g.get(x, "nchw")
    if g.quantize in ("8da4w", "4w"):  # 4-bit weights (groupwise or per channel), fp32 out
        packed, dt, scales, group = _int4(np.ascontiguousarray(w), g.group)
        q = ("group", scales, 0, group) if group else ("channel", scales, 0)
        wi = g.new_value(w.shape, const=packed.tobytes(), dtype=dt, q=q)
        if g.quantize == "8da4w":  # qdint8 activations (4w: fp32 activations)
            xd = g.new_value(g.values[xi]["dims"], dtype=QDINT8, q=("token", 1))
            g.node("Convert", {"input_id": xi, "output_id": xd}, xd)
            xi = xd
    elif g.quantize == "dynamic":  # qdint8 activations, int8 per-channel weights, fp32 out
        wq, sw = _per_channel(np.ascontiguousarray(w), 0)
        wi = g.new_value(wq.shape, const=wq.tobytes(), dtype=QCINT8, q=("channel", sw, 0))
        xd = g.new_value(g.values[xi]["dims"], dtype=QDINT8, q=("token", 1))
        g.node("Convert", {"input_id": xi, "output_id": xd}, xd)
        xi = xd
    else:
        wi = g.const(w)
    bi = g.const(b) if b is not None else UINT32_MAX
    o = g.out(out, "nchw")
    g.node("FullyConnected", {"input1_id": xi, "filter_id": wi, "bias_id": bi, "output_id": o}, o)
    return 1


def _sup_mean(p, ins):
    a = ins.args
    dims = _ints(p, a[1])
    shape = p.values[a[0]].shape
    return (ins.overload == "out" and _is_f32(p, a[0]) and len(shape) == 4 and dims is not None and
            sorted(d % 4 for d in dims) == [2, 3] and p.values[a[3]].kind == "none")


def _sup_adaptive_avg_pool(p, ins):
    a = ins.args
    return ins.overload == "out" and _is_f32(p, a[0]) and len(p.values[a[0]].shape) == 4 and _ints(p, a[1]) in ([1, 1], [1])


def _emit_global_pool(g, p, ins, run, k):
    a = ins.args
    x, out = a[0], ins.outs[0]
    keep = len(p.values[out].shape) == 4
    if g.quantize == "static" and (x, "nhwc") in g.xq and out in g.ranges:
        # int8 in, int8 out with its own parameters (XNNPACK's quantized mean)
        xq = g.xq[(x, "nhwc")][0]
        so, zo = _qparams(g.ranges[out])
        n, c = p.values[x].shape[0], p.values[x].shape[1]
        o = g.new_value([n, 1, 1, c], dtype=QINT8, q=("tensor", so, zo))
        g.node("GlobalAvgPooling2d", {"input_id": xq, "output_id": o, "flags": XNN_FLAG_KEEP_DIMS}, o)
        if keep:
            g.quantized(out, "nhwc", o, so, zo)
        else:  # the float [N, 1, 1, C] then its [N, C] view
            f = g.new_value([n, 1, 1, c])
            g.node("Convert", {"input_id": o, "output_id": f}, f)
            r = g.out(out, "nchw")
            g.node("StaticReshape", {"num_dims": 2, "new_shape": _new_shape(p, out), "input_id": f, "output_id": r}, r)
        return 1
    xi = g.get(x, "nhwc")
    o = g.out(out, "nhwc") if keep else g.new_value([p.values[x].shape[0], 1, 1, p.values[x].shape[1]])
    # the official writer always keeps the pooled dims (op_mean_dim.py); without the flag XNNPACK
    # gives [N, C] and the 4-D nodes after it fail in the official runtime
    g.node("GlobalAvgPooling2d", {"input_id": xi, "output_id": o, "flags": XNN_FLAG_KEEP_DIMS}, o)
    if keep:
        g.finish(out)
    else:  # [N,1,1,C] in NHWC is [N,C] in memory
        r = g.out(out, "nchw")
        g.node("StaticReshape", {"num_dims": 2, "new_shape": _new_shape(p, out), "input_id": o, "output_id": r}, r)
    return 1


def _sup_max_pool(p, ins):
    a = ins.args
    return (ins.overload == "out" and _is_f32(p, a[0]) and len(p.values[a[0]].shape) == 4 and _scalar(p, a[5]) is False and
            set(_ints(p, a[4]) or [1]) == {1} and p.uses.get(ins.outs[1], 0) == 0)


def _sup_avg_pool(p, ins):
    a = ins.args
    return (ins.overload == "out" and _is_f32(p, a[0]) and len(p.values[a[0]].shape) == 4 and
            set(_ints(p, a[3]) or [0]) == {0} and _scalar(p, a[4]) is False and p.values[a[6]].kind == "none")


def _emit_pool(g, p, ins, run, k):
    a, op = ins.args, ins.op
    x, out = a[0], ins.outs[0]
    k_ = _ints(p, a[1])
    k_ = k_ * 2 if len(k_) == 1 else k_
    s_ = _ints(p, a[2]) or k_
    s_ = s_ * 2 if len(s_) == 1 else s_
    pd = _ints(p, a[3]) or [0, 0]
    pd = pd * 2 if len(pd) == 1 else pd
    is_max = op == "aten::max_pool2d_with_indices"
    quant = g.quantize == "static" and is_max and (x, "nhwc") in g.xq  # int8 in: int8 out, the same parameters
    if quant:
        xi, sx, zx = g.xq[(x, "nhwc")]
        shape = p.values[out].shape
        o = g.new_value([shape[i] for i in NCHW_TO_NHWC], dtype=QINT8, q=("tensor", sx, zx))
    else:
        xi = g.get(x, "nhwc")
        o = g.out(out, "nhwc")
    # as the official writer (op_max_pool2d.py, op_avg_pooling2d.py): KEEP_DIMS on both, dilation
    # 1 x 1 on max pooling and 0 x 0 ("unused") on average pooling
    g.node("MaxPooling2d" if is_max else "AvgPooling2d",
           {"padding_top": pd[0], "padding_right": pd[1], "padding_bottom": pd[0], "padding_left": pd[1],
            "pooling_height": k_[0], "pooling_width": k_[1], "stride_height": s_[0], "stride_width": s_[1],
            "dilation_height": 1 if is_max else 0, "dilation_width": 1 if is_max else 0, "input_id": xi,
            "output_id": o, "flags": XNN_FLAG_KEEP_DIMS}, o)
    if quant:
        g.quantized(out, "nhwc", o, sx, zx)
    else:
        g.finish(out)
    return 1


def _sup_layout(p, ins):
    return ins.overload == "out" and _is_f32(p, ins.args[0]) and 1 <= len(p.values[ins.outs[0]].shape) <= 6


def _emit_view(g, p, ins, run, k):
    a = ins.args
    x, out = a[0], ins.outs[0]
    shape = p.values[out].shape
    xs = p.values[x].shape
    # int8 stays int8: NCHW as it is, or NHWC where both orders are one (a [N, C, 1, 1] input)
    q = g.xq.get((x, "nchw")) or (g.xq.get((x, "nhwc")) if len(xs) == 4 and xs[2] == xs[3] == 1 else None)
    if g.quantize == "static" and q:
        o = g.new_value(list(shape), dtype=QINT8, q=("tensor", q[1], q[2]))
        g.node("StaticReshape", {"num_dims": len(shape), "new_shape": _new_shape(p, out), "input_id": q[0], "output_id": o}, o)
        g.quantized(out, "nchw", o, q[1], q[2])
        return 1
    xi = g.get(x, "nchw")
    o = g.out(out, "nchw")
    g.node("StaticReshape", {"num_dims": len(shape), "new_shape": _new_shape(p, out), "input_id": xi, "output_id": o}, o)
    return 1


def _emit_permute(g, p, ins, run, k):
    a = ins.args
    x, out = a[0], ins.outs[0]
    perm = [d % len(p.values[x].shape) for d in _ints(p, a[1])]
    xi = g.get(x, "nchw")
    o = g.out(out, "nchw")
    g.node("StaticTranspose", {"num_dims": len(perm), "perm": perm, "input_id": xi, "output_id": o}, o)
    return 1


def _sup_transpose(p, ins):
    return (ins.overload == "int_out" and _is_f32(p, ins.args[0]) and 1 <= len(p.values[ins.args[0]].shape) <= 6 and
            _scalar(p, ins.args[1]) is not None and _scalar(p, ins.args[2]) is not None)


def _emit_transpose(g, p, ins, run, k):
    """transpose(x, d0, d1): a StaticTranspose whose perm swaps the two dims (the official exporter
    sees it as permute_copy after its edge decompositions)"""
    x, out = ins.args[0], ins.outs[0]
    rank = len(p.values[x].shape)
    perm = list(range(rank))
    d0, d1 = _scalar(p, ins.args[1]) % rank, _scalar(p, ins.args[2]) % rank
    perm[d0], perm[d1] = perm[d1], perm[d0]
    xi = g.get(x, "nchw")
    o = g.out(out, "nchw")
    g.node("StaticTranspose", {"num_dims": rank, "perm": perm, "input_id": xi, "output_id": o}, o)
    return 1


def _sup_cat(p, ins):
    items = p.values[ins.args[0]].value
    return ins.overload == "out" and 2 <= len(items) <= 5 and all(_is_f32(p, i) and not _const(p, i) for i in items)


def _share_cat_ranges(p):
    """Static int8 concatenation keeps its inputs' bytes, so its inputs and output share one range (as
    the official quantizer shares their observers): each cat's values get the union of their ranges,
    repeated until cats that feed each other agree."""
    ranges = getattr(p, "ranges", {})
    for _ in range(8):
        changed = False
        for ins in p.instrs:
            if ins.op != "aten::cat" or ins.overload != "out":
                continue
            vals = list(p.values[ins.args[0]].value) + [ins.outs[0]]
            if not all(v in ranges for v in vals):
                continue
            u = (min(ranges[v][0] for v in vals), max(ranges[v][1] for v in vals))
            for v in vals:
                if ranges[v] != u:
                    ranges[v], changed = u, True
        if not changed:
            return


def _emit_cat(g, p, ins, run, k):
    a = ins.args
    items, dim, out = p.values[a[0]].value, _scalar(p, a[1]), ins.outs[0]
    rank = len(p.values[out].shape)
    dim %= rank
    lay = "nhwc" if rank == 4 and all(g.layout_of(i) == "nhwc" for i in items) else "nchw"
    axis = NCHW_TO_NHWC.index(dim) if lay == "nhwc" else dim
    if g.quantize == "static" and out in g.ranges and any((i, lay) in g.xq for i in items) and \
            all(i in g.ranges for i in items):
        # int8: every input with the output's parameters (shared ranges); an input with others stays fp32
        so, zo = _qparams(g.ranges[out])
        qs = [g.xq[(i, lay)] if (i, lay) in g.xq else None for i in items]
        if all(q is None or (q[1], q[2]) == (so, zo) for q in qs):
            ids = [q[0] if q else _int8_of(g, i, lay)[0] for q, i in zip(qs, items)]
            shape = p.values[out].shape
            o = g.new_value([shape[j] for j in NCHW_TO_NHWC] if lay == "nhwc" else list(shape), dtype=QINT8,
                            q=("tensor", so, zo))
            f = {"axis": axis, "output_id": o}
            for j, xi in enumerate(ids):
                f["input%d_id" % (j + 1)] = xi
            g.node("Concatenate%d" % len(ids), f, o)
            g.quantized(out, lay, o, so, zo)
            return 1
    ids = [g.get(i, lay) for i in items]
    o = g.out(out, lay)
    f = {"axis": axis, "output_id": o}
    for j, xi in enumerate(ids):
        f["input%d_id" % (j + 1)] = xi
    g.node("Concatenate%d" % len(ids), f, o)
    g.finish(out)
    return 1


def _sup_softmax(p, ins):
    a = ins.args
    return ins.overload == "out" and _is_f32(p, a[0]) and _scalar(p, a[1]) in (-1, len(p.values[a[0]].shape) - 1)


def _emit_softmax(g, p, ins, run, k):
    xi = g.get(ins.args[0], "nchw")
    o = g.out(ins.outs[0], "nchw")
    g.node("Softmax", {"input_id": xi, "output_id": o}, o)
    return 1


def _sup_bmm(p, ins):
    return ins.overload == "out" and _is_f32(p, ins.args[0]) and _is_f32(p, ins.args[1])


def _emit_bmm(g, p, ins, run, k):
    xi, yi = g.get(ins.args[0], "nchw"), g.get(ins.args[1], "nchw")
    o = g.out(ins.outs[0], "nchw")
    g.node("BatchMatrixMultiply", {"input1_id": xi, "input2_id": yi, "output_id": o}, o)
    return 1


def _sup_hardswish(p, ins):
    return _is_float(p, ins.args[0]) and _is_float(p, ins.outs[0], ins.args[0])


def _emit_hardswish(g, p, ins, run, k):
    x, out = ins.args[0], ins.outs[0]
    if _emit_qunary(g, p, x, out, "Hardswish"):
        return 1
    lay = g.layout_of(x)
    xi = g.get(x, lay)
    o = g.out(out, lay)
    g.node("Hardswish", {"input_id": xi, "output_id": o}, o)
    g.finish(out)
    return 1


def _find_hardswish(p):
    """Capture decomposes hardswish into x * clamp(x + 3, 0, 6) / 6: five element-wise passes.
    Where that exact chain appears (each intermediate read once), one "petite::hardswish"
    instruction stands for it, so the delegate writes one XNNPACK Hardswish node (which the
    runtime then fuses into the convolution before it). Returns the rewritten instruction list."""
    ins = list(p.instrs)
    uses = {}
    for i in ins:
        for a in i.args:
            if a not in i.outs:
                uses[a] = uses.get(a, 0) + 1
    for o in p.outputs:
        uses[o] = uses.get(o, 0) + 1

    def num(i, want):
        v = p.values[i]
        return v.kind in ("int", "double") and float(v.value) == want

    def none(i):
        return p.values[i].kind == "none"

    out, k = [], 0
    while k < len(ins):
        w = ins[k:k + 5]
        if len(w) == 5 and [i.name for i in w] == ["aten::add.Scalar_out", "aten::clamp.out", "aten::clamp.out",
                                                   "aten::mul.out", "aten::div.Scalar_out"]:
            add, c0, c1, mul, div = w
            x, a = add.args[0], add.outs[0]
            b, c, d, y = c0.outs[0], c1.outs[0], mul.outs[0], div.outs[0]
            ok = (num(add.args[1], 3) and num(add.args[2], 1) and c0.args[0] == a and num(c0.args[1], 0) and
                  none(c0.args[2]) and c1.args[0] == b and none(c1.args[1]) and num(c1.args[2], 6) and
                  sorted(mul.args[:2]) == sorted([x, c]) and div.args[0] == d and num(div.args[1], 6) and
                  all(uses.get(v, 0) == 1 for v in (a, b, c, d)) and _is_float(p, x) and _is_float(p, y, x))
            if ok:
                out.append(Instr("petite::hardswish", "out", [x, y, y], [y]))
                for v in (a, b, c, d):
                    p.values[v].role = "dead"
                k += 5
                continue
        out.append(ins[k])
        k += 1
    return out


OPS = dict(
    [(op, (_sup_binary, _emit_binary)) for op in BINARY] +
    [(op, (_sup_unary, _emit_unary)) for op in UNARY] +
    [(op, (_sup_clamp, _emit_clamp)) for op in CLAMPS] + [
        ("aten::convolution", (_sup_conv, _emit_conv)),
        ("aten::_native_batch_norm_legit_no_training", (_sup_batch_norm, _emit_batch_norm)),
        ("aten::addmm", (_sup_matmul, _emit_matmul)),
        ("aten::mm", (_sup_matmul, _emit_matmul)),
        ("aten::mean", (_sup_mean, _emit_global_pool)),
        ("aten::_adaptive_avg_pool2d", (_sup_adaptive_avg_pool, _emit_global_pool)),
        ("aten::max_pool2d_with_indices", (_sup_max_pool, _emit_pool)),
        ("aten::avg_pool2d", (_sup_avg_pool, _emit_pool)),
        ("aten::view_copy", (_sup_layout, _emit_view)),
        ("aten::permute_copy", (_sup_layout, _emit_permute)),
        ("aten::transpose_copy", (_sup_transpose, _emit_transpose)),
        ("aten::cat", (_sup_cat, _emit_cat)),
        ("aten::_softmax", (_sup_softmax, _emit_softmax)),
        ("aten::bmm", (_sup_bmm, _emit_bmm)),
        ("petite::hardswish", (_sup_hardswish, _emit_hardswish)),
    ])


def _new_shape(p, v):
    """A StaticReshape's new_shape for value v: its dims, with 0 (XNNPACK's "inferred") at the one dim that
    follows the dynamic size, as the official writer writes a dynamic view (op_view_copy.py)."""
    return [0 if k in p.values[v].dyn_dims else int(d) for k, d in enumerate(p.values[v].shape)]


def _dynamic_ok(p, ins):
    """Dynamic sizes: every value's dims in the subgraph are the upper bound and the delegate takes the
    run's shapes from its inputs, so an instruction can be delegated unless a number baked into its
    nodes follows the size: an int computed at run time (only a view's new shape may hold one, written
    as 0 = inferred) or a reshape of more than one dynamic dim."""
    def computed(i):
        v = p.values[i]
        return (v.kind == "int" and v.computed) or (v.kind == "int_list" and any(p.values[j].computed for j in v.value))
    out = p.values[ins.outs[0]] if ins.outs else None
    reshapes = ins.op == "aten::view_copy" or (
        ins.op in ("aten::mean", "aten::adaptive_avg_pool2d") and out is not None and len(out.shape) != 4)
    if reshapes and len(out.dyn_dims) > 1:
        return False
    return ins.op == "aten::view_copy" or not any(computed(i) for i in ins.args)


def supported(p, ins):
    """Can this instruction become XNNPACK nodes? (pure check, no side effects)"""
    entry = OPS.get(ins.op)
    return ins.delegate is None and entry is not None and entry[0](p, ins) and _dynamic_ok(p, ins)


def _hoist_sizes(instrs, p):
    """The instructions that compute sizes from the dynamic input (aten::sym_size and the integer
    arithmetic on it) read only the inputs' sizes: run them first, so they do not split a delegated run."""
    sizes = [i for i in instrs if i.op == "aten::sym_size" or (i.op.startswith("executorch_prim::") and
                                                                all(p.values[a].kind == "int" for a in i.args))]
    return sizes + [i for i in instrs if i not in sizes]


def _emit(g, p, ins, run, k):
    """Add the nodes for run[k] = ins; returns how many instructions it consumed (BN folding)."""
    return OPS[ins.op][1](g, p, ins, run, k)


# field order of each node table (schema order), by node type
_FIELDS_2X1 = ["input1_id", "input2_id", "output_id", "flags"]
_FIELDS_1X1 = ["input_id", "output_id", "flags"]
_FIELDS_CONV = ["padding_top", "padding_right", "padding_bottom", "padding_left", "kernel_height", "kernel_width",
                "subsampling_height", "subsampling_width", "dilation_height", "dilation_width",
                "group_input_channels", "group_output_channels", "groups", "adjustment_height",
                "adjustment_width", "input1_id", "filter_id", "bias_id", "output_id", "flags"]
_FIELDS_POOL = ["padding_top", "padding_right", "padding_bottom", "padding_left", "pooling_height", "pooling_width",
                "stride_height", "stride_width", "dilation_height", "dilation_width", "input_id", "output_id", "flags"]
_FIELDS_CAT = ["axis", "input1_id", "input2_id", "input3_id", "input4_id", "output_id", "flags", "input5_id"]


def _node_table(fb, n):
    t, f = n["type"], n["fields"]
    if t in ("Conv2d", "DepthwiseConv2d"):
        names = _FIELDS_CONV
    elif t in ("MaxPooling2d", "AvgPooling2d"):
        names = _FIELDS_POOL
    elif t.startswith("Concatenate"):
        names = _FIELDS_CAT
    elif t == "FullyConnected":
        names = ["input1_id", "filter_id", "bias_id", "output_id", "flags"]
    elif t in ("StaticTranspose", "StaticReshape"):
        vec = fb.vec("I", f["perm"] if t == "StaticTranspose" else f["new_shape"])
        return fb.table([(0, "u32", f["num_dims"]), (1, "off", vec), (2, "u32", f["input_id"]),
                         (3, "u32", f["output_id"]), (4, "u32", 0)])
    elif t in ("Add", "Subtract", "Multiply", "Div", "BatchMatrixMultiply"):
        names = _FIELDS_2X1
    else:
        names = _FIELDS_1X1
    return fb.table([(i, "u32", f.get(name, 0)) for i, name in enumerate(names)])


def _blob(g, named):
    """The processed blob: XH00 header + XNNGraph flatbuffer; weights go to `named`."""
    fb = ser._FB()
    constant_data = [fb.table([(0, "u64", 0), (1, "u64", 0), (2, "off", fb.b.CreateString(""))])]
    cidx = {}
    for i, v in enumerate(g.values):
        if v["const"] is not None:
            key = hashlib.sha256(v["const"]).hexdigest()
            named.setdefault(key, v["const"])
            cidx[i] = len(constant_data)
            constant_data.append(fb.table([(0, "u64", 0xFFFFFFFFFFFFFFFF), (1, "u64", len(v["const"])),
                                           (2, "off", fb.b.CreateString(key))]))
    xvalues = []
    for i, v in enumerate(g.values):
        q = v["q"]
        qp = None
        if q and q[0] == "channel":  # PerChannelQuant{scale, channel_dim}
            qp = (1, fb.table([(0, "off", fb.vec("f", [float(x) for x in q[1]])), (1, "i32", int(q[2]))]))
        elif q and q[0] == "tensor":  # PerTensorQuant{scale, zero_point}
            qp = (2, fb.table([(0, "f32", float(q[1])), (1, "i32", int(q[2]))]))
        elif q and q[0] == "token":  # PerTokenDynamicQuant{num_nonbatch_dims}
            qp = (3, fb.table([(0, "i32", int(q[1]))]))
        elif q and q[0] == "group":  # PerChannelGroupQuant{scale, channel_dim, group_size}
            qp = (4, fb.table([(0, "off", fb.vec("f", [float(x) for x in q[1]])), (1, "i32", int(q[2])),
                               (2, "i32", int(q[3]))]))
        tv = fb.table([(0, "i16", v["dtype"]), (1, "u32", len(v["dims"])), (2, "off", fb.vec("I", v["dims"])),
                       (3, "u32", cidx.get(i, 0)), (4, "u32", v["ext"] if v["ext"] is not None else UINT32_MAX),
                       (5, "u32", v["flags"]), (6, "u32", i)])
        if qp:
            qtv = fb.table([(0, "off", tv), (1, "u8", qp[0]), (2, "off", qp[1])])
            xvalues.append(fb.table([(0, "u8", 2), (1, "off", qtv)]))
        else:
            xvalues.append(fb.table([(0, "u8", 1), (1, "off", tv)]))
    xnodes = []
    for n in g.nodes:
        body = _node_table(fb, n)
        mm = None
        if n["min"] != -INF or n["max"] != INF:
            mm = fb.table([(0, "f32", n["min"]), (1, "f32", n["max"])])
        xnodes.append(fb.table([(0, "u8", XN[n["type"]]), (1, "off", body), (2, "u32", 0), (3, "off", mm)]))
    nin, nout = len(g.ext_in), len(g.ext_out)
    ids_in = [i for i, v in enumerate(g.values) if v["flags"] == 1]
    ids_out = [i for i, v in enumerate(g.values) if v["flags"] == 2]
    root = fb.table([(0, "off", fb.b.CreateString("0")), (1, "off", fb.offsets(xnodes)),
                     (2, "off", fb.offsets(xvalues)), (3, "u32", nin + nout), (4, "off", fb.vec("I", ids_in)),
                     (5, "off", fb.vec("I", ids_out)), (8, "off", fb.offsets(constant_data))])
    fb.b.Finish(root, file_identifier=b"XN01")
    flat = bytes(fb.b.Output())
    fb_off = 32
    const_off = fb_off + ser._pad(len(flat), 16)
    header = b"\0\0\0\0XH00" + struct.pack("<HIIIQ", 30, fb_off, len(flat), const_off, 0) + b"\0\0"
    return header + flat + b"\0" * (const_off - fb_off - len(flat))


def delegate(p, quantize=None, group=INT4_GROUP):
    """Rewrite EdgeProgram p in place: runs of supported instructions become DelegateCalls.
    quantize: None, "static" (int8 convolutions and linear layers from p.ranges, see calibrate.py),
    "dynamic" (qdint8 linear layers), "8da4w" (qdint8 linear layers with 4-bit weights) or "4w" (4-bit
    weights, fp32 activations); group: the 4-bit weights' group along K (per channel when K is not a
    larger multiple of it).
    Returns the number of instructions delegated."""
    p.instrs = _hoist_sizes(_find_hardswish(p), p)
    sizes = [ins for ins in p.instrs if ins.op == "aten::sym_size" or ins.op.startswith("executorch_prim::")]
    if quantize == "static":
        _share_cat_ranges(p)
    uses = {}
    for ins in p.instrs:
        written = set(ins.outs)
        for i in ins.args:
            v = p.values[i]
            if i in written or (v.kind == "tensor_list" and set(v.value) <= written and v.value):
                continue
            refs = v.value if v.kind in ("tensor_list", "optional_tensor_list") else [i]
            for r in refs:
                if r >= 0:
                    uses[r] = uses.get(r, 0) + 1
    for o in p.outputs:
        uses[o] = uses.get(o, 0) + 1
    p.uses = uses
    new, run, delegated = [], [], 0
    instrs = list(p.instrs)

    def flush():
        nonlocal delegated
        if not run:
            return
        defined = {o for ins in run for o in ins.outs}
        after = set(p.outputs)
        idx = instrs.index(run[-1])
        for later in instrs[idx + 1:]:
            for i in later.args:
                v = p.values[i]
                after.update(v.value if v.kind in ("tensor_list", "optional_tensor_list") else [i])
        g = _Graph(p, uses, quantize, group)
        for ins in run:
            for i in ins.args:
                v = p.values[i]
                for r in (v.value if v.kind in ("tensor_list", "optional_tensor_list") else [i]):
                    if (r >= 0 and r not in defined and r not in g.ext_in and p.values[r].kind == "tensor"
                            and p.values[r].role != "const" and not (ins.op == "aten::convolution" and r in ins.args[1:3])):
                        g.ext_in.append(r)
        g.ext_out = [o for ins in run for o in ins.outs if o in after]
        for j, v in enumerate(g.ext_in):
            g.xv[(v, "nchw")] = g.new_value(p.values[v].shape, ext=j, flags=1, dtype=XDT_OF[p.values[v].dtype])
        k = 0
        while k < len(run):
            k += _emit(g, p, run[k], run, k)
        missing = [o for o in g.ext_out if (o, "nchw") not in g.xv or g.values[g.xv[(o, "nchw")]]["flags"] != 2]
        if missing:
            raise AssertionError("subgraph outputs not produced: %s" % missing)
        p.delegates.append(_blob(g, p.named))
        call = Instr("XnnpackBackend", "", list(g.ext_in) + list(g.ext_out), g.ext_out)
        call.delegate = len(p.delegates) - 1
        new.append(call)
        delegated += len(run)
        run.clear()

    for ins in instrs:
        if supported(p, ins):
            run.append(ins)
        else:
            flush()
            new.append(ins)
    flush()
    # size computations whose every reader went into a delegate (a view's new shape) are not needed
    while True:
        read = set()
        for ins in new:
            for i in ins.args[:-1] if ins in sizes else ins.args:
                read.add(i)
                if p.values[i].kind == "int_list":
                    read.update(p.values[i].value)
        dead = [ins for ins in new if ins in sizes and ins.args[-1] not in read]
        if not dead:
            break
        new = [ins for ins in new if ins not in dead]
    p.instrs = new
    # values only the delegates used need no memory and no constant data in the program
    alive = set(p.inputs) | set(p.outputs)
    for ins in p.instrs:
        for i in ins.args:
            alive.add(i)
            v = p.values[i]
            if v.kind in ("tensor_list", "optional_tensor_list", "int_list"):
                alive.update(x for x in v.value if x >= 0)
    for v in p.values:
        if v.index not in alive:
            v.role = "dead"
    return delegated

