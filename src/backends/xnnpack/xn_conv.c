/* xn_conv.c — the XNNPACK delegate's NHWC window families: Conv2d and DepthwiseConv2d (fp32 on the
 * compute layer's packed convolution; int8 on the int8 GEMM / depthwise rows or the reference loop)
 * and pooling (average, max, global average; fp32 and int8). */
#include <string.h>

#include "backends/xnnpack/xnn_family.h"

/* ---- convolution ---- */

static bool conv_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2), *out = &g->values[n->out];
    bool wq = (w->dtype == XDT_QCINT8 && w->qkind == XQ_PER_CHANNEL) || (w->dtype == XDT_QINT8 && w->qkind == XQ_PER_TENSOR);
    bool q = is_q8(a) && wq && is_q8(out) && a->dtype == out->dtype &&
             (!b || b->dtype == XDT_QCINT32 || b->dtype == XDT_QINT32);
    bool f = is_f32(a) && is_f32(w) && is_f32(out) && (!b || is_f32(b));
    return (f || q) && w->ndims == 4 && w->constant && (!b || b->constant);
}

static petite_status conv_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]];
    const xnn_conv_params cg = xnn_conv_geometry(n);
    *r = 4;
    if (a->ndims != 4 || w->ndims != 4 || !cg.stride_h || !cg.stride_w || !cg.dilation_h || !cg.dilation_w || !cg.groups ||
        !cg.kernel_h || !cg.kernel_w)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: bad parameters", xnn_node_name(n->type));
    uint32_t N = a->cur[0], H = a->cur[1], W = a->cur[2], C = a->cur[3];
    bool dwise = n->type == XN_DepthwiseConv2d;
    uint32_t OC = dwise ? w->dims[3] : w->dims[0];
    if ((!dwise && ((uint64_t)C != (uint64_t)cg.group_in * cg.groups || (uint64_t)OC != (uint64_t)cg.group_out * cg.groups)) ||
        (dwise && (C == 0 || OC % C)) || w->dims[1] != cg.kernel_h || w->dims[2] != cg.kernel_w ||
        (!dwise && w->dims[3] != cg.group_in) || (dwise && w->dims[0] != 1))
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: %u input channels do not fit the filter", xnn_node_name(n->type), C);
    int64_t eh = (int64_t)cg.dilation_h * (cg.kernel_h - 1) + 1, ew = (int64_t)cg.dilation_w * (cg.kernel_w - 1) + 1;
    int64_t hp = (int64_t)H + cg.pad_top + cg.pad_bottom, wp = (int64_t)W + cg.pad_left + cg.pad_right;
    int64_t OH = (hp - eh) / cg.stride_h + 1, OW = (wp - ew) / cg.stride_w + 1;
    if (hp < eh || wp < ew || OH < 1 || OW < 1)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "%s: empty output", xnn_node_name(n->type));
    d[0] = N, d[1] = (uint32_t)OH, d[2] = (uint32_t)OW, d[3] = OC;
    return PETITE_OK;
}

