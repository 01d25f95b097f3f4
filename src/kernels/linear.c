/* linear.c — aten::addmm.out, aten::mm.out, aten::bmm.out (float32, any strides handled by a
 * contiguous requirement with a clear error otherwise). */
#include "kernels/gemm.h"
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

/* Is a [K, N] matrix stored as the transpose of a contiguous [N, K] one? (t_copy is emitted as a
 * copy, so this is only the plain contiguous case.) */

/* addmm.out(Tensor self, Tensor mat1, Tensor mat2, *, Scalar beta=1, Scalar alpha=1, Tensor(a!) out) */
petite_status pk_addmm_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *bias, *a, *b, *out;
    pk_scalar beta, alpha;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 7)) || (s = pk_tensor(c, args, 0, "self", &bias)) ||
        (s = pk_tensor(c, args, 1, "mat1", &a)) || (s = pk_tensor(c, args, 2, "mat2", &b)) ||
        (s = pk_scalar_arg(c, args, 3, "beta", &beta)) || (s = pk_scalar_arg(c, args, 4, "alpha", &alpha)) ||
        (s = pk_out(c, args, 5, &out)) || (s = want_matrix(c, a, 2, "mat1")) ||
        (s = want_matrix(c, b, 2, "mat2")) || (s = want_matrix(c, out, 2, "out")))
        return s;
    int64_t M = a->sizes[0], K = a->sizes[1], N = b->sizes[1];
    if (b->sizes[0] != K)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "mat1 [%lld, %lld] and mat2 [%lld, %lld] do not multiply",
                       (long long)M, (long long)K, (long long)b->sizes[0], (long long)N);
    int64_t osz[2] = {M, N};
    if ((s = pt_tensor_resize(out, 2, osz, c->err))) return pt_prefix(c->err, "out");
    if (bias->dtype != PETITE_FLOAT32 || !bias->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "self (bias) must be contiguous float32");
    /* broadcast bias [N], [1, N], [M, N] or [M, 1] into out, then accumulate */
    float *y = out->data;
    const float *bd = bias->data;
    float bt = (float)beta.d;
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            int64_t bi = bias->rank == 2 ? (bias->sizes[0] == 1 ? 0 : i) : 0;
            int64_t bj = bias->rank == 0 ? 0 : (bias->sizes[bias->rank - 1] == 1 ? 0 : j);
            int64_t idx = bias->rank == 2 ? bi * bias->sizes[1] + bj : bj;
            y[i * N + j] = bt == 0.0f ? 0.0f : bt * bd[idx];
        }
    if (bias->numel != 1 && bias->numel != N && bias->numel != M * N && bias->numel != M)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "self (bias) does not broadcast to [%lld, %lld]",
                       (long long)M, (long long)N);
    pk_gemm_f32(M, N, K, (float)alpha.d, a->data, K, b->data, N, 0, 1.0f, y, N);
    return PETITE_OK;
}

/* mm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) */
petite_status pk_mm_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *a, *b, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &a)) ||
        (s = pk_tensor(c, args, 1, "mat2", &b)) || (s = pk_out(c, args, 2, &out)) ||
        (s = want_matrix(c, a, 2, "self")) || (s = want_matrix(c, b, 2, "mat2")) ||
        (s = want_matrix(c, out, 2, "out")))
        return s;
    int64_t M = a->sizes[0], K = a->sizes[1], N = b->sizes[1];
    if (b->sizes[0] != K) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "mm: inner sizes differ");
    int64_t osz[2] = {M, N};
    if ((s = pt_tensor_resize(out, 2, osz, c->err))) return pt_prefix(c->err, "out");
    pk_gemm_f32(M, N, K, 1.0f, a->data, K, b->data, N, 0, 0.0f, out->data, N);
    return PETITE_OK;
}

/* bmm.out(Tensor self, Tensor mat2, *, Tensor(a!) out) */
petite_status pk_bmm_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *a, *b, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &a)) ||
        (s = pk_tensor(c, args, 1, "mat2", &b)) || (s = pk_out(c, args, 2, &out)) ||
        (s = want_matrix(c, a, 3, "self")) || (s = want_matrix(c, b, 3, "mat2")) ||
        (s = want_matrix(c, out, 3, "out")))
        return s;
    int64_t B = a->sizes[0], M = a->sizes[1], K = a->sizes[2], N = b->sizes[2];
    if (b->sizes[0] != B || b->sizes[1] != K)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bmm: batch or inner sizes differ");
    int64_t osz[3] = {B, M, N};
    if ((s = pt_tensor_resize(out, 3, osz, c->err))) return pt_prefix(c->err, "out");
    for (int64_t i = 0; i < B; i++)
        pk_gemm_f32(M, N, K, 1.0f, (const float *)a->data + i * M * K, K,
                    (const float *)b->data + i * K * N, N, 0, 0.0f, (float *)out->data + i * M * N, N);
    return PETITE_OK;
}
