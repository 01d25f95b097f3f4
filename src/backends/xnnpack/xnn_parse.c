/* xnn_parse.c — the XNNPACK delegate blob: XH00 header, XNNGraph flatbuffer, constant data
 * (inline in the blob, or named data of the program / an attached .ptd), into an xnn_graph.
 * Every id, size, offset and count is checked; an unsupported node is a load error naming it. */
#include <stdlib.h>
#include <string.h>

#include "backends/xnnpack/xnn.h"
#include "core/mem.h"
#include "core/arena.h"
#include "core/dtype.h"
#include "format/fb.h"

enum { G_VERSION, G_XNODES, G_XVALUES, G_NUM_EXTERNS, G_INPUT_IDS, G_OUTPUT_IDS, G_CONSTANT_BUFFER,
       G_MEM_BUFFER_SIZES, G_CONSTANT_DATA };
enum { TV_DATATYPE, TV_NUM_DIMS, TV_DIMS, TV_CONSTANT_BUFFER_IDX, TV_EXTERNAL_ID, TV_FLAGS, TV_ID_OUT };
enum { XV_TENSOR = 1, XV_QUANTIZED = 2 };
enum { QP_PER_CHANNEL = 1, QP_PER_TENSOR, QP_PER_TOKEN, QP_PER_CHANNEL_GROUP };

/* the node table's field layouts (xnodes.def's fields column) */
enum { F_N2X1 = 1, F_FC, F_N1X1, F_TRANSPOSE, F_CONV, F_RESIZE, F_PAD, F_POOL, F_RESHAPE, F_N1X1_PARAM, F_CAT,
       F_SLICE, F_SDPA };

static const struct {
    const char *name;
    uint8_t fields, family;
    int arg;
} node_types[XN_COUNT] = {
    [XN_NONE] = {"none", 0, XF_NONE, 0},
#define XN(id, name, fields, family, arg) [id] = {#name, F_##fields, XF_##family, arg},
#include "backends/xnnpack/xnodes.def"
#undef XN
};

static const struct {
    const char *name;
    uint8_t bits, bytes;
} dtypes[XDT_COUNT] = {
#define XDT(id, name, bits, bytes) [id] = {#name, bits, bytes},
#include "backends/xnnpack/xdatatypes.def"
#undef XDT
};

const char *xnn_node_name(int type) { return type > 0 && type < XN_COUNT ? node_types[type].name : "unknown"; }
int xnn_node_family(int type) { return type > 0 && type < XN_COUNT ? node_types[type].family : XF_NONE; }
int xnn_node_arg(int type) { return type > 0 && type < XN_COUNT ? node_types[type].arg : 0; }
size_t xnn_dtype_bits(int32_t dt) { return dt > 0 && dt < XDT_COUNT ? dtypes[dt].bits : 0; }
size_t xnn_dtype_bytes(int32_t dt) { return dt > 0 && dt < XDT_COUNT ? dtypes[dt].bytes : 0; }

static petite_status constant_data(const pt_backend_init *in, const fb_buf *b, const fb_table *root,
                                   bool has_header, const uint8_t *cbase, uint64_t csize, uint32_t idx,
                                   const void **ptr, uint64_t *size, pt_err *e) {
    petite_status s;
    if (!has_header) { /* XN00: constants inline in the flatbuffer */
        fb_vec bufs, storage;
        fb_table buf;
        if ((s = fb_vec_field(b, root, G_CONSTANT_BUFFER, 4, &bufs, e, "XNNGraph.constant_buffer")) ||
            (s = fb_vec_table(b, &bufs, idx, &buf, e, "XNNGraph.constant_buffer")) ||
            (s = fb_vec_field(b, &buf, 0, 1, &storage, e, "Buffer.storage")))
            return s;
        *ptr = b->p + storage.pos;
        *size = storage.len;
        return PETITE_OK;
    }
    fb_vec cd;
    fb_table entry;
    uint64_t off, sz;
    const char *key;
    uint32_t klen;
    if ((s = fb_vec_field(b, root, G_CONSTANT_DATA, 4, &cd, e, "XNNGraph.constant_data")) ||
        (s = fb_vec_table(b, &cd, idx, &entry, e, "XNNGraph.constant_data")) ||
        (s = fb_u64(b, &entry, 0, 0, &off, e, "ConstantDataOffset.offset")) ||
        (s = fb_u64(b, &entry, 1, 0, &sz, e, "ConstantDataOffset.size")) ||
        (s = fb_string_field(b, &entry, 2, &key, &klen, e, "ConstantDataOffset.named_key")))
        return s;
    if (key && klen) {
        const uint8_t *p;
        s = in->named.get(in->named.owner, key, klen, &p, size, e);
        if (s != PETITE_OK) return pt_prefix(e, "constant %u", idx);
        *ptr = p;
        return PETITE_OK;
    }
    if (off > csize || sz > csize - off)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM,
                       "constant %u: %llu bytes at %llu overrun the %llu-byte constant region", idx,
                       (unsigned long long)sz, (unsigned long long)off, (unsigned long long)csize);
    *ptr = cbase + off;
    *size = sz;
    return PETITE_OK;
}

