"""Every portable kernel against PyTorch: one small module per operator configuration, exported
with petite-export's pipeline (capture, lower, plan, serialize), run in petite, compared with
eager PyTorch (max abs error <= 1e-5 x max(1, output scale), exact for integer outputs). Every
case runs twice: portable, and with the xnnpack backend (the ops it can delegate become XNNPACK
subgraphs run by petite's XnnpackBackend).

    /usr/bin/python3 tests/python/test_ops.py [-k FILTER[,FILTER...]]   (cases whose name holds any)
"""
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from petite import runtime  # noqa: E402
from petite.export import capture, lower, plan, serialize, xnnpack  # noqa: E402


class Fn(nn.Module):
    def __init__(self, f, *mods):
        super().__init__()
        self.f, self.mods = f, nn.ModuleList(mods)

    def forward(self, *x):
        return self.f(self.mods, *x) if len(self.mods) else self.f(*x)


class SetSlice(nn.Module):
    """a cache written the usual way at fixed places: cache[:, :, 3:5] = k (slice_scatter) and
    cache[:, :, 6] = ... (select_scatter), on a kept buffer"""

    def __init__(self):
        super().__init__()
        self.register_buffer("cache", torch.zeros(1, 2, 8, 4))

    def forward(self, k):
        self.cache[:, :, 3:5] = k
        self.cache[:, :, 6] = k[:, :, 0] * 2
        return self.cache.sum(dim=2) + 0


# Cases whose operators XNNPACK must take over on the xnnpack backend: after delegation none of the
# listed operators may remain a portable KernelCall (so a partitioner that silently keeps them
# portable fails here instead of passing on the portable kernels).
DELEGATED = {
    "conv2d_3x3": {"aten::convolution"}, "conv2d_stride2_pad": {"aten::convolution"},
    "conv2d_dilation": {"aten::convolution"}, "conv2d_depthwise": {"aten::convolution"},
    "conv2d_1x1": {"aten::convolution"}, "conv2d_rect": {"aten::convolution"},
    "linear": {"aten::addmm"}, "linear_3d": {"aten::addmm", "aten::view_copy"}, "bmm": {"aten::bmm"},
    "linear_nobias": {"aten::mm"}, "linear_3d_nobias": {"aten::mm", "aten::view_copy"},
    "dwconv_nobias": {"aten::convolution"},
    "batch_norm": {"aten::_native_batch_norm_legit_no_training"},
    "act_relu": {"aten::relu"}, "act_relu6": {"aten::hardtanh"}, "act_hardtanh": {"aten::hardtanh"},
    "act_sigmoid": {"aten::sigmoid"}, "act_tanh": {"aten::tanh"}, "act_gelu": {"aten::gelu"},
    "clamp": {"aten::clamp"}, "clamp_min": {"aten::clamp"},
    "unary_exp": {"aten::exp"}, "unary_log": {"aten::log"}, "unary_sqrt": {"aten::sqrt"},
    "unary_rsqrt": {"aten::rsqrt"}, "unary_neg": {"aten::neg"}, "unary_abs": {"aten::abs"},
    "unary_floor": {"aten::floor"}, "unary_ceil": {"aten::ceil"},
    "max_pool2d": {"aten::max_pool2d_with_indices"}, "max_pool2d_3s2p1": {"aten::max_pool2d_with_indices"},
    "avg_pool2d": {"aten::avg_pool2d"}, "adaptive_avg_pool2d_1": {"aten::mean"},
    "mean_dims": {"aten::mean"}, "softmax_dim1": set(), "cat": {"aten::cat"},
    "add_broadcast": {"aten::add"}, "sub_alpha": set(), "div_scalar": {"aten::div"},
    "fp16_arith": {"aten::mul", "aten::div"}, "linear_view_relu": {"aten::addmm", "aten::relu"},
    "reshape_alias_chain": {"aten::view_copy", "aten::relu", "aten::sigmoid"},
    "reshape_alias_live": {"aten::view_copy", "aten::relu", "aten::sigmoid"},
    "conv_bn_relu6": {"aten::convolution", "aten::_native_batch_norm_legit_no_training", "aten::hardtanh"},
    "conv_to_linear": {"aten::convolution", "aten::relu", "aten::addmm"},
    "nhwc_residual_cat": {"aten::convolution", "aten::add", "aten::sigmoid", "aten::cat"},
    "conv_silu": {"aten::convolution", "aten::sigmoid", "aten::mul"}, "linear_sigmoid": {"aten::addmm", "aten::sigmoid"},
    "silu_alone": {"aten::sigmoid", "aten::mul"},
    "act_hardswish": {"aten::add", "aten::clamp", "aten::mul", "aten::div"},
    "dwconv_hardswish": {"aten::convolution", "aten::add", "aten::clamp", "aten::mul", "aten::div"},
}


