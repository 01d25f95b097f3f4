/* norm.c — aten::_native_batch_norm_legit_no_training.out and aten::native_layer_norm.out. */
#include <math.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static petite_status f32(petite_kernel_ctx *c, const pt_tensor *t, const char *name) {
    if (t->dtype != PETITE_FLOAT32 || !t->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "%s must be a contiguous float32 tensor", name);
    return PETITE_OK;
}

static petite_status opt_tensor(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                                int64_t numel, const float **out) {
    *out = NULL;
    if (args[i]->kind == PETITE_KIND_NONE) return PETITE_OK;
    pt_tensor *t;
    petite_status s = pk_tensor(c, args, i, name, &t);
    if (s) return s;
    if (t->numel == 0) return PETITE_OK;
    if ((s = f32(c, t, name))) return s;
    if (t->numel != numel)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s has %lld values, expected %lld", name,
                       (long long)t->numel, (long long)numel);
    *out = t->data;
    return PETITE_OK;
}

/* (Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, Tensor running_var,
 *  float momentum, float eps, *, Tensor(a!) out, Tensor(b!) save_mean, Tensor(c!) save_invstd) */
petite_status pk_batch_norm_no_training_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *rm, *rv, *out, *o1, *o2;
    pk_scalar momentum, eps;
    const float *w, *b;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 11)) || (s = pk_tensor(c, args, 0, "input", &x)) || (s = f32(c, x, "input")))
        return s;
    if (x->rank < 2) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "input must have a channel dim");
    int64_t C = x->sizes[1];
    if ((s = opt_tensor(c, args, 1, "weight", C, &w)) || (s = opt_tensor(c, args, 2, "bias", C, &b)) ||
        (s = pk_tensor(c, args, 3, "running_mean", &rm)) || (s = pk_tensor(c, args, 4, "running_var", &rv)) ||
        (s = f32(c, rm, "running_mean")) || (s = f32(c, rv, "running_var")) ||
        (s = pk_scalar_arg(c, args, 5, "momentum", &momentum)) || (s = pk_scalar_arg(c, args, 6, "eps", &eps)) ||
        (s = pk_out(c, args, 7, &out)) || (s = pk_out(c, args, 8, &o1)) || (s = pk_out(c, args, 9, &o2)) ||
        (s = f32(c, out, "out")))
        return s;
    if (rm->numel != C || rv->numel != C)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "running stats have %lld/%lld values for %lld channels",
                       (long long)rm->numel, (long long)rv->numel, (long long)C);
    if ((s = pt_tensor_resize(out, x->rank, x->sizes, c->err))) return pt_prefix(c->err, "out");
    int64_t zero = 0;
    if (o1->rank == 1) pt_tensor_resize(o1, 1, &zero, c->err);
    if (o2->rank == 1) pt_tensor_resize(o2, 1, &zero, c->err);
    int64_t inner = 1;
    for (int32_t d = 2; d < x->rank; d++) inner *= x->sizes[d];
    const float *xd = x->data, *m = rm->data, *v = rv->data;
    float *y = out->data;
    for (int64_t n = 0; n < x->sizes[0]; n++)
        for (int64_t ch = 0; ch < C; ch++) {
            /* y = (x - mean) / sqrt(var + eps) * w + b, folded into one scale and shift */
            float inv = 1.0f / sqrtf(v[ch] + (float)eps.d);
            float scale = (w ? w[ch] : 1.0f) * inv;
            float shift = (b ? b[ch] : 0.0f) - m[ch] * scale;
            const float *xp = xd + (n * C + ch) * inner;
            float *yp = y + (n * C + ch) * inner;
            for (int64_t i = 0; i < inner; i++) yp[i] = xp[i] * scale + shift;
        }
    return PETITE_OK;
}

/* native_layer_norm.out(Tensor input, SymInt[] normalized_shape, Tensor? weight, Tensor? bias,
 *                       float eps, *, Tensor(a!) out0, Tensor(b!) out1, Tensor(c!) out2) */
petite_status pk_native_layer_norm_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out, *mean_t, *rstd_t;
    int64_t ns[PETITE_MAX_RANK];
    int32_t nn;
    bool present;
    pk_scalar eps;
    const float *w, *b;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 9)) || (s = pk_tensor(c, args, 0, "input", &x)) || (s = f32(c, x, "input")) ||
        (s = pk_opt_int_list(c, args, 1, "normalized_shape", ns, &nn, &present)))
        return s;
    if (nn < 1 || nn > x->rank) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad normalized_shape");
    int64_t inner = 1;
    for (int32_t d = 0; d < nn; d++) {
        if (ns[d] != x->sizes[x->rank - nn + d])
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "normalized_shape does not match the input's last dims");
        inner *= ns[d];
    }
    if ((s = opt_tensor(c, args, 2, "weight", inner, &w)) || (s = opt_tensor(c, args, 3, "bias", inner, &b)) ||
        (s = pk_scalar_arg(c, args, 4, "eps", &eps)) || (s = pk_out(c, args, 5, &out)) ||
        (s = pk_out(c, args, 6, &mean_t)) || (s = pk_out(c, args, 7, &rstd_t)) || (s = f32(c, out, "out")))
        return s;
    if ((s = pt_tensor_resize(out, x->rank, x->sizes, c->err))) return pt_prefix(c->err, "out");
    int64_t outer = inner ? x->numel / inner : 0;
    /* mean/rstd outputs: input sizes with the normalized dims set to 1 */
    int64_t msz[PETITE_MAX_RANK];
    for (int32_t d = 0; d < x->rank; d++) msz[d] = d < x->rank - nn ? x->sizes[d] : 1;
    bool stats = mean_t->dtype == PETITE_FLOAT32 && rstd_t->dtype == PETITE_FLOAT32 &&
                 pt_tensor_resize(mean_t, x->rank, msz, c->err) == PETITE_OK &&
                 pt_tensor_resize(rstd_t, x->rank, msz, c->err) == PETITE_OK;
    for (int64_t r = 0; r < outer; r++) {
        const float *xp = (const float *)x->data + r * inner;
        float *yp = (float *)out->data + r * inner;
        double sum = 0, sq = 0;
        for (int64_t i = 0; i < inner; i++) sum += xp[i];
        float mean = (float)(sum / (double)inner);
        for (int64_t i = 0; i < inner; i++) sq += (double)(xp[i] - mean) * (xp[i] - mean);
        float rstd = 1.0f / sqrtf((float)(sq / (double)inner) + (float)eps.d);
        for (int64_t i = 0; i < inner; i++)
            yp[i] = (xp[i] - mean) * rstd * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
        if (stats) {
            ((float *)mean_t->data)[r] = mean;
            ((float *)rstd_t->data)[r] = rstd;
        }
    }
    return PETITE_OK;
}
