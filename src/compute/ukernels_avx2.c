/* ukernels_avx2.c — AVX2 + FMA microkernels: the 6x16 fp32 GEMM and indirect-GEMM tiles in
 * intrinsics (12 ymm accumulators), sigmoid/SiLU, the 4x16 int8 tile and the int8 depthwise pixel,
 * and the shared C loops of ukernels.inc compiled with -mavx2 -mfma. */
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#include <string.h>

#define PC_UK(name) name##__avx2
#define PC_UK_FAST_MATH 1
#include "compute/ukernels.inc"

#define ROW(r)                                                                   \
    __m256 c##r##0 = _mm256_setzero_ps(), c##r##1 = _mm256_setzero_ps();         \
    const float *a##r = a + (r < mr ? r : mr - 1) * lda;
#define FMA(r)                                                                   \
    {                                                                            \
        const __m256 va = _mm256_broadcast_ss(a##r + k);                         \
        c##r##0 = _mm256_fmadd_ps(va, b0, c##r##0);                              \
        c##r##1 = _mm256_fmadd_ps(va, b1, c##r##1);                              \
    }
#define EPI(r)                                                                   \
    if (r < mr) {                                                                \
        float *cr = c + r * ldc;                                                 \
        __m256 v0 = _mm256_mul_ps(c##r##0, valpha), v1 = _mm256_mul_ps(c##r##1, valpha); \
        if (bias_m) {                                                            \
            const __m256 bm = _mm256_broadcast_ss(bias_m + r);                   \
            v0 = _mm256_add_ps(v0, bm);                                          \
            v1 = _mm256_add_ps(v1, bm);                                          \
        }                                                                        \
        v0 = _mm256_add_ps(v0, bn0);                                             \
        v1 = _mm256_add_ps(v1, bn1);                                             \
        if (accumulate) {                                                        \
            v0 = _mm256_add_ps(v0, _mm256_maskload_ps(cr, m0));                  \
            v1 = _mm256_add_ps(v1, _mm256_maskload_ps(cr + 8, m1));              \
        }                                                                        \
        v0 = _mm256_min_ps(vhi, _mm256_max_ps(vlo, v0));                         \
        v1 = _mm256_min_ps(vhi, _mm256_max_ps(vlo, v1));                         \
        _mm256_maskstore_ps(cr, m0, v0);                                         \
        _mm256_maskstore_ps(cr + 8, m1, v1);                                     \
    }

/* lane masks for the first n of 8 columns */
static inline __m256i first_lanes(size_t n) {
    static const int32_t ones[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(ones + 8 - (n > 8 ? 8 : n)));
}

static void gemm_f32_6x16__avx2(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                                size_t ldw, float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5)
    const __m256i m0 = first_lanes(nr), m1 = first_lanes(nr > 8 ? nr - 8 : 0);
    const int full = nr >= 16; /* a row-major B read in place must not be read past its nr columns */
    for (size_t k = 0; k < kc; k++, w += ldw) {
        if ((k & 15) == 0) { /* the six rows of A stream from L2: fetch a line ahead */
            _mm_prefetch((const char *)(a0 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a1 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a2 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a3 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a4 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a5 + k + 64), _MM_HINT_T0);
        }
        const __m256 b0 = full ? _mm256_loadu_ps(w) : _mm256_maskload_ps(w, m0);
        const __m256 b1 = full ? _mm256_loadu_ps(w + 8) : _mm256_maskload_ps(w + 8, m1);
        FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5)
    }
    const __m256 valpha = _mm256_set1_ps(alpha), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256 bn0 = bias_n ? _mm256_maskload_ps(bias_n, m0) : _mm256_setzero_ps();
    const __m256 bn1 = bias_n ? _mm256_maskload_ps(bias_n + 8, m1) : _mm256_setzero_ps();
    EPI(0) EPI(1) EPI(2) EPI(3) EPI(4) EPI(5)
}


