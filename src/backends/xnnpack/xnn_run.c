/* xnn_run.c — the XnnpackBackend: init (check every node's datatypes, propagate shapes, plan the
 * internal values into one arena by lifetime, prepare each node), execute (bind the DelegateCall's
 * tensors, run every node on the compute layer) and profiling. Each node kind is an adapter onto
 * src/compute: convolutions and fully connected layers on the packed GEMM, pooling, element-wise,
 * softmax and requantization on the shared functions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/xnnpack/xnn.h"
#include "core/mem.h"
#include "core/arena.h"
#include "core/dtype.h"
#include "core/os.h"

#define XNN_FLAG_TRANSPOSE_WEIGHTS 0x1u
#define XNN_FLAG_KEEP_DIMS 0x40u

static uint64_t numel_of(const uint32_t *d, uint32_t n) {
    uint64_t x = 1;
    for (uint32_t i = 0; i < n; i++) x *= d[i];
    return x;
}

static bool is_f32(const xnn_value *v) { return v->dtype == XDT_FP32; }
static bool is_q8(const xnn_value *v) { return (v->dtype == XDT_QINT8 || v->dtype == XDT_QUINT8) && v->qkind == XQ_PER_TENSOR; }
static const xnn_value *opt_in(const xnn_graph *g, const xnn_node *n, uint32_t k) {
    return n->in[k] == XNN_INVALID_ID ? NULL : &g->values[n->in[k]];
}

/* ---- datatypes each node kind accepts ---- */

static petite_status check_node(const xnn_graph *g, const xnn_node *n, pt_err *e) {
    const xnn_value *out = &g->values[n->out];
    const xnn_value *a = &g->values[n->in[0]];
    bool ok;
    switch (xnn_node_family(n->type)) {
    case XF_CONVERT:
        ok = (is_f32(a) && (is_q8(out) || out->dtype == XDT_QDINT8)) || (is_q8(a) && is_f32(out)) ||
             (is_f32(a) && is_f32(out));
        break;
    case XF_FC: {
        const xnn_value *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
        bool f = is_f32(a) && is_f32(w) && is_f32(out) && (!b || is_f32(b));
        bool wq = (w->dtype == XDT_QCINT8 && w->qkind == XQ_PER_CHANNEL) || (w->dtype == XDT_QINT8 && w->qkind == XQ_PER_TENSOR);
        bool q = is_q8(a) && wq && is_q8(out) && a->dtype == out->dtype &&
                 (!b || b->dtype == XDT_QCINT32 || b->dtype == XDT_QINT32);
        bool d = a->dtype == XDT_QDINT8 && w->dtype == XDT_QCINT8 && w->qkind == XQ_PER_CHANNEL && is_f32(out) &&
                 (!b || is_f32(b));
        /* 4-bit weights: per channel (qcint4) or blockwise (qbint4), fp32 or qdint8 activations, fp32 out */
        bool w4 = ((w->dtype == XDT_QCINT4 && w->qkind == XQ_PER_CHANNEL) ||
                   (w->dtype == XDT_QBINT4 && w->qkind == XQ_PER_CHANNEL_GROUP)) &&
                  (is_f32(a) || a->dtype == XDT_QDINT8) && is_f32(out) && (!b || is_f32(b)) &&
                  !(n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS);
        ok = (f || q || d || w4) && w->ndims == 2 && (!b || b->ndims == 1);
        if (ok && (q || d || w4) && (w->qkind == XQ_PER_CHANNEL || w->qkind == XQ_PER_CHANNEL_GROUP) &&
            w->num_scales < w->dims[(n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS) ? 1 : 0])
            ok = false;
        break;
    }
    case XF_CONV: {
        const xnn_value *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
        bool wq = (w->dtype == XDT_QCINT8 && w->qkind == XQ_PER_CHANNEL) || (w->dtype == XDT_QINT8 && w->qkind == XQ_PER_TENSOR);
        bool q = is_q8(a) && wq && is_q8(out) && a->dtype == out->dtype &&
                 (!b || b->dtype == XDT_QCINT32 || b->dtype == XDT_QINT32);
        bool f = is_f32(a) && is_f32(w) && is_f32(out) && (!b || is_f32(b));
        ok = (f || q) && w->ndims == 4 && w->constant && (!b || b->constant);
        break;
    }
    case XF_POOL:
        if (is_q8(a)) { /* max pooling keeps the input's quantization (XNNPACK requires it); the mean has its own */
            ok = is_q8(out) && out->dtype == a->dtype &&
                 (n->type == XN_GlobalAvgPooling2d ||
                  (n->type == XN_MaxPooling2d && out->scale == a->scale && out->zero_point == a->zero_point));
            break;
        }
        ok = is_f32(a) && is_f32(out);
        break;
    case XF_UNARY:
        if (is_q8(a)) { /* quantized element-wise functions: a byte table, as XNNPACK's reference builds them */
            ok = is_q8(out) && out->dtype == a->dtype;
            break;
        }
        ok = is_f32(a) && is_f32(out);
        break;
    case XF_RESHAPE:
        if (is_q8(a)) { /* int8 keeps its parameters */
            ok = is_q8(out) && out->dtype == a->dtype && out->scale == a->scale && out->zero_point == a->zero_point;
            break;
        }
        ok = is_f32(a) && is_f32(out);
        break;
    case XF_CONCAT:
        if (is_q8(out)) { /* int8: every input with the output's type and parameters (XNNPACK requires it) */
            ok = true;
            for (uint32_t k = 0; k < n->nin; k++) {
                const xnn_value *v = &g->values[n->in[k]];
                ok = ok && is_q8(v) && v->dtype == out->dtype && v->scale == out->scale && v->zero_point == out->zero_point;
            }
            break;
        }
        ok = is_f32(out);
        for (uint32_t k = 0; k < n->nin; k++) ok = ok && is_f32(&g->values[n->in[k]]);
        break;
    case XF_BINARY:
        if (is_q8(a)) { /* int8 / uint8 Add and Multiply, one type throughout */
            const xnn_value *b = &g->values[n->in[1]];
            ok = (n->type == XN_Add || n->type == XN_Multiply) && is_q8(b) && is_q8(out) && b->dtype == a->dtype &&
                 out->dtype == a->dtype;
            break;
        }
        /* fall through */
    default:
        ok = is_f32(out);
        for (uint32_t k = 0; k < n->nin; k++)
            if (!(n->in[k] == XNN_INVALID_ID && k == 2)) ok = ok && is_f32(&g->values[n->in[k]]);
        break;
    }
    if (!ok)
        return pt_fail(e, PETITE_ERR_NOT_SUPPORTED, "XNNPACK node %s with these datatypes (input %d, output %d) is not "
                       "supported by petite yet", xnn_node_name(n->type), (int)a->dtype, (int)out->dtype);
    return PETITE_OK;
}

/* ---- shapes: one function per node kind, used to plan at init and at every run ---- */

