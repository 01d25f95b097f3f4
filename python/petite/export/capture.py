"""Capture an ATen-level FX graph of a module with make_fx (torch >= 1.13).

- eval mode; grad enabled during capture so that fused inference fast paths
  (aten._transformer_encoder_layer_fwd, aten._native_multi_head_attention) are not taken;
- functionalize() removes in-place ops (relu_, add_, copy_, ...);
- buffers that forward updates in place (streaming state, running statistics) become the graph's
  first inputs, and their new values extra outputs after the model's own (gm.state,
  gm.n_user_outputs): the lowering writes them back with aten::copy_ as the official exporter does;
- a small decomposition table for ops the runtime implements through simpler ones;
- shapes and dtypes of every node recorded by running the graph on the example inputs.
"""
import contextlib

import torch
from torch.fx.experimental.proxy_tensor import make_fx
from torch.fx.passes.shape_prop import ShapeProp
from torch.nn.utils.stateless import functional_call

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
    aten.masked_fill, aten.norm, aten.frobenius_norm,
    aten.clamp_min, aten.clamp_max, aten.relu6,
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


def _prelu(x, weight):
    """x where x >= 0, else weight * x (weight per channel, dim 1, or one value)"""
    w = weight.reshape([-1] + [1] * (x.dim() - 2)) if weight.numel() > 1 and x.dim() > 1 else weight
    return aten.where.self(aten.ge.Scalar(x, 0), x, aten.mul.Tensor(x, w))


def _vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None):
    """the 2-, 1- and inf-norms over dims with the runtime's reductions"""
    dims = list(range(x.dim())) if dim is None else ([dim] if isinstance(dim, int) else list(dim))
    if ord == 2:
        return aten.sqrt.default(aten.sum.dim_IntList(aten.mul.Tensor(x, x), dims, keepdim))
    if ord == 1:
        return aten.sum.dim_IntList(aten.abs.default(x), dims, keepdim)
    if ord == float("inf"):
        return aten.amax.default(aten.abs.default(x), dims, keepdim)
    raise NotImplementedError("vector norm of order %s" % ord)


