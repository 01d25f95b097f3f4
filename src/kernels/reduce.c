/* reduce.c — reductions over a list of dims: mean.out, sum.IntList_out, amax.out, amin.out,
 * argmax.out. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

typedef enum { R_SUM, R_MEAN, R_MAX, R_MIN } rop;

/* reduce `in` over dims flagged in `mask` into `out` (already resized, keepdim or not) */
static void reduce_f(const pt_tensor *in, const bool *mask, pt_tensor *out, rop op) {
    /* iterate over output positions (kept dims), then over reduced dims */
    int64_t kept_sizes[PETITE_MAX_RANK] = {0}, kept_strides[PETITE_MAX_RANK] = {0}, red_sizes[PETITE_MAX_RANK] = {0},
        red_strides[PETITE_MAX_RANK] = {0};
    int32_t nk = 0, nr = 0;
    for (int32_t d = 0; d < in->rank; d++) {
        if (mask[d]) red_sizes[nr] = in->sizes[d], red_strides[nr++] = in->strides[d];
        else kept_sizes[nk] = in->sizes[d], kept_strides[nk++] = in->strides[d];
    }
    int64_t nout = 1, nred = 1;
    for (int32_t d = 0; d < nk; d++) nout *= kept_sizes[d];
    for (int32_t d = 0; d < nr; d++) nred *= red_sizes[d];
    pc_iter ko;
    pc_iter_init(&ko, nk, kept_sizes);
    memcpy(ko.strides[0], kept_strides, (size_t)nk * sizeof(int64_t));
    for (int64_t o = 0; o < nout; o++, pc_iter_next(&ko, 1)) {
        pc_iter ri;
        pc_iter_init(&ri, nr, red_sizes);
        memcpy(ri.strides[0], red_strides, (size_t)nr * sizeof(int64_t));
        double acc = op == R_MAX ? -INFINITY : (op == R_MIN ? INFINITY : 0.0);
        bool nan = false;
        for (int64_t k = 0; k < nred; k++, pc_iter_next(&ri, 1)) {
            double v = pt_load_f64(in->data, in->dtype, ko.off[0] + ri.off[0]);
            if (v != v) nan = true;
            if (op == R_MAX) acc = v > acc ? v : acc;
            else if (op == R_MIN) acc = v < acc ? v : acc;
            else acc += v;
        }
        if (op == R_MEAN) acc = nred ? acc / (double)nred : NAN;
        if (nan && (op == R_MAX || op == R_MIN)) acc = NAN;
        pt_store_f64(out->data, out->dtype, o, acc);
    }
}

/* dims (None or [] = all), keepdim -> mask + out shape */
static petite_status reduce_shape(petite_kernel_ctx *c, const pt_tensor *in, petite_value **args, size_t di,
                                  bool keepdim, bool *mask, int64_t *osz, int32_t *orank) {
    int64_t dims[PETITE_MAX_RANK];
    int32_t n;
    bool present;
    petite_status s;
    if (args[di]->kind == PETITE_KIND_INT) {
        dims[0] = args[di]->u.i;
        n = 1;
    } else if ((s = pk_opt_int_list(c, args, di, "dim", dims, &n, &present))) {
        return s;
    }
    for (int32_t d = 0; d < in->rank; d++) mask[d] = n == 0;
    for (int32_t k = 0; k < n; k++) {
        int32_t d;
        if ((s = pk_dim(c, dims[k], in->rank, "dim", &d))) return s;
        if (in->rank) mask[d] = true;
    }
    *orank = 0;
    for (int32_t d = 0; d < in->rank; d++) {
        if (!mask[d]) osz[(*orank)++] = in->sizes[d];
        else if (keepdim) osz[(*orank)++] = 1;
    }
    return PETITE_OK;
}

/* mean.out(Tensor self, int[1]? dim, bool keepdim=False, *, ScalarType? dtype=None, Tensor(a!) out)
 * sum.IntList_out: same arguments */