static petite_status conv_dims(const xnn_graph *g, const xnn_node *n, uint32_t *d, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]];
    const uint32_t *p = n->p;
    uint32_t pt = p[0], pr = p[1], pb = p[2], pl = p[3], KH = p[4], KW = p[5], sh = p[6], sw = p[7], dh = p[8],
             dw = p[9], gic = p[10], goc = p[11], groups = p[12];
    if (a->ndims != 4 || w->ndims != 4 || !sh || !sw || !dh || !dw || !groups || !KH || !KW)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: bad parameters", xnn_node_name(n->type));
    uint32_t N = a->cur[0], H = a->cur[1], W = a->cur[2], C = a->cur[3];
    bool dwise = n->type == XN_DepthwiseConv2d;
    uint32_t OC = dwise ? w->dims[3] : w->dims[0];
    if ((!dwise && ((uint64_t)C != (uint64_t)gic * groups || (uint64_t)OC != (uint64_t)goc * groups)) ||
        (dwise && (C == 0 || OC % C)) ||
        w->dims[1] != KH || w->dims[2] != KW || (!dwise && w->dims[3] != gic) || (dwise && w->dims[0] != 1))
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: %u input channels do not fit the filter", xnn_node_name(n->type), C);
    int64_t eh = (int64_t)dh * (KH - 1) + 1, ew = (int64_t)dw * (KW - 1) + 1;
    int64_t OH = ((int64_t)H + pt + pb - eh) / sh + 1, OW = ((int64_t)W + pl + pr - ew) / sw + 1;
    if ((int64_t)H + pt + pb < eh || (int64_t)W + pl + pr < ew || OH < 1 || OW < 1)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: empty output", xnn_node_name(n->type));
    d[0] = N, d[1] = (uint32_t)OH, d[2] = (uint32_t)OW, d[3] = OC;
    return PETITE_OK;
}

static petite_status pool_dims(const xnn_graph *g, const xnn_node *n, uint32_t *d, pc_pool2d *pd, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    const uint32_t *p = n->p;
    uint32_t pt = p[0], pr = p[1], pb = p[2], pl = p[3], PH = p[4], PW = p[5], sh = p[6], sw = p[7];
    uint32_t dh = p[8] ? p[8] : 1, dw = p[9] ? p[9] : 1;
    if (a->ndims != 4) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: input must be NHWC", xnn_node_name(n->type));
    uint32_t N = a->cur[0], H = a->cur[1], W = a->cur[2], C = a->cur[3];
    if (n->type == XN_GlobalAvgPooling2d) pt = pr = pb = pl = 0, PH = H, PW = W, sh = sw = 1, dh = dw = 1;
    if (!sh || !sw || !PH || !PW) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "pooling: bad parameters");
    int64_t span_h = (int64_t)dh * (PH - 1) + 1, span_w = (int64_t)dw * (PW - 1) + 1;
    if ((int64_t)H + pt + pb < span_h || (int64_t)W + pl + pr < span_w)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "pooling: empty output");
    int64_t OH = ((int64_t)H + pt + pb - span_h) / sh + 1, OW = ((int64_t)W + pl + pr - span_w) / sw + 1;
    d[0] = N, d[1] = (uint32_t)OH, d[2] = (uint32_t)OW, d[3] = C;
    if (pd) {
        pc_pool2d q = {(pc_pool_kind)xnn_node_arg(n->type), N, H, W, C, OH, OW, PH, PW, sh, sw, dh, dw, pt, pl,
                       0, 0, pb, pr, n->out_min, n->out_max, {0}, {0}, g->isa};
        int64_t xs[4] = {(int64_t)H * W * C, (int64_t)W * C, C, 1}, ys[4] = {OH * OW * C, OW * C, C, 1};
        memcpy(q.xs, xs, sizeof xs);
        memcpy(q.ys, ys, sizeof ys);
        *pd = q;
    }
    return PETITE_OK;
}

/* output dims of node n from its inputs' current dims */
static petite_status node_dims(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    switch (xnn_node_family(n->type)) {
    case XF_BINARY: {
        const xnn_value *b = &g->values[n->in[1]];
        uint32_t rank = n->type == XN_PReLU ? a->ndims : (a->ndims > b->ndims ? a->ndims : b->ndims);
        if (b->ndims > rank) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "PReLU: slope has more dims than the input");
        for (uint32_t k = 0; k < rank; k++) {
            int32_t ia = (int32_t)k - (int32_t)(rank - a->ndims), ib = (int32_t)k - (int32_t)(rank - b->ndims);
            uint32_t x = ia >= 0 ? a->cur[ia] : 1, y = ib >= 0 ? b->cur[ib] : 1;
            if (x != y && x != 1 && y != 1)
                return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: dims %u and %u do not broadcast", xnn_node_name(n->type), x, y);
            d[k] = x == 1 ? y : x;
            if (n->type == XN_PReLU && x != d[k])
                return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "PReLU: the slope does not broadcast to the input");
        }
        *r = rank;
        return PETITE_OK;
    }
    case XF_FC: {
        const xnn_value *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
        bool tw = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
        uint32_t N = tw ? w->dims[1] : w->dims[0], K = tw ? w->dims[0] : w->dims[1];
        if (a->ndims < 1 || a->cur[a->ndims - 1] != K)
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "FullyConnected: input's last dim %u, filter wants %u",
                           a->ndims ? a->cur[a->ndims - 1] : 0, K);
        if (b && b->dims[0] != N) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "FullyConnected: bias size");
        memcpy(d, a->cur, a->ndims * sizeof *d);
        d[a->ndims - 1] = N;
        *r = a->ndims;
        return PETITE_OK;
    }
    case XF_CONV: *r = 4; return conv_dims(g, n, d, e);
    case XF_POOL: {
        petite_status s = pool_dims(g, n, d, NULL, e);
        *r = 4;
        /* global pooling, as XNNPACK: without XNN_FLAG_KEEP_DIMS the pooled dims go, [N, C] */
        if (!s && n->type == XN_GlobalAvgPooling2d && !(n->flags & XNN_FLAG_KEEP_DIMS)) d[1] = d[3], *r = 2;
        return s;
    }
    case XF_LAYOUT: {
        uint32_t rank = a->ndims;
        if (n->nlist != rank)
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: %u entries for %u dims", xnn_node_name(n->type), n->nlist, rank);
        for (uint32_t k = 0; k < rank; k++) {
            if (n->type == XN_StaticTranspose) {
                if (n->list1[k] >= rank) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "transpose: bad perm");
                for (uint32_t j = 0; j < k; j++)
                    if (n->list1[j] == n->list1[k]) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "transpose: perm repeats a dim");
                d[k] = a->cur[n->list1[k]];
            } else if (n->type == XN_StaticSlice) {
                uint32_t off = n->list1[k];
                if (off > a->cur[k]) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "slice out of range");
                uint32_t sz = n->list2[k] ? n->list2[k] : a->cur[k] - off;
                if (sz > a->cur[k] - off) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "slice out of range");
                d[k] = sz;
            } else { /* constant pad */
                uint64_t x = (uint64_t)a->cur[k] + n->list1[k] + n->list2[k];
                if (x > UINT32_MAX) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "padding too large");
                d[k] = (uint32_t)x;
            }
        }
        *r = rank;
        return PETITE_OK;
    }
    case XF_RESHAPE: {
        uint64_t total = numel_of(a->cur, a->ndims), known = 1;
        int32_t infer = -1;
        if (n->nlist > XNN_MAX_DIMS) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "StaticReshape: too many dims");
        for (uint32_t k = 0; k < n->nlist; k++) {
            d[k] = n->list1[k];
            if (d[k] == 0 && infer < 0) infer = (int32_t)k;
            else known *= d[k];
        }
        if (infer >= 0) d[infer] = known ? (uint32_t)(total / known) : 0;
        if (numel_of(d, n->nlist) != total)
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "StaticReshape: %llu elements do not fit the new shape",
                           (unsigned long long)total);
        *r = n->nlist;
        return PETITE_OK;
    }
    case XF_CONCAT: {
        uint32_t axis = n->p[0], rank = a->ndims;
        if (axis >= rank) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "Concatenate: axis %u for %u dims", axis, rank);
        memcpy(d, a->cur, rank * sizeof *d);
        uint64_t sum = 0;
        for (uint32_t k = 0; k < n->nin; k++) {
            const xnn_value *v = &g->values[n->in[k]];
            if (v->ndims != rank) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "Concatenate: ranks differ");
            for (uint32_t j = 0; j < rank; j++)
                if (j != axis && v->cur[j] != a->cur[j]) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "Concatenate: dims differ");
            sum += v->cur[axis];
        }
        if (sum > UINT32_MAX) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "Concatenate: too large");
        d[axis] = (uint32_t)sum;
        *r = rank;
        return PETITE_OK;
    }
    case XF_BMM: {
        const xnn_value *b = &g->values[n->in[1]];
        if (a->ndims < 2 || a->ndims != b->ndims) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "BatchMatrixMultiply: ranks");
        uint32_t rank = a->ndims, K = a->cur[rank - 1];
        bool tb = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
        if ((tb ? b->cur[rank - 1] : b->cur[rank - 2]) != K)
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "BatchMatrixMultiply: inner dims");
        for (uint32_t k = 0; k + 2 < rank; k++)
            if (a->cur[k] != b->cur[k]) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "BatchMatrixMultiply: batch dims");
        memcpy(d, a->cur, rank * sizeof *d);
        d[rank - 1] = tb ? b->cur[rank - 2] : b->cur[rank - 1];
        *r = rank;
        return PETITE_OK;
    }
    default: /* unary, softmax, convert: the input's shape */
        memcpy(d, a->cur, a->ndims * sizeof *d);
        *r = a->ndims;
        return PETITE_OK;
    }
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