static petite_status parse_value(const pt_backend_init *in, const fb_buf *b, const fb_table *root, bool has_header,
                                 const uint8_t *cbase, uint64_t csize, const fb_table *xv, xnn_value *v,
                                 uint32_t *id_out, pt_err *e) {
    uint8_t kind;
    fb_table u, tv, qp;
    petite_status s;
    if ((s = fb_union_field(b, xv, 0, &kind, &u, e, "XValue.xvalue_union"))) return s;
    uint8_t qkind = 0;
    if (kind == XV_TENSOR) {
        tv = u;
    } else if (kind == XV_QUANTIZED) {
        if ((s = fb_table_field(b, &u, 0, &tv, e, "XNNQuantizedTensorValue.tensor_value")) ||
            (s = fb_union_field(b, &u, 1, &qkind, &qp, e, "XNNQuantizedTensorValue.quant_params")))
            return s;
        if (!tv.pos) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "quantized value without tensor_value");
    } else {
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "XValue type %u is unknown", (unsigned)kind);
    }
    uint16_t dt;
    uint32_t ndims, cidx;
    fb_vec dims;
    if ((s = fb_u16(b, &tv, TV_DATATYPE, 0, &dt, e, "XNNTensorValue.datatype")) ||
        (s = fb_u32(b, &tv, TV_NUM_DIMS, 0, &ndims, e, "XNNTensorValue.num_dims")) ||
        (s = fb_vec_field(b, &tv, TV_DIMS, 4, &dims, e, "XNNTensorValue.dims")) ||
        (s = fb_u32(b, &tv, TV_CONSTANT_BUFFER_IDX, 0, &cidx, e, "XNNTensorValue.constant_buffer_idx")) ||
        (s = fb_u32(b, &tv, TV_EXTERNAL_ID, 0, &v->external_id, e, "XNNTensorValue.external_id")) ||
        (s = fb_u32(b, &tv, TV_FLAGS, 0, &v->flags, e, "XNNTensorValue.flags")) ||
        (s = fb_u32(b, &tv, TV_ID_OUT, 0, id_out, e, "XNNTensorValue.id_out")))
        return s;
    v->dtype = (int16_t)dt;
    if (!xnn_dtype_bits(v->dtype))
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "XNNTensorValue.datatype %u is not supported", (unsigned)dt);
    if (ndims > XNN_MAX_DIMS || dims.len != ndims)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "XNNTensorValue: %u dims (vector of %u, max %d)", ndims,
                       dims.len, XNN_MAX_DIMS);
    if (v->flags & ~3u) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "XNNTensorValue.flags %#x", v->flags);
    if (v->flags == 0) v->external_id = XNN_INVALID_ID; /* only flagged values are external */
    v->ndims = ndims;
    uint64_t numel = 1;
    for (uint32_t d = 0; d < ndims; d++) {
        v->dims[d] = v->cur[d] = fb_vec_u32(b, &dims, d);
        numel *= v->dims[d];
        if (numel > (1ull << 40)) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "XNNTensorValue: dims too large");
    }
    /* quantization parameters */
    if (kind == XV_QUANTIZED) {
        switch (qkind) {
        case QP_PER_TENSOR:
            v->qkind = XQ_PER_TENSOR;
            if ((s = fb_f32(b, &qp, 0, 0, &v->scale, e, "PerTensorQuant.scale")) ||
                (s = fb_i32(b, &qp, 1, 0, &v->zero_point, e, "PerTensorQuant.zero_point")))
                return s;
            break;
        case QP_PER_CHANNEL:
        case QP_PER_CHANNEL_GROUP: {
            fb_vec sc;
            uint32_t sbuf = 0, nsc = 0;
            v->qkind = qkind == QP_PER_CHANNEL ? XQ_PER_CHANNEL : XQ_PER_CHANNEL_GROUP;
            if ((s = fb_vec_field(b, &qp, 0, 4, &sc, e, "PerChannelQuant.scale")) ||
                (s = fb_i32(b, &qp, 1, 0, &v->channel_dim, e, "PerChannelQuant.channel_dim")))
                return s;
            if (qkind == QP_PER_CHANNEL) {
                if ((s = fb_u32(b, &qp, 2, 0, &sbuf, e, "PerChannelQuant.scale_buffer_idx")) ||
                    (s = fb_u32(b, &qp, 3, 0, &nsc, e, "PerChannelQuant.num_scales")))
                    return s;
            } else {
                if ((s = fb_i32(b, &qp, 2, 0, &v->group_size, e, "PerChannelGroupQuant.group_size")) ||
                    (s = fb_u32(b, &qp, 4, 0, &sbuf, e, "PerChannelGroupQuant.scale_buffer_idx")) ||
                    (s = fb_u32(b, &qp, 5, 0, &nsc, e, "PerChannelGroupQuant.num_scales")))
                    return s;
            }
            /* scales inline (copied: flatbuffer floats need not be aligned), or in constant data */
            if (sc.len) {
                v->num_scales = sc.len;
                v->owned_scales = pt_malloc(sc.len * sizeof(float));
                if (!v->owned_scales) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
                for (uint32_t k = 0; k < sc.len; k++) v->owned_scales[k] = fb_vec_f32(b, &sc, k);
            } else if (sbuf) {
                const void *p;
                uint64_t size;
                if ((s = constant_data(in, b, root, has_header, cbase, csize, sbuf, &p, &size, e))) return s;
                bool bf16 = v->qkind == XQ_PER_CHANNEL_GROUP;
                if (nsc == 0 || size < (uint64_t)nsc * (bf16 ? 2 : 4))
                    return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "scale buffer holds %llu bytes for %u scales",
                                   (unsigned long long)size, nsc);
                v->num_scales = nsc;
                v->owned_scales = pt_malloc(nsc * sizeof(float));
                if (!v->owned_scales) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
                for (uint32_t k = 0; k < nsc; k++) {
                    if (bf16) {
                        uint16_t h;
                        memcpy(&h, (const uint8_t *)p + 2 * k, 2);
                        v->owned_scales[k] = pt_bf16_to_float(h);
                    } else {
                        memcpy(&v->owned_scales[k], (const uint8_t *)p + 4 * k, 4);
                    }
                }
            }
            v->scales = v->owned_scales;
            if (v->qkind == XQ_PER_CHANNEL_GROUP && sc.len) {
                /* XNNPACK keeps blockwise scales as bf16; inline fp32 ones are made bf16 as ExecuTorch's
                 * XNNCompiler does (convertF32TensorToBF16): the bits of f * 1.00389105f, truncated (a
                 * scale buffer already holds bf16) */
                for (uint32_t k = 0; k < v->num_scales; k++) {
                    float f = v->owned_scales[k] * 1.00389105f;
                    uint32_t bits;
                    memcpy(&bits, &f, 4);
                    v->owned_scales[k] = pt_bf16_to_float((uint16_t)(bits >> 16));
                }
            }
            if (v->qkind == XQ_PER_CHANNEL_GROUP) {
                if (ndims != 2 || v->group_size <= 0 || v->dims[1] % (uint32_t)v->group_size ||
                    (uint64_t)v->num_scales != (uint64_t)v->dims[0] * (v->dims[1] / (uint32_t)v->group_size))
                    return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "blockwise quantization: %u scales for [%u, %u] in groups of %d",
                                   v->num_scales, ndims ? v->dims[0] : 0, ndims > 1 ? v->dims[1] : 0, v->group_size);
            }
            if (v->channel_dim < 0 || (ndims && (uint32_t)v->channel_dim >= ndims))
                return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "channel_dim %d for %u dims", v->channel_dim, ndims);
            if (v->qkind == XQ_PER_CHANNEL && ndims && v->num_scales != v->dims[v->channel_dim])
                return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%u scales for %u channels", v->num_scales,
                               v->dims[v->channel_dim]);
            break;
        }
        case QP_PER_TOKEN:
            v->qkind = XQ_PER_TOKEN;
            if ((s = fb_i32(b, &qp, 0, 0, &v->num_nonbatch_dims, e, "PerTokenDynamicQuant.num_nonbatch_dims")))
                return s;
            break;
        default:
            return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "quantization parameters of type %u", (unsigned)qkind);
        }
    }
    if (cidx) {
        uint64_t size;
        if ((s = constant_data(in, b, root, has_header, cbase, csize, cidx, &v->constant, &size, e))) return s;
        uint64_t need = (numel * xnn_dtype_bits(v->dtype) + 7) / 8;
        if (xnn_dtype_bits(v->dtype) == 4 && ndims == 2) need = (uint64_t)v->dims[0] * ((v->dims[1] + 1) / 2);
        if (size < need)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "constant %u holds %llu bytes, the value needs %llu", cidx,
                           (unsigned long long)size, (unsigned long long)need);
        if ((uintptr_t)v->constant % (xnn_dtype_bits(v->dtype) >= 32 ? 4 : 1))
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "constant %u is not aligned", cidx);
        v->data = (void *)v->constant;
        v->const_bytes = need;
    }
    /* fp16 / bf16: petite computes in fp32; constants are widened once, here */
    if ((v->dtype == XDT_FP16 || v->dtype == XDT_BF16) && kind == XV_TENSOR) {
        v->narrow = v->dtype;
        v->dtype = XDT_FP32;
        if (v->constant) {
            v->wide = pt_malloc((size_t)(numel ? numel : 1) * sizeof(float));
            if (!v->wide) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
            for (uint64_t k = 0; k < numel; k++) {
                uint16_t h;
                memcpy(&h, (const uint8_t *)v->constant + 2 * k, 2);
                v->wide[k] = v->narrow == XDT_FP16 ? pt_half_to_float(h) : pt_bf16_to_float(h);
            }
            v->constant = v->data = v->wide;
        }
    }
    return PETITE_OK;
}

