/* gemm.c — blocked f32 GEMM in portable C. The innermost loops run over contiguous columns of B
 * and C so the compiler vectorizes them for whatever ISA it targets (SSE2/AVX2/NEON). */
#include "kernels/gemm.h"

#include <string.h>

#define KC 256 /* depth block: keeps a KC x NC panel of B in cache */
#define NC 512

void pk_gemm_f32(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                 const float *B, int64_t ldb, int b_transposed, float beta, float *C, int64_t ldc) {
    for (int64_t i = 0; i < M; i++) {
        float *c = C + i * ldc;
        if (beta == 0.0f) memset(c, 0, (size_t)N * sizeof *c);
        else if (beta != 1.0f)
            for (int64_t j = 0; j < N; j++) c[j] *= beta;
    }
    if (b_transposed) {
        /* C[i][j] += alpha * dot(A[i], B[j]): both rows contiguous */
        for (int64_t i = 0; i < M; i++) {
            const float *a = A + i * lda;
            float *c = C + i * ldc;
            for (int64_t j = 0; j < N; j++) {
                const float *b = B + j * ldb;
                float acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
                int64_t k = 0;
                for (; k + 4 <= K; k += 4) {
                    acc0 += a[k] * b[k];
                    acc1 += a[k + 1] * b[k + 1];
                    acc2 += a[k + 2] * b[k + 2];
                    acc3 += a[k + 3] * b[k + 3];
                }
                for (; k < K; k++) acc0 += a[k] * b[k];
                c[j] += alpha * ((acc0 + acc1) + (acc2 + acc3));
            }
        }
        return;
    }
    for (int64_t j0 = 0; j0 < N; j0 += NC) {
        int64_t nb = N - j0 < NC ? N - j0 : NC;
        for (int64_t k0 = 0; k0 < K; k0 += KC) {
            int64_t kb = K - k0 < KC ? K - k0 : KC;
            for (int64_t i = 0; i < M; i++) {
                const float *a = A + i * lda + k0;
                float *c = C + i * ldc + j0;
                int64_t k = 0;
                /* four rows of B at a time: one pass over c per four k */
                for (; k + 4 <= kb; k += 4) {
                    float a0 = alpha * a[k], a1 = alpha * a[k + 1], a2 = alpha * a[k + 2],
                          a3 = alpha * a[k + 3];
                    const float *b0 = B + (k0 + k) * ldb + j0, *b1 = b0 + ldb, *b2 = b1 + ldb,
                                *b3 = b2 + ldb;
                    for (int64_t j = 0; j < nb; j++)
                        c[j] += a0 * b0[j] + a1 * b1[j] + a2 * b2[j] + a3 * b3[j];
                }
                for (; k < kb; k++) {
                    float a0 = alpha * a[k];
                    const float *b0 = B + (k0 + k) * ldb + j0;
                    for (int64_t j = 0; j < nb; j++) c[j] += a0 * b0[j];
                }
            }
        }
    }
}
