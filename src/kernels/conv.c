/* conv.c — aten::convolution.out (1-D and 2-D NCHW float32, groups, stride, padding, dilation,
 * transposed): an adapter onto the compute layer's pc_conv2d_f32 (NCHW).
 *
 * Prepare checks the arguments once, chooses the algorithm and packs constant weights (and bias)
 * through the program's cache; run only re-derives the spatial sizes when a dynamic input
 * changed them. Weights that are not constants are packed into scratch on every run.
 *
 * Fusion: a batch norm with constant statistics that alone reads the convolution's output is
 * folded into the packed weights and bias, and a relu / hardtanh / clamp that alone reads the
 * result becomes the output clamp; the convolution then writes the last one's output and the
 * runtime skips the absorbed instructions. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

typedef struct conv_state {
    pc_conv2d d;
    const float *packed;      /* NULL: pack into scratch each run */
    size_t packed_bytes;      /* scratch offset of the per-thread compute scratch */
    int32_t sd;               /* spatial dims: 1 or 2 */
    pt_tensor *fused[8];      /* outputs of absorbed instructions (the last one is written) */
    uint32_t nfused;
} conv_state;

static petite_status int_list(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                              int64_t *v, int32_t want, int64_t fill) {
    int32_t n;
    bool present;
    petite_status s = pk_opt_int_list(c, args, i, name, v, &n, &present);
    if (s) return s;
    if (n == 1 && want == 2) v[1] = v[0], n = 2;
    if (n == 0) {
        for (int32_t k = 0; k < want; k++) v[k] = fill;
        n = want;
    }
    if (n != want)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s has %d values, expected %d", name, (int)n, (int)want);
    return PETITE_OK;
}

typedef struct conv_args {
    pt_tensor *x, *w, *b, *out;
    bool transposed;
    int64_t groups;
    int32_t sd;
    int64_t stride[2], pad[2], dil[2], opad[2];
} conv_args;

/* convolution.out(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding,
 *                 int[] dilation, bool transposed, int[] output_padding, int groups, *, Tensor(a!) out) */
static petite_status unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, conv_args *a) {
    petite_status s;
    a->b = NULL;
    if ((s = pk_nargs(c, nargs, 11)) || (s = pk_tensor(c, args, 0, "input", &a->x)) ||
        (s = pk_tensor(c, args, 1, "weight", &a->w)))
        return s;
    if (args[2]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 2, "bias", &a->b))) return s;
    if (a->b && a->b->numel == 0) a->b = NULL; /* an empty tensor stands for None in some writers */
    a->sd = a->x->rank - 2;
    if (a->sd != 1 && a->sd != 2)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "convolution of rank %d (only 1-D and 2-D)", (int)a->x->rank);
    if ((s = int_list(c, args, 3, "stride", a->stride, a->sd, 1)) || (s = int_list(c, args, 4, "padding", a->pad, a->sd, 0)) ||
        (s = int_list(c, args, 5, "dilation", a->dil, a->sd, 1)) || (s = pk_bool_arg(c, args, 6, "transposed", &a->transposed)) ||
        (s = int_list(c, args, 7, "output_padding", a->opad, a->sd, 0)) || (s = pk_int_arg(c, args, 8, "groups", &a->groups)) ||
        (s = pk_out(c, args, 9, &a->out)))
        return s;
    if (a->x->dtype != PETITE_FLOAT32 || a->w->dtype != PETITE_FLOAT32 || a->out->dtype != PETITE_FLOAT32 ||
        (a->b && a->b->dtype != PETITE_FLOAT32))
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "convolution: only float32 is supported");
    if (!a->x->contiguous || !a->w->contiguous || !a->out->contiguous || (a->b && !a->b->contiguous))
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "convolution: only contiguous (NCHW) tensors are supported");
    if (a->w->rank != a->x->rank) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "weight rank differs from input rank");
    return PETITE_OK;
}

