"""Keep named submodules as custom operator calls (`--custom-op PATH=namespace::name`).

The submodule's forward becomes one call of the operator `namespace::name`, written to the file
as `namespace::name.out` (the form every petite and ExecuTorch kernel takes), with the schema

    name(Tensor a0, ..., Tensor aK, Tensor p0, ..., Tensor pM) -> Tensor | (Tensor, ...)
    name.out(<the same>, *, Tensor(a!) out0, ...) -> (Tensor(a!), ...)

a0..aK: the tensors forward receives; p0..pM: the submodule's parameters and then its buffers, in
named_parameters() + named_buffers() order (constants in the file). The app supplies the kernel
in C and registers it with petite_register_kernel, or ships it as a kernel library
(petite_kernel_library_init; `petite run --kernel-lib`, `--kernel-lib` here for validation).
During capture the operator runs the submodule's own forward, so the rest of the graph is traced
as usual. Operators are defined once per process (torch.library); a second definition of the same
name must have the same signature."""
import contextlib
import re

import torch

from .capture import restore, snapshot

_LIBS = {}     # namespace -> torch.library.Library
_DEFINED = {}  # (namespace, name) -> (n_in, n_out, holder); holder["fn"] runs the current submodule


class CustomOpError(Exception):
    pass


def parse(specs):
    """["norm=demo::rms_norm", ...] -> {"norm": ("demo", "rms_norm")}"""
    out = {}
    for s in specs or []:
        m = re.fullmatch(r"([A-Za-z_][\w.]*)=([A-Za-z_]\w*)::([A-Za-z_]\w*)", s.strip())
        if not m:
            raise CustomOpError("--custom-op %r: expected SUBMODULE=namespace::name (e.g. norm=demo::rms_norm)" % s)
        if m.group(2) == "aten":
            raise CustomOpError("--custom-op %r: the aten namespace belongs to PyTorch; pick your own" % s)
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


def _submodule(model, path):
    m = model
    for part in path.split("."):
        if not hasattr(m, part) or not isinstance(getattr(m, part), torch.nn.Module):
            raise CustomOpError("--custom-op: the model has no submodule %r" % path)
        m = getattr(m, part)
    return m


def _define(ns, name, n_in, n_out):
    key = (ns, name)
    if key in _DEFINED:
        if _DEFINED[key][:2] != (n_in, n_out):
            raise CustomOpError("%s::%s is already defined in this process with %d inputs and %d outputs"
                                % (ns, name, _DEFINED[key][0], _DEFINED[key][1]))
        return _DEFINED[key][2]
    if ns not in _LIBS:
        _LIBS[ns] = torch.library.Library(ns, "DEF")
    lib = _LIBS[ns]
    args = ", ".join("Tensor a%d" % i for i in range(n_in))
    if n_out == 1:
        lib.define("%s(%s) -> Tensor" % (name, args))
        lib.define("%s.out(%s, *, Tensor(a!) out) -> Tensor(a!)" % (name, args))
    else:
        tags = [chr(ord("a") + i) for i in range(n_out)]
        lib.define("%s(%s) -> (%s)" % (name, args, ", ".join(["Tensor"] * n_out)))
        lib.define("%s.out(%s, *, %s) -> (%s)" % (name, args, ", ".join("Tensor(%s!) out%d" % (t, i) for i, t in enumerate(tags)),
                                                 ", ".join("Tensor(%s!)" % t for t in tags)))
    holder = {}

    def impl(*xs):
        with torch.no_grad():
            r = holder["fn"](*xs)
        return tuple(t.clone() for t in r) if isinstance(r, (tuple, list)) else r.clone()
    lib.impl(name, impl, "CPU")
    _DEFINED[key] = (n_in, n_out, holder)
    return holder


@contextlib.contextmanager
def keep(model, ops, example_inputs):
    """While active, each submodule named in ops ({path: (ns, name)}) runs as one call of its
    custom operator. Yields the operator names as written to the file ("ns::name.out")."""
    if not ops:
        yield []
        return
    subs = {path: _submodule(model, path) for path in ops}
    seen = {}
    def hook(path):
        def f(mod, ins, outs):  # returns None: the output stays the module's
            seen.setdefault(path, (ins, outs))
        return f
    hooks = [sub.register_forward_hook(hook(path)) for path, sub in subs.items()]
    snap = snapshot(model)
    try:
        with torch.no_grad():
            model(*example_inputs)
    finally:
        for h in hooks:
            h.remove()
        restore(model, snap)
    patched, names = [], []
    try:
        for path, (ns, name) in ops.items():
            if path not in seen:
                raise CustomOpError("--custom-op %s: the submodule is never called by forward" % path)
            ins, outs = seen[path]
            if not all(isinstance(x, torch.Tensor) for x in ins):
                raise CustomOpError("--custom-op %s: forward takes non-tensor arguments; a custom operator here takes "
                                    "tensors only (make the others buffers of the submodule)" % path)
            multi = isinstance(outs, (tuple, list))
            if multi and not all(isinstance(o, torch.Tensor) for o in outs) or not multi and not isinstance(outs, torch.Tensor):
                raise CustomOpError("--custom-op %s: forward must return a tensor or a tuple of tensors" % path)
            sub = subs[path]
            consts = [p for _, p in sub.named_parameters()] + [b for _, b in sub.named_buffers()]
            holder = _define(ns, name, len(ins) + len(consts), len(outs) if multi else 1)
            original = sub.forward
            holder["fn"] = lambda *xs, original=original, n=len(ins): original(*xs[:n])
            op = getattr(getattr(torch.ops, ns), name)
            sub.forward = lambda *xs, op=op, consts=consts: op(*xs, *consts)
            patched.append(sub)
            names.append("%s::%s.out" % (ns, name))
        yield names
    finally:
        for sub in patched:
            del sub.forward  # the class's forward again
