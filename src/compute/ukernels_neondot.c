/* ukernels_neondot.c — the int8 tile on AArch64 with the dot-product extension (sdot, Armv8.2-A;
 * compiled with +dotprod, used only where getauxval reports ASIMDDP): 4 rows x 16 columns on the
 * portable tile's packing (per group of 4 k, 16 columns x 4 int8), so the same packed weights serve
 * both; one sdot multiplies a row's 4 inputs with 4 columns' 4 weights and adds into 4 int32 lanes.
 * The int32 sums equal the portable tile's exactly, and the epilogue is its arithmetic, element by
 * element, so the results are bit-identical. */
#if defined(__aarch64__)
#include <arm_neon.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/ukernels.h"

/* a row's 4 inputs at k as one 32-bit lane (zero past kc) */
static inline int32_t quad(const int8_t *p, size_t cnt) {
    int32_t v = 0;
    memcpy(&v, p, cnt < 4 ? cnt : 4);
    return v;
}

void pc_qigemm_s8_4x16__neondot(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *wp,
                                int8_t *c, size_t ldc, const pc_qout *q) {
    const int32_t *bias = wp;
    const float *scale = (const float *)(bias + 16);
    const int8_t *w = (const int8_t *)(scale + 16);
    int32x4_t acc[4][4];
    for (int r = 0; r < 4; r++)
        for (int j = 0; j < 4; j++) acc[r][j] = vld1q_s32(bias + 4 * j);
    const size_t groups = (kc + 3) / 4;
    for (size_t t = 0; t < ks; t++, a += 4) {
        const int8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
        for (size_t g = 0; g < groups; g++, w += 64) {
            const size_t k = g * 4, cnt = kc - k;
            int32x4_t av = vdupq_n_s32(0);
            av = vsetq_lane_s32(quad(a0 + k, cnt), av, 0);
            av = vsetq_lane_s32(quad(a1 + k, cnt), av, 1);
            av = vsetq_lane_s32(quad(a2 + k, cnt), av, 2);
            av = vsetq_lane_s32(quad(a3 + k, cnt), av, 3);
            const int8x16_t x = vreinterpretq_s8_s32(av);
            const int8x16_t w0 = vld1q_s8(w), w1 = vld1q_s8(w + 16), w2 = vld1q_s8(w + 32), w3 = vld1q_s8(w + 48);
#define ROW(r)                                               \
    acc[r][0] = vdotq_laneq_s32(acc[r][0], w0, x, r);         \
    acc[r][1] = vdotq_laneq_s32(acc[r][1], w1, x, r);         \
    acc[r][2] = vdotq_laneq_s32(acc[r][2], w2, x, r);         \
    acc[r][3] = vdotq_laneq_s32(acc[r][3], w3, x, r);
            ROW(0) ROW(1) ROW(2) ROW(3)
#undef ROW
        }
    }
    for (size_t r = 0; r < mr; r++) { /* the portable tile's epilogue, element by element */
        int32_t s[16];
        for (int j = 0; j < 4; j++) vst1q_s32(s + 4 * j, acc[r][j]);
        for (size_t j = 0; j < nr; j++) {
            float f = (float)s[j] * scale[j];
            f = f > q->flo ? f : q->flo; /* a NaN scale gives the low bound */
            f = f < q->fhi ? f : q->fhi;
            c[r * ldc + j] = (int8_t)((int32_t)((f + 12582912.0f) - 12582912.0f) + q->zero_point); /* half to even */
        }
    }
}
/* qbint4 over a packed 16-channel tile (pc_ukernels.qb4w_tile's contract) with sdot: the nibbles less 8
 * as signed bytes (each 16-byte quarter of a 64-byte group is 4 channels x 4 k), the row's 8 int8 q
 * of the group as two 32-bit lanes, one sdot per quarter and half: sum q * (w - 8) directly, the
 * reference's integer (qsum is not needed); the float steps are the reference's (this file is built
 * without contraction). Rows two at a time. */
static inline __attribute__((always_inline)) void qb4w_rows_dot(const size_t R, const int8_t *q, size_t ld, const float *zp,
                                                                const uint8_t *tile, size_t gs, size_t ng, float *v) {
    const uint8x16_t m4 = vdupq_n_u8(15);
    const int8x16_t e8 = vdupq_n_s8(8);
    const float *kn = (const float *)(const void *)tile;
    float32x4_t f[2][4];
    for (size_t r = 0; r < R; r++)
        for (size_t i = 0; i < 4; i++) f[r][i] = vmulq_f32(vld1q_f32(kn + 4 * i), vdupq_n_f32(zp[r]));
    const uint8_t *p = tile + 64, *pair = p;
    for (size_t b = 0; b < ng; b++) { /* a pair of blocks: their bf16 scales (bits moved up 16), then their nibbles */
        if (b % 2 == 0) pair = p, p += 64;
        const uint16_t *sb = (const uint16_t *)(const void *)(pair + 32 * (b % 2));
        float32x4_t sc[4];
        for (size_t i = 0; i < 4; i++) sc[i] = vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(sb + 4 * i), 16));
        int32x4_t a[2][4];
        for (size_t r = 0; r < R; r++)
            for (size_t i = 0; i < 4; i++) a[r][i] = vdupq_n_s32(0);
        const int8_t *qb = q + b * gs;
        for (size_t k = 0; k < gs; k += 8, p += 64) {
            int8x16_t qq[2];
            for (size_t r = 0; r < R; r++) {
                const int8x8_t q8 = vld1_s8(qb + r * ld + k);
                qq[r] = vcombine_s8(q8, q8);
            }
            for (size_t i = 0; i < 4; i++) {
                const uint8x16_t w = vld1q_u8(p + 16 * i);
                const int8x16_t lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(w, m4)), e8);
                const int8x16_t hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(w, 4)), e8);
                for (size_t r = 0; r < R; r++) {
                    a[r][i] = vdotq_laneq_s32(a[r][i], lo, qq[r], 0);
                    a[r][i] = vdotq_laneq_s32(a[r][i], hi, qq[r], 1);
                }
            }
        }
        for (size_t r = 0; r < R; r++)
            for (size_t i = 0; i < 4; i++) f[r][i] = vaddq_f32(f[r][i], vmulq_f32(vcvtq_f32_s32(a[r][i]), sc[i]));
    }
    for (size_t r = 0; r < R; r++)
        for (size_t i = 0; i < 4; i++) vst1q_f32(v + 16 * r + 4 * i, f[r][i]);
}

void pc_qb4w_tile__neondot(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                           const uint8_t *tile, size_t gs, size_t ng, float *v) {
    (void)qsum;
    for (size_t r = 0; r < rows; r += 2) {
        if (rows - r >= 2) qb4w_rows_dot(2, q + r * ld, ld, zp + r, tile, gs, ng, v + 16 * r);
        else qb4w_rows_dot(1, q + r * ld, ld, zp + r, tile, gs, ng, v + 16 * r);
    }
}
#endif
