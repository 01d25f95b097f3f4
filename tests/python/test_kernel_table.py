"""Every built-in kernel is reached by a test.

The table of built-in kernels is src/kernels/kernels.def. A kernel counts as reached when an
operator test (test_ops.py, through the exporter), a conformance file (../shared/conformance) or
the C unit tests (tests/test_kernels.c) use it; the ones none of those reach -- operators only the
official exporter writes (executorch_prim::*, sym_numel, et_view), overloads petite-export lowers
differently (t_copy, alias_copy, clone, _to_copy, Scalar_mode division), integer and bool
paths -- are checked here on one-operator programs written by hand, against PyTorch or plain
Python. The test fails if any kernel is reached by nothing.

    /usr/bin/python3 tests/python/test_kernel_table.py
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "python"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from petite import runtime  # noqa: E402
from petite.export import capture, lower, plan, serialize  # noqa: E402
from petite.export.lower import DTYPE, EdgeProgram, Instr, Value  # noqa: E402

DEF = os.path.join(ROOT, "src", "kernels", "kernels.def")
CONFORMANCE = os.environ.get("PETITE_CONFORMANCE_DIR", os.path.join(ROOT, "..", "shared", "conformance"))
NP = {0: np.uint8, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.int64, 5: np.float16, 6: np.float32,
      7: np.float64, 11: np.bool_}


def kernels():
    with open(DEF) as f:
        return re.findall(r'^PKP?\("([^"]+)", (\w+)', f.read(), re.M)


class One:
    """A program of one KernelCall: inputs (numpy arrays or scalars) and literal arguments in
    schema order, then the out arguments."""

    def __init__(self):
        self.p = EdgeProgram()

    def input(self, x):
        if isinstance(x, np.ndarray):
            dt = {np.dtype(v): k for k, v in NP.items()}[x.dtype]
            i = self.p.add(Value("tensor", dtype=dt, shape=list(x.shape), role="input"))
        else:
            kind = "bool" if isinstance(x, bool) else ("int" if isinstance(x, int) else "double")
            i = self.p.add(Value(kind, value=x))
        self.p.inputs.append(i)
        return i

    def lit(self, x):
        if x is None:
            return self.p.add(Value("none"))
        if isinstance(x, str):
            return self.p.add(Value("string", value=x))
        if isinstance(x, bool):
            return self.p.add(Value("bool", value=x))
        if isinstance(x, int):
            return self.p.add(Value("int", value=x))
        if isinstance(x, float):
            return self.p.add(Value("double", value=x))
        if isinstance(x, list):
            return self.p.add(Value("int_list", value=[self.p.add(Value("int", value=v)) for v in x]))
        raise TypeError(x)

    def tensor(self, dtype, shape):
        return self.p.add(Value("tensor", dtype=DTYPE[dtype], shape=list(shape), role="temp"))

    def call(self, op, overload, args, outs, tail=None):
        """outs: the tensors written; tail: the out and return arguments after the schema's inputs
        (default: each out, then the return value again, as the official writer passes them)"""
        self.p.instrs.append(Instr(op, overload, args + (tail if tail is not None else outs + outs), outs))
        return self

    def run(self, *xs, outputs):
        self.p.outputs = outputs
        arena, _ = plan.plan_memory(self.p)
        data = serialize.serialize(self.p, "forward", arena)
        return runtime.Program(data).load_method().run(*xs)


def unary(op, overload, x, *lits, out_dtype=None):
    o = One()
    xi = o.input(x)
    out = o.tensor(out_dtype or torch.from_numpy(x).dtype, x.shape)
    o.call(op, overload, [xi] + [o.lit(v) for v in lits], [out])
    return o.run(x, outputs=[out])[0]


def binary(op, overload, a, b, out_dtype, *lits):
    o = One()
    ai = o.input(a)
    bi = o.input(b) if isinstance(b, np.ndarray) else o.lit(b)
    shape = np.broadcast_shapes(a.shape, b.shape if isinstance(b, np.ndarray) else ())
    out = o.tensor(out_dtype, shape)
    o.call(op, overload, [ai, bi] + [o.lit(v) for v in lits], [out])
    return o.run(*([a, b] if isinstance(b, np.ndarray) else [a]), outputs=[out])[0]


def prim(op, a, b):
    o = One()
    ai, bi = o.input(a), o.input(b)
    r = o.p.add(Value("int" if isinstance(a, int) and op not in ("eq", "lt", "le", "ge", "gt") else "bool",
                      value=0 if op not in ("eq", "lt", "le", "ge", "gt") else False))
    o.p.instrs.append(Instr("executorch_prim::%s" % op, "Scalar", [ai, bi, r], []))
    return o.run(a, b, outputs=[r])[0]


def same(got, want, what):
    want = np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, "%s: %s %s vs %s %s" % (
        what, got.dtype, got.shape, want.dtype, want.shape)
    if want.dtype.kind == "f":
        assert np.allclose(got, want, rtol=1e-5, atol=1e-6), "%s: max error %g" % (what, np.abs(got - want).max())
    else:
        assert (got == want).all(), "%s: %s vs %s" % (what, got, want)


def direct_checks():
    """op name -> check; each raises AssertionError on a wrong answer."""
    g = np.random.default_rng(0)
    f = g.standard_normal((3, 4)).astype(np.float32)
    i = g.integers(-20, 20, (3, 4)).astype(np.int32)
    j = g.integers(-20, 20, (3, 4)).astype(np.int32)
    bb = g.integers(0, 2, (3, 4)).astype(np.bool_)
    t = torch.from_numpy
    c = {}

    def cmp(name, opfn, tfn):
        c[name] = lambda: same(opfn(), tfn(), name)

    cmp("aten::_to_copy.out", lambda: unary("aten::_to_copy", "out", f, False, None, out_dtype=torch.float64),
        lambda: f.astype(np.float64))
    cmp("aten::alias_copy.out", lambda: unary("aten::alias_copy", "out", f), lambda: f)

    def copy_ops(inplace):  # src [1, 4] int32 broadcast into a [3, 4] float32 tensor
        o = One()
        si, ti = o.input(i[:1]), o.input(f)
        out = o.tensor(torch.float32, (3, 4))
        if inplace:  # the buffer write-back: copy_(self, src, non_blocking, returned self)
            o.call("aten::copy", "out", [ti, ti, o.lit(False)], [out])  # out = a copy of f first
            o.call("aten::copy_", "", [out, si, o.lit(False)], [out], tail=[out])
        else:
            o.call("aten::copy", "out", [ti, si, o.lit(False)], [out])
        return o.run(i[:1], f, outputs=[out])[0]
    def arange(overload, lits, n, dtype):
        o = One()
        out = o.tensor(dtype, (n,))
        o.call("aten::arange", overload, [o.lit(v) for v in lits], [out])
        return o.run(outputs=[out])[0]
    cmp("aten::arange.out", lambda: arange("out", [5], 5, torch.int64), lambda: np.arange(5, dtype=np.int64))
    cmp("aten::arange.start_out", lambda: arange("start_out", [1.0, 2.0, 0.25], 4, torch.float32),
        lambda: np.arange(1.0, 2.0, 0.25, dtype=np.float32))
    cmp("aten::copy.out", lambda: copy_ops(False), lambda: np.broadcast_to(i[:1], (3, 4)).astype(np.float32))
    cmp("aten::copy_", lambda: copy_ops(True), lambda: np.broadcast_to(i[:1], (3, 4)).astype(np.float32))
    cmp("aten::clone.out", lambda: unary("aten::clone", "out", f, None), lambda: f)
    cmp("aten::t_copy.out", lambda: _shape_op("aten::t_copy", "out", f, [], (4, 3)), lambda: f.T)
    cmp("aten::squeeze_copy.dims_out", lambda: _shape_op("aten::squeeze_copy", "dims_out", f.reshape(3, 1, 4, 1), [[1, 3]], (3, 4)),
        lambda: f)
    cmp("aten::amin.out", lambda: _reduce("aten::amin", f, [1], False, (3,)), lambda: f.min(1))
    cmp("aten::elu.out", lambda: unary("aten::elu", "out", f, 0.5, 1.5, 2.0),
        lambda: np.where(f > 0, f * 1.5, 0.5 * 1.5 * (np.exp(f * 2.0) - 1)).astype(np.float32))
    cmp("aten::leaky_relu.out", lambda: unary("aten::leaky_relu", "out", f, 0.2),
        lambda: torch.nn.functional.leaky_relu(t(f), 0.2).numpy())
    cmp("aten::expm1.out", lambda: unary("aten::expm1", "out", f), lambda: torch.expm1(t(f)).numpy())
    cmp("aten::logical_not.out", lambda: unary("aten::logical_not", "out", bb), lambda: ~bb)
    cmp("aten::bitwise_not.out", lambda: unary("aten::bitwise_not", "out", i), lambda: ~i)
    for name, fn in (("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor)):
        cmp("aten::bitwise_%s.Tensor_out" % name, lambda name=name: binary("aten::bitwise_" + name, "Tensor_out", i, j, torch.int32),
            lambda fn=fn: fn(i, j))
        cmp("aten::bitwise_%s.Scalar_out" % name, lambda name=name: binary("aten::bitwise_" + name, "Scalar_out", i, 6, torch.int32),
            lambda fn=fn: fn(i, np.int32(6)))
    for name, fn in (("eq", np.equal), ("ne", np.not_equal), ("lt", np.less), ("le", np.less_equal),
                     ("gt", np.greater), ("ge", np.greater_equal)):
        cmp("aten::%s.Tensor_out" % name, lambda name=name: binary("aten::" + name, "Tensor_out", i, j, torch.bool),
            lambda fn=fn: fn(i, j))
        cmp("aten::%s.Scalar_out" % name, lambda name=name: binary("aten::" + name, "Scalar_out", f, 0.25, torch.bool),
            lambda fn=fn: fn(f, np.float32(0.25)))
    cmp("aten::div.Scalar_mode_out", lambda: binary("aten::div", "Scalar_mode_out", f, 0.3, torch.float32, "floor"),
        lambda: torch.div(t(f), 0.3, rounding_mode="floor").numpy())
    # both argument counts: the out list alone (what petite wrote before) and written again as the
    # return value (the official emitter); a returned list that is not the out list is refused
    c["aten::split_with_sizes_copy.out"] = lambda: (same(_split(f, [1, 3], 1), f[:, 1:], "split (4 arguments)"),
                                                    same(_split(f, [1, 3], 2), f[:, 1:], "split (5 arguments)"),
                                                    _refused(lambda: _split(f, [1, 3], 3), "not the out list"))
    for op, fn in (("add", lambda a, b: a + b), ("sub", lambda a, b: a - b), ("mul", lambda a, b: a * b),
                   ("floordiv", lambda a, b: a // b)):
        c["executorch_prim::%s.Scalar" % op] = lambda op=op, fn=fn: same(np.asarray(prim(op, 7, -3)), np.asarray(fn(7, -3)), op)
    for op, fn in (("eq", lambda a, b: a == b), ("gt", lambda a, b: a > b), ("lt", lambda a, b: a < b),
                   ("ge", lambda a, b: a >= b), ("le", lambda a, b: a <= b)):
        c["executorch_prim::%s.Scalar" % op] = lambda op=op, fn=fn: same(np.asarray(bool(prim(op, 4, 4))), np.asarray(fn(4, 4)), op)
    c["aten::sym_numel"] = lambda: same(np.asarray(_sym_numel(f)), np.asarray(12), "sym_numel")
    c["executorch_prim::et_view.default"] = lambda: same(_et_view(f, [4, 3]), f.reshape(4, 3), "et_view")
    c["quantized_decomposed::dequantize_per_channel.out"] = _dequant_per_channel
    return c


def _shape_op(op, overload, x, lits, shape):
    o = One()
    xi = o.input(x)
    out = o.tensor(torch.float32, shape)
    o.call(op, overload, [xi] + [o.lit(v) for v in lits], [out])
    return o.run(x, outputs=[out])[0]


def _reduce(op, x, dims, keep, shape):
    o = One()
    xi = o.input(x)
    out = o.tensor(torch.float32, shape)
    o.call(op, "out", [xi, o.lit(dims), o.lit(keep)], [out])
    return o.run(x, outputs=[out])[0]


def _split(x, sizes, lists):
    """lists: 1 the out list alone, 2 the out list and again as the return value, 3 a return value
    that is another list"""
    o = One()
    xi = o.input(x)
    outs = [o.tensor(torch.float32, (x.shape[0], s)) for s in sizes]
    lst = o.p.add(Value("tensor_list", value=outs))
    tail = [lst] if lists == 1 else [lst, lst] if lists == 2 else [lst, o.p.add(Value("tensor_list", value=outs[::-1]))]
    o.call("aten::split_with_sizes_copy", "out", [xi, o.lit(sizes), o.lit(1)], outs, tail=tail)
    return o.run(x, outputs=outs)[1]


def _refused(fn, words):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - the binding's error for a refused load
        if words not in str(e):
            raise AssertionError("refused, but without %r: %s" % (words, e))
        return
    raise AssertionError("accepted; expected a refusal naming %r" % words)


def _sym_numel(x):
    o = One()
    xi = o.input(x)
    r = o.p.add(Value("int", value=0))
    o.p.instrs.append(Instr("aten::sym_numel", "", [xi, r], []))
    return o.run(x, outputs=[r])[0]


def _et_view(x, shape):
    o = One()
    xi = o.input(x)
    out = o.tensor(torch.float32, shape)
    o.p.values[out].role = "temp"
    o.p.instrs.append(Instr("executorch_prim::et_view", "default", [xi, o.lit(shape), out], [out]))
    return o.run(x, outputs=[out])[0]


def _dequant_per_channel():
    q = np.array([[-3, 0, 5], [10, -10, 1]], np.int8)
    scales = np.array([0.5, 0.25], np.float32)
    zps = np.array([1, -2], np.int64)
    o = One()
    qi, si, zi = o.input(q), o.input(scales), o.input(zps)
    out = o.tensor(torch.float32, q.shape)
    o.call("quantized_decomposed::dequantize_per_channel", "out",
           [qi, si, zi, o.lit(0), o.lit(-128), o.lit(127), o.lit(1), o.lit(None)], [out])
    got = o.run(q, scales, zps, outputs=[out])[0]
    want = ((q.astype(np.float32) - zps[:, None]) * scales[:, None]).astype(np.float32)
    same(got, want, "dequantize_per_channel")


def reached_elsewhere():
    """Kernels that test_ops.py, the conformance files and test_kernels.c reach."""
    import test_ops
    seen = set()
    for name, model, inputs in test_ops.cases():
        model.eval()
        p = lower.lower(capture.capture(model, inputs), runtime.has_kernel)
        seen |= {ins.name for ins in p.instrs}
    cli = os.environ.get("PETITE_CLI") or os.path.join(os.path.dirname(os.environ.get("PETITE_LIB", "")), "petite")
    files = os.path.join(CONFORMANCE, "files")
    for f in sorted(os.listdir(files)) if os.path.isdir(files) else []:
        if f.endswith(".pte") and os.path.exists(cli):
            r = subprocess.run([cli, "info", "--json", os.path.join(files, f)], capture_output=True, text=True)
            if r.returncode == 0:
                for m in json.loads(r.stdout)["methods"]:
                    seen |= {op["name"] for op in m.get("operators", [])}
    with open(os.path.join(ROOT, "tests", "test_kernels.c")) as f:
        src = f.read()
    seen |= {name for name, fn in kernels() if re.search(r"\b%s\b" % fn, src)}
    return seen


def main():
    table = kernels()
    checks = direct_checks()
    passed = failed = 0
    for name in sorted(checks):
        try:
            checks[name]()
            passed += 1
        except Exception as e:
            failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, str(e).splitlines()[0] if str(e) else ""))
    elsewhere = reached_elsewhere()
    names = {n for n, _ in table}
    unknown = sorted(set(checks) - names)
    missing = sorted(names - elsewhere - set(checks))
    if not os.path.exists(os.path.join(CONFORMANCE, "manifest.json")):
        # a clone without ../shared: the cortex_m int8 kernels are reached by the official keyword
        # spotter only (the exporter writes no cortex_m:: calls); named and counted as skipped
        skipped = [n for n in missing if n.startswith("cortex_m::")]
        if skipped:
            print("SKIPPED (no conformance corpus at %s): %d kernels reached by its files only: %s" %
                  (CONFORMANCE, len(skipped), ", ".join(skipped)))
        missing = [n for n in missing if n not in skipped]
    for n in unknown:
        print("FAIL %s: checked here but not in kernels.def" % n)
    for n in missing:
        print("FAIL %s: no test reaches this kernel" % n)
    print("kernel table: %d kernels; %d reached by the operator, conformance and C tests, %d checked here "
          "(%d passed, %d failed); %d reached by nothing" % (len(names), len(names & elsewhere),
                                                              len(checks), passed, failed, len(missing)))
    return 1 if failed or missing or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
