/* ukernels_avx512.c — AVX-512 microkernels: an 8x32 fp32 GEMM tile in intrinsics (16 zmm
 * accumulators, two B vectors, A broadcast from memory) and the shared C loops of ukernels.inc
 * compiled with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma (see CMakeLists.txt). */
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define PC_UK(name) name##__avx512
#define PC_UK_FAST_MATH 1
#include "compute/ukernels.inc"

#define ROW(r)                                                                   \
    __m512 c##r##0 = _mm512_setzero_ps(), c##r##1 = _mm512_setzero_ps();         \
    const float *a##r = a + (r < mr ? r : mr - 1) * lda;
#define FMA(r)                                                                   \
    {                                                                            \
        const __m512 va = _mm512_set1_ps(a##r[k]);                               \
        c##r##0 = _mm512_fmadd_ps(va, b0, c##r##0);                              \
        c##r##1 = _mm512_fmadd_ps(va, b1, c##r##1);                              \
    }
#define EPI(r)                                                                   \
    if (r < mr) {                                                                \
        float *cr = c + r * ldc;                                                 \
        __m512 v0 = _mm512_mul_ps(c##r##0, valpha), v1 = _mm512_mul_ps(c##r##1, valpha); \
        if (bias_m) {                                                            \
            const __m512 bm = _mm512_set1_ps(bias_m[r]);                         \
            v0 = _mm512_add_ps(v0, bm);                                          \
            v1 = _mm512_add_ps(v1, bm);                                          \
        }                                                                        \
        v0 = _mm512_add_ps(v0, bn0);                                             \
        v1 = _mm512_add_ps(v1, bn1);                                             \
        if (accumulate) {                                                        \
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));               \
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));          \
        }                                                                        \
        v0 = _mm512_min_ps(vhi, _mm512_max_ps(vlo, v0));                         \
        v1 = _mm512_min_ps(vhi, _mm512_max_ps(vlo, v1));                         \
        _mm512_mask_storeu_ps(cr, m0, v0);                                       \
        _mm512_mask_storeu_ps(cr + 16, m1, v1);                                  \
    }

#ifndef PF_W
#define PF_W 16 /* k steps of the weight panel fetched ahead */
#endif
#define HALF(r) c##r##0 = _mm512_fmadd_ps(_mm512_set1_ps(a##r[k]), b0, c##r##0);

static void gemm_f32_8x32__avx512(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                                  size_t ldw, float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1));
    /* a narrow panel (16 columns, or a layer's last 16) or a short tile (the last rows of a
     * layer): only the FMAs that land in C */
    if (nr <= 16 && mr <= 4) {
        for (size_t k = 0; k < kc; k++, w += ldw) {
            const __m512 b0 = _mm512_maskz_loadu_ps(m0, w);
            HALF(0) HALF(1) HALF(2) HALF(3)
        }
    } else if (nr <= 16) {
        for (size_t k = 0; k < kc; k++, w += ldw) {
            const __m512 b0 = _mm512_maskz_loadu_ps(m0, w);
            HALF(0) HALF(1) HALF(2) HALF(3) HALF(4) HALF(5) HALF(6) HALF(7)
        }
    } else if (mr <= 4) {
        for (size_t k = 0; k < kc; k++, w += ldw) {
            const __m512 b0 = _mm512_maskz_loadu_ps(m0, w), b1 = _mm512_maskz_loadu_ps(m1, w + 16);
            FMA(0) FMA(1) FMA(2) FMA(3)
        }
    } else if (nr >= 32) { /* a whole panel: plain loads, and the panel fetched ahead (it streams from L3) */
        for (size_t k = 0; k < kc; k++, w += ldw) {
            if ((k & 15) == 0) {
                _mm_prefetch((const char *)(a0 + k + 64), _MM_HINT_T0);
                _mm_prefetch((const char *)(a1 + k + 64), _MM_HINT_T0);
                _mm_prefetch((const char *)(a2 + k + 64), _MM_HINT_T0);
                _mm_prefetch((const char *)(a3 + k + 64), _MM_HINT_T0);
                _mm_prefetch((const char *)(a4 + k + 64), _MM_HINT_T0);
                _mm_prefetch((const char *)(a5 + k + 64), _MM_HINT_T0);
                _mm_prefetch((const char *)(a6 + k + 64), _MM_HINT_T0);
                _mm_prefetch((const char *)(a7 + k + 64), _MM_HINT_T0);
            }
            if (PF_W) {
                _mm_prefetch((const char *)(w + PF_W * ldw), _MM_HINT_T0);
                _mm_prefetch((const char *)(w + PF_W * ldw + 16), _MM_HINT_T0);
            }
            const __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16);
            FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5) FMA(6) FMA(7)
        }
    } else
    for (size_t k = 0; k < kc; k++, w += ldw) {
        if ((k & 15) == 0) { /* the eight rows of A stream from L2: fetch a line ahead */
            _mm_prefetch((const char *)(a0 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a1 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a2 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a3 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a4 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a5 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a6 + k + 64), _MM_HINT_T0);
            _mm_prefetch((const char *)(a7 + k + 64), _MM_HINT_T0);
        }
        /* masked: a row-major B read in place must not be read past its nr columns */
        const __m512 b0 = _mm512_maskz_loadu_ps(m0, w), b1 = _mm512_maskz_loadu_ps(m1, w + 16);
        FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5) FMA(6) FMA(7)
    }
    const __m512 valpha = _mm512_set1_ps(alpha), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const __m512 bn0 = bias_n ? _mm512_maskz_loadu_ps(m0, bias_n) : _mm512_setzero_ps();
    const __m512 bn1 = bias_n ? _mm512_maskz_loadu_ps(m1, bias_n + 16) : _mm512_setzero_ps();
    EPI(0) EPI(1) EPI(2) EPI(3) EPI(4) EPI(5) EPI(6) EPI(7)
}