/* one row of A against a 16-wide panel: four independent accumulator pairs hide the FMA latency */
static void gemm_f32_1x16__avx2(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                                size_t ldw, float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    (void)mr, (void)lda, (void)ldc;
    const __m256i m0 = first_lanes(nr), m1 = first_lanes(nr > 8 ? nr - 8 : 0);
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), t0 = _mm256_setzero_ps(), t1 = _mm256_setzero_ps();
    __m256 u0 = _mm256_setzero_ps(), u1 = _mm256_setzero_ps(), q0 = _mm256_setzero_ps(), q1 = _mm256_setzero_ps();
    size_t k = 0;
#define B0(p) _mm256_maskload_ps(p, m0)
#define B1(p) _mm256_maskload_ps((p) + 8, m1)
    for (; k + 4 <= kc; k += 4, w += 4 * ldw) {
        __m256 x = _mm256_broadcast_ss(a + k);
        s0 = _mm256_fmadd_ps(x, B0(w), s0), s1 = _mm256_fmadd_ps(x, B1(w), s1);
        x = _mm256_broadcast_ss(a + k + 1);
        t0 = _mm256_fmadd_ps(x, B0(w + ldw), t0), t1 = _mm256_fmadd_ps(x, B1(w + ldw), t1);
        x = _mm256_broadcast_ss(a + k + 2);
        u0 = _mm256_fmadd_ps(x, B0(w + 2 * ldw), u0), u1 = _mm256_fmadd_ps(x, B1(w + 2 * ldw), u1);
        x = _mm256_broadcast_ss(a + k + 3);
        q0 = _mm256_fmadd_ps(x, B0(w + 3 * ldw), q0), q1 = _mm256_fmadd_ps(x, B1(w + 3 * ldw), q1);
    }
    for (; k < kc; k++, w += ldw) {
        const __m256 x = _mm256_broadcast_ss(a + k);
        s0 = _mm256_fmadd_ps(x, B0(w), s0), s1 = _mm256_fmadd_ps(x, B1(w), s1);
    }
#undef B0
#undef B1
    __m256 c00 = _mm256_add_ps(_mm256_add_ps(s0, t0), _mm256_add_ps(u0, q0));
    __m256 c01 = _mm256_add_ps(_mm256_add_ps(s1, t1), _mm256_add_ps(u1, q1));
    const __m256 valpha = _mm256_set1_ps(alpha), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256 bn0 = bias_n ? _mm256_maskload_ps(bias_n, m0) : _mm256_setzero_ps();
    const __m256 bn1 = bias_n ? _mm256_maskload_ps(bias_n + 8, m1) : _mm256_setzero_ps();
    EPI(0)
}

/* the 6x16 tile over indirection pointers (see the AVX-512 one) */
static void igemm_f32_6x16__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a, const float *w,
                                 float *c, size_t ldc, const float *bias_n, float lo, float hi) {
    __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
    __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
    __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps(), c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
    for (size_t t = 0; t < ks; t++, a += 6) {
        const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5];
        for (size_t k = 0; k < kc; k++, w += 16) {
            _mm_prefetch((const char *)(w + 384), _MM_HINT_T0); /* the panel streams from L2 */
            const __m256 b0 = _mm256_loadu_ps(w), b1 = _mm256_loadu_ps(w + 8);
            FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5)
        }
    }
    const __m256i m0 = first_lanes(nr), m1 = first_lanes(nr > 8 ? nr - 8 : 0);
    const __m256 valpha = _mm256_set1_ps(1.0f), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    const __m256 bn0 = bias_n ? _mm256_maskload_ps(bias_n, m0) : _mm256_setzero_ps();
    const __m256 bn1 = bias_n ? _mm256_maskload_ps(bias_n + 8, m1) : _mm256_setzero_ps();
    const float *const bias_m = NULL;
    const int accumulate = 0;
    EPI(0) EPI(1) EPI(2) EPI(3) EPI(4) EPI(5)
}

/* ---- sigmoid and SiLU in intrinsics ---- */