def run_case(name, model, inputs, backend="portable"):
    model.eval()
    gm = capture.capture(model, inputs)
    p = lower.lower(gm, runtime.has_kernel)
    for ins in p.instrs:  # the official emitter's count: the out list again as the return value
        if ins.op in ("aten::split_copy", "aten::split_with_sizes_copy", "aten::unbind_copy"):
            assert len(ins.args) >= 2 and ins.args[-1] == ins.args[-2], "%s: the out list is not written again" % ins.op
    if backend == "xnnpack":
        before = {ins.op for ins in p.instrs}
        xnnpack.delegate(p)
        want = DELEGATED.get(name, set())
        left = {ins.op for ins in p.instrs if ins.delegate is None} & want
        calls = sum(ins.delegate is not None for ins in p.instrs)
        assert not (want - before), "the case does not contain %s" % sorted(want - before)
        assert not left, "not delegated to XNNPACK: %s" % sorted(left)
        assert calls > 0 or not want, "no DelegateCall"
    arena, _ = plan.plan_memory(p)
    data = serialize.serialize(p, "forward", arena)
    got = runtime.Program(data).load_method().run(*[x.numpy() for x in inputs])
    with torch.no_grad():
        ref = model(*inputs)
    refs = [ref] if isinstance(ref, torch.Tensor) else list(ref)
    assert len(got) == len(refs), "%d outputs, eager %d" % (len(got), len(refs))
    for g, r in zip(got, refs):
        r = r.numpy()
        assert g.shape == r.shape, "shape %s vs eager %s" % (g.shape, r.shape)
        assert g.dtype == r.dtype, "dtype %s vs eager %s" % (g.dtype, r.dtype)
        if r.dtype.kind in "biu":
            assert (g == r).all(), "integer outputs differ"
        else:
            err = float(np.abs(g.astype(np.float64) - r).max()) if r.size else 0.0
            tol = (1e-5 if r.dtype != np.float16 else 2e-3) * max(1.0, float(np.abs(r).max()) if r.size else 1.0)
            assert err <= tol, "max abs error %.3g > %.3g" % (err, tol)


