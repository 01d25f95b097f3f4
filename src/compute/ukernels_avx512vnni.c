/* ukernels_avx512vnni.c — the int8 indirect GEMM tile on AVX-512 VNNI (vpdpbusd): 8 rows x 32
 * output channels in 16 int32 accumulators. vpdpbusd multiplies unsigned by signed bytes, so each
 * broadcast group of four input bytes is flipped to x + 128 (xor 0x80) and the packing folds
 * -(128 + input zero point) * (the channel's weight sum) into the bias. Compiled with
 * -mavx512vnni; used only where the CPU reports it (see qgemm.c). */
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <string.h>

#include "compute/ukernels.h"

/* four input bytes as one int32 lane value, flipped to unsigned; a tail of 1-3 bytes is read
 * without touching the bytes after it */
static inline __m512i quad(const int8_t *p, size_t cnt) {
    int32_t v = 0;
    memcpy(&v, p, cnt);
    return _mm512_xor_si512(_mm512_set1_epi32(v), _mm512_set1_epi32((int32_t)0x80808080u));
}

#define QROW(r)                                                                   \
    __m512i c##r##0 = b0, c##r##1 = b1;                                           \
    const int8_t *a##r;
#define QLOAD(r) a##r = a[r];
#define QDOT(r, n)                                                                \
    {                                                                             \
        const __m512i x = quad(a##r + k, n);                                      \
        c##r##0 = _mm512_dpbusd_epi32(c##r##0, x, w0);                            \
        c##r##1 = _mm512_dpbusd_epi32(c##r##1, x, w1);                            \
    }
#define QSTORE(r)                                                                 \
    if (r < mr) {                                                                 \
        __m512 f0 = _mm512_mul_ps(_mm512_cvtepi32_ps(c##r##0), s0);               \
        __m512 f1 = _mm512_mul_ps(_mm512_cvtepi32_ps(c##r##1), s1);               \
        f0 = _mm512_min_ps(_mm512_max_ps(f0, vlo), vhi); /* a NaN becomes lo */    \
        f1 = _mm512_min_ps(_mm512_max_ps(f1, vlo), vhi);                          \
        const __m512i q0 = _mm512_add_epi32(_mm512_cvtps_epi32(f0), zp);          \
        const __m512i q1 = _mm512_add_epi32(_mm512_cvtps_epi32(f1), zp);          \
        _mm_mask_storeu_epi8(c + r * ldc, m0, _mm512_cvtsepi32_epi8(q0));         \
        _mm_mask_storeu_epi8(c + r * ldc + 16, m1, _mm512_cvtsepi32_epi8(q1));    \
    }

void pc_qigemm_s8_8x32__avx512vnni(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *wp,
                                   int8_t *c, size_t ldc, const pc_qout *q) {
    const int32_t *bias = wp;
    const float *scale = (const float *)(bias + 32);
    const int8_t *w = (const int8_t *)(scale + 32);
    const __m512i b0 = _mm512_loadu_si512(bias), b1 = _mm512_loadu_si512(bias + 16);
    QROW(0) QROW(1) QROW(2) QROW(3) QROW(4) QROW(5) QROW(6) QROW(7)
    const size_t full = kc / 4 * 4, tail = kc - full;
    for (size_t t = 0; t < ks; t++, a += 8) {
        QLOAD(0) QLOAD(1) QLOAD(2) QLOAD(3) QLOAD(4) QLOAD(5) QLOAD(6) QLOAD(7)
        size_t k = 0;
        for (; k < full; k += 4, w += 128) {
            const __m512i w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 64);
            QDOT(0, 4) QDOT(1, 4) QDOT(2, 4) QDOT(3, 4) QDOT(4, 4) QDOT(5, 4) QDOT(6, 4) QDOT(7, 4)
        }
        if (tail) {
            const __m512i w0 = _mm512_loadu_si512(w), w1 = _mm512_loadu_si512(w + 64);
            QDOT(0, tail) QDOT(1, tail) QDOT(2, tail) QDOT(3, tail) QDOT(4, tail) QDOT(5, tail) QDOT(6, tail) QDOT(7, tail)
            w += 128;
        }
    }
    const __m512 s0 = _mm512_loadu_ps(scale), s1 = _mm512_loadu_ps(scale + 16);
    const __m512 vlo = _mm512_set1_ps(q->flo), vhi = _mm512_set1_ps(q->fhi);
    const __m512i zp = _mm512_set1_epi32(q->zero_point);
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1));
    QSTORE(0) QSTORE(1) QSTORE(2) QSTORE(3) QSTORE(4) QSTORE(5) QSTORE(6) QSTORE(7)
}
/* One row of the same tile (a matrix-vector product: fully connected at batch 1, a last odd row):
 * the 8-row tile would do 8 times the work. Two accumulator chains per 16 columns hide the latency. */
void pc_qigemm_s8_1x32__avx512vnni(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *wp,
                                   int8_t *c, size_t ldc, const pc_qout *q) {
    (void)mr, (void)ldc;
    const int32_t *bias = wp;
    const float *scale = (const float *)(bias + 32);
    const int8_t *w = (const int8_t *)(scale + 32);
    __m512i c00 = _mm512_loadu_si512(bias), c01 = _mm512_loadu_si512(bias + 16);
    __m512i d0 = _mm512_setzero_si512(), d1 = _mm512_setzero_si512();
    const size_t full = kc / 4 * 4, tail = kc - full;
    for (size_t t = 0; t < ks; t++, a += 8) {
        const int8_t *x = a[0];
        size_t k = 0;
        for (; k + 8 <= full; k += 8, w += 256) {
            const __m512i x0 = quad(x + k, 4), x1 = quad(x + k + 4, 4);
            c00 = _mm512_dpbusd_epi32(c00, x0, _mm512_loadu_si512(w));
            c01 = _mm512_dpbusd_epi32(c01, x0, _mm512_loadu_si512(w + 64));
            d0 = _mm512_dpbusd_epi32(d0, x1, _mm512_loadu_si512(w + 128));
            d1 = _mm512_dpbusd_epi32(d1, x1, _mm512_loadu_si512(w + 192));
        }
        for (; k < full; k += 4, w += 128) {
            const __m512i x0 = quad(x + k, 4);
            c00 = _mm512_dpbusd_epi32(c00, x0, _mm512_loadu_si512(w));
            c01 = _mm512_dpbusd_epi32(c01, x0, _mm512_loadu_si512(w + 64));
        }
        if (tail) {
            const __m512i x0 = quad(x + k, tail);
            c00 = _mm512_dpbusd_epi32(c00, x0, _mm512_loadu_si512(w));
            c01 = _mm512_dpbusd_epi32(c01, x0, _mm512_loadu_si512(w + 64));
            w += 128;
        }
    }
    c00 = _mm512_add_epi32(c00, d0), c01 = _mm512_add_epi32(c01, d1);
    const __m512 s0 = _mm512_loadu_ps(scale), s1 = _mm512_loadu_ps(scale + 16);
    const __m512 vlo = _mm512_set1_ps(q->flo), vhi = _mm512_set1_ps(q->fhi);
    const __m512i zp = _mm512_set1_epi32(q->zero_point);
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1));
    QSTORE(0)
}

