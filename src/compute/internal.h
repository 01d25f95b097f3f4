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

/* qdint8 with XNNPACK's arithmetic (src/xnnpack/quantization.h and the scalar f32-qs8-vcvt kernel,
 * at the commit ExecuTorch pins): per row, rmin = min(0, min) and rmax = max(0, max); the
 * multiplier s = 255 / (rmax - rmin) (1 if they are equal); with dmin = rmin s and dmax = rmax s the
 * zero point is -128 - dmin if (-128 + dmin) + (127 + dmax) > 0, else 127 - dmax, clamped to
 * [-128, 127] and rounded half to even; the dequantization scale is 1 / s. An element: x s clamped
 * in float to [-128 - zp, 127 - zp], rounded half to even, plus zp (NaN: -128). */
typedef struct pc_qd8_params {
    float s;        /* x -> q multiplier */
    float scale;    /* q -> x: 1 / s */
    int32_t zp;
} pc_qd8_params;
static inline pc_qd8_params pc_qd8_row(const float *row, int64_t K) {
    float rmin = 0, rmax = 0;
    for (int64_t k = 0; k < K; k++) rmin = row[k] < rmin ? row[k] : rmin, rmax = row[k] > rmax ? row[k] : rmax;
    pc_qd8_params p;
    p.s = rmin == rmax ? 1.0f : 255.0f / (rmax - rmin);
    const float dmin = rmin * p.s, dmax = rmax * p.s;
    float z = (-128.0f + dmin) + (127.0f + dmax) > 0 ? -128.0f - dmin : 127.0f - dmax;
    z = z < -128.0f ? -128.0f : (z > 127.0f ? 127.0f : z);
    p.zp = (int32_t)lrintf(z);
    p.scale = 1.0f / p.s;
    return p;
}
static inline int32_t pc_qd8_one(float x, const pc_qd8_params *p) {
    const float lo = (float)(-128 - p->zp), hi = (float)(127 - p->zp);
    float f = x * p->s;
    f = f > lo ? f : lo; /* NaN: lo */
    f = f < hi ? f : hi;
    return (int32_t)lrintf(f) + p->zp;
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