static petite_status mean_sum(petite_kernel_ctx *c, petite_value **args, size_t nargs, rop op) {
    pt_tensor *in, *out;
    bool keepdim, mask[PETITE_MAX_RANK];
    int64_t osz[PETITE_MAX_RANK];
    int32_t orank;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_bool_arg(c, args, 2, "keepdim", &keepdim)) || (s = pk_out(c, args, 4, &out)) ||
        (s = reduce_shape(c, in, args, 1, keepdim, mask, osz, &orank)))
        return s;
    if (!pt_dtype_is_arith(in->dtype) || !pt_dtype_is_arith(out->dtype) ||
        (op == R_MEAN && !pt_dtype_is_float(out->dtype)))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "unsupported dtypes %s -> %s", petite_dtype_name(in->dtype),
                       petite_dtype_name(out->dtype));
    if (!out->contiguous) return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "out must be contiguous");
    if ((s = pt_tensor_resize(out, orank, osz, c->err))) return pt_prefix(c->err, "out");
    if (op == R_SUM && !pt_dtype_is_float(out->dtype)) {
        /* exact integer sums */
        bool all = true;
        for (int32_t d = 0; d < in->rank; d++) all = all && mask[d];
        if (!all || !in->contiguous)
            return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "integer sum over some dims is not supported");
        int64_t acc = 0;
        for (int64_t i = 0; i < in->numel; i++) acc += pt_load_i64(in->data, in->dtype, i);
        pt_store_i64(out->data, out->dtype, 0, acc);
        return PETITE_OK;
    }
    /* float32 over trailing dims of a contiguous tensor: rows on the vector path */
    int32_t lead = 0;
    while (lead < in->rank && !mask[lead]) lead++;
    bool trailing = true;
    for (int32_t d = lead; d < in->rank; d++) trailing = trailing && mask[d];
    if (in->dtype == PETITE_FLOAT32 && out->dtype == PETITE_FLOAT32 && in->contiguous && trailing && in->numel > 0) {
        int64_t n = 1;
        for (int32_t d = lead; d < in->rank; d++) n *= in->sizes[d];
        pc_sum_rows_f32(c->exec, (size_t)(in->numel / n), (size_t)n, in->data, out->data,
                        op == R_MEAN ? 1.0f / (float)n : 1.0f);
        return PETITE_OK;
    }
    reduce_f(in, mask, out, op);
    return PETITE_OK;
}

petite_status pk_mean_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return mean_sum(c, a, n, R_MEAN); }
petite_status pk_sum_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return mean_sum(c, a, n, R_SUM); }

/* amax.out(Tensor self, int[1] dim=[], bool keepdim=False, *, Tensor(a!) out) */
static petite_status amax_amin(petite_kernel_ctx *c, petite_value **args, size_t nargs, rop op) {
    pt_tensor *in, *out;
    bool keepdim, mask[PETITE_MAX_RANK];
    int64_t osz[PETITE_MAX_RANK];
    int32_t orank;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_bool_arg(c, args, 2, "keepdim", &keepdim)) || (s = pk_out(c, args, 3, &out)) ||
        (s = reduce_shape(c, in, args, 1, keepdim, mask, osz, &orank)))
        return s;
    if (!pt_dtype_is_float(in->dtype) || in->dtype != out->dtype || !out->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "amax/amin: float tensors of one dtype only");
    if ((s = pt_tensor_resize(out, orank, osz, c->err))) return pt_prefix(c->err, "out");
    reduce_f(in, mask, out, op);
    return PETITE_OK;
}

petite_status pk_amax_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return amax_amin(c, a, n, R_MAX); }
petite_status pk_amin_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return amax_amin(c, a, n, R_MIN); }

/* argmax.out(Tensor self, int? dim=None, bool keepdim=False, *, Tensor(a!) out) */
petite_status pk_argmax_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    bool keepdim;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_bool_arg(c, args, 2, "keepdim", &keepdim)) || (s = pk_out(c, args, 3, &out)))
        return s;
    if (out->dtype != PETITE_INT64 || !in->contiguous || !pt_dtype_is_arith(in->dtype))
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "argmax: contiguous input, int64 out");
    int32_t dim = -1;
    if (args[1]->kind != PETITE_KIND_NONE) {
        int64_t d;
        if ((s = pk_int_arg(c, args, 1, "dim", &d)) || (s = pk_dim(c, d, in->rank, "dim", &dim))) return s;
    }
    int64_t osz[PETITE_MAX_RANK];
    int32_t orank = 0;
    int64_t len = in->numel, inner = 1, outer = 1;
    if (dim >= 0 && in->rank) {
        len = in->sizes[dim];
        for (int32_t d = 0; d < in->rank; d++) {
            if (d < dim) outer *= in->sizes[d];
            if (d > dim) inner *= in->sizes[d];
            if (d != dim) osz[orank++] = in->sizes[d];
            else if (keepdim) osz[orank++] = 1;
        }
    } else if (keepdim) {
        for (int32_t d = 0; d < in->rank; d++) osz[orank++] = 1;
    }
    if ((s = pt_tensor_resize(out, orank, osz, c->err))) return pt_prefix(c->err, "out");
    if (len == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "argmax of an empty dim");
    int64_t *y = out->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            int64_t best = 0;
            double bv = pt_load_f64(in->data, in->dtype, o * len * inner + i);
            for (int64_t k = 1; k < len; k++) {
                double v = pt_load_f64(in->data, in->dtype, (o * len + k) * inner + i);
                if (v > bv || (v != v && bv == bv)) best = k, bv = v;
            }
            y[o * inner + i] = best;
        }
    return PETITE_OK;
}