/* one row of A against a 32-wide panel: four independent accumulator pairs hide the FMA latency */
static void gemm_f32_1x32__avx512(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w,
                                  size_t ldw, float *c, size_t ldc, PC_GEMM_EPILOGUE_ARGS) {
    (void)mr, (void)lda, (void)ldc;
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1));
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps(), t0 = _mm512_setzero_ps(), t1 = _mm512_setzero_ps();
    __m512 u0 = _mm512_setzero_ps(), u1 = _mm512_setzero_ps(), q0 = _mm512_setzero_ps(), q1 = _mm512_setzero_ps();
    size_t k = 0;
    for (; k + 4 <= kc; k += 4, w += 4 * ldw) {
        __m512 x = _mm512_set1_ps(a[k]);
        s0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m0, w), s0), s1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m1, w + 16), s1);
        x = _mm512_set1_ps(a[k + 1]);
        t0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m0, w + ldw), t0);
        t1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m1, w + ldw + 16), t1);
        x = _mm512_set1_ps(a[k + 2]);
        u0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m0, w + 2 * ldw), u0);
        u1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m1, w + 2 * ldw + 16), u1);
        x = _mm512_set1_ps(a[k + 3]);
        q0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m0, w + 3 * ldw), q0);
        q1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m1, w + 3 * ldw + 16), q1);
    }
    for (; k < kc; k++, w += ldw) {
        const __m512 x = _mm512_set1_ps(a[k]);
        s0 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m0, w), s0), s1 = _mm512_fmadd_ps(x, _mm512_maskz_loadu_ps(m1, w + 16), s1);
    }
    s0 = _mm512_add_ps(_mm512_add_ps(s0, t0), _mm512_add_ps(u0, q0));
    s1 = _mm512_add_ps(_mm512_add_ps(s1, t1), _mm512_add_ps(u1, q1));
    const __m512 valpha = _mm512_set1_ps(alpha), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const __m512 bn0 = bias_n ? _mm512_maskz_loadu_ps(m0, bias_n) : _mm512_setzero_ps();
    const __m512 bn1 = bias_n ? _mm512_maskz_loadu_ps(m1, bias_n + 16) : _mm512_setzero_ps();
    __m512 c00 = s0, c01 = s1;
    EPI(0)
}

/* the 8x32 tile over indirection pointers: per tap, eight row pointers, then kc steps down the
 * packed panel (always NR = 32 wide and zero-padded, so the loads need no mask) */
