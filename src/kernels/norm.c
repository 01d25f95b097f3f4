/* norm.c — aten::_native_batch_norm_legit_no_training.out and aten::native_layer_norm.out, on the
 * compute layer (per-channel affine, layer norm rows). Batch norm folds its statistics into one
 * scale and shift per channel: at prepare when they are constants, else into scratch each run. */
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

typedef struct bn_args {
    pt_tensor *x, *rm, *rv, *out, *o1, *o2;
    const float *w, *b;
    pk_scalar momentum, eps;
    int64_t C;
    bool constant; /* every statistic is a constant of the program */
} bn_args;

/* (Tensor input, Tensor? weight, Tensor? bias, Tensor running_mean, Tensor running_var,
 *  float momentum, float eps, *, Tensor(a!) out, Tensor(b!) save_mean, Tensor(c!) save_invstd) */
static petite_status bn_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, bn_args *a) {
    petite_status s;
    if ((s = pk_nargs(c, nargs, 11)) || (s = pk_tensor(c, args, 0, "input", &a->x)) || (s = f32(c, a->x, "input")))
        return s;
    if (a->x->rank < 2) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "input must have a channel dim");
    a->C = a->x->sizes[1];
    if ((s = opt_tensor(c, args, 1, "weight", a->C, &a->w)) || (s = opt_tensor(c, args, 2, "bias", a->C, &a->b)) ||
        (s = pk_tensor(c, args, 3, "running_mean", &a->rm)) || (s = pk_tensor(c, args, 4, "running_var", &a->rv)) ||
        (s = f32(c, a->rm, "running_mean")) || (s = f32(c, a->rv, "running_var")) ||
        (s = pk_scalar_arg(c, args, 5, "momentum", &a->momentum)) || (s = pk_scalar_arg(c, args, 6, "eps", &a->eps)) ||
        (s = pk_out(c, args, 7, &a->out)) || (s = pk_out(c, args, 8, &a->o1)) || (s = pk_out(c, args, 9, &a->o2)) ||
        (s = f32(c, a->out, "out")))
        return s;
    if (a->rm->numel != a->C || a->rv->numel != a->C)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "running stats have %lld/%lld values for %lld channels",
                       (long long)a->rm->numel, (long long)a->rv->numel, (long long)a->C);
    a->constant = a->rm->storage == PT_STORE_CONSTANT && a->rv->storage == PT_STORE_CONSTANT &&
                  (args[1]->kind == PETITE_KIND_NONE || args[1]->u.t->storage == PT_STORE_CONSTANT || !a->w) &&
                  (args[2]->kind == PETITE_KIND_NONE || args[2]->u.t->storage == PT_STORE_CONSTANT || !a->b);
    return PETITE_OK;
}

/* y = (x - mean) / sqrt(var + eps) * w + b, folded into one scale and shift per channel */
static void bn_fold(const bn_args *a, float *scale, float *shift) {
    const float *m = a->rm->data, *v = a->rv->data;
    for (int64_t ch = 0; ch < a->C; ch++) {
        float inv = 1.0f / sqrtf(v[ch] + (float)a->eps.d);
        scale[ch] = (a->w ? a->w[ch] : 1.0f) * inv;
        shift[ch] = (a->b ? a->b[ch] : 0.0f) - m[ch] * scale[ch];
    }
}

typedef struct bn_state {
    float *scale, *shift; /* [C] each, when the statistics are constants */
    int64_t C;
} bn_state;

petite_status pk_batch_norm_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    petite_kernel_ctx c = {p->err, NULL, NULL};
    bn_args a;
    petite_status s = bn_unpack(&c, args, nargs, &a);
    if (s) return s;
    bn_state *st = pt_arena_alloc(p->arena, sizeof *st);
    if (!st) return pt_fail(p->err, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    st->C = a.C;
    if (a.constant) {
        st->scale = pt_arena_calloc(p->arena, (size_t)(a.C ? a.C : 1), 2 * sizeof(float));
        if (!st->scale) return pt_fail(p->err, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
        st->shift = st->scale + a.C;
        bn_fold(&a, st->scale, st->shift);
    } else {
        size_t need = pc_align64((size_t)a.C * 2 * sizeof(float));
        if (need > p->scratch) p->scratch = need;
    }
    *state = st;
    return PETITE_OK;
}

petite_status pk_batch_norm_no_training_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    bn_args a;
    petite_status s = bn_unpack(c, args, nargs, &a);
    if (s) return s;
    const bn_state *st = c->state;
    if (!st || st->C != a.C) return PK_FAIL(c, PETITE_ERR_INVALID_STATE, "batch norm was not prepared for %lld channels", (long long)a.C);
    if ((s = pt_tensor_resize(a.out, a.x->rank, a.x->sizes, c->err))) return pt_prefix(c->err, "out");
    int64_t zero = 0;
    if (a.o1->rank == 1) pt_tensor_resize(a.o1, 1, &zero, c->err);
    if (a.o2->rank == 1) pt_tensor_resize(a.o2, 1, &zero, c->err);
    int64_t inner = 1;
    for (int32_t d = 2; d < a.x->rank; d++) inner *= a.x->sizes[d];
    const float *scale = st->scale, *shift = st->shift;
    if (!scale) {
        float *tmp = (float *)c->exec->scratch;
        bn_fold(&a, tmp, tmp + a.C);
        scale = tmp, shift = tmp + a.C;
    }
    pc_channel_affine_f32(c->exec, (size_t)a.x->sizes[0], (size_t)a.C, (size_t)inner, a.x->data, scale, shift, a.out->data);
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
    pc_layer_norm_f32((size_t)outer, (size_t)inner, x->data, w, b, (float)eps.d, out->data,
                      stats ? mean_t->data : NULL, stats ? rstd_t->data : NULL);
    return PETITE_OK;
}
