/* xnn_run.c — the XnnpackBackend: init (check every node's datatypes, fuse, plan lifetimes and one
 * arena, propagate shapes, prepare each node), execute (bind the DelegateCall's tensors, give each
 * node's output its dims, run it) and profiling. What a node does is its family's row (xnn_family.h:
 * check, reshape, prepare, run; the rows live in xn_elementwise.c, xn_dense.c, xn_conv.c and
 * xn_layout.c); this file dispatches on a node's family only through xn_family_of. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/xnnpack/xnn_family.h"
#include "core/mem.h"
#include "core/arena.h"
#include "core/dtype.h"
#include "core/os.h"

/* ---- the family table: the one place a node's family picks its code ---- */

static const xn_family *const families[] = {
    [XF_BINARY] = &xn_binary_family,   [XF_FC] = &xn_fc_family,           [XF_SOFTMAX] = &xn_softmax_family,
    [XF_UNARY] = &xn_unary_family,     [XF_LAYOUT] = &xn_layout_family,   [XF_CONV] = &xn_conv_family,
    [XF_POOL] = &xn_pool_family,       [XF_CONVERT] = &xn_convert_family, [XF_RESHAPE] = &xn_reshape_family,
    [XF_CONCAT] = &xn_concat_family,   [XF_BMM] = &xn_bmm_family,
};

const xn_family *xn_family_of(int type) {
    int f = xnn_node_family(type);
    return f > XF_NONE && f < (int)(sizeof families / sizeof *families) ? families[f] : NULL;
}

/* ---- helpers the families share ---- */

bool xn_check_all_f32(const xnn_graph *g, const xnn_node *n) {
    bool ok = is_f32(&g->values[n->out]);
    for (uint32_t k = 0; k < n->nin; k++)
        if (!(n->in[k] == XNN_INVALID_ID && k == 2)) ok = ok && is_f32(&g->values[n->in[k]]);
    return ok;
}

petite_status xn_reshape_like_input(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    (void)e;
    const xnn_value *a = &g->values[n->in[0]];
    memcpy(d, a->cur, a->ndims * sizeof *d);
    *r = a->ndims;
    return PETITE_OK;
}

/* the fused clamp in the quantized domain, as XNNPACK's subgraph derives it (xnn_qs8_quantize:
 * val / scale + zero point, clamped to the type's range in float, then rounded half to even) */
void q8_bounds(const xnn_value *out, float out_min, float out_max, int32_t *lo, int32_t *hi) {
    float tlo = out->dtype == XDT_QINT8 ? -128.0f : 0.0f, thi = out->dtype == XDT_QINT8 ? 127.0f : 255.0f;
    float zp = (float)out->zero_point;
    *lo = (int32_t)lrintf(fminf(fmaxf(out_min / out->scale + zp, tlo), thi));
    *hi = (int32_t)lrintf(fminf(fmaxf(out_max / out->scale + zp, tlo), thi));
}

/* Packed weights through the program's cache; constants widened per instance (fp16 / bf16) are
 * packed privately instead, so the cache only ever holds entries for the file's own bytes. */
const void *packed_weights(xnn_graph *g, xnn_node *n, const xnn_value *w, const pt_backend_init *in, const void *desc,
                           size_t desc_len, size_t size, pt_fill_fn fill, const void *arg, pt_backend_info *info, pt_err *e) {
    if (w->narrow) {
        n->owned_packed = pt_aligned_alloc(size ? size : 1);
        if (!n->owned_packed) {
            pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for %zu bytes of packed weights", size);
            return NULL;
        }
        fill(n->owned_packed, arg, NULL, NULL);
        g->memory_bytes += size;
        return n->owned_packed;
    }
    uint64_t charged = 0;
    /* the constant's bytes as the parser checked them (4-bit: half a byte per element) */
    const void *p = in->cache->get(in->cache->owner, w->constant, (size_t)w->const_bytes, desc, desc_len, size, fill, arg,
                                    &charged, e);
    info->shared_bytes += charged;
    return p;
}

