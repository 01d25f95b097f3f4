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


def in_child(fn):
    """fn() run in a forked child process, its result sent back: a crash in the runtime becomes an
    error naming the signal instead of the death of the exporter (which then could not remove its
    temporary file); an exception in fn comes back as a RuntimeError with its text."""
    import multiprocessing as mp
    import signal
    ctx = mp.get_context("fork")
    rd, wr = ctx.Pipe(duplex=False)

    def child():
        try:
            wr.send(("ok", fn()))
        except Exception as e:  # noqa: BLE001 - every error goes back to the parent as text
            wr.send(("error", "%s: %s" % (type(e).__name__, e)))
        finally:
            wr.close()

    proc = ctx.Process(target=child)
    proc.start()
    wr.close()
    try:
        kind, val = rd.recv()
    except EOFError:
        kind, val = None, None
    proc.join()
    rd.close()
    if kind is None:
        code = proc.exitcode
        what = ("signal %s" % signal.Signals(-code).name) if code is not None and code < 0 else "exit %s" % code
        raise RuntimeError("petite crashed running the written file (%s): please report it with the file" % what)
    if kind == "error":
        raise RuntimeError(val)
    return val


def run_isolated(pte_path, steps):
    """petite's outputs for each step (a list of input tensors), run in order on one method instance
    in a child process (in_child)."""
    arrays = [[x.numpy() if isinstance(x, torch.Tensor) else x for x in xs] for xs in steps]

    def run():
        m = runtime.Program(pte_path).load_method("forward")
        return [m.run(*xs) for xs in arrays]
    return in_child(run)


def compare(pte_path, model, inputs, steps=None):
    """Returns dict(max_abs_error, max_rel_error, scale, outputs, ok_top1). steps: a list of inputs
    for a model with state, run in order on one method instance and on the eager model from the
    same starting state (restored afterwards); every run's outputs are compared."""
    from .capture import restore, snapshot
    steps = steps or [inputs]
    outs = run_isolated(pte_path, steps)
    snap = snapshot(model)
    pairs = []
    try:
        for xs, got in zip(steps, outs):
            with torch.no_grad():
                ref = model(*xs)
            refs = [ref] if isinstance(ref, torch.Tensor) else list(torch.utils._pytree.tree_flatten(ref)[0])
            if len(got) != len(refs):
                raise RuntimeError("petite returned %d outputs, eager %d" % (len(got), len(refs)))
            pairs += [(g_, r.detach().clone()) for g_, r in zip(got, refs)]
    finally:
        restore(model, snap)
    worst_abs, worst_rel, scale, top1 = 0.0, 0.0, 0.0, True
    # every output of every run one value (torchvision's ViT starts with a zero head): agreement then
    # shows nothing about the layers before, and the caller must say so
    degenerate = all(r.numel() == 0 or bool((r == r.reshape(-1)[0]).all()) for _, r in pairs)
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
    return {"max_abs_error": worst_abs, "max_rel_error": worst_rel, "output_scale": scale, "top1_equal": top1,
            "degenerate": degenerate}
