/* xn_elementwise.c — the XNNPACK delegate's element-wise families: binary (Add, Subtract, Multiply,
 * Div, Minimum, Maximum, PReLU; broadcast as numpy), unary (fp32 functions on the compute layer,
 * int8 ones as a byte table), Softmax over the last dim, and Convert (fp32 <-> int8 / uint8, fp32 ->
 * qdint8 rows). */
#include <math.h>
#include <string.h>

#include "backends/xnnpack/xnn_family.h"

/* ---- binary ---- */

static bool binary_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *out = &g->values[n->out];
    if (is_q8(a)) { /* int8 / uint8 Add and Multiply, one type throughout */
        const xnn_value *b = &g->values[n->in[1]];
        return (n->type == XN_Add || n->type == XN_Multiply) && is_q8(b) && is_q8(out) && b->dtype == a->dtype &&
               out->dtype == a->dtype;
    }
    return xn_check_all_f32(g, n);
}

static petite_status binary_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]];
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

static petite_status binary_prepare(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info,
                                    pt_err *e) {
    (void)in, (void)info;
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]], *o = &g->values[n->out];
    if (!is_q8(a)) return PETITE_OK;
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
    return PETITE_OK;
}

static void binary_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
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

const xn_family xn_binary_family = {binary_check, binary_reshape, binary_prepare, binary_run};

/* ---- unary ---- */

void xn_unary_ops(xnn_graph *g) {
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

static bool unary_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *out = &g->values[n->out];
    if (is_q8(a)) /* quantized element-wise functions: a byte table, as XNNPACK's reference builds them */
        return is_q8(out) && out->dtype == a->dtype;
    return is_f32(a) && is_f32(out);
}

/* XNNPACK's reference for a quantized unary function: y = round(f((x - zx) * sx) / sy + zy), saturated
 * (NaN: 0); f is petite's fp32 kernel for the node (its float clamp included). With a folded
 * Multiply(x, f(x)), y is f's own output (mid) and the table then holds the int8 product of x and y,
 * computed by the Multiply's own kernel. */
static petite_status unary_prepare(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info,
                                   pt_err *e) {
    (void)in, (void)info;
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    if (!is_q8(a)) return PETITE_OK;
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
        if (!pc_qmul_init(&n->qb, a->scale, a->zero_point, o->scale, o->zero_point, ov->scale, ov->zero_point, mlo, mhi,
                          a->dtype == XDT_QUINT8))
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
    n->has_lut = 1;
    return PETITE_OK;
}

static void unary_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    if (n->has_lut) pc_lut8(c, numel_of(a->cur, a->ndims), a->data, n->lut, o->data);
    else pc_vunary_f32(c, n->uop, numel_of(a->cur, a->ndims), a->data, o->data, &n->up);
}

const xn_family xn_unary_family = {unary_check, xn_reshape_like_input, unary_prepare, unary_run};

/* ---- softmax over the last dim ---- */

static void softmax_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    uint32_t len = a->ndims ? a->cur[a->ndims - 1] : 1;
    uint64_t rows = len ? numel_of(a->cur, a->ndims) / len : 0;
    pc_softmax_f32(c, rows, len, a->data, o->data, 0, n->out_min, n->out_max);
}

const xn_family xn_softmax_family = {xn_check_all_f32, xn_reshape_like_input, NULL, softmax_run};

/* ---- convert ---- */

static bool convert_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *out = &g->values[n->out];
    return (is_f32(a) && (is_q8(out) || out->dtype == XDT_QDINT8)) || (is_q8(a) && is_f32(out)) ||
           (is_f32(a) && is_f32(out));
}

static void convert_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]];
    xnn_value *o = &g->values[n->out];
    uint64_t total = numel_of(a->cur, a->ndims);
    if (n->has_lut) { /* int8 -> fp32 -> element-wise -> int8, folded into one table (xnn_fuse.c) */
        pc_lut8(c, total, a->data, n->lut, o->data);
    } else if (is_f32(a) && (is_f32(o) || o->dtype == XDT_QDINT8)) { /* qdint8 rows are quantized by their consumer */
        if (o->data != a->data) memcpy(o->data, a->data, total * 4);
    } else if (is_f32(a)) { /* XNNPACK multiplies by the reciprocal scale (f32-qs8-vcvt) */
        int32_t lo = o->dtype == XDT_QINT8 ? -128 : 0, hi = o->dtype == XDT_QINT8 ? 127 : 255;
        pc_quantize_f32(c, total, a->data, o->scale, o->zero_point, lo, hi, o->data, o->dtype != XDT_QINT8);
    } else {
        pc_dequantize_f32(c, total, a->data, a->dtype != XDT_QINT8, a->zero_point, a->scale, o->data);
    }
}

const xn_family xn_convert_family = {convert_check, xn_reshape_like_input, NULL, convert_run};