static void igemm_f32_8x32__avx512(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a, const float *w,
                                   float *c, size_t ldc, const float *bias_n, float lo, float hi) {
    __m512 c00 = _mm512_setzero_ps(), c01 = _mm512_setzero_ps(), c10 = _mm512_setzero_ps(), c11 = _mm512_setzero_ps();
    __m512 c20 = _mm512_setzero_ps(), c21 = _mm512_setzero_ps(), c30 = _mm512_setzero_ps(), c31 = _mm512_setzero_ps();
    __m512 c40 = _mm512_setzero_ps(), c41 = _mm512_setzero_ps(), c50 = _mm512_setzero_ps(), c51 = _mm512_setzero_ps();
    __m512 c60 = _mm512_setzero_ps(), c61 = _mm512_setzero_ps(), c70 = _mm512_setzero_ps(), c71 = _mm512_setzero_ps();
    if (mr <= 4) { /* the last rows of a layer: half a tile */
        for (size_t t = 0; t < ks; t++, a += 8) {
            const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
            if (nr <= 16)
                for (size_t k = 0; k < kc; k++, w += 32) {
                    const __m512 b0 = _mm512_loadu_ps(w);
                    HALF(0) HALF(1) HALF(2) HALF(3)
                }
            else
                for (size_t k = 0; k < kc; k++, w += 32) {
                    const __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16);
                    FMA(0) FMA(1) FMA(2) FMA(3)
                }
        }
    } else if (nr <= 16) { /* a narrow layer (16 output channels): the right half of the panel is zeros */
        for (size_t t = 0; t < ks; t++, a += 8) {
            const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5], *a6 = a[6], *a7 = a[7];
            for (size_t k = 0; k < kc; k++, w += 32) {
                const __m512 b0 = _mm512_loadu_ps(w);
                HALF(0) HALF(1) HALF(2) HALF(3) HALF(4) HALF(5) HALF(6) HALF(7)
            }
        }
    } else {
        for (size_t t = 0; t < ks; t++, a += 8) {
            const float *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *a4 = a[4], *a5 = a[5], *a6 = a[6], *a7 = a[7];
            for (size_t k = 0; k < kc; k++, w += 32) {
                _mm_prefetch((const char *)(w + 384), _MM_HINT_T0); /* the panel streams from L2 */
                _mm_prefetch((const char *)(w + 400), _MM_HINT_T0);
                const __m512 b0 = _mm512_loadu_ps(w), b1 = _mm512_loadu_ps(w + 16);
                FMA(0) FMA(1) FMA(2) FMA(3) FMA(4) FMA(5) FMA(6) FMA(7)
            }
        }
    }
    const __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1);
    const __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : (nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1));
    const __m512 valpha = _mm512_set1_ps(1.0f), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    const __m512 bn0 = bias_n ? _mm512_maskz_loadu_ps(m0, bias_n) : _mm512_setzero_ps();
    const __m512 bn1 = bias_n ? _mm512_maskz_loadu_ps(m1, bias_n + 16) : _mm512_setzero_ps();
    const float *const bias_m = NULL;
    const int accumulate = 0;
    EPI(0) EPI(1) EPI(2) EPI(3) EPI(4) EPI(5) EPI(6) EPI(7)
}

/* ---- sigmoid and SiLU in intrinsics (relative error about 1e-7) ---- */

/* sigmoid(v) from e = exp(-|v|), in (0, 1] so it cannot overflow: 2^n straight from the bits of
 * a magic-biased n (the bias carries the exponent's 127), e^r by the degree-6 polynomial, the
 * reciprocal by rcp14 and one Newton step; then 1 - f for v > 0. A NaN stays NaN. */
static inline __m512 sigmoid_avx512(__m512 v) {
    const __m512 one = _mm512_set1_ps(1.0f), magic = _mm512_set1_ps(0x1.8000FEp23f);
    __m512 z = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v), _mm512_set1_epi32(INT32_MIN))); /* -|v| */
    z = _mm512_max_ps(_mm512_set1_ps(-87.0f), z);
    __m512 n = _mm512_fmadd_ps(z, _mm512_set1_ps(1.44269504088896341f), magic);
    const __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(n), 23)); /* 2^n */
    n = _mm512_sub_ps(n, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), z);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187e-06f), r);
    __m512 p = _mm512_set1_ps(1.0f / 720.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, one);
    p = _mm512_fmadd_ps(p, r, one);
    const __m512 e = _mm512_mul_ps(p, s), d = _mm512_add_ps(one, e);
    __m512 q = _mm512_rcp14_ps(d);
    q = _mm512_fmadd_ps(q, _mm512_fnmadd_ps(d, q, one), q);
    const __m512 f = _mm512_mul_ps(e, q);
    return _mm512_mask_sub_ps(f, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ), one, f);
}

