/* ukernels_neon.c — Arm NEON microkernels: the fp32 GEMM and indirect-GEMM tile in intrinsics
 * (MR x 8: 8 rows on AArch64's 32 vector registers, 4 on 32-bit Arm's 16; two float32x4 of B per
 * k step, A broadcast), and the shared C loops of ukernels.inc compiled for NEON. AArch64 always
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

const pc_ukernels pc_uk_neon = {
    PC_ISA_NEON, PC_UK_GEMM_MR, PC_UK_GEMM_NR, gemm_f32_tile__neon, gemm_f32_1x8__neon, igemm_f32_tile__neon,
    PC_UK(qigemm_s8), PC_UK(qdwconv_s8), PC_UK(qdwconv_s8_row), PC_UK(quantize_f32), PC_UK(dequantize_f32),
    PC_UK(vunary_f32), PC_UK(vbinary_f32), PC_UK(vbinary_q8), PC_UK(dwconv_f32), PC_UK(dwconv_f32_row),
    PC_UK(dwconv_chw_f32_row), PC_UK(softmax_f32_row), PC_UK(max_f32_strided), PC_UK(sum_f32), PC_UK(add_f32_strided),
    PC_UK(affine_f32),
};
#endif
