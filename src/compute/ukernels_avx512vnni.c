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

/* Two rows at a time: scale in float and clamp at the top (min (hi, f): a NaN stays NaN and converts
 * to INT32_MIN), round half to even, then packs to int16 (+ the zero point, saturating) and to int8,
 * and the bottom clamp on the bytes: what clamping in float, adding the zero point and saturating
 * give (the bounds are integers). The in-lane packs leave row r's 32 columns and row r + 1's in
 * dwords 0,4,8,12,1,5,9,13 and 2,6,10,14,3,7,11,15: one permute puts each row in one half. */
#define QREQ(acc, sc) _mm512_cvtps_epi32(_mm512_min_ps(vhi, _mm512_mul_ps(_mm512_cvtepi32_ps(acc), sc)))
#define QSTORE2(r, s)                                                                                     \
    if (r < mr) {                                                                                         \
        const __m512i p0 = _mm512_adds_epi16(_mm512_packs_epi32(QREQ(c##r##0, s0), QREQ(c##r##1, s1)), zp16); \
        const __m512i p1 = _mm512_adds_epi16(_mm512_packs_epi32(QREQ(c##s##0, s0), QREQ(c##s##1, s1)), zp16); \
        const __m512i b = _mm512_permutexvar_epi32(perm, _mm512_max_epi8(_mm512_packs_epi16(p0, p1), lo8));  \
        _mm256_mask_storeu_epi8(c + r * ldc, m, _mm512_castsi512_si256(b));                               \
        if (s < mr) _mm256_mask_storeu_epi8(c + s * ldc, m, _mm512_extracti64x4_epi64(b, 1));             \
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
    const __m512 vhi = _mm512_set1_ps(q->fhi);
    const __m512i zp16 = _mm512_set1_epi16((int16_t)q->zero_point);
    const __m512i lo8 = _mm512_set1_epi8((char)((int32_t)q->flo + q->zero_point)); /* flo = lo - zero point */
    const __m512i perm = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    const __mmask32 m = nr >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << nr) - 1);
    QSTORE2(0, 1) QSTORE2(2, 3) QSTORE2(4, 5) QSTORE2(6, 7)
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

/* ---- int8 depthwise rows: four kernel rows per vpdpbusd ----
 * 64 channels at a time. For input column j, kernel rows 4r..4r+3 (flipped to x + 128) are
 * interleaved in-lane, bytes then words, into four vectors Q0..Q3 of int32 lanes that each hold the
 * four rows of one channel: in 128-bit lane L, Qk's lane i is channel 16L + 4k + i. Each Qk is built
 * once and used by every pixel of the group that reads column j. The packing (pc_qdw_pack_fill) puts
 * weights, bias and scale in the same order, the four rows of a channel in one int32 lane (0 past
 * the last row), and folds -(128 + input zero point) * the weight sum into the bias. At the store,
 * packs_epi32 (Q0, Q1), (Q2, Q3) and then packs_epi16 undo that order in-lane: 64 bytes in channel
 * order. The sums are exact in int32, and the epilogue is the mullo kernels' (scale in float, clamp,
 * round half to even, add the zero point, saturate), so results equal theirs bit for bit. */
#define QDW_BLOCK_HEAD 512 /* 64 int32 biases, 64 float scales */

static inline __attribute__((always_inline)) __m512i qdw_flip(__mmask64 m, const int8_t *p) {
    return _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, p), _mm512_set1_epi8((char)0x80));
}

static inline __attribute__((always_inline)) void qdw_quads(const size_t NP, const size_t KW, const size_t S, size_t KH,
                                                            const int8_t *xp, size_t C, size_t ldrow, __mmask64 m,
                                                            const int8_t *wb, __m512i (*acc)[4]) {
    const size_t R = (KH + 3) / 4, cols = (NP - 1) * S + KW;
    for (size_t r = 0; r < R; r++) {
        const int8_t *r0 = xp + 4 * r * ldrow;
        const size_t left = KH - 4 * r; /* rows of this group: 1..4 */
        const int8_t *wr = wb + r * KW * 256;
#pragma GCC unroll 16
        for (size_t j = 0; j < cols; j++) {
            const size_t o = j * C;
            const __m512i z = _mm512_setzero_si512();
            const __m512i a = qdw_flip(m, r0 + o);
            const __m512i b = left > 1 ? qdw_flip(m, r0 + ldrow + o) : z;
            const __m512i c = left > 2 ? qdw_flip(m, r0 + 2 * ldrow + o) : z;
            const __m512i d = left > 3 ? qdw_flip(m, r0 + 3 * ldrow + o) : z; /* past the last row: zero weights */
            const __m512i al = _mm512_unpacklo_epi8(a, b), ah = _mm512_unpackhi_epi8(a, b);
            const __m512i bl = _mm512_unpacklo_epi8(c, d), bh = _mm512_unpackhi_epi8(c, d);
            const __m512i q[4] = {_mm512_unpacklo_epi16(al, bl), _mm512_unpackhi_epi16(al, bl),
                                  _mm512_unpacklo_epi16(ah, bh), _mm512_unpackhi_epi16(ah, bh)};
#pragma GCC unroll 8
            for (size_t p = 0; p < NP; p++) {
                const size_t kw = j - p * S;
                if (j >= p * S && kw < KW)
#pragma GCC unroll 4
                    for (size_t k = 0; k < 4; k++)
                        acc[p][k] = _mm512_dpbusd_epi32(acc[p][k], q[k], _mm512_loadu_si512(wr + kw * 256 + k * 64));
            }
        }
    }
}

/* the epilogue on 16 lanes up to the int32 result before the zero point: scale in float, clamp at the
 * top (min (hi, f): a NaN stays NaN), round half to even; the packs below saturate, and the bottom
 * clamp is applied to the bytes, which gives what clamping in float would (the bounds are integers,
 * a NaN or a value below lo converts to INT32_MIN and ends at lo) */
static inline __attribute__((always_inline)) __m512i qdw_req(__m512i acc, __m512 sc, __m512 vhi) {
    return _mm512_cvtps_epi32(_mm512_min_ps(vhi, _mm512_mul_ps(_mm512_cvtepi32_ps(acc), sc)));
}

static inline __attribute__((always_inline)) void qdw_store(int8_t *y, __mmask64 m, const __m512i *acc, const __m512 *sc,
                                                            __m512 vhi, __m512i zp16, __m512i lo8) {
    const __m512i lo = _mm512_adds_epi16(_mm512_packs_epi32(qdw_req(acc[0], sc[0], vhi), qdw_req(acc[1], sc[1], vhi)), zp16);
    const __m512i hi = _mm512_adds_epi16(_mm512_packs_epi32(qdw_req(acc[2], sc[2], vhi), qdw_req(acc[3], sc[3], vhi)), zp16);
    _mm512_mask_storeu_epi8(y, m, _mm512_max_epi8(_mm512_packs_epi16(lo, hi), lo8));
}

/* the same for a block of at most 32 channels: the first two 128-bit lanes of each vector */
static inline __attribute__((always_inline)) void qdw_quads32(const size_t NP, const size_t KW, const size_t S,
                                                              size_t KH, const int8_t *xp, size_t C, size_t ldrow,
                                                              __mmask32 m, const int8_t *wb, __m256i (*acc)[4]) {
    const size_t R = (KH + 3) / 4, cols = (NP - 1) * S + KW;
    const __m256i flip = _mm256_set1_epi8((char)0x80), z = _mm256_setzero_si256();
    for (size_t r = 0; r < R; r++) {
        const int8_t *r0 = xp + 4 * r * ldrow;
        const size_t left = KH - 4 * r;
        const int8_t *wr = wb + r * KW * 256;
#pragma GCC unroll 16
        for (size_t j = 0; j < cols; j++) {
            const size_t o = j * C;
            const __m256i a = _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, r0 + o), flip);
            const __m256i b = left > 1 ? _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, r0 + ldrow + o), flip) : z;
            const __m256i c = left > 2 ? _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, r0 + 2 * ldrow + o), flip) : z;
            const __m256i d = left > 3 ? _mm256_xor_si256(_mm256_maskz_loadu_epi8(m, r0 + 3 * ldrow + o), flip) : z;
            const __m256i al = _mm256_unpacklo_epi8(a, b), ah = _mm256_unpackhi_epi8(a, b);
            const __m256i bl = _mm256_unpacklo_epi8(c, d), bh = _mm256_unpackhi_epi8(c, d);
            const __m256i q[4] = {_mm256_unpacklo_epi16(al, bl), _mm256_unpackhi_epi16(al, bl),
                                  _mm256_unpacklo_epi16(ah, bh), _mm256_unpackhi_epi16(ah, bh)};