/* ---- int8 depthwise rows: pairs of kernel rows by vpdpwssd ----
 * For 16 channels, input column j of kernel rows 2r and 2r+1 becomes one vector of int16 pairs
 * (row 2r in the low half of each lane, row 2r+1 in the high half), built once and used by every
 * pixel of the group that reads column j; the weights were packed as the same pairs (pc_qdw_pack
 * with vnni: [block of 16][pair row][kw][16 x 2 int16], 0 past the last row). vpdpwssd adds both
 * products into the int32 lane exactly, so the sum equals the mullo kernels' sum bit for bit. */
static inline __attribute__((always_inline)) void qdw_pairs(const size_t NP, const size_t KW, const size_t S, size_t KH,
                                                            const int8_t *xp, size_t C, size_t ldrow, __mmask16 m,
                                                            const int16_t *wb, __m512i *acc) {
    const size_t R = (KH + 1) / 2, cols = (NP - 1) * S + KW;
    for (size_t r = 0; r < R; r++) {
        const int8_t *ra = xp + 2 * r * ldrow, *rb = ra + ldrow;
        const int16_t *wr = wb + r * KW * 32;
        const int pair = 2 * r + 1 < KH;
#pragma GCC unroll 16
        for (size_t j = 0; j < cols; j++) {
            __m512i p = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, ra + j * C));
            if (pair) {
                const __m512i b = _mm512_slli_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, rb + j * C)), 16);
                p = _mm512_mask_blend_epi16((__mmask32)0xAAAAAAAAu, p, b);
            } /* else the high halves meet zero weights */
