/* ukernels_neon.c — Arm NEON microkernels: the fp32 GEMM and indirect-GEMM tile in intrinsics
 * (MR x 8: 8 rows on AArch64's 32 vector registers, 4 on 32-bit Arm's 16; two float32x4 of B per
 * k step, A broadcast), 3x3 / 5x5 depthwise rows with the weights in registers, int8 depthwise
 * 16 channels a step, and the shared C loops of ukernels.inc compiled for NEON. AArch64 always
 * has NEON; 32-bit Arm builds this file with -mfpu=neon-vfpv4 and uses it only when the CPU says
 * so (getauxval, cpu.c). */
#if defined(__aarch64__) || defined(__ARM_NEON)
#include <arm_neon.h>

#define PC_UK(name) name##__neon
#define PC_UK_FAST_MATH 1
#if defined(__aarch64__)
#define PC_UK_GEMM_MR 8
#else
#define PC_UK_GEMM_MR 4
#endif
#define PC_UK_GEMM_NR 8
#include "compute/ukernels.inc"

#if defined(__ARM_FEATURE_FMA)
#define NFMA(acc, b, s) vfmaq_f32((acc), (b), vdupq_n_f32(s))
#else
#define NFMA(acc, b, s) vmlaq_f32((acc), (b), vdupq_n_f32(s))
#endif
#define MR PC_UK_GEMM_MR

/* 8 floats of a B row: both vectors when the row has them (a packed panel is zero-padded to 8),
 * else the first nr through a zero-padded copy (a row-major B read in place ends there) */
static inline void load_b(const float *w, size_t nr, int whole, float32x4_t *b0, float32x4_t *b1) {
    if (whole) {
        *b0 = vld1q_f32(w);
        *b1 = vld1q_f32(w + 4);
        return;
    }
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < nr; j++) t[j] = w[j];
    *b0 = vld1q_f32(t);
    *b1 = vld1q_f32(t + 4);
}

/* row r of C (nr columns) = clamp(acc * alpha + bias_m[r] + bias_n (+ C)) */
static inline void store_row(float *cr, size_t nr, float32x4_t v0, float32x4_t v1, float alpha, float bm, const float *bias_n,
                             int accumulate, float lo, float hi) {
    float t[8];
    v0 = vmulq_n_f32(v0, alpha);
    v1 = vmulq_n_f32(v1, alpha);
    vst1q_f32(t, vaddq_f32(v0, vdupq_n_f32(bm)));
    vst1q_f32(t + 4, vaddq_f32(v1, vdupq_n_f32(bm)));
    for (size_t j = 0; j < nr; j++) {
        float v = t[j] + (bias_n ? bias_n[j] : 0.0f);
        if (accumulate) v += cr[j];
        cr[j] = v < lo ? lo : (v > hi ? hi : v);
    }
}

static void gemm_f32_tile__neon(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w, size_t ldw,
                                float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    float32x4_t acc[MR][2];
    const float *ar[MR];
    for (size_t r = 0; r < MR; r++) {
        ar[r] = a + (r < mr ? r : mr - 1) * lda;
        acc[r][0] = acc[r][1] = vdupq_n_f32(0.0f);
    }
    const int whole = nr == 8 || ldw == 8;
    for (size_t k = 0; k < kc; k++, w += ldw) {
        float32x4_t b0, b1;
        load_b(w, nr, whole, &b0, &b1);
#pragma GCC unroll 8
        for (size_t r = 0; r < MR; r++) {
            const float s = ar[r][k];
            acc[r][0] = NFMA(acc[r][0], b0, s);
            acc[r][1] = NFMA(acc[r][1], b1, s);
        }
    }
    for (size_t r = 0; r < mr; r++)
        store_row(c + r * ldc, nr, acc[r][0], acc[r][1], alpha, bias_m ? bias_m[r] : 0.0f, bias_n, accumulate, lo, hi);
}

/* the same tile over indirection pointers: per tap, MR row pointers, then kc steps down the
 * packed panel (8 wide, zero-padded) */