#pragma GCC unroll 8
            for (size_t p = 0; p < NP; p++) {
                const size_t kw = j - p * S;
                if (j >= p * S && kw < KW)
#pragma GCC unroll 4
                    for (size_t k = 0; k < 4; k++)
                        acc[p][k] = _mm256_dpbusd_epi32(acc[p][k], q[k],
                                                        _mm256_loadu_si256((const __m256i *)(wr + kw * 256 + k * 64)));
            }
        }
    }
}

static inline __attribute__((always_inline)) __m256i qdw_req32(__m256i acc, __m256 sc, __m256 vhi) {
    return _mm256_cvtps_epi32(_mm256_min_ps(vhi, _mm256_mul_ps(_mm256_cvtepi32_ps(acc), sc)));
}

static inline __attribute__((always_inline)) void qdw_store32(int8_t *y, __mmask32 m, const __m256i *acc, const __m256 *sc,
                                                              __m256 vhi, __m256i zp16, __m256i lo8) {
    const __m256i lo = _mm256_adds_epi16(_mm256_packs_epi32(qdw_req32(acc[0], sc[0], vhi), qdw_req32(acc[1], sc[1], vhi)), zp16);
    const __m256i hi = _mm256_adds_epi16(_mm256_packs_epi32(qdw_req32(acc[2], sc[2], vhi), qdw_req32(acc[3], sc[3], vhi)), zp16);
    _mm256_mask_storeu_epi8(y, m, _mm256_max_epi8(_mm256_packs_epi16(lo, hi), lo8));
}