/* ---- node kernels ---- */

/* the fused clamp in the quantized domain, as XNNPACK's subgraph derives it (xnn_qs8_quantize:
 * val / scale + zero point, clamped to the type's range in float, then rounded half to even) */
static void q8_bounds(const xnn_value *out, float out_min, float out_max, int32_t *lo, int32_t *hi) {
    float tlo = out->dtype == XDT_QINT8 ? -128.0f : 0.0f, thi = out->dtype == XDT_QINT8 ? 127.0f : 255.0f;
    float zp = (float)out->zero_point;
    *lo = (int32_t)lrintf(fminf(fmaxf(out_min / out->scale + zp, tlo), thi));
    *hi = (int32_t)lrintf(fminf(fmaxf(out_max / out->scale + zp, tlo), thi));
}

static void run_binary(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]], *o = &g->values[n->out];
    int64_t sizes[XNN_MAX_DIMS], sa[XNN_MAX_DIMS], sb[XNN_MAX_DIMS], sy[XNN_MAX_DIMS];
    uint32_t r = o->ndims;
    int64_t st = 1, stb = 1, sto = 1;
    for (int32_t k = (int32_t)r - 1; k >= 0; k--) {
        int32_t ia = k - (int32_t)(r - a->ndims), ib = k - (int32_t)(r - b->ndims);
        uint32_t x = ia >= 0 ? a->cur[ia] : 1, y = ib >= 0 ? b->cur[ib] : 1;
        sizes[k] = o->cur[k];
        sa[k] = x == 1 ? 0 : st;
        sb[k] = y == 1 ? 0 : stb;
        sy[k] = sto;
        st *= x, stb *= y, sto *= o->cur[k];
    }
    if (is_q8(a)) {
        pc_qbinary_run(c, &n->qb, (int32_t)r, sizes, a->data, sa, b->data, sb, o->data, sy);
        return;
    }
    pc_binary_params p = {1.0f, n->out_min, n->out_max};
    pc_binary_f32(c, (pc_binary_op)xnn_node_arg(n->type), (int32_t)r, sizes, a->data, sa, b->data, sb, o->data, sy, &p);
}

/* weight (j, k) of a packed 4-bit [N, K] filter: rows of ceil(K/2) bytes, low nibble = even k, zero point 8 */
static inline int32_t nibble(const uint8_t *w, uint32_t K, uint32_t j, uint32_t k) {
    uint8_t byte = w[(uint64_t)j * ((K + 1) / 2) + k / 2];
    return (int32_t)((k & 1) ? byte >> 4 : byte & 15) - 8;
}

/* dynamic row quantization as for qdint8 (asymmetric int8, zero included) */
static void quantize_row(const float *row, uint32_t K, float *sc, int32_t *zp) {
    float mn = 0, mx = 0;
    for (uint32_t k = 0; k < K; k++) mn = row[k] < mn ? row[k] : mn, mx = row[k] > mx ? row[k] : mx;
    *sc = (mx - mn) / 255.0f;
    if (*sc == 0) *sc = 1.0f;
    int32_t z = (int32_t)lrintf(-128.0f - mn / *sc);
    *zp = z < -128 ? -128 : (z > 127 ? 127 : z);
}

static inline int32_t q_of(float x, float sc, int32_t zp) {
    float f = x / sc;
    int32_t q = f > 1e6f ? 127 : (f < -1e6f || f != f ? -128 : (int32_t)lrintf(f) + zp);
    return q < -128 ? -128 : (q > 127 ? 127 : q);
}

static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

static void fc_4bit(xnn_graph *g, const xnn_node *n, const xnn_value *a, const xnn_value *w, const xnn_value *b,
                    uint64_t M, uint32_t N, uint32_t K) {
    const uint8_t *wq = w->data;
    const float *x = a->data, *bias = b ? b->data : NULL;
    float *y = g->values[n->out].data;
    bool grouped = w->qkind == XQ_PER_CHANNEL_GROUP;
    uint32_t gs = grouped ? (uint32_t)w->group_size : K, ngroups = gs ? K / gs : 0;
    bool dyn = a->dtype == XDT_QDINT8;
    for (uint64_t i = 0; i < M; i++) {
        const float *row = x + i * K;
        float sc = 1.0f;
        int32_t zp = 0;
        if (dyn) quantize_row(row, K, &sc, &zp);
        for (uint32_t j = 0; j < N; j++) {
            float acc = 0;
            for (uint32_t gi = 0; gi < (grouped ? ngroups : 1); gi++) {
                uint32_t k0 = gi * gs, k1 = grouped ? k0 + gs : K;
                float wscale = grouped ? w->scales[(uint64_t)j * ngroups + gi] : w->scales[j];
                if (dyn) {
                    int64_t s = 0;
                    for (uint32_t k = k0; k < k1; k++) s += (int64_t)(q_of(row[k], sc, zp) - zp) * nibble(wq, K, j, k);
                    acc += (float)s * sc * wscale;
                } else {
                    float s = 0;
                    for (uint32_t k = k0; k < k1; k++) s += row[k] * (float)nibble(wq, K, j, k);
                    acc += s * wscale;
                }
            }
            y[i * N + j] = clampf(acc + (bias ? bias[j] : 0.0f), n->out_min, n->out_max);
        }
    }
}

