/* linear.c — aten::addmm.out, aten::mm.out, aten::bmm.out, aten::linear.out (float32, contiguous): adapters onto
 * the compute layer's GEMM. When mat2 is a constant of the program (a linear layer's weight),
 * prepare packs it once through the program's cache; otherwise each run packs slices into
 * scratch. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static petite_status want_matrix(petite_kernel_ctx *c, const pt_tensor *t, int32_t rank, const char *name) {
    if (t->dtype != PETITE_FLOAT32)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "%s: dtype %s (only float32 is supported)", name,
                       petite_dtype_name(t->dtype));
    if (t->rank != rank)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s must have rank %d, has %d", name, (int)rank, (int)t->rank);
    if (!t->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "%s must be contiguous", name);
    return PETITE_OK;
}

/* B [K, N] (element (k, n) at b[k * ldk + n * ldn]: mat2 [K, N], or a linear layer's weight [N, K])
 * packed once when it is a constant */
typedef struct gemm_state {
    const float *packed;
    size_t K, N;
} gemm_state;

static petite_status prepare_b(pk_prepare *p, const pt_tensor *b, size_t K, size_t N, size_t ldk, size_t ldn, const char *tag,
                               void **state) {
    if (b->storage != PT_STORE_CONSTANT || b->dynamism != PETITE_STATIC) {
        size_t sc = pc_gemm_f32_any_scratch(p->isa, K, N);
        if (sc > p->scratch) p->scratch = sc;
        return PETITE_OK;
    }
    gemm_state *st = pt_arena_alloc(p->arena, sizeof *st);
    if (!st) return pt_fail(p->err, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "no memory");
    pc_gemm_pack_args arg = {p->isa, K, N, b->data, ldk, ldn};
    struct { char tag[4]; int32_t isa; uint64_t K, N; } desc = {{0}, (int32_t)p->isa, K, N};
    memcpy(desc.tag, tag, strlen(tag) < 4 ? strlen(tag) : 4);
    uint64_t charged = 0;
    st->packed = p->cache->get(p->cache->owner, b->data, pt_tensor_nbytes(b), &desc, sizeof desc, pc_gemm_f32_packed_floats(p->isa, K, N) * sizeof(float),
                               pc_gemm_f32_pack_fill, &arg, &charged, p->err);
    if (!st->packed) return p->err->status;
    p->shared_bytes += charged;
    st->K = K, st->N = N;
    *state = st;
    return PETITE_OK;
}

static petite_status prepare_mat2(pk_prepare *p, const pt_tensor *b, void **state) {
    return prepare_b(p, b, (size_t)b->sizes[0], (size_t)b->sizes[1], (size_t)b->sizes[1], 1, "mm", state);
}

/* y [M, N] = a [M, K] x B (as prepare_b describes it), on the packed copy when there is one */
static petite_status gemm_b(petite_kernel_ctx *c, size_t M, size_t N, size_t K, const float *a, const float *b, size_t ldk,
                            size_t ldn, float *y, const pc_gemm_epi *epi) {
    const gemm_state *st = c->state;
    if (st && st->K == K && st->N == N) {
        pc_gemm_f32(c->exec, M, N, K, a, K, st->packed, y, N, epi);
        return PETITE_OK;
    }
    if (pc_gemm_f32_any_scratch(c->exec->isa, K, N) > c->exec->scratch_size)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "matrix product: the inputs grew past the size planned at load");
    pc_gemm_f32_any(c->exec, M, N, K, a, K, b, ldk, ldn, y, N, epi);
    return PETITE_OK;
}

static petite_status gemm(petite_kernel_ctx *c, size_t M, size_t N, size_t K, const float *a, const float *b, float *y,
                          const pc_gemm_epi *epi) {
    return gemm_b(c, M, N, K, a, b, N, 1, y, epi);
}

typedef struct addmm_args {
    pt_tensor *bias, *a, *b, *out;
    pk_scalar beta, alpha;
} addmm_args;

/* addmm.out(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1, Tensor(a!) out) */
static petite_status addmm_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, addmm_args *x) {
    petite_status s;
    if ((s = pk_nargs(c, nargs, 7)) || (s = pk_tensor(c, args, 0, "self", &x->bias)) ||
        (s = pk_tensor(c, args, 1, "mat1", &x->a)) || (s = pk_tensor(c, args, 2, "mat2", &x->b)) ||
        (s = pk_scalar_arg(c, args, 3, "beta", &x->beta)) || (s = pk_scalar_arg(c, args, 4, "alpha", &x->alpha)) ||
        (s = pk_out(c, args, 5, &x->out)) || (s = want_matrix(c, x->a, 2, "mat1")) ||
        (s = want_matrix(c, x->b, 2, "mat2")) || (s = want_matrix(c, x->out, 2, "out")))
        return s;
    if (x->bias->dtype != PETITE_FLOAT32 || !x->bias->contiguous || x->bias->rank > 2)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "self (bias) must be a contiguous float32 tensor of rank <= 2");
    if (x->b->sizes[0] != x->a->sizes[1])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "mat1 [%lld, %lld] and mat2 [%lld, %lld] do not multiply",
                       (long long)x->a->sizes[0], (long long)x->a->sizes[1], (long long)x->b->sizes[0],
                       (long long)x->b->sizes[1]);
    return PETITE_OK;
}

