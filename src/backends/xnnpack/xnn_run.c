/* xnn_run.c — execute an xnn_graph: external values bound to the DelegateCall's tensors (dims in
 * dim-order, as the official executor passes them), shapes propagated node by node, outputs
 * resized, each node run on portable C kernels with XNNPACK's semantics (NHWC, fused clamps,
 * fp32 requantization of int8 results). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/xnnpack/xnn.h"
#include "core/dtype.h"
#include "kernels/gemm.h"

#define XNN_FLAG_TRANSPOSE_WEIGHTS 0x1u

static uint64_t numel_of(const uint32_t *d, uint32_t n) {
    uint64_t x = 1;
    for (uint32_t i = 0; i < n; i++) x *= d[i];
    return x;
}

static size_t elem_size(int32_t dt) {
    switch (dt) {
    /* qdint8 values are kept as fp32 rows: their consumer quantizes each row itself */
    case XDT_FP32: case XDT_QINT32: case XDT_QCINT32: case XDT_INT32: case XDT_QDINT8: return 4;
    case XDT_FP16: case XDT_BF16: return 2;
    default: return 1;
    }
}

/* ---- which node/dtype combinations run ---- */

int xnn_node_supported(int t) {
    switch (t) {
    case XN_ARGMAX_POOLING2D: case XN_SCALED_DOT_PRODUCT_ATTENTION: case XN_CONV_TRANSPOSE2D:
    case XN_STATIC_RESIZE_BILINEAR2D: case XN_NONE:
        return 0;
    default:
        return t > 0 && t < XN_COUNT;
    }
}

static bool is_f32(const xnn_value *v) { return v->dtype == XDT_FP32; }
static bool is_q8(const xnn_value *v) { return (v->dtype == XDT_QINT8 || v->dtype == XDT_QUINT8) && v->qkind == XQ_PER_TENSOR; }

