/* index.c — embedding.out, arange.out / start_out, where.self_out, comparisons (eq/ne/lt/le/gt/ge, Scalar and Tensor),
 * upsample_nearest2d.vec_out, upsample_bilinear2d.vec_out, pow.Tensor_Scalar_out. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

/* embedding.out(Tensor weight, Tensor indices, SymInt padding_idx=-1, bool scale_grad_by_freq=False,
 *               bool sparse=False, *, Tensor(a!) out) */
petite_status pk_embedding_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *w, *idx, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 7)) || (s = pk_tensor(c, args, 0, "weight", &w)) ||
        (s = pk_tensor(c, args, 1, "indices", &idx)) || (s = pk_out(c, args, 5, &out)))
        return s;
    if (w->rank != 2 || !w->contiguous || w->dtype != out->dtype || !idx->contiguous ||
        (idx->dtype != PETITE_INT64 && idx->dtype != PETITE_INT32))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "embedding: contiguous 2-D weight, int64/int32 indices");
    if (idx->rank + 1 > PETITE_MAX_RANK) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "indices rank too large");
    for (int64_t i = 0; i < idx->numel; i++) { /* every index checked before out is touched */
        int64_t k = pt_load_i64(idx->data, idx->dtype, i);
        if (k < 0 || k >= w->sizes[0])
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index %lld out of range for %lld embeddings",
                           (long long)k, (long long)w->sizes[0]);
    }
    int64_t osz[PETITE_MAX_RANK];
    memcpy(osz, idx->sizes, (size_t)idx->rank * sizeof *osz);
    osz[idx->rank] = w->sizes[1];
    if ((s = pt_tensor_resize(out, idx->rank + 1, osz, c->err))) return pt_prefix(c->err, "out");
    size_t row = (size_t)w->sizes[1] * petite_dtype_size(w->dtype);
    for (int64_t i = 0; i < idx->numel; i++) {
        int64_t k = pt_load_i64(idx->data, idx->dtype, i);
        memcpy((uint8_t *)out->data + (size_t)i * row, (const uint8_t *)w->data + (size_t)k * row, row);
    }
    return PETITE_OK;
}

typedef enum { C_EQ, C_NE, C_LT, C_LE, C_GT, C_GE } cmp;

static bool compare(cmp op, double a, double b) {
    switch (op) {
    case C_EQ: return a == b;
    case C_NE: return a != b;
    case C_LT: return a < b;
    case C_LE: return a <= b;
    case C_GT: return a > b;
    case C_GE: return a >= b;
    }
    return false;
}

