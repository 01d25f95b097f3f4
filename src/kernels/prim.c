/* prim.c — scalar "prim" operators the exporter emits for symbolic shapes:
 * aten::sym_size.int, aten::sym_numel, executorch_prim::{add,sub,mul,floordiv,truediv,eq,gt,lt,ge,
 * le}.Scalar, executorch_prim::et_view.default. Unlike `.out` kernels they take no duplicated
 * return: [inputs..., out], and overwrite the out value. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static void set_int(pt_value *v, int64_t x) { v->kind = PETITE_KIND_INT; v->u.i = x; }
static void set_double(pt_value *v, double x) { v->kind = PETITE_KIND_DOUBLE; v->u.d = x; }
static void set_bool(pt_value *v, bool x) { v->kind = PETITE_KIND_BOOL; v->u.b = x; }

static petite_status scalar_out(petite_kernel_ctx *c, const pt_value *v) {
    if (v->kind != PETITE_KIND_INT && v->kind != PETITE_KIND_DOUBLE && v->kind != PETITE_KIND_BOOL)
        return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "out value is not a scalar");
    return PETITE_OK;
}

petite_status pk_sym_size_int(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *t;
    int64_t dim;
    int32_t d;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &t)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim)) || (s = pk_dim(c, dim, t->rank, "dim", &d)) ||
        (s = scalar_out(c, args[2])))
        return s;
    if (t->rank == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "sym_size of a 0-dim tensor");
    set_int(args[2], t->sizes[d]);
    return PETITE_OK;
}

/* _local_scalar_dense(Tensor self) -> Scalar: element 0 as an Int (integer dtypes), a Double (floating)
 * or a Bool (as the official prim op: a KV-cache export reads its position this way) */
petite_status pk_local_scalar_dense(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *t;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 2)) || (s = pk_tensor(c, args, 0, "self", &t)) || (s = scalar_out(c, args[1]))) return s;
    if (t->numel < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "_local_scalar_dense of an empty tensor");
    if (t->dtype == PETITE_BOOL) set_bool(args[1], ((const uint8_t *)t->data)[0] != 0);
    else if (pt_dtype_is_float(t->dtype)) set_double(args[1], pt_load_f64(t->data, t->dtype, 0));
    else if (pt_dtype_is_arith(t->dtype)) set_int(args[1], pt_load_i64(t->data, t->dtype, 0));
    else return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "_local_scalar_dense: dtype %d is not a real type", (int)t->dtype);
    return PETITE_OK;
}

petite_status pk_sym_numel(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *t;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 2)) || (s = pk_tensor(c, args, 0, "self", &t)) ||
        (s = scalar_out(c, args[1])))
        return s;
    set_int(args[1], t->numel);
    return PETITE_OK;
}

typedef enum { PS_ADD, PS_SUB, PS_MUL, PS_FLOORDIV, PS_TRUEDIV, PS_EQ, PS_GT, PS_LT, PS_GE, PS_LE } prim_op;

static petite_status prim_binary(petite_kernel_ctx *c, petite_value **args, size_t nargs, prim_op op) {
    pk_scalar a, b;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_scalar_arg(c, args, 0, "a", &a)) ||
        (s = pk_scalar_arg(c, args, 1, "b", &b)) || (s = scalar_out(c, args[2])))
        return s;
    bool ints = a.kind != PETITE_KIND_DOUBLE && b.kind != PETITE_KIND_DOUBLE;
    pt_value *out = args[2];
    switch (op) {
    case PS_ADD: ints ? set_int(out, (int64_t)((uint64_t)a.i + (uint64_t)b.i)) : set_double(out, a.d + b.d); break;
    case PS_SUB: ints ? set_int(out, (int64_t)((uint64_t)a.i - (uint64_t)b.i)) : set_double(out, a.d - b.d); break;
    case PS_MUL: ints ? set_int(out, (int64_t)((uint64_t)a.i * (uint64_t)b.i)) : set_double(out, a.d * b.d); break;
    case PS_FLOORDIV:
        if (ints) {
            if (b.i == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "floordiv by zero");
            if (a.i == INT64_MIN && b.i == -1) { set_int(out, INT64_MIN); break; }
            int64_t q = a.i / b.i;
            if ((a.i % b.i != 0) && ((a.i < 0) != (b.i < 0))) q--;
            set_int(out, q);
        } else {
            set_double(out, floor(a.d / b.d));
        }
        break;
    case PS_TRUEDIV: set_double(out, a.d / b.d); break;
    case PS_EQ: set_bool(out, ints ? a.i == b.i : a.d == b.d); break;
    case PS_GT: set_bool(out, ints ? a.i > b.i : a.d > b.d); break;
    case PS_LT: set_bool(out, ints ? a.i < b.i : a.d < b.d); break;
    case PS_GE: set_bool(out, ints ? a.i >= b.i : a.d >= b.d); break;
    case PS_LE: set_bool(out, ints ? a.i <= b.i : a.d <= b.d); break;
    }
    return PETITE_OK;
}

#define PRIM(name, op) \
    petite_status name(petite_kernel_ctx *c, petite_value **a, size_t n) { return prim_binary(c, a, n, op); }
PRIM(pk_prim_add, PS_ADD)
PRIM(pk_prim_sub, PS_SUB)
PRIM(pk_prim_mul, PS_MUL)
PRIM(pk_prim_floordiv, PS_FLOORDIV)
PRIM(pk_prim_truediv, PS_TRUEDIV)
PRIM(pk_prim_eq, PS_EQ)
PRIM(pk_prim_gt, PS_GT)
PRIM(pk_prim_lt, PS_LT)
PRIM(pk_prim_ge, PS_GE)
PRIM(pk_prim_le, PS_LE)

/* et_view(Tensor self, int[] size) -> Tensor: out shares self's data with a new shape. */
petite_status pk_et_view(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t sizes[PETITE_MAX_RANK];
    int32_t n;
    bool present;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_opt_int_list(c, args, 1, "size", sizes, &n, &present)))
        return s;
    if (args[2]->kind != PETITE_KIND_TENSOR)
        return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "out is not a tensor");
    out = args[2]->u.t;
    if (!present) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "size is None");
    if (!in->contiguous || !out->contiguous || in->dtype != out->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "et_view needs contiguous tensors of one dtype");
    int64_t known = 1;
    int32_t infer = -1;
    for (int32_t d = 0; d < n; d++) {
        if (sizes[d] == -1 && infer < 0) infer = d;
        else if (sizes[d] < 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad view size");
        else known *= sizes[d];
    }
    if (infer >= 0) sizes[infer] = known ? in->numel / known : 0;
    if ((s = pt_tensor_resize(out, n, sizes, c->err))) return pt_prefix(c->err, "out");
    if (out->numel != in->numel)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "view of %lld elements as %lld",
                       (long long)in->numel, (long long)out->numel);
    out->data = in->data;
    return PETITE_OK;
}