static petite_status check_node(const xnn_graph *g, const xnn_node *n, pt_err *e) {
    const xnn_value *out = &g->values[n->out];
    const xnn_value *a = &g->values[n->in[0]];
    bool ok;
    switch (n->type) {
    case XN_CONVERT:
        ok = (is_f32(a) && (is_q8(out) || out->dtype == XDT_QDINT8)) || (is_q8(a) && is_f32(out)) ||
             (is_f32(a) && is_f32(out));
        break;
    case XN_FULLY_CONNECTED: {
        const xnn_value *w = &g->values[n->in[1]];
        const xnn_value *b = n->in[2] == XNN_INVALID_ID ? NULL : &g->values[n->in[2]];
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
        break;
    }
    case XN_CONV2D:
    case XN_DEPTHWISE_CONV2D: {
        const xnn_value *w = &g->values[n->in[1]];
        const xnn_value *b = n->in[2] == XNN_INVALID_ID ? NULL : &g->values[n->in[2]];
        bool wq = (w->dtype == XDT_QCINT8 && w->qkind == XQ_PER_CHANNEL) || (w->dtype == XDT_QINT8 && w->qkind == XQ_PER_TENSOR);
        bool q = is_q8(a) && wq && is_q8(out) && a->dtype == out->dtype &&
                 (!b || b->dtype == XDT_QCINT32 || b->dtype == XDT_QINT32);
        bool f = is_f32(a) && is_f32(w) && is_f32(out) && (!b || is_f32(b));
        ok = f || q;
        break;
    }
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

/* ---- init / destroy (the pt_backend interface) ---- */

static petite_status backend_init(const pt_backend_init *in, void **handle, pt_err *e) {
    xnn_graph *g;
    petite_status s = xnn_parse(in, &g, e);
    if (s) return s;
    for (uint32_t i = 0; i < g->nnodes; i++)
        if ((s = check_node(g, &g->nodes[i], e))) {
            pt_prefix(e, "xnodes[%u]", i);
            xnn_free(g);
            return s;
        }
    /* prepack fp32 filters once: FullyConnected [N, K] and 1x1 stride-1 unpadded Conv2d [OC, 1, 1, IC]
     * become [K, N] so every run multiplies with the contiguous, vectorizable GEMM */
    for (uint32_t i = 0; i < g->nnodes; i++) {
        xnn_node *n = &g->nodes[i];
        const xnn_value *w = &g->values[n->in[1]];
        bool fc = n->type == XN_FULLY_CONNECTED && !(n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS);
        bool pw = n->type == XN_CONV2D && n->p[4] == 1 && n->p[5] == 1 && n->p[6] == 1 && n->p[7] == 1 &&
                  !n->p[0] && !n->p[1] && !n->p[2] && !n->p[3] && n->p[12] == 1;
        if (!(fc || pw) || !is_f32(w) || !w->constant || !is_f32(&g->values[n->in[0]])) continue;
        uint32_t N = w->dims[0], K = fc ? w->dims[1] : w->dims[3];
        if ((uint64_t)N * K != numel_of(w->dims, w->ndims)) continue;
        size_t count = (size_t)N * K;
        n->packed = malloc((count > 0 ? count : 1) * sizeof(float));
        if (!n->packed) {
            xnn_free(g);
            return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory to prepack a filter");
        }
        const float *src = w->constant;
        for (uint32_t j = 0; j < N; j++)
            for (uint32_t k = 0; k < K; k++) n->packed[(size_t)k * N + j] = src[(size_t)j * K + k];
    }
    /* internal buffers at their serialized sizes (grown only if a dynamic shape needs more) */
    uint64_t total = 0;
    for (uint32_t i = 0; i < g->nvalues; i++) {
        xnn_value *v = &g->values[i];
        if (v->constant || v->external_id != XNN_INVALID_ID) continue;
        size_t need = (size_t)numel_of(v->dims, v->ndims) * elem_size(v->dtype);
        total += need;
        if (in->memory_limit && total > in->memory_limit) {
            xnn_free(g);
            return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES, "XNNPACK values need more than the %llu-byte memory limit",
                           (unsigned long long)in->memory_limit);
        }
        v->cap = need ? need : 1;
        v->buf = malloc(v->cap);
        if (!v->buf) {
            xnn_free(g);
            return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for XNNPACK value %u", i);
        }
        v->data = v->buf;
    }
    g->memory_limit = in->memory_limit;
    g->memory_used = total;
    *handle = g;
    return PETITE_OK;
}

static petite_status backend_execute(void *h, pt_value **args, size_t nargs, pt_err *e) {
    return xnn_execute(h, args, nargs, e);
}

static void backend_destroy(void *h) { xnn_free(h); }

const pt_backend pt_xnnpack_backend = {"XnnpackBackend", backend_init, backend_execute, backend_destroy};

/* ---- helpers ---- */

static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* an fp32 staging buffer for a narrow (fp16/bf16) external value */
static petite_status stage(xnn_value *v, size_t numel, pt_err *e) {
    if (numel > v->wide_cap) {
        float *grown = realloc(v->wide, (numel ? numel : 1) * sizeof(float));
        if (!grown) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for an fp16 staging buffer");
        v->wide = grown;
        v->wide_cap = numel;
    }
    v->data = v->wide;
    return PETITE_OK;
}

/* give value v dims `d` (count n) and memory for them */
static petite_status shape_value(xnn_graph *g, uint32_t vid, const uint32_t *d, uint32_t n, pt_value **args,
                                 pt_err *e) {
    xnn_value *v = &g->values[vid];
    if (n > XNN_MAX_DIMS) return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "too many dims");
    uint64_t numel = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (d[i] && numel > (1ull << 40) / d[i])
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "value %u: dims too large", vid);
        numel *= d[i];
    }
    v->ndims = n;
    memcpy(v->cur, d, n * sizeof *d);
    size_t need = (size_t)numel * elem_size(v->dtype);
    if (v->external_id != XNN_INVALID_ID) {
        pt_tensor *t = args[v->external_id]->u.t;
        if (t->rank != (int32_t)n)
            return pt_fail(e, PETITE_ERR_INVALID_PROGRAM, "output %u has rank %d, the graph computes %u dims",
                           v->external_id, (int)t->rank, n);
        int64_t sizes[PETITE_MAX_RANK];
        for (uint32_t j = 0; j < n; j++) sizes[t->dim_order[j]] = d[j];
        petite_status s = pt_tensor_resize(t, t->rank, sizes, e);
        if (s) return pt_prefix(e, "delegate output %u", v->external_id);
        if (v->narrow) return stage(v, (size_t)numel, e); /* converted to the tensor after the run */
        v->data = t->data;
        return PETITE_OK;
    }
    if (need > v->cap) {
        if (g->memory_limit && g->memory_used + (need - v->cap) > g->memory_limit)
            return pt_fail(e, PETITE_ERR_OUT_OF_RESOURCES, "value %u: %zu bytes exceed the memory limit", vid, need);
        void *grown = realloc(v->buf, need);
        if (!grown) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory for value %u", vid);
        g->memory_used += need - v->cap;
        v->buf = grown;
        v->cap = need;
    }
    v->data = v->buf;
    return PETITE_OK;
}

/* ---- node kernels (fp32 unless noted) ---- */

static inline int32_t requant(int64_t acc, float scale, int32_t zp, int32_t lo, int32_t hi);
static void q8_bounds(const xnn_value *out, float out_min, float out_max, int32_t *lo, int32_t *hi);
static int32_t q8_load(const xnn_value *v, uint64_t i);