petite_status pk_addmm_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    petite_kernel_ctx c = {p->err, NULL, NULL};
    addmm_args x;
    petite_status s = addmm_unpack(&c, args, nargs, &x);
    if (s) return s;
    p->flops = 2.0 * (double)x.a->sizes[0] * (double)x.a->sizes[1] * (double)x.b->sizes[1];
    return prepare_mat2(p, x.b, state);
}

petite_status pk_addmm_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    addmm_args x;
    petite_status s = addmm_unpack(c, args, nargs, &x);
    if (s) return s;
    int64_t M = x.a->sizes[0], K = x.a->sizes[1], N = x.b->sizes[1];
    const pt_tensor *bias = x.bias;
    /* bias [N], [1, N], [M, N], [M, 1] or a scalar, broadcast into out */
    int64_t bm = bias->rank == 2 ? bias->sizes[0] : 1, bn = bias->rank >= 1 ? bias->sizes[bias->rank - 1] : 1;
    if ((bm != 1 && bm != M) || (bn != 1 && bn != N))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "self (bias) does not broadcast to [%lld, %lld]", (long long)M,
                       (long long)N);
    int64_t osz[2] = {M, N};
    if ((s = pt_tensor_resize(x.out, 2, osz, c->err))) return pt_prefix(c->err, "out");
    float *y = x.out->data;
    const float *bd = bias->data;
    float beta = (float)x.beta.d;
    pc_gemm_epi epi = {NULL, NULL, (float)x.alpha.d, 0, -INFINITY, INFINITY, NULL, PC_U_COPY};
    if (beta == 1.0f && bm == 1 && bn == N) {
        epi.bias_n = bd; /* the common linear layer: bias added in the GEMM's epilogue */
    } else {
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++)
                y[i * N + j] = beta == 0.0f ? 0.0f : beta * bd[(bm == 1 ? 0 : i) * bn + (bn == 1 ? 0 : j)];
        epi.accumulate = 1;
    }
    return gemm(c, (size_t)M, (size_t)N, (size_t)K, x.a->data, x.b->data, y, &epi);
}

/* mm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) */
static petite_status mm_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, pt_tensor **a, pt_tensor **b,
                               pt_tensor **out) {
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", a)) || (s = pk_tensor(c, args, 1, "mat2", b)) ||
        (s = pk_out(c, args, 2, out)) || (s = want_matrix(c, *a, 2, "self")) || (s = want_matrix(c, *b, 2, "mat2")) ||
        (s = want_matrix(c, *out, 2, "out")))
        return s;
    if ((*b)->sizes[0] != (*a)->sizes[1]) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "mm: inner sizes differ");
    return PETITE_OK;
}

petite_status pk_mm_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    petite_kernel_ctx c = {p->err, NULL, NULL};
    pt_tensor *a, *b, *out;
    petite_status s = mm_unpack(&c, args, nargs, &a, &b, &out);
    if (s) return s;
    p->flops = 2.0 * (double)a->sizes[0] * (double)a->sizes[1] * (double)b->sizes[1];
    return prepare_mat2(p, b, state);
}

petite_status pk_mm_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *a, *b, *out;
    petite_status s = mm_unpack(c, args, nargs, &a, &b, &out);
    if (s) return s;
    int64_t M = a->sizes[0], K = a->sizes[1], N = b->sizes[1];
    int64_t osz[2] = {M, N};
    if ((s = pt_tensor_resize(out, 2, osz, c->err))) return pt_prefix(c->err, "out");
    pc_gemm_epi epi = {NULL, NULL, 1.0f, 0, -INFINITY, INFINITY, NULL, PC_U_COPY};
    return gemm(c, (size_t)M, (size_t)N, (size_t)K, a->data, b->data, out->data, &epi);
}

/* bmm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) */
static petite_status bmm_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, pt_tensor **a, pt_tensor **b,
                                pt_tensor **out) {
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", a)) ||
        (s = pk_tensor(c, args, 1, "mat2", b)) || (s = pk_out(c, args, 2, out)) ||
        (s = want_matrix(c, *a, 3, "self")) || (s = want_matrix(c, *b, 3, "mat2")) ||
        (s = want_matrix(c, *out, 3, "out")))
        return s;
    if ((*b)->sizes[0] != (*a)->sizes[0] || (*b)->sizes[1] != (*a)->sizes[2])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bmm: batch or inner sizes differ");
    return PETITE_OK;
}