/* sigmoid(v) from e = exp(-|v|) (see the AVX-512 one); rcp_ps has 12 bits: two Newton steps */
static inline __m256 sigmoid_avx2(__m256 v) {
    const __m256 one = _mm256_set1_ps(1.0f), magic = _mm256_set1_ps(0x1.8000FEp23f);
    __m256 z = _mm256_or_ps(v, _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN))); /* -|v| */
    z = _mm256_max_ps(_mm256_set1_ps(-87.0f), z);
    __m256 n = _mm256_fmadd_ps(z, _mm256_set1_ps(1.44269504088896341f), magic);
    const __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(n), 23)); /* 2^n */
    n = _mm256_sub_ps(n, magic);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), z);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187e-06f), r);
    __m256 p = _mm256_set1_ps(1.0f / 720.0f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
    p = _mm256_fmadd_ps(p, r, one);
    p = _mm256_fmadd_ps(p, r, one);
    const __m256 e = _mm256_mul_ps(p, s), d = _mm256_add_ps(one, e);
    __m256 q = _mm256_rcp_ps(d);
    q = _mm256_fmadd_ps(q, _mm256_fnmadd_ps(d, q, one), q);
    q = _mm256_fmadd_ps(q, _mm256_fnmadd_ps(d, q, one), q);
    const __m256 f = _mm256_mul_ps(e, q);
    return _mm256_blendv_ps(f, _mm256_sub_ps(one, f), _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ));
}

static void vunary_f32_x__avx2(int op, size_t n, const float *x, float *y, const void *params) {
    if (op != PC_U_SIGMOID && op != PC_U_SILU) {
        PC_UK(vunary_f32)(op, n, x, y, params);
        return;
    }
    const pc_unary_params *p = params;
    const __m256 vlo = _mm256_set1_ps(p->lo), vhi = _mm256_set1_ps(p->hi);
    const int silu = op == PC_U_SILU, clamp = p->lo > -INFINITY || p->hi < INFINITY;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 v = _mm256_loadu_ps(x + i);
        __m256 s = sigmoid_avx2(v);
        if (silu) s = _mm256_mul_ps(v, s);
        if (clamp) s = _mm256_min_ps(vhi, _mm256_max_ps(vlo, s));
        _mm256_storeu_ps(y + i, s);
    }
    if (i < n) {
        const __m256i m = first_lanes(n - i);
        const __m256 v = _mm256_maskload_ps(x + i, m);
        __m256 s = sigmoid_avx2(v);
        if (silu) s = _mm256_mul_ps(v, s);
        s = _mm256_min_ps(vhi, _mm256_max_ps(vlo, s));
        _mm256_maskstore_ps(y + i, m, s);
    }
}

/* ---- depthwise convolution: channels in vectors of 8, two vectors per step ---- */

static void dwconv_f32_c16__avx2(size_t C, size_t taps, const float *const *in, const float *w, const float *bias, float *y,
                             float lo, float hi) {
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    size_t c = 0;
    for (; c + 16 <= C; c += 16) {
        __m256 a0 = _mm256_loadu_ps(bias + c), a1 = _mm256_loadu_ps(bias + c + 8);
        for (size_t t = 0; t < taps; t++) {
            const float *x = in[t] + c, *wt = w + t * C + c;
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(wt), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + 8), _mm256_loadu_ps(wt + 8), a1);
        }
        _mm256_storeu_ps(y + c, _mm256_min_ps(vhi, _mm256_max_ps(vlo, a0)));
        _mm256_storeu_ps(y + c + 8, _mm256_min_ps(vhi, _mm256_max_ps(vlo, a1)));
    }
    for (; c < C; c += 8) {
        const __m256i m = first_lanes(C - c);
        __m256 a = _mm256_maskload_ps(bias + c, m);
        for (size_t t = 0; t < taps; t++)
            a = _mm256_fmadd_ps(_mm256_maskload_ps(in[t] + c, m), _mm256_maskload_ps(w + t * C + c, m), a);
        _mm256_maskstore_ps(y + c, m, _mm256_min_ps(vhi, _mm256_max_ps(vlo, a)));
    }
}

