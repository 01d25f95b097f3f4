/* gemm.h — the f32 matrix-multiply core used by addmm, mm, bmm, linear and 1x1 convolution. */
#ifndef PETITE_KERNELS_GEMM_H
#define PETITE_KERNELS_GEMM_H

#include <stdint.h>

/* C[m][n] = beta * C[m][n] + alpha * sum_k A[m][k] * B[k][n]  (beta 0: C is only written).
 * Row-major with leading dimensions lda, ldb, ldc; B may be given transposed (B[n][k], ldb). */
void pk_gemm_f32(int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                 const float *B, int64_t ldb, int b_transposed, float beta, float *C, int64_t ldc);

#endif