static petite_status compare_kernel(petite_kernel_ctx *c, petite_value **args, size_t nargs, cmp op, bool scalar) {
    pt_tensor *a, *b, *out;
    pk_scalar sb = {0, 0, 0};
    pc_iter it;
    petite_status s;
    if ((s = pk_binary_unpack(c, args, nargs, scalar, &a, &b, &sb, &out))) return s;
    if (!pt_dtype_is_arith(a->dtype) || (b && !pt_dtype_is_arith(b->dtype)) || !pt_dtype_is_arith(out->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "unsupported dtypes");
    if ((s = pk_binary_walk(c, a, b, out, &it))) return s;
    bool ints = pt_dtype_is_integral(a->dtype) && (b ? pt_dtype_is_integral(b->dtype) : sb.kind != PETITE_KIND_DOUBLE);
    for (int64_t k = 0; k < out->numel; k++, pc_iter_next(&it, 3)) {
        bool r;
        if (ints) {
            int64_t x = pt_load_i64(a->data, a->dtype, it.off[0]);
            int64_t y = b ? pt_load_i64(b->data, b->dtype, it.off[1]) : sb.i;
            r = op == C_EQ ? x == y : op == C_NE ? x != y : op == C_LT ? x < y : op == C_LE ? x <= y : op == C_GT ? x > y : x >= y;
        } else {
            double x = pt_load_f64(a->data, a->dtype, it.off[0]);
            double y = b ? pt_load_f64(b->data, b->dtype, it.off[1]) : sb.d;
            r = compare(op, x, y);
        }
        pt_store_i64(out->data, out->dtype, it.off[2], r);
    }
    return PETITE_OK;
}

#define CMP(name, op, scalar) \
    petite_status name(petite_kernel_ctx *c, petite_value **a, size_t n) { return compare_kernel(c, a, n, op, scalar); }
CMP(pk_eq_scalar_out, C_EQ, true)
CMP(pk_ne_scalar_out, C_NE, true)
CMP(pk_lt_scalar_out, C_LT, true)
CMP(pk_le_scalar_out, C_LE, true)
CMP(pk_gt_scalar_out, C_GT, true)
CMP(pk_ge_scalar_out, C_GE, true)
CMP(pk_eq_tensor_out, C_EQ, false)
CMP(pk_ne_tensor_out, C_NE, false)
CMP(pk_lt_tensor_out, C_LT, false)
CMP(pk_le_tensor_out, C_LE, false)
CMP(pk_gt_tensor_out, C_GT, false)
CMP(pk_ge_tensor_out, C_GE, false)

/* where.self_out(Tensor condition, Tensor self, Tensor other, *, Tensor(a!) out) */
petite_status pk_where_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *cond, *a, *b, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "condition", &cond)) ||
        (s = pk_tensor(c, args, 1, "self", &a)) || (s = pk_tensor(c, args, 2, "other", &b)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    if (!pt_dtype_is_arith(cond->dtype) || !pt_dtype_is_arith(a->dtype) || !pt_dtype_is_arith(b->dtype) ||
        !pt_dtype_is_arith(out->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "unsupported dtypes");
    int64_t s1[PETITE_MAX_RANK], osz[PETITE_MAX_RANK];
    int32_t r1, orank;
    if ((s = pk_broadcast(c, a, b, s1, &r1))) return s;
    pt_tensor tmp = *a;
    tmp.rank = r1;
    memcpy(tmp.sizes, s1, sizeof s1);
    if ((s = pk_broadcast(c, cond, &tmp, osz, &orank))) return s;
    if ((s = pt_tensor_resize(out, orank, osz, c->err))) return pt_prefix(c->err, "out");
    int64_t sc[PETITE_MAX_RANK], sa[PETITE_MAX_RANK], sb[PETITE_MAX_RANK];
    pk_iter_strides(cond, orank, osz, sc);
    pk_iter_strides(a, orank, osz, sa);
    pk_iter_strides(b, orank, osz, sb);
    pc_iter it;
    pc_iter_init(&it, orank, osz);
    memcpy(it.strides[0], sc, sizeof sc);
    memcpy(it.strides[1], sa, sizeof sa);
    memcpy(it.strides[2], sb, sizeof sb);
    bool as_float = pt_dtype_is_float(out->dtype);
    for (int64_t k = 0; k < out->numel; k++, pc_iter_next(&it, 3)) {
        bool take_a = pt_load_i64(cond->data, cond->dtype, it.off[0]) != 0;
        /* out is contiguous in logical order here: index k */
        if (as_float)
            pt_store_f64(out->data, out->dtype, k, take_a ? pt_load_f64(a->data, a->dtype, it.off[1]) : pt_load_f64(b->data, b->dtype, it.off[2]));
        else
            pt_store_i64(out->data, out->dtype, k, take_a ? pt_load_i64(a->data, a->dtype, it.off[1]) : pt_load_i64(b->data, b->dtype, it.off[2]));
    }
    if (!out->contiguous) return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "where: out must be contiguous");
    return PETITE_OK;
}

/* pow.Tensor_Scalar_out(Tensor self, Scalar exponent, *, Tensor(a!) out) */
petite_status pk_pow_tensor_scalar_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *a, *out;
    pk_scalar e;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &a)) ||
        (s = pk_scalar_arg(c, args, 1, "exponent", &e)) || (s = pk_out(c, args, 2, &out)))
        return s;
    if (!pt_dtype_is_float(a->dtype) || a->dtype != out->dtype || !a->contiguous || !out->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "pow: contiguous float tensors of one dtype");
    if ((s = pt_tensor_resize(out, a->rank, a->sizes, c->err))) return pt_prefix(c->err, "out");
    if (a->dtype == PETITE_FLOAT32 && e.d == 2.0) { /* RMSNorm's square: the same float products, without the generic loads */
        const float *x = a->data;
        float *y = out->data;
        for (int64_t i = 0; i < a->numel; i++) y[i] = x[i] * x[i];
        return PETITE_OK;
    }
    for (int64_t i = 0; i < a->numel; i++) {
        double x = pt_load_f64(a->data, a->dtype, i);
        pt_store_f64(out->data, out->dtype, i, e.d == 2.0 ? (double)((float)x * (float)x) : (double)powf((float)x, (float)e.d));
    }
    return PETITE_OK;
}

