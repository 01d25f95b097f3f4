/* xn_dense.c — the XNNPACK delegate's dense families: FullyConnected (fp32 on the packed GEMM; static
 * int8 on the int8 GEMM or the reference loop; dynamic int8 (qdint8) activations and 4-bit weights
 * (qcint4 per channel, qbint4 blockwise) on the compute layer's pc_fc_qd8_run and pc_fc_q4_run)
 * and BatchMatrixMultiply (fp32). Also the int8 requantization and int8-GEMM
 * preparation that convolutions share (prepare_q8_weights). */
#include <string.h>

#include "backends/xnnpack/xnn_family.h"
#include "core/mem.h"

/* ---- int8 weights: requantization scales, and the compute layer's int8 GEMM where it applies ---- */

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
        const xnn_conv_params cg = xnn_conv_geometry(n);
        gm->N = a->cur[0], gm->H = a->cur[1], gm->W = a->cur[2], gm->C = a->cur[3];
        gm->OC = o->cur[3], gm->OH = o->cur[1], gm->OW = o->cur[2];
        gm->KH = cg.kernel_h, gm->KW = cg.kernel_w, gm->sh = cg.stride_h, gm->sw = cg.stride_w;
        gm->dh = cg.dilation_h, gm->dw = cg.dilation_w, gm->pt = cg.pad_top, gm->pl = cg.pad_left;
        gm->groups = dwise ? gm->C : cg.groups;
        int64_t gic = cg.group_in;
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
    raise_scratch(info, dwise ? pc_qdw_scratch(d) : pc_qconv_scratch(d));
    return PETITE_OK;
}

petite_status prepare_q8_weights(xnn_graph *g, xnn_node *n, uint32_t OC, const pt_backend_init *in, pt_backend_info *info,
                                 pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *o = &g->values[n->out];
    if (is_f32(a) || a->dtype == XDT_QDINT8 || !is_q8(o)) return PETITE_OK;
    /* int8: one requantization scale per output channel */
    n->rq_scales = pt_malloc((OC ? OC : 1) * sizeof(float));
    if (!n->rq_scales) return pt_fail(e, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    g->memory_bytes += (OC ? OC : 1) * sizeof(float);
    for (uint32_t oc = 0; oc < OC; oc++)
        n->rq_scales[oc] = a->scale * (w->qkind == XQ_PER_CHANNEL ? w->scales[oc] : w->scale) / o->scale;
    int32_t lo, hi;
    q8_bounds(o, n->out_min, n->out_max, &lo, &hi);
    pc_requant rq = {PC_REQ_FP32, n->rq_scales, NULL, NULL, 1, o->zero_point, lo, hi};
    n->rq = rq;
    return prepare_qfast(g, n, in, info, e);
}

/* ---- fully connected ---- */

static bool fc_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2), *out = &g->values[n->out];
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
    bool ok = (f || q || d || w4) && w->ndims == 2 && (!b || b->ndims == 1);
    if (ok && (q || d || w4) && (w->qkind == XQ_PER_CHANNEL || w->qkind == XQ_PER_CHANNEL_GROUP) &&
        w->num_scales < w->dims[(n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS) ? 1 : 0])
        ok = false;
    return ok;
}

static petite_status fc_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
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

static petite_status fc_prepare(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]];
    bool tw = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
    uint32_t N = tw ? w->dims[1] : w->dims[0], K = tw ? w->dims[0] : w->dims[1];
    petite_status s = prepare_q8_weights(g, n, N, in, info, e);
    if (!s && a->dtype == XDT_QDINT8) raise_scratch(info, pc_fc_qd_scratch(K)); /* the rows quantized once */
    if (!s && w->dtype == XDT_QBINT4 && a->dtype == XDT_QDINT8 && w->constant && !tw && w->group_size > 0 &&
        K % w->group_size == 0) {
        /* qb4w: packed in 16-channel tiles for the fast kernels (with each channel's weight sum kn), or
           where blocks do not suit them, only kn once, not on every run */
        pc_fc_q4_kn_args arg = {w->constant, w->scales, N, K, w->group_size};
        const size_t tiles = pc_fc_q4_packed_bytes(N, K, w->group_size, w->scales);
        n->q4_tiles = tiles > 0;
        struct { char tag[4]; uint32_t N, K, gs; } desc = {"kn4", N, K, (uint32_t)w->group_size};
        if (tiles) memcpy(desc.tag, "qb4", 4), raise_scratch(info, pc_fc_q4_scratch(K, w->group_size));
        n->packed = packed_weights(g, n, w, in, &desc, sizeof desc, tiles ? tiles : (size_t)N * sizeof(float),
                                   tiles ? pc_fc_q4_pack_fill : pc_fc_q4_kn_fill, &arg, info, e);
        if (!n->packed) return e->status;
    }
    if (s || !is_f32(a) || !is_f32(w)) return s; /* fp32 x 4-bit weights: no packing (pc_fc_q4_run) */
    if (w->constant) {
        /* B(k, n) = W[n][k] (or W[k][n] with transposed weights) */
        pc_gemm_pack_args arg = {g->isa, K, N, w->constant, tw ? N : 1, tw ? 1 : K};
        struct { char tag[4]; int32_t isa; uint32_t N, K; int32_t t; } desc = {"fc", (int32_t)g->isa, N, K, tw};
        size_t size = pc_gemm_f32_packed_floats(g->isa, K, N) * sizeof(float);
        n->packed = packed_weights(g, n, w, in, &desc, sizeof desc, size, pc_gemm_f32_pack_fill, &arg, info, e);
        if (!n->packed) return e->status;
    } else {
        raise_scratch(info, pc_gemm_f32_any_scratch(g->isa, K, N));
    }
    uint64_t M = K ? numel_of(a->cur, a->ndims) / K : 0;
    n->flops = 2.0 * (double)M * N * K;
    return PETITE_OK;
}