/* ---- datatypes each node kind accepts ---- */

static petite_status check_node(const xnn_graph *g, const xnn_node *n, pt_err *e) {
    const xnn_value *out = &g->values[n->out];
    const xnn_value *a = &g->values[n->in[0]];
    const xn_family *f = xn_family_of(n->type);
    if (!f || !f->check(g, n))
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "XNNPACK node %s with these datatypes (input %d, output %d) is not "
                       "supported by petite yet", xnn_node_name(n->type), (int)a->dtype, (int)out->dtype);
    return PETITE_OK;
}

/* ---- shapes: each family's reshape, used to plan at init and at every run ---- */

/* output dims of node n from its inputs' current dims */
static petite_status node_dims(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xn_family *f = xn_family_of(n->type);
    if (!f) return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "XNNPACK node %s is not supported", xnn_node_name(n->type));
    return f->reshape(g, n, d, r, e);
}

/* Give node n's output its dims for this run: an external output tensor is resized to them, an
 * internal value must fit its planned bytes. */
static petite_status shape_output(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    uint32_t d[XNN_MAX_DIMS] = {0}, r = 0;
    petite_status s = node_dims(g, n, d, &r, e);
    if (s) return s;
    xnn_value *v = &g->values[n->out];
    if (r > XNN_MAX_DIMS) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "too many dims");
    uint64_t numel = 1;
    for (uint32_t i = 0; i < r; i++) {
        if (d[i] && numel > (1ull << 40) / d[i]) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "value %u: dims too large", n->out);
        numel *= d[i];
    }
    v->ndims = r;
    memcpy(v->cur, d, r * sizeof *d);
    if (!args) return PETITE_OK; /* planning */
    size_t need = (size_t)numel * xnn_dtype_bytes(v->dtype);
    if (v->external_id != XNN_INVALID_ID && !v->narrow) {
        pt_tensor *t = args[v->external_id]->u.t;
        if (t->rank != (int32_t)r)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "output %u has rank %d, the graph computes %u dims",
                           v->external_id, (int)t->rank, r);
        int64_t sizes[PETITE_MAX_RANK];
        for (uint32_t j = 0; j < r; j++) sizes[t->dim_order[j]] = d[j];
        if ((s = pt_tensor_resize(t, t->rank, sizes, e))) return pt_prefix(e, "delegate output %u", v->external_id);
        v->data = t->data;
        return PETITE_OK;
    }
    if (v->alias1) { /* a reshape's output: its input's bytes */
        const xnn_value *root = &g->values[v->alias1 - 1];
        if (need > root->cap)
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "value %u needs %zu bytes, more than the %zu planned for value %u",
                           n->out, need, root->cap, v->alias1 - 1);
        v->data = root->data;
        return PETITE_OK;
    }
    if (need > v->cap)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "value %u needs %zu bytes, more than the %zu its serialized shape "
                       "planned", n->out, need, v->cap);
    v->data = g->arena + v->offset;
    if (v->external_id != XNN_INVALID_ID) { /* a narrow output: staged in fp32, converted after the run */
        pt_tensor *t = args[v->external_id]->u.t;
        int64_t sizes[PETITE_MAX_RANK];
        if (t->rank != (int32_t)r) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "output rank differs");
        for (uint32_t j = 0; j < r; j++) sizes[t->dim_order[j]] = d[j];
        if ((s = pt_tensor_resize(t, t->rank, sizes, e))) return pt_prefix(e, "delegate output %u", v->external_id);
    }
    return PETITE_OK;
}

/* ---- init: shapes, lifetimes, arena, prepared nodes ---- */