/* The descriptor for the current input shape; checks that the sizes fit together. */
static petite_status describe(petite_kernel_ctx *c, const conv_args *a, pc_conv2d *d) {
    const pt_tensor *x = a->x, *w = a->w;
    int32_t sd = a->sd;
    memset(d, 0, sizeof *d);
    d->layout = PC_NCHW;
    d->N = x->sizes[0];
    d->C = x->sizes[1];
    d->H = sd == 2 ? x->sizes[2] : 1;
    d->W = x->sizes[sd == 2 ? 3 : 2];
    d->KH = sd == 2 ? w->sizes[2] : 1;
    d->KW = w->sizes[sd == 2 ? 3 : 2];
    d->sh = sd == 2 ? a->stride[0] : 1, d->sw = a->stride[sd - 1];
    d->pt = sd == 2 ? a->pad[0] : 0, d->pl = a->pad[sd - 1];
    d->dh = sd == 2 ? a->dil[0] : 1, d->dw = a->dil[sd - 1];
    d->groups = a->groups;
    d->transposed = a->transposed;
    d->lo = -INFINITY, d->hi = INFINITY;
    if (a->groups < 1 || d->C % a->groups || d->sh < 1 || d->sw < 1 || d->dh < 1 || d->dw < 1 || d->pt < 0 || d->pl < 0 ||
        d->KH < 1 || d->KW < 1 || d->sh > (1 << 20) || d->sw > (1 << 20) || d->dh > (1 << 20) || d->dw > (1 << 20) ||
        d->pt > (1 << 20) || d->pl > (1 << 20))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "convolution: bad groups/stride/padding/dilation");
    if (!a->transposed) {
        d->OC = w->sizes[0];
        if (w->sizes[1] * a->groups != d->C || d->OC % a->groups)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "weight [%lld, %lld, ...] does not fit %lld input channels in %lld groups",
                           (long long)w->sizes[0], (long long)w->sizes[1], (long long)d->C, (long long)a->groups);
        d->OH = (d->H + 2 * d->pt - d->dh * (d->KH - 1) - 1) / d->sh + 1;
        d->OW = (d->W + 2 * d->pl - d->dw * (d->KW - 1) - 1) / d->sw + 1;
        if (d->H + 2 * d->pt < d->dh * (d->KH - 1) + 1 || d->W + 2 * d->pl < d->dw * (d->KW - 1) + 1) d->OH = d->OW = 0;
    } else {
        d->OC = w->sizes[1] * a->groups;
        if (w->sizes[0] != d->C)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "transposed weight does not fit the input channels");
        d->OH = (d->H - 1) * d->sh - 2 * d->pt + d->dh * (d->KH - 1) + (sd == 2 ? a->opad[0] : 0) + 1;
        d->OW = (d->W - 1) * d->sw - 2 * d->pl + d->dw * (d->KW - 1) + a->opad[sd - 1] + 1;
    }
    if (d->OH < 1 || d->OW < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "convolution: empty output");
    if (a->b && a->b->numel != d->OC)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bias has %lld values for %lld channels", (long long)a->b->numel,
                       (long long)d->OC);
    return PETITE_OK;
}

static pc_weights weights_of(const conv_args *a) {
    const pt_tensor *w = a->w;
    int64_t kh = a->sd == 2 ? w->sizes[2] : 1, kw = w->sizes[a->sd == 2 ? 3 : 2];
    pc_weights r = {w->data, w->sizes[1] * kh * kw, kh * kw, kw, 1, a->b ? a->b->data : NULL, NULL};
    return r;
}

static bool is_const(const petite_value *v) {
    return v->kind == PETITE_KIND_NONE || (v->kind == PETITE_KIND_TENSOR && v->u.t->storage == PT_STORE_CONSTANT);
}

static bool f32_numel(const petite_value *v, int64_t n) {
    return v->kind == PETITE_KIND_NONE ||
           (v->kind == PETITE_KIND_TENSOR && v->u.t->dtype == PETITE_FLOAT32 && v->u.t->contiguous &&
            (v->u.t->numel == n || v->u.t->numel == 0));
}

static bool scalar(const petite_value *v, double *out) {
    if (v->kind == PETITE_KIND_DOUBLE) *out = v->u.d;
    else if (v->kind == PETITE_KIND_INT) *out = (double)v->u.i;
    else return false;
    return true;
}

/* out is a float32 tensor like `like` that nothing but these arguments reads */
static bool private_out(pk_prepare *p, const petite_value *v, const pt_tensor *like, uint32_t own) {
    return v->kind == PETITE_KIND_TENSOR && v->u.t->dtype == PETITE_FLOAT32 && v->u.t->contiguous &&
           v->u.t->rank == like->rank && p->appearances(p, v) == own;
}

