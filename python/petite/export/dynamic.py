"""Bounded dynamic sizes (`--input-shapes 1..8,3,224,224`, `1,1..128`) without symbolic tracing.

PyTorch 1.13's make_fx traces with real tensors, so a dimension cannot be captured as a symbol.
Instead the model is captured at three sizes of the dynamic dimension (the upper bound, one below
it, and the lower bound, or 2 for a lower bound of 1: see sizes()) and the graphs are compared:

- the graphs must be the same operator for operator (a graph that changes with the size, through
  control flow or a shape-dependent branch, cannot be dynamic: refused, naming the first node that
  differs);
- an integer argument that differs must be an affine function a*s + b of the size s, the same at
  all three sizes; it is then computed at run time as the official exporter does it
  (aten::sym_size.int of the input, executorch_prim::mul.Scalar / add.Scalar) and passed through the
  argument's IntList;
- a float argument or a constant tensor that differs (1/s folded into a constant, a table built
  from the size) cannot be expressed: refused, naming it;
- every tensor whose shape differs is written DYNAMIC_BOUND with the upper bound's sizes; the
  memory plan is made for the upper bound, and kernels resize their outputs at run time.

One dynamic size per export (it may appear in several inputs, e.g. token ids and a mask of the
same length). Both backends: XNNPACK subgraphs are written as the official writer writes dynamic
graphs (every value's dims the upper bound, a StaticReshape's dynamic dim 0 = inferred), and the
delegate propagates the run's shapes through its nodes (see xnnpack.py)."""
import re

import torch


class DynamicError(Exception):
    pass


class SymExpr:
    """a * s + b, s the dynamic size"""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def __eq__(self, o):
        return isinstance(o, SymExpr) and (self.a, self.b) == (o.a, o.b)

    def __hash__(self):
        return hash((self.a, self.b))

    def __repr__(self):
        return "%d*s%+d" % (self.a, self.b)


def parse(items):
    """--input-shapes items -> (shapes at the upper bound, [(input, dim)], (lo, hi) or None)."""
    shapes, where, bounds = [], [], None
    for item in items:
        for part in item.split(";"):
            part = part.strip().strip("[]()")
            if not part:
                continue
            dims = []
            for k, x in enumerate(part.split(",")):
                m = re.fullmatch(r"\s*(\d+)\s*\.\.\s*(\d+)\s*", x)
                if m:
                    lo, hi = int(m.group(1)), int(m.group(2))
                    if not 1 <= lo < hi:
                        raise DynamicError("bad range %r in input shape %r: want LO..HI with 1 <= LO < HI" % (x, part))
                    if bounds and bounds != (lo, hi):
                        raise DynamicError("one dynamic size per export: %d..%d and %d..%d differ" % (bounds + (lo, hi)))
                    bounds = (lo, hi)
                    where.append((len(shapes), k))
                    dims.append(hi)
                    continue
                try:  # every field an integer: "1,3,,224" is a typo, not [1, 3, 224]
                    dims.append(int(x))
                except ValueError:
                    raise DynamicError("bad input shape %r: want comma-separated integers like 1,3,224,224 "
                                       "(a dynamic size as LO..HI)" % part)
            if not dims or any(d <= 0 for d in dims):
                raise DynamicError("bad input shape %r: sizes must be positive" % part)
            shapes.append(dims)
    if not shapes:
        raise DynamicError("--input-shapes is required (e.g. 1,3,224,224)")
    return shapes, where, bounds


def at(shapes, where, s):
    """the shapes with the dynamic size set to s"""
    out = [list(x) for x in shapes]
    for i, d in where:
        out[i][d] = s
    return out


def sizes(bounds):
    """the sizes captured: the upper bound first, one below it, the lower bound (if distinct). A lower
    bound of 1 is captured as 2: tracing specializes some ops to a size of 1 (a transformer's attention
    traced at length 1 loses nodes), so the general graph is taken, and validation runs it at 1 too."""
    lo, hi = bounds
    lo = max(lo, 2)
    return [hi, hi - 1] + ([lo] if lo < hi - 1 else [])


