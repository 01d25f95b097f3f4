"""Write an EdgeProgram as a `.pte`: the flatbuffer Program (schema/program.fbs of ExecuTorch,
file identifier "ET12") built with the flatbuffers Python library, the extended header "eh00"
(length 32), a constant segment (constants padded to 16 bytes, segment base aligned to 128) and,
for state a method updates, a mutable segment (initial values, unpadded) as the official writer
lays them out: segments in the order constants, mutable data, delegate blobs, named data."""
import struct
import types

import flatbuffers

SEGMENT_ALIGN = 128
TENSOR_ALIGN = 16

KT = {"none": 1, "int": 2, "bool": 3, "double": 4, "tensor": 5, "string": 6, "int_list": 7,
      "double_list": 8, "bool_list": 9, "tensor_list": 10, "optional_tensor_list": 11}


def _pad(n, a):
    return (n + a - 1) // a * a


class _FB:
    def __init__(self):
        self.b = flatbuffers.Builder(1 << 16)

    def vec(self, fmt, items):
        size = struct.calcsize("<" + fmt)
        b = self.b
        b.StartVector(size, len(items), size)
        prep = {"i": b.PrependInt32, "I": b.PrependUint32, "q": b.PrependInt64, "Q": b.PrependUint64,
                "B": b.PrependUint8, "d": b.PrependFloat64, "f": b.PrependFloat32, "?": b.PrependBool}[fmt]
        for x in reversed(items):
            prep(x)
        return b.EndVector()

    def offsets(self, offs):
        b = self.b
        b.StartVector(4, len(offs), 4)
        for o in reversed(offs):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    def table(self, fields):
        """fields: [(slot, type, value)], type in u8 i8 bool u32 i32 i64 u64 f64 off."""
        b = self.b
        b.StartObject(1 + max((f[0] for f in fields), default=-1))
        for slot, typ, val in fields:
            if val is None:
                continue
            if typ == "off":
                b.PrependUOffsetTRelativeSlot(slot, val, 0)
            else:
                getattr(b, {"u8": "PrependUint8Slot", "i8": "PrependInt8Slot", "bool": "PrependBoolSlot",
                            "u16": "PrependUint16Slot", "i16": "PrependInt16Slot", "f32": "PrependFloat32Slot",
                            "u32": "PrependUint32Slot", "i32": "PrependInt32Slot", "i64": "PrependInt64Slot",
                            "u64": "PrependUint64Slot", "f64": "PrependFloat64Slot"}[typ])(slot, val, 0)
        return b.EndObject()


def _value(fb, v, const_index):
    if v.kind == "none" or v.role == "dead":  # dead: only a delegate used it
        return fb.table([(0, "u8", KT["none"]), (1, "off", fb.table([]))])
    if v.kind == "none":
        val = fb.table([])
    elif v.kind == "int":
        val = fb.table([(0, "i64", v.value)])
    elif v.kind == "bool":
        val = fb.table([(0, "bool", bool(v.value))])
    elif v.kind == "double":
        val = fb.table([(0, "f64", v.value)])
    elif v.kind == "string":
        val = fb.table([(0, "off", fb.b.CreateString(v.value))])
    elif v.kind == "int_list":
        val = fb.table([(0, "off", fb.vec("q", v.value))])
    elif v.kind == "double_list":
        val = fb.table([(0, "off", fb.vec("d", v.value))])
    elif v.kind == "bool_list":
        val = fb.table([(0, "off", fb.vec("?", v.value))])
    elif v.kind in ("tensor_list", "optional_tensor_list"):
        val = fb.table([(0, "off", fb.vec("i", v.value))])
    elif v.kind == "tensor":
        sizes = fb.vec("i", v.shape)
        dim_order = fb.vec("B", list(range(len(v.shape))))
        alloc = None
        if v.role != "const":
            alloc = fb.table([(0, "u32", 1), (1, "u32", v.offset & 0xffffffff), (2, "u32", v.offset >> 32)])
        val = fb.table([
            (0, "i8", v.dtype), (2, "off", sizes), (3, "off", dim_order),
            (5, "u32", const_index.get(v.index, 0)), (6, "off", alloc),
            (8, "u8", 1 if getattr(v, "dynamic", False) else None),  # TensorShapeDynamism DYNAMIC_BOUND
        ])
    else:
        raise ValueError(v.kind)
    return fb.table([(0, "u8", KT[v.kind]), (1, "off", val)])