static float unary(int type, float x, float p) {
    switch (type) {
    case XN_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case XN_TANH: return tanhf(x);
    case XN_FLOOR: return floorf(x);
    case XN_CEILING: return ceilf(x);
    case XN_SQUARE_ROOT: return sqrtf(x);
    case XN_RECIPROCAL_SQUARE_ROOT: return 1.0f / sqrtf(x);
    case XN_HARDSWISH: return x * clampf(x + 3.0f, 0.0f, 6.0f) / 6.0f;
    case XN_LEAKY_RELU: return x >= 0 ? x : x * p;
    case XN_ELU: return x > 0 ? x : p * expm1f(x);
    case XN_NEGATE: return -x;
    case XN_SQUARE: return x * x;
    case XN_ABS: return fabsf(x);
    case XN_LOG: return logf(x);
    case XN_EXP: return expf(x);
    case XN_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case XN_SIN: return sinf(x);
    case XN_COS: return cosf(x);
    default: return x; /* Clamp, Copy, Convert fp32->fp32 */
    }
}

static float binary(int type, float a, float b) {
    switch (type) {
    case XN_ADD: return a + b;
    case XN_SUBTRACT: return a - b;
    case XN_MULTIPLY: return a * b;
    case XN_DIV: return a / b;
    case XN_MINIMUM: return a < b ? a : b;
    case XN_MAXIMUM: return a > b ? a : b;
    default: return a > 0 ? a : a * b; /* PReLU */
    }
}

static petite_status run_binary(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]];
    uint32_t r = a->ndims > b->ndims ? a->ndims : b->ndims, d[XNN_MAX_DIMS];
    int64_t sa[XNN_MAX_DIMS], sb[XNN_MAX_DIMS];
    if (n->type == XN_PRELU) r = a->ndims;
    for (uint32_t k = 0; k < r; k++) {
        int32_t ia = (int32_t)k - (int32_t)(r - a->ndims), ib = (int32_t)k - (int32_t)(r - b->ndims);
        uint32_t x = ia >= 0 ? a->cur[ia] : 1, y = ib >= 0 ? b->cur[ib] : 1;
        if (x != y && x != 1 && y != 1)
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: dims %u and %u do not broadcast", xnn_node_name(n->type), x, y);
        d[k] = x == 1 ? y : x;
    }
    petite_status s = shape_value(g, n->out, d, r, args, e);
    if (s) return s;
    /* element strides with 0 for broadcast dims */
    int64_t st = 1, stb = 1;
    for (int32_t k = (int32_t)r - 1; k >= 0; k--) {
        int32_t ia = k - (int32_t)(r - a->ndims), ib = k - (int32_t)(r - b->ndims);
        uint32_t x = ia >= 0 ? a->cur[ia] : 1, y = ib >= 0 ? b->cur[ib] : 1;
        sa[k] = x == 1 ? 0 : st;
        sb[k] = y == 1 ? 0 : stb;
        st *= x;
        stb *= y;
    }
    const float *x = a->data, *y = b->data;
    float *o = g->values[n->out].data;
    uint64_t total = numel_of(d, r);
    uint32_t idx[XNN_MAX_DIMS] = {0};
    int64_t oa = 0, ob = 0;
    for (uint64_t i = 0; i < total; i++) {
        o[i] = clampf(binary(n->type, x[oa], y[ob]), n->out_min, n->out_max);
        for (int32_t k = (int32_t)r - 1; k >= 0; k--) {
            oa += sa[k], ob += sb[k];
            if (++idx[k] < d[k]) break;
            oa -= sa[k] * d[k], ob -= sb[k] * d[k];
            idx[k] = 0;
        }
    }
    return PETITE_OK;
}

/* fp32 requantization as XNNPACK does it: scale in float, round half to even, then zero point */
static inline int32_t requant(int64_t acc, float scale, int32_t zp, int32_t lo, int32_t hi) {
    float f = (float)acc * scale;
    if (!(f > -2e9f && f < 2e9f)) return f > 0 ? hi : lo; /* also NaN */
    int64_t q = (int64_t)lrintf(f) + zp;
    return q < lo ? lo : (q > hi ? hi : (int32_t)q);
}

static void q8_bounds(const xnn_value *out, float out_min, float out_max, int32_t *lo, int32_t *hi) {
    int32_t tlo = out->dtype == XDT_QINT8 ? -128 : 0, thi = out->dtype == XDT_QINT8 ? 127 : 255;
    /* fused clamp in the quantized domain */
    if (out_min > -INFINITY) {
        float q = roundf(out_min / out->scale) + (float)out->zero_point;
        if (q > (float)tlo) tlo = q > (float)thi ? thi : (int32_t)q;
    }
    if (out_max < INFINITY) {
        float q = roundf(out_max / out->scale) + (float)out->zero_point;
        if (q < (float)thi) thi = q < (float)tlo ? tlo : (int32_t)q;
    }
    *lo = tlo, *hi = thi;
}

