"""ctypes binding of libpetite (include/petite/petite.h), numpy in and out.

    from petite.runtime import Program
    prog = Program("model.pte")
    m = prog.load_method("forward")
    outputs = m.run(np.zeros((1, 3, 224, 224), np.float32))
    m.inputs()   # [IoInfo(index=0, kind='tensor', dtype='float32', shape=(1, 3, 224, 224), ...)]

The library is found through $PETITE_LIB, else build/libpetite.so in this repository.
"""
import collections
import ctypes
import os

import numpy as np

MAX_RANK = 16
KIND_NONE, KIND_INT, KIND_BOOL, KIND_DOUBLE, KIND_TENSOR, KIND_STRING = 1, 2, 3, 4, 5, 6

DTYPES = {  # petite_dtype -> numpy
    0: np.uint8, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.int64, 5: np.float16,
    6: np.float32, 7: np.float64, 11: np.bool_, 27: np.uint16, 28: np.uint32, 29: np.uint64,
}
NP_TO_DTYPE = {np.dtype(v): k for k, v in DTYPES.items()}


ISAS = ["auto", "scalar", "avx2", "avx512", "neon", "wasmsimd"]  # petite_isa


class LoadOptions(ctypes.Structure):
    """petite_load_options"""
    _fields_ = [("struct_size", ctypes.c_uint32), ("flags", ctypes.c_uint32), ("max_memory_bytes", ctypes.c_uint64),
                ("num_threads", ctypes.c_int32), ("isa", ctypes.c_int32)]


class RawIoInfo(ctypes.Structure):
    """petite_io_info as the C library fills it (numbers); Method.inputs() / outputs() give IoInfo."""
    _fields_ = [
        ("kind", ctypes.c_int32), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
        ("dynamism", ctypes.c_int32), ("sizes", ctypes.c_int64 * MAX_RANK),
        ("max_sizes", ctypes.c_int64 * MAX_RANK), ("dim_order", ctypes.c_uint8 * MAX_RANK),
        ("nbytes", ctypes.c_int64), ("memory_planned", ctypes.c_int32), ("storage", ctypes.c_int32),
    ]


KIND_NAMES = {KIND_NONE: "none", KIND_INT: "int", KIND_BOOL: "bool", KIND_DOUBLE: "double",
              KIND_TENSOR: "tensor", KIND_STRING: "string", 7: "int_list", 8: "double_list", 9: "bool_list",
              10: "tensor_list", 11: "optional_tensor_list"}  # petite_kind
DYNAMISM_NAMES = {0: "static", 1: "dynamic_bound", 2: "dynamic_unbound"}  # petite_dynamism
STORAGE_NAMES = {0: "none", 1: "constant", 2: "planned", 3: "unplanned"}   # petite_storage


class IoInfo(collections.namedtuple("IoInfo", "index kind dtype shape max_shape dim_order dynamism nbytes storage")):
    """One input or output of a method, by name:

    index      its position
    kind       'tensor', 'int', 'double', 'bool', 'string', 'none', 'int_list', ...
    dtype      numpy's name of the element type ('float32', 'int64', ...; petite's name where numpy has
               none, e.g. 'bfloat16'); None for non-tensors
    shape      current sizes, a tuple (after a run, for dynamic outputs); () for non-tensors
    max_shape  upper bound of each size (== shape for static tensors)
    dim_order  memory order, outermost first (0, 1, ..., rank - 1: contiguous)
    dynamism   'static', 'dynamic_bound' or 'dynamic_unbound'; None for non-tensors
    nbytes     current byte size of the data
    storage    where the data lives: 'planned', 'unplanned', 'constant' or 'none'

    is_dynamic is True for dynamic_bound / dynamic_unbound tensors; np_dtype the numpy dtype.
    The C struct's field names that mean the same still read: .rank, .sizes, .max_sizes,
    .memory_planned (Method.info(io, i) returns the C struct itself)."""
    __slots__ = ()

    @property
    def is_dynamic(self):
        return self.dynamism in ("dynamic_bound", "dynamic_unbound")

    @property
    def np_dtype(self):
        return np.dtype(self.dtype) if self.dtype in _NP_NAMES else None

    @property
    def rank(self):
        return len(self.shape)

    @property
    def sizes(self):
        return self.shape

    @property
    def max_sizes(self):
        return self.max_shape

    @property
    def memory_planned(self):
        return self.storage == "planned"


_NP_NAMES = {np.dtype(v).name for v in DTYPES.values()}


def dtype_name(code):
    """numpy's name of petite_dtype `code` ('float32'), else petite's ('bfloat16'), else 'dtype N'."""
    if code in DTYPES:
        return np.dtype(DTYPES[code]).name
    name = lib().petite_dtype_name(code)
    return name.decode() if name and name != b"unknown" else "dtype %d" % code


