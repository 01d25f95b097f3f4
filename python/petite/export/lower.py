"""Lower a captured ATen graph to the ExecuTorch edge program: out-variant operators with the
official names, overloads and argument order, values in the official order (constants, user
inputs, then each instruction's scalar/list arguments and outputs).

The IR is deliberately plain: Value (one EValue) and Instr (one KernelCall)."""
import operator

import torch

from .dynamic import SymExpr

aten = torch.ops.aten

DTYPE = {  # torch dtype -> ExecuTorch ScalarType
    torch.uint8: 0, torch.int8: 1, torch.int16: 2, torch.int32: 3, torch.int64: 4,
    torch.float16: 5, torch.float32: 6, torch.float64: 7, torch.bool: 11, torch.bfloat16: 15,
}
MEMORY_FORMAT = {torch.contiguous_format: 0, torch.preserve_format: 1, torch.channels_last: 2}


class LowerError(Exception):
    pass


class Value:
    """One EValue. kind: tensor | int | double | bool | none | string | int_list | double_list |
    bool_list | tensor_list | optional_tensor_list."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.dtype = kw.get("dtype")        # tensors: ScalarType
        self.shape = kw.get("shape")        # tensors: list of ints
        self.data = kw.get("data")          # constant tensors: bytes
        self.value = kw.get("value")        # scalars; lists: items (value indices / literals)
        self.role = kw.get("role", "temp")  # tensors: const | input | temp | mutable (state: planned, initial data)
        self.name = kw.get("name")          # mutable: the buffer's name
        self.dynamic = kw.get("dynamic", False)  # tensors: DYNAMIC_BOUND (shape is the upper bound)
        self.dyn_dims = kw.get("dyn_dims", [])  # dynamic tensors: the dims that follow the size
        self.computed = kw.get("computed", False)  # ints: written at run time (from the dynamic size)
        self.offset = None                  # planned tensors: byte offset in buffer 1
        self.index = None

    def nbytes(self):
        n = 1
        for s in self.shape:
            n *= s
        return n * ELEM_SIZE[self.dtype]


ELEM_SIZE = {0: 1, 1: 1, 2: 2, 3: 4, 4: 8, 5: 2, 6: 4, 7: 8, 11: 1, 15: 2}


class Instr:
    def __init__(self, op, overload, args, outs=()):
        self.op, self.overload, self.args = op, overload, args  # args: value indices
        self.outs = list(outs)  # the tensors it writes
        self.delegate = None    # DelegateCall: index into EdgeProgram.delegates

    @property
    def name(self):
        return self.op + ("." + self.overload if self.overload else "")


class EdgeProgram:
    def __init__(self):
        self.values, self.instrs = [], []
        self.inputs, self.outputs = [], []
        self.value_node = {}  # tensor value -> (fx node name, output index): for calibration
        self.delegates = []   # processed blobs (bytes) of XnnpackBackend delegates
        self.named = {}       # named data: key -> bytes (delegate weights)

    def add(self, v):
        v.index = len(self.values)
        self.values.append(v)
        return v.index

    def operators(self):
        seen = []
        for ins in self.instrs:
            if ins.delegate is None and (ins.op, ins.overload) not in seen:
                seen.append((ins.op, ins.overload))
        return seen


# view-like ops -> their _copy out-variants: (target name, overload, how to build positional args)
VIEW_COPY = {
    aten.view.default: ("aten::view_copy", "out", lambda a: [a[0], a[1]]),
    aten._reshape_alias.default: ("aten::view_copy", "out", lambda a: [a[0], a[1]]),
    aten._unsafe_view.default: ("aten::view_copy", "out", lambda a: [a[0], a[1]]),
    aten.reshape.default: ("aten::view_copy", "out", lambda a: [a[0], a[1]]),
    aten.t.default: ("aten::t_copy", "out", lambda a: [a[0]]),
    aten.permute.default: ("aten::permute_copy", "out", lambda a: [a[0], a[1]]),
    aten.transpose.int: ("aten::transpose_copy", "int_out", lambda a: [a[0], a[1], a[2]]),
    aten.expand.default: ("aten::expand_copy", "out", lambda a: [a[0], a[1], a[2] if len(a) > 2 else False]),
    aten.unsqueeze.default: ("aten::unsqueeze_copy", "out", lambda a: [a[0], a[1]]),
    aten.squeeze.dim: ("aten::squeeze_copy", "dim_out", lambda a: [a[0], a[1]]),
    aten.select.int: ("aten::select_copy", "int_out", lambda a: [a[0], a[1], a[2]]),
    aten.slice.Tensor: ("aten::slice_copy", "Tensor_out",
                        lambda a: [a[0], a[1] if len(a) > 1 else 0, a[2] if len(a) > 2 else None,
                                   a[3] if len(a) > 3 else None, a[4] if len(a) > 4 else 1]),
    aten.split.Tensor: ("aten::split_copy", "Tensor_out", lambda a: [a[0], a[1], a[2] if len(a) > 2 else 0]),
    aten.unsafe_split.Tensor: ("aten::split_copy", "Tensor_out", lambda a: [a[0], a[1], a[2] if len(a) > 2 else 0]),
    aten.split_with_sizes.default: ("aten::split_with_sizes_copy", "out", lambda a: [a[0], a[1], a[2] if len(a) > 2 else 0]),
    aten.unbind.int: ("aten::unbind_copy", "int_out", lambda a: [a[0], a[1] if len(a) > 1 else 0]),
    aten.alias.default: ("aten::alias_copy", "out", lambda a: [a[0]]),
    aten.lift_fresh_copy.default: ("aten::clone", "out", lambda a: [a[0], None]),
}
if "dims" in aten.squeeze.overloads():  # newer torch
    VIEW_COPY[aten.squeeze.dims] = ("aten::squeeze_copy", "dims_out", lambda a: [a[0], a[1]])

# ops whose out argument is a Tensor[] and that return nothing
LIST_OUT = {"aten::split_copy", "aten::split_with_sizes_copy", "aten::unbind_copy"}

# overloads whose out-variant name is not "<overload>_out" / "out"
OUT_OVERLOAD = {
    "div.Tensor_mode": "out_mode", "div.Scalar_mode": "Scalar_mode_out", "mean.dim": "out",
    "sum.dim_IntList": "IntList_out", "upsample_nearest2d.vec": "vec_out",
    "upsample_bilinear2d.vec": "vec_out", "var.correction": "correction_out",
    "max.dim": "dim_max", "min.dim": "dim_min", "amax.default": "out", "argmax.default": "out",
    "topk.default": "values", "sort.default": "values", "sort.stable": "values_stable",
}

IDENTITY = {aten.detach.default, aten.clone.default, aten.lift_fresh.default}


def _out_overload(op):
    """The ATen out-variant OpOverload for a functional op."""
    packet, name = op.overloadpacket, op._overloadname
    key = "%s.%s" % (packet.__name__, name)
    cands = [OUT_OVERLOAD[key]] if key in OUT_OVERLOAD else []
    cands += ["out"] if name == "default" else [name + "_out", "out"]
    for c in cands:
        if c in packet.overloads():
            return getattr(packet, c), c
    return None, None


def _schema_name(op):
    return op._schema.name  # "aten::convolution"


class Lowerer:
    def _after(self, a, b):
        """fx node a comes after node b in the graph"""
        order = self.__dict__.setdefault("_order", {n: i for i, n in enumerate(self.gm.graph.nodes)})
        return order.get(a, -1) > order.get(b, -1)

    def __init__(self, gm, check_kernel=None):
        self.gm, self.p = gm, EdgeProgram()
        self.env = {}  # fx node -> value index (or list of indices for multi-output)
        self.check_kernel = check_kernel
        self.sym_src = None  # (input value, dim) of the dynamic size
        self.sym_cache = {}  # SymExpr -> Int value computed at run time

    def sym_value(self, e):
        """The Int value of e = a*s + b, computed at run time from the dynamic input's size."""
        if e in self.sym_cache:
            return self.sym_cache[e]
        p = self.p
        if self.sym_src is None:
            raise LowerError("a size-dependent argument without a dynamic input")
        base = SymExpr(1, 0)
        if base not in self.sym_cache:
            s = p.add(Value("int", value=0, computed=True))
            p.instrs.append(Instr("aten::sym_size", "int", [self.sym_src[0], p.add(Value("int", value=self.sym_src[1])), s]))
            self.sym_cache[base] = s
        v = self.sym_cache[base]
        if e.a != 1:
            t = p.add(Value("int", value=0, computed=True))
            p.instrs.append(Instr("executorch_prim::mul", "Scalar", [v, p.add(Value("int", value=e.a)), t]))
            v = t
        if e.b != 0:
            t = p.add(Value("int", value=0, computed=True))
            p.instrs.append(Instr("executorch_prim::add", "Scalar", [v, p.add(Value("int", value=e.b)), t]))
            v = t
        self.sym_cache[e] = v
        return v

    # ---- values ----
    def tensor_value(self, meta, role, data=None, dynamic=False, dyn_dims=()):
        shape = [int(s) for s in meta.shape]
        if meta.dtype not in DTYPE:
            raise LowerError("dtype %s is not supported" % meta.dtype)
        return self.p.add(Value("tensor", dtype=DTYPE[meta.dtype], shape=shape, role=role, data=data, dynamic=dynamic,
                                dyn_dims=list(dyn_dims) if dynamic else []))

    def scalar(self, x, typ=""):
        """A Python argument as a fresh EValue (the official emitter never shares them)."""
        p = self.p
        if x is None:
            return p.add(Value("none"))
        if isinstance(x, torch.fx.Node):
            v = self.value_of(x)
            if isinstance(v, list):
                raise LowerError("a multi-output value used as one tensor")
            return v
        if isinstance(x, torch.Tensor):
            return self.const_value(x, "number")
        if isinstance(x, SymExpr):
            return self.sym_value(x)
        if isinstance(x, bool):
            return p.add(Value("bool", value=x))
        if isinstance(x, int):
            return p.add(Value("int", value=x))
        if isinstance(x, float):
            return p.add(Value("double", value=x))
        if isinstance(x, torch.dtype):
            return p.add(Value("int", value=DTYPE[x]))
        if isinstance(x, torch.memory_format):
            return p.add(Value("int", value=MEMORY_FORMAT[x]))
        if isinstance(x, (torch.device, torch.layout)):
            return p.add(Value("none"))
        if isinstance(x, str):
            return p.add(Value("string", value=x))
        if isinstance(x, (list, tuple)):
            if all(isinstance(e, torch.fx.Node) or e is None for e in x) and len(x) and \
                    any(isinstance(e, torch.fx.Node) for e in x):
                items = [self.value_of(e) if e is not None else -1 for e in x]
                kind = "optional_tensor_list" if ("Optional" in typ or -1 in items) else "tensor_list"
                return p.add(Value(kind, value=items))
            if all(isinstance(e, bool) for e in x) and len(x):
                return p.add(Value("bool_list", value=list(x)))
            if all(isinstance(e, SymExpr) or (isinstance(e, int) and not isinstance(e, bool)) for e in x):
                items = [self.sym_value(e) if isinstance(e, SymExpr) else p.add(Value("int", value=int(e))) for e in x]
                return p.add(Value("int_list", value=items))
            if all(isinstance(e, (int, float)) for e in x):
                return p.add(Value("double_list", value=[float(e) for e in x]))
        raise LowerError("argument %r of type %s cannot be lowered" % (x, type(x).__name__))

    def value_of(self, node):
        if node not in self.env and node in self.consts:
            self.env[node] = self.const_value(self.consts[node], node.name)
        return self.env[node]

    def const_value(self, t, name):
        t = t.detach().contiguous()
        if t.dtype not in DTYPE:
            raise LowerError("constant %s has dtype %s" % (name, t.dtype))
        data = (t.view(torch.int16) if t.dtype == torch.bfloat16 else t).numpy().tobytes()
        return self.p.add(Value("tensor", dtype=DTYPE[t.dtype], shape=list(t.shape), role="const", data=data))

    def try_fold(self, node):
        """Evaluate a node whose tensor inputs are all constants; True if folded."""
        deps = node.all_input_nodes
        if any(d not in self.consts for d in deps):
            return False
        if node.target is not operator.getitem and not isinstance(node.target, torch._ops.OpOverload):
            return False
        if isinstance(node.target, torch._ops.OpOverload) and node.target._schema.is_mutable:
            return False
        if "rand" in str(node.target) or "empty" in str(node.target):
            return False
        flat = []
        torch.fx.node.map_aggregate((node.args, node.kwargs), lambda a: flat.append(a))
        if any(isinstance(a, SymExpr) for a in flat):  # computed at run time
            return False
        env = {d: self.consts[d] for d in deps}
        args = torch.fx.node.map_arg(node.args, lambda n: env[n])
        kwargs = torch.fx.node.map_arg(node.kwargs, lambda n: env[n])
        with torch.no_grad():
            r = node.target(*args, **kwargs)
        if not (isinstance(r, torch.Tensor) or (isinstance(r, (list, tuple)) and all(isinstance(t, torch.Tensor) for t in r))):
            return False
        self.consts[node] = r
        return True

    def number_tensor(self, x, peers):
        """A Python number passed as a Tensor argument, as a 0-dim constant (a torch "wrapped
        number": it takes the dtype of a tensor operand of its own category)."""
        dt = torch.float32 if isinstance(x, float) else (torch.bool if isinstance(x, bool) else torch.int64)
        for p in peers:
            if isinstance(p, torch.fx.Node) and hasattr(p.meta.get("tensor_meta"), "dtype"):
                pd = p.meta["tensor_meta"].dtype
                if pd.is_floating_point == dt.is_floating_point and (pd == torch.bool) == (dt == torch.bool):
                    dt = pd
                break
        return torch.tensor(x, dtype=dt)

    # ---- instructions ----
    def emit(self, name, overload, in_args, node, n_outputs=None):
        """in_args: Python-level arguments in schema order (without out args)."""
        full = name + ("." + overload if overload else "")
        if self.check_kernel and not self.check_kernel(full):
            raise LowerError("operator %s (from %s) has no kernel in the petite runtime. Next steps: rewrite that part "
                             "of the model with supported operators (docs list them: petite info shows a file's), or "
                             "implement %s in C and register it with petite_register_kernel before loading"
                             % (full, node.format_node(), full))
        args = [self.scalar(a) for a in in_args]
        meta = node.meta.get("tensor_meta")
        if meta is None:
            raise LowerError("no shape information for %s" % node.format_node())
        dyn = bool(node.meta.get("dynamic"))
        ddims = node.meta.get("dynamic_dims") or []
        if not hasattr(meta, "shape"):  # several outputs (TensorMetadata is itself a tuple)
            outs = [self.tensor_value(m, "temp", dynamic=dyn, dyn_dims=ddims[j] if j < len(ddims) else [])
                    for j, m in enumerate(meta)]
            for j, o in enumerate(outs):
                self.p.value_node[o] = (node.name, j)
            lst = self.p.add(Value("tensor_list", value=list(outs)))
            # split-like: one Tensor[] out argument, written again as the return value (the official
            # emitter flattens the node's result after the schema arguments); else each out, then the list
            args += [lst, lst] if name in LIST_OUT else outs + [lst]
            self.env[node] = outs
            written = outs
        else:
            out = self.tensor_value(meta, "temp", dynamic=dyn, dyn_dims=ddims[0] if ddims else [])
            self.p.value_node[out] = (node.name, None)
            args += [out, out]
            self.env[node] = out
            written = [out]
        self.p.instrs.append(Instr(name, overload, args, written))

    def lower_call(self, node):
        op = node.target
        a = list(node.args)
        name = op.overloadpacket.__name__ if hasattr(op, "overloadpacket") else ""
        if name.endswith("_") and not name.startswith("_") and a and isinstance(a[0], torch.fx.Node):
            # an in-place op functionalization left behind (swin_v2's add_ on a view): the functional
            # op gives the same values when nothing reads the mutated input after it
            functional = getattr(aten, name[:-1], None)
            later = [u for u in a[0].users if u is not node and self._after(u, node)]
            if functional is not None and op._overloadname in functional.overloads() and not later:
                op = getattr(functional, op._overloadname)
            else:
                raise LowerError("in-place %s whose input is read again afterwards (%s): petite-export keeps "
                                 "programs functional" % (name, node.format_node()))
        if op in IDENTITY:
            self.env[node] = self.value_of(a[0])
            return
        if op == aten.index_copy.default and isinstance(a[0], torch.fx.Node) and \
                self.p.values[self.value_of(a[0])].role == "mutable" and \
                not [u for u in a[0].users if u is not node and self._after(u, node)]:
            # a buffer the model keeps (a KV cache) written by index_copy_ / t[:, :, idx] = v and not read
            # in its old state afterwards: written in place (out = the buffer), no copy of it per call
            buf = self.value_of(a[0])
            self.p.instrs.append(Instr("aten::index_copy", "out", [buf, self.scalar(a[1]), self.value_of(a[2]),
                                                                   self.value_of(a[3]), buf, buf], [buf]))
            self.env[node] = buf
            return
        if op._schema.name == "petite_llm::kv_update":
            return self.lower_kv_update(node, a)
        if op._schema.name == "petite_llm::sdpa":
            return self.lower_sdpa(node, a)
        if op._schema.name == "petite_llm::embedding_q":  # the official quantized embedding calls
            w, sc, idx, bits = a
            name = "quantized_decomposed::embedding_byte" if bits == 8 else "quantized_decomposed::embedding_4bit"
            self._need(name + ".dtype_out", node)
            qmin, qmax = (-128, 127) if bits == 8 else (-8, 7)
            return self.emit(name, "dtype_out", [w, sc, None, qmin, qmax, idx, torch.float32], node)
        if op in VIEW_COPY:
            name, ovl, f = VIEW_COPY[op]
            return self.emit(name, ovl, f(a), node)
        if op == aten.native_batch_norm.default:
            x, w, b, rm, rv, training, momentum, eps = a
            if training:
                raise LowerError("batch norm in training mode: call model.eval() before exporting")
            return self.emit("aten::_native_batch_norm_legit_no_training", "out", [x, w, b, rm, rv, momentum, eps], node)
        if op == aten.as_strided.default:
            # the as_strided functionalization leaves after a permute of a channels-last tensor: when it
            # reads the whole (contiguous) input in order, i.e. its strides are the contiguous strides of
            # its size (size-1 dims aside), it is a reshape
            x, size, stride = a[0], list(a[1]), list(a[2])
            offset = a[3] if len(a) > 3 and a[3] is not None else 0
            numel = 1
            for d in x.meta["tensor_meta"].shape:
                numel *= d
            want, st = [0] * len(size), 1
            for i in range(len(size) - 1, -1, -1):
                want[i] = st
                st *= size[i]
            if offset == 0 and st == numel and all(sz == 1 or s_ == w for sz, s_, w in zip(size, stride, want)):
                return self.emit("aten::view_copy", "out", [x, size], node)
            raise LowerError("aten.as_strided with size %s, stride %s, offset %s does not read its input in order: "
                             "petite-export lowers only that case (add .contiguous() before the view)"
                             % (size, stride, offset))
        if op == aten.squeeze.default:
            shape = a[0].meta["tensor_meta"].shape
            return self.emit("aten::squeeze_copy", "dims_out", [a[0], [d for d, s in enumerate(shape) if s == 1]], node)
        if op == aten.upsample_nearest2d.default:
            return self.emit("aten::upsample_nearest2d", "vec_out", [a[0], list(a[1]), None], node)
        if op == aten.upsample_bilinear2d.default:
            return self.emit("aten::upsample_bilinear2d", "vec_out", [a[0], list(a[1]), a[2], None], node)
        if op == aten._to_copy.default:
            return self.emit("dim_order_ops::_to_dim_order_copy", "out", [a[0], False, None], node)
        # a Python number where the Tensor overload wants a tensor: use the Scalar overload
        if op._overloadname == "Tensor" and len(a) > 1 and isinstance(a[1], (int, float, bool)) \
                and "Scalar" in op.overloadpacket.overloads():
            op = op.overloadpacket.Scalar
        out_op, ovl = _out_overload(op)
        if out_op is None:
            raise LowerError("operator %s has no out-variant to lower to (%s); petite-export does not lower it yet: "
                             "rewrite that part of the model with supported operators" % (op, node.format_node()))
        # positional + keyword arguments in schema order, defaults materialized
        schema_args = [x for x in op._schema.arguments]
        vals = []
        for i, sa in enumerate(schema_args):
            if i < len(a):
                vals.append(a[i])
            elif sa.name in node.kwargs:
                vals.append(node.kwargs[sa.name])
            elif sa.has_default_value():
                vals.append(sa.default_value)
            else:
                raise LowerError("%s: missing argument %s" % (op, sa.name))
        # the out variant may drop arguments the functional form has (none in practice)
        out_names = [x.name for x in out_op._schema.arguments if not x.kwarg_only or x.alias_info is None]
        for i, sa in enumerate(schema_args):
            if str(sa.type) == "Tensor" and isinstance(vals[i], (int, float, bool)):
                vals[i] = self.number_tensor(vals[i], vals)
        named = dict(zip([x.name for x in schema_args], vals))
        ordered = [named[n] for n in out_names if n in named]
        return self.emit(_schema_name(out_op), ovl, ordered, node)

    # ---- the LLM operators (llm.py): the official llama:: calls, start_pos an Int from input_pos[0] ----
    def start_pos(self, pos):
        """input_pos[0] as an Int EValue: aten::select_copy.int_out + aten::_local_scalar_dense"""
        cache = self.__dict__.setdefault("_start_pos", {})
        if pos not in cache:
            p = self.p
            one = p.add(Value("tensor", dtype=DTYPE[pos.meta["tensor_meta"].dtype], shape=[], role="temp"))
            p.instrs.append(Instr("aten::select_copy", "int_out", [self.value_of(pos), p.add(Value("int", value=0)),
                                                                  p.add(Value("int", value=0)), one, one], [one]))
            s = p.add(Value("int", value=0, computed=True))
            p.instrs.append(Instr("aten::_local_scalar_dense", "", [one, s]))
            cache[pos] = s
        return cache[pos]

    def _need(self, full, node):
        if self.check_kernel and not self.check_kernel(full):
            raise LowerError("operator %s (from %s) has no kernel in the petite runtime" % (full, node.format_node()))

    def lower_kv_update(self, node, a):
        """petite_llm::kv_update(value, cache, pos) -> the new cache: llama::update_cache.out writes the
        cache buffer in place (its out a [1] placeholder, as the official meta kernel's), and the
        node's value is the buffer itself, so the state's write-back copies nothing"""
        value, cache, pos = a
        self._need("llama::update_cache.out", node)
        cv = self.value_of(cache)
        if self.p.values[cv].role != "mutable":
            raise LowerError("petite_llm::kv_update writes %s, which is not a buffer the model keeps" % cache.name)
        later = [u for u in cache.users if u is not node and self._after(u, node)]
        if later:
            raise LowerError("the cache %s is read again after petite_llm::kv_update wrote it (%s)"
                             % (cache.name, later[0].format_node()))
        dummy = self.p.add(Value("tensor", dtype=DTYPE[value.meta["tensor_meta"].dtype], shape=[1], role="temp"))
        sp = self.start_pos(pos)
        self.p.instrs.append(Instr("llama::update_cache", "out", [self.value_of(value), cv, sp, dummy, dummy], [dummy, cv]))
        self.env[node] = cv

    def lower_sdpa(self, node, a):
        """petite_llm::sdpa(q, k_cache, v_cache, pos) -> llama::custom_sdpa.out(q, k, v, start_pos,
        attn_mask=None, drpout_p=0.0, is_causal=True, scale=None)"""
        q, k, v, pos = a
        self._need("llama::custom_sdpa.out", node)
        meta = node.meta["tensor_meta"]
        dyn = bool(node.meta.get("dynamic"))
        ddims = node.meta.get("dynamic_dims") or []
        out = self.tensor_value(meta, "temp", dynamic=dyn, dyn_dims=ddims[0] if ddims else [])
        self.p.value_node[out] = (node.name, None)
        p = self.p
        args = [self.value_of(q), self.value_of(k), self.value_of(v), self.start_pos(pos), p.add(Value("none")),
                p.add(Value("double", value=0.0)), p.add(Value("bool", value=True)), p.add(Value("none")), out, out]
        p.instrs.append(Instr("llama::custom_sdpa", "out", args, [out]))
        self.env[node] = out

    def run(self):
        gm = self.gm
        nodes = list(gm.graph.nodes)
        # constants first, in the order they are used, then user inputs
        self.consts = {}
        for node in nodes:
            if node.op == "get_attr":
                self.consts[node] = getattr(gm, node.target)
        state = getattr(gm, "state", None) or []
        places = [n for n in nodes if n.op == "placeholder"]
        for k, node in enumerate(places):
            meta = node.meta.get("tensor_meta")
            if meta is None:
                raise LowerError("input %s is not a tensor" % node.name)
            if k < len(state):  # a buffer forward updates: planned, its initial value in the mutable segment
                name, init = state[k]
                init = init.detach().contiguous()
                if init.dtype not in DTYPE:
                    raise LowerError("buffer %s has dtype %s" % (name, init.dtype))
                self.env[node] = self.p.add(Value("tensor", dtype=DTYPE[init.dtype], shape=list(init.shape),
                                                  role="mutable", data=init.numpy().tobytes(), name=name))
                continue
            ui = k - len(state)  # user input index
            dyn_dims = [d for i, d in (getattr(gm, "dyn_where", None) or []) if i == ui]
            self.env[node] = self.tensor_value(meta, "input", dynamic=bool(dyn_dims), dyn_dims=dyn_dims)
            self.p.value_node[self.env[node]] = (node.name, None)
            self.p.inputs.append(self.env[node])
            if dyn_dims and self.sym_src is None:
                self.sym_src = (self.env[node], dyn_dims[0])
        for node in nodes:
            if node.op == "call_function":
                if self.try_fold(node):
                    continue
                if node.target is operator.getitem:
                    src = self.value_of(node.args[0])
                    if not isinstance(src, list):
                        raise LowerError("getitem on a single value")
                    self.env[node] = src[node.args[1]]
                    continue
                if not isinstance(node.target, torch._ops.OpOverload):
                    raise LowerError("call to %s is not an ATen operator" % node.target)
                try:
                    self.lower_call(node)
                except LowerError:
                    raise
                except Exception as e:
                    raise LowerError("could not lower %s: %s" % (node.format_node(), e))
            elif node.op == "output":
                outs = node.args[0]
                outs = list(outs) if isinstance(outs, (list, tuple)) else [outs]
                n_user = len(outs) - len(state)
                for o in outs:
                    if not isinstance(o, torch.fx.Node):
                        raise LowerError("output %r is not a tensor" % (o,))
                for o in outs[:n_user]:
                    self.p.outputs.append(self.value_of(o))
                # the state's write-back, as the official exporter emits it: copy_(self=buffer, src,
                # non_blocking, returned=buffer); after every instruction that reads the old value
                for place, o in zip(places[:len(state)], outs[n_user:]):
                    buf, src = self.env[place], self.value_of(o)
                    if src != buf:
                        nb = self.p.add(Value("bool", value=False))
                        self.p.instrs.append(Instr("aten::copy_", "", [buf, src, nb, buf], [buf]))
        return self.p


def lower(gm, check_kernel=None):
    return Lowerer(gm, check_kernel).run()