static inline __attribute__((always_inline)) void qdw_row(const size_t KW, const size_t S, size_t C, size_t n, size_t KH,
                                                          const int8_t *x, size_t ldrow, const int8_t *wp, int8_t *y,
                                                          const pc_qout *q) {
    const size_t block = QDW_BLOCK_HEAD + (KH + 3) / 4 * KW * 256;
    const int32_t lo_q = (int32_t)q->flo + q->zero_point; /* flo = lo - zero point, an integer */
    for (size_t c = 0; c < C; c += 64, wp += block) {
        const int32_t *bias = (const int32_t *)wp;
        const float *scale = (const float *)(wp + 256);
        const int8_t *wb = wp + QDW_BLOCK_HEAD;
        size_t p = 0;
        if (C - c <= 32) { /* the half block */
            const __mmask32 m = C - c >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << (C - c)) - 1);
            const __m256 vhi = _mm256_set1_ps(q->fhi);
            const __m256i zp16 = _mm256_set1_epi16((int16_t)q->zero_point), lo8 = _mm256_set1_epi8((char)lo_q);
            __m256i b[4];
            __m256 sc[4];
            for (size_t k = 0; k < 4; k++)
                b[k] = _mm256_loadu_si256((const __m256i *)(bias + 16 * k)), sc[k] = _mm256_loadu_ps(scale + 16 * k);
            for (; p + 4 <= n; p += 4) {
                __m256i acc[4][4];
                for (size_t i = 0; i < 4; i++)
                    for (size_t k = 0; k < 4; k++) acc[i][k] = b[k];
                qdw_quads32(4, KW, S, KH, x + p * S * C + c, C, ldrow, m, wb, acc);
#pragma GCC unroll 4
                for (size_t i = 0; i < 4; i++) qdw_store32(y + (p + i) * C + c, m, acc[i], sc, vhi, zp16, lo8);
            }
            for (; p < n; p++) {
                __m256i acc[1][4] = {{b[0], b[1], b[2], b[3]}};
                qdw_quads32(1, KW, S, KH, x + p * S * C + c, C, ldrow, m, wb, acc);
                qdw_store32(y + p * C + c, m, acc[0], sc, vhi, zp16, lo8);
            }
            continue;
        }
        const __mmask64 m = C - c >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (C - c)) - 1);
        const __m512 vhi = _mm512_set1_ps(q->fhi);
        const __m512i zp16 = _mm512_set1_epi16((int16_t)q->zero_point), lo8 = _mm512_set1_epi8((char)lo_q);
        __m512i b[4];
        __m512 sc[4];
        for (size_t k = 0; k < 4; k++) b[k] = _mm512_loadu_si512(bias + 16 * k), sc[k] = _mm512_loadu_ps(scale + 16 * k);
        for (; p + 4 <= n; p += 4) {
            __m512i acc[4][4];
            for (size_t i = 0; i < 4; i++)
                for (size_t k = 0; k < 4; k++) acc[i][k] = b[k];
            qdw_quads(4, KW, S, KH, x + p * S * C + c, C, ldrow, m, wb, acc);
#pragma GCC unroll 4
            for (size_t i = 0; i < 4; i++) qdw_store(y + (p + i) * C + c, m, acc[i], sc, vhi, zp16, lo8);
        }
        for (; p < n; p++) {
            __m512i acc[1][4] = {{b[0], b[1], b[2], b[3]}};
            qdw_quads(1, KW, S, KH, x + p * S * C + c, C, ldrow, m, wb, acc);
            qdw_store(y + p * C + c, m, acc[0], sc, vhi, zp16, lo8);
        }
    }
}