static void dwconv_f32_row_p2__avx2(size_t C, size_t n, size_t taps, const float *x, size_t x_step, const int64_t *tap_off,
                                 const float *w, const float *bias, float *y, float lo, float hi) {
    const __m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    size_t p = 0;
    for (; p + 2 <= n; p += 2, x += 2 * x_step, y += 2 * C) {
        const float *x1 = x + x_step;
        float *y1 = y + C;
        for (size_t c = 0; c < C; c += 8) {
            const __m256i m = first_lanes(C - c);
            const __m256 b = _mm256_maskload_ps(bias + c, m);
            __m256 a0 = b, a1 = b;
            for (size_t t = 0; t < taps; t++) {
                const __m256 wv = _mm256_maskload_ps(w + t * C + c, m);
                a0 = _mm256_fmadd_ps(_mm256_maskload_ps(x + tap_off[t] + c, m), wv, a0);
                a1 = _mm256_fmadd_ps(_mm256_maskload_ps(x1 + tap_off[t] + c, m), wv, a1);
            }
            _mm256_maskstore_ps(y + c, m, _mm256_min_ps(vhi, _mm256_max_ps(vlo, a0)));
            _mm256_maskstore_ps(y1 + c, m, _mm256_min_ps(vhi, _mm256_max_ps(vlo, a1)));
        }
    }
    if (p < n) {
        const float *in[64];
        size_t nt = taps < 64 ? taps : 64;
        for (size_t t = 0; t < nt; t++) in[t] = x + tap_off[t];
        if (taps <= 64) dwconv_f32_c16__avx2(C, taps, in, w, bias, y, lo, hi);
        else PC_UK(dwconv_f32_row)(C, 1, taps, x, x_step, tap_off, w, bias, y, lo, hi);
    }
}

/* ---- the int8 indirect GEMM tile on AVX2: 4 rows x 16 channels, int16 products summed in pairs
 * by vpmaddwd (exact: |x w| <= 2^14). Panel: int32 bias[16], float scale[16], then per tap
 * ceil(kc / 2) pairs of [16 channels][2 k] int8 weights, sign-extended to int16 as they load (the
 * packed weights stay the file's size on every ISA). ---- */

static inline __m256i qpair(const int8_t *p, int two) { /* (x[k], x[k + 1]) as two int16, or (x[k], 0) */
    uint32_t lo = (uint16_t)(int16_t)p[0], hi = two ? (uint16_t)(int16_t)p[1] : 0;
    return _mm256_set1_epi32((int32_t)(lo | hi << 16));
}

static inline void qstore8(int8_t *dst, __m256i a, __m256i b, __m256 s0, __m256 s1, __m256 vlo, __m256 vhi,
                           __m256i zp, size_t nr) {
    __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(a), s0), f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(b), s1);
    f0 = _mm256_min_ps(_mm256_max_ps(f0, vlo), vhi); /* a NaN becomes lo */
    f1 = _mm256_min_ps(_mm256_max_ps(f1, vlo), vhi);
    const __m256i q0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), zp), q1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), zp);
    const __m256i w16 = _mm256_permute4x64_epi64(_mm256_packs_epi32(q0, q1), 0xD8); /* 16 int16 in order */
    const __m128i b8 = _mm_packs_epi16(_mm256_castsi256_si128(w16), _mm256_extracti128_si256(w16, 1));
    if (nr >= 16) {
        _mm_storeu_si128((__m128i *)dst, b8);
    } else {
        int8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, b8);
        memcpy(dst, tmp, nr);
    }
}