static void run_fully_connected(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
    xnn_value *o = &g->values[n->out];
    bool tw = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
    uint32_t N = tw ? w->dims[1] : w->dims[0], K = tw ? w->dims[0] : w->dims[1];
    uint64_t M = K ? numel_of(a->cur, a->ndims) / K : 0;
    if (is_f32(a)) {
        pc_gemm_epi epi = {b ? b->data : NULL, NULL, 1.0f, 0, n->out_min, n->out_max, n->has_act ? &n->up : NULL, n->uop};
        if (n->packed) pc_gemm_f32(c, M, N, K, a->data, K, n->packed, o->data, N, &epi);
        else pc_gemm_f32_any(c, M, N, K, a->data, K, w->data, tw ? N : 1, tw ? 1 : K, o->data, N, &epi);
        return;
    }
    if (w->dtype == XDT_QCINT4 || w->dtype == XDT_QBINT4) {
        fc_4bit(g, n, a, w, b, M, N, K);
        return;
    }
    const int8_t *wq = w->data;
    if (a->dtype == XDT_QDINT8) {
        /* dynamic: each row of the (fp32) input quantized to asymmetric int8 on the fly */
        const float *x = a->data, *bias = b ? b->data : NULL;
        float *y = o->data;
        for (uint64_t i = 0; i < M; i++) {
            const float *row = x + i * K;
            float sc;
            int32_t zp;
            quantize_row(row, K, &sc, &zp);
            for (uint32_t j = 0; j < N; j++) {
                int64_t acc = 0;
                for (uint32_t k = 0; k < K; k++)
                    acc += (int64_t)(q_of(row[k], sc, zp) - zp) *
                           (int32_t)(tw ? wq[(uint64_t)k * N + j] : wq[(uint64_t)j * K + k]);
                float v = (float)acc * sc * w->scales[j] + (bias ? bias[j] : 0.0f);
                y[i * N + j] = clampf(v, n->out_min, n->out_max);
            }
        }
        return;
    }
    if (n->qfast) {
        pc_qconv q = n->qconv;
        q.geom.N = (int64_t)M;
        pc_qconv_run(c, &q, n->qpacked, a->data, o->data);
        return;
    }
    /* static int8: (x - zx) * (w - zw) (+ bias int32) -> requantized */
    pc_fc_s8 d = {(int64_t)M, N, K, tw ? 1 : K, tw ? N : 1, a->zero_point,
                  w->qkind == XQ_PER_TENSOR ? w->zero_point : 0, a->dtype == XDT_QUINT8, o->dtype == XDT_QUINT8};
    pc_fc_s8_run(&d, a->data, wq, b ? b->data : NULL, &n->rq, o->data);
}

static void run_convert(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]];
    xnn_value *o = &g->values[n->out];
    uint64_t total = numel_of(a->cur, a->ndims);
    if (is_f32(a) && (is_f32(o) || o->dtype == XDT_QDINT8)) { /* qdint8 rows are quantized by their consumer */
        if (o->data != a->data) memcpy(o->data, a->data, total * 4);
    } else if (is_f32(a)) { /* XNNPACK multiplies by the reciprocal scale (f32-qs8-vcvt) */
        int32_t lo = o->dtype == XDT_QINT8 ? -128 : 0, hi = o->dtype == XDT_QINT8 ? 127 : 255;
        pc_quantize_f32(c, total, a->data, o->scale, o->zero_point, lo, hi, o->data, o->dtype != XDT_QINT8);
    } else {
        pc_dequantize_f32(c, total, a->data, a->dtype != XDT_QINT8, a->zero_point, a->scale, o->data);
    }
}

static void run_conv(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
    const xnn_value *o = &g->values[n->out];
    if (is_f32(a)) {
        pc_conv2d d = n->conv;
        d.N = a->cur[0], d.H = a->cur[1], d.W = a->cur[2], d.OH = o->cur[1], d.OW = o->cur[2];
        pc_conv2d_f32_run(c, &d, n->packed, a->data, o->data);
        return;
    }
    if (n->qfast) {
        pc_qconv q = n->qconv;
        q.geom.N = a->cur[0], q.geom.H = a->cur[1], q.geom.W = a->cur[2], q.geom.OH = o->cur[1], q.geom.OW = o->cur[2];
        if (n->qfast == 2) pc_qdw_run(c, &q, n->qpacked, a->data, o->data);
        else pc_qconv_run(c, &q, n->qpacked, a->data, o->data);
        return;
    }
    const uint32_t *p = n->p;
    bool dwise = n->type == XN_DepthwiseConv2d;
    uint32_t KH = p[4], KW = p[5], gic = p[10];
    int64_t H = a->cur[1], W = a->cur[2], C = a->cur[3], OH = o->cur[1], OW = o->cur[2], OC = o->cur[3];
    pc_conv2d_s8 d = {a->cur[0], H, W, C, OC, OH, OW, KH, KW, p[6], p[7], p[8], p[9], p[0], p[3],
                      dwise ? C : p[12], dwise, {H * W * C, W * C, C, 1}, {OH * OW * OC, OW * OC, OC, 1},
                      {0, 0, 0, 0}, a->zero_point, w->qkind == XQ_PER_TENSOR ? w->zero_point : 0,
                      a->dtype == XDT_QUINT8, o->dtype == XDT_QUINT8};
    if (dwise) d.ws[0] = 1, d.ws[1] = (int64_t)KW * OC, d.ws[2] = OC, d.ws[3] = 0;
    else d.ws[0] = (int64_t)KH * KW * gic, d.ws[1] = (int64_t)KW * gic, d.ws[2] = gic, d.ws[3] = 1;
    pc_conv2d_s8_run(&d, a->data, w->data, b ? b->data : NULL, &n->rq, o->data);
}

static void run_pool(xnn_graph *g, const xnn_node *n) {
    pc_pool2d pd;
    uint32_t d[4];
    pt_err e;
    if (pool_dims(g, n, d, &pd, &e)) return; /* checked by shape_output */
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    if (!is_q8(a)) {
        pc_pool2d_f32(&pd, a->data, o->data, NULL);
    } else if (n->type == XN_GlobalAvgPooling2d) {
        pc_qmean m = n->qmean; /* the count follows the input's current size */
        pc_qmean_init(&m, a->scale, a->zero_point, o->scale, o->zero_point, pd.H * pd.W, n->qmean.lo, n->qmean.hi,
                      a->dtype == XDT_QUINT8);
        pc_gavgpool_q8(pd.N, pd.H * pd.W, pd.C, a->data, o->data, &m);
    } else {
        pc_maxpool2d_q8(&pd, a->data, o->data, a->dtype == XDT_QUINT8, n->qmean.lo, n->qmean.hi);
    }
}

