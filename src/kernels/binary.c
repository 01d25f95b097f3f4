/* binary.c — element-wise arithmetic: add, sub, rsub, mul, div (true, trunc, floor), Tensor and
 * Scalar overloads, numpy broadcasting, torch's dtype promotion (bool < integral < floating).
 *
 * The result dtype is computed as torch does; floats are computed in their own precision (float32
 * in float, half/bfloat16 in float then rounded, float64 in double), integers in int64 and
 * wrapped to the out dtype, so results match the official portable kernels bit for bit on the
 * common paths. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

typedef enum { OP_ADD, OP_SUB, OP_RSUB, OP_MUL, OP_DIV, OP_DIV_TRUNC, OP_DIV_FLOOR } binop;
typedef enum { CK_BOOL, CK_INT, CK_F32, CK_F64 } compute_kind;

static const char *op_name(binop op) {
    static const char *names[] = {"add", "sub", "rsub", "mul", "div", "div(trunc)", "div(floor)"};
    return names[op];
}

/* torch's div_floor for floating point (Python semantics, including signed zero). */
static double div_floor_f64(double a, double b) {
    if (b == 0) return a / b;
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    double fl;
    if (div != 0) {
        fl = floor(div);
        if (div - fl > 0.5) fl += 1.0;
    } else {
        fl = copysign(0.0, a / b);
    }
    return fl;
}

static float div_floor_f32(float a, float b) {
    if (b == 0) return a / b;
    float mod = fmodf(a, b);
    float div = (a - mod) / b;
    if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1;
    float fl;
    if (div != 0) {
        fl = floorf(div);
        if (div - fl > 0.5f) fl += 1.0f;
    } else {
        fl = copysignf(0.0f, a / b);
    }
    return fl;
}

static inline float apply_f32(binop op, float a, float b, float alpha) {
    switch (op) {
    case OP_ADD: return a + alpha * b;
    case OP_SUB: return a - alpha * b;
    case OP_RSUB: return b - alpha * a;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_DIV_TRUNC: return truncf(a / b);
    case OP_DIV_FLOOR: return div_floor_f32(a, b);
    }
    return 0;
}

static inline double apply_f64(binop op, double a, double b, double alpha) {
    switch (op) {
    case OP_ADD: return a + alpha * b;
    case OP_SUB: return a - alpha * b;
    case OP_RSUB: return b - alpha * a;
    case OP_MUL: return a * b;
    case OP_DIV: return a / b;
    case OP_DIV_TRUNC: return trunc(a / b);
    case OP_DIV_FLOOR: return div_floor_f64(a, b);
    }
    return 0;
}

/* Integer ops wrap like two's complement (as torch), computed in uint64 to stay defined. */
static inline bool apply_i64(binop op, int64_t a, int64_t b, int64_t alpha, int64_t *r) {
    uint64_t ua = (uint64_t)a, ub = (uint64_t)b, ual = (uint64_t)alpha;
    switch (op) {
    case OP_ADD: *r = (int64_t)(ua + ual * ub); return true;
    case OP_SUB: *r = (int64_t)(ua - ual * ub); return true;
    case OP_RSUB: *r = (int64_t)(ub - ual * ua); return true;
    case OP_MUL: *r = (int64_t)(ua * ub); return true;
    case OP_DIV_TRUNC:
    case OP_DIV_FLOOR:
        if (b == 0) return false;
        if (a == INT64_MIN && b == -1) {
            *r = INT64_MIN;
            return true;
        }
        *r = a / b;
        if (op == OP_DIV_FLOOR && (a % b != 0) && ((a < 0) != (b < 0))) *r -= 1;
        return true;
    case OP_DIV: return false; /* true division never computes in integers */
    }
    return false;
}

typedef struct operand {
    const pt_tensor *t; /* NULL: scalar */
    pk_scalar s;
} operand;

static int category(int32_t dtype) {
    return dtype == PETITE_BOOL ? 0 : (pt_dtype_is_float(dtype) ? 2 : 1);
}

/* torch's result type for tensor (op) scalar */
static int32_t promote_with_scalar(int32_t t, const pk_scalar *s) {
    int sc = s->kind == PETITE_KIND_BOOL ? 0 : (s->kind == PETITE_KIND_INT ? 1 : 2);
    if (sc <= category(t)) return t;
    return sc == 1 ? PETITE_INT64 : PETITE_FLOAT32;
}

