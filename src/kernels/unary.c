/* unary.c — element-wise activations and math: relu, hardtanh, clamp, sigmoid, tanh, gelu, exp,
 * log, log1p, expm1, sqrt, rsqrt, neg, abs, sin, cos, erf, reciprocal, floor, ceil, round, leaky_relu,
 * elu. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

typedef enum { U_RELU, U_SIGMOID, U_TANH, U_EXP, U_LOG, U_SQRT, U_RSQRT, U_NEG, U_ABS, U_SIN, U_COS,
               U_ERF, U_RECIPROCAL, U_FLOOR, U_CEIL, U_ROUND, U_GELU, U_GELU_TANH, U_CLAMP,
               U_LEAKY, U_ELU, U_LOG1P, U_EXPM1 } unop;

typedef struct uparams { double lo, hi, slope, alpha, scale, input_scale; } uparams;

static inline float apply(unop op, float x, const uparams *p) {
    switch (op) {
    case U_RELU: return x > 0 ? x : (x != x ? x : 0.0f); /* keeps NaN */
    case U_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case U_TANH: return tanhf(x);
    case U_EXP: return expf(x);
    case U_LOG: return logf(x);
    case U_SQRT: return sqrtf(x);
    case U_RSQRT: return 1.0f / sqrtf(x);
    case U_NEG: return -x;
    case U_ABS: return fabsf(x);
    case U_SIN: return sinf(x);
    case U_COS: return cosf(x);
    case U_ERF: return erff(x);
    case U_RECIPROCAL: return 1.0f / x;
    case U_FLOOR: return floorf(x);
    case U_CEIL: return ceilf(x);
    case U_ROUND: return nearbyintf(x);
    case U_GELU: return 0.5f * x * (1.0f + erff(x * 0.70710678118654752f));
    case U_GELU_TANH: {
        const float k = 0.7978845608028654f;
        return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
    }
    case U_CLAMP: {
        if (x != x) return x;
        float y = x < (float)p->lo ? (float)p->lo : x;
        return y > (float)p->hi ? (float)p->hi : y;
    }
    case U_LEAKY: return x > 0 ? x : x * (float)p->slope;
    case U_LOG1P: return log1pf(x);
    case U_EXPM1: return expm1f(x);
    case U_ELU: return x > 0 ? x * (float)p->scale : (float)(p->alpha * p->scale) * (expf(x * (float)p->input_scale) - 1.0f);
    }
    return x;
}

static petite_status unary(petite_kernel_ctx *c, pt_tensor *in, pt_tensor *out, unop op, const uparams *p) {
    petite_status s;
    if (!pt_dtype_is_float(in->dtype) || in->dtype != out->dtype) {
        /* integer relu/clamp/neg/abs keep their dtype; the rest need floats */
        bool int_ok = (op == U_RELU || op == U_CLAMP || op == U_NEG || op == U_ABS) &&
                      pt_dtype_is_integral(in->dtype) && in->dtype == out->dtype;
        if (!int_ok)
            return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "unsupported dtypes: self %s, out %s",
                           petite_dtype_name(in->dtype), petite_dtype_name(out->dtype));
    }
    if ((s = pt_tensor_resize(out, in->rank, in->sizes, c->err))) return pt_prefix(c->err, "out");
    int64_t n = in->numel;
    bool same_layout = in->contiguous && out->contiguous;
    if (in->dtype == PETITE_FLOAT32 && same_layout) {
        const float *x = in->data;
        float *y = out->data;
        switch (op) { /* the hot ones get their own loop so the compiler vectorizes them */
        case U_RELU: for (int64_t i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : (x[i] != x[i] ? x[i] : 0.0f); break;
        case U_CLAMP: {
            float lo = (float)p->lo, hi = (float)p->hi;
            for (int64_t i = 0; i < n; i++) {
                float v = x[i] < lo ? lo : x[i];
                y[i] = x[i] != x[i] ? x[i] : (v > hi ? hi : v);
            }
            break;
        }
        default: for (int64_t i = 0; i < n; i++) y[i] = apply(op, x[i], p); break;
        }
        return PETITE_OK;
    }
    pc_iter it;
    pc_iter_init(&it, in->rank, in->sizes);
    memcpy(it.strides[0], in->strides, (size_t)in->rank * sizeof *in->strides);
    memcpy(it.strides[1], out->strides, (size_t)in->rank * sizeof *in->strides);
    for (int64_t k = 0; k < n; k++, pc_iter_next(&it, 2)) {
        if (pt_dtype_is_float(in->dtype)) {
            float x = (float)pt_load_f64(in->data, in->dtype, it.off[0]);
            pt_store_f64(out->data, out->dtype, it.off[1], apply(op, x, p));
        } else {
            int64_t x = pt_load_i64(in->data, in->dtype, it.off[0]), y = x;
            if (op == U_RELU) y = x > 0 ? x : 0;
            else if (op == U_NEG) y = (int64_t)(0 - (uint64_t)x);
            else if (op == U_ABS) y = x < 0 ? (int64_t)(0 - (uint64_t)x) : x;
            else if (op == U_CLAMP) y = (double)x < p->lo ? (int64_t)p->lo : ((double)x > p->hi ? (int64_t)p->hi : x);
            pt_store_i64(out->data, out->dtype, it.off[1], y);
        }
    }
    return PETITE_OK;
}