/* output size and scale of one upsampled dim: from output_size, else scale_factors */
static petite_status upsample_dims(petite_kernel_ctx *c, petite_value **args, const pt_tensor *x, int64_t *oh,
                                   int64_t *ow, double *sh, double *sw) {
    int64_t os[PETITE_MAX_RANK];
    int32_t n;
    bool present;
    petite_status s = pk_opt_int_list(c, args, 1, "output_size", os, &n, &present);
    if (s) return s;
    int64_t H = x->sizes[2], W = x->sizes[3];
    const pt_value *sf = args[2];
    if (present && n == 2) {
        *oh = os[0], *ow = os[1];
        *sh = (double)H / (double)*oh, *sw = (double)W / (double)*ow;
    } else if (sf->kind == PETITE_KIND_DOUBLE_LIST && sf->u.dl.n == 2) {
        *oh = (int64_t)floor((double)H * sf->u.dl.v[0]), *ow = (int64_t)floor((double)W * sf->u.dl.v[1]);
        *sh = 1.0 / sf->u.dl.v[0], *sw = 1.0 / sf->u.dl.v[1];
    } else {
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "upsample needs output_size or scale_factors");
    }
    if (*oh < 1 || *ow < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "empty upsample output");
    return PETITE_OK;
}

/* upsample_nearest2d.vec_out(Tensor input, SymInt[]? output_size, float[]? scale_factors, *, Tensor(a!) out) */
petite_status pk_upsample_nearest2d_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t OH, OW;
    double sh, sw;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "input", &x)) || (s = pk_out(c, args, 3, &out)))
        return s;
    if (x->rank != 4 || x->dtype != PETITE_FLOAT32 || !x->contiguous || out->dtype != PETITE_FLOAT32 || !out->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "upsample: contiguous float32 NCHW");
    if ((s = upsample_dims(c, args, x, &OH, &OW, &sh, &sw))) return s;
    int64_t osz[4] = {x->sizes[0], x->sizes[1], OH, OW}, H = x->sizes[2], W = x->sizes[3];
    if ((s = pt_tensor_resize(out, 4, osz, c->err))) return pt_prefix(c->err, "out");
    const float *xd = x->data;
    float *y = out->data;
    for (int64_t p = 0; p < x->sizes[0] * x->sizes[1]; p++)
        for (int64_t oh = 0; oh < OH; oh++) {
            int64_t ih = (int64_t)floor((double)oh * sh);
            if (ih > H - 1) ih = H - 1;
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t iw = (int64_t)floor((double)ow * sw);
                if (iw > W - 1) iw = W - 1;
                y[(p * OH + oh) * OW + ow] = xd[(p * H + ih) * W + iw];
            }
        }
    return PETITE_OK;
}

/* upsample_bilinear2d.vec_out(Tensor input, SymInt[]? output_size, bool align_corners,
 *                             float[]? scale_factors, *, Tensor(a!) out) */
petite_status pk_upsample_bilinear2d_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t OH, OW;
    double sh, sw;
    bool align;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "input", &x)) ||
        (s = pk_bool_arg(c, args, 2, "align_corners", &align)) || (s = pk_out(c, args, 4, &out)))
        return s;
    if (x->rank != 4 || x->dtype != PETITE_FLOAT32 || !x->contiguous || out->dtype != PETITE_FLOAT32 || !out->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "upsample: contiguous float32 NCHW");
    /* scale_factors sit at index 3 here */
    petite_value *shifted[5] = {args[0], args[1], args[3], args[3], args[4]};
    if ((s = upsample_dims(c, shifted, x, &OH, &OW, &sh, &sw))) return s;
    int64_t osz[4] = {x->sizes[0], x->sizes[1], OH, OW}, H = x->sizes[2], W = x->sizes[3];
    if ((s = pt_tensor_resize(out, 4, osz, c->err))) return pt_prefix(c->err, "out");
    if (align) {
        sh = OH > 1 ? (double)(H - 1) / (double)(OH - 1) : 0;
        sw = OW > 1 ? (double)(W - 1) / (double)(OW - 1) : 0;
    }
    const float *xd = x->data;
    float *y = out->data;
    for (int64_t p = 0; p < x->sizes[0] * x->sizes[1]; p++)
        for (int64_t oh = 0; oh < OH; oh++) {
            double fy = align ? (double)oh * sh : ((double)oh + 0.5) * sh - 0.5;
            if (fy < 0) fy = 0;
            int64_t y0 = (int64_t)fy, y1 = y0 + 1 < H ? y0 + 1 : H - 1;
            float ly = (float)(fy - (double)y0);
            for (int64_t ow = 0; ow < OW; ow++) {
                double fx = align ? (double)ow * sw : ((double)ow + 0.5) * sw - 0.5;
                if (fx < 0) fx = 0;
                int64_t x0 = (int64_t)fx, x1 = x0 + 1 < W ? x0 + 1 : W - 1;
                float lx = (float)(fx - (double)x0);
                const float *r0 = xd + (p * H + y0) * W, *r1 = xd + (p * H + y1) * W;
                y[(p * OH + oh) * OW + ow] = (1 - ly) * ((1 - lx) * r0[x0] + lx * r0[x1]) + ly * ((1 - lx) * r1[x0] + lx * r1[x1]);
            }
        }
    return PETITE_OK;
}