/* Fold a following batch norm (into *scale, *shift) and clamp (into d->lo, d->hi); returns how many
 * instructions were absorbed and their outputs. y: the convolution's out value. */
static uint32_t fuse_following(pk_prepare *p, const petite_value *y, pc_conv2d *d, float **scale, float **shift,
                               pt_tensor **outs) {
    uint32_t n = 0;
    const petite_value *cur = y;
    /* the convolution's own out appears twice (out, return); its one reader once more */
    if (n < p->nnext && strcmp(p->next[n].name, "aten::_native_batch_norm_legit_no_training.out") == 0 &&
        p->next[n].nargs == 11) {
        petite_value **a = p->next[n].args;
        double eps;
        int64_t C = d->OC;
        if (a[0] == cur && p->appearances(p, cur) == 3 && is_const(a[1]) && is_const(a[2]) && is_const(a[3]) &&
            is_const(a[4]) && a[3]->kind == PETITE_KIND_TENSOR && a[4]->kind == PETITE_KIND_TENSOR &&
            f32_numel(a[1], C) && f32_numel(a[2], C) && f32_numel(a[3], C) && f32_numel(a[4], C) &&
            a[3]->u.t->numel == C && a[4]->u.t->numel == C && scalar(a[6], &eps) &&
            private_out(p, a[7], y->u.t, p->appearances(p, a[7])) && a[8]->kind == PETITE_KIND_TENSOR && a[9]->kind == PETITE_KIND_TENSOR &&
            p->appearances(p, a[8]) == 2 && p->appearances(p, a[9]) == 2) {
            float *sc = pt_arena_calloc(p->arena, (size_t)C, 2 * sizeof(float));
            if (!sc) return 0;
            const float *g = a[1]->kind == PETITE_KIND_TENSOR && a[1]->u.t->numel ? a[1]->u.t->data : NULL;
            const float *b = a[2]->kind == PETITE_KIND_TENSOR && a[2]->u.t->numel ? a[2]->u.t->data : NULL;
            const float *mean = a[3]->u.t->data, *var = a[4]->u.t->data;
            for (int64_t c = 0; c < C; c++) { /* as the batch norm kernel folds them */
                float inv = 1.0f / sqrtf(var[c] + (float)eps);
                sc[c] = (g ? g[c] : 1.0f) * inv;
                sc[C + c] = (b ? b[c] : 0.0f) - mean[c] * sc[c];
            }
            *scale = sc, *shift = sc + C;
            outs[n++] = a[7]->u.t;
            cur = a[7];
        }
    }
    /* then relu / hardtanh / clamp on float32: an output clamp */
    if (n < p->nnext) {
        const pk_next *x = &p->next[n];
        petite_value **a = x->args;
        float lo = -INFINITY, hi = INFINITY;
        bool ok = false;
        double v;
        if (strcmp(x->name, "aten::relu.out") == 0 && x->nargs == 3) ok = true, lo = 0.0f;
        else if (strcmp(x->name, "aten::hardtanh.out") == 0 && x->nargs == 5 && scalar(a[1], &v)) {
            lo = (float)v;
            ok = scalar(a[2], &v);
            hi = (float)v;
        } else if (strcmp(x->name, "aten::clamp.out") == 0 && x->nargs == 5) {
            ok = true;
            if (a[1]->kind != PETITE_KIND_NONE) ok = scalar(a[1], &v), lo = (float)v;
            if (a[2]->kind != PETITE_KIND_NONE) ok = ok && scalar(a[2], &v), hi = (float)v;
        }
        /* the reader's out appears twice (out, return) in its own instruction */
        size_t oi = x->nargs - 2;
        if (ok && a[0] == cur && p->appearances(p, cur) == 3 && lo <= hi &&
            private_out(p, a[oi], y->u.t, p->appearances(p, a[oi])) && a[oi] == a[oi + 1]) {
            d->lo = lo, d->hi = hi;
            outs[n++] = a[oi]->u.t;
            return n;
        }
    }
    /* or an activation the capture decomposed: SiLU = x * sigmoid(x), hardswish =
     * x * clamp(x + 3, 0, 6) / 6, or a sigmoid alone */
    const pk_next *nx = p->next + n;
    uint32_t left = p->nnext - n;
    const petite_value *o = NULL;
    uint32_t used = 0;
#define IS(k, nm, na) (left > (k) && nx[k].nargs == (na) && strcmp(nx[k].name, nm) == 0)
#define ONLY_READ_ONCE(v) (p->appearances(p, v) == 3)
    if (IS(0, "aten::sigmoid.out", 3) && IS(1, "aten::mul.out", 4) && nx[0].args[0] == cur && p->appearances(p, cur) == 4 &&
        ONLY_READ_ONCE(nx[0].args[1]) &&
        ((nx[1].args[0] == cur && nx[1].args[1] == nx[0].args[1]) || (nx[1].args[1] == cur && nx[1].args[0] == nx[0].args[1]))) {
        d->act = PC_U_SILU, o = nx[1].args[2], used = 2;
    } else if (IS(0, "aten::add.Scalar_out", 5) && IS(1, "aten::clamp.out", 5) && IS(2, "aten::clamp.out", 5) &&
               IS(3, "aten::mul.out", 4) && IS(4, "aten::div.Scalar_out", 4) && nx[0].args[0] == cur &&
               p->appearances(p, cur) == 4) {
        double three, one, zero, six, six2;
        petite_value *a0 = nx[0].args[3], *a1 = nx[1].args[3], *a2 = nx[2].args[3], *a3 = nx[3].args[2];
        if (scalar(nx[0].args[1], &three) && three == 3 && scalar(nx[0].args[2], &one) && one == 1 &&
            nx[1].args[0] == a0 && scalar(nx[1].args[1], &zero) && zero == 0 && nx[1].args[2]->kind == PETITE_KIND_NONE &&
            nx[2].args[0] == a1 && nx[2].args[1]->kind == PETITE_KIND_NONE && scalar(nx[2].args[2], &six) && six == 6 &&
            ((nx[3].args[0] == cur && nx[3].args[1] == a2) || (nx[3].args[1] == cur && nx[3].args[0] == a2)) &&
            nx[4].args[0] == a3 && scalar(nx[4].args[1], &six2) && six2 == 6 && ONLY_READ_ONCE(a0) && ONLY_READ_ONCE(a1) &&
            ONLY_READ_ONCE(a2) && ONLY_READ_ONCE(a3))
            d->act = PC_U_HARDSWISH, o = nx[4].args[2], used = 5;
    } else if (IS(0, "aten::sigmoid.out", 3) && nx[0].args[0] == cur && p->appearances(p, cur) == 3) {
        d->act = PC_U_SIGMOID, o = nx[0].args[1], used = 1;
    }
#undef IS
#undef ONLY_READ_ONCE
    if (used && private_out(p, o, y->u.t, p->appearances(p, o))) {
        d->has_act = 1, d->act_params = pc_unary_defaults();
        for (uint32_t k = 0; k < used; k++) { /* every absorbed instruction's out, resized each run */
            const pk_next *q = &nx[k];
            outs[n++] = q->args[q->nargs - 2]->u.t;
        }
    }
    return n;
}