static void igemm_f32_tile__neon(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a, const float *w, float *c,
                                 size_t ldc, const float *bias_n, float lo, float hi) {
    float32x4_t acc[MR][2];
    for (size_t r = 0; r < MR; r++) acc[r][0] = acc[r][1] = vdupq_n_f32(0.0f);
    for (size_t t = 0; t < ks; t++, a += MR) {
        for (size_t k = 0; k < kc; k++, w += 8) {
            const float32x4_t b0 = vld1q_f32(w), b1 = vld1q_f32(w + 4);
#pragma GCC unroll 8
            for (size_t r = 0; r < MR; r++) {
                const float s = a[r][k];
                acc[r][0] = NFMA(acc[r][0], b0, s);
                acc[r][1] = NFMA(acc[r][1], b1, s);
            }
        }
    }
    for (size_t r = 0; r < mr; r++) store_row(c + r * ldc, nr, acc[r][0], acc[r][1], 1.0f, 0.0f, bias_n, 0, lo, hi);
}

/* one row of A (a matrix-vector product): four accumulator pairs over k */
static void gemm_f32_1x8__neon(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w, size_t ldw,
                               float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    (void)mr, (void)lda, (void)ldc;
    float32x4_t s0 = vdupq_n_f32(0.0f), s1 = s0, t0 = s0, t1 = s0;
    const int whole = nr == 8 || ldw == 8;
    size_t k = 0;
    for (; k + 2 <= kc; k += 2, w += 2 * ldw) {
        float32x4_t b0, b1, d0, d1;
        load_b(w, nr, whole, &b0, &b1);
        load_b(w + ldw, nr, whole, &d0, &d1);
        s0 = NFMA(s0, b0, a[k]), s1 = NFMA(s1, b1, a[k]);
        t0 = NFMA(t0, d0, a[k + 1]), t1 = NFMA(t1, d1, a[k + 1]);
    }
    for (; k < kc; k++, w += ldw) {
        float32x4_t b0, b1;
        load_b(w, nr, whole, &b0, &b1);
        s0 = NFMA(s0, b0, a[k]), s1 = NFMA(s1, b1, a[k]);
    }
    store_row(c, nr, vaddq_f32(s0, t0), vaddq_f32(s1, t1), alpha, bias_m ? bias_m[0] : 0.0f, bias_n, accumulate, lo, hi);
}

/* depthwise rows (3x3 and 5x5 away from padding): per 4-channel slice the taps' weights stay in
 * registers across the row, four pixels per step (four independent chains); other tap counts and
 * the last, partial slice take the shared C loop */