/* copy through a permuted / sliced / padded view; generic N-d walk over the output */
static void run_layout(xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    uint32_t r = a->ndims;
    const uint32_t *d = o->cur;
    int64_t stride_in[XNN_MAX_DIMS], src_stride[XNN_MAX_DIMS], base = 0, pre[XNN_MAX_DIMS] = {0}, st = 1;
    for (int32_t k = (int32_t)r - 1; k >= 0; k--) stride_in[k] = st, st *= a->cur[k];
    for (uint32_t k = 0; k < r; k++) {
        if (n->type == XN_StaticTranspose) src_stride[k] = stride_in[n->list1[k]];
        else if (n->type == XN_StaticSlice) src_stride[k] = stride_in[k], base += (int64_t)n->list1[k] * stride_in[k];
        else src_stride[k] = stride_in[k], pre[k] = n->list1[k];
    }
    const float *x = a->data;
    float *y = o->data;
    if (n->type != XN_StaticConstantPad) { /* transposes and slices are strided views */
        int64_t sizes[XNN_MAX_DIMS];
        for (uint32_t k = 0; k < r; k++) sizes[k] = d[k];
        pc_transpose_f32((int32_t)r, sizes, src_stride, x + base, y);
        return;
    }
    uint64_t total = numel_of(d, r);
    uint32_t idx[XNN_MAX_DIMS] = {0};
    bool pad = n->type == XN_StaticConstantPad;
    for (uint64_t i = 0; i < total; i++) {
        int64_t off = base;
        bool inside = true;
        for (uint32_t k = 0; k < r; k++) {
            int64_t cdx = (int64_t)idx[k] - pre[k];
            if (cdx < 0 || cdx >= (pad ? (int64_t)a->cur[k] : (int64_t)d[k])) inside = false;
            off += cdx * src_stride[k];
        }
        y[i] = inside ? x[off] : n->fparam;
        for (int32_t k = (int32_t)r - 1; k >= 0; k--) {
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
    }
}

static void run_concat(xnn_graph *g, const xnn_node *n) {
    const xnn_value *o = &g->values[n->out];
    uint32_t axis = n->p[0], r = o->ndims;
    const uint64_t es = is_q8(o) ? 1 : 4; /* int8 inputs share the output's parameters: bytes are copied */
    uint64_t outer = numel_of(o->cur, axis), inner = numel_of(o->cur + axis + 1, r - axis - 1), at = 0;
    uint8_t *y = o->data;
    for (uint32_t k = 0; k < n->nin; k++) {
        const xnn_value *v = &g->values[n->in[k]];
        uint64_t row = (uint64_t)v->cur[axis] * inner;
        for (uint64_t i = 0; i < outer; i++)
            memcpy(y + (i * o->cur[axis] * inner + at) * es, (const uint8_t *)v->data + i * row * es, row * es);
        at += row;
    }
}

static void run_bmm(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]], *o = &g->values[n->out];
    uint32_t r = a->ndims, M = a->cur[r - 2], K = a->cur[r - 1], N = o->cur[r - 1];
    bool tb = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
    uint64_t batches = numel_of(a->cur, r - 2);
    pc_gemm_epi epi = {NULL, NULL, 1.0f, 0, n->out_min, n->out_max, NULL, PC_U_COPY};
    for (uint64_t i = 0; i < batches; i++)
        pc_gemm_f32_any(c, M, N, K, (const float *)a->data + i * M * K, K, (const float *)b->data + i * K * N,
                        tb ? 1 : N, tb ? K : 1, (float *)o->data + i * M * N, N, &epi);
}

static void run_node(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    switch (xnn_node_family(n->type)) {
    case XF_BINARY: run_binary(c, g, n); return;
    case XF_FC: run_fully_connected(c, g, n); return;
    case XF_CONVERT:
        if (n->has_lut) pc_lut8(c, numel_of(a->cur, a->ndims), a->data, n->lut, o->data);
        else run_convert(c, g, n);
        return;
    case XF_CONV: run_conv(c, g, n); return;
    case XF_POOL: run_pool(g, n); return;
    case XF_LAYOUT: run_layout(g, n); return;
    case XF_RESHAPE:
        if (o->data != a->data) memmove(o->data, a->data, numel_of(a->cur, a->ndims) * (is_q8(a) ? 1 : 4));
        return;
    case XF_CONCAT: run_concat(g, n); return;
    case XF_BMM: run_bmm(c, g, n); return;
    case XF_SOFTMAX: {
        uint32_t len = a->ndims ? a->cur[a->ndims - 1] : 1;
        uint64_t rows = len ? numel_of(a->cur, a->ndims) / len : 0;
        pc_softmax_f32(c, rows, len, a->data, o->data, 0, n->out_min, n->out_max);
        return;
    }
    case XF_UNARY:
        if (n->has_lut) pc_lut8(c, numel_of(a->cur, a->ndims), a->data, n->lut, o->data);
        else pc_vunary_f32(c, n->uop, numel_of(a->cur, a->ndims), a->data, o->data, &n->up);
        return;
    default: return;
    }
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

/* Packed weights through the program's cache; constants widened per instance (fp16 / bf16) are
 * packed privately instead, so the cache only ever holds entries for the file's own bytes. */
static const float *packed_weights(xnn_graph *g, xnn_node *n, const xnn_value *w, const pt_backend_init *in,
                                   const void *desc, size_t desc_len, size_t size, pt_fill_fn fill, const void *arg,
                                   pt_backend_info *info, pt_err *e) {
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
    const float *p = in->cache->get(in->cache->owner, w->constant, (size_t)(numel_of(w->dims, w->ndims) * xnn_dtype_bytes(w->dtype)), desc,
                                    desc_len, size, fill, arg, &charged, e);
    info->shared_bytes += charged;
    return p;
}


/* int8 dense convolution and fully connected with int8 activations, zero-point-0 int8 weights and
 * constant weights and bias take the compute layer's int8 GEMM (weights packed once); anything else
 * (uint8, weight zero points, depthwise, a reduction too deep for int32) the reference loops. */
static petite_status prepare_qfast(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info,
                                   pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2), *o = &g->values[n->out];
    const bool conv = xnn_node_family(n->type) == XF_CONV, dwise = n->type == XN_DepthwiseConv2d;
    if (a->dtype != XDT_QINT8 || o->dtype != XDT_QINT8 || !w->constant ||
        (b && !b->constant) || (w->qkind == XQ_PER_TENSOR && w->zero_point != 0) ||
        (w->dtype != XDT_QCINT8 && w->dtype != XDT_QINT8) || (conv ? w->ndims != 4 : w->ndims != 2))
        return PETITE_OK;
    pc_qconv *d = &n->qconv;
    memset(d, 0, sizeof *d);
    pc_conv2d *gm = &d->geom;
    pc_qweights wt = {w->constant, 0, 0, 0, 0, b ? b->constant : NULL, n->rq_scales};
    gm->layout = PC_NHWC;
    if (conv) {
        const uint32_t *p = n->p;
        gm->N = a->cur[0], gm->H = a->cur[1], gm->W = a->cur[2], gm->C = a->cur[3];
        gm->OC = o->cur[3], gm->OH = o->cur[1], gm->OW = o->cur[2];
        gm->KH = p[4], gm->KW = p[5], gm->sh = p[6], gm->sw = p[7], gm->dh = p[8], gm->dw = p[9], gm->pt = p[0], gm->pl = p[3];
        gm->groups = dwise ? gm->C : p[12];
        int64_t gic = p[10];
        if (dwise) wt.so = 1, wt.skh = gm->KW * gm->OC, wt.skw = gm->OC, wt.si = 0;
        else wt.so = gm->KH * gm->KW * gic, wt.skh = gm->KW * gic, wt.skw = gic, wt.si = 1;
    } else {
        bool tw = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
        uint32_t N = tw ? w->dims[1] : w->dims[0], K = tw ? w->dims[0] : w->dims[1];
        gm->N = K ? (int64_t)(numel_of(a->cur, a->ndims) / K) : 0, gm->H = gm->W = gm->OH = gm->OW = 1;
        gm->C = K, gm->OC = N, gm->KH = gm->KW = gm->sh = gm->sw = gm->dh = gm->dw = 1, gm->groups = 1;
        wt.so = tw ? 1 : K, wt.si = tw ? N : 1;
    }
    d->x_zero_point = a->zero_point, d->y_zero_point = o->zero_point, d->lo = n->rq.lo, d->hi = n->rq.hi;
    if (dwise ? !pc_qdw_setup(d, g->isa, &wt) : !pc_qconv_setup(d, g->isa, &wt)) return PETITE_OK;
    pc_qconv_pack_args arg = {d, wt};
    struct { char tag[4]; int32_t isa, vnni, xz; float a_scale, o_scale, w_scale; int64_t C, OC, KH, KW, groups; const void *bias, *scales; } desc;
    memset(&desc, 0, sizeof desc);
    memcpy(desc.tag, dwise ? "q8d" : "q8c", 4);
    desc.isa = (int32_t)g->isa, desc.vnni = d->vnni, desc.xz = d->x_zero_point;
    desc.a_scale = a->scale, desc.o_scale = o->scale, desc.w_scale = w->qkind == XQ_PER_CHANNEL ? 0.0f : w->scale;
    desc.C = gm->C, desc.OC = gm->OC, desc.KH = gm->KH, desc.KW = gm->KW, desc.groups = gm->groups;
    desc.bias = wt.bias, desc.scales = w->qkind == XQ_PER_CHANNEL ? (const void *)w->scales : NULL;
    /* the panel holds the requantization scales: the key carries what they are made of */
    n->qpacked = dwise ? packed_weights(g, n, w, in, &desc, sizeof desc, pc_qdw_packed_bytes(d), pc_qdw_pack_fill, &arg, info, e)
                       : packed_weights(g, n, w, in, &desc, sizeof desc, pc_qconv_packed_bytes(d), pc_qconv_pack_fill, &arg, info, e);
    if (!n->qpacked) return e->status;
    n->qfast = dwise ? 2 : 1;
    size_t sc = dwise ? pc_qdw_scratch(d) : pc_qconv_scratch(d);
    if (sc > info->scratch) info->scratch = sc;
    return PETITE_OK;
}

