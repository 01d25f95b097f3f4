"""Capture an ATen-level FX graph of a module with make_fx (torch >= 1.13).

- eval mode; grad enabled during capture so that fused inference fast paths
  (aten._transformer_encoder_layer_fwd, aten._native_multi_head_attention) are not taken;
- functionalize() removes in-place ops (relu_, add_, copy_, ...);
- a small decomposition table for ops the runtime implements through simpler ones;
- shapes and dtypes of every node recorded by running the graph on the example inputs.
"""
import torch
from torch.fx.experimental.proxy_tensor import make_fx
from torch.fx.passes.shape_prop import ShapeProp

try:
    from functorch import functionalize
except ImportError:  # newer torch
    from torch.func import functionalize

aten = torch.ops.aten

# ops decomposed during capture (the rest are kept and lowered 1:1)
DECOMPOSE = [
    aten.hardswish, aten.hardsigmoid, aten.silu, aten.mish, aten.linear,
    aten.native_dropout, aten.dropout, aten.feature_dropout, aten.alpha_dropout,
    aten.flatten, aten.unflatten, aten.adaptive_avg_pool1d,
    aten.log_sigmoid_forward, aten.softplus, aten.elu, aten.leaky_relu, aten.glu,
    aten.std, aten.var, aten.var_mean, aten.addmv, aten.baddbmm,
    aten.native_group_norm, aten.hardshrink, aten.softshrink, aten.logit,
    aten._log_softmax_backward_data, aten.stack, aten.narrow, aten.repeat,
    aten.masked_fill, aten.norm, aten.frobenius_norm, aten.linalg_vector_norm,
    aten.clamp_min, aten.clamp_max, aten.relu6, aten.full_like,
    aten.zeros_like, aten.ones_like,
]


def _convolution(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups, *flags):
    """traced TorchScript calls aten::_convolution (with cuDNN / benchmark flags that mean nothing on
    a CPU runtime): the same convolution as the module path's aten.convolution"""
    return aten.convolution(x, weight, bias, stride, padding, dilation, transposed, output_padding, groups)


def _sum_all(x, dtype=None):
    """x.sum(): the reduction over every dim (the runtime's sum takes a dim list)"""
    return aten.sum.dim_IntList(x, list(range(x.dim())), False, dtype=dtype)


def _mean_all(x, dtype=None):
    """x.mean(): the same over every dim"""
    return aten.mean.dim(x, list(range(x.dim())), False, dtype=dtype)


def _max_all(x):
    """x.max(): amax over every dim"""
    return aten.amax.default(x, list(range(x.dim())), False)


def _max_dim(x, dim, keepdim=False):
    """x.max(dim) -> (values, indices): amax and argmax (the first index of the maximum, as PyTorch)"""
    return aten.amax.default(x, [dim], keepdim), aten.argmax.default(x, dim, keepdim)


def decomposition_table():
    from torch._decomp import get_decompositions
    ops = []
    for packet in DECOMPOSE:
        if hasattr(packet, "overloads"):
            ops.append(packet)
    table = get_decompositions(ops)
    table[aten._convolution.default] = _convolution
    table[aten.sum.default] = _sum_all
    table[aten.mean.default] = _mean_all
    table[aten.max.default] = _max_all
    table[aten.max.dim] = _max_dim
    return table


class CaptureError(Exception):
    pass


def capture(model, example_inputs):
    """Returns a GraphModule whose nodes carry meta['tensor_meta']."""
    model.eval()
    try:
        with torch.enable_grad():
            gm = make_fx(functionalize(model), decomposition_table=decomposition_table())(*example_inputs)
    except Exception as e:  # make_fx raises many kinds; say which stage failed
        raise CaptureError("could not capture the model with make_fx: %s: %s" % (type(e).__name__, e))
    gm.graph.eliminate_dead_code()
    gm.recompile()
    with torch.no_grad():
        ShapeProp(gm).propagate(*example_inputs)
    return gm