static inline __attribute__((always_inline)) void dw_row_taps__neon(size_t TAPS, size_t C, size_t n, const float *x,
                                                                    size_t x_step, const int64_t *tap_off, const float *w,
                                                                    const float *bias, float *y, float lo, float hi) {
    const float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
    size_t c = 0;
    for (; c + 4 <= C; c += 4) {
        float32x4_t wv[25];
        for (size_t t = 0; t < TAPS; t++) wv[t] = vld1q_f32(w + t * C + c);
        const float32x4_t b = vld1q_f32(bias + c);
        const float *xp = x + c;
        float *yp = y + c;
        size_t p = 0;
        for (; p + 4 <= n; p += 4, xp += 4 * x_step, yp += 4 * C) {
            float32x4_t a0 = b, a1 = b, a2 = b, a3 = b;
            for (size_t t = 0; t < TAPS; t++) {
                const float *q = xp + tap_off[t];
#if defined(__ARM_FEATURE_FMA)
                a0 = vfmaq_f32(a0, vld1q_f32(q), wv[t]);
                a1 = vfmaq_f32(a1, vld1q_f32(q + x_step), wv[t]);
                a2 = vfmaq_f32(a2, vld1q_f32(q + 2 * x_step), wv[t]);
                a3 = vfmaq_f32(a3, vld1q_f32(q + 3 * x_step), wv[t]);
#else
                a0 = vmlaq_f32(a0, vld1q_f32(q), wv[t]);
                a1 = vmlaq_f32(a1, vld1q_f32(q + x_step), wv[t]);
                a2 = vmlaq_f32(a2, vld1q_f32(q + 2 * x_step), wv[t]);
                a3 = vmlaq_f32(a3, vld1q_f32(q + 3 * x_step), wv[t]);
#endif
            }
            vst1q_f32(yp, vminq_f32(vhi, vmaxq_f32(vlo, a0)));
            vst1q_f32(yp + C, vminq_f32(vhi, vmaxq_f32(vlo, a1)));
            vst1q_f32(yp + 2 * C, vminq_f32(vhi, vmaxq_f32(vlo, a2)));
            vst1q_f32(yp + 3 * C, vminq_f32(vhi, vmaxq_f32(vlo, a3)));
        }
        for (; p < n; p++, xp += x_step, yp += C) {
            float32x4_t a0 = b;
            for (size_t t = 0; t < TAPS; t++)
#if defined(__ARM_FEATURE_FMA)
                a0 = vfmaq_f32(a0, vld1q_f32(xp + tap_off[t]), wv[t]);
#else
                a0 = vmlaq_f32(a0, vld1q_f32(xp + tap_off[t]), wv[t]);
#endif
            vst1q_f32(yp, vminq_f32(vhi, vmaxq_f32(vlo, a0)));
        }
    }
    if (c < C) { /* the last 1-3 channels: the generic loop on a narrowed view (same weights, stride C) */
        const float *in[64];
        for (size_t p = 0; p < n; p++) {
            for (size_t t = 0; t < TAPS; t++) in[t] = x + p * x_step + tap_off[t] + c;
            for (size_t cc = 0; cc < C - c; cc++) {
                float acc = bias[c + cc];
                for (size_t t = 0; t < TAPS; t++) acc += in[t][cc] * w[t * C + c + cc];
                y[p * C + c + cc] = acc < lo ? lo : (acc > hi ? hi : acc);
            }
        }
    }
}

static void dwconv_f32_row_w__neon(size_t C, size_t n, size_t taps, const float *x, size_t x_step, const int64_t *tap_off,
                                 const float *w, const float *bias, float *y, float lo, float hi) {
    if (taps == 9) dw_row_taps__neon(9, C, n, x, x_step, tap_off, w, bias, y, lo, hi);
    else if (taps == 25) dw_row_taps__neon(25, C, n, x, x_step, tap_off, w, bias, y, lo, hi);
    else PC_UK(dwconv_f32_row)(C, n, taps, x, x_step, tap_off, w, bias, y, lo, hi);
}

/* ---- int8 depthwise: 16 channels a step ----
 * The input bytes widened to int16 and int32, multiplied by the int32 weights ([tap][C], as packed
 * for the portable kernel) into four int32x4 accumulators: the int32 sums are exact, as in the C
 * loop. The epilogue copies the C loop's float steps: scale, clamp (select on compares, so a NaN
 * gives the low bound as the C comparisons do), round half to even by adding and subtracting
 * 1.5 * 2^23, add the zero point. Results equal qdwconv_s8's bit for bit. */
static inline int32x4_t qdw_req__neon(int32x4_t acc, float32x4_t sc, float32x4_t flo, float32x4_t fhi, int32x4_t zp) {
    const float32x4_t magic = vdupq_n_f32(12582912.0f);
    float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc), sc);
    f = vbslq_f32(vcgtq_f32(f, flo), f, flo);
    f = vbslq_f32(vcltq_f32(f, fhi), f, fhi);
    return vaddq_s32(vcvtq_s32_f32(vsubq_f32(vaddq_f32(f, magic), magic)), zp);
}