void pc_qigemm_s8_4x16__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *wp,
                             int8_t *c, size_t ldc, const pc_qout *q) {
    const int32_t *bias = wp;
    const float *scale = (const float *)(bias + 16);
    const int8_t *w = (const int8_t *)(scale + 16); /* pairs of k per column, sign-extended on load */
    __m256i c00 = _mm256_loadu_si256((const __m256i *)bias), c01 = _mm256_loadu_si256((const __m256i *)(bias + 8));
    __m256i c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
    for (size_t t = 0; t < ks; t++, a += 4) {
        const int8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
        for (size_t k = 0; k < kc; k += 2, w += 32) {
            const int two = k + 1 < kc;
            const __m256i w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)w)),
                          w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 16)));
            __m256i x = qpair(a0 + k, two);
            c00 = _mm256_add_epi32(c00, _mm256_madd_epi16(x, w0)), c01 = _mm256_add_epi32(c01, _mm256_madd_epi16(x, w1));
            x = qpair(a1 + k, two);
            c10 = _mm256_add_epi32(c10, _mm256_madd_epi16(x, w0)), c11 = _mm256_add_epi32(c11, _mm256_madd_epi16(x, w1));
            x = qpair(a2 + k, two);
            c20 = _mm256_add_epi32(c20, _mm256_madd_epi16(x, w0)), c21 = _mm256_add_epi32(c21, _mm256_madd_epi16(x, w1));
            x = qpair(a3 + k, two);
            c30 = _mm256_add_epi32(c30, _mm256_madd_epi16(x, w0)), c31 = _mm256_add_epi32(c31, _mm256_madd_epi16(x, w1));
        }
    }
    const __m256 s0 = _mm256_loadu_ps(scale), s1 = _mm256_loadu_ps(scale + 8);
    const __m256 vlo = _mm256_set1_ps(q->flo), vhi = _mm256_set1_ps(q->fhi);
    const __m256i zp = _mm256_set1_epi32(q->zero_point);
    qstore8(c, c00, c01, s0, s1, vlo, vhi, zp, nr);
    if (mr > 1) qstore8(c + ldc, c10, c11, s0, s1, vlo, vhi, zp, nr);
    if (mr > 2) qstore8(c + 2 * ldc, c20, c21, s0, s1, vlo, vhi, zp, nr);
    if (mr > 3) qstore8(c + 3 * ldc, c30, c31, s0, s1, vlo, vhi, zp, nr);
}

/* int8 depthwise pixel: 8 channels per vector, int32 products (as the AVX-512 one) */
static void qdwconv_s8_c8__avx2(size_t C, size_t taps, const int8_t *const *in, const int32_t *w, const int32_t *bias,
                                const float *scale, int8_t *y, const pc_qout *q) {
    const __m256 vlo = _mm256_set1_ps(q->flo), vhi = _mm256_set1_ps(q->fhi);
    const __m256i zp = _mm256_set1_epi32(q->zero_point);
    size_t c = 0;
    for (; c + 8 <= C; c += 8) {
        __m256i acc = _mm256_loadu_si256((const __m256i *)(bias + c));
        for (size_t t = 0; t < taps; t++) {
            const __m256i x = _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(in[t] + c)));
            acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(x, _mm256_loadu_si256((const __m256i *)(w + t * C + c))));
        }
        __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(scale + c));
        f = _mm256_min_ps(_mm256_max_ps(f, vlo), vhi); /* a NaN becomes lo */
        const __m256i qv = _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
        const __m128i h = _mm_packs_epi32(_mm256_castsi256_si128(qv), _mm256_extracti128_si256(qv, 1));
        _mm_storel_epi64((__m128i *)(y + c), _mm_packs_epi16(h, h));
    }
    if (c < C) { /* the last channels through the portable loop, on shifted views */
        const int8_t *tin[64];
        if (taps > 64) {
            PC_UK(qdwconv_s8)(C, taps, in, w, bias, scale, y, q);
            return;
        }
        for (size_t t = 0; t < taps; t++) tin[t] = in[t] + c;
        /* the portable loop indexes w by t * C: give it the tail's columns through a small copy */
        int32_t wt[64 * 8];
        for (size_t t = 0; t < taps; t++)
            for (size_t i = 0; i < C - c; i++) wt[t * (C - c) + i] = w[t * C + c + i];
        PC_UK(qdwconv_s8)(C - c, taps, tin, wt, bias + c, scale + c, y + c, q);
    }
}