static int32_t q8_load(const xnn_value *v, uint64_t i) {
    return v->dtype == XDT_QINT8 ? ((const int8_t *)v->data)[i] : ((const uint8_t *)v->data)[i];
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

static petite_status fc_4bit(xnn_graph *g, const xnn_node *n, const xnn_value *a, const xnn_value *w,
                             const xnn_value *b, uint64_t M, uint32_t N, uint32_t K) {
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
    return PETITE_OK;
}

static petite_status run_fully_connected(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]];
    const xnn_value *b = n->in[2] == XNN_INVALID_ID ? NULL : &g->values[n->in[2]];
    xnn_value *o = &g->values[n->out];
    bool tw = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
    uint32_t N = tw ? w->cur[1] : w->cur[0], K = tw ? w->cur[0] : w->cur[1];
    if (a->ndims < 1 || a->cur[a->ndims - 1] != K)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "FullyConnected: input's last dim %u, filter wants %u",
                       a->ndims ? a->cur[a->ndims - 1] : 0, K);
    if (b && b->cur[0] != N) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "FullyConnected: bias size");
    uint32_t d[XNN_MAX_DIMS];
    memcpy(d, a->cur, a->ndims * sizeof *d);
    d[a->ndims - 1] = N;
    petite_status s = shape_value(g, n->out, d, a->ndims, args, e);
    if (s) return s;
    uint64_t M = K ? numel_of(a->cur, a->ndims) / K : 0;
    if (is_f32(a)) {
        float *y = o->data;
        const float *bias = b ? b->data : NULL;
        for (uint64_t i = 0; i < M; i++)
            for (uint32_t j = 0; j < N; j++) y[i * N + j] = bias ? bias[j] : 0.0f;
        if (n->packed) pk_gemm_f32((int64_t)M, N, K, 1.0f, a->data, K, n->packed, N, 0, 1.0f, y, N);
        else pk_gemm_f32((int64_t)M, N, K, 1.0f, a->data, K, w->data, tw ? N : K, !tw, 1.0f, y, N);
        if (n->out_min > -INFINITY || n->out_max < INFINITY)
            for (uint64_t i = 0; i < M * N; i++) y[i] = clampf(y[i], n->out_min, n->out_max);
        return PETITE_OK;
    }
    if (w->dtype == XDT_QCINT4 || w->dtype == XDT_QBINT4) return fc_4bit(g, n, a, w, b, M, N, K);
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
        return PETITE_OK;
    }
    /* static int8: (x - zx) * w (+ bias int32) -> requantized */
    int32_t lo, hi;
    q8_bounds(o, n->out_min, n->out_max, &lo, &hi);
    const int32_t *bias = b ? b->data : NULL;
    int32_t wzp = w->qkind == XQ_PER_TENSOR ? w->zero_point : 0;
    for (uint64_t i = 0; i < M; i++)
        for (uint32_t j = 0; j < N; j++) {
            int64_t acc = bias ? bias[j] : 0; /* 64-bit: damaged files must not overflow */
            for (uint32_t k = 0; k < K; k++)
                acc += (int64_t)(q8_load(a, i * K + k) - a->zero_point) *
                       ((int32_t)(tw ? wq[(uint64_t)k * N + j] : wq[(uint64_t)j * K + k]) - wzp);
            float wscale = w->qkind == XQ_PER_CHANNEL ? w->scales[j] : w->scale;
            int32_t q = requant(acc, a->scale * wscale / o->scale, o->zero_point, lo, hi);
            if (o->dtype == XDT_QINT8) ((int8_t *)o->data)[i * N + j] = (int8_t)q;
            else ((uint8_t *)o->data)[i * N + j] = (uint8_t)q;
        }
    return PETITE_OK;
}

static petite_status run_convert(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    xnn_value *o = &g->values[n->out];
    petite_status s = shape_value(g, n->out, a->cur, a->ndims, args, e);
    if (s) return s;
    uint64_t total = numel_of(a->cur, a->ndims);
    if (is_f32(a) && (is_f32(o) || o->dtype == XDT_QDINT8)) { /* qdint8 rows are quantized by their consumer */
        memcpy(o->data, a->data, total * 4);
    } else if (is_f32(a)) {
        int32_t lo = o->dtype == XDT_QINT8 ? -128 : 0, hi = o->dtype == XDT_QINT8 ? 127 : 255;
        const float *x = a->data;
        for (uint64_t i = 0; i < total; i++) {
            float f = x[i] / o->scale;
            int32_t q = f > 1e6f ? hi : (f < -1e6f || f != f ? lo : (int32_t)lrintf(f) + o->zero_point);
            q = q < lo ? lo : (q > hi ? hi : q);
            if (o->dtype == XDT_QINT8) ((int8_t *)o->data)[i] = (int8_t)q;
            else ((uint8_t *)o->data)[i] = (uint8_t)q;
        }
    } else {
        float *y = o->data;
        for (uint64_t i = 0; i < total; i++) y[i] = (float)(q8_load(a, i) - a->zero_point) * a->scale;
    }
    return PETITE_OK;
}