def io_info(raw, index):
    """IoInfo of a RawIoInfo."""
    if raw.kind != KIND_TENSOR:
        kind = KIND_NAMES.get(raw.kind, "kind %d" % raw.kind)
        return IoInfo(index, kind, None, (), (), (), None, int(raw.nbytes), STORAGE_NAMES.get(raw.storage, "none"))
    rank = max(0, min(int(raw.rank), MAX_RANK))
    return IoInfo(index, "tensor", dtype_name(raw.dtype), tuple(int(raw.sizes[d]) for d in range(rank)),
                  tuple(int(raw.max_sizes[d]) for d in range(rank)), tuple(int(raw.dim_order[d]) for d in range(rank)),
                  DYNAMISM_NAMES.get(raw.dynamism, "dynamism %d" % raw.dynamism), int(raw.nbytes),
                  STORAGE_NAMES.get(raw.storage, "storage %d" % raw.storage))


class PetiteError(RuntimeError):
    pass


def find_library(name="libpetite.so", env="PETITE_LIB"):
    """The shared library `name`: $env if set; beside $PETITE_LIB; else a source tree's build directory
    (python/petite) or an installed tree's lib directory (PREFIX/lib/petite/python/petite)."""
    if os.environ.get(env):
        return os.environ[env]
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(os.path.dirname(here))
    cands = [os.path.join(os.path.dirname(os.environ["PETITE_LIB"]), name)] if os.environ.get("PETITE_LIB") else []
    cands += [os.path.join(root, "build", name), os.path.join(root, "build-release", name),
              os.path.join(root, "..", name), os.path.join(root, "..", name + ".0")]
    for p in cands:
        if os.path.exists(p):
            return os.path.normpath(p)
    raise PetiteError("%s not found: build it (cmake --build build) or set %s" % (name, env))


def bind(L, sigs):
    """Set argtypes / restype of each function {name: ([argtypes], restype)} of ctypes library L."""
    for name, (args, res) in sigs.items():
        f = getattr(L, name)
        f.argtypes, f.restype = args, res
    return L


def _find_library():
    return find_library()


_lib = None


def lib():
    global _lib
    if _lib is None:
        L = ctypes.CDLL(_find_library())
        P, S, I32, I64 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int32, ctypes.c_int64
        sigs = {
            "petite_last_error": ([], ctypes.c_char_p),
            "petite_program_open_file": ([ctypes.c_char_p, ctypes.POINTER(P)], I32),
            "petite_program_open_buffer": ([ctypes.c_char_p, S, ctypes.c_uint32, ctypes.POINTER(P)], I32),
            "petite_program_close": ([P], None),
            "petite_program_errmsg": ([P], ctypes.c_char_p),
            "petite_program_method_count": ([P, ctypes.POINTER(S)], I32),
            "petite_program_method_name": ([P, S, ctypes.POINTER(ctypes.c_char_p)], I32),
            "petite_program_attach_data_file": ([P, ctypes.c_char_p], I32),
            "petite_method_load": ([P, ctypes.c_char_p, ctypes.POINTER(P)], I32),
            "petite_load_options_init": ([ctypes.POINTER(LoadOptions)], None),
            "petite_method_load_ex": ([P, ctypes.c_char_p, ctypes.POINTER(LoadOptions), ctypes.POINTER(P)], I32),
            "petite_method_free": ([P], None),
            "petite_method_errmsg": ([P], ctypes.c_char_p),
            "petite_method_io_count": ([P, I32, ctypes.POINTER(S)], I32),
            "petite_method_io_info": ([P, I32, S, ctypes.POINTER(RawIoInfo)], I32),
            "petite_method_set_input": ([P, S, I32, I32, ctypes.POINTER(I64), P, S, ctypes.c_uint32], I32),
            "petite_method_set_input_int": ([P, S, I64], I32),
            "petite_method_set_input_double": ([P, S, ctypes.c_double], I32),
            "petite_method_set_input_bool": ([P, S, I32], I32),
            "petite_method_run": ([P], I32),
            "petite_method_output_data": ([P, S, ctypes.POINTER(P), ctypes.POINTER(S)], I32),
            "petite_method_output_int": ([P, S, ctypes.POINTER(I64)], I32),
            "petite_method_output_double": ([P, S, ctypes.POINTER(ctypes.c_double)], I32),
            "petite_method_output_bool": ([P, S, ctypes.POINTER(I32)], I32),
            "petite_has_kernel": ([ctypes.c_char_p], I32),
            "petite_dtype_name": ([I32], ctypes.c_char_p),
            "petite_load_kernel_library": ([ctypes.c_char_p], I32),
        }
        _lib = bind(L, sigs)
    return _lib


def has_kernel(name):
    return bool(lib().petite_has_kernel(name.encode()))


def load_kernel_library(path):
    """Load a kernel library (a shared library exporting petite_kernel_library_init, see
    include/petite/petite.h and examples/custom_op) into this process's petite."""
    if lib().petite_load_kernel_library(os.fsencode(os.path.abspath(path))) != 0:
        raise PetiteError(lib().petite_last_error().decode())