static void vunary_f32_x__avx512(int op, size_t n, const float *x, float *y, const void *params) {
    if (op != PC_U_SIGMOID && op != PC_U_SILU) {
        PC_UK(vunary_f32)(op, n, x, y, params);
        return;
    }
    const pc_unary_params *p = params;
    const __m512 vlo = _mm512_set1_ps(p->lo), vhi = _mm512_set1_ps(p->hi);
    const int silu = op == PC_U_SILU, clamp = p->lo > -INFINITY || p->hi < INFINITY;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 v = _mm512_loadu_ps(x + i);
        __m512 s = sigmoid_avx512(v);
        if (silu) s = _mm512_mul_ps(v, s);
        if (clamp) s = _mm512_min_ps(vhi, _mm512_max_ps(vlo, s));
        _mm512_storeu_ps(y + i, s);
    }
    if (i < n) {
        const __mmask16 m = (__mmask16)((1u << (n - i)) - 1);
        const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        __m512 s = sigmoid_avx512(v);
        if (silu) s = _mm512_mul_ps(v, s);
        s = _mm512_min_ps(vhi, _mm512_max_ps(vlo, s));
        _mm512_mask_storeu_ps(y + i, m, s);
    }
}

/* ---- depthwise convolution: channels in vectors of 16, two vectors per step ---- */

static inline __mmask16 lanes16(size_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }

/* one pixel (next to padding): 64 channels per step in four chains, then 32 and 16 with the even
 * and odd taps in separate chains, so the FMA latency is covered */
static void dwconv_f32_c32__avx512(size_t C, size_t taps, const float *const *in, const float *w, const float *bias, float *y,
                               float lo, float hi) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    size_t c = 0;
    for (; c + 64 <= C; c += 64) {
        __m512 a0 = _mm512_loadu_ps(bias + c), a1 = _mm512_loadu_ps(bias + c + 16);
        __m512 a2 = _mm512_loadu_ps(bias + c + 32), a3 = _mm512_loadu_ps(bias + c + 48);
        for (size_t t = 0; t < taps; t++) {
            const float *x = in[t] + c, *wt = w + t * C + c;
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x), _mm512_loadu_ps(wt), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(wt + 16), a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 32), _mm512_loadu_ps(wt + 32), a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 48), _mm512_loadu_ps(wt + 48), a3);
        }
        _mm512_storeu_ps(y + c, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a0)));
        _mm512_storeu_ps(y + c + 16, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a1)));
        _mm512_storeu_ps(y + c + 32, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a2)));
        _mm512_storeu_ps(y + c + 48, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a3)));
    }
    for (; c + 32 <= C; c += 32) {
        __m512 a0 = _mm512_loadu_ps(bias + c), a1 = _mm512_loadu_ps(bias + c + 16);
        __m512 b0 = _mm512_setzero_ps(), b1 = _mm512_setzero_ps();
        size_t t = 0;
        for (; t + 2 <= taps; t += 2) {
            const float *x = in[t] + c, *wt = w + t * C + c, *x2 = in[t + 1] + c, *wt2 = wt + C;
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x), _mm512_loadu_ps(wt), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(wt + 16), a1);
            b0 = _mm512_fmadd_ps(_mm512_loadu_ps(x2), _mm512_loadu_ps(wt2), b0);
            b1 = _mm512_fmadd_ps(_mm512_loadu_ps(x2 + 16), _mm512_loadu_ps(wt2 + 16), b1);
        }
        if (t < taps) {
            const float *x = in[t] + c, *wt = w + t * C + c;
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(x), _mm512_loadu_ps(wt), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(x + 16), _mm512_loadu_ps(wt + 16), a1);
        }
        _mm512_storeu_ps(y + c, _mm512_min_ps(vhi, _mm512_max_ps(vlo, _mm512_add_ps(a0, b0))));
        _mm512_storeu_ps(y + c + 16, _mm512_min_ps(vhi, _mm512_max_ps(vlo, _mm512_add_ps(a1, b1))));
    }
    for (; c < C; c += 16) {
        const __mmask16 m = lanes16(C - c);
        __m512 a = _mm512_maskz_loadu_ps(m, bias + c), b = _mm512_setzero_ps();
        size_t t = 0;
        for (; t + 2 <= taps; t += 2) {
            a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, in[t] + c), _mm512_maskz_loadu_ps(m, w + t * C + c), a);
            b = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, in[t + 1] + c), _mm512_maskz_loadu_ps(m, w + (t + 1) * C + c), b);
        }
        if (t < taps) a = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, in[t] + c), _mm512_maskz_loadu_ps(m, w + t * C + c), a);
        _mm512_mask_storeu_ps(y + c, m, _mm512_min_ps(vhi, _mm512_max_ps(vlo, _mm512_add_ps(a, b))));
    }
}

