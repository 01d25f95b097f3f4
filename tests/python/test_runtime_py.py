"""The Python binding's description of inputs and outputs (python/petite/runtime.py): Method.inputs() /
outputs() give named fields (kind and dtype as strings, shapes as tuples, dim order, dynamism,
storage), not raw ctypes structs; the older input_infos() and the struct's field names still work.

    /usr/bin/python3 tests/python/test_runtime_py.py [BUILD_DIR]   (or PETITE_BUILD=BUILD_DIR; default: build)

Uses BUILD_DIR/libpetite.so (unless PETITE_LIB is set) and the conformance files
(PETITE_CONFORMANCE_DIR, default ../shared/conformance). Last line: `runtime_py: N passed, M failed`.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PETITE_BUILD", os.path.join(ROOT, "build"))
os.environ.setdefault("PETITE_LIB", os.path.join(os.path.abspath(BUILD), "libpetite.so"))
sys.path.insert(0, os.path.join(ROOT, "python"))
CONF = os.environ.get("PETITE_CONFORMANCE_DIR", os.path.join(ROOT, "..", "shared", "conformance"))
FILES = os.path.join(CONF, "files")
if not os.path.exists(os.path.join(CONF, "manifest.json")):  # a clone without ../shared: ctest reports a skip
    print("runtime_py: SKIPPED: no conformance corpus (manifest.json) at %s" % CONF)
    sys.exit(77)

import numpy as np  # noqa: E402

from petite import runtime as rt  # noqa: E402

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


def test_static():
    m = rt.Program(os.path.join(FILES, "portable_double_input.pte")).load_method()
    ins = m.inputs()
    check(len(ins) == 2, "double_input: 2 inputs, %d" % len(ins))
    x, s = ins
    check(isinstance(x, rt.IoInfo) and x.kind == "tensor" and x.dtype == "float32" and x.shape == (4,)
          and x.max_shape == (4,) and x.dim_order == (0,) and x.dynamism == "static" and not x.is_dynamic
          and x.nbytes == 16 and x.storage == "planned" and x.index == 0, "double_input: input 0 %r" % (x,))
    check(x.np_dtype == np.float32 and np.zeros(x.shape, x.dtype).shape == (4,), "dtype usable by numpy: %r" % (x,))
    check(s.kind == "double" and s.dtype is None and s.shape == () and s.index == 1, "double_input: input 1 %r" % (s,))
    check("dtype='float32'" in repr(x) and "shape=(4,)" in repr(x) and "kind='tensor'" in repr(x),
          "the repr names things: %r" % (x,))
    # the older spellings
    check(m.input_infos() == ins, "input_infos() is inputs()")
    check(x.rank == 1 and tuple(x.sizes) == (4,) and tuple(x.max_sizes) == (4,) and x.memory_planned,
          "struct field names still read")
    raw = m.info(0, 0)
    check(isinstance(raw, rt.RawIoInfo) and raw.kind == rt.KIND_TENSOR and raw.dtype == 6, "info(): the C struct")
    outs = m.outputs()
    check([(o.kind, o.dtype, o.shape) for o in outs] == [("tensor", "float32", (4,))], "outputs(): %r" % outs)

    m = rt.Program(os.path.join(FILES, "portable_mixed_dtypes.pte")).load_method()
    check([(i.dtype, i.shape) for i in m.inputs()] == [("int64", (1,)), ("float32", (1,))],
          "mixed dtypes: %r" % m.inputs())


def test_dynamic():
    m = rt.Program(os.path.join(FILES, "xnnpack_dynamic_shape.pte")).load_method()
    (x,) = m.inputs()
    check(x.kind == "tensor" and x.dynamism == "dynamic_bound" and x.is_dynamic and x.max_shape == (8,),
          "dynamic input: %r" % (x,))
    y = m.run(np.arange(3, dtype=np.float32))[0]
    (o,) = m.outputs()
    check(o.shape == y.shape == (3,) and o.max_shape == (8,) and o.nbytes == 12, "dynamic output after a run: %r" % (o,))


def test_names():
    check(rt.dtype_name(6) == "float32" and rt.dtype_name(11) == "bool" and rt.dtype_name(4) == "int64",
          "dtype_name of numpy dtypes")
    check(rt.dtype_name(15) == "bfloat16" and rt.dtype_name(99).startswith("dtype 99"),
          "dtype_name without numpy: %s, %s" % (rt.dtype_name(15), rt.dtype_name(99)))


def test_memory_cap():
    """a cap too small for the method: the message names what is over and by how much (it said
    "the delegate's memory of 0 bytes" when the delegate's own figure came after the charge)"""
    p = rt.Program(os.path.join(FILES, "xnnpack_linear_planned.pte"))
    for cap in (1000, 3000):
        try:
            p.load_method(max_memory=cap)
            check(False, "a %d-byte cap: loaded" % cap)
        except rt.PetiteError as e:
            msg = str(e)
            check("OutOfResources" in msg and " 0 bytes" not in msg and "%d bytes" % cap in msg,
                  "a %d-byte cap: %s" % (cap, msg))


def main():
    for t in (test_static, test_dynamic, test_names, test_memory_cap):
        try:
            t()
        except Exception as e:
            check(False, "%s: %s: %s" % (t.__name__, type(e).__name__, e))
    print("runtime_py: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
