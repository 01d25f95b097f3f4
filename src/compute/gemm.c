/* gemm.c — fp32 GEMM on the microkernel of the chosen ISA.
 *
 * B is packed into panels of NR columns (K rows of NR floats each, zero-padded), so the
 * microkernel reads it contiguously; A is read in place, MR rows at a time. The product is cut
 * into tasks over row blocks and column blocks (never over K, so results do not depend on the
 * thread count); within a task the depth is blocked by KC so a panel slice stays in L1 while the
 * row tiles stream past it. */
#include <math.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/internal.h"

#define KC 256        /* depth block: a KC x NR panel slice stays in L1 */
#define NB_MAX 256    /* columns per task: the task's MB x NB block of C stays in L2 across depth blocks */

size_t pc_gemm_f32_packed_floats(pc_isa isa, size_t K, size_t N) {
    size_t nr = pc_uk(isa)->gemm_nr;
    return (N + nr - 1) / nr * nr * K;
}

void pc_gemm_f32_pack(pc_isa isa, size_t K, size_t N, const float *B, size_t ldk, size_t ldn, float *packed) {
    size_t nr = pc_uk(isa)->gemm_nr;
    for (size_t n0 = 0; n0 < N; n0 += nr) {
        size_t w = N - n0 < nr ? N - n0 : nr;
        float *dst = packed + n0 * K;
        for (size_t k = 0; k < K; k++, dst += nr) {
            const float *src = B + k * ldk + n0 * ldn;
            size_t j = 0;
            if (ldn == 1) {
                memcpy(dst, src, w * sizeof *dst);
                j = w;
            } else {
                for (; j < w; j++) dst[j] = src[j * ldn];
            }
            for (; j < nr; j++) dst[j] = 0.0f;
        }
    }
}

void pc_gemm_f32_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx) {
    const pc_gemm_pack_args *a = args;
    if (!consumed || a->ldn < a->ldk || a->K == 0) { /* a column panel is not one run of the source */
        pc_gemm_f32_pack(a->isa, a->K, a->N, a->B, a->ldk, a->ldn, packed);
        return;
    }
    /* B's columns are the source's rows (a fully connected layer's [N, K] weights): pack about
     * 256 KiB of them at a time and hand them back */
    const size_t nr = pc_uk(a->isa)->gemm_nr, per = (64u << 10) / (a->ldn ? a->ldn : 1);
    const size_t step = per > nr ? per / nr * nr : nr;
    for (size_t n0 = 0; n0 < a->N; n0 += step) {
        size_t n = a->N - n0 < step ? a->N - n0 : step;
        const float *src = a->B + n0 * a->ldn;
        pc_gemm_f32_pack(a->isa, a->K, n, src, a->ldk, a->ldn, (float *)packed + n0 * a->K);
        consumed(ctx, src, ((n - 1) * a->ldn + (a->K - 1) * a->ldk + 1) * sizeof(float));
    }
}

/* B packed (ldb 0: panels of NR columns) or row-major read in place (ldb: its row stride) */
static void tile(const pc_ukernels *uk, size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B, size_t ldb,
                 float *C, size_t ldc, const pc_gemm_epi *epi, size_t m_off, size_t n_off) {
    const size_t mr = uk->gemm_mr, nr = uk->gemm_nr, ldp = ldb ? ldb : nr;
    const float *packed = B;
    for (size_t k0 = 0; k0 < K || k0 == 0; k0 += KC) {
        size_t kc = K - k0 < KC ? K - k0 : KC;
        int first = k0 == 0, last = k0 + kc >= K;
        float lo = last ? epi->lo : -INFINITY, hi = last ? epi->hi : INFINITY;
        for (size_t n0 = 0; n0 < N; n0 += nr) {
            const float *panel = ldb ? B + n0 + k0 * ldb : packed + n0 * K + k0 * nr;
            size_t w = N - n0 < nr ? N - n0 : nr;
            const float *bn = first && epi->bias_n ? epi->bias_n + n_off + n0 : NULL;
            for (size_t m0 = 0; m0 < M; m0 += mr) {
                size_t h = M - m0 < mr ? M - m0 : mr;
                const float *bm = first && epi->bias_m ? epi->bias_m + m_off + m0 : NULL;
                (h == 1 ? uk->gemm_f32_1 : uk->gemm_f32)(h, w, kc, A + m0 * lda + k0, lda, panel, ldp, C + m0 * ldc + n0,
                                                          ldc, bn, bm, epi->alpha, first ? epi->accumulate : 1, lo, hi);

            }
        }
        if (last && epi->act && ldc == N) /* the fused activation while the block is in cache */
            uk->vunary_f32((int)epi->act_op, M * N, C, C, epi->act);
        else if (last && epi->act)
            for (size_t r = 0; r < M; r++) uk->vunary_f32((int)epi->act_op, N, C + r * ldc, C + r * ldc, epi->act);
        if (K == 0) break;
    }
}

void pc_gemm_f32_tile(const pc_ukernels *uk, size_t M, size_t N, size_t K, const float *A, size_t lda,
                      const float *packed, float *C, size_t ldc, const pc_gemm_epi *epi, size_t m_off, size_t n_off) {
    tile(uk, M, N, K, A, lda, packed, 0, C, ldc, epi, m_off, n_off);
}