/* ---- index_select, gather, flip (any dtype: bytes are moved), cumsum ---- */

static int64_t prod(const int64_t *s, int32_t a, int32_t b) {
    int64_t p = 1;
    for (int32_t i = a; i < b; i++) p *= s[i];
    return p;
}

/* the next coordinate of a row-major walk over sizes[0..rank) */
static void next_coord(int64_t *coord, const int64_t *sizes, int32_t rank) {
    for (int32_t d = rank - 1; d >= 0; d--) {
        if (++coord[d] < sizes[d]) return;
        coord[d] = 0;
    }
}

/* row-major element strides of a contiguous tensor */
static void contiguous_strides(const pt_tensor *t, int64_t *st) {
    int64_t s = 1;
    for (int32_t d = t->rank - 1; d >= 0; d--) st[d] = s, s *= t->sizes[d];
}

/* aten::index_select.out(self, dim, index, *, out): out = self taken at index along dim */
petite_status pk_index_select_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *idx, *out;
    int64_t dim64;
    int32_t dim;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &x)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim64)) || (s = pk_tensor(c, args, 2, "index", &idx)) ||
        (s = pk_out(c, args, 3, &out)) || (s = pk_dim(c, dim64, x->rank, "dim", &dim)))
        return s;
    if (!x->contiguous || !idx->contiguous || out->dtype != x->dtype || idx->rank > 1 ||
        (idx->dtype != PETITE_INT64 && idx->dtype != PETITE_INT32))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index_select: contiguous self, a 1-D int64/int32 index, out of self's dtype");
    int64_t osz[PETITE_MAX_RANK];
    memcpy(osz, x->sizes, (size_t)x->rank * sizeof *osz);
    if (x->rank) osz[dim] = idx->numel;
    if ((s = pt_tensor_resize(out, x->rank, osz, c->err))) return pt_prefix(c->err, "out");
    const int64_t n = x->rank ? x->sizes[dim] : 1, outer = prod(x->sizes, 0, dim), inner = prod(x->sizes, dim + 1, x->rank);
    const size_t es = petite_dtype_size(x->dtype), blk = (size_t)inner * es;
    for (int64_t k = 0; k < idx->numel; k++) {
        const int64_t j = pt_load_i64(idx->data, idx->dtype, k);
        if (j < 0 || j >= n)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index_select: index %lld out of range for size %lld",
                           (long long)j, (long long)n);
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < idx->numel; k++) {
            const int64_t j = pt_load_i64(idx->data, idx->dtype, k);
            memcpy((uint8_t *)out->data + ((size_t)(o * idx->numel + k)) * blk,
                   (const uint8_t *)x->data + ((size_t)(o * n + j)) * blk, blk);
        }
    return PETITE_OK;
}

/* aten::index_copy.out(self, dim, index, source, *, out): out = self, then out[.., index[k], ..] =
 * source[.., k, ..] along dim (index: 1-D or 0-d int64; source: self's shape with dim's size the
 * index's length). Every index is checked before anything is written; out may be self itself (a
 * KV cache written in place: nothing copied). */
