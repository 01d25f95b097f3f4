/* internal.h — helpers the compute files share (not for adapters). */
#ifndef PETITE_COMPUTE_INTERNAL_H
#define PETITE_COMPUTE_INTERNAL_H

#include "compute/compute.h"

/* C[M, N] = epi(A * packed) on the calling thread, with bias offsets m_off / n_off into the epi's
 * bias vectors (for a tile of a larger product). packed: panels covering these N columns. */
void pc_gemm_f32_tile(const pc_ukernels *uk, size_t M, size_t N, size_t K, const float *A, size_t lda,
                      const float *packed, float *C, size_t ldc, const pc_gemm_epi *epi, size_t m_off, size_t n_off);
/* Task sizes for an M x N product on `threads` threads: at most PC_GEMM_MB_MAX rows (rounded up
 * to the tile) per task. */
#define PC_GEMM_MB_MAX 384 /* rows per task: an MB x KC slice of A stays in L2 */
void pc_gemm_split(const pc_ukernels *uk, int threads, size_t M, size_t N, size_t *mb, size_t *nb);

/* Indirection for an NHWC convolution's output pixels [m0, m0 + m), group g (see conv2d.c);
 * allow_merge: a padding-free tile may take one pointer per kernel row. */
void pc_conv_indirection(const pc_conv2d *d, const void *x, size_t es, const void *zero, size_t MR, size_t m0,
                         size_t m, size_t g, bool allow_merge, const void **ind, uint8_t *merged);

static inline size_t pc_min(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t pc_round_up(size_t a, size_t m) { return (a + m - 1) / m * m; }

#endif
