/* unary.c — element-wise activations and math: relu, hardtanh, clamp, sigmoid, tanh, gelu, exp,
 * log, log1p, expm1, sqrt, rsqrt, neg, abs, sin, cos, erf, reciprocal, floor, ceil, round, leaky_relu,
 * elu. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

/* float32 runs on the compute layer's vector path; other float dtypes element by element through
 * the same scalar definition (pc_unary_ref); integer relu / clamp / neg / abs keep their dtype. */
typedef struct uparams {
    pc_unary_params f; /* the float parameters (clamp bounds, slope, elu) */
    double lo, hi;     /* clamp bounds for integer tensors */
} uparams;

static uparams params(void) {
    uparams p = {pc_unary_defaults(), -INFINITY, INFINITY};
    return p;
}

static petite_status unary(petite_kernel_ctx *c, pt_tensor *in, pt_tensor *out, pc_unary_op op, const uparams *p) {
    petite_status s;
    if (!pt_dtype_is_float(in->dtype) || in->dtype != out->dtype) {
        bool int_ok = (op == PC_U_RELU || op == PC_U_CLAMP || op == PC_U_NEG || op == PC_U_ABS) &&
                      pt_dtype_is_integral(in->dtype) && in->dtype == out->dtype;
        if (!int_ok)
            return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "unsupported dtypes: self %s, out %s",
                           petite_dtype_name(in->dtype), petite_dtype_name(out->dtype));
    }
    if ((s = pt_tensor_resize(out, in->rank, in->sizes, c->err))) return pt_prefix(c->err, "out");
    int64_t n = in->numel;
    if (in->dtype == PETITE_FLOAT32 && in->contiguous && out->contiguous) {
        pc_vunary_f32(c->exec, op, (size_t)n, in->data, out->data, &p->f);
        return PETITE_OK;
    }
    pc_iter it;
    pk_iter_tensor(&it, in);
    memcpy(it.strides[1], out->strides, (size_t)in->rank * sizeof *in->strides);
    for (int64_t k = 0; k < n; k++, pc_iter_next(&it, 2)) {
        if (pt_dtype_is_float(in->dtype)) {
            float x = (float)pt_load_f64(in->data, in->dtype, it.off[0]);
            pt_store_f64(out->data, out->dtype, it.off[1], pc_unary_ref(op, x, &p->f));
        } else {
            int64_t x = pt_load_i64(in->data, in->dtype, it.off[0]), y = x;
            if (op == PC_U_RELU) y = x > 0 ? x : 0;
            else if (op == PC_U_NEG) y = (int64_t)(0 - (uint64_t)x);
            else if (op == PC_U_ABS) y = x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
            else if (op == PC_U_CLAMP) y = (double)x < p->lo ? (int64_t)p->lo : ((double)x > p->hi ? (int64_t)p->hi : x);
            pt_store_i64(out->data, out->dtype, it.off[1], y);
        }
    }
    return PETITE_OK;
}

/* (Tensor self, *, Tensor(a!) out) */
static petite_status simple(petite_kernel_ctx *c, petite_value **args, size_t nargs, pc_unary_op op) {
    pt_tensor *in, *out;
    petite_status s;
    uparams p = params();
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_out(c, args, 1, &out)))
        return s;
    return unary(c, in, out, op, &p);
}

#define SIMPLE(fn, op) \
    petite_status fn(petite_kernel_ctx *c, petite_value **a, size_t n) { return simple(c, a, n, op); }
SIMPLE(pk_relu_out, PC_U_RELU)
SIMPLE(pk_sigmoid_out, PC_U_SIGMOID)
SIMPLE(pk_tanh_out, PC_U_TANH)
SIMPLE(pk_exp_out, PC_U_EXP)
SIMPLE(pk_log_out, PC_U_LOG)
SIMPLE(pk_sqrt_out, PC_U_SQRT)
SIMPLE(pk_rsqrt_out, PC_U_RSQRT)
SIMPLE(pk_neg_out, PC_U_NEG)
SIMPLE(pk_abs_out, PC_U_ABS)
SIMPLE(pk_sin_out, PC_U_SIN)
SIMPLE(pk_cos_out, PC_U_COS)
SIMPLE(pk_erf_out, PC_U_ERF)
SIMPLE(pk_reciprocal_out, PC_U_RECIPROCAL)
SIMPLE(pk_floor_out, PC_U_FLOOR)
SIMPLE(pk_ceil_out, PC_U_CEIL)
SIMPLE(pk_round_out, PC_U_ROUND)
SIMPLE(pk_log1p_out, PC_U_LOG1P)
SIMPLE(pk_expm1_out, PC_U_EXPM1)

/* hardtanh.out(Tensor self, Scalar min_val=-1, Scalar max_val=1, *, Tensor(a!) out) */
petite_status pk_hardtanh_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    pk_scalar lo, hi;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_scalar_arg(c, args, 1, "min_val", &lo)) || (s = pk_scalar_arg(c, args, 2, "max_val", &hi)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    uparams p = params();
    p.f.lo = (float)lo.d, p.f.hi = (float)hi.d, p.lo = lo.d, p.hi = hi.d;
    return unary(c, in, out, PC_U_CLAMP, &p);
}

/* clamp.out(Tensor self, Scalar? min=None, Scalar? max=None, *, Tensor(a!) out) */
petite_status pk_clamp_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    pk_scalar lo = {0, -INFINITY, 0}, hi = {0, INFINITY, 0};
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (args[1]->kind != PETITE_KIND_NONE && (s = pk_scalar_arg(c, args, 1, "min", &lo))) ||
        (args[2]->kind != PETITE_KIND_NONE && (s = pk_scalar_arg(c, args, 2, "max", &hi))) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    uparams p = params();
    p.f.lo = (float)lo.d, p.f.hi = (float)hi.d, p.lo = lo.d, p.hi = hi.d;
    return unary(c, in, out, PC_U_CLAMP, &p);
}

/* gelu.out(Tensor self, *, str approximate='none', Tensor(a!) out) */
petite_status pk_gelu_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_out(c, args, 2, &out)))
        return s;
    pc_unary_op op = PC_U_GELU;
    if (args[1]->kind == PETITE_KIND_STRING && args[1]->u.s.n == 4 && !memcmp(args[1]->u.s.p, "tanh", 4))
        op = PC_U_GELU_TANH;
    uparams p = params();
    return unary(c, in, out, op, &p);
}

/* leaky_relu.out(Tensor self, Scalar negative_slope=0.01, *, Tensor(a!) out) */
petite_status pk_leaky_relu_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    pk_scalar slope;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_scalar_arg(c, args, 1, "negative_slope", &slope)) || (s = pk_out(c, args, 2, &out)))
        return s;
    uparams p = params();
    p.f.slope = (float)slope.d;
    return unary(c, in, out, PC_U_LEAKY_RELU, &p);
}

/* elu.out(Tensor self, Scalar alpha=1, Scalar scale=1, Scalar input_scale=1, *, Tensor(a!) out) */
petite_status pk_elu_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    pk_scalar alpha, scale, iscale;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_scalar_arg(c, args, 1, "alpha", &alpha)) || (s = pk_scalar_arg(c, args, 2, "scale", &scale)) ||
        (s = pk_scalar_arg(c, args, 3, "input_scale", &iscale)) || (s = pk_out(c, args, 4, &out)))
        return s;
    uparams p = params();
    p.f.alpha = (float)alpha.d, p.f.scale = (float)scale.d, p.f.input_scale = (float)iscale.d;
    return unary(c, in, out, PC_U_ELU, &p);
}