def _pixel_shuffle(x, r):
    n, c, h, w = x.shape
    y = aten.view.default(x, [n, c // (r * r), r, r, h, w])
    y = aten.permute.default(y, [0, 1, 4, 2, 5, 3])
    return aten.view.default(aten.clone.default(y, memory_format=torch.contiguous_format), [n, c // (r * r), h * r, w * r])


def _roll(x, shifts, dims=()):
    """slices and a cat per rolled dim (no dims: over the flattened tensor)"""
    shifts = [shifts] if isinstance(shifts, int) else list(shifts)
    dims = [dims] if isinstance(dims, int) else list(dims)
    if not dims:
        flat = aten.view.default(x, [-1])
        return aten.view.default(_roll(flat, shifts, [0]), list(x.shape))
    y = x
    for sft, d in zip(shifts, dims):
        n = y.shape[d]
        k = sft % n if n else 0
        if k:
            y = aten.cat.default([aten.slice.Tensor(y, d, n - k, n), aten.slice.Tensor(y, d, 0, n - k)], d)
    return y


def _full_of(x, size, value, dtype=None):
    return aten.full.default(size, value, dtype=dtype if dtype is not None else x.dtype)


def _zeros_like(x, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    return _full_of(x, list(x.shape), 0, dtype)


def _ones_like(x, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    return _full_of(x, list(x.shape), 1, dtype)


def _full_like(x, value, dtype=None, layout=None, device=None, pin_memory=None, memory_format=None):
    return _full_of(x, list(x.shape), value, dtype)


def _new_full(x, size, value, dtype=None, layout=None, device=None, pin_memory=None):
    return _full_of(x, list(size), value, dtype)


def _new_zeros(x, size, dtype=None, layout=None, device=None, pin_memory=None):
    return _full_of(x, list(size), 0, dtype)


def _new_ones(x, size, dtype=None, layout=None, device=None, pin_memory=None):
    return _full_of(x, list(size), 1, dtype)


def _instance_norm(x, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    """per sample and channel over the spatial dims (an eval() model without running statistics uses
    its input's, which is not training mode)"""
    if not use_input_stats:
        shape = [1, -1] + [1] * (x.dim() - 2)
        y = aten.div.Tensor(aten.sub.Tensor(x, aten.view.default(running_mean, shape)),
                            aten.sqrt.default(aten.add.Tensor(aten.view.default(running_var, shape), eps)))
    else:
        dims = list(range(2, x.dim()))
        mean = aten.mean.dim(x, dims, True)
        d = aten.sub.Tensor(x, mean)
        var = aten.mean.dim(aten.mul.Tensor(d, d), dims, True)
        y = aten.div.Tensor(d, aten.sqrt.default(aten.add.Tensor(var, eps)))
    if weight is not None:
        y = aten.mul.Tensor(y, aten.view.default(weight, [1, -1] + [1] * (x.dim() - 2)))
    if bias is not None:
        y = aten.add.Tensor(y, aten.view.default(bias, [1, -1] + [1] * (x.dim() - 2)))
    return y


def _batch_norm_batch_stats(x, weight, bias, running_mean, running_var, training, momentum, eps):
    """native_batch_norm with training=True on an eval() model: InstanceNorm (which reshapes to one
    batch of N * C channels) or F.batch_norm(training=True) without running statistics. Normalizes
    with the batch's own statistics; returns (out, mean, invstd) like the op."""
    if not training:
        return NotImplemented
    if running_mean is not None:
        raise NotImplementedError("batch norm in training mode with running statistics (call model.eval())")
    dims = [0] + list(range(2, x.dim()))
    mean = aten.mean.dim(x, dims, True)
    d = aten.sub.Tensor(x, mean)
    var = aten.mean.dim(aten.mul.Tensor(d, d), dims, True)
    invstd = aten.rsqrt.default(aten.add.Tensor(var, eps))
    y = aten.mul.Tensor(d, invstd)
    shape = [1, -1] + [1] * (x.dim() - 2)
    if weight is not None:
        y = aten.mul.Tensor(y, aten.view.default(weight, shape))
    if bias is not None:
        y = aten.add.Tensor(y, aten.view.default(bias, shape))
    return y, aten.view.default(mean, [-1]), aten.view.default(invstd, [-1])


def _index_tensor(x, indices):
    """x[idx] with one integer index tensor on the first dims' leading position (swin_v2's relative
    position table): index_select of the flattened index, then the index's shape"""
    idx = [i for i in indices]
    if len(idx) != 1 or idx[0] is None or idx[0].dtype not in (torch.int64, torch.int32):
        return NotImplemented
    i = idx[0]
    flat = aten.index_select.default(x, 0, aten.view.default(i, [-1]))
    return aten.view.default(flat, list(i.shape) + list(x.shape[1:]))


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
    table[aten.prelu.default] = _prelu
    table[aten.linalg_vector_norm.default] = _vector_norm
    table[aten.pixel_shuffle.default] = _pixel_shuffle
    table[aten.roll.default] = _roll
    table[aten.zeros_like.default] = _zeros_like
    table[aten.ones_like.default] = _ones_like
    table[aten.full_like.default] = _full_like
    table[aten.new_full.default] = _new_full
    table[aten.new_zeros.default] = _new_zeros
    table[aten.new_ones.default] = _new_ones
    table[aten.instance_norm.default] = _instance_norm
    table[aten.native_batch_norm.default] = _batch_norm_batch_stats
    table[aten.index.Tensor] = _index_tensor
    return table


class CaptureError(Exception):
    pass


def output_names(out, prefix=""):
    """Names of a model's outputs in pytree flattening order (dicts in their key order, sequences by
    position), joined with '.': "out", "aux", "boxes.0"; a lone tensor is "output"."""
    if isinstance(out, dict):
        names = []
        for k, v in out.items():
            names += output_names(v, "%s.%s" % (prefix, k) if prefix else str(k))
        return names
    if isinstance(out, (list, tuple)):
        names = []
        for i, v in enumerate(out):
            names += output_names(v, "%s.%d" % (prefix, i) if prefix else str(i))
        return names
    return [prefix or "output"]


def _owner(model, name):
    path, _, leaf = name.rpartition(".")
    for part in path.split(".") if path else []:
        model = getattr(model, part)
    return model, leaf


def snapshot(model):
    """The buffers (the tensor objects and their values) so that eager runs can be undone."""
    return {n: (b, b.detach().clone()) for n, b in model.named_buffers()}


def restore(model, snap):
    with torch.no_grad():
        now = dict(model.named_buffers())
        for n, (obj, val) in snap.items():
            if now.get(n) is not obj:  # replaced by assignment (a Python module): put the tensor back
                owner, leaf = _owner(model, n)
                owner._buffers[leaf] = obj
            obj.copy_(val)


def probe_state(model, example_inputs):
    """Runs the model once and undoes it. Returns (outputs or None, buffers updated in place,
    buffers replaced by assignment)."""
    snap = snapshot(model)
    versions = {n: obj._version for n, (obj, _) in snap.items()}
    try:
        with torch.no_grad():
            sample = model(*example_inputs)
    except Exception:
        sample = None
    after = dict(model.named_buffers())
    replaced = [n for n, (obj, _) in snap.items() if after.get(n) is not obj]
    mutated = [n for n, (obj, _) in snap.items() if after.get(n) is obj and obj._version != versions[n]]
    restore(model, snap)
    return sample, mutated, replaced


class _Flat(torch.nn.Module):
    """A model whose outputs (dicts, nested tuples and lists of tensors) come out as one flat tuple."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, *xs):
        return tuple(torch.utils._pytree.tree_flatten(self.model(*xs))[0])


@contextlib.contextmanager
def _setitem_as_index_copy():
    """While tracing: `t[:, :, idx] = v` (full slices but for one 1-D int64 index tensor, v the shape it
    selects: how a KV cache is written) becomes t.index_copy_(dim, idx, v). The same values for
    indices without repeats; PyTorch 1.13's functionalization cannot trace index_put_ with None
    indices (an undefined tensor in the list)."""
    orig = torch.Tensor.__setitem__

    def setitem(self, key, value):
        if isinstance(key, tuple) and isinstance(value, torch.Tensor) and Ellipsis not in key:
            at = [i for i, k in enumerate(key) if isinstance(k, torch.Tensor)]
            rest = all(isinstance(k, slice) and k == slice(None) for i, k in enumerate(key) if i not in at)
            if len(at) == 1 and rest and key[at[0]].dtype == torch.int64 and key[at[0]].dim() <= 1:
                idx = key[at[0]].reshape(-1)
                want = list(self.shape)
                want[at[0]] = idx.numel()
                if list(value.shape) == want and value.dtype == self.dtype:
                    self.index_copy_(at[0], idx, value)
                    return
        orig(self, key, value)
    torch.Tensor.__setitem__ = setitem
    try:
        yield
    finally:
        torch.Tensor.__setitem__ = orig


def capture(model, example_inputs):
    """Returns a GraphModule whose nodes carry meta['tensor_meta']; gm.output_names names its outputs
    (dict and nested outputs are flattened in pytree order)."""
    model.eval()
    sample, mutated, replaced = probe_state(model, example_inputs)
    if replaced:
        raise CaptureError("forward replaces buffer %s (self.%s = ...): petite-export keeps state that is updated in "
                           "place; write self.%s.copy_(new_value) instead" % (replaced[0], replaced[0], replaced[0]))
    names = output_names(sample) if sample is not None else None
    flat = sample is not None and not isinstance(sample, torch.Tensor) and not (
        isinstance(sample, (list, tuple)) and all(isinstance(o, torch.Tensor) for o in sample))
    snap = snapshot(model)
    state = [(n, snap[n][1]) for n in mutated]
    base = _Flat(model).eval() if flat else model
    if state:
        keys = [("model." + n if flat else n) for n in mutated]

        def f(*args):  # the state as leading inputs: functionalize writes their new values back with copy_
            return functional_call(base, dict(zip(keys, args[:len(keys)])), tuple(args[len(keys):]))
    else:
        f = base
    state_in = [t.clone() for _, t in state]
    try:
        with torch.enable_grad(), _setitem_as_index_copy():
            gm = make_fx(functionalize(f), decomposition_table=decomposition_table())(*state_in, *example_inputs)
    except Exception as e:  # make_fx raises many kinds; say which stage failed
        raise CaptureError("could not capture the model with make_fx: %s: %s" % (type(e).__name__, e))
    finally:
        restore(model, snap)
    gm.n_user_outputs = None
    if state:
        _state_as_outputs(gm, len(state))
    gm.state = state
    gm.graph.eliminate_dead_code()
    gm.recompile()
    with torch.no_grad():
        ShapeProp(gm).propagate(*[t.clone() for _, t in state], *example_inputs)
    gm.output_names = names
    return gm


def _state_as_outputs(gm, n_state):
    """The copy_ nodes functionalize left for the first n_state inputs become extra outputs after
    the model's own (the new state, in input order); an input never written back is its own."""
    places = [n for n in gm.graph.nodes if n.op == "placeholder"][:n_state]
    new = {}
    for node in list(gm.graph.nodes):
        if node.op == "call_function" and node.target == aten.copy_.default and node.args[0] in places:
            new[node.args[0]] = node.args[1]
            gm.graph.erase_node(node)
    out = next(n for n in gm.graph.nodes if n.op == "output")
    user = out.args[0]
    user = list(user) if isinstance(user, (list, tuple)) else [user]
    gm.n_user_outputs = len(user)
    out.args = (tuple(user + [new.get(p, p) for p in places]),)