/* Greedy best fit: largest values first, each at the lowest offset free for its whole lifetime. */
static uint64_t plan_arena(xnn_graph *g, pt_err *e, petite_status *s) {
    uint32_t n = 0, *order = pt_malloc((g->nvalues ? g->nvalues : 1) * sizeof *order);
    if (!order) {
        *s = pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
        return 0;
    }
    for (uint32_t i = 0; i < g->nvalues; i++)
        if (g->values[i].cap) order[n++] = i;
    for (uint32_t i = 1; i < n; i++) { /* insertion sort by size, descending (stable) */
        uint32_t v = order[i], j = i;
        while (j > 0 && g->values[order[j - 1]].cap < g->values[v].cap) order[j] = order[j - 1], j--;
        order[j] = v;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        xnn_value *v = &g->values[order[i]];
        uint64_t size = pc_align64(v->cap), at = 0;
        for (bool moved = true; moved;) { /* lowest offset that overlaps no placed, live-together value */
            moved = false;
            for (uint32_t j = 0; j < i; j++) {
                const xnn_value *u = &g->values[order[j]];
                bool live = !(u->last < v->first || v->last < u->first);
                uint64_t usize = pc_align64(u->cap);
                if (live && at < u->offset + usize && u->offset < at + size) {
                    at = u->offset + usize;
                    moved = true;
                }
            }
        }
        v->offset = at;
        if (at + size > total) total = at + size;
    }
    pt_free(order);
    *s = PETITE_OK;
    return total;
}

/* ---- a node's family row: prepare at init, run at every execute ---- */

static petite_status prepare_node(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info,
                                  pt_err *e) {
    const xn_family *f = xn_family_of(n->type);
    return f && f->prepare ? f->prepare(g, n, in, info, e) : PETITE_OK;
}

static void run_node(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xn_family *f = xn_family_of(n->type);
    if (f) f->run(c, g, n);
}

/* Constants a run reads in place (a fully connected layer's fp32 bias, a constant operand of an
 * element-wise node, ...) get their own copy here, so that no run reads the file: on current
 * kernels one read of a file page maps the page cache's whole large folio (up to 2 MiB) into the
 * process. Weights that were packed, and the biases folded into their panels, are not read again. */
static petite_status own_run_constants(xnn_graph *g, const pt_backend_init *in, pt_err *e) {
    (void)in;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const xnn_node *n = &g->nodes[i];
        if (n->skip) continue;
        for (uint32_t k = 0; k < n->nin && k < 5; k++) {
            if (n->in[k] == XNN_INVALID_ID) continue; /* an optional input left out (a bias-free layer) */
            xnn_value *v = &g->values[n->in[k]];
            if (!v->constant || v->data != v->constant || v->own || v->wide) continue; /* wide: already a copy */
            const int family = xnn_node_family(n->type);
            const bool folded = (n->qfast && (k == 1 || k == 2)) || (n->packed && k == 1) ||
                                (n->packed && family == XF_CONV && k == 2); /* the fp32 conv panels hold the bias */
            if (folded) continue;
            if (!(v->own = pt_aligned_alloc(v->const_bytes ? (size_t)v->const_bytes : 1)))
                return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for a %llu-byte constant",
                               (unsigned long long)v->const_bytes);
            memcpy(v->own, v->constant, (size_t)v->const_bytes);
            v->data = v->own;
        }
    }
    return PETITE_OK;
}

/* 4-bit weights packed in tiles carry their scales (pc_fc_q4_pack_fill): the fp32 copies made while
 * parsing go once no node reads them otherwise (17 MB for a 135M-parameter decoder) */
static void drop_packed_scales(xnn_graph *g) {
    for (uint32_t i = 0; i < g->nvalues; i++) {
        xnn_value *v = &g->values[i];
        if (!v->owned_scales) continue;
        bool only_tiles = true, used = false;
        for (uint32_t j = 0; j < g->nnodes && only_tiles; j++) {
            const xnn_node *n = &g->nodes[j];
            if (n->skip) continue;
            for (uint32_t k = 0; k < n->nin && k < 5; k++)
                if (n->in[k] == i) used = true, only_tiles = only_tiles && k == 1 && n->q4_tiles;
        }
        if (used && only_tiles) pt_free(v->owned_scales), v->owned_scales = NULL, v->scales = NULL;
    }
}