petite_status pk_convolution_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    petite_kernel_ctx c = {p->err, NULL, NULL};
    conv_args a;
    petite_status s;
    if ((s = unpack(&c, args, nargs, &a))) return s;
    conv_state *st = pt_arena_alloc(p->arena, sizeof *st);
    if (!st) return pt_fail(p->err, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    if ((s = describe(&c, &a, &st->d))) return s;
    st->sd = a.sd;
    bool constant = a.w->storage == PT_STORE_CONSTANT && (!a.b || a.b->storage == PT_STORE_CONSTANT);
    float *scale = NULL, *shift = NULL, *bias = NULL;
    if (constant && !a.transposed) {
        st->nfused = fuse_following(p, args[9], &st->d, &scale, &shift, st->fused);
        /* the chain's last out is written now, while the input is read, though the plan may give
         * it the input's bytes (its life starts later): then run unfused */
        if (st->nfused && pt_tensor_planned_overlap(st->fused[st->nfused - 1], a.x)) {
            st->nfused = 0, scale = shift = NULL;
            st->d.lo = -INFINITY, st->d.hi = INFINITY, st->d.has_act = 0;
        }
        p->absorbed = st->nfused;
        if (scale) { /* the folded bias: b * scale + shift */
            bias = pt_arena_calloc(p->arena, (size_t)st->d.OC, sizeof(float));
            if (!bias) return pt_fail(p->err, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
            for (int64_t o = 0; o < st->d.OC; o++) bias[o] = (a.b ? ((const float *)a.b->data)[o] : 0.0f) * scale[o] + shift[o];
        }
    }
    pc_conv2d_f32_setup(&st->d, p->isa);
    size_t size = pc_conv2d_f32_packed_floats(&st->d) * sizeof(float);
    if (constant) {
        pc_conv2d_pack_args arg = {&st->d, weights_of(&a)};
        if (scale) arg.w.scale = scale, arg.w.bias = bias;
        struct { char tag[4]; int32_t isa, kind, sd; int64_t C, OC, KH, KW, groups; const void *bias, *scale; } desc;
        memset(&desc, 0, sizeof desc);
        memcpy(desc.tag, "ncw", 4);
        desc.isa = (int32_t)st->d.isa, desc.kind = (int32_t)st->d.kind, desc.sd = a.sd;
        desc.C = st->d.C, desc.OC = st->d.OC, desc.KH = st->d.KH, desc.KW = st->d.KW, desc.groups = st->d.groups;
        desc.bias = a.b ? a.b->data : NULL;
        /* a folded batch norm is identified by its statistics (the first absorbed instruction's) */
        desc.scale = scale ? p->next[0].args[3]->u.t->data : NULL;
        uint64_t charged = 0;
        st->packed = p->cache->get(p->cache->owner, a.w->data, pt_tensor_nbytes(a.w), &desc, sizeof desc, size,
                                   pc_conv2d_f32_pack_fill, &arg, &charged, p->err);
        if (!st->packed) return p->err->status;
        p->shared_bytes += charged;
        st->packed_bytes = 0;
    } else {
        st->packed = NULL;
        st->packed_bytes = pc_align64(size);
    }
    size_t need = st->packed_bytes + pc_conv2d_f32_scratch(&st->d);
    if (need > p->scratch) p->scratch = need;
    p->flops = 2.0 * (double)(st->d.N * st->d.OH * st->d.OW * st->d.OC) * (double)(st->d.C / st->d.groups * st->d.KH * st->d.KW);
    *state = st;
    return PETITE_OK;
}

petite_status pk_convolution_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    conv_state *st = c->state;
    if (!st) return PK_FAIL(c, PETITE_ERR_INVALID_STATE, "convolution was not prepared");
    conv_args a;
    petite_status s;
    if ((s = unpack(c, args, nargs, &a))) return s;
    pc_conv2d d = st->d;
    if (a.x->sizes[0] != d.N || a.x->sizes[a.x->rank - 1] != d.W || (a.sd == 2 && a.x->sizes[2] != d.H)) {
        /* a dynamic input changed its sizes: same channels and weights, new spatial sizes */
        pc_conv2d nd;
        if ((s = describe(c, &a, &nd))) return s;
        if (nd.C != d.C || nd.OC != d.OC)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "convolution: channels changed since the method was loaded");
        if (d.layout != PC_NCHW && !(nd.H == 1 && nd.W == 1 && nd.OH == 1 && nd.OW == 1))
            return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "convolution: prepared for a 1x1 image, given %lldx%lld",
                           (long long)nd.H, (long long)nd.W);
        d.N = nd.N, d.H = nd.H, d.W = nd.W, d.OH = nd.OH, d.OW = nd.OW;
        if (pc_conv2d_f32_scratch(&d) + st->packed_bytes > c->exec->scratch_size)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "convolution: the input grew past the size planned at load");
    }
    int64_t osz[4] = {d.N, d.OC, d.OH, d.OW};
    if (a.sd == 1) osz[2] = d.OW;
    if ((s = pt_tensor_resize(a.out, a.x->rank, osz, c->err))) return pt_prefix(c->err, "out");
    pt_tensor *y = a.out;
    for (uint32_t k = 0; k < st->nfused; k++, y = st->fused[k - 1])
        if ((s = pt_tensor_resize(st->fused[k], a.x->rank, osz, c->err))) return pt_prefix(c->err, "fused output %u", k);
    const float *packed = st->packed;
    pc_ctx exec = *c->exec;
    if (!packed) { /* weights computed by the program: pack them at the start of thread 0's scratch */
        pc_weights w = weights_of(&a);
        pc_conv2d_f32_pack(&d, &w, (float *)exec.scratch);
        packed = (const float *)exec.scratch;
        exec.scratch += st->packed_bytes;
    }
    pc_conv2d_f32_run(&exec, &d, packed, a.x->data, y->data);
    return PETITE_OK;
}
