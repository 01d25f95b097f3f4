/* copy.c — dtype and memory-format copies: dim_order_ops::_to_dim_order_copy.out and
 * dim_order_ops::_clone_dim_order.out, aten::_to_copy.out, aten::clone.out; aten::copy_ (a
 * mutated buffer's write-back) and aten::copy.out. */
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

/* out[i] = convert(self[i]) for every logical index i, each side with its own strides. */
petite_status pk_copy_convert(petite_kernel_ctx *c, const pt_tensor *in, pt_tensor *out) {
    petite_status s = pt_tensor_resize(out, in->rank, in->sizes, c->err);
    if (s) return pt_prefix(c->err, "out");
    if (!pt_dtype_is_arith(in->dtype) || !pt_dtype_is_arith(out->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "copy from %s to %s is not supported",
                       petite_dtype_name(in->dtype), petite_dtype_name(out->dtype));
    int64_t n = in->numel;
    if (n == 0) return PETITE_OK;
    bool same_layout = true;
    for (int32_t d = 0; d < in->rank; d++)
        same_layout = same_layout && (in->sizes[d] <= 1 || in->strides[d] == out->strides[d]);
    if (in->dtype == out->dtype && same_layout) {
        if (in->data != out->data) memmove(out->data, in->data, pt_tensor_nbytes(in));
        return PETITE_OK;
    }
    if (in->data == out->data)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "in-place copy that changes dtype or layout");
    pc_iter it;
    pc_iter_init(&it, in->rank, in->sizes);
    memcpy(it.strides[0], in->strides, (size_t)in->rank * sizeof *in->strides);
    memcpy(it.strides[1], out->strides, (size_t)in->rank * sizeof *in->strides);
    bool as_float = pt_dtype_is_float(in->dtype) || pt_dtype_is_float(out->dtype);
    if (in->dtype == out->dtype) {
        pc_copy_strided(petite_dtype_size(in->dtype), in->rank, in->sizes, in->data, in->strides, out->data, out->strides);
    } else if (as_float) {
        for (int64_t k = 0; k < n; k++, pc_iter_next(&it, 2))
            pt_store_f64(out->data, out->dtype, it.off[1], pt_load_f64(in->data, in->dtype, it.off[0]));
    } else {
        for (int64_t k = 0; k < n; k++, pc_iter_next(&it, 2))
            pt_store_i64(out->data, out->dtype, it.off[1], pt_load_i64(in->data, in->dtype, it.off[0]));
    }
    return PETITE_OK;
}

/* (Tensor self, *, bool non_blocking=False, int[]? dim_order=None, Tensor(a!) out) */
static petite_status dim_order_copy(petite_kernel_ctx *c, petite_value **args, size_t nargs,
                                    bool allow_dtype_change) {
    pt_tensor *in, *out;
    bool non_blocking, present;
    int64_t order[PETITE_MAX_RANK];
    int32_t n;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_bool_arg(c, args, 1, "non_blocking", &non_blocking)) ||
        (s = pk_opt_int_list(c, args, 2, "dim_order", order, &n, &present)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    if (present) {
        bool ok = n == out->rank;
        for (int32_t d = 0; ok && d < n; d++) ok = order[d] == out->dim_order[d];
        if (!ok)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT,
                           "dim_order argument does not match the out tensor's dim order");
    } else {
        /* None: the out tensor keeps self's memory format */
        bool ok = in->rank == out->rank;
        for (int32_t d = 0; ok && d < in->rank; d++) ok = in->dim_order[d] == out->dim_order[d];
        if (!ok)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT,
                           "dim_order None, but out's dim order differs from self's");
    }
    if (!allow_dtype_change && in->dtype != out->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "clone: self is %s, out is %s",
                       petite_dtype_name(in->dtype), petite_dtype_name(out->dtype));
    return pk_copy_convert(c, in, out);
}

petite_status pk_to_dim_order_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    return dim_order_copy(c, args, nargs, true);
}

petite_status pk_clone_dim_order_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    return dim_order_copy(c, args, nargs, false);
}

/* aten::clone.out(Tensor self, *, MemoryFormat? memory_format=None, Tensor(a!) out) */
petite_status pk_clone_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_out(c, args, 2, &out)))
        return s;
    if (in->dtype != out->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "clone: self is %s, out is %s",
                       petite_dtype_name(in->dtype), petite_dtype_name(out->dtype));
    return pk_copy_convert(c, in, out);
}

/* aten::_to_copy.out(Tensor self, *, bool non_blocking=False, MemoryFormat? memory_format=None,
 * Tensor(a!) out) */
petite_status pk_to_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    return pk_copy_convert(c, in, out);
}

/* dst (of shape_of's shape) = src broadcast to that shape, converted to dst's dtype */
static petite_status copy_broadcast(petite_kernel_ctx *c, const pt_tensor *shape_of, const pt_tensor *src, pt_tensor *dst) {
    if (src->rank > shape_of->rank)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "src has rank %d, more than self's %d", (int)src->rank,
                       (int)shape_of->rank);
    for (int32_t d = 0; d < src->rank; d++) {
        int64_t sd = src->sizes[src->rank - 1 - d], td = shape_of->sizes[shape_of->rank - 1 - d];
        if (sd != td && sd != 1)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "src size %lld at dim %d does not broadcast to self's %lld",
                           (long long)sd, (int)(src->rank - 1 - d), (long long)td);
    }
    petite_status s = pt_tensor_resize(dst, shape_of->rank, shape_of->sizes, c->err);
    if (s) return pt_prefix(c->err, "out");
    if (pk_same_shape(src, dst)) return pk_copy_convert(c, src, dst);
    pt_tensor view = *src; /* src seen at dst's shape: broadcast dims read with stride 0 */
    view.rank = dst->rank;
    view.numel = dst->numel;
    memcpy(view.sizes, dst->sizes, (size_t)dst->rank * sizeof *view.sizes);
    pk_iter_strides(src, dst->rank, dst->sizes, view.strides);
    for (int32_t d = 0; d < dst->rank; d++) view.dim_order[d] = (uint8_t)d;
    if (view.data == dst->data && view.numel > 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "src is self, broadcast");
    return pk_copy_convert(c, &view, dst);
}

/* aten::copy_(Tensor(a!) self, Tensor src, bool non_blocking=False) -> Tensor(a!): the write-back
 * of a mutated buffer. Arguments as the official emitter writes them: self, src, non_blocking and
 * the returned tensor (the same value as self: the emitter aliases an in-place result to its
 * input; another tensor there receives the same copy). */
petite_status pk_copy_inplace(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *self, *src, *ret;
    bool non_blocking;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_out(c, args, 0, &self)) || (s = pk_tensor(c, args, 1, "src", &src)) ||
        (s = pk_bool_arg(c, args, 2, "non_blocking", &non_blocking)) || (s = pk_out(c, args, 3, &ret)))
        return s;
    if ((s = copy_broadcast(c, self, src, self))) return s;
    return ret == self ? PETITE_OK : copy_broadcast(c, self, self, ret);
}

/* aten::copy.out(Tensor self, Tensor src, bool non_blocking=False, *, Tensor(a!) out): out takes
 * self's shape and src's values. */
petite_status pk_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *self, *src, *out;
    bool non_blocking;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &self)) ||
        (s = pk_tensor(c, args, 1, "src", &src)) || (s = pk_bool_arg(c, args, 2, "non_blocking", &non_blocking)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    return copy_broadcast(c, self, src, out);
}