static void qdw_s8_c16__neon(size_t C, size_t taps, const int8_t *const *in, const int32_t *w, const int32_t *bias,
                             const float *scale, int8_t *y, const pc_qout *q) {
    const float32x4_t flo = vdupq_n_f32(q->flo), fhi = vdupq_n_f32(q->fhi);
    const int32x4_t zp = vdupq_n_s32(q->zero_point);
    size_t c = 0;
    for (; c + 16 <= C; c += 16) {
        int32x4_t a0 = vld1q_s32(bias + c), a1 = vld1q_s32(bias + c + 4), a2 = vld1q_s32(bias + c + 8),
                  a3 = vld1q_s32(bias + c + 12);
        for (size_t t = 0; t < taps; t++) {
            const int8x16_t x = vld1q_s8(in[t] + c);
            const int16x8_t lo = vmovl_s8(vget_low_s8(x)), hi = vmovl_s8(vget_high_s8(x));
            const int32_t *wt = w + t * C + c;
            a0 = vmlaq_s32(a0, vmovl_s16(vget_low_s16(lo)), vld1q_s32(wt));
            a1 = vmlaq_s32(a1, vmovl_s16(vget_high_s16(lo)), vld1q_s32(wt + 4));
            a2 = vmlaq_s32(a2, vmovl_s16(vget_low_s16(hi)), vld1q_s32(wt + 8));
            a3 = vmlaq_s32(a3, vmovl_s16(vget_high_s16(hi)), vld1q_s32(wt + 12));
        }
        const int16x8_t r0 = vcombine_s16(vqmovn_s32(qdw_req__neon(a0, vld1q_f32(scale + c), flo, fhi, zp)),
                                          vqmovn_s32(qdw_req__neon(a1, vld1q_f32(scale + c + 4), flo, fhi, zp)));
        const int16x8_t r1 = vcombine_s16(vqmovn_s32(qdw_req__neon(a2, vld1q_f32(scale + c + 8), flo, fhi, zp)),
                                          vqmovn_s32(qdw_req__neon(a3, vld1q_f32(scale + c + 12), flo, fhi, zp)));
        vst1q_s8(y + c, vcombine_s8(vqmovn_s16(r0), vqmovn_s16(r1)));
    }
    for (; c < C; c++) { /* the last C % 16 channels: the C loop's arithmetic */
        int32_t acc = bias[c];
        for (size_t t = 0; t < taps; t++) acc += (int32_t)in[t][c] * w[t * C + c];
        float f = (float)acc * scale[c];
        f = f > q->flo ? f : q->flo;
        f = f < q->fhi ? f : q->fhi;
        y[c] = (int8_t)((int32_t)((f + 12582912.0f) - 12582912.0f) + q->zero_point);
    }
}

static void qdw_s8_row_c16__neon(size_t C, size_t n, size_t taps, const int8_t *x, size_t x_step, const int64_t *tap_off,
                                 const int32_t *w, const int32_t *bias, const float *scale, int8_t *y, const pc_qout *q) {
    const int8_t *in[1024]; /* pc_qdw_setup: taps <= 1024 */
    for (size_t p = 0; p < n; p++, x += x_step, y += C) {
        for (size_t t = 0; t < taps; t++) in[t] = x + tap_off[t];
        qdw_s8_c16__neon(C, taps, in, w, bias, scale, y, q);
    }
}

const pc_ukernels pc_uk_neon = {
    PC_ISA_NEON, PC_UK_GEMM_MR, PC_UK_GEMM_NR, gemm_f32_tile__neon, gemm_f32_1x8__neon, igemm_f32_tile__neon,
    PC_UK(qigemm_s8), qdw_s8_c16__neon, qdw_s8_row_c16__neon, PC_UK(quantize_f32), PC_UK(dequantize_f32),
    PC_UK(vunary_f32), PC_UK(vbinary_f32), PC_UK(vbinary_q8), PC_UK(dwconv_f32), dwconv_f32_row_w__neon,
    PC_UK(dwconv_chw_f32_row), PC_UK(softmax_f32_row), PC_UK(max_f32_strided), PC_UK(sum_f32), PC_UK(add_f32_strided),
    PC_UK(affine_f32), PC_UK(qdot_s8), PC_UK(qdot_s8_blocks), NULL, PC_UK(attn_scores_f32), PC_UK(attn_values_f32),
};
#endif