def cases():
    g = torch.Generator().manual_seed(0)
    r = lambda *s: torch.randn(*s, generator=g)  # noqa: E731
    c = []
    add = lambda name, m, *x: c.append((name, m, list(x)))  # noqa: E731
    # convolution: groups, stride, padding, dilation, depthwise, 1x1, 1-D, transposed, no bias
    add("conv2d_3x3", nn.Conv2d(3, 8, 3, padding=1), r(1, 3, 9, 9))
    add("conv2d_stride2_pad", nn.Conv2d(4, 6, 3, stride=2, padding=2), r(2, 4, 11, 10))
    add("conv2d_dilation", nn.Conv2d(2, 4, 3, dilation=2, padding=1), r(1, 2, 12, 12))
    add("conv2d_groups", nn.Conv2d(8, 12, 3, groups=4, padding=1, bias=False), r(1, 8, 7, 7))
    add("conv2d_depthwise", nn.Conv2d(6, 6, 5, groups=6, stride=2, padding=2), r(1, 6, 13, 13))
    add("conv2d_1x1", nn.Conv2d(16, 8, 1), r(1, 16, 5, 6))
    add("conv2d_rect", nn.Conv2d(1, 4, (10, 4), stride=(2, 2), padding=(5, 1), bias=False), r(1, 1, 49, 10))
    add("dwconv_nobias", nn.Conv2d(6, 6, 3, groups=6, padding=1, bias=False), r(1, 6, 7, 7))
    add("conv_transpose2d_nobias", nn.ConvTranspose2d(4, 3, 3, stride=2, bias=False), r(1, 4, 5, 5))
    add("conv1d", nn.Conv1d(4, 5, 3, padding=1, stride=2), r(2, 4, 17))
    add("conv_transpose2d", nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), r(1, 4, 5, 5))
    # linear algebra
    add("linear", nn.Linear(7, 5), r(3, 7))
    add("linear_3d", nn.Linear(6, 4), r(2, 3, 6))
    add("linear_nobias", nn.Linear(7, 5, bias=False), r(3, 7))
    add("linear_3d_nobias", nn.Linear(6, 4, bias=False), r(2, 3, 6))
    add("matmul_mm", Fn(lambda a, b: a @ b), r(4, 5), r(5, 3))
    add("bmm", Fn(torch.bmm), r(2, 3, 4), r(2, 4, 5))
    add("addmm_beta_alpha", Fn(lambda x, a, b: torch.addmm(x, a, b, beta=0.5, alpha=2.0)), r(3), r(2, 4), r(4, 3))
    # normalization
    bn = nn.BatchNorm2d(5)
    bn.running_mean.uniform_(-1, 1, generator=g)
    bn.running_var.uniform_(0.5, 2, generator=g)
    add("batch_norm", bn, r(2, 5, 3, 3))
    add("batch_norm_1d", nn.BatchNorm1d(4).eval(), r(3, 4))
    add("layer_norm", nn.LayerNorm(8), r(2, 3, 8))
    add("layer_norm_2d", nn.LayerNorm([3, 4], elementwise_affine=False), r(2, 3, 4))
    # activations
    for act in ["relu", "relu6", "hardtanh", "hardswish", "hardsigmoid", "sigmoid", "silu", "gelu", "tanh",
                "leaky_relu", "elu", "softplus"]:
        add("act_" + act, Fn(getattr(F, act)), r(2, 3, 5) * 4)
    add("gelu_tanh", Fn(lambda x: F.gelu(x, approximate="tanh")), r(4, 5))
    add("clamp", Fn(lambda x: torch.clamp(x, -0.5, 0.7)), r(10))
    add("clamp_min", Fn(lambda x: torch.clamp(x, min=0.1)), r(10))
    for op in ["exp", "log", "sqrt", "rsqrt", "neg", "abs", "sin", "cos", "erf", "reciprocal", "floor", "ceil", "round"]:
        x = r(3, 4).abs() + 0.1 if op in ("log", "sqrt", "rsqrt", "reciprocal") else r(3, 4) * 3
        add("unary_" + op, Fn(getattr(torch, op)), x)
    add("pow2", Fn(lambda x: x ** 2), r(5))
    add("pow3", Fn(lambda x: x ** 3.0), r(5))
    # pooling
    add("max_pool2d", Fn(lambda x: F.max_pool2d(x, 2)), r(1, 3, 8, 8))
    add("max_pool2d_3s2p1", Fn(lambda x: F.max_pool2d(x, 3, 2, 1)), r(2, 2, 9, 7))
    add("max_pool2d_ceil", Fn(lambda x: F.max_pool2d(x, 3, 2, ceil_mode=True)), r(1, 2, 8, 8))
    add("avg_pool2d", Fn(lambda x: F.avg_pool2d(x, 2)), r(1, 3, 8, 8))
    add("avg_pool2d_pad", Fn(lambda x: F.avg_pool2d(x, 3, 2, 1)), r(1, 2, 7, 7))
    add("avg_pool2d_nopadcount", Fn(lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False)), r(1, 2, 7, 7))
    add("avg_pool2d_rect", Fn(lambda x: F.avg_pool2d(x, (24, 5))), r(1, 4, 25, 5))
    add("adaptive_avg_pool2d_1", nn.AdaptiveAvgPool2d(1), r(2, 4, 7, 7))
    add("adaptive_avg_pool2d_3", nn.AdaptiveAvgPool2d((3, 2)), r(1, 2, 7, 5))
    # reductions
    add("mean_dims", Fn(lambda x: x.mean(dim=(2, 3))), r(2, 3, 4, 5))
    add("mean_keepdim", Fn(lambda x: x.mean(dim=-1, keepdim=True)), r(2, 3, 4))
    add("sum_dim", Fn(lambda x: x.sum(dim=1)), r(2, 3, 4))
    add("amax", Fn(lambda x: torch.amax(x, dim=1)), r(3, 5))
    add("argmax", Fn(lambda x: torch.argmax(x, dim=1)), r(3, 5))
    # everyday ops (issue 11): kernels (gather, index_select, flip, cumsum) and decompositions
    add("prelu", nn.PReLU(3), r(2, 3, 4, 4))
    add("prelu_one", nn.PReLU(), r(2, 5))
    add("normalize", Fn(lambda x: F.normalize(x, dim=1)), r(2, 5, 3))
    add("pixel_shuffle", nn.PixelShuffle(2), r(1, 8, 3, 3))
    add("gather", Fn(lambda x: torch.gather(x, 1, torch.tensor([[0, 2], [1, 0]]))), r(2, 3))
    add("index_select", Fn(lambda x: torch.index_select(x, 1, torch.tensor([2, 0, 2]))), r(2, 3, 4))
    add("index_copy", Fn(lambda x: x.index_copy(1, torch.tensor([2, 0]), torch.arange(16.0).reshape(2, 2, 4))), r(2, 3, 4))
    add("slice_scatter", Fn(lambda x: torch.slice_scatter(x, x[:, :, 1:3] * 2 + 1, 2, 0, 4, 2)), r(2, 3, 4))
    add("select_scatter", Fn(lambda x: torch.select_scatter(x, x[:, 0] * 3, 1, -1)), r(2, 3, 4))
    add("setitem_slice", SetSlice(), r(1, 2, 2, 4))
    add("flip", Fn(lambda x: torch.flip(x, [0, 2])), r(2, 3, 4))
    add("roll", Fn(lambda x: torch.roll(x, (1, -2), (1, 2))), r(2, 3, 4))
    add("roll_flat", Fn(lambda x: torch.roll(x, 5)), r(2, 3, 4))
    add("cumsum", Fn(lambda x: torch.cumsum(x, 1)), r(2, 5, 3))
    add("zeros_like", Fn(lambda x: torch.zeros_like(x) + x), r(2, 3))
    add("new_full", Fn(lambda x: x.new_full((2, 3), 2.5) * x), r(2, 3))
    add("where_mask", Fn(lambda x: torch.where(x > 0, x, torch.zeros_like(x))), r(3, 4))
    add("permute_contiguous", Fn(lambda x: x.permute(0, 3, 1, 2).contiguous() * 2), r(1, 4, 4, 3))
    add("instance_norm", nn.InstanceNorm2d(3, affine=True), r(2, 3, 5, 5))
    add("topk", Fn(lambda x: torch.topk(x, 3, dim=1)), r(2, 7))
    add("topk_smallest_dim0", Fn(lambda x: torch.topk(x, 2, dim=0, largest=False)), r(5, 3))
    add("sort", Fn(lambda x: torch.sort(x, dim=1)), r(2, 9))
    add("sort_descending_dim0", Fn(lambda x: torch.sort(x, dim=0, descending=True)), r(6, 2))
    ties = torch.tensor([[3.0, 1.0, 3.0, 2.0, 1.0, 3.0]])
    add("index_tensor", Fn(lambda x: x[torch.tensor([[2, 0], [1, 1]])] * 1), r(3, 4))
    add("sort_stable_ties", Fn(lambda x: torch.sort(x, dim=1, stable=True)), ties)
    # full reductions and max(dim) (x.sum(), x.mean(), x.max(): lowered to the dim-list forms)
    add("sum_all", Fn(lambda x: x.sum()), r(2, 3, 4))
    add("mean_all", Fn(lambda x: x.mean() * 1), r(3, 5))
    add("max_all", Fn(lambda x: x.max()), r(4, 6))
    add("max_dim", Fn(lambda x: x.max(1)), r(3, 7))
    add("max_dim_keepdim", Fn(lambda x: x.max(-1, keepdim=True)[0] + 1), r(2, 3, 4))
    add("softmax_dim1", Fn(lambda x: torch.softmax(x, 1)), r(2, 5, 3))
    add("log_softmax", Fn(lambda x: torch.log_softmax(x, -1)), r(2, 7))
    # shapes
    add("view", Fn(lambda x: x.view(4, -1) * 1), r(2, 3, 4))
    add("permute", Fn(lambda x: x.permute(2, 0, 1) * 1), r(2, 3, 4))
    add("transpose", Fn(lambda x: x.transpose(1, 2) + 0), r(2, 3, 4))
    add("expand", Fn(lambda x: x.expand(3, 4, 5) + 0), r(4, 1))
    add("squeeze_unsqueeze", Fn(lambda x: x.squeeze(1).unsqueeze(0) * 2), r(3, 1, 4))
    add("select", Fn(lambda x: x[:, 1] * 2), r(3, 4, 5))
    add("slice_step", Fn(lambda x: x[:, 1:7:2] * 2), r(3, 8))
    add("slice_negative", Fn(lambda x: x[..., -3:] * 2), r(2, 6))
    add("cat", Fn(lambda a, b: torch.cat([a, b * 2], 1)), r(2, 3, 4), r(2, 5, 4))
    add("stack", Fn(lambda a, b: torch.stack([a, b], 0)), r(3, 4), r(3, 4))
    add("split", Fn(lambda x: [t * 1 for t in torch.split(x, 2, dim=1)]), r(2, 5))
    add("chunk", Fn(lambda x: [t * 1 for t in torch.chunk(x, 3, dim=0)]), r(6, 2))
    add("unbind", Fn(lambda x: [t * 1 for t in torch.unbind(x, 1)]), r(2, 3))
    add("flatten", Fn(lambda x: torch.flatten(x, 1) * 1), r(2, 3, 2, 2))
    add("constant_pad", Fn(lambda x: F.pad(x, (1, 2, 0, 1), value=0.5)), r(1, 2, 3, 3))
    # indexing, comparisons, where
    emb = nn.Embedding(10, 4)
    add("embedding", emb, torch.randint(0, 10, (2, 5), generator=g))
    add("where", Fn(lambda x, y: torch.where(x > 0, x, y)), r(3, 4), r(3, 4))
    add("compare_scalar", Fn(lambda x: (x >= 0.2).to(torch.float32) + (x < -0.3).to(torch.float32)), r(4, 4))
    add("compare_tensor", Fn(lambda x, y: (x == y) | (x > y)), r(3, 3), r(3, 3))
    add("masked_fill", Fn(lambda x: x.masked_fill(x < 0, -1.0)), r(3, 4))
    # upsampling
    add("upsample_nearest", Fn(lambda x: F.interpolate(x, scale_factor=2.0, mode="nearest")), r(1, 2, 3, 4))
    add("upsample_nearest_size", Fn(lambda x: F.interpolate(x, size=(5, 7), mode="nearest")), r(1, 2, 3, 4))
    add("upsample_bilinear", Fn(lambda x: F.interpolate(x, scale_factor=2.0, mode="bilinear")), r(1, 2, 3, 4))
    add("upsample_bilinear_ac", Fn(lambda x: F.interpolate(x, size=(6, 9), mode="bilinear", align_corners=True)), r(1, 2, 3, 4))
    # element-wise arithmetic with broadcasting and promotion
    add("add_broadcast", Fn(lambda a, b: a + b), r(2, 1, 4), r(3, 1))
    add("sub_alpha", Fn(lambda a, b: torch.sub(a, b, alpha=2)), r(3, 4), r(4))
    add("div_scalar", Fn(lambda a: a / 3.0 - 1), r(5))
    add("rsub", Fn(lambda a: 1 - a), r(5))
    add("int_mix", Fn(lambda a, b: a * b + 1), torch.randint(-5, 5, (4,), generator=g), r(4))
    add("int64_ops", Fn(lambda a, b: (a + b * 3) // 2), torch.randint(-9, 9, (6,), generator=g), torch.randint(1, 9, (6,), generator=g))
    add("to_dtype", Fn(lambda x: (x * 3).to(torch.int64)), r(6))
    # float16 element-wise (the xnnpack path computes fp16 subgraphs in fp32 and rounds at the edges)
    add("fp16_arith", Fn(lambda a, b: (a * b + 1.5) - a / 4), r(3, 5).half(), r(3, 5).half())
    # patterns the xnnpack path rewrites: clamp fusion must skip nodes without output clamps
    add("linear_view_relu", Fn(lambda m, x: torch.relu(m[0](x).view(2, 3, 4)), nn.Linear(4, 12)), r(2, 4))
    # reshapes inside a delegate alias their input's bytes: a chain of two, the input read again
    # after the chain, and a reshape of the graph's input (not aliased)
    add("reshape_alias_chain", Fn(lambda x: (lambda y: torch.relu(y.view(4, 6).view(2, 12)) + y.view(2, 12) * 2)(torch.sigmoid(x * 3)).view(24) + 1), r(2, 3, 4))
    # ... and values computed while only an alias is alive must not land on its bytes
    add("reshape_alias_live", Fn(lambda x: (lambda z: torch.relu(x * 5 - 1).view(24) + z.view(24))(torch.sigmoid(x * 3).view(4, 6))), r(2, 3, 4))
    add("conv_bn_relu6", Fn(lambda m, x: F.relu6(m[1](m[0](x))), nn.Conv2d(3, 5, 3, padding=1), bn), r(1, 3, 6, 6))
    # the fused chain's last out may be planned over the convolution's input (its life starts
    # later): a 1x1 convolution + batch norm ending the graph, and a residual block
    bn32, bn8 = nn.BatchNorm2d(32), nn.BatchNorm2d(8)
    for b in (bn32, bn8):
        b.running_mean.uniform_(-1, 1, generator=g)
        b.running_var.uniform_(0.5, 2, generator=g)
    add("conv1x1_bn_last", Fn(lambda m, x: m[1](m[0](x)), nn.Conv2d(16, 32, 1), bn32), r(1, 16, 5, 5))
    add("conv_bn_residual", Fn(lambda m, x: F.relu(m[1](m[0](x)) + x), nn.Conv2d(8, 8, 3, padding=1, bias=False), bn8),
        r(1, 8, 6, 6))
    add("conv_to_linear", Fn(lambda m, x: m[1](torch.flatten(F.relu(m[0](x)), 1)), nn.Conv2d(2, 3, 3), nn.Linear(27, 5)),
        r(1, 2, 5, 5))
    # activations the XNNPACK delegate fuses into the producing convolution / linear layer
    add("conv_silu", Fn(lambda m, x: F.silu(m[0](x)), nn.Conv2d(3, 8, 3, padding=1)), r(1, 3, 7, 7))
    add("dwconv_hardswish", Fn(lambda m, x: F.hardswish(m[0](x)), nn.Conv2d(6, 6, 3, groups=6, padding=1)), r(1, 6, 7, 7))
    add("linear_sigmoid", Fn(lambda m, x: torch.sigmoid(m[0](x)), nn.Linear(9, 7)), r(3, 9))
    add("silu_alone", Fn(lambda x: x * torch.sigmoid(x)), r(2, 5, 3))
    add("nhwc_residual_cat", Fn(lambda m, x: torch.cat([m[0](x) + x, torch.sigmoid(m[0](x))], 1),
                                nn.Conv2d(4, 4, 1)), r(1, 4, 5, 5))
    return c


def main():
    filt = sys.argv[sys.argv.index("-k") + 1].split(",") if "-k" in sys.argv else None
    passed = failed = 0
    for backend in ("portable", "xnnpack"):
        for name, model, inputs in cases():
            if filt and not any(f in name for f in filt):
                continue
            try:
                run_case(name, model, inputs, backend)
                passed += 1
            except Exception as e:
                failed += 1
                print("FAIL %s [%s]: %s: %s" % (name, backend, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    print("ops: %d passed, %d failed" % (passed, failed))
    if not passed + failed:
        print("FAIL: no case matches -k %r" % filt)
    return 1 if failed or not passed + failed else 0


if __name__ == "__main__":
    sys.exit(main())
