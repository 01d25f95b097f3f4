/* ukernels_wasmsimd.c — WebAssembly SIMD128 microkernels: the fp32 GEMM and indirect-GEMM tile in
 * wasm_simd128.h intrinsics (4 x 8: eight f32x4 accumulators, two of B per k step, A splatted;
 * WebAssembly has no fused multiply-add without relaxed SIMD, so mul then add), and the shared C
 * loops of ukernels.inc compiled with -msimd128. A module with SIMD instructions loads only in an
 * engine with SIMD128 (every current browser and node >= 16); build with -DPETITE_WASM_SIMD=OFF
 * for older ones. */
#if defined(__wasm_simd128__)
#include <wasm_simd128.h>

#define PC_UK(name) name##__wasmsimd
#define PC_UK_FAST_MATH 1
#define PC_UK_GEMM_MR 4
#define PC_UK_GEMM_NR 8
#include "compute/ukernels.inc"

#define MR PC_UK_GEMM_MR
#define WFMA(acc, b, s) wasm_f32x4_add((acc), wasm_f32x4_mul((b), wasm_f32x4_splat(s)))

static inline void load_b(const float *w, size_t nr, int whole, v128_t *b0, v128_t *b1) {
    if (whole) {
        *b0 = wasm_v128_load(w);
        *b1 = wasm_v128_load(w + 4);
        return;
    }
    float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (size_t j = 0; j < nr; j++) t[j] = w[j];
    *b0 = wasm_v128_load(t);
    *b1 = wasm_v128_load(t + 4);
}

static inline void store_row(float *cr, size_t nr, v128_t v0, v128_t v1, float alpha, float bm, const float *bias_n,
                             int accumulate, float lo, float hi) {
    float t[8];
    const v128_t va = wasm_f32x4_splat(alpha), vb = wasm_f32x4_splat(bm);
    wasm_v128_store(t, wasm_f32x4_add(wasm_f32x4_mul(v0, va), vb));
    wasm_v128_store(t + 4, wasm_f32x4_add(wasm_f32x4_mul(v1, va), vb));
    for (size_t j = 0; j < nr; j++) {
        float v = t[j] + (bias_n ? bias_n[j] : 0.0f);
        if (accumulate) v += cr[j];
        cr[j] = v < lo ? lo : (v > hi ? hi : v);
    }
}

static void gemm_f32_4x8__wasmsimd(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w, size_t ldw,
                                   float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    v128_t acc[MR][2];
    const float *ar[MR];
    for (size_t r = 0; r < MR; r++) {
        ar[r] = a + (r < mr ? r : mr - 1) * lda;
        acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
    }
    const int whole = nr == 8 || ldw == 8;
    for (size_t k = 0; k < kc; k++, w += ldw) {
        v128_t b0, b1;
        load_b(w, nr, whole, &b0, &b1);
#pragma GCC unroll 4
        for (size_t r = 0; r < MR; r++) {
            const float s = ar[r][k];
            acc[r][0] = WFMA(acc[r][0], b0, s);
            acc[r][1] = WFMA(acc[r][1], b1, s);
        }
    }
    for (size_t r = 0; r < mr; r++)
        store_row(c + r * ldc, nr, acc[r][0], acc[r][1], alpha, bias_m ? bias_m[r] : 0.0f, bias_n, accumulate, lo, hi);
}

static void igemm_f32_4x8__wasmsimd(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a, const float *w,
                                    float *c, size_t ldc, const float *bias_n, float lo, float hi) {
    v128_t acc[MR][2];
    for (size_t r = 0; r < MR; r++) acc[r][0] = acc[r][1] = wasm_f32x4_splat(0.0f);
    for (size_t t = 0; t < ks; t++, a += MR) {
        for (size_t k = 0; k < kc; k++, w += 8) {
            const v128_t b0 = wasm_v128_load(w), b1 = wasm_v128_load(w + 4);
#pragma GCC unroll 4
            for (size_t r = 0; r < MR; r++) {
                const float s = a[r][k];
                acc[r][0] = WFMA(acc[r][0], b0, s);
                acc[r][1] = WFMA(acc[r][1], b1, s);
            }
        }
    }
    for (size_t r = 0; r < mr; r++) store_row(c + r * ldc, nr, acc[r][0], acc[r][1], 1.0f, 0.0f, bias_n, 0, lo, hi);
}

static void gemm_f32_1x8__wasmsimd(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w, size_t ldw,
                                   float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    (void)mr, (void)lda, (void)ldc;
    v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, t0 = s0, t1 = s0;
    const int whole = nr == 8 || ldw == 8;
    size_t k = 0;
    for (; k + 2 <= kc; k += 2, w += 2 * ldw) {
        v128_t b0, b1, d0, d1;
        load_b(w, nr, whole, &b0, &b1);
        load_b(w + ldw, nr, whole, &d0, &d1);
        s0 = WFMA(s0, b0, a[k]), s1 = WFMA(s1, b1, a[k]);
        t0 = WFMA(t0, d0, a[k + 1]), t1 = WFMA(t1, d1, a[k + 1]);
    }
    for (; k < kc; k++, w += ldw) {
        v128_t b0, b1;
        load_b(w, nr, whole, &b0, &b1);
        s0 = WFMA(s0, b0, a[k]), s1 = WFMA(s1, b1, a[k]);
    }
    store_row(c, nr, wasm_f32x4_add(s0, t0), wasm_f32x4_add(s1, t1), alpha, bias_m ? bias_m[0] : 0.0f, bias_n, accumulate,
              lo, hi);
}

const pc_ukernels pc_uk_wasmsimd = {
    PC_ISA_WASMSIMD, PC_UK_GEMM_MR, PC_UK_GEMM_NR, gemm_f32_4x8__wasmsimd, gemm_f32_1x8__wasmsimd, igemm_f32_4x8__wasmsimd,
    PC_UK(qigemm_s8), PC_UK(qdwconv_s8), PC_UK(qdwconv_s8_row), PC_UK(quantize_f32), PC_UK(dequantize_f32),
    PC_UK(vunary_f32), PC_UK(vbinary_f32), PC_UK(vbinary_q8), PC_UK(dwconv_f32), PC_UK(dwconv_f32_row),
    PC_UK(dwconv_chw_f32_row), PC_UK(softmax_f32_row), PC_UK(max_f32_strided), PC_UK(sum_f32), PC_UK(add_f32_strided),
    PC_UK(affine_f32), PC_UK(qdot_s8), PC_UK(qdot_s8_blocks), NULL, PC_UK(attn_scores_f32), PC_UK(attn_values_f32),
};
#endif