petite_status pk_index_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *idx, *src, *out;
    int64_t dim64;
    int32_t dim;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "self", &x)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim64)) || (s = pk_tensor(c, args, 2, "index", &idx)) ||
        (s = pk_tensor(c, args, 3, "source", &src)) || (s = pk_out(c, args, 4, &out)))
        return s;
    if (x->rank == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index_copy: self must have a dim");
    if ((s = pk_dim(c, dim64, x->rank, "dim", &dim))) return s;
    if (!x->contiguous || !idx->contiguous || !src->contiguous || src->dtype != x->dtype || out->dtype != x->dtype ||
        idx->dtype != PETITE_INT64 || idx->rank > 1)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT,
                       "index_copy: contiguous self and source of one dtype, a 1-D int64 index, out of self's dtype");
    const int64_t L = idx->numel, n = x->sizes[dim];
    bool fits = src->rank == x->rank;
    for (int32_t d = 0; fits && d < x->rank; d++) fits = src->sizes[d] == (d == dim ? L : x->sizes[d]);
    if (!fits)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index_copy: source must be self's shape with dim %d of size %lld",
                       (int)dim, (long long)L);
    for (int64_t k = 0; k < L; k++) {
        const int64_t j = pt_load_i64(idx->data, idx->dtype, k);
        if (j < 0 || j >= n)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index_copy: index %lld out of range for size %lld",
                           (long long)j, (long long)n);
    }
    if (out->data == x->data && !pk_same_shape(out, x)) /* in place only as the same tensor */
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index_copy: out shares self's memory with another shape");
    if (out->data != x->data) {
        if ((s = pt_tensor_resize(out, x->rank, x->sizes, c->err))) return pt_prefix(c->err, "out");
        if (pt_tensor_nbytes(x)) memcpy(out->data, x->data, pt_tensor_nbytes(x));
    }
    const int64_t outer = prod(x->sizes, 0, dim), inner = prod(x->sizes, dim + 1, x->rank);
    const size_t blk = (size_t)inner * petite_dtype_size(x->dtype);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t k = 0; k < L; k++) {
            const int64_t j = pt_load_i64(idx->data, idx->dtype, k);
            memcpy((uint8_t *)out->data + ((size_t)(o * n + j)) * blk, (const uint8_t *)src->data + ((size_t)(o * L + k)) * blk,
                   blk);
        }
    return PETITE_OK;
}

/* aten::gather.out(self, dim, index, sparse_grad, *, out): out[..i..] = self[..index[..i..]..] along dim */
petite_status pk_gather_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *idx, *out;
    int64_t dim64;
    int32_t dim;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "self", &x)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim64)) || (s = pk_tensor(c, args, 2, "index", &idx)) ||
        (s = pk_out(c, args, 4, &out)) || (s = pk_dim(c, dim64, x->rank, "dim", &dim)))
        return s;
    if (!x->contiguous || !idx->contiguous || out->dtype != x->dtype || (idx->rank != x->rank && idx->numel > 0) ||
        (idx->dtype != PETITE_INT64 && idx->dtype != PETITE_INT32))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "gather: contiguous self, an int64/int32 index of self's rank, out of self's dtype");
    for (int32_t d = 0; d < idx->rank; d++)
        if (d != dim && idx->sizes[d] > x->sizes[d])
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "gather: index size %lld > self size %lld in dim %d",
                           (long long)idx->sizes[d], (long long)x->sizes[d], d);
    if ((s = pt_tensor_resize(out, idx->rank, idx->sizes, c->err))) return pt_prefix(c->err, "out");
    const size_t es = petite_dtype_size(x->dtype);
    int64_t xs[PETITE_MAX_RANK], coord[PETITE_MAX_RANK] = {0};
    contiguous_strides(x, xs);
    for (int64_t k = 0; k < idx->numel; k++) {
        const int64_t j = pt_load_i64(idx->data, idx->dtype, k);
        if (j < 0 || j >= x->sizes[dim])
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "gather: index %lld out of range for size %lld", (long long)j,
                           (long long)x->sizes[dim]);
        int64_t off = 0;
        for (int32_t d = 0; d < idx->rank; d++) off += (d == dim ? j : coord[d]) * xs[d];
        memcpy((uint8_t *)out->data + (size_t)k * es, (const uint8_t *)x->data + (size_t)off * es, es);
        next_coord(coord, idx->sizes, idx->rank);
    }
    return PETITE_OK;
}

