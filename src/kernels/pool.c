/* pool.c — 2-D pooling over [N,]C,H,W float32 (any dim order): max_pool2d_with_indices.out,
 * avg_pool2d.out, _adaptive_avg_pool2d.out — adapters onto the compute layer's pc_pool2d_f32. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static petite_status nchw(petite_kernel_ctx *c, const pt_tensor *x) {
    if (x->dtype != PETITE_FLOAT32 || (x->rank != 4 && x->rank != 3))
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "pooling needs a float32 [N,]C,H,W tensor");
    return PETITE_OK;
}

/* (n, h, w, c) strides of an [N,]C,H,W tensor; a missing N is a batch of one */
static void strides_of(const pt_tensor *t, int64_t s[4]) {
    int32_t r = t->rank;
    s[0] = r == 4 ? t->strides[0] : 0;
    s[1] = t->strides[r - 2], s[2] = t->strides[r - 1], s[3] = t->strides[r - 3];
}

static void describe(pc_pool2d *d, const pt_tensor *x, const pt_tensor *y, pc_pool_kind kind, pc_isa isa) {
    memset(d, 0, sizeof *d);
    d->isa = isa;
    int32_t r = x->rank;
    d->kind = kind;
    d->N = r == 4 ? x->sizes[0] : 1, d->C = x->sizes[r - 3], d->H = x->sizes[r - 2], d->W = x->sizes[r - 1];
    d->OH = y->sizes[r - 2], d->OW = y->sizes[r - 1];
    d->lo = -INFINITY, d->hi = INFINITY;
    d->dh = d->dw = 1;
    strides_of(x, d->xs);
    strides_of(y, d->ys);
}

static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
    int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t o = num / s + 1;
    if (ceil_mode && (o - 1) * s >= in + p) o--; /* the last window must start inside the input */
    return o;
}

/* The indices output costs a comparison chain per element: skip it when nothing reads it. */
petite_status pk_max_pool2d_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    if (nargs != 9 || args[7]->kind != PETITE_KIND_TENSOR) return PETITE_OK; /* run reports it */
    int *want = pt_arena_alloc(p->arena, sizeof *want);
    if (!want) return pt_fail(p->err, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    *want = p->read_elsewhere(p, args[7]);
    *state = want;
    return PETITE_OK;
}

/* max_pool2d_with_indices.out(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0,
 *   int[2] dilation=1, bool ceil_mode=False, *, Tensor(a!) out, Tensor(b!) indices) */
petite_status pk_max_pool2d_with_indices_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out, *ind;
    int64_t k[2], st[2], pd[2], dl[2];
    bool ceil_mode;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 9)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = nchw(c, x)) ||
        (s = pk_int_pair(c, args, 1, "kernel_size", k, (const int64_t[2]){1, 1})))
        return s;
    if ((s = pk_int_pair(c, args, 2, "stride", st, (const int64_t[2]){k[0], k[1]})) || (s = pk_int_pair(c, args, 3, "padding", pd, (const int64_t[2]){0, 0})) ||
        (s = pk_int_pair(c, args, 4, "dilation", dl, (const int64_t[2]){1, 1})) || (s = pk_bool_arg(c, args, 5, "ceil_mode", &ceil_mode)) ||
        (s = pk_out(c, args, 6, &out)) || (s = pk_out(c, args, 7, &ind)))
        return s;
    if (k[0] < 1 || k[1] < 1 || st[0] < 1 || st[1] < 1 || dl[0] < 1 || dl[1] < 1 || pd[0] < 0 || pd[1] < 0 ||
        pd[0] * 2 > k[0] || pd[1] * 2 > k[1])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad kernel_size/stride/padding/dilation");
    int32_t r = x->rank;
    int64_t H = x->sizes[r - 2], W = x->sizes[r - 1];
    int64_t OH = pool_out(H, k[0], st[0], pd[0], dl[0], ceil_mode), OW = pool_out(W, k[1], st[1], pd[1], dl[1], ceil_mode);
    int64_t osz[4];
    for (int32_t d = 0; d < r - 2; d++) osz[d] = x->sizes[d];
    osz[r - 2] = OH, osz[r - 1] = OW;
    if (out->dtype != PETITE_FLOAT32) return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "out must be float32");
    if ((s = pt_tensor_resize(out, r, osz, c->err))) return pt_prefix(c->err, "out");
    bool want_ind = ind->dtype == PETITE_INT64 && pt_tensor_resize(ind, r, osz, c->err) == PETITE_OK &&
                    (!c->state || *(const int *)c->state);
    pc_pool2d d;
    describe(&d, x, out, PC_POOL_MAX, c->exec->isa);
    d.KH = k[0], d.KW = k[1], d.sh = st[0], d.sw = st[1], d.pt = pd[0], d.pl = pd[1], d.dh = dl[0], d.dw = dl[1];
    if (want_ind && (ind->strides[r - 1] != out->strides[r - 1] || ind->strides[r - 2] != out->strides[r - 2] ||
                     ind->strides[r - 3] != out->strides[r - 3] || (r == 4 && ind->strides[0] != out->strides[0])))
        want_ind = false; /* indices in another layout than out: not written */
    pc_pool2d_f32(&d, x->data, out->data, want_ind ? ind->data : NULL);
    return PETITE_OK;
}