#pragma GCC unroll 8
            for (size_t q = 0; q < NP; q++) {
                const size_t kw = j - q * S;
                if (j >= q * S && kw < KW) acc[q] = _mm512_dpwssd_epi32(acc[q], p, _mm512_loadu_si512(wr + kw * 32));
            }
        }
    }
}

static inline __attribute__((always_inline)) void qdw_store(int8_t *y, __mmask16 m, __m512i acc, __m512 sc, __m512 vlo,
                                                            __m512 vhi, __m512i zp) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), sc);
    f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi); /* a NaN becomes lo */
    _mm_mask_storeu_epi8(y, m, _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zp)));
}

static inline __attribute__((always_inline)) void qdw_row(const size_t KW, const size_t S, size_t C, size_t n, size_t KH,
                                                          const int8_t *x, size_t ldrow, const int16_t *wp,
                                                          const int32_t *bias, const float *scale, int8_t *y,
                                                          const pc_qout *q) {
    const __m512 vlo = _mm512_set1_ps(q->flo), vhi = _mm512_set1_ps(q->fhi);
    const __m512i zp = _mm512_set1_epi32(q->zero_point);
    const size_t block = (KH + 1) / 2 * KW * 32;
    for (size_t c = 0; c < C; c += 16, wp += block) {
        const __mmask16 m = C - c >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (C - c)) - 1);
        const __m512i b = _mm512_maskz_loadu_epi32(m, bias + c);
        const __m512 sc = _mm512_maskz_loadu_ps(m, scale + c);
        size_t p = 0;
        for (; p + 8 <= n; p += 8) {
            __m512i acc[8] = {b, b, b, b, b, b, b, b};
            qdw_pairs(8, KW, S, KH, x + p * S * C + c, C, ldrow, m, wp, acc);
#pragma GCC unroll 8
            for (size_t i = 0; i < 8; i++) qdw_store(y + (p + i) * C + c, m, acc[i], sc, vlo, vhi, zp);
        }
        for (; p < n; p++) {
            __m512i acc[1] = {b};
            qdw_pairs(1, KW, S, KH, x + p * S * C + c, C, ldrow, m, wp, acc);
            qdw_store(y + p * C + c, m, acc[0], sc, vlo, vhi, zp);
        }
    }
}

void pc_qdw_row_s8__avx512vnni(size_t C, size_t n, size_t KH, size_t KW, size_t S, const int8_t *x, size_t ldrow,
                               const int16_t *wp, const int32_t *bias, const float *scale, int8_t *y, const pc_qout *q) {
    if (KW == 3 && S == 1) qdw_row(3, 1, C, n, KH, x, ldrow, wp, bias, scale, y, q);
    else if (KW == 3 && S == 2) qdw_row(3, 2, C, n, KH, x, ldrow, wp, bias, scale, y, q);
    else if (KW == 5 && S == 1) qdw_row(5, 1, C, n, KH, x, ldrow, wp, bias, scale, y, q);
    else qdw_row(5, 2, C, n, KH, x, ldrow, wp, bias, scale, y, q); /* pc_qdw_setup admits no other */
}
#endif