/* two pixels per step share each weight load */
static void dwconv_f32_row_p2__avx512(size_t C, size_t n, size_t taps, const float *x, size_t x_step,
                                      const int64_t *tap_off, const float *w, const float *bias, float *y, float lo, float hi) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    size_t p = 0;
    for (; p + 2 <= n; p += 2, x += 2 * x_step, y += 2 * C) {
        const float *x1 = x + x_step;
        float *y1 = y + C;
        for (size_t c = 0; c < C; c += 16) {
            const __mmask16 m = lanes16(C - c);
            const __m512 b = _mm512_maskz_loadu_ps(m, bias + c);
            __m512 a0 = b, a1 = b;
            for (size_t t = 0; t < taps; t++) {
                const __m512 wv = _mm512_maskz_loadu_ps(m, w + t * C + c);
                a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + tap_off[t] + c), wv, a0);
                a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x1 + tap_off[t] + c), wv, a1);
            }
            _mm512_mask_storeu_ps(y + c, m, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a0)));
            _mm512_mask_storeu_ps(y1 + c, m, _mm512_min_ps(vhi, _mm512_max_ps(vlo, a1)));
        }
    }
    if (p < n) {
        const float *in[64];
        size_t nt = taps < 64 ? taps : 64;
        for (size_t t = 0; t < nt; t++) in[t] = x + tap_off[t];
        if (taps <= 64) dwconv_f32_c32__avx512(C, taps, in, w, bias, y, lo, hi);
        else PC_UK(dwconv_f32_row)(C, 1, taps, x, x_step, tap_off, w, bias, y, lo, hi);
    }
}

/* 3x3 and 5x5 rows: blocks of 16 pixels (their input stays in L1); per block, one 16-channel
 * slice at a time with its taps' weights held in registers, eight (3x3) or four (5x5) pixels per
 * step (independent FMA chains): one load per multiply-add. Whole slices use plain loads and
 * stores (a masked load costs an extra uop on the FMA ports); only the last, partial slice of
 * channels is masked. */
#define DW_LD(ptr) (FULL ? _mm512_loadu_ps(ptr) : _mm512_maskz_loadu_ps(m, ptr))
#define DW_ST(ptr, v)                                                                                 \
    do {                                                                                              \
        const __m512 v_ = _mm512_min_ps(vhi, _mm512_max_ps(vlo, v));                                  \
        if (FULL) _mm512_storeu_ps(ptr, v_);                                                          \
        else _mm512_mask_storeu_ps(ptr, m, v_);                                                       \
    } while (0)
#define DW_STEP(r) a##r = _mm512_fmadd_ps(DW_LD(q + (r) * x_step), wv[t], a##r);
static inline __attribute__((always_inline)) void dw_slice__avx512(size_t TAPS, int FULL, __mmask16 m, size_t pn, const float *xp,
                                                                   size_t x_step, const int64_t *tap_off, const float *w,
                                                                   size_t C, const float *bias, float *yp, __m512 vlo,
                                                                   __m512 vhi) {
    __m512 wv[25];
    for (size_t t = 0; t < TAPS; t++) wv[t] = DW_LD(w + t * C);
    const __m512 b = DW_LD(bias);
    size_t p = 0;
    for (; TAPS <= 9 && p + 8 <= pn; p += 8, xp += 8 * x_step, yp += 8 * C) {
        __m512 a0 = b, a1 = b, a2 = b, a3 = b, a4 = b, a5 = b, a6 = b, a7 = b;
        for (size_t t = 0; t < TAPS; t++) {
            const float *q = xp + tap_off[t];
            DW_STEP(0) DW_STEP(1) DW_STEP(2) DW_STEP(3) DW_STEP(4) DW_STEP(5) DW_STEP(6) DW_STEP(7)
        }
        DW_ST(yp, a0); DW_ST(yp + C, a1); DW_ST(yp + 2 * C, a2); DW_ST(yp + 3 * C, a3);
        DW_ST(yp + 4 * C, a4); DW_ST(yp + 5 * C, a5); DW_ST(yp + 6 * C, a6); DW_ST(yp + 7 * C, a7);
    }
    for (; p + 4 <= pn; p += 4, xp += 4 * x_step, yp += 4 * C) {
        __m512 a0 = b, a1 = b, a2 = b, a3 = b;
        for (size_t t = 0; t < TAPS; t++) {
            const float *q = xp + tap_off[t];
            DW_STEP(0) DW_STEP(1) DW_STEP(2) DW_STEP(3)
        }
        DW_ST(yp, a0); DW_ST(yp + C, a1); DW_ST(yp + 2 * C, a2); DW_ST(yp + 3 * C, a3);
    }
    for (; p < pn; p++, xp += x_step, yp += C) {
        __m512 a0 = b;
        for (size_t t = 0; t < TAPS; t++) {
            const float *q = xp + tap_off[t];
            DW_STEP(0)
        }
        DW_ST(yp, a0);
    }
}
#undef DW_STEP
#undef DW_ST
#undef DW_LD

