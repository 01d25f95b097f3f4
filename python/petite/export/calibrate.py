"""Calibration for --quantize: run the captured graph on calibration inputs and record each
tensor value's observed range (min, max), keyed by EdgeProgram value index."""
import glob
import os

import numpy as np
import torch


class CalibrationError(Exception):
    pass


def load_calibration(dir_, shapes, dtypes):
    """Inputs from a directory of .npy files (single-input models: one sample per file)."""
    files = sorted(glob.glob(os.path.join(dir_, "*.npy")))
    if not files:
        raise CalibrationError("--calibration-data %s holds no .npy files" % dir_)
    if len(shapes) != 1:
        raise CalibrationError("--calibration-data supports single-input models")
    out = []
    for f in files:
        a = np.load(f)
        if list(a.shape) != list(shapes[0]):
            a = a.reshape(shapes[0]) if a.size == int(np.prod(shapes[0])) else None
        if a is None:
            raise CalibrationError("%s does not have the input shape %s" % (f, shapes[0]))
        out.append([torch.from_numpy(np.ascontiguousarray(a)).to(dtypes[0])])
    return out


METHODS = ("minmax", "percentile", "mse")
KEEP = 20000  # values kept per tensor and sample for the percentile and MSE methods (a fixed random subset)


def _percentile_range(vals, pct):
    return float(np.percentile(vals, 100.0 - pct)), float(np.percentile(vals, pct))


def _mse_range(vals, lo, hi):
    """The range alpha * [lo, hi] (alpha in 0.30 .. 1.00) whose int8 quantize-dequantize of vals has the
    least squared error: clipping a few outliers for finer steps everywhere else."""
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    best, best_err = (lo, hi), None
    v = vals.astype(np.float64)
    for alpha in np.linspace(0.30, 1.00, 36):
        a, b = lo * alpha, hi * alpha
        if b - a <= 0:
            continue
        scale = (b - a) / 255.0
        zp = np.round(-128 - a / scale)
        q = np.clip(np.round(v / scale + zp), -128, 127)
        err = float(np.mean(((q - zp) * scale - v) ** 2))
        if best_err is None or err < best_err:
            best, best_err = (a, b), err
    return best


def calibrate(gm, p, samples, method="minmax", percentile=99.99):
    """samples: list of input lists. Sets p.ranges = {value index: (min, max)}: the observed extremes
    (minmax), the given percentile at each end (percentile), or the range with the least int8
    round-trip error (mse)."""
    if method not in METHODS:
        raise CalibrationError("calibration method %r: choose one of %s" % (method, ", ".join(METHODS)))
    if not 50.0 < percentile <= 100.0:
        raise CalibrationError("--calibration-percentile %g: give a value in (50, 100]" % percentile)
    seen, kept = {}, {}
    rng = np.random.default_rng(0)

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n):
            r = super().run_node(n)
            outs = r if isinstance(r, (list, tuple)) else [r]
            for j, t in enumerate(outs):
                if isinstance(t, torch.Tensor) and t.is_floating_point() and t.numel():
                    key = (n.name, j if isinstance(r, (list, tuple)) else None)
                    lo, hi = float(t.min()), float(t.max())
                    if key in seen:
                        lo, hi = min(lo, seen[key][0]), max(hi, seen[key][1])
                    seen[key] = (lo, hi)
                    if method != "minmax":
                        flat = t.detach().reshape(-1).double().numpy()
                        if flat.size > KEEP:
                            flat = flat[rng.choice(flat.size, KEEP, replace=False)]
                        kept.setdefault(key, []).append(flat)
            return r

    with torch.no_grad():
        for xs in samples:
            Recorder(gm).run(*xs)
    if method != "minmax":
        for key, parts in kept.items():
            vals = np.concatenate(parts)
            if method == "percentile":
                seen[key] = _percentile_range(vals, percentile)
            else:
                seen[key] = _mse_range(vals, *seen[key])
    p.ranges = {v: seen[key] for v, key in p.value_node.items() if key in seen}
    return p.ranges