/* ---- nodes ---- */

static petite_status u32s(const fb_buf *b, const fb_table *t, const unsigned *ids, uint32_t *out, unsigned n,
                          pt_err *e, const char *what) {
    for (unsigned i = 0; i < n; i++) {
        petite_status s = fb_u32(b, t, ids[i], 0, &out[i], e, what);
        if (s) return s;
    }
    return PETITE_OK;
}

static petite_status id_list(const fb_buf *b, const fb_table *t, unsigned field, const uint32_t **out, uint32_t *n,
                             pt_err *e, const char *what) {
    fb_vec v;
    petite_status s = fb_vec_field(b, t, field, 4, &v, e, what);
    if (s) return s;
    if (v.len > XNN_MAX_DIMS) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "%s has %u entries", what, v.len);
    uint32_t *copy = pt_calloc(v.len ? v.len : 1, sizeof *copy);
    if (!copy) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    for (uint32_t i = 0; i < v.len; i++) copy[i] = fb_vec_u32(b, &v, i);
    *out = copy;
    *n = v.len;
    return PETITE_OK;
}

static petite_status parse_node(const fb_buf *b, const fb_table *xn, xnn_node *n, pt_err *e) {
    uint8_t type;
    fb_table t, mm;
    petite_status s;
    if ((s = fb_union_field(b, xn, 0, &type, &t, e, "XNode.xnode_union")) ||
        (s = fb_table_field(b, xn, 3, &mm, e, "XNode.output_min_max")))
        return s;
    n->type = type;
    n->out_min = -__builtin_inff();
    n->out_max = __builtin_inff();
    if (mm.pos &&
        ((s = fb_f32(b, &mm, 0, 0, &n->out_min, e, "OutputMinMax.output_min")) ||
         (s = fb_f32(b, &mm, 1, 0, &n->out_max, e, "OutputMinMax.output_max"))))
        return s;
    if (type == 0 || type >= XN_COUNT)
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "XNode type %u is unknown to petite", (unsigned)type);
    if (xnn_node_family(type) == XF_NONE)
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "XNNPACK node %s is not supported by petite yet",
                       xnn_node_name(type));
    static const unsigned f0[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19};
    switch (node_types[type].fields) {
    case F_N2X1: {
        uint32_t v[4];
        if ((s = u32s(b, &t, f0, v, 4, e, "_XNNNode2x1"))) return s;
        n->in[0] = v[0], n->in[1] = v[1], n->nin = 2, n->out = v[2], n->flags = v[3];
        return PETITE_OK;
    }
    case F_FC: {
        uint32_t v[5];
        if ((s = u32s(b, &t, f0, v, 5, e, "XNNFullyConnected"))) return s;
        n->in[0] = v[0], n->in[1] = v[1], n->in[2] = v[2], n->nin = 3, n->out = v[3], n->flags = v[4];
        return PETITE_OK;
    }
    case F_CONV: {
        uint32_t v[20];
        if ((s = u32s(b, &t, f0, v, 20, e, "_XNNNodeConv"))) return s;
        memcpy(n->p, v, 15 * sizeof *v);
        n->np = 15;
        n->in[0] = v[15], n->in[1] = v[16], n->in[2] = v[17], n->nin = 3, n->out = v[18], n->flags = v[19];
        return PETITE_OK;
    }
    case F_POOL: {
        uint32_t v[13];
        if ((s = u32s(b, &t, f0, v, 13, e, "_XNNPooling2D"))) return s;
        memcpy(n->p, v, 10 * sizeof *v);
        n->np = 10;
        n->in[0] = v[10], n->nin = 1, n->out = v[11], n->flags = v[12];
        return PETITE_OK;
    }
    case F_TRANSPOSE: case F_RESHAPE: {
        uint32_t v[5];
        static const unsigned ids[] = {0, 2, 3, 4};
        if ((s = u32s(b, &t, ids, v, 4, e, "XNNStatic")) ||
            (s = id_list(b, &t, 1, &n->list1, &n->nlist, e, type == XN_StaticTranspose ? "perm" : "new_shape")))
            return s;
        n->in[0] = v[1], n->nin = 1, n->out = v[2], n->flags = v[3];
        return PETITE_OK;
    }
    case F_SLICE: {
        uint32_t v[4], n2;
        static const unsigned ids[] = {0, 3, 4, 5};
        if ((s = u32s(b, &t, ids, v, 4, e, "XNNStaticSlice")) ||
            (s = id_list(b, &t, 1, &n->list1, &n->nlist, e, "offsets")) ||
            (s = id_list(b, &t, 2, &n->list2, &n2, e, "sizes")))
            return s;
        if (n2 != n->nlist) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "slice offsets and sizes differ in length");
        n->in[0] = v[1], n->nin = 1, n->out = v[2], n->flags = v[3];
        return PETITE_OK;
    }
    case F_PAD: {
        uint32_t v[3], n2;
        static const unsigned ids[] = {3, 4, 5};
        if ((s = u32s(b, &t, ids, v, 3, e, "XNNStaticConstantPad")) ||
            (s = fb_f32(b, &t, 2, 0, &n->fparam, e, "padding_value")) ||
            (s = id_list(b, &t, 0, &n->list1, &n->nlist, e, "pre_paddings")) ||
            (s = id_list(b, &t, 1, &n->list2, &n2, e, "post_paddings")))
            return s;
        if (n2 != n->nlist) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "pre and post paddings differ in length");
        n->in[0] = v[0], n->nin = 1, n->out = v[1], n->flags = v[2];
        return PETITE_OK;
    }
    case F_CAT: {
        uint32_t v[8];
        if ((s = u32s(b, &t, f0, v, 8, e, "_XNNCat"))) return s;
        n->p[0] = v[0];
        n->nin = (uint32_t)xnn_node_arg(type);
        n->in[0] = v[1], n->in[1] = v[2], n->in[2] = v[3], n->in[3] = v[4], n->in[4] = v[7];
        n->out = v[5], n->flags = v[6];
        return PETITE_OK;
    }
    case F_N1X1_PARAM: {
        uint32_t v[3];
        static const unsigned ids[] = {1, 2, 3};
        if ((s = fb_f32(b, &t, 0, 0, &n->fparam, e, "slope/alpha")) || (s = u32s(b, &t, ids, v, 3, e, "node")))
            return s;
        n->in[0] = v[0], n->nin = 1, n->out = v[1], n->flags = v[2];
        return PETITE_OK;
    }
    case F_RESIZE: {
        uint32_t v[5];
        if ((s = u32s(b, &t, f0, v, 5, e, "XNNStaticResizeBilinear2D"))) return s;
        n->p[0] = v[0], n->p[1] = v[1], n->in[0] = v[2], n->nin = 1, n->out = v[3], n->flags = v[4];
        return PETITE_OK;
    }
    default: { /* _XNNNode1x1 */
        uint32_t v[3];
        if ((s = u32s(b, &t, f0, v, 3, e, "_XNNNode1x1"))) return s;
        n->in[0] = v[0], n->nin = 1, n->out = v[1], n->flags = v[2];
        return PETITE_OK;
    }
    }
}