static petite_status binary(petite_kernel_ctx *c, binop op, const pt_tensor *a, const operand *b,
                            const pk_scalar *alpha, pt_tensor *out) {
    int32_t common = b->t ? pt_promote(a->dtype, b->t->dtype) : promote_with_scalar(a->dtype, &b->s);
    if (!pt_dtype_is_arith(a->dtype) || (b->t && !pt_dtype_is_arith(b->t->dtype)) || common < 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "%s: unsupported dtypes %s and %s", op_name(op),
                       petite_dtype_name(a->dtype),
                       b->t ? petite_dtype_name(b->t->dtype) : "scalar");
    if (op == OP_DIV && !pt_dtype_is_float(common)) common = PETITE_FLOAT32;
    if ((op == OP_SUB || op == OP_RSUB) && common == PETITE_BOOL)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "sub: subtraction of bool tensors is not supported");
    if (!pt_can_cast(common, out->dtype) || !pt_dtype_is_arith(out->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "%s: result of dtype %s cannot be stored in an out tensor of dtype %s",
                       op_name(op), petite_dtype_name(common), petite_dtype_name(out->dtype));
    if (alpha && !pt_dtype_is_float(common) && alpha->kind == PETITE_KIND_DOUBLE)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT,
                       "%s: alpha must be an integer for %s operands", op_name(op),
                       petite_dtype_name(common));
    compute_kind ck = common == PETITE_FLOAT64 ? CK_F64
                      : pt_dtype_is_float(common) ? CK_F32
                      : common == PETITE_BOOL ? CK_BOOL : CK_INT;

    /* out resized to the broadcast shape; `it` walks (self, other, out) */
    pc_iter it;
    petite_status s = pk_binary_walk(c, a, b->t, out, &it);
    if (s) return s;
    int64_t n = out->numel;
    if (n == 0) return PETITE_OK;

    double alpha_d = alpha ? alpha->d : 1.0;
    int64_t alpha_i = alpha ? (alpha->kind == PETITE_KIND_DOUBLE ? (int64_t)alpha->d : alpha->i) : 1;

    /* float32 everywhere: the compute layer's broadcast walker and vector kernels (any strides) */
    bool f32 = ck == CK_F32 && a->dtype == PETITE_FLOAT32 && out->dtype == PETITE_FLOAT32 &&
               (!b->t || b->t->dtype == PETITE_FLOAT32);
    if (f32 && op != OP_DIV_TRUNC && op != OP_DIV_FLOOR) {
        static const pc_binary_op map[] = {[OP_ADD] = PC_B_ADD, [OP_SUB] = PC_B_SUB, [OP_RSUB] = PC_B_RSUB,
                                           [OP_MUL] = PC_B_MUL, [OP_DIV] = PC_B_DIV};
        pc_binary_params p = pc_binary_defaults();
        p.alpha = (float)alpha_d;
        float scalar = (float)b->s.d;
        pc_binary_f32(c->exec, map[op], it.rank, it.sizes, a->data, it.strides[0], b->t ? b->t->data : &scalar,
                      it.strides[1], out->data, it.strides[2], &p);
        return PETITE_OK;
    }

    /* general path: strided, broadcast, any arithmetic dtypes */
    const void *bd = b->t ? b->t->data : NULL;
    int32_t bt = b->t ? b->t->dtype : PETITE_FLOAT64;
    for (int64_t k = 0; k < n; k++, pc_iter_next(&it, 3)) {
        int64_t ia = it.off[0], ib = it.off[1], io = it.off[2];
        switch (ck) {
        case CK_F32: {
            float x = (float)pt_load_f64(a->data, a->dtype, ia);
            float z = (float)(bd ? pt_load_f64(bd, bt, ib) : b->s.d);
            float r = apply_f32(op, x, z, (float)alpha_d);
            if (common == PETITE_FLOAT16) r = pt_half_to_float(pt_float_to_half(r));
            else if (common == PETITE_BFLOAT16) r = pt_bf16_to_float(pt_float_to_bf16(r));
            pt_store_f64(out->data, out->dtype, io, r);
            break;
        }
        case CK_F64: {
            double x = pt_load_f64(a->data, a->dtype, ia);
            double z = bd ? pt_load_f64(bd, bt, ib) : b->s.d;
            pt_store_f64(out->data, out->dtype, io, apply_f64(op, x, z, alpha_d));
            break;
        }
        case CK_INT: {
            int64_t x = pt_load_i64(a->data, a->dtype, ia);
            int64_t z = bd ? pt_load_i64(bd, bt, ib) : b->s.i;
            int64_t r;
            if (!apply_i64(op, x, z, alpha_i, &r))
                return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: integer division by zero",
                               op_name(op));
            /* wrap to the common dtype first, as torch computes in it */
            if (common != PETITE_INT64) {
                uint8_t tmp[8];
                pt_store_i64(tmp, common, 0, r);
                r = pt_load_i64(tmp, common, 0);
            }
            pt_store_i64(out->data, out->dtype, io, r);
            break;
        }
        case CK_BOOL: {
            bool x = pt_load_i64(a->data, a->dtype, ia) != 0;
            bool z = bd ? pt_load_i64(bd, bt, ib) != 0 : b->s.i != 0;
            bool r = op == OP_MUL ? (x && z) : (x || (alpha_i != 0 && z));
            if (op == OP_DIV_TRUNC || op == OP_DIV_FLOOR) {
                if (!z)
                    return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: division by zero",
                                   op_name(op));
                r = x;
            }
            pt_store_i64(out->data, out->dtype, io, r);
            break;
        }
        }
    }
    return PETITE_OK;
}