def _meta_shapes(node):
    m = node.meta.get("tensor_meta")
    if m is None:
        return None
    if hasattr(m, "shape"):
        return [tuple(m.shape)]
    return [tuple(x.shape) if hasattr(x, "shape") else None for x in m]


def analyze(gms, svals):
    """gms: graph modules captured at sizes svals (upper bound first). Rewrites gms[0] in place:
    integer arguments that follow the size become SymExpr; nodes whose shape follows it get
    meta['dynamic'] = True. Raises DynamicError for what cannot be dynamic."""
    base = gms[0]
    lists = [list(g.graph.nodes) for g in gms]
    if len({len(n) for n in lists}) != 1:
        raise DynamicError("the captured graph changes with the dynamic size (%s nodes at sizes %s): control "
                           "flow or shape-dependent code; export with a static shape"
                           % ([len(n) for n in lists], svals))

    def fit(vals, what):
        (v0, s0), (v1, s1) = (vals[0], svals[0]), (vals[1], svals[1])
        if (v0 - v1) % (s0 - s1):
            raise DynamicError("%s is %s at sizes %s: not a whole multiple of the size" % (what, vals, svals))
        a = (v0 - v1) // (s0 - s1)
        b = v0 - a * s0
        if any(a * s + b != v for v, s in zip(vals, svals)):
            raise DynamicError("%s is %s at sizes %s: not a*size+b" % (what, vals, svals))
        return SymExpr(a, b)

    def merge(xs, what):
        x0 = xs[0]
        if isinstance(x0, torch.fx.Node):
            return x0
        if isinstance(x0, (list, tuple)):
            if len({len(x) if isinstance(x, (list, tuple)) else -1 for x in xs}) != 1:
                raise DynamicError("%s has a length that changes with the size" % what)
            r = [merge([x[k] for x in xs], "%s[%d]" % (what, k)) for k in range(len(x0))]
            return type(x0)(r) if isinstance(x0, tuple) else r
        if isinstance(x0, bool) or x0 is None or isinstance(x0, (str, torch.dtype, torch.device, torch.layout,
                                                                 torch.memory_format)):
            if any(x != x0 for x in xs):
                raise DynamicError("%s changes with the size (%s)" % (what, xs))
            return x0
        if isinstance(x0, int):
            return x0 if all(x == x0 for x in xs) else fit(xs, what)
        if isinstance(x0, float):
            if any(x != x0 for x in xs):
                raise DynamicError("%s is a number that changes with the size (%s at sizes %s): it cannot be computed "
                                   "at run time here; export with a static shape" % (what, xs, svals))
            return x0
        return x0

    for nodes in zip(*lists):
        n0 = nodes[0]
        if any(n.op != n0.op or n.target != n0.target for n in nodes):
            raise DynamicError("the captured graph changes with the dynamic size at %s: export with a static shape"
                               % n0.format_node())
        if n0.op == "get_attr":
            ts = [getattr(g, n.target) for g, n in zip(gms, nodes)]
            if any(t.shape != ts[0].shape or not torch.equal(t, ts[0]) for t in ts[1:]):
                raise DynamicError("the constant %s depends on the dynamic size (folded from it at capture): export "
                                   "with a static shape" % n0.target)
        if n0.op == "call_function":
            what = "argument of %s" % n0.format_node()
            args = merge([n.args for n in nodes], what)
            kwargs = {k: merge([n.kwargs[k] for n in nodes], what) for k in n0.kwargs}
            n0.args, n0.kwargs = args, kwargs
        shapes = [_meta_shapes(n) for n in nodes]
        if shapes[0] is not None and any(s != shapes[0] for s in shapes[1:]):
            n0.meta["dynamic"] = True
            # per output: the dims that follow the size (a StaticReshape writes 0 there, XNNPACK's "inferred")
            n0.meta["dynamic_dims"] = [
                [k for k in range(len(t0)) if any(s[j] is None or len(s[j]) != len(t0) or s[j][k] != t0[k] for s in shapes)]
                if t0 is not None else [] for j, t0 in enumerate(shapes[0])]
    return base