static inline __attribute__((always_inline)) void dw_row_taps__avx512(size_t TAPS, size_t C, size_t n, const float *x,
                                                                      size_t x_step, const int64_t *tap_off, const float *w,
                                                                      const float *bias, float *y, float lo, float hi) {
    const __m512 vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
    for (size_t p0 = 0; p0 < n; p0 += 16) {
        const size_t pn = n - p0 < 16 ? n - p0 : 16;
        const float *xp = x + p0 * x_step;
        float *yp = y + p0 * C;
        size_t c = 0;
        for (; c + 16 <= C; c += 16)
            dw_slice__avx512(TAPS, 1, 0xFFFF, pn, xp + c, x_step, tap_off, w + c, C, bias + c, yp + c, vlo, vhi);
        if (c < C)
            dw_slice__avx512(TAPS, 0, lanes16(C - c), pn, xp + c, x_step, tap_off, w + c, C, bias + c, yp + c, vlo, vhi);
    }
}

static void dwconv_f32_row_w__avx512(size_t C, size_t n, size_t taps, const float *x, size_t x_step,
                                     const int64_t *tap_off, const float *w, const float *bias, float *y, float lo, float hi) {
    if (taps == 9) dw_row_taps__avx512(9, C, n, x, x_step, tap_off, w, bias, y, lo, hi);
    else if (taps == 25) dw_row_taps__avx512(25, C, n, x, x_step, tap_off, w, bias, y, lo, hi);
    else dwconv_f32_row_p2__avx512(C, n, taps, x, x_step, tap_off, w, bias, y, lo, hi);
}

/* int8 depthwise pixel: 16 channels per vector, int32 products (the taps' int8 inputs widened) */
static void qdwconv_s8_c16__avx512(size_t C, size_t taps, const int8_t *const *in, const int32_t *w, const int32_t *bias,
                                   const float *scale, int8_t *y, const pc_qout *q) {
    const __m512 vlo = _mm512_set1_ps(q->flo), vhi = _mm512_set1_ps(q->fhi);
    const __m512i zp = _mm512_set1_epi32(q->zero_point);
    for (size_t c = 0; c < C; c += 16) {
        const __mmask16 m = lanes16(C - c);
        __m512i acc = _mm512_maskz_loadu_epi32(m, bias + c);
        for (size_t t = 0; t < taps; t++) {
            const __m512i x = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, in[t] + c));
            acc = _mm512_add_epi32(acc, _mm512_mullo_epi32(x, _mm512_maskz_loadu_epi32(m, w + t * C + c)));
        }
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_maskz_loadu_ps(m, scale + c));
        f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi); /* a NaN becomes lo */
        _mm_mask_storeu_epi8(y + c, m, _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zp)));
    }
}

/* n int8 depthwise pixels of a row away from padding: per 16 channels the TAPS weight vectors, the
 * bias and the scale stay in registers across the row, 4 pixels at a time */
static inline __attribute__((always_inline)) __m512i qdw_acc16(__m512i acc, __mmask16 m, const int8_t *x, __m512i w) {
    return _mm512_add_epi32(acc, _mm512_mullo_epi32(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(m, x)), w));
}

static inline __attribute__((always_inline)) void qdw_store16(int8_t *y, __mmask16 m, __m512i acc, __m512 sc, __m512 vlo,
                                                              __m512 vhi, __m512i zp) {
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), sc);
    f = _mm512_min_ps(_mm512_max_ps(f, vlo), vhi); /* a NaN becomes lo */
    _mm_mask_storeu_epi8(y, m, _mm512_cvtsepi32_epi8(_mm512_add_epi32(_mm512_cvtps_epi32(f), zp)));
}