void pc_qdw_row_s8__avx512vnni(size_t C, size_t n, size_t KH, size_t KW, size_t S, const int8_t *x, size_t ldrow,
                               const int8_t *wp, int8_t *y, const pc_qout *q) {
    if (KW == 3 && S == 1 && KH == 3) qdw_row(3, 1, C, n, 3, x, ldrow, wp, y, q);
    else if (KW == 3 && S == 2 && KH == 3) qdw_row(3, 2, C, n, 3, x, ldrow, wp, y, q);
    else if (KW == 5 && S == 1 && KH == 5) qdw_row(5, 1, C, n, 5, x, ldrow, wp, y, q);
    else if (KW == 5 && S == 2 && KH == 5) qdw_row(5, 2, C, n, 5, x, ldrow, wp, y, q);
    else if (KW == 3) {
        if (S == 1) qdw_row(3, 1, C, n, KH, x, ldrow, wp, y, q);
        else qdw_row(3, 2, C, n, KH, x, ldrow, wp, y, q);
    } else if (S == 1) qdw_row(5, 1, C, n, KH, x, ldrow, wp, y, q);
    else qdw_row(5, 2, C, n, KH, x, ldrow, wp, y, q); /* pc_qdw_setup admits no other */
}
/* ---- qbint4: one packed tile of 16 channels (pc_fc_q4_pack_fill) for 1 to 4 rows. Per group of 8 k
 * one 64-byte load holds 16 channels x (4 k in the low nibbles, the next 4 in the high ones): masked,
 * they are the unsigned operand of vpdpbusd against the row's four int8 q broadcast. Each block's
 * int32 sum less 8 x the block's sum of q is the reference's integer; the float steps are its own
 * (this file is built without contraction). ---- */
static inline __m512i q4_quad(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

static inline __attribute__((always_inline)) void qb4w_rows(const size_t R, const int8_t *q, size_t ld, const int32_t *qsum,
                                                            const float *zp, const uint8_t *tile, size_t gs, size_t ng,
                                                            float *v) {
    const __m512i m4 = _mm512_set1_epi8(15);
    const __m512 kn = _mm512_loadu_ps(tile);
    __m512 f[4];
#pragma GCC unroll 4
    for (size_t r = 0; r < R; r++) f[r] = _mm512_mul_ps(kn, _mm512_set1_ps(zp[r]));
    const uint8_t *p = tile + 64, *pair = p;
    for (size_t b = 0; b < ng; b++) { /* a pair of blocks: their bf16 scales, widened (bits moved up 16), then their nibbles */
        if (b % 2 == 0) pair = p, p += 64;
        const __m512 sc = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(pair + 32 * (b % 2)))), 16));
        __m512i a[4], h[4]; /* low and high nibbles in two chains */
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) a[r] = _mm512_setzero_si512(), h[r] = _mm512_setzero_si512();
        const int8_t *qb = q + b * gs;
        for (size_t k = 0; k < gs; k += 8, p += 64) {
            const __m512i w = _mm512_loadu_si512(p);
            const __m512i lo = _mm512_and_si512(w, m4), hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
#pragma GCC unroll 4
            for (size_t r = 0; r < R; r++) {
                a[r] = _mm512_dpbusd_epi32(a[r], lo, q4_quad(qb + r * ld + k));
                h[r] = _mm512_dpbusd_epi32(h[r], hi, q4_quad(qb + r * ld + k + 4));
            }
        }
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) {
            const __m512i s = _mm512_sub_epi32(_mm512_add_epi32(a[r], h[r]), _mm512_set1_epi32(8 * qsum[r * ng + b]));
            f[r] = _mm512_add_ps(f[r], _mm512_mul_ps(_mm512_cvtepi32_ps(s), sc));
        }
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < R; r++) _mm512_storeu_ps(v + 16 * r, f[r]);
}

void pc_qb4w_tile__avx512vnni(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                              const uint8_t *tile, size_t gs, size_t ng, float *v) {
    switch (rows) {
    case 1: qb4w_rows(1, q, ld, qsum, zp, tile, gs, ng, v); break;
    case 2: qb4w_rows(2, q, ld, qsum, zp, tile, gs, ng, v); break;
    case 3: qb4w_rows(3, q, ld, qsum, zp, tile, gs, ng, v); break;
    default: qb4w_rows(4, q, ld, qsum, zp, tile, gs, ng, v); break;
    }
}
#endif