/* NHWC convolution; depthwise filters are [1, KH, KW, C*m], regular ones [OC, KH, KW, IC/groups] */
static petite_status run_conv(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]];
    const xnn_value *b = n->in[2] == XNN_INVALID_ID ? NULL : &g->values[n->in[2]];
    const uint32_t *p = n->p;
    uint32_t pt = p[0], pr = p[1], pb = p[2], pl = p[3], KH = p[4], KW = p[5], sh = p[6], sw = p[7], dh = p[8],
             dw = p[9], gic = p[10], goc = p[11], groups = p[12];
    if (a->ndims != 4 || w->ndims != 4 || !sh || !sw || !dh || !dw || !groups)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: bad parameters", xnn_node_name(n->type));
    uint32_t N = a->cur[0], H = a->cur[1], W = a->cur[2], C = a->cur[3];
    bool dwise = n->type == XN_DEPTHWISE_CONV2D;
    uint32_t OC = dwise ? w->cur[3] : w->cur[0];
    if ((!dwise && C != gic * groups) || (dwise && OC % C) || (!dwise && OC != goc * groups))
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: %u input channels do not fit the filter", xnn_node_name(n->type), C);
    int64_t eh = (int64_t)dh * (KH - 1) + 1, ew = (int64_t)dw * (KW - 1) + 1;
    int64_t OH = ((int64_t)H + pt + pb - eh) / sh + 1, OW = ((int64_t)W + pl + pr - ew) / sw + 1;
    if (OH < 1 || OW < 1) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: empty output", xnn_node_name(n->type));
    uint32_t d[4] = {N, (uint32_t)OH, (uint32_t)OW, OC};
    petite_status s = shape_value(g, n->out, d, 4, args, e);
    if (s) return s;
    uint32_t mult = dwise ? OC / C : 1;
    if (!is_f32(a)) { /* int8: (x - zx) * w (+ int32 bias), requantized per output channel */
        const xnn_value *o = &g->values[n->out];
        int32_t lo, hi;
        q8_bounds(o, n->out_min, n->out_max, &lo, &hi);
        const int8_t *fq = w->data;
        const int32_t *bq = b ? b->data : NULL;
        int32_t wzp = w->qkind == XQ_PER_TENSOR ? w->zero_point : 0;
        for (uint32_t ni = 0; ni < N; ni++)
            for (int64_t oh = 0; oh < OH; oh++)
                for (int64_t ow = 0; ow < OW; ow++)
                    for (uint32_t oc = 0; oc < OC; oc++) {
                        int64_t acc = bq ? bq[oc] : 0;
                        uint32_t grp = dwise ? 0 : oc / goc;
                        for (uint32_t kh = 0; kh < KH; kh++) {
                            int64_t ih = oh * sh - pt + (int64_t)kh * dh;
                            if (ih < 0 || ih >= H) continue;
                            for (uint32_t kw = 0; kw < KW; kw++) {
                                int64_t iw = ow * sw - pl + (int64_t)kw * dw;
                                if (iw < 0 || iw >= W) continue;
                                uint64_t xb = (((uint64_t)ni * H + ih) * W + iw) * C;
                                if (dwise) {
                                    acc += (int64_t)(q8_load(a, xb + oc / mult) - a->zero_point) *
                                           ((int32_t)fq[((uint64_t)kh * KW + kw) * OC + oc] - wzp);
                                } else {
                                    const int8_t *fk = fq + (((uint64_t)oc * KH + kh) * KW + kw) * gic;
                                    for (uint32_t ic = 0; ic < gic; ic++)
                                        acc += (int64_t)(q8_load(a, xb + (uint64_t)grp * gic + ic) - a->zero_point) *
                                               ((int32_t)fk[ic] - wzp);
                                }
                            }
                        }
                        float wscale = w->qkind == XQ_PER_CHANNEL ? w->scales[oc] : w->scale;
                        int32_t q = requant(acc, a->scale * wscale / o->scale, o->zero_point, lo, hi);
                        uint64_t yi = (((uint64_t)ni * OH + oh) * OW + ow) * OC + oc;
                        if (o->dtype == XDT_QINT8) ((int8_t *)o->data)[yi] = (int8_t)q;
                        else ((uint8_t *)o->data)[yi] = (uint8_t)q;
                    }
        return PETITE_OK;
    }
    const float *x = a->data, *f = w->data, *bias = b ? b->data : NULL;
    float *y = g->values[n->out].data;
    if (n->packed) { /* 1x1: [N*H*W, C] x [C, OC] */
        uint64_t rows = (uint64_t)N * H * W;
        for (uint64_t r = 0; r < rows; r++)
            for (uint32_t oc = 0; oc < OC; oc++) y[r * OC + oc] = bias ? bias[oc] : 0.0f;
        pk_gemm_f32((int64_t)rows, OC, C, 1.0f, x, C, n->packed, OC, 0, 1.0f, y, OC);
        if (n->out_min > -INFINITY || n->out_max < INFINITY)
            for (uint64_t i = 0; i < rows * OC; i++) y[i] = clampf(y[i], n->out_min, n->out_max);
        return PETITE_OK;
    }
    for (uint32_t ni = 0; ni < N; ni++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                float *yo = y + (((uint64_t)ni * OH + oh) * OW + ow) * OC;
                for (uint32_t oc = 0; oc < OC; oc++) yo[oc] = bias ? bias[oc] : 0.0f;
                for (uint32_t kh = 0; kh < KH; kh++) {
                    int64_t ih = oh * sh - pt + (int64_t)kh * dh;
                    if (ih < 0 || ih >= H) continue;
                    for (uint32_t kw = 0; kw < KW; kw++) {
                        int64_t iw = ow * sw - pl + (int64_t)kw * dw;
                        if (iw < 0 || iw >= W) continue;
                        const float *xi = x + (((uint64_t)ni * H + ih) * W + iw) * C;
                        if (dwise) {
                            const float *fk = f + ((uint64_t)kh * KW + kw) * OC;
                            for (uint32_t oc = 0; oc < OC; oc++) yo[oc] += xi[oc / mult] * fk[oc];
                        } else {
                            for (uint32_t oc = 0; oc < OC; oc++) {
                                uint32_t grp = oc / goc;
                                const float *fk = f + (((uint64_t)oc * KH + kh) * KW + kw) * gic;
                                const float *xg = xi + (uint64_t)grp * gic;
                                float acc = 0;
                                for (uint32_t ic = 0; ic < gic; ic++) acc += xg[ic] * fk[ic];
                                yo[oc] += acc;
                            }
                        }
                    }
                }
                for (uint32_t oc = 0; oc < OC; oc++) yo[oc] = clampf(yo[oc], n->out_min, n->out_max);
            }
    return PETITE_OK;
}