static inline __attribute__((always_inline)) void qdw_row_taps__avx512(size_t TAPS, size_t C, size_t n, const int8_t *x,
                                                                       size_t x_step, const int64_t *tap_off,
                                                                       const int32_t *w, const int32_t *bias,
                                                                       const float *scale, int8_t *y, const pc_qout *q) {
    const __m512 vlo = _mm512_set1_ps(q->flo), vhi = _mm512_set1_ps(q->fhi);
    const __m512i zp = _mm512_set1_epi32(q->zero_point);
    for (size_t c = 0; c < C; c += 16) {
        const __mmask16 m = lanes16(C - c);
        __m512i wv[25];
        for (size_t t = 0; t < TAPS; t++) wv[t] = _mm512_maskz_loadu_epi32(m, w + t * C + c);
        const __m512i b = _mm512_maskz_loadu_epi32(m, bias + c);
        const __m512 sc = _mm512_maskz_loadu_ps(m, scale + c);
        const int8_t *xp = x + c;
        int8_t *yp = y + c;
        size_t p = 0;
        for (; p + 4 <= n; p += 4, xp += 4 * x_step, yp += 4 * C) {
            __m512i a0 = b, a1 = b, a2 = b, a3 = b;
            for (size_t t = 0; t < TAPS; t++) {
                const int8_t *r = xp + tap_off[t];
                a0 = qdw_acc16(a0, m, r, wv[t]);
                a1 = qdw_acc16(a1, m, r + x_step, wv[t]);
                a2 = qdw_acc16(a2, m, r + 2 * x_step, wv[t]);
                a3 = qdw_acc16(a3, m, r + 3 * x_step, wv[t]);
            }
            qdw_store16(yp, m, a0, sc, vlo, vhi, zp);
            qdw_store16(yp + C, m, a1, sc, vlo, vhi, zp);
            qdw_store16(yp + 2 * C, m, a2, sc, vlo, vhi, zp);
            qdw_store16(yp + 3 * C, m, a3, sc, vlo, vhi, zp);
        }
        for (; p < n; p++, xp += x_step, yp += C) {
            __m512i a0 = b;
            for (size_t t = 0; t < TAPS; t++) a0 = qdw_acc16(a0, m, xp + tap_off[t], wv[t]);
            qdw_store16(yp, m, a0, sc, vlo, vhi, zp);
        }
    }
}

static void qdwconv_s8_row_c16__avx512(size_t C, size_t n, size_t taps, const int8_t *x, size_t x_step, const int64_t *tap_off,
                                   const int32_t *w, const int32_t *bias, const float *scale, int8_t *y, const pc_qout *q) {
    if (taps == 9) qdw_row_taps__avx512(9, C, n, x, x_step, tap_off, w, bias, scale, y, q);
    else if (taps == 25) qdw_row_taps__avx512(25, C, n, x, x_step, tap_off, w, bias, scale, y, q);
    else {
        const int8_t *in[1024];
        for (size_t p = 0; p < n; p++, x += x_step, y += C) {
            for (size_t t = 0; t < taps; t++) in[t] = x + tap_off[t];
            qdwconv_s8_c16__avx512(C, taps, in, w, bias, scale, y, q);
        }
    }
}

/* ---- qbint4 over a packed 16-channel tile without VNNI (pc_ukernels.qb4w_tile): vpmaddubsw multiplies
 * the nibbles (unsigned) by the row's int8 q in pairs into int16 (|2 x 15 x 128| = 3840), eight such
 * summed in int16 (at most 30720: exact) per 32 k, then vpmaddwd by ones into int32. This file allows
 * contraction: the asm barrier keeps each product rounded before the sum, as the reference does. ---- */
#define Q4_NOFUSE(x) __asm__("" : "+v"(x))
static inline __m512i q4_quad(const int8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

static inline __attribute__((always_inline)) void qb4w_rows__avx512(const size_t R, const int8_t *q, size_t ld,
                                                                    const int32_t *qsum, const float *zp,
                                                                    const uint8_t *tile, size_t gs, size_t ng, float *v) {
    const __m512i m4 = _mm512_set1_epi8(15), ones = _mm512_set1_epi16(1);
    const __m512 kn = _mm512_loadu_ps(tile);
    __m512 f[4];
#pragma GCC unroll 4
    for (size_t r = 0; r < R; r++) f[r] = _mm512_mul_ps(kn, _mm512_set1_ps(zp[r]));
    const uint8_t *p = tile + 64, *pair = p;
    for (size_t b = 0; b < ng; b++) { /* a pair of blocks: their bf16 scales, widened (bits moved up 16), then their nibbles */
        if (b % 2 == 0) pair = p, p += 64;
        const __m512 sc = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(const void *)(pair + 32 * (b % 2)))), 16));
        __m512i a[4];
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) a[r] = _mm512_setzero_si512();
        const int8_t *qb = q + b * gs;
        for (size_t k0 = 0; k0 < gs; k0 += 32) {
            __m512i s16[4];
#pragma GCC unroll 4
            for (size_t r = 0; r < R; r++) s16[r] = _mm512_setzero_si512();
            for (size_t k = k0; k < gs && k < k0 + 32; k += 8, p += 64) {
                const __m512i w = _mm512_loadu_si512(p);
                const __m512i lo = _mm512_and_si512(w, m4), hi = _mm512_and_si512(_mm512_srli_epi16(w, 4), m4);
#pragma GCC unroll 4
                for (size_t r = 0; r < R; r++)
                    s16[r] = _mm512_add_epi16(s16[r], _mm512_add_epi16(_mm512_maddubs_epi16(lo, q4_quad(qb + r * ld + k)),
                                                                       _mm512_maddubs_epi16(hi, q4_quad(qb + r * ld + k + 4))));
            }
#pragma GCC unroll 4
            for (size_t r = 0; r < R; r++) a[r] = _mm512_add_epi32(a[r], _mm512_madd_epi16(s16[r], ones));
        }