static void qdwconv_s8_row_c8__avx2(size_t C, size_t n, size_t taps, const int8_t *x, size_t x_step, const int64_t *tap_off,
                                 const int32_t *w, const int32_t *bias, const float *scale, int8_t *y, const pc_qout *q) {
    const int8_t *in[1024];
    for (size_t p = 0; p < n; p++, x += x_step, y += C) {
        for (size_t t = 0; t < taps; t++) in[t] = x + tap_off[t];
        qdwconv_s8_c8__avx2(C, taps, in, w, bias, scale, y, q);
    }
}

/* ---- qbint4 over a packed 16-channel tile (pc_ukernels.qb4w_tile): the AVX-512 kernel's arithmetic
 * (vpmaddubsw pairs, eight summed exactly in int16 per 32 k, vpmaddwd into int32) on two halves of 8
 * channels, rows two at a time (the tile stays in L1 for the next two). The asm barrier keeps each
 * product rounded before the sum (this file allows contraction). ---- */
#define Q4_NOFUSE(x) __asm__("" : "+x"(x))
static inline __m256i q4_quad(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm256_set1_epi32(v);
}

static inline __attribute__((always_inline)) void qb4w_rows__avx2(const size_t R, const int8_t *q, size_t ld,
                                                                  const int32_t *qsum, const float *zp,
                                                                  const uint8_t *tile, size_t gs, size_t ng, float *v) {
    const __m256i m4 = _mm256_set1_epi8(15), ones = _mm256_set1_epi16(1);
    const __m256 kn0 = _mm256_loadu_ps((const float *)(const void *)tile), kn1 = _mm256_loadu_ps((const float *)(const void *)tile + 8);
    __m256 f[2][2];
#pragma GCC unroll 2
    for (size_t r = 0; r < R; r++) {
        const __m256 z = _mm256_set1_ps(zp[r]);
        f[r][0] = _mm256_mul_ps(kn0, z), f[r][1] = _mm256_mul_ps(kn1, z);
    }
    const uint8_t *p = tile + 64, *pair = p;
    for (size_t b = 0; b < ng; b++) { /* a pair of blocks: their bf16 scales, widened (bits moved up 16), then their nibbles */
        if (b % 2 == 0) pair = p, p += 64;
        const uint8_t *scb = pair + 32 * (b % 2);
        const __m256 sc0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)scb)), 16));
        const __m256 sc1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(const void *)(scb + 16))), 16));
        __m256i a[2][2];
#pragma GCC unroll 2
        for (size_t r = 0; r < R; r++) a[r][0] = a[r][1] = _mm256_setzero_si256();
        const int8_t *qb = q + b * gs;
        for (size_t k0 = 0; k0 < gs; k0 += 32) {
            __m256i s[2][2];
#pragma GCC unroll 2
            for (size_t r = 0; r < R; r++) s[r][0] = s[r][1] = _mm256_setzero_si256();
            for (size_t k = k0; k < gs && k < k0 + 32; k += 8, p += 64) {
                const __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)p);
                const __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));
                const __m256i lo0 = _mm256_and_si256(w0, m4), hi0 = _mm256_and_si256(_mm256_srli_epi16(w0, 4), m4);
                const __m256i lo1 = _mm256_and_si256(w1, m4), hi1 = _mm256_and_si256(_mm256_srli_epi16(w1, 4), m4);
#pragma GCC unroll 2
                for (size_t r = 0; r < R; r++) {
                    const __m256i ql = q4_quad(qb + r * ld + k), qh = q4_quad(qb + r * ld + k + 4);
                    s[r][0] = _mm256_add_epi16(s[r][0], _mm256_add_epi16(_mm256_maddubs_epi16(lo0, ql), _mm256_maddubs_epi16(hi0, qh)));
                    s[r][1] = _mm256_add_epi16(s[r][1], _mm256_add_epi16(_mm256_maddubs_epi16(lo1, ql), _mm256_maddubs_epi16(hi1, qh)));
                }
            }