static petite_status backend_init(const pt_backend_init *in, void **handle, pt_backend_info *info, pt_err *e) {
    xnn_graph *g;
    petite_status s = xnn_parse(in, &g, e);
    if (s) return s;
    memset(info, 0, sizeof *info);
    g->isa = in->isa;
    g->memory_bytes = (uint64_t)g->nvalues * sizeof(xnn_value) + (uint64_t)g->nnodes * sizeof(xnn_node);
    for (uint32_t i = 0; i < g->nnodes && !s; i++)
        if ((s = check_node(g, &g->nodes[i], e))) pt_prefix(e, "xnodes[%u] (%s)", i, xnn_node_name(g->nodes[i].type));
    if (!s) xn_unary_ops(g);
    if (!s && !getenv("PETITE_XNN_NO_FUSION")) xn_fuse(g); /* the variable: a diagnostic (every node runs as written) */
    /* lifetimes; every node input must be defined before it is read */
    for (uint32_t i = 0; i < g->nvalues; i++) g->values[i].first = g->values[i].last = -1;
    for (uint32_t i = 0; i < g->nnodes && !s; i++) {
        xnn_node *n = &g->nodes[i];
        if (n->skip) continue;
        for (uint32_t k = 0; k < n->nin; k++) {
            if (n->in[k] == XNN_INVALID_ID) continue;
            xnn_value *v = &g->values[n->in[k]];
            bool defined = v->constant || (v->flags & 1) || v->first >= 0;
            if (!defined) {
                s = pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "xnodes[%u] (%s) reads value %u before any node writes it", i,
                            xnn_node_name(n->type), n->in[k]);
                break;
            }
            v->last = (int32_t)i;
        }
        xnn_value *o = &g->values[n->out];
        if (!s && (o->first >= 0 || (o->flags & 1)))
            s = pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "xnodes[%u] (%s) writes value %u, which is already written", i,
                        xnn_node_name(n->type), n->out);
        if (!s) o->first = o->last = (int32_t)i;
    }
    for (uint32_t i = 0; i < g->nvalues && !s; i++) {
        const xnn_value *v = &g->values[i];
        if ((v->flags & 2) && v->first < 0)
            s = pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "external output value %u is written by no node", i);
    }
    /* a reshape from an internal value to an internal value moves no bytes: its output aliases the
     * input, and the value holding the bytes lives until the last read of any alias */
    for (uint32_t i = 0; i < g->nnodes && !s; i++) {
        const xnn_node *n = &g->nodes[i];
        if (n->skip || xnn_node_family(n->type) != XF_RESHAPE) continue;
        const xnn_value *a = &g->values[n->in[0]];
        xnn_value *o = &g->values[n->out];
        if (a->constant || (a->flags & 1) || a->external_id != XNN_INVALID_ID || o->external_id != XNN_INVALID_ID)
            continue;
        uint32_t root = a->alias1 ? a->alias1 - 1 : n->in[0];
        o->alias1 = root + 1;
        if (o->last > g->values[root].last) g->values[root].last = o->last;
    }
    /* shapes from the serialized external dims; planned bytes: the larger of that and the serialized dims */
    for (uint32_t i = 0; i < g->nvalues && !s; i++) memcpy(g->values[i].cur, g->values[i].dims, sizeof g->values[i].cur);
    for (uint32_t i = 0; i < g->nnodes && !s; i++) {
        xnn_node *n = &g->nodes[i];
        if (n->skip) continue;
        if ((s = shape_output(g, n, NULL, e))) {
            pt_prefix(e, "xnodes[%u] (%s)", i, xnn_node_name(n->type));
            break;
        }
        xnn_value *o = &g->values[n->out];
        bool staged = o->external_id != XNN_INVALID_ID && o->narrow;
        if ((o->external_id != XNN_INVALID_ID && !staged) || o->alias1) continue;
        uint64_t bytes = numel_of(o->cur, o->ndims), ser = numel_of(o->dims, o->ndims < XNN_MAX_DIMS ? o->ndims : XNN_MAX_DIMS);
        bytes = (bytes > ser ? bytes : ser) * xnn_dtype_bytes(o->dtype);
        o->cap = (size_t)(bytes ? bytes : 4);
        if (staged) o->first = 0, o->last = (int32_t)g->nnodes; /* converted after the last node */
    }
    for (uint32_t i = 0; i < g->nvalues && !s; i++) { /* narrow inputs are widened into staging before the first node */
        xnn_value *v = &g->values[i];
        if (!(v->flags & 1) || !v->narrow) continue;
        v->cap = (size_t)(numel_of(v->dims, v->ndims) * sizeof(float));
        if (!v->cap) v->cap = 4;
        v->first = -1, v->last = (int32_t)g->nnodes;
    }
    if (!s) g->arena_size = plan_arena(g, e, &s);
    if (!s && in->memory_limit && g->arena_size > in->memory_limit)
        s = pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES, "XNNPACK values need %llu bytes, more than the %llu-byte memory limit",
                    (unsigned long long)g->arena_size, (unsigned long long)in->memory_limit);
    /* the arena is the method's work area, given at each execute (shared with the other delegates) */
    for (uint32_t i = 0; i < g->nnodes && !s; i++)
        if (!g->nodes[i].skip && (s = prepare_node(g, &g->nodes[i], in, info, e)))
            pt_prefix(e, "xnodes[%u] (%s)", i, xnn_node_name(g->nodes[i].type));
    if (s) {
        xnn_free(g);
        return s;
    }
    if ((s = own_run_constants(g, in, e))) {
        xnn_free(g);
        return s;
    }
    drop_packed_scales(g);
    for (uint32_t i = 0; i < g->nvalues; i++) {
        if (g->values[i].owned_scales) g->memory_bytes += g->values[i].num_scales * sizeof(float);
        if (g->values[i].wide) g->memory_bytes += numel_of(g->values[i].dims, g->values[i].ndims) * sizeof(float);
        if (g->values[i].own) g->memory_bytes += g->values[i].const_bytes;
    }
    /* the graph, the constants and the weights are all copied, packed or folded by now: nothing
     * reads the blob again, and its pages go back to the OS */
    if (in->cache && in->cache->release) in->cache->release(in->cache->owner, in->blob, (size_t)in->size);
    info->memory_bytes = g->memory_bytes;
    info->work_bytes = g->arena_size;
    info->nodes = g->nnodes;
    *handle = g;
    return PETITE_OK;
}