/* aten::flip.out(self, dims, *, out) */
petite_status pk_flip_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t dims[PETITE_MAX_RANK];
    int32_t nd;
    bool present, flip[PETITE_MAX_RANK] = {false};
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &x)) ||
        (s = pk_opt_int_list(c, args, 1, "dims", dims, &nd, &present)) || (s = pk_out(c, args, 2, &out)))
        return s;
    if (!x->contiguous || out->dtype != x->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "flip: contiguous self, out of self's dtype");
    for (int32_t i = 0; i < nd; i++) {
        int32_t d;
        if ((s = pk_dim(c, dims[i], x->rank, "dims", &d))) return s;
        flip[d] = true;
    }
    if ((s = pt_tensor_resize(out, x->rank, x->sizes, c->err))) return pt_prefix(c->err, "out");
    const size_t es = petite_dtype_size(x->dtype);
    int64_t xs[PETITE_MAX_RANK], coord[PETITE_MAX_RANK] = {0};
    contiguous_strides(x, xs);
    for (int64_t k = 0; k < x->numel; k++) {
        int64_t off = 0;
        for (int32_t d = 0; d < x->rank; d++) off += (flip[d] ? x->sizes[d] - 1 - coord[d] : coord[d]) * xs[d];
        memcpy((uint8_t *)out->data + (size_t)k * es, (const uint8_t *)x->data + (size_t)off * es, es);
        next_coord(coord, x->sizes, x->rank);
    }
    return PETITE_OK;
}

/* aten::cumsum.out(self, dim, dtype=None, *, out): running sums along dim, accumulated in double (floats)
 * or int64 (integers) as PyTorch's CPU kernel does, each step stored in out's dtype */
petite_status pk_cumsum_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t dim64;
    int32_t dim;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &x)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim64)) || (s = pk_out(c, args, 3, &out)) ||
        (s = pk_dim(c, dim64, x->rank, "dim", &dim)))
        return s;
    if (!x->contiguous || !pt_dtype_is_arith(x->dtype) || !pt_dtype_is_arith(out->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "cumsum: contiguous numeric self and out");
    if ((s = pt_tensor_resize(out, x->rank, x->sizes, c->err))) return pt_prefix(c->err, "out");
    const int64_t n = x->rank ? x->sizes[dim] : 1, outer = prod(x->sizes, 0, dim), inner = prod(x->sizes, dim + 1, x->rank);
    const bool flt = pt_dtype_is_float(out->dtype);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double acc = 0.0;
            int64_t iacc = 0;
            for (int64_t k = 0; k < n; k++) {
                const int64_t at = (o * n + k) * inner + i;
                if (flt) {
                    acc += pt_load_f64(x->data, x->dtype, at);
                    pt_store_f64(out->data, out->dtype, at, acc);
                } else {
                    iacc += pt_load_i64(x->data, x->dtype, at);
                    pt_store_i64(out->data, out->dtype, at, iacc);
                }
            }
        }
    return PETITE_OK;
}

/* ---- sort and topk: a total order on (value, index) pairs, so ties keep index order and the result
 * does not depend on the algorithm (NaN counts as the largest value, as in PyTorch); in place in the
 * outputs, nothing allocated ---- */

typedef struct sort_view {
    void *v;            /* values (out dtype), elements step apart */
    int64_t *ix;        /* indices (int64), step apart */
    int32_t dtype;
    int64_t step;
    bool descending;
} sort_view;

/* a before b in the result order */
static bool sort_before(const sort_view *s, int64_t a, int64_t b) {
    const double x = pt_load_f64(s->v, s->dtype, a * s->step), y = pt_load_f64(s->v, s->dtype, b * s->step);
    const int64_t ia = s->ix[a * s->step], ib = s->ix[b * s->step];
    const bool nx = isnan(x), ny = isnan(y);
    if (nx != ny) return s->descending ? nx : ny; /* NaN is the largest */
    if (!nx && x != y) return s->descending ? x > y : x < y;
    return ia < ib;
}

static void sort_swap(const sort_view *s, int64_t a, int64_t b) {
    const double x = pt_load_f64(s->v, s->dtype, a * s->step), y = pt_load_f64(s->v, s->dtype, b * s->step);
    pt_store_f64(s->v, s->dtype, a * s->step, y), pt_store_f64(s->v, s->dtype, b * s->step, x);
    const int64_t t = s->ix[a * s->step];
    s->ix[a * s->step] = s->ix[b * s->step], s->ix[b * s->step] = t;
}