static void fc_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *w = &g->values[n->in[1]], *b = opt_in(g, n, 2);
    xnn_value *o = &g->values[n->out];
    bool tw = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
    uint32_t N = tw ? w->dims[1] : w->dims[0], K = tw ? w->dims[0] : w->dims[1];
    uint64_t M = K ? numel_of(a->cur, a->ndims) / K : 0;
    if (is_f32(a) && is_f32(w)) {
        pc_gemm_epi epi = {b ? b->data : NULL, NULL, 1.0f, 0, n->out_min, n->out_max, n->has_act ? &n->up : NULL, n->uop};
        if (n->packed) pc_gemm_f32(c, M, N, K, a->data, K, n->packed, o->data, N, &epi);
        else pc_gemm_f32_any(c, M, N, K, a->data, K, w->data, tw ? N : 1, tw ? 1 : K, o->data, N, &epi);
        return;
    }
    if (w->dtype == XDT_QCINT4 || w->dtype == XDT_QBINT4) {
        const bool tiles = n->packed && n->q4_tiles;
        pc_fc_q4 d = {(int64_t)M, N, K, w->qkind == XQ_PER_CHANNEL_GROUP, w->group_size, a->dtype == XDT_QDINT8,
                      n->out_min, n->out_max, tiles ? NULL : n->packed, tiles ? (const uint8_t *)(const void *)n->packed : NULL};
        pc_fc_q4_run(c, &d, a->data, w->data, w->scales, b ? b->data : NULL, o->data);
        return;
    }
    const int8_t *wq = w->data;
    if (a->dtype == XDT_QDINT8) { /* dynamic: each row of the (fp32) input quantized to asymmetric int8 on the fly */
        pc_fc_qd8 d = {(int64_t)M, N, K, tw ? 1 : K, tw ? N : 1, n->out_min, n->out_max};
        pc_fc_qd8_run(c, &d, a->data, wq, w->scales, b ? b->data : NULL, o->data);
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

const xn_family xn_fc_family = {fc_check, fc_reshape, fc_prepare, fc_run};

/* ---- batch matrix multiply (fp32): [..., M, K] x [..., K, N] (or [..., N, K] transposed) ---- */

static petite_status bmm_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]];
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

static petite_status bmm_prepare(xnn_graph *g, xnn_node *n, const pt_backend_init *in, pt_backend_info *info, pt_err *e) {
    (void)in, (void)e;
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    uint32_t r = a->ndims, K = a->cur[r - 1], N = o->cur[r - 1];
    raise_scratch(info, pc_gemm_f32_any_scratch(g->isa, K, N));
    n->flops = 2.0 * (double)numel_of(a->cur, r) * N;
    return PETITE_OK;
}

static void bmm_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *b = &g->values[n->in[1]], *o = &g->values[n->out];
    uint32_t r = a->ndims, M = a->cur[r - 2], K = a->cur[r - 1], N = o->cur[r - 1];
    bool tb = n->flags & XNN_FLAG_TRANSPOSE_WEIGHTS;
    uint64_t batches = numel_of(a->cur, r - 2);
    pc_gemm_epi epi = {NULL, NULL, 1.0f, 0, n->out_min, n->out_max, NULL, PC_U_COPY};
    for (uint64_t i = 0; i < batches; i++)
        pc_gemm_f32_any(c, M, N, K, (const float *)a->data + i * M * K, K, (const float *)b->data + i * K * N,
                        tb ? 1 : N, tb ? K : 1, (float *)o->data + i * M * N, N, &epi);
}

const xn_family xn_bmm_family = {xn_check_all_f32, bmm_reshape, bmm_prepare, bmm_run};