_LEAF = '{"type": null, "context": null, "children_spec": []}'
_NO_INPUTS = ('[1, {"type": "builtins.tuple", "context": "null", "children_spec": [{"type": "builtins.tuple", '
              '"context": "null", "children_spec": []}, {"type": "builtins.dict", "context": "[]", "children_spec": []}]}]')


def _constant_method(fb, name, val):
    """A method with no inputs and no instructions whose outputs are constants, as the official
    emitter writes `constant_methods` (one Int / Bool / Double EValue per leaf; a list: several)."""
    leaves = list(val) if isinstance(val, (list, tuple)) else [val]
    vals = []
    for x in leaves:
        kind = "bool" if isinstance(x, bool) else "int" if isinstance(x, int) else "double"
        vals.append(_value(fb, types.SimpleNamespace(kind=kind, value=x, role=None), {}))
    out = ("[1, %s]" % _LEAF if not isinstance(val, (list, tuple)) else
           '[1, {"type": "builtins.list", "context": "null", "children_spec": [%s]}]' % ", ".join([_LEAF] * len(leaves)))
    chain = fb.table([(0, "off", fb.vec("i", [])), (1, "off", fb.vec("i", [])), (2, "off", fb.offsets([]))])
    return fb.table([
        (0, "off", fb.b.CreateString(name)),
        (1, "off", fb.table([(0, "off", fb.b.CreateString(_NO_INPUTS)), (1, "off", fb.b.CreateString(out))])),
        (2, "off", fb.offsets(vals)), (3, "off", fb.vec("i", [])), (4, "off", fb.vec("i", list(range(len(vals))))),
        (5, "off", fb.offsets([chain])), (6, "off", fb.offsets([])), (7, "off", fb.offsets([])),
        (8, "off", fb.vec("q", [0])),
    ])