/* a heap whose root is the element that comes LAST in the order */
static void sift_down(const sort_view *s, int64_t root, int64_t n) {
    for (;;) {
        int64_t c = 2 * root + 1;
        if (c >= n) return;
        if (c + 1 < n && sort_before(s, c, c + 1)) c++;
        if (!sort_before(s, root, c)) return;
        sort_swap(s, root, c);
        root = c;
    }
}

static void heap_sort(const sort_view *s, int64_t n) {
    for (int64_t i = n / 2; i-- > 0;) sift_down(s, i, n);
    for (int64_t end = n - 1; end > 0; end--) {
        sort_swap(s, 0, end);
        sift_down(s, 0, end);
    }
}

static petite_status sort_common(petite_kernel_ctx *c, pt_tensor *x, int64_t dim64, bool descending, int64_t k,
                                 pt_tensor *vals, pt_tensor *idx, const char *op) {
    int32_t dim;
    petite_status s;
    if ((s = pk_dim(c, dim64, x->rank, "dim", &dim))) return s;
    if (!x->contiguous || vals->dtype != x->dtype || idx->dtype != PETITE_INT64 || !pt_dtype_is_arith(x->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: contiguous numeric self, values of its dtype, int64 indices", op);
    const int64_t n = x->rank ? x->sizes[dim] : 1;
    if (k < 0 || k > n) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: k %lld for a dim of %lld", op, (long long)k, (long long)n);
    int64_t osz[PETITE_MAX_RANK];
    memcpy(osz, x->sizes, (size_t)x->rank * sizeof *osz);
    if (x->rank) osz[dim] = k;
    if ((s = pt_tensor_resize(vals, x->rank, osz, c->err)) || (s = pt_tensor_resize(idx, x->rank, osz, c->err)))
        return pt_prefix(c->err, "out");
    const int64_t outer = prod(x->sizes, 0, dim), inner = prod(x->sizes, dim + 1, x->rank);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            sort_view v = {(uint8_t *)vals->data + (size_t)((o * k) * inner + i) * petite_dtype_size(vals->dtype),
                           (int64_t *)idx->data + (o * k) * inner + i, vals->dtype, inner, descending};
            const int64_t xb = o * n * inner + i;
            if (k == n) { /* sort: the whole slice, then in place */
                for (int64_t j = 0; j < n; j++) {
                    pt_store_f64(v.v, v.dtype, j * inner, pt_load_f64(x->data, x->dtype, xb + j * inner));
                    v.ix[j * inner] = j;
                }
                heap_sort(&v, n);
                continue;
            }
            /* topk: the k first in the order kept in a heap (root: the last of them), then sorted */
            for (int64_t j = 0; j < n; j++) {
                const double xv = pt_load_f64(x->data, x->dtype, xb + j * inner);
                if (j < k) {
                    pt_store_f64(v.v, v.dtype, j * inner, xv), v.ix[j * inner] = j;
                    if (j == k - 1)
                        for (int64_t h = k / 2; h-- > 0;) sift_down(&v, h, k);
                    continue;
                }
                if (k == 0) continue;
                /* does (xv, j) come before the root? */
                const double rv = pt_load_f64(v.v, v.dtype, 0);
                const bool nx = isnan(xv), nr = isnan(rv);
                const bool before = nx != nr ? (descending ? nx : nr) : (!nx && xv != rv) ? (descending ? xv > rv : xv < rv)
                                                                                          : j < v.ix[0];
                if (!before) continue;
                pt_store_f64(v.v, v.dtype, 0, xv), v.ix[0] = j;
                sift_down(&v, 0, k);
            }
            if (k > 1) { /* the heap holds the k; sort them */
                for (int64_t end = k - 1; end > 0; end--) {
                    sort_swap(&v, 0, end);
                    sift_down(&v, 0, end);
                }
            }
        }
    return PETITE_OK;
}

/* aten::sort.values(self, dim=-1, descending=False, *, values, indices) */
petite_status pk_sort_values(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *vals, *idx;
    int64_t dim;
    bool desc;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = pk_int_arg(c, args, 1, "dim", &dim)) ||
        (s = pk_bool_arg(c, args, 2, "descending", &desc)) || (s = pk_out(c, args, 3, &vals)) || (s = pk_out(c, args, 4, &idx)))
        return s;
    return sort_common(c, x, dim, desc, x->rank ? x->sizes[dim < 0 ? dim + x->rank : dim] : 1, vals, idx, "sort");
}