static petite_status run_pool(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    const uint32_t *p = n->p;
    uint32_t pt = p[0], pr = p[1], pb = p[2], pl = p[3], PH = p[4], PW = p[5], sh = p[6], sw = p[7];
    uint32_t dh = p[8] ? p[8] : 1, dw = p[9] ? p[9] : 1;
    bool global = n->type == XN_GLOBAL_AVG_POOLING2D;
    if (a->ndims != 4) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: input must be NHWC", xnn_node_name(n->type));
    uint32_t N = a->cur[0], H = a->cur[1], W = a->cur[2], C = a->cur[3];
    if (global) pt = pr = pb = pl = 0, PH = H, PW = W, sh = sw = 1, dh = dw = 1;
    if (!sh || !sw || !PH || !PW) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "pooling: bad parameters");
    int64_t OH = ((int64_t)H + pt + pb - (int64_t)dh * (PH - 1) - 1) / sh + 1;
    int64_t OW = ((int64_t)W + pl + pr - (int64_t)dw * (PW - 1) - 1) / sw + 1;
    if (OH < 1 || OW < 1) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "pooling: empty output");
    uint32_t d[4] = {N, (uint32_t)OH, (uint32_t)OW, C};
    petite_status s = shape_value(g, n->out, d, 4, args, e);
    if (s) return s;
    const float *x = a->data;
    float *y = g->values[n->out].data;
    bool maxp = n->type == XN_MAX_POOLING2D;
    for (uint32_t ni = 0; ni < N; ni++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                float *yo = y + (((uint64_t)ni * OH + oh) * OW + ow) * C;
                for (uint32_t c = 0; c < C; c++) yo[c] = maxp ? -INFINITY : 0.0f;
                uint32_t count = 0;
                for (uint32_t i = 0; i < PH; i++) {
                    int64_t ih = oh * sh - pt + (int64_t)i * dh;
                    if (ih < 0 || ih >= H) continue;
                    for (uint32_t j = 0; j < PW; j++) {
                        int64_t iw = ow * sw - pl + (int64_t)j * dw;
                        if (iw < 0 || iw >= W) continue;
                        const float *xi = x + (((uint64_t)ni * H + ih) * W + iw) * C;
                        count++;
                        for (uint32_t c = 0; c < C; c++) yo[c] = maxp ? (xi[c] > yo[c] ? xi[c] : yo[c]) : yo[c] + xi[c];
                    }
                }
                for (uint32_t c = 0; c < C; c++)
                    yo[c] = clampf(maxp ? yo[c] : (count ? yo[c] / (float)count : 0.0f), n->out_min, n->out_max);
            }
    return PETITE_OK;
}