static petite_status prepare_node(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info,
                                  pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    int family = xnn_node_family(n->type);
    if (family == XF_FC || family == XF_CONV) {
        const xnn_value *w = &g->values[n->in[1]];
        /* int8: one requantization scale per output channel */
        if (!is_f32(a) && a->dtype != XDT_QDINT8 && is_q8(o)) {
            uint32_t OC = family == XF_CONV ? (n->type == XN_DepthwiseConv2d ? w->dims[3] : w->dims[0])
                                            : ((n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS) ? w->dims[1] : w->dims[0]);
            n->rq_scales = pt_malloc((OC ? OC : 1) * sizeof(float));
            if (!n->rq_scales) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
            g->memory_bytes += (OC ? OC : 1) * sizeof(float);
            for (uint32_t oc = 0; oc < OC; oc++)
                n->rq_scales[oc] = a->scale * (w->qkind == XQ_PER_CHANNEL ? w->scales[oc] : w->scale) / o->scale;
            int32_t lo, hi;
            q8_bounds(o, n->out_min, n->out_max, &lo, &hi);
            pc_requant rq = {PC_REQ_FP32, n->rq_scales, NULL, NULL, 1, o->zero_point, lo, hi};
            n->rq = rq;
            petite_status qs = prepare_qfast(g, n, in, info, e);
            if (qs) return qs;
        }
    }
    if ((family == XF_POOL || family == XF_UNARY) && is_q8(a)) {
        int32_t lo, hi;
        q8_bounds(o, n->out_min, n->out_max, &lo, &hi);
        n->qmean.lo = lo, n->qmean.hi = hi; /* the pools' clamp (the mean's scales follow at run time) */
        if (family == XF_UNARY) {
            /* XNNPACK's reference for a quantized unary function: y = round(f((x - zx) * sx) / sy + zy),
             * saturated (NaN: 0); f is petite's fp32 kernel for the node (its float clamp included).
             * With a folded Multiply(x, f(x)), y is f's own output (mid) and the table then holds the
             * int8 product of x and y, computed by the Multiply's own kernel. */
            const xnn_value *ov = o;
            if (n->q8_mul) o = &g->values[n->q8_mid];
            float xs[256], ys[256];
            for (int v = 0; v < 256; v++) {
                const int32_t q = a->dtype == XDT_QUINT8 ? v : (int32_t)(int8_t)(uint8_t)v;
                xs[v] = ((float)q - (float)a->zero_point) * a->scale;
            }
            const pc_ctx one = {NULL, NULL, 0, g->isa};
            pc_vunary_f32(&one, n->uop, 256, xs, ys, &n->up);
            const float inv = 1.0f / o->scale, tlo = a->dtype == XDT_QUINT8 ? 0.0f : -128.0f,
                        thi = a->dtype == XDT_QUINT8 ? 255.0f : 127.0f;
            for (int v = 0; v < 256; v++) {
                float f = ys[v] * inv;
                f = f + (float)o->zero_point;
                f = isnan(f) ? 0.0f : nearbyintf(f);
                f = f < tlo ? tlo : f > thi ? thi : f;
                n->lut[v] = (uint8_t)(int32_t)f;
            }
            if (n->q8_mul) {
                int32_t mlo, mhi;
                q8_bounds(ov, n->mul_min, n->mul_max, &mlo, &mhi);
                if (!pc_qmul_init(&n->qb, a->scale, a->zero_point, o->scale, o->zero_point, ov->scale, ov->zero_point, mlo,
                                  mhi, a->dtype == XDT_QUINT8))
                    return pt_fail(e, PETITE_ERR_NOT_SUPPORTED,
                                   "quantized Multiply with input scales %g, %g and output scale %g: XNNPACK refuses "
                                   "these (input scale x input scale / output scale must lie in [2^-16, 2^8))",
                                   (double)a->scale, (double)o->scale, (double)ov->scale);
                uint8_t bytes[256], mid[256];
                for (int v = 0; v < 256; v++) bytes[v] = (uint8_t)v;
                memcpy(mid, n->lut, sizeof mid);
                const int64_t len[1] = {256}, unit[1] = {1};
                pc_qbinary_run(&one, &n->qb, 1, len, bytes, unit, mid, unit, n->lut, unit);
            }
            o = ov;
            n->has_lut = 1;
        }
    }
    if (family == XF_BINARY && is_q8(a)) {
        const xnn_value *b = &g->values[n->in[1]];
        int32_t lo, hi;
        q8_bounds(o, n->out_min, n->out_max, &lo, &hi);
        const int uns = a->dtype == XDT_QUINT8;
        bool ok = n->type == XN_Add
                      ? pc_qadd_init(&n->qb, a->scale, a->zero_point, b->scale, b->zero_point, o->scale, o->zero_point, lo, hi, uns)
                      : pc_qmul_init(&n->qb, a->scale, a->zero_point, b->scale, b->zero_point, o->scale, o->zero_point, lo, hi, uns);
        if (!ok)
            return pt_fail(e, PETITE_ERR_NOT_SUPPORTED,
                           "quantized %s with input scales %g, %g and output scale %g: XNNPACK refuses these (%s)",
                           xnn_node_name(n->type), (double)a->scale, (double)b->scale, (double)o->scale,
                           n->type == XN_Add ? "each input scale / output scale must lie in [2^-10, 2^8)"
                                             : "input scale x input scale / output scale must lie in [2^-16, 2^8)");
    }
    if (family == XF_FC && is_f32(a)) {
        const xnn_value *w = &g->values[n->in[1]];
        bool tw = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
        uint32_t N = tw ? w->dims[1] : w->dims[0], K = tw ? w->dims[0] : w->dims[1];
        if (w->constant) {
            /* B(k, n) = W[n][k] (or W[k][n] with transposed weights) */
            pc_gemm_pack_args arg = {g->isa, K, N, w->constant, tw ? N : 1, tw ? 1 : K};
            struct { char tag[4]; int32_t isa; uint32_t N, K; int32_t t; } desc = {"fc", (int32_t)g->isa, N, K, tw};
            size_t size = pc_gemm_f32_packed_floats(g->isa, K, N) * sizeof(float);
            n->packed = packed_weights(g, n, w, in, &desc, sizeof desc, size, pc_gemm_f32_pack_fill, &arg, info, e);
            if (!n->packed) return e->status;
        } else {
            size_t sc = pc_gemm_f32_any_scratch(g->isa, K, N);
            if (sc > info->scratch) info->scratch = sc;
        }
        uint64_t M = K ? numel_of(a->cur, a->ndims) / K : 0;
        n->flops = 2.0 * (double)M * N * K;
    }
    if (family == XF_CONV) {
        const xnn_value *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
        const uint32_t *p = n->p;
        n->flops = 2.0 * (double)numel_of(o->cur, 4) * p[4] * p[5] * (n->type == XN_DepthwiseConv2d ? 1 : p[10]);
        if (is_f32(a)) {
            pc_conv2d *d = &n->conv;
            memset(d, 0, sizeof *d);
            bool dwise = n->type == XN_DepthwiseConv2d;
            d->layout = PC_NHWC;
            d->N = a->cur[0], d->H = a->cur[1], d->W = a->cur[2], d->C = a->cur[3];
            d->OC = o->cur[3], d->OH = o->cur[1], d->OW = o->cur[2];
            d->KH = p[4], d->KW = p[5], d->sh = p[6], d->sw = p[7], d->dh = p[8], d->dw = p[9], d->pt = p[0], d->pl = p[3];
            d->groups = dwise ? d->C : p[12];
            d->lo = n->out_min, d->hi = n->out_max;
            d->has_act = n->has_act, d->act = n->uop, d->act_params = n->up;
            pc_conv2d_f32_setup(d, g->isa);
            int64_t gic = dwise ? 1 : p[10];
            pc_conv2d_pack_args arg = {d, {w->constant, dwise ? 1 : (int64_t)p[4] * p[5] * gic, dwise ? 0 : 1,
                                     dwise ? (int64_t)p[5] * d->OC : (int64_t)p[5] * gic, dwise ? d->OC : gic,
                                     b ? b->constant : NULL, NULL}};
            struct { char tag[4]; int32_t isa, kind, layout; int64_t C, OC, KH, KW, groups; const void *bias; } desc;
            memset(&desc, 0, sizeof desc);
            memcpy(desc.tag, "cnv", 4);
            desc.isa = (int32_t)g->isa, desc.kind = (int32_t)d->kind, desc.layout = (int32_t)d->layout;
            desc.C = d->C, desc.OC = d->OC, desc.KH = d->KH, desc.KW = d->KW, desc.groups = d->groups;
            desc.bias = arg.w.bias;
            size_t size = pc_conv2d_f32_packed_floats(d) * sizeof(float);
            n->packed = packed_weights(g, n, w, in, &desc, sizeof desc, size, pc_conv2d_f32_pack_fill, &arg, info, e);
            if (!n->packed) return e->status;
            size_t sc = pc_conv2d_f32_scratch(d);
            if (sc > info->scratch) info->scratch = sc;
        }
    }
    if (family == XF_BMM) {
        const xnn_value *b = &g->values[n->in[1]];
        uint32_t r = a->ndims, K = a->cur[r - 1], N = o->cur[r - 1];
        (void)b;
        size_t sc = pc_gemm_f32_any_scratch(g->isa, K, N);
        if (sc > info->scratch) info->scratch = sc;
        n->flops = 2.0 * (double)numel_of(a->cur, r) * N;
    }
    return PETITE_OK;
}

