/* xn_layout.c — the XNNPACK delegate's data-movement families: StaticTranspose and StaticSlice (strided
 * views copied by the compute layer), StaticConstantPad (pc_pad_f32), StaticReshape (no copy when
 * planning made the output an alias of its input) and Concatenate2..5 (pc_concat_run). */
#include <string.h>

#include "backends/xnnpack/xnn_family.h"

/* ---- transpose, slice, constant pad (fp32) ---- */

static petite_status layout_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
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

/* transposes and slices: strided views copied by the compute layer; the pad: pc_pad_f32 */
static void layout_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    (void)c;
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    uint32_t r = a->ndims;
    if (n->type == XN_StaticConstantPad) {
        pc_pad d = {(int32_t)r, {0}, {0}, {0}, n->fparam};
        for (uint32_t k = 0; k < r; k++) d.in[k] = a->cur[k], d.pre[k] = n->list1[k], d.out[k] = o->cur[k];
        pc_pad_f32(&d, a->data, o->data);
        return;
    }
    int64_t stride_in[XNN_MAX_DIMS], src_stride[XNN_MAX_DIMS], sizes[XNN_MAX_DIMS], base = 0, st = 1;
    for (int32_t k = (int32_t)r - 1; k >= 0; k--) stride_in[k] = st, st *= a->cur[k];
    for (uint32_t k = 0; k < r; k++) {
        if (n->type == XN_StaticTranspose) src_stride[k] = stride_in[n->list1[k]];
        else src_stride[k] = stride_in[k], base += (int64_t)n->list1[k] * stride_in[k]; /* slice */
        sizes[k] = o->cur[k];
    }
    pc_transpose_f32((int32_t)r, sizes, src_stride, (const float *)a->data + base, o->data);
}

const xn_family xn_layout_family = {xn_check_all_f32, layout_reshape, NULL, layout_run};

/* ---- reshape ---- */

static bool reshape_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *a = &g->values[n->in[0]], *out = &g->values[n->out];
    if (is_q8(a)) /* int8 keeps its parameters */
        return is_q8(out) && out->dtype == a->dtype && out->scale == a->scale && out->zero_point == a->zero_point;
    return is_f32(a) && is_f32(out);
}

static petite_status reshape_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
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

static void reshape_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    (void)c;
    const xnn_value *a = &g->values[n->in[0]], *o = &g->values[n->out];
    if (o->data != a->data) memmove(o->data, a->data, numel_of(a->cur, a->ndims) * (is_q8(a) ? 1 : 4));
}

const xn_family xn_reshape_family = {reshape_check, reshape_reshape, NULL, reshape_run};

/* ---- concatenate ---- */

static bool concat_check(const xnn_graph *g, const xnn_node *n) {
    const xnn_value *out = &g->values[n->out];
    bool ok;
    if (is_q8(out)) { /* int8: every input with the output's type and parameters (XNNPACK requires it) */
        ok = true;
        for (uint32_t k = 0; k < n->nin; k++) {
            const xnn_value *v = &g->values[n->in[k]];
            ok = ok && is_q8(v) && v->dtype == out->dtype && v->scale == out->scale && v->zero_point == out->zero_point;
        }
        return ok;
    }
    ok = is_f32(out);
    for (uint32_t k = 0; k < n->nin; k++) ok = ok && is_f32(&g->values[n->in[k]]);
    return ok;
}

static petite_status concat_reshape(const xnn_graph *g, const xnn_node *n, uint32_t *d, uint32_t *r, pt_err *e) {
    const xnn_value *a = &g->values[n->in[0]];
    uint32_t axis = xnn_concat_axis(n), rank = a->ndims;
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

static void concat_run(const pc_ctx *c, xnn_graph *g, const xnn_node *n) {
    (void)c;
    const xnn_value *o = &g->values[n->out];
    uint32_t axis = xnn_concat_axis(n), r = o->ndims;
    int64_t sizes[5];
    const void *x[5];
    int32_t m = 0;
    for (; (uint32_t)m < n->nin && m < 5; m++) sizes[m] = g->values[n->in[m]].cur[axis], x[m] = g->values[n->in[m]].data;
    /* int8 inputs share the output's parameters: bytes are copied */
    pc_concat d = {is_q8(o) ? 1 : 4, (int64_t)numel_of(o->cur, axis), (int64_t)numel_of(o->cur + axis + 1, r - axis - 1),
                   m, sizes};
    pc_concat_run(&d, x, o->data);
}

const xn_family xn_concat_family = {concat_check, concat_reshape, NULL, concat_run};