/* copy through a permuted / sliced / padded view; generic N-d walk over the output */
static petite_status run_layout(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    uint32_t r = a->ndims, d[XNN_MAX_DIMS];
    int64_t stride_in[XNN_MAX_DIMS], src_stride[XNN_MAX_DIMS], base = 0, pre[XNN_MAX_DIMS] = {0};
    int64_t st = 1;
    for (int32_t k = (int32_t)r - 1; k >= 0; k--) stride_in[k] = st, st *= a->cur[k];
    if (n->nlist != r && n->type != XN_STATIC_RESHAPE)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: %u entries for %u dims", xnn_node_name(n->type), n->nlist, r);
    switch (n->type) {
    case XN_STATIC_TRANSPOSE:
        for (uint32_t k = 0; k < r; k++) {
            if (n->list1[k] >= r) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "transpose: bad perm");
            d[k] = a->cur[n->list1[k]];
            src_stride[k] = stride_in[n->list1[k]];
        }
        break;
    case XN_STATIC_SLICE:
        for (uint32_t k = 0; k < r; k++) {
            uint32_t off = n->list1[k], sz = n->list2[k] ? n->list2[k] : a->cur[k] - off;
            if (off > a->cur[k] || sz > a->cur[k] - off) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "slice out of range");
            d[k] = sz;
            src_stride[k] = stride_in[k];
            base += (int64_t)off * stride_in[k];
        }
        break;
    default: /* constant pad: read where inside, pad value elsewhere */
        for (uint32_t k = 0; k < r; k++) {
            d[k] = a->cur[k] + n->list1[k] + n->list2[k];
            src_stride[k] = stride_in[k];
            pre[k] = n->list1[k];
        }
        break;
    }
    petite_status s = shape_value(g, n->out, d, r, args, e);
    if (s) return s;
    const float *x = a->data;
    float *y = g->values[n->out].data;
    uint64_t total = numel_of(d, r);
    uint32_t idx[XNN_MAX_DIMS] = {0};
    for (uint64_t i = 0; i < total; i++) {
        int64_t off = base;
        bool inside = true;
        for (uint32_t k = 0; k < r; k++) {
            int64_t c = (int64_t)idx[k] - pre[k];
            if (c < 0 || c >= (n->type == XN_STATIC_CONSTANT_PAD ? (int64_t)a->cur[k] : (int64_t)d[k])) inside = false;
            off += c * src_stride[k];
        }
        y[i] = inside ? x[off] : n->fparam;
        for (int32_t k = (int32_t)r - 1; k >= 0; k--) {
            if (++idx[k] < d[k]) break;
            idx[k] = 0;
        }
    }
    return PETITE_OK;
}

static petite_status run_reshape(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    uint32_t d[XNN_MAX_DIMS];
    uint64_t total = numel_of(a->cur, a->ndims), known = 1;
    int32_t infer = -1;
    for (uint32_t k = 0; k < n->nlist; k++) {
        d[k] = n->list1[k];
        if (d[k] == 0 && infer < 0) infer = (int32_t)k;
        else known *= d[k];
    }
    if (infer >= 0) d[infer] = known ? (uint32_t)(total / known) : 0;
    if (numel_of(d, n->nlist) != total)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "StaticReshape: %llu elements do not fit the new shape",
                       (unsigned long long)total);
    petite_status s = shape_value(g, n->out, d, n->nlist, args, e);
    if (s) return s;
    if (g->values[n->out].data != a->data) memmove(g->values[n->out].data, a->data, total * 4);
    return PETITE_OK;
}

static petite_status run_concat(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    uint32_t axis = n->p[0], r = a->ndims, d[XNN_MAX_DIMS];
    if (axis >= r) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "Concatenate: axis %u for %u dims", axis, r);
    memcpy(d, a->cur, r * sizeof *d);
    d[axis] = 0;
    for (uint32_t k = 0; k < n->nin; k++) {
        const xnn_value *v = &g->values[n->in[k]];
        if (v->ndims != r) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "Concatenate: ranks differ");
        for (uint32_t j = 0; j < r; j++)
            if (j != axis && v->cur[j] != a->cur[j]) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "Concatenate: dims differ");
        d[axis] += v->cur[axis];
    }
    petite_status s = shape_value(g, n->out, d, r, args, e);
    if (s) return s;
    uint64_t outer = numel_of(d, axis), inner = numel_of(d + axis + 1, r - axis - 1), at = 0;
    float *y = g->values[n->out].data;
    for (uint32_t k = 0; k < n->nin; k++) {
        const xnn_value *v = &g->values[n->in[k]];
        uint64_t row = (uint64_t)v->cur[axis] * inner;
        for (uint64_t o = 0; o < outer; o++)
            memcpy(y + o * d[axis] * inner + at, (const float *)v->data + o * row, row * 4);
        at += row;
    }
    return PETITE_OK;
}

static petite_status run_softmax(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    petite_status s = shape_value(g, n->out, a->cur, a->ndims, args, e);
    if (s) return s;
    uint32_t len = a->ndims ? a->cur[a->ndims - 1] : 1;
    uint64_t rows = len ? numel_of(a->cur, a->ndims) / len : 0;
    const float *x = a->data;
    float *y = g->values[n->out].data;
    for (uint64_t i = 0; i < rows; i++) {
        const float *xr = x + i * len;
        float *yr = y + i * len, mx = -INFINITY;
        for (uint32_t k = 0; k < len; k++) mx = xr[k] > mx ? xr[k] : mx;
        double sum = 0;
        for (uint32_t k = 0; k < len; k++) sum += (yr[k] = expf(xr[k] - mx));
        for (uint32_t k = 0; k < len; k++) yr[k] = clampf((float)(yr[k] / sum), n->out_min, n->out_max);
    }
    return PETITE_OK;
}