#pragma GCC unroll 2
            for (size_t r = 0; r < R; r++) {
                a[r][0] = _mm256_add_epi32(a[r][0], _mm256_madd_epi16(s[r][0], ones));
                a[r][1] = _mm256_add_epi32(a[r][1], _mm256_madd_epi16(s[r][1], ones));
            }
        }
#pragma GCC unroll 2
        for (size_t r = 0; r < R; r++) {
            const __m256i off = _mm256_set1_epi32(8 * qsum[r * ng + b]);
            __m256 p0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(a[r][0], off)), sc0);
            __m256 p1 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(a[r][1], off)), sc1);
            Q4_NOFUSE(p0);
            Q4_NOFUSE(p1);
            f[r][0] = _mm256_add_ps(f[r][0], p0), f[r][1] = _mm256_add_ps(f[r][1], p1);
        }
    }
#pragma GCC unroll 2
    for (size_t r = 0; r < R; r++) _mm256_storeu_ps(v + 16 * r, f[r][0]), _mm256_storeu_ps(v + 16 * r + 8, f[r][1]);
}

static void qb4w_tile__avx2(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                            const uint8_t *tile, size_t gs, size_t ng, float *v) {
    for (size_t r = 0; r < rows; r += 2) {
        if (rows - r >= 2) qb4w_rows__avx2(2, q + r * ld, ld, qsum + r * ng, zp + r, tile, gs, ng, v + 16 * r);
        else qb4w_rows__avx2(1, q + r * ld, ld, qsum + r * ng, zp + r, tile, gs, ng, v + 16 * r);
    }
}

/* attention's scores (pc_ukernels.attn_scores_f32): the portable loop's 16 lanes in two registers, summed
 * pairwise as it does; rows whose length is not a multiple of 16 take that loop */
static void attn_scores_f32_x__avx2(size_t n, size_t D, const float *q, const float *k, size_t ldk, float scale, float *s) {
    if (D % 16 || D > 128) {
        PC_UK(attn_scores_f32)(n, D, q, k, ldk, scale, s);
        return;
    }
    for (size_t t = 0; t < n; t++) {
        const float *kr = k + t * ldk;
        __m256 a0 = _mm256_mul_ps(_mm256_loadu_ps(q), _mm256_loadu_ps(kr));
        __m256 a1 = _mm256_mul_ps(_mm256_loadu_ps(q + 8), _mm256_loadu_ps(kr + 8));
        for (size_t e = 16; e < D; e += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + e), _mm256_loadu_ps(kr + e), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + e + 8), _mm256_loadu_ps(kr + e + 8), a1);
        }
        const __m256 h = _mm256_add_ps(a0, a1);
        __m128 x = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
        x = _mm_add_ps(x, _mm_movehl_ps(x, x));
        x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
        s[t] = _mm_cvtss_f32(x) * scale;
    }
}

const pc_ukernels pc_uk_avx2 = {
    PC_ISA_AVX2, 6, 16, gemm_f32_6x16__avx2, gemm_f32_1x16__avx2, igemm_f32_6x16__avx2, PC_UK(qigemm_s8), qdwconv_s8_c8__avx2, qdwconv_s8_row_c8__avx2, PC_UK(quantize_f32), PC_UK(dequantize_f32), vunary_f32_x__avx2, PC_UK(vbinary_f32), PC_UK(vbinary_q8),
    dwconv_f32_c16__avx2, dwconv_f32_row_p2__avx2, PC_UK(dwconv_chw_f32_row), PC_UK(softmax_f32_row), PC_UK(max_f32_strided), PC_UK(sum_f32), PC_UK(add_f32_strided), PC_UK(affine_f32), PC_UK(qdot_s8), PC_UK(qdot_s8_blocks),
    qb4w_tile__avx2, attn_scores_f32_x__avx2, PC_UK(attn_values_f32),
};
#endif