/* ---- fusion: activations into the node that produces their input ---- */

/* How many node inputs read value v (external outputs count as one more). */
static uint32_t readers(const xnn_graph *g, uint32_t v) {
    uint32_t r = (g->values[v].flags & 2) ? 1 : 0;
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const xnn_node *n = &g->nodes[i];
        if (n->skip) continue;
        for (uint32_t k = 0; k < n->nin; k++) r += n->in[k] == v;
    }
    return r;
}

static int producer(const xnn_graph *g, uint32_t v, uint32_t before) {
    for (uint32_t i = before; i-- > 0;)
        if (!g->nodes[i].skip && g->nodes[i].out == v) return (int)i;
    return -1;
}

static bool same_dims(const xnn_value *a, const xnn_value *b) {
    if (a->ndims != b->ndims) return false;
    for (uint32_t d = 0; d < a->ndims; d++)
        if (a->dims[d] != b->dims[d]) return false;
    return true;
}

/* Sigmoid(x) then Multiply(x, that) is SiLU; a unary activation whose input only a fp32 convolution
 * or fully connected node writes becomes that node's epilogue (computed on each finished tile,
 * saving a pass over memory). Fused nodes are skipped and the producer writes their output. */
/* The one node after `after` that reads v (-1: none, or more than one input slot of it). */
static int reader_after(const xnn_graph *g, uint32_t v, uint32_t after) {
    for (uint32_t j = after + 1; j < g->nnodes; j++) {
        const xnn_node *n = &g->nodes[j];
        if (n->skip) continue;
        for (uint32_t k = 0; k < n->nin; k++)
            if (n->in[k] == v) return (int)j;
    }
    return -1;
}

/* int8 -> fp32 Convert, element-wise fp32 nodes (SiLU, Sigmoid, HardSwish, Tanh, clamps, ...), fp32
 * -> int8 Convert: a function of one byte, so a 256-entry table, computed at load by the very kernels
 * the three steps would run (pc_dequantize_f32, pc_vunary_f32, pc_quantize_f32 on this ISA; they work
 * element by element, so an element's result does not depend on where it sits). */
static void fuse_tables(xnn_graph *g) {
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *a = &g->nodes[i];
        if (a->skip || xnn_node_family(a->type) != XF_CONVERT) continue;
        const xnn_value *qin = &g->values[a->in[0]];
        if (!is_q8(qin) || !is_f32(&g->values[a->out])) continue;
        uint32_t chain[32], nchain = 0, cur = a->out;
        int end = -1;
        while (end < 0) {
            if ((g->values[cur].flags & 3) || readers(g, cur) != 1) break;
            int r = reader_after(g, cur, nchain ? chain[nchain - 1] : i);
            if (r < 0) break;
            xnn_node *u = &g->nodes[r];
            const xnn_value *uo = &g->values[u->out];
            if (xnn_node_family(u->type) == XF_CONVERT && nchain > 0 && is_q8(uo)) end = r;
            else if (xnn_node_family(u->type) == XF_UNARY && u->in[0] == cur && is_f32(uo) && nchain < 32 &&
                     same_dims(&g->values[cur], uo))
                chain[nchain++] = (uint32_t)r, cur = u->out;
            else break;
        }
        if (end < 0) continue;
        xnn_node *b = &g->nodes[end];
        const xnn_value *qout = &g->values[b->out];
        const pc_ctx one = {NULL, NULL, 0, g->isa};
        uint8_t bytes[256];
        float f[2][256];
        for (int v = 0; v < 256; v++) bytes[v] = (uint8_t)v; /* for int8, the value with that bit pattern */
        pc_dequantize_f32(&one, 256, bytes, qin->dtype != XDT_QINT8, qin->zero_point, qin->scale, f[0]);
        for (uint32_t k = 0; k < nchain; k++) {
            const xnn_node *u = &g->nodes[chain[k]];
            pc_vunary_f32(&one, u->uop, 256, f[k & 1], f[(k + 1) & 1], &u->up);
        }
        const int32_t lo = qout->dtype == XDT_QINT8 ? -128 : 0, hi = qout->dtype == XDT_QINT8 ? 127 : 255;
        pc_quantize_f32(&one, 256, f[nchain & 1], qout->scale, qout->zero_point, lo, hi, a->lut, qout->dtype != XDT_QINT8);
        a->has_lut = 1;
        a->out = b->out;
        for (uint32_t k = 0; k < nchain; k++) g->nodes[chain[k]].skip = 1;
        b->skip = 1;
    }
}

