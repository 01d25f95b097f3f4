/* softmax.c — aten::_softmax.out and aten::_log_softmax.out over one dim, any dim order: float32
 * rows on the compute layer (vector kernels when the dim is the contiguous innermost one), other
 * float dtypes in double. */
#include <math.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

/* (Tensor self, int dim, bool half_to_float, *, Tensor(a!) out) */
static petite_status softmax(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool take_log) {
    pt_tensor *in, *out;
    int64_t dim64;
    bool half_to_float;
    int32_t dim;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim64)) ||
        (s = pk_bool_arg(c, args, 2, "half_to_float", &half_to_float)) ||
        (s = pk_out(c, args, 3, &out)) || (s = pk_dim(c, dim64, in->rank, "dim", &dim)))
        return s;
    if (half_to_float)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "half_to_float=True is not supported");
    if (!pt_dtype_is_float(in->dtype) || in->dtype != out->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "softmax needs equal floating dtypes (self %s, out %s)",
                       petite_dtype_name(in->dtype), petite_dtype_name(out->dtype));
    if ((s = pt_tensor_resize(out, in->rank, in->sizes, c->err))) return pt_prefix(c->err, "out");
    if (in->numel == 0) return PETITE_OK;
    if (in->rank == 0) { /* a scalar: softmax 1, log_softmax 0 */
        pt_store_f64(out->data, out->dtype, 0, take_log ? 0.0 : 1.0);
        return PETITE_OK;
    }
    int64_t len = in->sizes[dim], sin = in->strides[dim], sout = out->strides[dim];
    /* walk every position with index 0 along dim */
    int64_t outer_sizes[PETITE_MAX_RANK];
    for (int32_t d = 0; d < in->rank; d++) outer_sizes[d] = d == dim ? 1 : in->sizes[d];
    pc_iter it;
    pc_iter_init(&it, in->rank, outer_sizes);
    for (int32_t d = 0; d < in->rank; d++) {
        it.strides[0][d] = in->strides[d];
        it.strides[1][d] = out->strides[d];
    }
    int64_t rows = in->numel / len;
    bool f32 = in->dtype == PETITE_FLOAT32;
    if (f32 && in->contiguous && out->contiguous && dim == in->rank - 1) {
        pc_softmax_f32(c->exec, (size_t)rows, (size_t)len, in->data, out->data, take_log, -INFINITY, INFINITY);
        return PETITE_OK;
    }
    for (int64_t r = 0; r < rows; r++, pc_iter_next(&it, 2)) {
        int64_t bi = it.off[0], bo = it.off[1];
        if (f32) {
            pc_softmax_f32_strided((size_t)len, (const float *)in->data + bi, sin, (float *)out->data + bo, sout, take_log);
        } else {
            double mx = pt_load_f64(in->data, in->dtype, bi);
            for (int64_t k = 1; k < len; k++) {
                double v = pt_load_f64(in->data, in->dtype, bi + k * sin);
                mx = v > mx ? v : mx;
            }
            double sum = 0;
            for (int64_t k = 0; k < len; k++) sum += exp(pt_load_f64(in->data, in->dtype, bi + k * sin) - mx);
            for (int64_t k = 0; k < len; k++) {
                double v = pt_load_f64(in->data, in->dtype, bi + k * sin) - mx;
                pt_store_f64(out->data, out->dtype, bo + k * sout, take_log ? v - log(sum) : exp(v) / sum);
            }
        }
    }
    return PETITE_OK;
}

petite_status pk_softmax_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return softmax(c, a, n, false); }
petite_status pk_log_softmax_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return softmax(c, a, n, true); }