static petite_status run_bmm(xnn_graph *g, const xnn_node *n, pt_value **args, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]];
    if (a->ndims < 2 || a->ndims != b->ndims) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "BatchMatrixMultiply: ranks");
    uint32_t r = a->ndims, M = a->cur[r - 2], K = a->cur[r - 1];
    bool tb = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
    uint32_t N = tb ? b->cur[r - 2] : b->cur[r - 1];
    if ((tb ? b->cur[r - 1] : b->cur[r - 2]) != K) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "BatchMatrixMultiply: inner dims");
    uint32_t d[XNN_MAX_DIMS];
    memcpy(d, a->cur, r * sizeof *d);
    d[r - 1] = N;
    for (uint32_t k = 0; k + 2 < r; k++)
        if (a->cur[k] != b->cur[k]) return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "BatchMatrixMultiply: batch dims");
    petite_status s = shape_value(g, n->out, d, r, args, e);
    if (s) return s;
    uint64_t batches = numel_of(a->cur, r - 2);
    for (uint64_t i = 0; i < batches; i++)
        pk_gemm_f32(M, N, K, 1.0f, (const float *)a->data + i * M * K, K, (const float *)b->data + i * K * N,
                    tb ? K : N, tb, 0.0f, (float *)g->values[n->out].data + i * M * N, N);
    return PETITE_OK;
}

petite_status xnn_execute(xnn_graph *g, pt_value **args, size_t nargs, pt_err *e) {
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
            /* the caller's rank and sizes (a 0-dim constant may feed a rank-1 value) */
            if (t->rank > XNN_MAX_DIMS)
                return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "delegate input %u has rank %d (max %d)", i,
                               (int)t->rank, XNN_MAX_DIMS);
            v->ndims = (uint32_t)t->rank;
            for (uint32_t j = 0; j < v->ndims; j++) v->cur[j] = (uint32_t)t->sizes[t->dim_order[j]];
            v->data = t->data;
            if (v->narrow) { /* widen into staging (memory order is the tensor's own) */
                petite_status s = stage(v, (size_t)t->numel, e);
                if (s) return s;
                for (int64_t k = 0; k < t->numel; k++) v->wide[k] = (float)pt_load_f64(t->data, t->dtype, k);
            }
        }
    }
    for (uint32_t i = 0; i < g->nnodes; i++) {
        const xnn_node *n = &g->nodes[i];
        petite_status s;
        switch (n->type) {
        case XN_ADD: case XN_SUBTRACT: case XN_MULTIPLY: case XN_DIV: case XN_MINIMUM: case XN_MAXIMUM: case XN_PRELU:
            s = run_binary(g, n, args, e);
            break;
        case XN_FULLY_CONNECTED: s = run_fully_connected(g, n, args, e); break;
        case XN_CONVERT: s = run_convert(g, n, args, e); break;
        case XN_CONV2D: case XN_DEPTHWISE_CONV2D: s = run_conv(g, n, args, e); break;
        case XN_AVG_POOLING2D: case XN_MAX_POOLING2D: case XN_GLOBAL_AVG_POOLING2D: s = run_pool(g, n, args, e); break;
        case XN_STATIC_TRANSPOSE: case XN_STATIC_SLICE: case XN_STATIC_CONSTANT_PAD: s = run_layout(g, n, args, e); break;
        case XN_STATIC_RESHAPE: s = run_reshape(g, n, args, e); break;
        case XN_CONCATENATE2: case XN_CONCATENATE3: case XN_CONCATENATE4: case XN_CONCATENATE5:
            s = run_concat(g, n, args, e);
            break;
        case XN_SOFTMAX: s = run_softmax(g, n, args, e); break;
        case XN_BATCH_MATRIX_MULTIPLY: s = run_bmm(g, n, args, e); break;
        default: { /* unary element-wise, with the fused clamp */
            const xnn_value *a = &g->values[n->in[0]];
            s = shape_value(g, n->out, a->cur, a->ndims, args, e);
            if (s) break;
            const float *x = a->data;
            float *y = g->values[n->out].data;
            uint64_t total = numel_of(a->cur, a->ndims);
            for (uint64_t k = 0; k < total; k++) y[k] = clampf(unary(n->type, x[k], n->fparam), n->out_min, n->out_max);
            break;
        }
        }
        if (s) return pt_prefix(e, "xnodes[%u] (%s)", i, xnn_node_name(n->type));
    }
    /* narrow external outputs: fp32 staging -> the tensor's fp16 / bf16 */
    for (uint32_t i = 0; i < g->num_externs; i++) {
        xnn_value *v = &g->values[g->extern_value[i]];
        if (!(v->flags & 2) || !v->narrow) continue;
        pt_tensor *t = args[i]->u.t;
        for (int64_t k = 0; k < t->numel; k++) pt_store_f64(t->data, t->dtype, k, v->wide[k]);
    }
    return PETITE_OK;
}