/* aten::sort.values_stable(self, *, stable, dim=-1, descending=False, values, indices) */
petite_status pk_sort_values_stable(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *vals, *idx;
    int64_t dim;
    bool desc;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 7)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = pk_int_arg(c, args, 2, "dim", &dim)) ||
        (s = pk_bool_arg(c, args, 3, "descending", &desc)) || (s = pk_out(c, args, 4, &vals)) || (s = pk_out(c, args, 5, &idx)))
        return s;
    if (dim < -(int64_t)(x->rank ? x->rank : 1) || dim >= (x->rank ? x->rank : 1))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "sort: dim %lld", (long long)dim);
    return sort_common(c, x, dim, desc, x->rank ? x->sizes[dim < 0 ? dim + x->rank : dim] : 1, vals, idx, "sort");
}

/* aten::topk.values(self, k, dim=-1, largest=True, sorted=True, *, values, indices): always sorted */
petite_status pk_topk_values(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *vals, *idx;
    int64_t k, dim;
    bool largest, sorted;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 8)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = pk_int_arg(c, args, 1, "k", &k)) ||
        (s = pk_int_arg(c, args, 2, "dim", &dim)) || (s = pk_bool_arg(c, args, 3, "largest", &largest)) ||
        (s = pk_bool_arg(c, args, 4, "sorted", &sorted)) || (s = pk_out(c, args, 5, &vals)) || (s = pk_out(c, args, 6, &idx)))
        return s;
    return sort_common(c, x, dim, largest, k, vals, idx, "topk");
}

/* start, start + step, ... below end (above it for a negative step) into the 1-D out */
static petite_status arange_fill(petite_kernel_ctx *c, const pk_scalar *start, const pk_scalar *end, const pk_scalar *step,
                                 pt_tensor *out) {
    const double a = start->d, b = end->d, st = step->d;
    if (!(st != 0.0) || !isfinite(a) || !isfinite(b) || !isfinite(st))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "arange: start %g, end %g, step %g", a, b, st);
    if ((st > 0 && b < a) || (st < 0 && b > a))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "arange: end %g is on the wrong side of start %g for step %g", b, a, st);
    const double n = ceil((b - a) / st);
    if (n > (double)INT32_MAX) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "arange: %g elements", n);
    const int64_t len = (int64_t)n;
    if (out->rank != 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "arange: out has rank %d, expected 1", (int)out->rank);
    petite_status s = pt_tensor_resize(out, 1, &len, c->err);
    if (s) return pt_prefix(c->err, "out");
    const bool integral = start->kind != PETITE_KIND_DOUBLE && end->kind != PETITE_KIND_DOUBLE && step->kind != PETITE_KIND_DOUBLE;
    if (!pt_dtype_is_arith(out->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "arange: out is %s", petite_dtype_name(out->dtype));
    for (int64_t i = 0; i < len; i++) {
        if (integral && !pt_dtype_is_float(out->dtype)) pt_store_i64(out->data, out->dtype, i, start->i + i * step->i);
        else pt_store_f64(out->data, out->dtype, i, a + (double)i * st);
    }
    return PETITE_OK;
}

/* aten::arange.out(Scalar end, *, Tensor(a!) out) */
petite_status pk_arange_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pk_scalar end, zero = {PETITE_KIND_INT, 0.0, 0}, one = {PETITE_KIND_INT, 1.0, 1};
    pt_tensor *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_scalar_arg(c, args, 0, "end", &end)) || (s = pk_out(c, args, 1, &out)))
        return s;
    return arange_fill(c, &zero, &end, &one, out);
}

/* aten::arange.start_out(Scalar start, Scalar end, Scalar step=1, *, Tensor(a!) out) */
petite_status pk_arange_start_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pk_scalar start, end, step;
    pt_tensor *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_scalar_arg(c, args, 0, "start", &start)) ||
        (s = pk_scalar_arg(c, args, 1, "end", &end)) || (s = pk_scalar_arg(c, args, 2, "step", &step)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    return arange_fill(c, &start, &end, &step, out);
}