/* the fields parse_node stored in n->p, by name (F_CONV: the first 15 of _XNNNodeConv; F_POOL: the
 * first 10 of _XNNPooling2D; F_CAT: the axis) */
xnn_conv_params xnn_conv_geometry(const xnn_node *n) {
    const uint32_t *p = n->p;
    xnn_conv_params c = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13], p[14]};
    return c;
}

xnn_pool_params xnn_pool_geometry(const xnn_node *n) {
    const uint32_t *p = n->p;
    xnn_pool_params q = {p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]};
    return q;
}

uint32_t xnn_concat_axis(const xnn_node *n) { return n->p[0]; }

void xnn_free(xnn_graph *g) {
    if (!g) return;
    for (uint32_t i = 0; i < g->nvalues; i++) {
        pt_free(g->values[i].owned_scales);
        pt_free(g->values[i].wide);
        pt_aligned_free(g->values[i].own);
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
        pt_free((void *)g->nodes[i].list1);
        pt_free((void *)g->nodes[i].list2);
        pt_free(g->nodes[i].rq_scales);
        pt_aligned_free(g->nodes[i].owned_packed);
    }
    pt_free(g->values);
    pt_free(g->nodes);
    pt_free(g->extern_value);
    pt_free(g); /* g->arena is the method's work area, not ours */
}