/* ---- execute ---- */

static petite_status backend_execute(void *h, const pc_ctx *c, void *work, pt_value **args, size_t nargs, pt_err *e) {
    xnn_graph *g = h;
    if (g->arena_size && !work) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "no work area for the XNNPACK values");
    g->arena = work; /* internal values at their planned offsets (shape_output) */
    if (nargs != g->num_externs)
        return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "the call passes %zu values, the graph has %u externals", nargs,
                       g->num_externs);
    for (uint32_t i = 0; i < g->num_externs; i++) {
        if (args[i]->kind != PETITE_KIND_TENSOR)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "delegate argument %u is not a tensor", i);
        xnn_value *v = &g->values[g->extern_value[i]];
        const pt_tensor *t = args[i]->u.t;
        bool want_f32 = (v->dtype == XDT_FP32 && !v->narrow) || v->dtype == XDT_QDINT8;
        int32_t narrow_dt = v->narrow == XDT_FP16 ? PETITE_FLOAT16 : PETITE_BFLOAT16;
        if (v->narrow) {
            if (t->dtype != narrow_dt)
                return pt_fail(e, PETITE_ERR_INVALID_TYPE, "delegate argument %u: tensor of %s for an XNNPACK %s value", i,
                               petite_dtype_name(t->dtype), petite_dtype_name(narrow_dt));
        } else if ((want_f32 && t->dtype != PETITE_FLOAT32) || (!want_f32 && v->dtype == XDT_QINT8 && t->dtype != PETITE_INT8) ||
                   (!want_f32 && v->dtype == XDT_QUINT8 && t->dtype != PETITE_UINT8) || (!want_f32 && !is_q8(v)))
            return pt_fail(e, PETITE_ERR_INVALID_TYPE, "delegate argument %u: tensor of %s for an XNNPACK value of datatype %d",
                           i, petite_dtype_name(t->dtype), (int)v->dtype);
        if (v->flags & 1) { /* external input: dims in memory (dim order) order */
            if (t->rank > XNN_MAX_DIMS)
                return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "delegate input %u has rank %d (max %d)", i,
                               (int)t->rank, XNN_MAX_DIMS);
            v->ndims = (uint32_t)t->rank;
            for (uint32_t j = 0; j < v->ndims; j++) v->cur[j] = (uint32_t)t->sizes[t->dim_order[j]];
            v->data = t->data;
            if (v->narrow) { /* widen into staging (memory order is the tensor's own) */
                if ((size_t)t->numel * sizeof(float) > v->cap)
                    return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "delegate input %u is larger than its serialized shape", i);
                float *w = (float *)(g->arena + v->offset);
                for (int64_t k = 0; k < t->numel; k++) w[k] = (float)pt_load_f64(t->data, t->dtype, k);
                v->data = w;
            }
        }
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *n = &g->nodes[i];
        if (n->skip) continue;
        uint64_t t0 = g->profiling ? pt_now_ns() : 0;
        petite_status s = shape_output(g, n, args, e);
        if (s) return pt_prefix(e, "xnodes[%u] (%s)", i, xnn_node_name(n->type));
        run_node(c, g, n);
        if (g->profiling) n->ns = pt_now_ns() - t0;
    }
    /* narrow external outputs: fp32 staging -> the tensor's fp16 / bf16 */
    for (uint32_t i = 0; i < g->num_externs; i++) {
        xnn_value *v = &g->values[g->extern_value[i]];
        if (!(v->flags & 2) || !v->narrow) continue;
        pt_tensor *t = args[i]->u.t;
        for (int64_t k = 0; k < t->numel; k++) pt_store_f64(t->data, t->dtype, k, ((const float *)v->data)[k]);
    }
    return PETITE_OK;
}