#pragma GCC unroll 4
        for (size_t r = 0; r < R; r++) {
            __m512 prod = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(a[r], _mm512_set1_epi32(8 * qsum[r * ng + b]))), sc);
            Q4_NOFUSE(prod);
            f[r] = _mm512_add_ps(f[r], prod);
        }
    }
#pragma GCC unroll 4
    for (size_t r = 0; r < R; r++) _mm512_storeu_ps(v + 16 * r, f[r]);
}

static void qb4w_tile__avx512(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                              const uint8_t *tile, size_t gs, size_t ng, float *v) {
    switch (rows) {
    case 1: qb4w_rows__avx512(1, q, ld, qsum, zp, tile, gs, ng, v); break;
    case 2: qb4w_rows__avx512(2, q, ld, qsum, zp, tile, gs, ng, v); break;
    case 3: qb4w_rows__avx512(3, q, ld, qsum, zp, tile, gs, ng, v); break;
    default: qb4w_rows__avx512(4, q, ld, qsum, zp, tile, gs, ng, v); break;
    }
}

/* attention's scores (pc_ukernels.attn_scores_f32): the 16 lanes in one register, summed pairwise as the
 * portable loop does; rows whose length is not a multiple of 16 take that loop */
static void attn_scores_f32_x__avx512(size_t n, size_t D, const float *q, const float *k, size_t ldk, float scale, float *s) {
    if (D % 16 || D > 256) {
        PC_UK(attn_scores_f32)(n, D, q, k, ldk, scale, s);
        return;
    }
    __m512 qv[16];
    for (size_t e = 0; e < D; e += 16) qv[e / 16] = _mm512_loadu_ps(q + e);
    for (size_t t = 0; t < n; t++) {
        const float *kr = k + t * ldk;
        __m512 acc = _mm512_mul_ps(qv[0], _mm512_loadu_ps(kr));
        for (size_t e = 16; e < D; e += 16) acc = _mm512_fmadd_ps(qv[e / 16], _mm512_loadu_ps(kr + e), acc);
        __m256 h = _mm256_add_ps(_mm512_castps512_ps256(acc), _mm512_extractf32x8_ps(acc, 1));
        __m128 x = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
        x = _mm_add_ps(x, _mm_movehl_ps(x, x));
        x = _mm_add_ss(x, _mm_shuffle_ps(x, x, 1));
        s[t] = _mm_cvtss_f32(x) * scale;
    }
}

const pc_ukernels pc_uk_avx512 = {
    PC_ISA_AVX512, 8, 32, gemm_f32_8x32__avx512, gemm_f32_1x32__avx512, igemm_f32_8x32__avx512, PC_UK(qigemm_s8), qdwconv_s8_c16__avx512, qdwconv_s8_row_c16__avx512, PC_UK(quantize_f32), PC_UK(dequantize_f32), vunary_f32_x__avx512, PC_UK(vbinary_f32), PC_UK(vbinary_q8),
    dwconv_f32_c32__avx512, dwconv_f32_row_w__avx512, PC_UK(dwconv_chw_f32_row), PC_UK(softmax_f32_row), PC_UK(max_f32_strided), PC_UK(sum_f32), PC_UK(add_f32_strided), PC_UK(affine_f32), PC_UK(qdot_s8), PC_UK(qdot_s8_blocks),
    qb4w_tile__avx512, attn_scores_f32_x__avx512, PC_UK(attn_values_f32),
};
#endif