petite_status xnn_parse(const pt_backend_init *in, xnn_graph **out, pt_err *e) {
    *out = NULL;
    const uint8_t *blob = in->blob;
    uint64_t size = in->size;
    bool has_header = size >= 30 && memcmp(blob + 4, "XH00", 4) == 0;
    fb_buf b = {blob, (size_t)size};
    const uint8_t *cbase = NULL;
    uint64_t csize = 0;
    if (has_header) {
        uint16_t hlen = fb_rd_u16(blob + 8);
        uint32_t fo = fb_rd_u32(blob + 10), fs = fb_rd_u32(blob + 14), co = fb_rd_u32(blob + 18);
        uint64_t cs = fb_rd_u64(blob + 22);
        if (hlen < 30 || fs < 8 || fo > size || fs > size - fo || co < (uint64_t)fo + fs || co > size || cs > size - co)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "XH00 header: regions do not fit the %llu-byte blob",
                           (unsigned long long)size);
        b.p = blob + fo;
        b.n = fs;
        cbase = blob + co;
        csize = cs;
    }
    if (b.n < 8 || (memcmp(b.p + 4, "XN01", 4) != 0 && memcmp(b.p + 4, "XN00", 4) != 0))
        return pt_fail(e, PETITE_ERR_DELEGATE_INVALID_COMPATIBILITY,
                       "XNNPACK blob identifier is not XN00 or XN01");
    fb_table root;
    fb_vec xvalues, xnodes, inputs, outputs;
    uint32_t num_externs;
    petite_status s;
    if ((s = fb_root(&b, &root, e, "XNNGraph")) ||
        (s = fb_vec_field(&b, &root, G_XVALUES, 4, &xvalues, e, "XNNGraph.xvalues")) ||
        (s = fb_vec_field(&b, &root, G_XNODES, 4, &xnodes, e, "XNNGraph.xnodes")) ||
        (s = fb_vec_field(&b, &root, G_INPUT_IDS, 4, &inputs, e, "XNNGraph.input_ids")) ||
        (s = fb_vec_field(&b, &root, G_OUTPUT_IDS, 4, &outputs, e, "XNNGraph.output_ids")) ||
        (s = fb_u32(&b, &root, G_NUM_EXTERNS, 0, &num_externs, e, "XNNGraph.num_externs")))
        return s;
    if (num_externs > 4096) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "num_externs %u > 4096", num_externs);
    xnn_graph *g = pt_calloc(1, sizeof *g);
    if (!g) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    g->num_externs = num_externs;
    g->values = pt_calloc(xvalues.len ? xvalues.len : 1, sizeof *g->values);
    g->nodes = pt_calloc(xnodes.len ? xnodes.len : 1, sizeof *g->nodes);
    g->extern_value = pt_malloc((num_externs ? num_externs : 1) * sizeof *g->extern_value);
    uint32_t *ids = pt_calloc(xvalues.len ? xvalues.len : 1, sizeof *ids);
    if (!g->values || !g->nodes || !g->extern_value || !ids) {
        pt_free(ids);
        xnn_free(g); /* (counts still 0: xnn_free walks only what exists) */
        return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    }
    g->nvalues = xvalues.len;
    g->nnodes = xnodes.len;
    for (uint32_t i = 0; i < num_externs; i++) g->extern_value[i] = XNN_INVALID_ID;
    /* values; node ids refer to id_out, which must name each value once */
    for (uint32_t i = 0; i < xvalues.len && !s; i++) {
        fb_table xv;
        if ((s = fb_vec_table(&b, &xvalues, i, &xv, e, "XNNGraph.xvalues")) ||
            (s = parse_value(in, &b, &root, has_header, cbase, csize, &xv, &g->values[i], &ids[i], e))) {
            pt_prefix(e, "xvalues[%u]", i);
            break;
        }
        if (ids[i] != i)
            s = pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "xvalues[%u] has id_out %u (petite expects ids in order)", i, ids[i]);
        uint32_t x = g->values[i].external_id;
        if (!s && x != XNN_INVALID_ID) {
            if (x >= num_externs || g->extern_value[x] != XNN_INVALID_ID)
                s = pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "xvalues[%u]: external id %u invalid or repeated", i, x);
            else
                g->extern_value[x] = i;
        }
    }
    pt_free(ids);
    for (uint32_t i = 0; i < xnodes.len && !s; i++) {
        fb_table xn;
        xnn_node *n = &g->nodes[i];
        if ((s = fb_vec_table(&b, &xnodes, i, &xn, e, "XNNGraph.xnodes")) || (s = parse_node(&b, &xn, n, e))) {
            pt_prefix(e, "xnodes[%u]", i);
            break;
        }
        bool ok = n->out < g->nvalues && !g->values[n->out].constant;
        for (uint32_t k = 0; k < n->nin; k++) {
            bool optional = (node_types[n->type].fields == F_FC || node_types[n->type].fields == F_CONV) && k == 2;
            if (optional && n->in[k] == XNN_INVALID_ID) continue;
            ok = ok && n->in[k] < g->nvalues;
        }
        if (!ok) s = pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "xnodes[%u] (%s) refers to a missing value", i,
                             xnn_node_name(n->type));
    }
    for (uint32_t i = 0; i < num_externs && !s; i++)
        if (g->extern_value[i] == XNN_INVALID_ID)
            s = pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "external id %u has no value", i);
    if (s) {
        xnn_free(g);
        return s;
    }
    (void)inputs;
    (void)outputs;
    *out = g;
    return PETITE_OK;
}
