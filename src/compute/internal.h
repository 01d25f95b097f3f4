/* internal.h — helpers the compute files share (not for adapters). */
#ifndef PETITE_COMPUTE_INTERNAL_H
#define PETITE_COMPUTE_INTERNAL_H

#include <math.h>

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

/* qdint8: one row's quantization, asymmetric int8 over the row's range widened to include 0
 * (scale (max - min) / 255, 1 if that is 0; zero point round(-128 - min / scale), half to even) */
static inline void pc_qd8_row(const float *row, int64_t K, float *sc, int32_t *zp) {
    float mn = 0, mx = 0;
    for (int64_t k = 0; k < K; k++) mn = row[k] < mn ? row[k] : mn, mx = row[k] > mx ? row[k] : mx;
    *sc = (mx - mn) / 255.0f;
    if (*sc == 0) *sc = 1.0f;
    int32_t z = (int32_t)lrintf(-128.0f - mn / *sc);
    *zp = z < -128 ? -128 : (z > 127 ? 127 : z);
}
/* x in that quantization (NaN and far out of range saturate) */
static inline int32_t pc_qd8_one(float x, float sc, int32_t zp) {
    float f = x / sc;
    int32_t q = f > 1e6f ? 127 : (f < -1e6f || f != f ? -128 : (int32_t)lrintf(f) + zp);
    return q < -128 ? -128 : (q > 127 ? 127 : q);
}

static inline size_t pc_min(size_t a, size_t b) { return a < b ? a : b; }
static inline size_t pc_round_up(size_t a, size_t m) { return (a + m - 1) / m * m; }

/* Depthwise (NHWC) output row oh: its kernel rows start at input row *ih0; columns [*ow0, *ow1) read
 * no padding, or *ow0 = *ow1 = OW when the row has no such run (a kernel row outside the input). */
static inline void pc_dw_interior(const pc_conv2d *d, int64_t oh, int64_t *ih0, int64_t *ow0, int64_t *ow1) {
    const int64_t top = oh * d->sh - d->pt, bottom = top + (d->KH - 1) * d->dh;
    int64_t a = (d->pl + d->sw - 1) / d->sw, b = d->W - 1 - (d->KW - 1) * d->dw + d->pl;
    b = b < 0 ? 0 : b / d->sw + 1;
    if (b > d->OW) b = d->OW;
    if (top < 0 || bottom >= d->H || a >= b) a = b = d->OW;
    *ih0 = top, *ow0 = a, *ow1 = b;
}

/* The tap pointers of depthwise output pixel ow (row starting at input row ih0) into an NHWC image
 * xn of es-byte elements; taps in the padding point at zero. */
static inline void pc_dw_taps(const pc_conv2d *d, const void *xn, size_t es, int64_t ih0, int64_t ow, const void *zero,
                              const void **taps) {
    size_t k = 0;
    for (int64_t kh = 0; kh < d->KH; kh++) {
        const int64_t ih = ih0 + kh * d->dh;
        for (int64_t kw = 0; kw < d->KW; kw++) {
            const int64_t iw = ow * d->sw - d->pl + kw * d->dw;
            taps[k++] = ih < 0 || ih >= d->H || iw < 0 || iw >= d->W
                            ? zero
                            : (const void *)((const uint8_t *)xn + (size_t)((ih * d->W + iw) * d->C) * es);
        }
    }
}

#endif