static petite_status conv_prepare(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info,
                                  pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2), *o = &g->values[n->out];
    const xnn_conv_params cg = xnn_conv_geometry(n);
    const bool dwise = n->type == XN_DepthwiseConv2d;
    petite_status s = prepare_q8_weights(g, n, dwise ? w->dims[3] : w->dims[0], in, info, e);
    if (s) return s;
    n->flops = 2.0 * (double)numel_of(o->cur, 4) * cg.kernel_h * cg.kernel_w * (dwise ? 1 : cg.group_in);
    if (!is_f32(a)) return PETITE_OK;
    pc_conv2d *d = &n->conv;
    memset(d, 0, sizeof *d);
    d->layout = PC_NHWC;
    d->N = a->cur[0], d->H = a->cur[1], d->W = a->cur[2], d->C = a->cur[3];
    d->OC = o->cur[3], d->OH = o->cur[1], d->OW = o->cur[2];
    d->KH = cg.kernel_h, d->KW = cg.kernel_w, d->sh = cg.stride_h, d->sw = cg.stride_w;
    d->dh = cg.dilation_h, d->dw = cg.dilation_w, d->pt = cg.pad_top, d->pl = cg.pad_left;
    d->groups = dwise ? d->C : cg.groups;
    d->lo = n->out_min, d->hi = n->out_max;
    d->has_act = n->has_act, d->act = n->uop, d->act_params = n->up;
    pc_conv2d_f32_setup(d, g->isa);
    /* the filter: [OC, KH, KW, C / groups] (depthwise: [1, KH, KW, OC]) */
    int64_t gic = dwise ? 1 : cg.group_in;
    pc_conv2d_pack_args arg = {d, {w->constant, dwise ? 1 : (int64_t)cg.kernel_h * cg.kernel_w * gic, dwise ? 0 : 1,
                             dwise ? (int64_t)cg.kernel_w * d->OC : (int64_t)cg.kernel_w * gic, dwise ? d->OC : gic,
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
    raise_scratch(info, pc_conv2d_f32_scratch(d));
    return PETITE_OK;
}

static void conv_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
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
    const xnn_conv_params cg = xnn_conv_geometry(n);
    bool dwise = n->type == XN_DepthwiseConv2d;
    uint32_t KH = cg.kernel_h, KW = cg.kernel_w, gic = cg.group_in;
    int64_t H = a->cur[1], W = a->cur[2], C = a->cur[3], OH = o->cur[1], OW = o->cur[2], OC = o->cur[3];
    pc_conv2d_s8 d = {a->cur[0], H, W, C, OC, OH, OW, KH, KW, cg.stride_h, cg.stride_w, cg.dilation_h, cg.dilation_w,
                      cg.pad_top, cg.pad_left, dwise ? C : cg.groups, dwise, {H * W * C, W * C, C, 1},
                      {OH * OW * OC, OW * OC, OC, 1}, {0, 0, 0, 0}, a->zero_point,
                      w->qkind == XQ_PER_TENSOR ? w->zero_point : 0, a->dtype == XDT_QUINT8, o->dtype == XDT_QUINT8};
    if (dwise) d.ws[0] = 1, d.ws[1] = (int64_t)KW * OC, d.ws[2] = OC, d.ws[3] = 0;
    else d.ws[0] = (int64_t)KH * KW * gic, d.ws[1] = (int64_t)KW * gic, d.ws[2] = gic, d.ws[3] = 1;
    pc_conv2d_s8_run(&d, a->data, w->data, b ? b->data : NULL, &n->rq, o->data);
}

const xn_family xn_conv_family = {conv_check, conv_reshape, conv_prepare, conv_run};

/* ---- pooling ---- */

static bool pool_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *out = &g->values[n->out];
    if (is_q8(a)) /* max pooling keeps the input's quantization (XNNPACK requires it); the mean has its own */
        return is_q8(out) && out->dtype == a->dtype &&
               (n->type == XN_GlobalAvgPooling2d ||
                (n->type == XN_MaxPooling2d && out->scale == a->scale && out->zero_point == a->zero_point));
    return is_f32(a) && is_f32(out);
}

/* the output's NHWC dims and (pd) the compute layer's descriptor for the input's current dims */
static petite_status pool_dims(const xnn_graph *g, const xnn_node *n, uint32_t *d, pc_pool2d *pd, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    const xnn_pool_params pg = xnn_pool_geometry(n);
    uint32_t pt = pg.pad_top, pr = pg.pad_right, pb = pg.pad_bottom, pl = pg.pad_left, PH = pg.pool_h, PW = pg.pool_w;
    uint32_t sh = pg.stride_h, sw = pg.stride_w, dh = pg.dilation_h ? pg.dilation_h : 1, dw = pg.dilation_w ? pg.dilation_w : 1;
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

static petite_status pool_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    petite_status s = pool_dims(g, n, d, NULL, e);
    *r = 4;
    /* global pooling, as XNNPACK: without XNN_FLAG_KEEP_DIMS the pooled dims go, [N, C] */
    if (!s && n->type == XN_GlobalAvgPooling2d && !(n->flags & XNN_FLAG_KEEP_DIMS)) d[1] = d[3], *r = 2;
    return s;
}

static petite_status pool_prepare(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info,
                                  pt_err *e) {
    (void)in, (void)info, (void)e;
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    if (!is_q8(a)) return PETITE_OK;
    int32_t lo, hi;
    q8_bounds(o, n->out_min, n->out_max, &lo, &hi);
    n->qmean.lo = lo, n->qmean.hi = hi; /* the pools' clamp (the mean's scales follow at run time) */
    return PETITE_OK;
}

static void pool_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    (void)c;
    pc_pool2d pd;
    uint32_t d[4];
    pt_err e;
    if (pool_dims(g, n, d, &pd, &e)) return; /* checked by the reshape before every run */
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

const xn_family xn_pool_family = {pool_check, pool_reshape, pool_prepare, pool_run};
