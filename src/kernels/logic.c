/* logic.c — bitwise_and/or/xor.Tensor_out and .Scalar_out (bool and integer tensors),
 * logical_not.out, bitwise_not.out; numpy broadcasting. */
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

typedef enum { L_AND, L_OR, L_XOR } lop;

static petite_status bitwise(petite_kernel_ctx *c, petite_value **args, size_t nargs, lop op, bool scalar) {
    pt_tensor *a, *b, *out;
    pk_scalar sb = {0, 0, 0};
    pc_iter it;
    petite_status s;
    if ((s = pk_binary_unpack(c, args, nargs, scalar, &a, &b, &sb, &out))) return s;
    bool ok = (a->dtype == PETITE_BOOL || pt_dtype_is_integral(a->dtype)) &&
              (!b || b->dtype == PETITE_BOOL || pt_dtype_is_integral(b->dtype)) &&
              (scalar ? sb.kind != PETITE_KIND_DOUBLE : true) &&
              (out->dtype == PETITE_BOOL || pt_dtype_is_integral(out->dtype));
    if (!ok) return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "bitwise ops need bool or integer tensors");
    if ((s = pk_binary_walk(c, a, b, out, &it))) return s;
    for (int64_t k = 0; k < out->numel; k++, pc_iter_next(&it, 3)) {
        int64_t x = pt_load_i64(a->data, a->dtype, it.off[0]);
        int64_t y = b ? pt_load_i64(b->data, b->dtype, it.off[1]) : sb.i;
        int64_t r = op == L_AND ? (x & y) : op == L_OR ? (x | y) : (x ^ y);
        pt_store_i64(out->data, out->dtype, it.off[2], r);
    }
    return PETITE_OK;
}

petite_status pk_bitwise_and_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return bitwise(c, a, n, L_AND, false); }
petite_status pk_bitwise_or_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return bitwise(c, a, n, L_OR, false); }
petite_status pk_bitwise_xor_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return bitwise(c, a, n, L_XOR, false); }
petite_status pk_bitwise_and_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return bitwise(c, a, n, L_AND, true); }
petite_status pk_bitwise_or_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return bitwise(c, a, n, L_OR, true); }
petite_status pk_bitwise_xor_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return bitwise(c, a, n, L_XOR, true); }

/* logical_not.out(Tensor self, *, Tensor(a!) out) / bitwise_not.out */
static petite_status not_kernel(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool logical) {
    pt_tensor *a, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &a)) || (s = pk_out(c, args, 1, &out)))
        return s;
    if (!pt_dtype_is_arith(a->dtype) || !pt_dtype_is_arith(out->dtype) || !a->contiguous || !out->contiguous ||
        (!logical && (pt_dtype_is_float(a->dtype) || a->dtype != out->dtype)))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "unsupported dtypes %s -> %s", petite_dtype_name(a->dtype),
                       petite_dtype_name(out->dtype));
    if ((s = pt_tensor_resize(out, a->rank, a->sizes, c->err))) return pt_prefix(c->err, "out");
    for (int64_t i = 0; i < a->numel; i++) {
        if (logical) pt_store_i64(out->data, out->dtype, i, pt_load_f64(a->data, a->dtype, i) == 0);
        else if (a->dtype == PETITE_BOOL) pt_store_i64(out->data, out->dtype, i, !pt_load_i64(a->data, a->dtype, i));
        else pt_store_i64(out->data, out->dtype, i, ~pt_load_i64(a->data, a->dtype, i));
    }
    return PETITE_OK;
}

petite_status pk_logical_not_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return not_kernel(c, a, n, true); }
petite_status pk_bitwise_not_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return not_kernel(c, a, n, false); }