petite_status pk_bmm_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    petite_kernel_ctx c = {p->err, NULL, NULL};
    pt_tensor *a, *b, *out;
    petite_status s = bmm_unpack(&c, args, nargs, &a, &b, &out);
    if (s) return s;
    size_t sc = pc_gemm_f32_any_scratch(p->isa, (size_t)a->sizes[2], (size_t)b->sizes[2]);
    if (sc > p->scratch) p->scratch = sc;
    p->flops = 2.0 * (double)a->sizes[0] * (double)a->sizes[1] * (double)a->sizes[2] * (double)b->sizes[2];
    *state = NULL;
    return PETITE_OK;
}

petite_status pk_bmm_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *a, *b, *out;
    petite_status s = bmm_unpack(c, args, nargs, &a, &b, &out);
    if (s) return s;
    int64_t B = a->sizes[0], M = a->sizes[1], K = a->sizes[2], N = b->sizes[2];
    int64_t osz[3] = {B, M, N};
    if ((s = pt_tensor_resize(out, 3, osz, c->err))) return pt_prefix(c->err, "out");
    if ((size_t)pc_gemm_f32_any_scratch(c->exec->isa, (size_t)K, (size_t)N) > c->exec->scratch_size)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bmm: the inputs grew past the size planned at load");
    pc_gemm_epi epi = {NULL, NULL, 1.0f, 0, -INFINITY, INFINITY, NULL, PC_U_COPY};
    for (int64_t i = 0; i < B; i++)
        pc_gemm_f32_any(c->exec, (size_t)M, (size_t)N, (size_t)K, (const float *)a->data + i * M * K, (size_t)K,
                        (const float *)b->data + i * K * N, (size_t)N, 1, (float *)out->data + i * M * N, (size_t)N, &epi);
    return PETITE_OK;
}

/* linear.out(Tensor input, Tensor weight, Tensor? bias=None, *, Tensor(a!) out): input [..., K],
 * weight [N, K], bias [N] or None, out [..., N] (what the official exporter's ConvertToLinearPass
 * writes). A constant weight is packed once at load, as mm's. */
typedef struct linear_args {
    pt_tensor *x, *w, *b, *out;
} linear_args;

static petite_status linear_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, linear_args *l) {
    petite_status s;
    l->b = NULL;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "input", &l->x)) || (s = pk_tensor(c, args, 1, "weight", &l->w)) ||
        (args[2]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 2, "bias", &l->b))) || (s = pk_out(c, args, 3, &l->out)) ||
        (s = want_matrix(c, l->w, 2, "weight")))
        return s;
    if (l->x->dtype != PETITE_FLOAT32 || !l->x->contiguous || l->x->rank < 1 || l->out->dtype != PETITE_FLOAT32)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "linear: input and out must be contiguous float32, input of rank >= 1");
    if (l->x->sizes[l->x->rank - 1] != l->w->sizes[1])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "linear: input's last dim %lld, weight [%lld, %lld]",
                       (long long)l->x->sizes[l->x->rank - 1], (long long)l->w->sizes[0], (long long)l->w->sizes[1]);
    if (l->b && (l->b->dtype != PETITE_FLOAT32 || !l->b->contiguous || l->b->rank != 1 || l->b->sizes[0] != l->w->sizes[0]))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "linear: bias must be float32 [%lld]", (long long)l->w->sizes[0]);
    return PETITE_OK;
}

petite_status pk_linear_prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state) {
    petite_kernel_ctx c = {p->err, NULL, NULL};
    linear_args l;
    petite_status s = linear_unpack(&c, args, nargs, &l);
    if (s) return s;
    const size_t N = (size_t)l.w->sizes[0], K = (size_t)l.w->sizes[1];
    p->flops = 2.0 * (double)(l.x->numel / (int64_t)(K ? K : 1)) * (double)N * (double)K;
    return prepare_b(p, l.w, K, N, 1, K, "lin", state); /* B(k, n) = W[n][k] */
}

petite_status pk_linear_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    linear_args l;
    petite_status s = linear_unpack(c, args, nargs, &l);
    if (s) return s;
    const int64_t N = l.w->sizes[0], K = l.w->sizes[1], M = K ? l.x->numel / K : 0;
    int64_t osz[PETITE_MAX_RANK];
    memcpy(osz, l.x->sizes, (size_t)l.x->rank * sizeof *osz);
    osz[l.x->rank - 1] = N;
    if ((s = pt_tensor_resize(l.out, l.x->rank, osz, c->err))) return pt_prefix(c->err, "out");
    pc_gemm_epi epi = {l.b ? l.b->data : NULL, NULL, 1.0f, 0, -INFINITY, INFINITY, NULL, PC_U_COPY};
    return gemm_b(c, (size_t)M, (size_t)N, (size_t)K, l.x->data, l.w->data, 1, (size_t)K, l.out->data, &epi);
}
