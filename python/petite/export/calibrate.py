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


def calibrate(gm, p, samples):
    """samples: list of input lists. Sets p.ranges = {value index: (min, max)}."""
    seen = {}

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
            return r

    with torch.no_grad():
        for xs in samples:
            Recorder(gm).run(*xs)
    p.ranges = {v: seen[key] for v, key in p.value_node.items() if key in seen}
    return p.ranges