/* ---- argument unpacking per overload ---- */

static petite_status tensor_tensor(petite_kernel_ctx *c, petite_value **args, size_t nargs,
                                   binop op, bool has_alpha) {
    pt_tensor *a, *b, *out;
    pk_scalar alpha;
    petite_status s;
    size_t k = has_alpha ? 3 : 2;
    if ((s = pk_nargs(c, nargs, k + 2)) || (s = pk_tensor(c, args, 0, "self", &a)) ||
        (s = pk_tensor(c, args, 1, "other", &b)) ||
        (has_alpha && (s = pk_scalar_arg(c, args, 2, "alpha", &alpha))) ||
        (s = pk_out(c, args, k, &out)))
        return s;
    operand ob = {b, {0, 0, 0}};
    return binary(c, op, a, &ob, has_alpha ? &alpha : NULL, out);
}

static petite_status tensor_scalar(petite_kernel_ctx *c, petite_value **args, size_t nargs,
                                   binop op, bool has_alpha) {
    pt_tensor *a, *out;
    pk_scalar alpha;
    operand ob = {NULL, {0, 0, 0}};
    petite_status s;
    size_t k = has_alpha ? 3 : 2;
    if ((s = pk_nargs(c, nargs, k + 2)) || (s = pk_tensor(c, args, 0, "self", &a)) ||
        (s = pk_scalar_arg(c, args, 1, "other", &ob.s)) ||
        (has_alpha && (s = pk_scalar_arg(c, args, 2, "alpha", &alpha))) ||
        (s = pk_out(c, args, k, &out)))
        return s;
    return binary(c, op, a, &ob, has_alpha ? &alpha : NULL, out);
}

/* rounding_mode: None, "trunc" or "floor" */
static petite_status rounding_mode(petite_kernel_ctx *c, const pt_value *v, binop *op) {
    if (v->kind == PETITE_KIND_NONE) {
        *op = OP_DIV;
        return PETITE_OK;
    }
    if (v->kind == PETITE_KIND_STRING) {
        if (v->u.s.n == 5 && memcmp(v->u.s.p, "trunc", 5) == 0) {
            *op = OP_DIV_TRUNC;
            return PETITE_OK;
        }
        if (v->u.s.n == 5 && memcmp(v->u.s.p, "floor", 5) == 0) {
            *op = OP_DIV_FLOOR;
            return PETITE_OK;
        }
    }
    return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT,
                   "rounding_mode must be None, \"trunc\" or \"floor\"");
}

petite_status pk_add_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_tensor(c, a, n, OP_ADD, true); }
petite_status pk_sub_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_tensor(c, a, n, OP_SUB, true); }
petite_status pk_mul_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_tensor(c, a, n, OP_MUL, false); }
petite_status pk_div_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_tensor(c, a, n, OP_DIV, false); }
petite_status pk_add_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_scalar(c, a, n, OP_ADD, true); }
petite_status pk_sub_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_scalar(c, a, n, OP_SUB, true); }
petite_status pk_rsub_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_scalar(c, a, n, OP_RSUB, true); }
petite_status pk_mul_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_scalar(c, a, n, OP_MUL, false); }
petite_status pk_div_scalar_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_scalar(c, a, n, OP_DIV, false); }

petite_status pk_floor_divide_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return tensor_tensor(c, a, n, OP_DIV_FLOOR, false); }

petite_status pk_div_out_mode(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *a, *b, *out;
    binop op = OP_DIV;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &a)) ||
        (s = pk_tensor(c, args, 1, "other", &b)) || (s = rounding_mode(c, args[2], &op)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    operand ob = {b, {0, 0, 0}};
    return binary(c, op, a, &ob, NULL, out);
}

petite_status pk_div_scalar_mode_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *a, *out;
    binop op = OP_DIV;
    operand ob = {NULL, {0, 0, 0}};
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &a)) ||
        (s = pk_scalar_arg(c, args, 1, "other", &ob.s)) || (s = rounding_mode(c, args[2], &op)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    return binary(c, op, a, &ob, NULL, out);
}