/* (Tensor self, *, Tensor(a!) out) */
static petite_status simple(petite_kernel_ctx *c, petite_value **args, size_t nargs, unop op) {
    pt_tensor *in, *out;
    petite_status s;
    uparams p = {0, 0, 0, 0, 0, 0};
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_out(c, args, 1, &out)))
        return s;
    return unary(c, in, out, op, &p);
}

#define SIMPLE(fn, op) \
    petite_status fn(petite_kernel_ctx *c, petite_value **a, size_t n) { return simple(c, a, n, op); }
SIMPLE(pk_relu_out, U_RELU)
SIMPLE(pk_sigmoid_out, U_SIGMOID)
SIMPLE(pk_tanh_out, U_TANH)
SIMPLE(pk_exp_out, U_EXP)
SIMPLE(pk_log_out, U_LOG)
SIMPLE(pk_sqrt_out, U_SQRT)
SIMPLE(pk_rsqrt_out, U_RSQRT)
SIMPLE(pk_neg_out, U_NEG)
SIMPLE(pk_abs_out, U_ABS)
SIMPLE(pk_sin_out, U_SIN)
SIMPLE(pk_cos_out, U_COS)
SIMPLE(pk_erf_out, U_ERF)
SIMPLE(pk_reciprocal_out, U_RECIPROCAL)
SIMPLE(pk_floor_out, U_FLOOR)
SIMPLE(pk_ceil_out, U_CEIL)
SIMPLE(pk_round_out, U_ROUND)
SIMPLE(pk_log1p_out, U_LOG1P)
SIMPLE(pk_expm1_out, U_EXPM1)

/* hardtanh.out(Tensor self, Scalar min_val=-1, Scalar max_val=1, *, Tensor(a!) out) */
petite_status pk_hardtanh_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    pk_scalar lo, hi;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_scalar_arg(c, args, 1, "min_val", &lo)) || (s = pk_scalar_arg(c, args, 2, "max_val", &hi)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    uparams p = {lo.d, hi.d, 0, 0, 0, 0};
    return unary(c, in, out, U_CLAMP, &p);
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
    uparams p = {lo.d, hi.d, 0, 0, 0, 0};
    return unary(c, in, out, U_CLAMP, &p);
}

/* gelu.out(Tensor self, *, str approximate='none', Tensor(a!) out) */
petite_status pk_gelu_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_out(c, args, 2, &out)))
        return s;
    unop op = U_GELU;
    if (args[1]->kind == PETITE_KIND_STRING && args[1]->u.s.n == 4 && !memcmp(args[1]->u.s.p, "tanh", 4))
        op = U_GELU_TANH;
    uparams p = {0, 0, 0, 0, 0, 0};
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
    uparams p = {0, 0, slope.d, 0, 0, 0};
    return unary(c, in, out, U_LEAKY, &p);
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
    uparams p = {0, 0, 0, alpha.d, scale.d, iscale.d};
    return unary(c, in, out, U_ELU, &p);
}