static void backend_destroy(void *h) { xnn_free(h); }

static void backend_profile(void *h, int on) { ((xnn_graph *)h)->profiling = on; }

static void backend_node_stat(const void *h, uint32_t i, pt_node_stat *st) {
    const xnn_graph *g = h;
    if (i >= g->nnodes) return;
    const xnn_node *n = &g->nodes[i];
    const xnn_value *o = &g->values[n->out];
    st->kind = n->skip ? "(fused)" : n->has_lut && xnn_node_family(n->type) == XF_CONVERT ? "Table" : xnn_node_name(n->type);
    size_t k = 0;
    k += (size_t)snprintf(st->detail + k, sizeof st->detail - k, "[");
    for (uint32_t d = 0; d < o->ndims && k < sizeof st->detail; d++)
        k += (size_t)snprintf(st->detail + k, sizeof st->detail - k, d ? ", %u" : "%u", o->cur[d]);
    if (k < sizeof st->detail) snprintf(st->detail + k, sizeof st->detail - k, "]");
    if (xnn_node_family(n->type) == XF_CONV) {
        const xnn_conv_params cg = xnn_conv_geometry(n);
        if (cg.kernel_h * cg.kernel_w > 1 && k + 8 < sizeof st->detail)
            snprintf(st->detail + strlen(st->detail), sizeof st->detail - strlen(st->detail), " k%ux%u s%u", cg.kernel_h,
                     cg.kernel_w, cg.stride_h);
    }
    if (n->has_act || (xnn_node_family(n->type) == XF_UNARY && n->uop == PC_U_SILU))
        snprintf(st->detail + strlen(st->detail), sizeof st->detail - strlen(st->detail), " +%s",
                 n->uop == PC_U_SILU ? "SiLU" : "act");
    st->flops = n->flops;
    st->ns = n->skip ? 0 : n->ns;
}

const pt_backend pt_xnnpack_backend = {"XnnpackBackend", backend_init, backend_execute, backend_destroy,
                                       backend_profile, backend_node_stat};