/* Unary nodes: the compute layer's operation and parameters (output clamp included). */
static void unary_ops(xnn_graph *g) {
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *n = &g->nodes[i];
        if (xnn_node_family(n->type) != XF_UNARY) continue;
        n->uop = (pc_unary_op)xnn_node_arg(n->type);
        n->up = pc_unary_defaults();
        n->up.lo = n->out_min, n->up.hi = n->out_max;
        if (n->type == XN_LeakyReLU) n->up.slope = n->fparam;
        if (n->type == XN_ELU) n->up.alpha = n->fparam;
    }
}

static void fuse(xnn_graph *g) {
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *s = &g->nodes[i];
        if (s->skip || s->type != XN_Sigmoid || s->out_min > -INFINITY || s->out_max < INFINITY) continue;
        uint32_t x = s->in[0], t = s->out;
        if (!is_f32(&g->values[x]) || (g->values[t].flags & 3) || readers(g, t) != 1) continue;
        for (uint32_t j = i + 1; j < g->nnodes; j++) {
            xnn_node *m = &g->nodes[j];
            if (m->skip || m->type != XN_Multiply) continue;
            if (!((m->in[0] == x && m->in[1] == t) || (m->in[0] == t && m->in[1] == x))) continue;
            if (!same_dims(&g->values[x], &g->values[m->out])) break;
            s->uop = PC_U_SILU, s->up.lo = m->out_min, s->up.hi = m->out_max;
            s->out = m->out;
            m->skip = 1;
            break;
        }
    }
    /* int8: f(x) then x * f(x) is a function of x alone: the Multiply folds into f's table */
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *f = &g->nodes[i];
        if (f->skip || xnn_node_family(f->type) != XF_UNARY) continue;
        uint32_t x = f->in[0], t = f->out;
        if (!is_q8(&g->values[x]) || !is_q8(&g->values[t]) || (g->values[t].flags & 3) || readers(g, t) != 1) continue;
        int r = reader_after(g, t, i);
        if (r < 0) continue;
        xnn_node *m = &g->nodes[r];
        if (m->type != XN_Multiply || !((m->in[0] == x && m->in[1] == t) || (m->in[0] == t && m->in[1] == x)) ||
            !is_q8(&g->values[m->out]) || !same_dims(&g->values[x], &g->values[m->out]))
            continue;
        f->q8_mul = 1, f->q8_mid = t, f->mul_min = m->out_min, f->mul_max = m->out_max;
        f->out = m->out;
        m->skip = 1;
    }
    if (!getenv("PETITE_XNN_NO_TABLES")) fuse_tables(g);
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *u = &g->nodes[i];
        if (u->skip || xnn_node_family(u->type) != XF_UNARY) continue;
        uint32_t x = u->in[0];
        int pi = producer(g, x, i);
        if (pi < 0) continue;
        xnn_node *p = &g->nodes[pi];
        int pf = xnn_node_family(p->type);
        bool fp32 = is_f32(&g->values[p->in[0]]) && is_f32(&g->values[x]);
        if ((pf != XF_CONV && pf != XF_FC) || !fp32 || p->has_act || (g->values[x].flags & 3)) continue;
        if (pf == XF_FC && g->values[p->in[1]].dtype != XDT_FP32) continue;
        /* the uses of x (the SiLU's input counts twice: Sigmoid and Multiply read it) */
        uint32_t uses = readers(g, x);
        bool silu_pair = u->uop == PC_U_SILU; /* its Multiply, now skipped, read x too */
        if (uses != 1 || !same_dims(&g->values[x], &g->values[u->out])) continue;
        (void)silu_pair;
        p->has_act = 1, p->uop = u->uop, p->up = u->up;
        p->out = u->out;
        u->skip = 1;
    }
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

static petite_status backend_init(const pt_backend_init *in, void **handle, pt_backend_info *info, pt_err *e) {
    xnn_graph *g;
    petite_status s = xnn_parse(in, &g, e);
    if (s) return s;
    memset(info, 0, sizeof *info);
    g->isa = in->isa;
    g->memory_bytes = (uint64_t)g->nvalues * sizeof(xnn_value) + (uint64_t)g->nnodes * sizeof(xnn_node);
    for (uint32_t i = 0; i < g->nnodes && !s; i++)
        if ((s = check_node(g, &g->nodes[i], e))) pt_prefix(e, "xnodes[%u] (%s)", i, xnn_node_name(g->nodes[i].type));
    if (!s) unary_ops(g);
    if (!s && !getenv("PETITE_XNN_NO_FUSION")) fuse(g); /* the variable: a diagnostic (every node runs as written) */
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
    if (!s && g->arena_size && !(g->arena = pt_aligned_alloc((size_t)g->arena_size)))
        s = pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for %llu bytes of XNNPACK values",
                    (unsigned long long)g->arena_size);
    g->memory_bytes += g->arena_size;
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
    for (uint32_t i = 0; i < g->nvalues; i++) {
        if (g->values[i].owned_scales) g->memory_bytes += g->values[i].num_scales * sizeof(float);
        if (g->values[i].wide) g->memory_bytes += numel_of(g->values[i].dims, g->values[i].ndims) * sizeof(float);
        if (g->values[i].own) g->memory_bytes += g->values[i].const_bytes;
    }
    /* the graph, the constants and the weights are all copied, packed or folded by now: nothing
     * reads the blob again, and its pages go back to the OS */
    if (in->cache && in->cache->release) in->cache->release(in->cache->owner, in->blob, (size_t)in->size);
    info->memory_bytes = g->memory_bytes;
    info->nodes = g->nnodes;
    *handle = g;
    return PETITE_OK;
}

/* ---- execute ---- */

static petite_status backend_execute(void *h, const pc_ctx *c, pt_value **args, size_t nargs, pt_err *e) {
    xnn_graph *g = h;
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
    if (xnn_node_family(n->type) == XF_CONV && n->p[4] * n->p[5] > 1 && k + 8 < sizeof st->detail)
        snprintf(st->detail + strlen(st->detail), sizeof st->detail - strlen(st->detail), " k%ux%u s%u", n->p[4], n->p[5], n->p[6]);
    if (n->has_act || (xnn_node_family(n->type) == XF_UNARY && n->uop == PC_U_SILU))
        snprintf(st->detail + strlen(st->detail), sizeof st->detail - strlen(st->detail), " +%s",
                 n->uop == PC_U_SILU ? "SiLU" : "act");
    st->flops = n->flops;
    st->ns = n->skip ? 0 : n->ns;
}

const pt_backend pt_xnnpack_backend = {"XnnpackBackend", backend_init, backend_execute, backend_destroy,
                                       backend_profile, backend_node_stat};