/* avg_pool2d.out(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0,
 *   bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None, *, Tensor(a!) out) */
petite_status pk_avg_pool2d_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t k[2], st[2], pd[2], divisor = 0;
    bool ceil_mode, include_pad;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 9)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = nchw(c, x)) ||
        (s = pk_int_pair(c, args, 1, "kernel_size", k, (const int64_t[2]){1, 1})))
        return s;
    if ((s = pk_int_pair(c, args, 2, "stride", st, (const int64_t[2]){k[0], k[1]})) || (s = pk_int_pair(c, args, 3, "padding", pd, (const int64_t[2]){0, 0})) ||
        (s = pk_bool_arg(c, args, 4, "ceil_mode", &ceil_mode)) ||
        (s = pk_bool_arg(c, args, 5, "count_include_pad", &include_pad)) ||
        (args[6]->kind != PETITE_KIND_NONE && (s = pk_int_arg(c, args, 6, "divisor_override", &divisor))) ||
        (s = pk_out(c, args, 7, &out)))
        return s;
    if (k[0] < 1 || k[1] < 1 || st[0] < 1 || st[1] < 1 || pd[0] < 0 || pd[1] < 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad kernel_size/stride/padding");
    int32_t r = x->rank;
    int64_t H = x->sizes[r - 2], W = x->sizes[r - 1];
    int64_t OH = pool_out(H, k[0], st[0], pd[0], 1, ceil_mode), OW = pool_out(W, k[1], st[1], pd[1], 1, ceil_mode);
    int64_t osz[4];
    for (int32_t d = 0; d < r - 2; d++) osz[d] = x->sizes[d];
    osz[r - 2] = OH, osz[r - 1] = OW;
    if ((s = pt_tensor_resize(out, r, osz, c->err))) return pt_prefix(c->err, "out");
    pc_pool2d d;
    describe(&d, x, out, PC_POOL_AVG, c->exec->isa);
    d.KH = k[0], d.KW = k[1], d.sh = st[0], d.sw = st[1], d.pt = pd[0], d.pl = pd[1], d.pb = pd[0], d.pr = pd[1];
    d.count_include_pad = include_pad, d.divisor = divisor;
    pc_pool2d_f32(&d, x->data, out->data, NULL);
    return PETITE_OK;
}

/* _adaptive_avg_pool2d.out(Tensor self, SymInt[2] output_size, *, Tensor(a!) out) */
petite_status pk_adaptive_avg_pool2d_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t os[2];
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = nchw(c, x)) ||
        (s = pk_int_pair(c, args, 1, "output_size", os, (const int64_t[2]){1, 1})) || (s = pk_out(c, args, 2, &out)))
        return s;
    int32_t r = x->rank;
    if (os[0] < 1 || os[1] < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad output_size");
    int64_t osz[4];
    for (int32_t d = 0; d < r - 2; d++) osz[d] = x->sizes[d];
    osz[r - 2] = os[0], osz[r - 1] = os[1];
    if ((s = pt_tensor_resize(out, r, osz, c->err))) return pt_prefix(c->err, "out");
    pc_pool2d d;
    describe(&d, x, out, PC_POOL_ADAPTIVE_AVG, c->exec->isa);
    pc_pool2d_f32(&d, x->data, out->data, NULL);
    return PETITE_OK;
}