def serialize(p, method_name="forward", arena=0, constant_methods=None):
    """EdgeProgram -> bytes of a .pte. constant_methods: {name: value or list of values} written
    after the method (int, bool, float leaves)."""
    fb = _FB()
    # constant segment: deduplicated by content, 16-byte aligned, index 0 reserved
    seg, offsets, const_index, seen = bytearray(), [0], {}, {}
    for v in p.values:
        if v.kind == "tensor" and v.role == "const" and v.data is not None:
            key = bytes(v.data)
            if key not in seen:
                seg.extend(b"\0" * (_pad(len(seg), TENSOR_ALIGN) - len(seg)))
                seen[key] = len(offsets)
                offsets.append(len(seg))
                seg.extend(key)
            const_index[v.index] = seen[key]
    # mutable segment: the state's initial values, unpadded, index 0 reserved
    mseg, moffsets = bytearray(), [0]
    for v in p.values:
        if v.kind == "tensor" and v.role == "mutable":
            const_index[v.index] = len(moffsets)
            moffsets.append(len(mseg))
            mseg.extend(v.data)
    has_mut = len(moffsets) > 1
    values = [_value(fb, v, const_index) for v in p.values]
    values_vec = fb.offsets(values)
    ops = []
    for name, ovl in p.operators():
        ops.append(fb.table([(0, "off", fb.b.CreateString(name)), (1, "off", fb.b.CreateString(ovl))]))
    ops_vec = fb.offsets(ops)
    op_index = {k: i for i, k in enumerate(p.operators())}
    instrs = []
    for ins in p.instrs:
        if ins.delegate is not None:  # DelegateCall
            call = fb.table([(0, "i32", ins.delegate), (1, "off", fb.vec("i", ins.args))])
            instrs.append(fb.table([(0, "u8", 2), (1, "off", call)]))
            continue
        call = fb.table([(0, "i32", op_index[(ins.op, ins.overload)]), (1, "off", fb.vec("i", ins.args))])
        instrs.append(fb.table([(0, "u8", 1), (1, "off", call)]))
    # segments: constants, then delegate blobs, then named data (each 128-aligned)
    seg_data = [bytes(seg)] + ([bytes(mseg)] if has_mut else []) + list(p.delegates) + list(p.named.values())
    first_blob = 2 if has_mut else 1
    delegates = []
    for i in range(len(p.delegates)):
        ref = fb.table([(0, "u8", 1), (1, "u32", first_blob + i)])  # SEGMENT, index
        delegates.append(fb.table([(0, "off", fb.b.CreateString("XnnpackBackend")), (1, "off", ref),
                                   (2, "off", fb.offsets([]))]))
    named = []
    for i, key in enumerate(p.named):
        named.append(fb.table([(0, "off", fb.b.CreateString(key)), (1, "u32", first_blob + len(p.delegates) + i)]))
    chain = fb.table([(0, "off", fb.vec("i", [])), (1, "off", fb.vec("i", [])), (2, "off", fb.offsets(instrs))])
    plan = fb.table([
        (0, "off", fb.b.CreateString(method_name)),
        (1, "off", fb.table([(0, "off", fb.b.CreateString("T1#%d(%s)" % (len(p.inputs), ",".join("$" * len(p.inputs))))),
                             (1, "off", fb.b.CreateString("$" if len(p.outputs) == 1 else
                                                          "T1#%d(%s)" % (len(p.outputs), ",".join("$" * len(p.outputs)))))])),
        (2, "off", values_vec), (3, "off", fb.vec("i", p.inputs)), (4, "off", fb.vec("i", p.outputs)),
        (5, "off", fb.offsets([chain])), (6, "off", ops_vec), (7, "off", fb.offsets(delegates)),
        (8, "off", fb.vec("q", [0, arena])),
    ])
    seg_offsets, at = [], 0
    for d in seg_data:
        at = _pad(at, SEGMENT_ALIGN)
        seg_offsets.append(at)
        at += len(d)
    segments = fb.offsets([fb.table([(0, "u64", o), (1, "u64", len(d))]) for o, d in zip(seg_offsets, seg_data)])
    const_seg = fb.table([(0, "u32", 0), (1, "off", fb.vec("Q", offsets))])
    mut_segs = fb.offsets([fb.table([(0, "u32", 1), (1, "off", fb.vec("Q", moffsets))])]) if has_mut else None
    plans = [plan] + [_constant_method(fb, k, v) for k, v in (constant_methods or {}).items()]
    root = fb.table([(0, "u32", 0), (1, "off", fb.offsets(plans)), (4, "off", segments), (5, "off", const_seg),
                     (6, "off", mut_segs), (7, "off", fb.offsets(named) if named else None)])
    fb.b.Finish(root, file_identifier=b"ET12")
    flat = bytes(fb.b.Output())
    if not any(seg_data):  # like the official writer: no segment data, no extended header
        return flat
    blob = bytearray()
    for o, d in zip(seg_offsets, seg_data):
        blob.extend(b"\0" * (o - len(blob)))
        blob.extend(d)
    seg = blob
    # extended header after the 8-byte prefix; 32 bytes keep 16-byte alignment
    hdr_len = 32
    program_size = len(flat) + hdr_len
    seg_base = _pad(program_size, SEGMENT_ALIGN)
    root_off = struct.unpack_from("<I", flat, 0)[0] + hdr_len
    header = b"eh00" + struct.pack("<IQQQ", hdr_len, program_size, seg_base, len(seg))
    out = struct.pack("<I", root_off) + flat[4:8] + header + flat[8:]
    out += b"\0" * (seg_base - len(out)) + bytes(seg)
    return out
