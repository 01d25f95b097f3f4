"""Validate a written .pte: run it in petite (ctypes binding) and in eager PyTorch on fresh
random inputs, and compare every output."""
import numpy as np
import torch

from .. import runtime


def random_inputs(shapes, dtypes, seed):
    g = torch.Generator().manual_seed(seed)
    xs = []
    for shape, dt in zip(shapes, dtypes):
        if dt.is_floating_point:
            xs.append(torch.randn(*shape, generator=g).to(dt))
        elif dt == torch.bool:
            xs.append(torch.randint(0, 2, shape, generator=g).bool())
        else:
            xs.append(torch.randint(0, 10, shape, generator=g).to(dt))
    return xs


def compare(pte_path, model, inputs, steps=None):
    """Returns dict(max_abs_error, max_rel_error, scale, outputs, ok_top1). steps: a list of inputs
    for a model with state, run in order on one method instance and on the eager model from the
    same starting state (restored afterwards); every run's outputs are compared."""
    from .capture import restore, snapshot
    steps = steps or [inputs]
    snap = snapshot(model)
    method = runtime.Program(pte_path).load_method("forward")
    pairs = []
    try:
        for xs in steps:
            with torch.no_grad():
                ref = model(*xs)
            refs = [ref] if isinstance(ref, torch.Tensor) else list(torch.utils._pytree.tree_flatten(ref)[0])
            got = method.run(*[x.numpy() for x in xs])
            if len(got) != len(refs):
                raise RuntimeError("petite returned %d outputs, eager %d" % (len(got), len(refs)))
            pairs += [(g_, r.detach().clone()) for g_, r in zip(got, refs)]
    finally:
        restore(model, snap)
    worst_abs, worst_rel, scale, top1 = 0.0, 0.0, 0.0, True
    for g_, r in pairs:
        r = r.detach().numpy()
        if g_.shape != r.shape:
            raise RuntimeError("output shape %s differs from eager %s" % (g_.shape, r.shape))
        if r.size == 0:
            continue
        a = np.abs(g_.astype(np.float64) - r.astype(np.float64))
        worst_abs = max(worst_abs, float(a.max()))
        s = float(np.abs(r).max())
        scale = max(scale, s)
        worst_rel = max(worst_rel, float(a.max() / s) if s else 0.0)
        if r.ndim == 2 and r.dtype.kind == "f" and r.shape[-1] > 1:  # classifier logits [N, C]
            top1 = top1 and bool((g_.reshape(-1, r.shape[-1]).argmax(-1) == r.reshape(-1, r.shape[-1]).argmax(-1)).all())
    return {"max_abs_error": worst_abs, "max_rel_error": worst_rel, "output_scale": scale, "top1_equal": top1}