/* tasks: row blocks x column blocks, sized so that there are a few per thread */
void pc_gemm_split(const pc_ukernels *uk, int threads, size_t M, size_t N, size_t *mb, size_t *nb) {
    const size_t mr = uk->gemm_mr, nr = uk->gemm_nr;
    size_t m = M < PC_GEMM_MB_MAX ? M : PC_GEMM_MB_MAX;
    m = (m + mr - 1) / mr * mr;
    size_t n = (N + nr - 1) / nr * nr;
    if (n > NB_MAX) n = NB_MAX >= nr ? NB_MAX / nr * nr : nr;
    if (threads > 1) {
        size_t want = (size_t)threads * 3;
        size_t tasks = ((M + m - 1) / m) * ((N + n - 1) / n);
        while (tasks < want && m > mr) { /* halve rows first, then columns */
            m = ((m / 2) + mr - 1) / mr * mr;
            tasks = ((M + m - 1) / m) * ((N + n - 1) / n);
        }
        while (tasks < want && n > nr) {
            n = ((n / 2) + nr - 1) / nr * nr;
            tasks = ((M + m - 1) / m) * ((N + n - 1) / n);
        }
    }
    *mb = m ? m : mr;
    *nb = n ? n : nr;
}

typedef struct gemm_job {
    const pc_ukernels *uk;
    size_t M, N, K, lda, ldc, mb, nb, ntn;
    const float *A, *packed;
    float *C;
    const pc_gemm_epi *epi;
} gemm_job;

static void gemm_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const gemm_job *j = arg;
    size_t m0 = (t / j->ntn) * j->mb, n0 = (t % j->ntn) * j->nb;
    size_t m = j->M - m0 < j->mb ? j->M - m0 : j->mb, n = j->N - n0 < j->nb ? j->N - n0 : j->nb;
    pc_gemm_f32_tile(j->uk, m, n, j->K, j->A + m0 * j->lda, j->lda, j->packed + n0 * j->K, j->C + m0 * j->ldc + n0,
                     j->ldc, j->epi, m0, n0);
}

void pc_gemm_f32(const pc_ctx *c, size_t M, size_t N, size_t K, const float *A, size_t lda, const float *packed,
                 float *C, size_t ldc, const pc_gemm_epi *epi) {
    if (M == 0 || N == 0) return;
    gemm_job j = {pc_uk(c->isa), M, N, K, lda, ldc, 0, 0, 0, A, packed, C, epi};
    pc_gemm_split(j.uk, pc_ctx_threads(c), M, N, &j.mb, &j.nb);
    j.ntn = (N + j.nb - 1) / j.nb;
    pc_parallel(c, ((M + j.mb - 1) / j.mb) * j.ntn, gemm_task, &j);
}

/* ---- B not packed: each task packs its column block into scratch ---- */

static size_t any_nb(const pc_ukernels *uk, size_t K, size_t N) {
    const size_t nr = uk->gemm_nr;
    size_t nb = K ? (size_t)(512 * 1024) / (K * sizeof(float)) : N; /* a block of packed B fits in L2 */
    nb = nb / nr * nr;
    if (nb < nr) nb = nr;
    size_t full = (N + nr - 1) / nr * nr;
    return nb < full ? nb : full;
}

size_t pc_gemm_f32_any_scratch(pc_isa isa, size_t K, size_t N) {
    const pc_ukernels *uk = pc_uk(isa);
    return pc_align64(any_nb(uk, K, N) * (K ? K : 1) * sizeof(float));
}

typedef struct gemm_any_job {
    const pc_ctx *c;
    const pc_ukernels *uk;
    size_t M, N, K, lda, ldc, ldk, ldn, nb, mb, ntm;
    const float *A, *B;
    float *C;
    const pc_gemm_epi *epi;
} gemm_any_job;

static void gemm_any_task(void *arg, size_t t, size_t thread) {
    const gemm_any_job *j = arg;
    size_t n0 = (t / j->ntm) * j->nb, m0 = (t % j->ntm) * j->mb;
    size_t n = j->N - n0 < j->nb ? j->N - n0 : j->nb, m = j->M - m0 < j->mb ? j->M - m0 : j->mb;
    if (j->ldn == 1) { /* row-major B: the microkernel reads its rows in place */
        tile(j->uk, m, n, j->K, j->A + m0 * j->lda, j->lda, j->B + n0, j->ldk, j->C + m0 * j->ldc + n0, j->ldc, j->epi, m0, n0);
        return;
    }
    float *packed = pc_scratch(j->c, thread);
    pc_gemm_f32_pack(j->uk->isa, j->K, n, j->B + n0 * j->ldn, j->ldk, j->ldn, packed);
    pc_gemm_f32_tile(j->uk, m, n, j->K, j->A + m0 * j->lda, j->lda, packed, j->C + m0 * j->ldc + n0, j->ldc, j->epi,
                     m0, n0);
}

void pc_gemm_f32_any(const pc_ctx *c, size_t M, size_t N, size_t K, const float *A, size_t lda, const float *B,
                     size_t ldk, size_t ldn, float *C, size_t ldc, const pc_gemm_epi *epi) {
    if (M == 0 || N == 0) return;
    gemm_any_job j = {c, pc_uk(c->isa), M, N, K, lda, ldc, ldk, ldn, 0, 0, 0, A, B, C, epi};
    j.nb = any_nb(j.uk, K, N);
    size_t ntn = (N + j.nb - 1) / j.nb;
    /* rows are split only when the column blocks alone leave threads idle */
    j.mb = M;
    int threads = pc_ctx_threads(c);
    if (threads > 1 && ntn < (size_t)threads * 2 && M > j.uk->gemm_mr) {
        size_t parts = ((size_t)threads * 2 + ntn - 1) / ntn;
        j.mb = (M + parts - 1) / parts;
        j.mb = (j.mb + j.uk->gemm_mr - 1) / j.uk->gemm_mr * j.uk->gemm_mr;
    }
    j.ntm = (M + j.mb - 1) / j.mb;
    pc_parallel(c, ntn * j.ntm, gemm_any_task, &j);
}