class Method:
    def __init__(self, program, handle, name):
        self._program, self._h, self.name = program, handle, name

    def __del__(self):
        if getattr(self, "_h", None):
            lib().petite_method_free(self._h)
            self._h = None

    def _err(self):
        return PetiteError(lib().petite_method_errmsg(self._h).decode(errors="replace"))

    def _count(self, io):
        n = ctypes.c_size_t()
        lib().petite_method_io_count(self._h, io, ctypes.byref(n))
        return n.value

    def info(self, io, i):
        """The C struct petite_io_info (RawIoInfo) of input (io 0) or output (io 1) i."""
        inf = RawIoInfo()
        if lib().petite_method_io_info(self._h, io, i, ctypes.byref(inf)):
            raise self._err()
        return inf

    def inputs(self):
        """[IoInfo] of the inputs: kind, dtype, shape, dim order, dynamism, by name."""
        return [io_info(self.info(0, i), i) for i in range(self._count(0))]

    def outputs(self):
        """[IoInfo] of the outputs (current shapes: after a run for dynamic ones)."""
        return [io_info(self.info(1, i), i) for i in range(self._count(1))]

    input_infos = inputs  # the older name
    output_infos = outputs

    def run(self, *inputs):
        L = lib()
        keep = []
        for i, x in enumerate(inputs):
            if isinstance(x, bool):
                st = L.petite_method_set_input_bool(self._h, i, int(x))
            elif isinstance(x, int):
                st = L.petite_method_set_input_int(self._h, i, x)
            elif isinstance(x, float):
                st = L.petite_method_set_input_double(self._h, i, x)
            else:
                a = np.ascontiguousarray(x)
                keep.append(a)
                if a.dtype not in NP_TO_DTYPE:
                    raise PetiteError("input %d: dtype %s is not supported" % (i, a.dtype))
                shape = (ctypes.c_int64 * max(1, a.ndim))(*a.shape)
                st = L.petite_method_set_input(self._h, i, NP_TO_DTYPE[a.dtype], a.ndim, shape,
                                               a.ctypes.data, a.nbytes, 0)
            if st:
                raise self._err()
        if L.petite_method_run(self._h):
            raise self._err()
        outs = []
        for i in range(self._count(1)):
            inf = self.info(1, i)
            if inf.kind == KIND_TENSOR:
                ptr, nb = ctypes.c_void_p(), ctypes.c_size_t()
                if L.petite_method_output_data(self._h, i, ctypes.byref(ptr), ctypes.byref(nb)):
                    raise self._err()
                shape = tuple(inf.sizes[d] for d in range(inf.rank))
                dt = np.dtype(DTYPES[inf.dtype])
                buf = (ctypes.c_uint8 * nb.value).from_address(ptr.value) if nb.value else b""
                outs.append(np.frombuffer(bytes(buf), dtype=dt).reshape(shape).copy())
            elif inf.kind == KIND_INT:
                v = ctypes.c_int64()
                L.petite_method_output_int(self._h, i, ctypes.byref(v))
                outs.append(v.value)
            elif inf.kind == KIND_DOUBLE:
                v = ctypes.c_double()
                L.petite_method_output_double(self._h, i, ctypes.byref(v))
                outs.append(v.value)
            elif inf.kind == KIND_BOOL:
                v = ctypes.c_int32()
                L.petite_method_output_bool(self._h, i, ctypes.byref(v))
                outs.append(bool(v.value))
            else:
                outs.append(None)
        return outs


class Program:
    def __init__(self, path_or_bytes):
        L = lib()
        h = ctypes.c_void_p()
        if isinstance(path_or_bytes, (bytes, bytearray)):
            st = L.petite_program_open_buffer(bytes(path_or_bytes), len(path_or_bytes), 0, ctypes.byref(h))
        else:
            st = L.petite_program_open_file(os.fsencode(path_or_bytes), ctypes.byref(h))
        if st:
            raise PetiteError(L.petite_last_error().decode(errors="replace"))
        self._h = h

    def __del__(self):
        if getattr(self, "_h", None):
            lib().petite_program_close(self._h)
            self._h = None

    def methods(self):
        n = ctypes.c_size_t()
        lib().petite_program_method_count(self._h, ctypes.byref(n))
        names = []
        for i in range(n.value):
            s = ctypes.c_char_p()
            lib().petite_program_method_name(self._h, i, ctypes.byref(s))
            names.append(s.value.decode())
        return names

    def load_method(self, name="forward", threads=0, isa="auto", max_memory=0):
        """threads: 0 or 1 runs on the caller's thread; isa: auto, scalar, avx2, avx512 or neon."""
        L = lib()
        o = LoadOptions()
        L.petite_load_options_init(ctypes.byref(o))
        o.num_threads, o.isa, o.max_memory_bytes = threads, ISAS.index(isa), max_memory
        m = ctypes.c_void_p()
        if L.petite_method_load_ex(self._h, name.encode(), ctypes.byref(o), ctypes.byref(m)):
            raise PetiteError(L.petite_last_error().decode(errors="replace"))
        return Method(self, m, name)
