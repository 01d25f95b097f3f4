/* test_compute.c — every compute-layer function against a plain reference loop written here, on
 * every ISA the CPU offers (PETITE_ISA caps them), at sizes below, at and beyond the register
 * tiles and cache blocks, with strides, padding, dilation, groups, broadcasting, in-place outputs,
 * alpha and clamps; results must also be bit-identical on 1 and 3 threads. int8 results are
 * pinned bit-exactly to integer arithmetic written from the rounding rules.
 *
 * Tolerances (float32 against a double-precision reference):
 *   GEMM / convolution:  |got - ref| <= 2e-6 * sum_k |a_k b_k| + 1e-6   (accumulation order, FMA)
 *   unary (libm vs polynomial exp / tanh / erf):  4e-6 relative + 1e-6 absolute
 *   softmax: 2e-6 absolute (values in [0, 1]) */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "compute/compute.h"

static uint32_t seed = 12345;
static float frand(void) {
    seed = seed * 1664525u + 1013904223u;
    return (float)((seed >> 8) & 0xffff) / 32768.0f - 1.0f;
}
static float *rnd(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = frand();
    return p;
}
#if defined(_WIN32) /* no aligned_alloc in the Windows C runtime; the kernels need no alignment, only speed does */
static void *amalloc(size_t bytes) { return malloc(pc_align64(bytes ? bytes : 64)); }
#else
static void *amalloc(size_t bytes) { return aligned_alloc(64, pc_align64(bytes ? bytes : 64)); }
#endif

/* contexts: 1 thread and 3 threads, with scratch */
typedef struct ctxs {
    pc_ctx one, three;
} ctxs;

static ctxs make_ctx(pc_isa isa, size_t scratch) {
    ctxs c;
    c.one.pool = NULL, c.one.isa = isa, c.one.scratch_size = pc_align64(scratch);
    c.one.scratch = amalloc(c.one.scratch_size);
    c.three = c.one;
    c.three.pool = pc_pool_create(3);
    c.three.scratch = amalloc(c.one.scratch_size * (size_t)pc_ctx_threads(&c.three));
    return c;
}
static void free_ctx(ctxs *c) {
    free(c->one.scratch);
    free(c->three.scratch);
    pc_pool_destroy(c->three.pool);
}

static int close_to(const float *got, const double *ref, const double *mag, size_t n, double rel, double abs_, size_t *at) {
    for (size_t i = 0; i < n; i++) {
        double tol = rel * (mag ? mag[i] : fabs(ref[i])) + abs_;
        if (!(fabs((double)got[i] - ref[i]) <= tol)) {
            *at = i;
            return 0;
        }
    }
    return 1;
}

/* ---- GEMM ---- */

static void test_gemm(pc_isa isa) {
    const pc_ukernels *uk = pc_uk(isa);
    size_t mr = uk->gemm_mr, nr = uk->gemm_nr;
    size_t Ms[] = {1, mr - 1 ? mr - 1 : 1, mr, mr + 1, mr + 3, 2 * mr + 1, 37}; /* tails of 1, 3, 5 rows */
    size_t Ns[] = {1, nr - 1, nr, nr + 1, 2 * nr + 3};
    size_t Ks[] = {1, 7, 256, 257, 600};
    for (size_t mi = 0; mi < 7; mi++)
        for (size_t ni = 0; ni < 5; ni++)
            for (size_t ki = 0; ki < 5; ki++)
                for (int variant = 0; variant < 4; variant++) {
                    size_t M = Ms[mi], N = Ns[ni], K = Ks[ki];
                    if (variant && (ki == 4 || mi == 6)) continue; /* epilogue variants on the smaller sizes */
                    float *A = rnd(M * K), *B = rnd(K * N), *bn = rnd(N), *bm = rnd(M), *C0 = rnd(M * N);
                    int transposed = variant == 3;  /* B given as [N, K] */
                    float *Bt = rnd(K * N);
                    for (size_t k = 0; k < K; k++)
                        for (size_t n = 0; n < N; n++) Bt[n * K + k] = B[k * N + n];
                    pc_gemm_epi epi = {variant == 1 ? bn : NULL, variant == 2 ? bm : NULL, variant == 2 ? 0.5f : 1.0f,
                                       variant == 2, variant == 1 ? -0.25f : -INFINITY, variant == 1 ? 0.5f : INFINITY, NULL, PC_U_COPY};
                    double *ref = malloc(M * N * sizeof *ref), *mag = malloc(M * N * sizeof *mag);
                    for (size_t m = 0; m < M; m++)
                        for (size_t n = 0; n < N; n++) {
                            double s = 0, a = 0;
                            for (size_t k = 0; k < K; k++) s += (double)A[m * K + k] * B[k * N + n], a += fabs((double)A[m * K + k] * B[k * N + n]);
                            s *= epi.alpha;
                            if (epi.bias_n) s += bn[n];
                            if (epi.bias_m) s += bm[m];
                            if (epi.accumulate) s += C0[m * N + n];
                            s = s < epi.lo ? epi.lo : (s > epi.hi ? epi.hi : s);
                            ref[m * N + n] = s, mag[m * N + n] = a + 2;
                        }
                    float *P = amalloc(pc_gemm_f32_packed_floats(isa, K, N) * sizeof(float));
                    if (transposed) pc_gemm_f32_pack(isa, K, N, Bt, 1, K, P);
                    else pc_gemm_f32_pack(isa, K, N, B, N, 1, P);
                    ctxs c = make_ctx(isa, pc_gemm_f32_any_scratch(isa, K, N));
                    float *C1 = malloc(M * N * sizeof *C1), *C3 = malloc(M * N * sizeof *C3), *C4 = malloc(M * N * sizeof *C4);
                    memcpy(C1, C0, M * N * sizeof *C1);
                    memcpy(C3, C0, M * N * sizeof *C3);
                    memcpy(C4, C0, M * N * sizeof *C4);
                    pc_gemm_f32(&c.one, M, N, K, A, K, P, C1, N, &epi);
                    pc_gemm_f32(&c.three, M, N, K, A, K, P, C3, N, &epi);
                    if (transposed) pc_gemm_f32_any(&c.three, M, N, K, A, K, Bt, 1, K, C4, N, &epi);
                    else pc_gemm_f32_any(&c.three, M, N, K, A, K, B, N, 1, C4, N, &epi);
                    size_t at = 0;
                    CHECK(close_to(C1, ref, mag, M * N, 2e-6, 1e-6, &at), "gemm %s M%zu N%zu K%zu variant %d: [%zu] %g vs %g",
                          pc_isa_name(isa), M, N, K, variant, at, C1[at], ref[at]);
                    CHECK(memcmp(C1, C3, M * N * sizeof *C1) == 0, "gemm %s M%zu N%zu K%zu: 1 and 3 threads differ", pc_isa_name(isa), M, N, K);
                    CHECK(memcmp(C1, C4, M * N * sizeof *C1) == 0, "gemm_any %s M%zu N%zu K%zu variant %d differs from packed", pc_isa_name(isa), M, N, K, variant);
                    free_ctx(&c);
                    free(A), free(B), free(Bt), free(bn), free(bm), free(C0), free(ref), free(mag), free(P), free(C1), free(C3), free(C4);
                }
}

/* ---- convolution ---- */

typedef struct conv_case {
    pc_layout layout;
    int64_t N, H, W, C, OC, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, groups;
    int transposed;
    float lo, hi;
    int act; /* 0: none, else pc_unary_op + 1: fused after the clamp */
} conv_case;

static void test_conv_case(pc_isa isa, const conv_case *k) {
    pc_conv2d d;
    memset(&d, 0, sizeof d);
    d.layout = k->layout, d.N = k->N, d.H = k->H, d.W = k->W, d.C = k->C, d.OC = k->OC, d.KH = k->KH, d.KW = k->KW;
    d.sh = k->sh, d.sw = k->sw, d.dh = k->dh, d.dw = k->dw, d.pt = k->pt, d.pl = k->pl, d.groups = k->groups;
    d.transposed = k->transposed, d.lo = k->lo, d.hi = k->hi;
    pc_unary_params ap = pc_unary_defaults();
    if (k->act) d.has_act = 1, d.act = (pc_unary_op)(k->act - 1), d.act_params = ap;
    int64_t icg = k->C / k->groups, ocg = k->OC / k->groups;
    if (!k->transposed) {
        d.OH = (k->H + k->pt + k->pb - k->dh * (k->KH - 1) - 1) / k->sh + 1;
        d.OW = (k->W + k->pl + k->pr - k->dw * (k->KW - 1) - 1) / k->sw + 1;
    } else {
        d.OH = (k->H - 1) * k->sh - 2 * k->pt + k->dh * (k->KH - 1) + 1;
        d.OW = (k->W - 1) * k->sw - 2 * k->pl + k->dw * (k->KW - 1) + 1;
    }
    /* weights [OC, icg, KH, KW] (transposed: [C, ocg, KH, KW]) */
    int64_t wn = k->transposed ? k->C * ocg * k->KH * k->KW : k->OC * icg * k->KH * k->KW;
    float *w = rnd((size_t)wn), *bias = rnd((size_t)k->OC);
    float *x = rnd((size_t)(k->N * k->H * k->W * k->C));
    size_t ny = (size_t)(k->N * d.OH * d.OW * k->OC);
    double *ref = calloc(ny, sizeof *ref), *mag = calloc(ny, sizeof *mag);
    int nhwc = k->layout == PC_NHWC;
#define XI(n, c, h, ww) (nhwc ? (((n) * k->H + (h)) * k->W + (ww)) * k->C + (c) : (((n) * k->C + (c)) * k->H + (h)) * k->W + (ww))
#define YI(n, c, h, ww) (nhwc ? (((n) * d.OH + (h)) * d.OW + (ww)) * k->OC + (c) : (((n) * k->OC + (c)) * d.OH + (h)) * d.OW + (ww))
    for (int64_t n = 0; n < k->N; n++)
        for (int64_t o = 0; o < k->OC; o++)
            for (int64_t oh = 0; oh < d.OH; oh++)
                for (int64_t ow = 0; ow < d.OW; ow++) {
                    double s = bias[o], a = fabs(bias[o]);
                    int64_t g = o / ocg;
                    if (!k->transposed) {
                        for (int64_t i = 0; i < icg; i++)
                            for (int64_t kh = 0; kh < k->KH; kh++)
                                for (int64_t kw = 0; kw < k->KW; kw++) {
                                    int64_t ih = oh * k->sh - k->pt + kh * k->dh, iw = ow * k->sw - k->pl + kw * k->dw;
                                    if (ih < 0 || ih >= k->H || iw < 0 || iw >= k->W) continue;
                                    double v = (double)x[XI(n, g * icg + i, ih, iw)] * w[((o * icg + i) * k->KH + kh) * k->KW + kw];
                                    s += v, a += fabs(v);
                                }
                    } else {
                        int64_t oc = o % ocg;
                        for (int64_t i = 0; i < icg; i++)
                            for (int64_t kh = 0; kh < k->KH; kh++)
                                for (int64_t kw = 0; kw < k->KW; kw++) {
                                    int64_t th = oh + k->pt - kh * k->dh, tw = ow + k->pl - kw * k->dw;
                                    if (th < 0 || tw < 0 || th % k->sh || tw % k->sw) continue;
                                    int64_t ih = th / k->sh, iw = tw / k->sw;
                                    if (ih >= k->H || iw >= k->W) continue;
                                    int64_t ci = g * icg + i;
                                    double v = (double)x[XI(n, ci, ih, iw)] * w[((ci * ocg + oc) * k->KH + kh) * k->KW + kw];
                                    s += v, a += fabs(v);
                                }
                    }
                    s = s < k->lo ? k->lo : (s > k->hi ? k->hi : s);
                    if (k->act) s = pc_unary_ref((pc_unary_op)(k->act - 1), (float)s, &ap);
                    ref[YI(n, o, oh, ow)] = s, mag[YI(n, o, oh, ow)] = a + 1;
                }
    pc_conv2d_f32_setup(&d, isa);
    pc_weights wt = k->transposed ? (pc_weights){w, ocg * k->KH * k->KW, k->KH * k->KW, k->KW, 1, bias, NULL}
                                  : (pc_weights){w, icg * k->KH * k->KW, k->KH * k->KW, k->KW, 1, bias, NULL};
    float *packed = amalloc(pc_conv2d_f32_packed_floats(&d) * sizeof(float));
    pc_conv2d_f32_pack(&d, &wt, packed);
    ctxs c = make_ctx(isa, pc_conv2d_f32_scratch(&d));
    float *y1 = malloc(ny * sizeof *y1), *y3 = malloc(ny * sizeof *y3);
    pc_conv2d_f32_run(&c.one, &d, packed, x, y1);
    pc_conv2d_f32_run(&c.three, &d, packed, x, y3);
    size_t at = 0;
    static const char *kinds[] = {"gemm", "im2col", "dw", "transposed"};
    CHECK(close_to(y1, ref, mag, ny, 2e-6, 1e-6, &at),
          "conv %s %s %s C%lld OC%lld %lldx%lld k%lldx%lld s%lld d%lld p%lld g%lld: [%zu] %g vs %g", pc_isa_name(isa),
          nhwc ? "nhwc" : "nchw", kinds[d.kind], (long long)k->C, (long long)k->OC, (long long)k->H, (long long)k->W,
          (long long)k->KH, (long long)k->KW, (long long)k->sh, (long long)k->dh, (long long)k->pt, (long long)k->groups, at,
          y1[at], ref[at]);
    CHECK(memcmp(y1, y3, ny * sizeof *y1) == 0, "conv %s %s: 1 and 3 threads differ", pc_isa_name(isa), kinds[d.kind]);
    free_ctx(&c);
    free(w), free(bias), free(x), free(ref), free(mag), free(packed), free(y1), free(y3);
#undef XI
#undef YI
}

static void test_conv(pc_isa isa) {
    const float I = INFINITY;
    conv_case cases[] = {
        /* layout  N  H   W   C   OC  KH KW sh sw dh dw pt pl pb pr g  tr lo hi */
        {PC_NHWC, 2, 5, 6, 17, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -I, I, 0},     /* 1x1 GEMM */
        {PC_NCHW, 2, 5, 6, 17, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -I, I, 0},
        {PC_NHWC, 1, 9, 9, 3, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -I, I, 0},       /* 3x3 pad 1 */
        {PC_NCHW, 1, 9, 9, 3, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -I, I, 0},
        {PC_NHWC, 2, 11, 10, 4, 6, 3, 3, 2, 2, 1, 1, 2, 2, 2, 2, 1, 0, -0.5f, 0.5f, 0}, /* stride 2, clamp */
        {PC_NCHW, 2, 11, 10, 4, 6, 3, 3, 2, 2, 1, 1, 2, 2, 2, 2, 1, 0, -0.5f, 0.5f, 0},
        {PC_NHWC, 1, 12, 12, 2, 4, 3, 3, 1, 1, 2, 2, 1, 1, 1, 1, 1, 0, -I, I, 0},     /* dilation */
        {PC_NCHW, 1, 12, 12, 2, 4, 3, 3, 1, 1, 2, 2, 1, 1, 1, 1, 1, 0, -I, I, 0},
        {PC_NHWC, 1, 7, 7, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 0, -I, I, 0},      /* groups */
        {PC_NCHW, 1, 7, 7, 8, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4, 0, -I, I, 0},
        {PC_NHWC, 1, 13, 13, 19, 19, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 19, 0, -I, I, 0},  /* depthwise 5x5 s2, odd C */
        {PC_NCHW, 1, 13, 13, 19, 19, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 19, 0, -I, I, 0},
        {PC_NHWC, 2, 8, 7, 40, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 40, 0, 0.0f, 6.0f, 0}, /* depthwise 3x3, ReLU6 */
        {PC_NCHW, 1, 8, 7, 6, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 0, -I, I, 0},      /* channel multiplier 2 */
        {PC_NHWC, 1, 8, 7, 6, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6, 0, -I, I, 0},      /* ... as grouped GEMM */
        {PC_NCHW, 1, 49, 10, 1, 4, 10, 4, 2, 2, 1, 1, 5, 1, 5, 1, 1, 0, -I, I, 0},    /* rectangular */
        {PC_NHWC, 1, 3, 40, 150, 70, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, -I, I, 0},   /* K past the KC block */
        {PC_NCHW, 1, 3, 40, 150, 70, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, -I, I, 0},
        {PC_NHWC, 1, 6, 6, 5, 7, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1, 0, -I, I, 0},       /* asymmetric padding */
        {PC_NCHW, 1, 5, 5, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2, 1, -I, I, 0},       /* transposed, groups */
        /* fused activations after the clamp: SiLU, hardswish, sigmoid */
        {PC_NHWC, 1, 9, 9, 5, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -I, I, PC_U_SILU + 1},
        {PC_NHWC, 1, 6, 7, 33, 33, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 33, 0, -I, I, PC_U_HARDSWISH + 1},
        {PC_NCHW, 1, 6, 7, 8, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8, 0, -I, I, PC_U_SIGMOID + 1},
        {PC_NCHW, 2, 5, 6, 17, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -1.0f, 1.0f, PC_U_SILU + 1},
        /* NHWC indirect GEMM (8 or more channels per group): partial row and column tiles, rows
         * over several tasks, stride + dilation + asymmetric padding, groups, 7x7, fused act */
        {PC_NHWC, 1, 30, 31, 8, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -I, I, 0},
        {PC_NHWC, 2, 11, 10, 16, 37, 3, 3, 2, 2, 2, 2, 2, 1, 2, 1, 1, 0, -0.5f, 0.5f, 0},
        {PC_NHWC, 1, 7, 7, 32, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0, -I, I, 0},
        {PC_NHWC, 1, 17, 15, 9, 33, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 0, -I, I, 0},
        {PC_NHWC, 1, 6, 5, 12, 40, 3, 3, 1, 1, 1, 1, 0, 1, 1, 0, 1, 0, -I, I, PC_U_HARDSWISH + 1},
        {PC_NHWC, 3, 4, 4, 64, 9, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0, -I, I, 0},       /* 1x1 stride 2 */
        {PC_NHWC, 1, 12, 13, 5, 20, 3, 3, 1, 1, 2, 1, 2, 1, 2, 1, 1, 0, -I, I, 0},    /* dilation on H only */
        {PC_NHWC, 1, 20, 9, 3, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 0, 0.0f, 6.0f, 0}, /* 3-channel first layer */
        {PC_NHWC, 1, 6, 6, 10, 50, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -I, I, 0},     /* 36 pixels: 4-row tail, 18-wide panel */
        {PC_NHWC, 1, 5, 4, 24, 17, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, -I, I, 0},      /* 1x1, 20 pixels: 4-row tail, narrow */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) test_conv_case(isa, &cases[i]);
}

/* ---- int8 fast path against the int8 reference loops, bit for bit ---- */

typedef struct qcase {
    int64_t N, H, W, C, OC, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, groups;
    int32_t xz, yz, lo, hi;
    float scale; /* base requantization scale (varied per channel) */
} qcase;

static void test_qconv_fast_case(pc_isa isa, const qcase *k) {
    pc_qconv d;
    memset(&d, 0, sizeof d);
    pc_conv2d *g = &d.geom;
    g->layout = PC_NHWC, g->N = k->N, g->H = k->H, g->W = k->W, g->C = k->C, g->OC = k->OC, g->KH = k->KH, g->KW = k->KW;
    g->sh = k->sh, g->sw = k->sw, g->dh = k->dh, g->dw = k->dw, g->pt = k->pt, g->pl = k->pl, g->groups = k->groups;
    g->OH = (k->H + k->pt + k->pb - k->dh * (k->KH - 1) - 1) / k->sh + 1;
    g->OW = (k->W + k->pl + k->pr - k->dw * (k->KW - 1) - 1) / k->sw + 1;
    d.x_zero_point = k->xz, d.y_zero_point = k->yz, d.lo = k->lo, d.hi = k->hi;
    const int64_t icg = k->C / k->groups;
    const size_t nx = (size_t)(k->N * k->H * k->W * k->C), nw = (size_t)(k->OC * k->KH * k->KW * icg);
    const size_t ny = (size_t)(k->N * g->OH * g->OW * k->OC);
    int8_t *x = malloc(nx), *w = malloc(nw), *y = malloc(ny), *y3 = malloc(ny), *ref = malloc(ny);
    int32_t *bias = malloc((size_t)k->OC * sizeof *bias);
    float *scale = malloc((size_t)k->OC * sizeof *scale);
    for (size_t i = 0; i < nx; i++) x[i] = (int8_t)((int)(frand() * 128.0f));
    for (size_t i = 0; i < nw; i++) w[i] = (int8_t)((int)(frand() * 128.0f));
    if (nx > 2) x[0] = -128, x[1] = 127;
    if (nw > 2) w[0] = -128, w[1] = 127;
    for (int64_t o = 0; o < k->OC; o++) /* a negative scale: exactly -scale (a power of two: ties) */
        bias[o] = (int32_t)(frand() * 2000.0f), scale[o] = k->scale < 0 ? -k->scale : k->scale * (1.0f + 0.5f * frand());
    const bool dw = k->groups == k->C && k->OC == k->C; /* the depthwise path: filter [1, KH, KW, C] */
    pc_qweights wt = {w, k->KH * k->KW * icg, k->KW * icg, icg, 1, bias, scale};
    if (dw) wt.so = 1, wt.skh = k->KW * k->C, wt.skw = k->C, wt.si = 0;
    CHECK(dw ? pc_qdw_setup(&d, isa, &wt) : pc_qconv_setup(&d, isa, &wt), "int8 fast path refuses an ordinary convolution");
    void *packed = amalloc(dw ? pc_qdw_packed_bytes(&d) : pc_qconv_packed_bytes(&d));
    pc_qconv_pack_args pa = {&d, wt};
    if (dw) pc_qdw_pack_fill(packed, &pa, NULL, NULL);
    else pc_qconv_pack(&d, &wt, packed);
    ctxs c = make_ctx(isa, dw ? pc_qdw_scratch(&d) : pc_qconv_scratch(&d));
    if (dw) pc_qdw_run(&c.one, &d, packed, x, y), pc_qdw_run(&c.three, &d, packed, x, y3);
    else pc_qconv_run(&c.one, &d, packed, x, y), pc_qconv_run(&c.three, &d, packed, x, y3);
    pc_conv2d_s8 r = {k->N, k->H, k->W, k->C, k->OC, g->OH, g->OW, k->KH, k->KW, k->sh, k->sw, k->dh, k->dw, k->pt, k->pl,
                      k->groups, dw, {k->H * k->W * k->C, k->W * k->C, k->C, 1},
                      {g->OH * g->OW * k->OC, g->OW * k->OC, k->OC, 1}, {k->KH * k->KW * icg, k->KW * icg, icg, 1},
                      k->xz, 0, 0, 0};
    if (dw) r.ws[0] = 1, r.ws[1] = k->KW * k->C, r.ws[2] = k->C, r.ws[3] = 0;
    pc_requant rq = {PC_REQ_FP32, scale, NULL, NULL, 1, k->yz, k->lo, k->hi};
    pc_conv2d_s8_run(&r, x, w, bias, &rq, ref);
    size_t at = 0;
    while (at < ny && y[at] == ref[at]) at++;
    CHECK(at == ny, "int8 conv %s%s N%lld %lldx%lld C%lld OC%lld k%lldx%lld s%lld d%lld g%lld xz%d: [%zu] %d vs %d",
          pc_isa_name(isa), d.vnni ? " (VNNI)" : "", (long long)k->N, (long long)k->H, (long long)k->W, (long long)k->C,
          (long long)k->OC, (long long)k->KH, (long long)k->KW, (long long)k->sh, (long long)k->dh, (long long)k->groups,
          k->xz, at, at < ny ? y[at] : 0, at < ny ? ref[at] : 0);
    CHECK(memcmp(y, y3, ny) == 0, "int8 conv %s: 1 and 3 threads differ", pc_isa_name(isa));
    free_ctx(&c);
    free(x), free(w), free(y), free(y3), free(ref), free(bias), free(scale), free(packed);
}

/* f32 <-> int8 converts against the reference arithmetic (x * (1 / scale), round half to even, add
 * the zero point, saturate; NaN to the low bound) */
static void test_convert(pc_isa isa) {
    ctxs c = make_ctx(isa, 0);
    const size_t n = 40000;
    float *x = rnd(n), *back = malloc(n * sizeof *back);
    int8_t *q = malloc(n), *q3 = malloc(n);
    uint8_t *u = malloc(n);
    const float scale = 0.0123f, inv = 1.0f / scale;
    for (size_t i = 0; i < n; i++) x[i] *= 2.0f;
    x[0] = NAN, x[1] = INFINITY, x[2] = -INFINITY, x[3] = 1e30f, x[4] = 2.5f * scale, x[5] = -0.5f * scale;
    for (size_t i = 6; i < 200; i++) x[i] = ((float)i - 100.0f + 0.5f) / inv; /* near halves */
    pc_quantize_f32(&c.one, n, x, scale, -3, -128, 127, q, 0);
    pc_quantize_f32(&c.three, n, x, scale, -3, -128, 127, q3, 0);
    pc_quantize_f32(&c.one, n, x, scale, 130, 0, 255, u, 1);
    size_t bad = n, badu = n;
    for (size_t i = 0; i < n; i++) {
        float f = x[i] * inv;
        int32_t r = f > 1e6f ? 127 : (f < -1e6f || f != f ? -128 : (int32_t)lrintf(f) - 3);
        r = r < -128 ? -128 : (r > 127 ? 127 : r);
        int32_t ru = f > 1e6f ? 255 : (f < -1e6f || f != f ? 0 : (int32_t)lrintf(f) + 130);
        ru = ru < 0 ? 0 : (ru > 255 ? 255 : ru);
        if (q[i] != r && bad == n) bad = i;
        if (u[i] != ru && badu == n) badu = i;
    }
    CHECK(bad == n, "quantize %s: [%zu] x %g: %d", pc_isa_name(isa), bad, bad < n ? x[bad] : 0.0, bad < n ? q[bad] : 0);
    CHECK(badu == n, "quantize uint8 %s: [%zu] x %g: %d", pc_isa_name(isa), badu, badu < n ? x[badu] : 0.0, badu < n ? u[badu] : 0);
    CHECK(memcmp(q, q3, n) == 0, "quantize %s: 1 and 3 threads differ", pc_isa_name(isa));
    pc_dequantize_f32(&c.three, n, q, 0, -3, scale, back);
    bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (back[i] != (float)(q[i] + 3) * scale) bad = i;
    CHECK(bad == n, "dequantize %s: [%zu]", pc_isa_name(isa), bad);
    free_ctx(&c);
    free(x), free(back), free(q), free(q3), free(u);
}

static void test_qconv_fast(pc_isa isa) {
    const qcase cases[] = {
        /* N  H   W   C   OC  KH KW sh sw dh dw pt pl pb pr g   xz   yz   lo    hi   scale */
        {1, 9, 9, 3, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5, -3, -128, 127, 0.002f},      /* 3 channels: tails */
        {1, 20, 9, 3, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1, -7, 0, -128, 127, 0.003f},    /* first layer, stride 2 */
        {2, 11, 10, 16, 37, 3, 3, 2, 2, 2, 2, 2, 1, 2, 1, 1, 12, 4, -100, 90, 0.0005f}, /* dilation, clamp */
        {1, 30, 31, 8, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, -128, 0, -128, 127, 0.001f},/* merged tiles, rows over tasks */
        {1, 7, 7, 32, 48, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 1, -128, 127, 0.0008f},   /* groups */
        {1, 12, 13, 5, 20, 3, 3, 1, 1, 2, 1, 2, 1, 2, 1, 1, 127, -5, -128, 127, 0.004f},/* dilation on H only */
        {1, 8, 9, 6, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2, 9, 2, -128, 127, 0.003f},     /* 3 channels per group: im2col */
        {1, 9, 11, 3, 12, 3, 3, 1, 1, 1, 2, 1, 2, 1, 2, 1, -3, 1, -128, 127, 0.003f},   /* dilation across: im2col */
        {3, 4, 4, 64, 9, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1, 0, 0, 0, 127, 0.001f},        /* 1x1 stride 2, ReLU */
        {5, 1, 1, 300, 33, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, -1, 2, -128, 127, 0.0002f}, /* fully connected */
        {1, 1, 1, 301, 70, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 4, -3, -128, 127, 0.0002f}, /* one row (matrix-vector), K % 4 */
        {1, 3, 3, 12, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, -9, 0, -128, 127, 0.0005f}, /* 9 rows: a last single row */
        {1, 17, 15, 9, 33, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1, 9, 0, -128, 127, 0.0003f},  /* 7x7 */
        {1, 6, 6, 40, 20, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, -128, 127, 1e-9f},     /* everything rounds to 0 */
        {2, 5, 5, 24, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 3, 1, -128, 127, -1.0f / 512},/* halves: ties to even */
        /* depthwise: 3x3 s1 / s2, 5x5, odd channel counts past the 64-channel block, clamp */
        {1, 9, 8, 19, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 19, 7, -2, -128, 127, 0.004f},
        {2, 10, 11, 96, 96, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 96, -20, 3, -128, 127, 0.003f},
        {1, 7, 7, 131, 131, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 131, 0, 0, 0, 127, 0.002f},
        {1, 6, 6, 16, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 16, 127, 0, -128, 127, -1.0f / 256},
        {1, 12, 13, 40, 40, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 40, -5, 4, -128, 127, 0.001f},  /* 5x5 rows of 4 + 1 */
        {1, 9, 14, 24, 24, 2, 3, 1, 2, 1, 1, 0, 1, 1, 1, 24, 3, -1, -100, 100, 0.004f}, /* 2x3: the generic row */
        {1, 5, 40, 33, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 33, -128, 5, -128, 127, 0.003f}, /* rows of 8 + tail, C % 16 */
        {2, 9, 41, 48, 48, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 48, 11, -7, -60, 127, 0.002f},  /* stride 2 rows of 8 */
        {1, 8, 30, 17, 17, 5, 5, 1, 2, 1, 1, 2, 2, 2, 2, 17, 0, 0, -128, 127, 0.001f},   /* 5x5, strides 1 x 2 */
        {1, 3, 200, 2048, 2048, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2048, 1, 2, -128, 127, 0.003f}, /* strip too big: per pixel */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) test_qconv_fast_case(isa, &cases[i]);
}

/* ---- pooling ---- */

static void test_pool(pc_isa isa) {
    /* NCHW and NHWC copies of the same data must pool alike; checked against a direct loop */
    const int64_t N = 2, C = 5, H = 9, W = 7;
    float *x = rnd((size_t)(N * C * H * W)), *xh = malloc((size_t)(N * C * H * W) * sizeof *xh);
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++)
            for (int64_t h = 0; h < H; h++)
                for (int64_t w = 0; w < W; w++) xh[((n * H + h) * W + w) * C + c] = x[((n * C + c) * H + h) * W + w];
    struct { pc_pool_kind kind; int64_t k, s, p, d, include_pad, OH, OW; } cs[] = {
        {PC_POOL_MAX, 3, 2, 1, 1, 0, 5, 4},  {PC_POOL_MAX, 2, 2, 0, 2, 0, 3, 2}, {PC_POOL_AVG, 3, 2, 1, 1, 1, 5, 4},
        {PC_POOL_AVG, 3, 2, 1, 1, 0, 5, 4},  {PC_POOL_AVG, 2, 1, 0, 1, 1, 8, 6}, {PC_POOL_ADAPTIVE_AVG, 0, 0, 0, 1, 0, 4, 3},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        int64_t OH = cs[i].OH, OW = cs[i].OW;
        pc_pool2d d;
        memset(&d, 0, sizeof d);
        d.kind = cs[i].kind, d.N = N, d.C = C, d.H = H, d.W = W, d.OH = OH, d.OW = OW;
        d.KH = d.KW = cs[i].k, d.sh = d.sw = cs[i].s, d.pt = d.pl = d.pb = d.pr = cs[i].p, d.dh = d.dw = cs[i].d;
        d.count_include_pad = (int)cs[i].include_pad, d.lo = -INFINITY, d.hi = INFINITY, d.isa = isa;
        size_t ny = (size_t)(N * C * OH * OW);
        float *y = malloc(ny * sizeof *y), *yh = malloc(ny * sizeof *yh);
        int64_t *ind = malloc(ny * sizeof *ind);
        double *ref = malloc(ny * sizeof *ref);
        int64_t *rind = malloc(ny * sizeof *rind);
        for (int64_t n = 0; n < N; n++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow++) {
                        int64_t h0, h1, w0, w1, step = d.dh;
                        if (d.kind == PC_POOL_ADAPTIVE_AVG) {
                            h0 = oh * H / OH, h1 = ((oh + 1) * H + OH - 1) / OH, w0 = ow * W / OW, w1 = ((ow + 1) * W + OW - 1) / OW;
                            step = 1;
                        } else {
                            h0 = oh * d.sh - d.pt, w0 = ow * d.sw - d.pl;
                            h1 = h0 + (d.KH - 1) * d.dh + 1, w1 = w0 + (d.KW - 1) * d.dw + 1;
                        }
                        double best = -INFINITY, sum = 0;
                        int64_t cnt = 0, arg = -1;
                        for (int64_t h = h0; h < h1; h += step)
                            for (int64_t w = w0; w < w1; w += step) {
                                if (h < 0 || h >= H || w < 0 || w >= W) continue;
                                double v = x[((n * C + c) * H + h) * W + w];
                                if (v > best) best = v, arg = h * W + w;
                                sum += v, cnt++;
                            }
                        int64_t area = cnt;
                        if (d.kind == PC_POOL_AVG && d.count_include_pad) {
                            int64_t hh = (h1 < H + d.pb ? h1 : H + d.pb) - h0, wwd = (w1 < W + d.pr ? w1 : W + d.pr) - w0;
                            area = hh * wwd;
                        }
                        size_t o = (size_t)(((n * C + c) * OH + oh) * OW + ow);
                        ref[o] = d.kind == PC_POOL_MAX ? best : sum / (double)area;
                        rind[o] = arg;
                    }
        int64_t xs[4] = {C * H * W, W, 1, H * W}, ys[4] = {C * OH * OW, OW, 1, OH * OW};
        memcpy(d.xs, xs, sizeof xs), memcpy(d.ys, ys, sizeof ys);
        pc_pool2d_f32(&d, x, y, d.kind == PC_POOL_MAX ? ind : NULL);
        int64_t xsh[4] = {H * W * C, W * C, C, 1}, ysh[4] = {OH * OW * C, OW * C, C, 1};
        memcpy(d.xs, xsh, sizeof xsh), memcpy(d.ys, ysh, sizeof ysh);
        pc_pool2d_f32(&d, xh, yh, NULL);
        size_t at = 0;
        CHECK(close_to(y, ref, NULL, ny, 1e-6, 1e-6, &at), "pool case %zu nchw: [%zu] %g vs %g", i, at, y[at], ref[at]);
        int ok = 1;
        for (int64_t n = 0; n < N && ok; n++)
            for (int64_t c = 0; c < C; c++)
                for (int64_t p = 0; p < OH * OW; p++)
                    if (fabsf(yh[(n * OH * OW + p) * C + c] - y[(n * C + c) * OH * OW + p]) > 1e-6f) ok = 0;
        CHECK(ok, "pool case %zu: nhwc differs from nchw", i);
        if (d.kind == PC_POOL_MAX) CHECK(memcmp(ind, rind, ny * sizeof *ind) == 0, "pool case %zu: indices", i);
        free(y), free(yh), free(ind), free(ref), free(rind);
    }
    free(x), free(xh);
}

/* ---- element-wise, softmax ---- */

static void test_unary(pc_isa isa) {
    ctxs c = make_ctx(isa, 0);
    size_t sizes[] = {1, 15, 16, 17, 33, 70001};
    for (int op = 0; op < PC_U_COUNT; op++)
        for (size_t si = 0; si < 6; si++) {
            size_t n = sizes[si];
            float *x = rnd(n), *y = malloc(n * sizeof *y), *y3 = malloc(n * sizeof *y3);
            for (size_t i = 0; i < n; i++) {
                x[i] *= 6.0f;                                /* [-6, 6) */
                if (op == PC_U_LOG || op == PC_U_SQRT || op == PC_U_RSQRT || op == PC_U_LOG1P) x[i] = fabsf(x[i]) + 0.01f;
            }
            if (n > 4 && op != PC_U_LOG && op != PC_U_SQRT && op != PC_U_RSQRT && op != PC_U_LOG1P)
                x[0] = -90.0f, x[1] = 90.0f, x[2] = 0.0f, x[3] = 1e-4f, x[4] = NAN; /* saturation, small values, NaN */
            pc_unary_params p = pc_unary_defaults();
            p.slope = 0.1f, p.alpha = 0.7f, p.scale = 1.3f, p.input_scale = 0.9f;
            if (op == PC_U_CLAMP || si == 2) p.lo = -0.4f, p.hi = 0.8f;
            double *ref = malloc(n * sizeof *ref);
            for (size_t i = 0; i < n; i++) ref[i] = pc_unary_ref((pc_unary_op)op, x[i], &p);
            pc_vunary_f32(&c.one, (pc_unary_op)op, n, x, y, &p);
            pc_vunary_f32(&c.three, (pc_unary_op)op, n, x, y3, &p);
            size_t at = 0;
            int ok = 1;
            for (size_t i = 0; i < n && ok; i++) /* infinities compare equal; NaN only where the reference has one */
                if (!(y[i] == ref[i] || fabs(y[i] - ref[i]) <= 4e-6 * fabs(ref[i]) + 1e-6 || (isnan(y[i]) && isnan(ref[i]))))
                    ok = 0, at = i;
            CHECK(ok, "unary op %d %s n %zu: [%zu] x %g: %.9g vs %.9g", op, pc_isa_name(isa), n, at, x[at], y[at], ref[at]);
            CHECK(memcmp(y, y3, n * sizeof *y) == 0, "unary op %d %s: 1 and 3 threads differ", op, pc_isa_name(isa));
            /* in place */
            memcpy(y3, x, n * sizeof *y3);
            pc_vunary_f32(&c.one, (pc_unary_op)op, n, y3, y3, &p);
            int same = 1; /* bit for bit, except that a NaN's payload may differ (WebAssembly's vector min/max) */
            for (size_t i = 0; i < n; i++)
                same = same && (memcmp(&y[i], &y3[i], sizeof *y) == 0 || (isnan(y[i]) && isnan(y3[i])));
            CHECK(same, "unary op %d %s: in place differs", op, pc_isa_name(isa));
            free(x), free(y), free(y3), free(ref);
        }
    free_ctx(&c);
}

static void test_binary(pc_isa isa) {
    ctxs c = make_ctx(isa, 0);
    /* shapes: same, row broadcast, column broadcast, scalar, both broadcasting, strided out */
    struct { int32_t r; int64_t a[3], b[3]; } cs[] = {
        {3, {2, 3, 17}, {2, 3, 17}}, {3, {2, 3, 17}, {1, 1, 17}}, {3, {2, 3, 17}, {2, 3, 1}},
        {3, {2, 3, 17}, {1, 1, 1}},  {3, {2, 1, 17}, {1, 5, 1}},  {3, {1, 1, 40000}, {1, 1, 40000}},
    };
    for (int op = 0; op < PC_B_COUNT; op++)
        for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
            int32_t r = cs[i].r;
            int64_t sz[3], sa[3], sb[3], sy[3], na = 1, nb = 1, ny = 1;
            for (int32_t d = r - 1; d >= 0; d--) {
                sz[d] = cs[i].a[d] > cs[i].b[d] ? cs[i].a[d] : cs[i].b[d];
                sa[d] = cs[i].a[d] == 1 ? 0 : na, sb[d] = cs[i].b[d] == 1 ? 0 : nb, sy[d] = ny;
                na *= cs[i].a[d], nb *= cs[i].b[d], ny *= sz[d];
            }
            float *a = rnd((size_t)na), *b = rnd((size_t)nb), *y = malloc((size_t)ny * sizeof *y), *y3 = malloc((size_t)ny * sizeof *y3);
            if (op == PC_B_DIV)
                for (int64_t k = 0; k < nb; k++) b[k] = b[k] > 0 ? b[k] + 0.5f : b[k] - 0.5f;
            pc_binary_params p = pc_binary_defaults();
            if (i % 2) p.alpha = -2.5f;  /* alpha must count in add, sub and rsub */
            if (i == 4) p.lo = -0.3f, p.hi = 0.4f;
            double *ref = malloc((size_t)ny * sizeof *ref);
            for (int64_t k = 0; k < ny; k++) {
                int64_t idx[3] = {k / (sz[1] * sz[2]), (k / sz[2]) % sz[1], k % sz[2]}, oa = 0, ob = 0;
                for (int32_t d = 0; d < r; d++) oa += idx[d] * sa[d], ob += idx[d] * sb[d];
                ref[k] = pc_binary_ref((pc_binary_op)op, a[oa], b[ob], &p);
            }
            pc_binary_f32(&c.one, (pc_binary_op)op, r, sz, a, sa, b, sb, y, sy, &p);
            pc_binary_f32(&c.three, (pc_binary_op)op, r, sz, a, sa, b, sb, y3, sy, &p);
            size_t at = 0;
            CHECK(close_to(y, ref, NULL, (size_t)ny, 1e-6, 1e-7, &at), "binary op %d %s case %zu: [%zu] %g vs %g", op,
                  pc_isa_name(isa), i, at, y[at], ref[at]);
            CHECK(memcmp(y, y3, (size_t)ny * sizeof *y) == 0, "binary op %d case %zu: 1 and 3 threads differ", op, i);
            if (i == 0) { /* in place over a */
                pc_binary_f32(&c.one, (pc_binary_op)op, r, sz, a, sa, b, sb, a, sy, &p);
                CHECK(memcmp(a, y, (size_t)ny * sizeof *y) == 0, "binary op %d: in place differs", op);
            }
            free(a), free(b), free(y), free(y3), free(ref);
        }
    free_ctx(&c);
}

static void test_lut(pc_isa isa) {
    /* y = table[x] over every byte value, lengths around the 64-byte vector and the thread chunks */
    ctxs c = make_ctx(isa, 0);
    uint8_t table[256];
    for (int i = 0; i < 256; i++) table[i] = (uint8_t)(i * 167 + 13);
    const size_t lens[] = {0, 1, 63, 64, 65, 255, 256, 1000, 40000};
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        const size_t n = lens[li];
        uint8_t *x = malloc(n + 1), *y = malloc(n + 1), *y3 = malloc(n + 1);
        for (size_t i = 0; i < n; i++) x[i] = (uint8_t)(i * 31 + (i >> 8));
        memset(y, 0, n + 1), memset(y3, 0, n + 1);
        pc_lut8(&c.one, n, x, table, y);
        pc_lut8(&c.three, n, x, table, y3);
        size_t bad = n;
        for (size_t i = 0; i < n && bad == n; i++)
            if (y[i] != table[x[i]] || y3[i] != y[i]) bad = i;
        CHECK(bad == n && y[n] == 0, "lut8 %s n=%zu: [%zu]", pc_isa_name(isa), n, bad);
        pc_lut8(&c.one, n, x, table, x); /* in place */
        for (size_t i = 0; i < n && bad == n; i++)
            if (x[i] != y[i]) bad = i;
        CHECK(bad == n, "lut8 %s in place n=%zu: [%zu]", pc_isa_name(isa), n, bad);
        free(x), free(y), free(y3);
    }
    free_ctx(&c);
}

/* int8 add / multiply against XNNPACK's rules, re-derived here with frexpf/ldexpf instead of bit tricks */
static int32_t ref_qadd(int32_t a, int32_t b, float sa, int32_t za, float sb, int32_t zb, float so, int32_t zo, int32_t lo,
                        int32_t hi) {
    const float ra = sa / so, rb = sb / so, rmax = ra > rb ? ra : rb;
    int e;
    frexpf(rmax, &e); /* rmax = m * 2^e, m in [0.5, 1): the IEEE exponent is e - 1 */
    const int shift = 20 - (e - 1);
    const int64_t ma = (int64_t)nearbyintf(ldexpf(ra, shift)), mb = (int64_t)nearbyintf(ldexpf(rb, shift));
    const int64_t acc = ((int64_t)1 << (shift - 1)) + (a - za) * ma + (b - zb) * mb;
    int64_t v = (acc >= 0 ? acc >> shift : -((-acc + ((int64_t)1 << shift) - 1) >> shift)) + zo; /* floor */
    return (int32_t)(v < lo ? lo : v > hi ? hi : v);
}
static int32_t ref_qmul(int32_t a, int32_t b, float sa, int32_t za, float sb, int32_t zb, float so, int32_t zo, int32_t lo,
                        int32_t hi) {
    const float scale = (sa * sb) / so;
    float f = (float)((a - za) * (b - zb)) * scale;
    f = f < (float)(lo - zo) ? (float)(lo - zo) : f > (float)(hi - zo) ? (float)(hi - zo) : f;
    return (int32_t)nearbyintf(f) + zo;
}

static void test_qbinary(pc_isa isa) {
    ctxs c = make_ctx(isa, 0);
    typedef struct { float sa, sb, so; int32_t za, zb, zo, lo, hi; int uns; } qb;
    const qb cases[] = {
        {0.02f, 0.03f, 0.05f, -3, 7, 2, -128, 127, 0},    {0.5f, 0.001f, 0.01f, 0, -128, 127, -128, 127, 0},
        {0.0123f, 0.0123f, 0.0123f, 10, -10, 0, -20, 100, 0}, {0.7f, 0.9f, 0.004f, 128, 0, 255, 0, 255, 1},
        {1.0f / 1024, 0.05f, 0.2f, 5, 250, 3, 0, 255, 1},  {0.1f, 0.1f, 25.0f, -128, 127, -5, -128, 127, 0},
    };
    /* [2, 3, 5] + [3, 1] broadcast, and elementwise over 300 values */
    const int64_t sizes[3] = {2, 3, 5}, sa[3] = {15, 5, 1}, sb[3] = {0, 1, 0}, sy[3] = {15, 5, 1};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const qb *k = &cases[i];
        for (int op = 0; op < 2; op++) {
            pc_qbinary q;
            bool ok = op == 0 ? pc_qadd_init(&q, k->sa, k->za, k->sb, k->zb, k->so, k->zo, k->lo, k->hi, k->uns)
                              : pc_qmul_init(&q, k->sa, k->za, k->sb, k->zb, k->so, k->zo, k->lo, k->hi, k->uns);
            const float ra = k->sa / k->so, rb = k->sb / k->so, pm = (k->sa * k->sb) / k->so;
            const bool want = op == 0 ? ra >= 0x1.0p-10f && rb >= 0x1.0p-10f && ra < 256.0f && rb < 256.0f
                                      : pm >= 0x1.0p-16f && pm < 256.0f;
            CHECK(ok == want, "q%s init case %zu: %d", op ? "mul" : "add", i, ok);
            if (!ok) continue;
            enum { N = 300 };
            uint8_t a[N], b[N], y[N], y3[N], yb[30];
            for (int j = 0; j < N; j++) a[j] = (uint8_t)(j * 37 + 11), b[j] = (uint8_t)(j * 101 + 3);
            a[0] = b[0] = 0x80, a[1] = b[1] = 0x7f, a[2] = 0xff, b[2] = 0; /* extremes of both types */
            const int64_t n1[1] = {N}, one[1] = {1};
            pc_qbinary_run(&c.one, &q, 1, n1, a, one, b, one, y, one);
            pc_qbinary_run(&c.three, &q, 1, n1, a, one, b, one, y3, one);
            pc_qbinary_run(&c.one, &q, 3, sizes, a, sa, b, sb, yb, sy);
            size_t bad = N;
            for (int j = 0; j < N && bad == N; j++) {
                int32_t va = k->uns ? a[j] : (int8_t)a[j], vb = k->uns ? b[j] : (int8_t)b[j];
                int32_t want_y = op == 0 ? ref_qadd(va, vb, k->sa, k->za, k->sb, k->zb, k->so, k->zo, k->lo, k->hi)
                                         : ref_qmul(va, vb, k->sa, k->za, k->sb, k->zb, k->so, k->zo, k->lo, k->hi);
                int32_t got = k->uns ? y[j] : (int8_t)y[j];
                if (got != want_y || y3[j] != y[j]) bad = (size_t)j;
            }
            for (int j = 0; j < 30 && bad == N; j++) {
                const int jb = (j / 5) % 3; /* b broadcast over dims 0 and 2 */
                int32_t va = k->uns ? a[j] : (int8_t)a[j], vb = k->uns ? b[jb] : (int8_t)b[jb];
                int32_t want_y = op == 0 ? ref_qadd(va, vb, k->sa, k->za, k->sb, k->zb, k->so, k->zo, k->lo, k->hi)
                                         : ref_qmul(va, vb, k->sa, k->za, k->sb, k->zb, k->so, k->zo, k->lo, k->hi);
                if ((k->uns ? yb[j] : (int8_t)yb[j]) != want_y) bad = 1000 + (size_t)j;
            }
            CHECK(bad == N, "q%s %s case %zu: [%zu]", op ? "mul" : "add", pc_isa_name(isa), i, bad);
        }
    }
    {
        /* [R, C] with a repeating row (either operand), over several 4 KiB blocks and threads */
        const int64_t R = 1000, C = 24, sz[2] = {R, C}, full[2] = {C, 1}, rowb[2] = {0, 1};
        uint8_t *a = malloc((size_t)(R * C)), *y = malloc((size_t)(R * C)), *y3 = malloc((size_t)(R * C)), b[24];
        for (int64_t i = 0; i < R * C; i++) a[i] = (uint8_t)(i * 29 + 7);
        for (int i = 0; i < 24; i++) b[i] = (uint8_t)(i * 53 + 1);
        pc_qbinary q;
        pc_qmul_init(&q, 0.02f, 3, 0.01f, -4, 0.005f, 1, -128, 127, 0);
        for (int swap = 0; swap < 2; swap++) {
            if (swap) {
                pc_qbinary_run(&c.one, &q, 2, sz, b, rowb, a, full, y, full);
                pc_qbinary_run(&c.three, &q, 2, sz, b, rowb, a, full, y3, full);
            } else {
                pc_qbinary_run(&c.one, &q, 2, sz, a, full, b, rowb, y, full);
                pc_qbinary_run(&c.three, &q, 2, sz, a, full, b, rowb, y3, full);
            }
            int64_t bad = -1;
            for (int64_t i = 0; i < R * C && bad < 0; i++) {
                int32_t va = (int8_t)a[i], vb = (int8_t)b[i % C];
                int32_t want = swap ? ref_qmul(vb, va, 0.02f, 3, 0.01f, -4, 0.005f, 1, -128, 127)
                                    : ref_qmul(va, vb, 0.02f, 3, 0.01f, -4, 0.005f, 1, -128, 127);
                if ((int8_t)y[i] != want || y3[i] != y[i]) bad = i;
            }
            CHECK(bad < 0, "qmul %s, a repeating row (%s): [%lld]", pc_isa_name(isa), swap ? "a" : "b", (long long)bad);
        }
        free(a), free(y), free(y3);
    }
    pc_qbinary q;
    CHECK(!pc_qadd_init(&q, 1.0f, 0, 0.0f, 0, 1.0f, 0, -128, 127, 0), "qadd refuses a zero scale");
    CHECK(!pc_qadd_init(&q, 1000.0f, 0, 1.0f, 0, 1.0f, 0, -128, 127, 0), "qadd refuses a ratio of 1000");
    CHECK(!pc_qmul_init(&q, 1e-4f, 0, 1e-4f, 0, 1.0f, 0, -128, 127, 0), "qmul refuses a product scale under 2^-16");
    free_ctx(&c);
}

/* int8 max pooling and the quantized mean (XNNPACK's rules written out again here) */
static void test_qpool(void) {
    const int64_t N = 2, H = 7, W = 6, C = 19;
    uint8_t x[2 * 7 * 6 * 19], y[2 * 7 * 6 * 19];
    for (size_t i = 0; i < sizeof x; i++) x[i] = (uint8_t)(i * 73 + (i >> 3) * 5);
    for (int run = 0; run < 6; run++) {
        /* 3x3 stride 2 pad 1, dilation 1; clamp [-20, 100] (uint8: [5, 200]), the type's whole range,
         * and a bound past the type (the generic loop) */
        const int uns = run & 1, clamp = run >> 1;
        const int32_t lo = clamp == 0 ? (uns ? 5 : -20) : (uns ? 0 : -128);
        const int32_t hi = clamp == 0 ? (uns ? 200 : 100) : clamp == 1 ? (uns ? 255 : 127) : 300;
        pc_pool2d d = {PC_POOL_MAX, N, H, W, C, 4, 3, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1, -INFINITY, INFINITY,
                       {H * W * C, W * C, C, 1}, {4 * 3 * C, 3 * C, C, 1}, PC_ISA_SCALAR};
        pc_maxpool2d_q8(&d, x, y, uns, lo, hi);
        int bad = 0;
        for (int64_t n = 0; n < N; n++)
            for (int64_t oh = 0; oh < 4; oh++)
                for (int64_t ow = 0; ow < 3; ow++)
                    for (int64_t c = 0; c < C; c++) {
                        int32_t m = INT32_MIN;
                        for (int64_t ih = oh * 2 - 1; ih <= oh * 2 + 1; ih++)
                            for (int64_t iw = ow * 2 - 1; iw <= ow * 2 + 1; iw++) {
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                uint8_t b = x[((n * H + ih) * W + iw) * C + c];
                                int32_t v = uns ? b : (int8_t)b;
                                if (v > m) m = v;
                            }
                        m = m < lo ? lo : m > hi ? hi : m;
                        uint8_t got = y[((n * 4 + oh) * 3 + ow) * C + c];
                        bad += (uns ? (int32_t)got : (int32_t)(int8_t)got) != m;
                    }
        CHECK(bad == 0, "int8 max pooling (%s, clamp [%d, %d]): %d wrong", uns ? "uint8" : "int8", lo, hi, bad);
        /* global mean: scales 0.05 -> 0.013, zero points 7 -> -3 (uint8: 130 -> 120); a narrow clamp too */
        for (int narrow = 0; narrow < 2; narrow++) {
            const float si = 0.05f, so = 0.013f;
            const int32_t zi = uns ? 130 : 7, zo = uns ? 120 : -3;
            const int32_t mlo = narrow ? (uns ? 100 : -10) : (uns ? 0 : -128), mhi = narrow ? (uns ? 140 : 10) : (uns ? 255 : 127);
            pc_qmean m;
            pc_qmean_init(&m, si, zi, so, zo, H * W, mlo, mhi, uns);
            pc_gavgpool_q8(N, H * W, C, x, y, &m);
            bad = 0;
            for (int64_t n = 0; n < N; n++)
                for (int64_t c = 0; c < C; c++) {
                    int32_t sum = 0;
                    for (int64_t p = 0; p < H * W; p++) {
                        uint8_t b = x[(n * H * W + p) * C + c];
                        sum += uns ? b : (int8_t)b;
                    }
                    volatile float scale = (si / so) * (1.0f / (float)(H * W));
                    volatile float zero_shift = (float)(H * W) * (float)zi;
                    volatile float zshift = zero_shift * scale;
                    volatile float zero = (float)zo - zshift;
                    volatile float prod = (float)sum * scale;
                    volatile float f = prod + zero;
                    float r = nearbyintf(f);
                    r = r < (uns ? 0.0f : -128.0f) ? (uns ? 0.0f : -128.0f) : r > (uns ? 255.0f : 127.0f) ? (uns ? 255.0f : 127.0f) : r;
                    int32_t want = (int32_t)r;
                    want = want < mlo ? mlo : want > mhi ? mhi : want;
                    uint8_t got = y[n * C + c];
                    bad += (uns ? (int32_t)got : (int32_t)(int8_t)got) != want;
                }
            CHECK(bad == 0, "int8 global mean (%s, %s clamp): %d wrong", uns ? "uint8" : "int8", narrow ? "narrow" : "no", bad);
        }
    }
}

static void test_softmax(pc_isa isa) {
    ctxs c = make_ctx(isa, 0);
    size_t lens[] = {1, 7, 16, 17, 1000};
    for (size_t li = 0; li < 5; li++)
        for (int take_log = 0; take_log < 2; take_log++) {
            size_t len = lens[li], rows = 5;
            float *x = rnd(rows * len), *y = malloc(rows * len * sizeof *y);
            for (size_t i = 0; i < rows * len; i++) x[i] *= 20.0f; /* logits up to +-20: the max must be subtracted */
            x[0] = 100.0f; /* exp(100) overflows float: only a max-subtracting softmax survives */
            double *ref = malloc(rows * len * sizeof *ref);
            for (size_t r = 0; r < rows; r++) {
                double mx = -INFINITY, s = 0;
                for (size_t k = 0; k < len; k++) mx = fmax(mx, x[r * len + k]);
                for (size_t k = 0; k < len; k++) s += exp(x[r * len + k] - mx);
                for (size_t k = 0; k < len; k++)
                    ref[r * len + k] = take_log ? x[r * len + k] - mx - log(s) : exp(x[r * len + k] - mx) / s;
            }
            pc_softmax_f32(&c.three, rows, len, x, y, take_log, -INFINITY, INFINITY);
            size_t at = 0;
            CHECK(close_to(y, ref, NULL, rows * len, take_log ? 1e-6 : 0, take_log ? 2e-5 : 2e-6, &at),
                  "softmax %s len %zu log %d: [%zu] %g vs %g", pc_isa_name(isa), len, take_log, at, y[at], ref[at]);
            free(x), free(y), free(ref);
        }
    free_ctx(&c);
}

/* ---- layout: every permutation of a rank-4 tensor, and a strided slice ---- */

static void test_transpose(void) {
    /* 3 and 4 channels last: the interleaving paths for 3 and 4 planes */
    static const int64_t shapes[2][4] = {{2, 3, 17, 19}, {3, 4, 5, 7}};
    for (int sh = 0; sh < 2; sh++) {
        const int64_t *dims = shapes[sh];
        float *x = rnd((size_t)(dims[0] * dims[1] * dims[2] * dims[3]));
        float *y = malloc((size_t)(dims[0] * dims[1] * dims[2] * dims[3]) * sizeof *y);
        const int64_t xs[4] = {dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1};
        int perms = 0, bad = 0;
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                for (int c = 0; c < 4; c++) {
                    int dd = 6 - a - b - c;
                    if (a == b || a == c || b == c || dd < 0 || dd > 3 || dd == a || dd == b || dd == c) continue;
                    int p[4] = {a, b, c, dd};
                    int64_t sz[4], st[4];
                    for (int k = 0; k < 4; k++) sz[k] = dims[p[k]], st[k] = xs[p[k]];
                    pc_transpose_f32(4, sz, st, x, y);
                    int64_t i = 0;
                    for (int64_t i0 = 0; i0 < sz[0]; i0++)
                        for (int64_t i1 = 0; i1 < sz[1]; i1++)
                            for (int64_t i2 = 0; i2 < sz[2]; i2++)
                                for (int64_t i3 = 0; i3 < sz[3]; i3++, i++)
                                    if (y[i] != x[i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3]]) bad++;
                    perms++;
                }
        CHECK(perms == 24 && bad == 0, "transpose %lldx%lldx%lldx%lld: %d permutations, %d wrong elements",
              (long long)dims[0], (long long)dims[1], (long long)dims[2], (long long)dims[3], perms, bad);
        free(x), free(y);
    }
    float *x = rnd(2 * 3 * 17 * 19), *y = malloc(2 * 3 * 17 * 19 * sizeof *y);
    const int64_t xs[4] = {3 * 17 * 19, 17 * 19, 19, 1};
    int bad = 0;
    /* a slice [:, 1:3, ::2, 3:] read through strides */
    int64_t sz[4] = {2, 2, 9, 16}, st[4] = {xs[0], xs[1], 2 * xs[2], 1};
    const float *base = x + xs[1] + 3;
    pc_transpose_f32(4, sz, st, base, y);
    bad = 0;
    int64_t i = 0;
    for (int64_t i0 = 0; i0 < 2; i0++)
        for (int64_t i1 = 0; i1 < 2; i1++)
            for (int64_t i2 = 0; i2 < 9; i2++)
                for (int64_t i3 = 0; i3 < 16; i3++, i++) bad += y[i] != base[i0 * st[0] + i1 * st[1] + i2 * st[2] + i3];
    CHECK(bad == 0, "strided slice copy: %d wrong", bad);
    free(x), free(y);
}

/* ---- constant padding and concatenation against index arithmetic ---- */

static void test_pad(void) {
    /* rank, input dims, pre, post: odd sizes, no padding, all padding (an empty input), rank 0 */
    static const struct { int32_t rank; int64_t in[4], pre[4], post[4]; } cases[] = {
        {1, {7}, {2}, {3}},
        {2, {3, 5}, {0, 1}, {2, 0}},
        {3, {2, 3, 5}, {1, 0, 2}, {0, 3, 1}},
        {4, {1, 3, 4, 5}, {0, 1, 1, 2}, {1, 1, 0, 3}},
        {4, {2, 1, 3, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}},
        {2, {0, 4}, {1, 2}, {1, 1}},
        {3, {3, 0, 2}, {0, 0, 0}, {0, 0, 0}},
        {0, {0}, {0}, {0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        pc_pad d;
        memset(&d, 0, sizeof d);
        d.rank = cases[c].rank, d.value = -7.5f;
        int64_t nx = 1, ny = 1;
        for (int32_t k = 0; k < d.rank; k++) {
            d.in[k] = cases[c].in[k], d.pre[k] = cases[c].pre[k], d.out[k] = d.pre[k] + d.in[k] + cases[c].post[k];
            nx *= d.in[k], ny *= d.out[k];
        }
        float *x = rnd((size_t)nx), *y = malloc((size_t)(ny + 1) * sizeof *y);
        y[ny] = 12345.0f; /* nothing past the end */
        pc_pad_f32(&d, x, y);
        int bad = 0;
        for (int64_t i = 0; i < ny; i++) {
            int64_t rem = i, off = 0, xs = 1, inside = 1;
            for (int32_t k = d.rank - 1; k >= 0; k--) { /* the output index, last dim first */
                int64_t ik = rem % d.out[k] - d.pre[k];
                rem /= d.out[k];
                if (ik < 0 || ik >= d.in[k]) inside = 0;
                off += ik * xs, xs *= d.in[k];
            }
            bad += y[i] != (inside ? x[off] : -7.5f);
        }
        CHECK(bad == 0 && y[ny] == 12345.0f, "pad case %zu (rank %d): %d wrong", c, d.rank, bad);
        free(x), free(y);
    }
}

static void test_concat(void) {
    /* outer, inner, input sizes along the axis (some empty), 4- and 1-byte elements */
    static const struct { int64_t outer, inner; int32_t n; int64_t axis[5]; } cases[] = {
        {1, 1, 2, {3, 4}},
        {3, 5, 3, {1, 2, 7}},
        {2, 7, 5, {2, 0, 3, 1, 5}},
        {5, 1, 4, {1, 1, 1, 1}},
        {0, 3, 2, {2, 2}},
        {4, 0, 3, {1, 2, 3}},
        {2, 3, 2, {0, 0}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t es = 1; es <= 4; es += 3) {
            int64_t total = 0;
            for (int32_t k = 0; k < cases[c].n; k++) total += cases[c].axis[k];
            const size_t ny = (size_t)(cases[c].outer * total * cases[c].inner) * es;
            uint8_t *xs[5], *y = malloc(ny + 1), *ref = malloc(ny + 1);
            const void *xp[5];
            for (int32_t k = 0; k < cases[c].n; k++) {
                size_t nx = (size_t)(cases[c].outer * cases[c].axis[k] * cases[c].inner) * es;
                xs[k] = malloc(nx + 1), xp[k] = xs[k];
                for (size_t i = 0; i < nx; i++) xs[k][i] = (uint8_t)(int32_t)(frand() * 127.0f); /* via int: frand may be < 0 */
            }
            memset(y, 0xa5, ny + 1);
            pc_concat d = {es, cases[c].outer, cases[c].inner, cases[c].n, cases[c].axis};
            pc_concat_run(&d, xp, y);
            int64_t at = 0;
            for (int32_t k = 0; k < cases[c].n; k++) {
                for (int64_t o = 0; o < cases[c].outer; o++)
                    for (int64_t a = 0; a < cases[c].axis[k]; a++)
                        for (int64_t i = 0; i < cases[c].inner; i++)
                            memcpy(ref + (size_t)((o * total + at + a) * cases[c].inner + i) * es,
                                   xs[k] + (size_t)((o * cases[c].axis[k] + a) * cases[c].inner + i) * es, es);
                at += cases[c].axis[k];
            }
            CHECK(memcmp(y, ref, ny) == 0 && y[ny] == 0xa5, "concat case %zu, %zu-byte elements", c, es);
            for (int32_t k = 0; k < cases[c].n; k++) free(xs[k]);
            free(y), free(ref);
        }
}

/* ---- fully connected with dynamic int8 activations and 4-bit weights, against the rules ---- */

/* qdint8, from its rules: the row's range widened to include 0, scale (max - min) / 255 (1 if 0),
 * zero point -128 - min / scale rounded half to even, each value x / scale rounded + zero point,
 * saturated (beyond +-1e6 and NaN: the ends) */
/* qdint8 as XNNPACK's quantization.h and scalar f32-qs8-vcvt kernel define it (written here from
 * those rules): s = 255 / (max(0, max) - min(0, min)) (1 for a zero range); the zero point from
 * whichever end errs less, clamped, rounded half to even; dequantization scale 1 / s; an element
 * clamp(x * s, -128 - zp, 127 - zp) in float, rounded half to even, + zp, NaN to -128. */
static void ref_row_q(const float *row, int64_t K, float *s, float *dq, int32_t *zp) {
    float lo = 0, hi = 0;
    for (int64_t k = 0; k < K; k++) {
        if (row[k] < lo) lo = row[k];
        if (row[k] > hi) hi = row[k];
    }
    *s = lo == hi ? 1.0f : 255.0f / (hi - lo);
    const float a = lo * *s, b = hi * *s;
    const float from_min = -128.0f + a, from_max = 127.0f + b;
    float z = from_min + from_max > 0 ? -128.0f - a : 127.0f - b;
    if (z < -128.0f) z = -128.0f;
    if (z > 127.0f) z = 127.0f;
    *zp = (int32_t)lrintf(z);
    *dq = 1.0f / *s;
}
static int32_t ref_q(float x, float s, int32_t zp) {
    float f = x * s;
    if (isnan(f) || f < (float)(-128 - zp)) f = (float)(-128 - zp);
    if (f > (float)(127 - zp)) f = (float)(127 - zp);
    return (int32_t)lrintf(f) + zp;
}
static float ref_clamp(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

static void test_fc_qd8(pc_isa isa) {
    static const int64_t shapes[][3] = {{1, 1, 1}, {3, 5, 7}, {2, 17, 33}, {0, 4, 3}, {3, 0, 5}, {2, 3, 0}, {5, 1, 9},
                                        {1, 70, 129}, {9, 37, 64}, {6, 100, 300}};
    for (size_t c = 0; c < sizeof shapes / sizeof *shapes; c++)
        for (int tw = 0; tw < 2; tw++) {
            const int64_t M = shapes[c][0], N = shapes[c][1], K = shapes[c][2];
            float *x = rnd((size_t)(M * K)), *ws = rnd((size_t)N), *bias = rnd((size_t)N);
            int8_t *w = malloc((size_t)(N * K) + 1);
            for (int64_t i = 0; i < N * K; i++) w[i] = (int8_t)(frand() * 127.0f);
            if (M * K > 2) x[1] = 0.0f, x[2] *= 40.0f; /* a wide range in the first row */
            if (M > 1) for (int64_t k = 0; k < K; k++) x[K + k] = 0.0f; /* an all-zero row: scale 1 */
            for (int64_t j = 0; j < N; j++) ws[j] = fabsf(ws[j]) * 0.01f + 1e-3f;
            float *y = malloc((size_t)(M * N + 1) * sizeof *y);
            y[M * N] = 99.0f;
            const float lo = -0.5f, hi = 0.75f;
            pc_fc_qd8 d = {M, N, K, tw ? 1 : K, tw ? N : 1, lo, hi};
            for (int path = 0; path < 3; path++) { /* the reference loop, the fast path on 1 and 3 threads */
            ctxs cx = make_ctx(isa, pc_fc_qd_scratch(K));
            if (path == 0) pc_fc_qd8_f32(&d, x, w, ws, c & 1 ? NULL : bias, y);
            else pc_fc_qd8_run(path == 1 ? &cx.one : &cx.three, &d, x, w, ws, c & 1 ? NULL : bias, y);
            free_ctx(&cx);
            int bad = 0;
            for (int64_t m = 0; m < M; m++) {
                float s, dq;
                int32_t zp;
                ref_row_q(x + m * K, K, &s, &dq, &zp);
                for (int64_t n = 0; n < N; n++) {
                    int64_t acc = 0;
                    for (int64_t k = 0; k < K; k++)
                        acc += (int64_t)(ref_q(x[m * K + k], s, zp) - zp) * (tw ? w[k * N + n] : w[n * K + k]);
                    float v = (float)acc * dq;
                    v = v * ws[n];
                    v = v + (c & 1 ? 0.0f : bias[n]);
                    bad += y[m * N + n] != ref_clamp(v, lo, hi);
                }
            }
            CHECK(bad == 0 && y[M * N] == 99.0f, "qdint8 fully connected M%lld N%lld K%lld%s (%s, %s): %d wrong", (long long)M,
                  (long long)N, (long long)K, tw ? " (transposed weights)" : "",
                  path == 0 ? "reference" : path == 1 ? "fast, 1 thread" : "fast, 3 threads", pc_isa_name(isa), bad);
            }
            free(x), free(ws), free(bias), free(w), free(y);
        }
}

static void test_fc_q4(pc_isa isa) {
    /* M, N, K, block length (0: per channel); odd K leaves a half byte at each row's end */
    static const int64_t shapes[][4] = {{1, 1, 1, 0}, {3, 5, 7, 0}, {2, 9, 33, 0}, {3, 4, 9, 3}, {2, 3, 32, 8},
                                        {0, 3, 4, 2}, {2, 0, 6, 3}, {2, 3, 0, 0}, {4, 7, 15, 5},
                                        {1, 40, 128, 32}, {9, 33, 96, 32}, {5, 21, 65, 0}, {7, 50, 256, 128},
                                        /* the packed tiles: row and channel tails, blocks of 8 to 128 (and 24 / 40:
                                           not whole 32s), more rows than one quantized chunk */
                                        {13, 17, 64, 16}, {1, 16, 40, 8}, {70, 35, 64, 32}, {5, 3, 48, 24},
                                        {3, 18, 80, 40}, {2, 1, 8, 8}, {2, 5, 1024, 512}};
    for (size_t c = 0; c < sizeof shapes / sizeof *shapes; c++)
        for (int dyn = 0; dyn < 2; dyn++) {
            const int64_t M = shapes[c][0], N = shapes[c][1], K = shapes[c][2], gs = shapes[c][3];
            const int64_t row_bytes = (K + 1) / 2, ngroups = gs ? K / gs : 1;
            float *x = rnd((size_t)(M * K)), *ws = rnd((size_t)(N * ngroups)), *bias = rnd((size_t)N);
            uint8_t *w = malloc((size_t)(N * row_bytes) + 1);
            for (int64_t i = 0; i < N * row_bytes; i++) w[i] = (uint8_t)((frand() + 1.0f) * 127.9f);
            for (int64_t i = 0; i < N * ngroups; i++) { /* bf16 values, as XNNPACK's blockwise scales */
                ws[i] = fabsf(ws[i]) * 0.05f + 1e-3f;
                uint32_t u;
                memcpy(&u, &ws[i], 4);
                u &= 0xFFFF0000u;
                memcpy(&ws[i], &u, 4);
            }
            float *y = malloc((size_t)(M * N + 1) * sizeof *y);
            y[M * N] = 99.0f;
            const float lo = -1.5f, hi = 2.0f;
            pc_fc_q4 d = {M, N, K, gs != 0, gs, dyn, lo, hi, NULL, NULL};
            float *kn = malloc((size_t)(N + 1) * sizeof *kn);
            const size_t tiles = gs ? pc_fc_q4_packed_bytes(N, K, gs, ws) : 0;
            if (tiles && N * ngroups > 0) { /* a scale that is not a bf16 value: no tiles */
                const float keep = ws[N * ngroups - 1];
                ws[N * ngroups - 1] = keep * 1.0001f;
                CHECK(pc_fc_q4_packed_bytes(N, K, gs, ws) == 0, "4-bit tiles accept a scale that is not bf16");
                ws[N * ngroups - 1] = keep;
            }
            uint8_t *packed = amalloc(tiles + 1);
            if (gs && K % gs == 0) {
                pc_fc_q4_kn_args ka = {w, ws, N, K, gs};
                pc_fc_q4_kn_fill(kn, &ka, NULL, NULL);
                if (tiles) pc_fc_q4_pack_fill(packed, &ka, NULL, NULL);
            }
            /* the reference loop, the fast path on 1 and 3 threads, then with kn computed once, then the
               packed tiles on 1 and 3 threads, with a scratch of 5 rows (chunks), and (AVX-512) without VNNI */
            for (int path = 0; path < 9; path++) {
            if (path == 3 || (path == 4 && !(gs && K % gs == 0)) || (path >= 5 && !(tiles && dyn))) continue;
            if (path == 8 && isa != PC_ISA_AVX512) continue;
            const size_t five_rows = 128 + 5 * ((size_t)K + (size_t)(K / (gs ? gs : 1)) * 4 + 16);
            ctxs cx = make_ctx(isa, path == 5 || path == 6 || path == 8 ? pc_fc_q4_scratch(K, gs)
                                    : path == 7 ? five_rows : pc_fc_qd_scratch(K));
            d.kn = path == 4 ? kn : NULL;
            d.packed = path >= 5 ? packed : NULL;
            if (path == 8) pc_cpu_disable_vnni(true);
            if (path == 0) pc_fc_q4_f32(&d, x, w, ws, c & 1 ? NULL : bias, y);
            else if (path >= 5) /* the packed path reads neither the weights nor their scales */
                pc_fc_q4_run(path == 6 ? &cx.three : &cx.one, &d, x, NULL, NULL, c & 1 ? NULL : bias, y);
            else pc_fc_q4_run(path == 1 || path == 4 ? &cx.one : &cx.three, &d, x, w, ws, c & 1 ? NULL : bias, y);
            pc_cpu_disable_vnni(false);
            free_ctx(&cx);
            int bad = 0;
            for (int64_t m = 0; m < M; m++) {
                float s = 1.0f, dq = 1.0f;
                int32_t zp = 0;
                if (dyn) ref_row_q(x + m * K, K, &s, &dq, &zp);
                for (int64_t n = 0; n < N; n++) {
#define WV(k) ((int32_t)((k) % 2 ? w[n * row_bytes + (k) / 2] >> 4 : w[n * row_bytes + (k) / 2] & 15) - 8)
                    const float bn = c & 1 ? 0.0f : bias[n];
                    float v = 0;
                    if (!dyn) { /* fp32 activations: each block's float sum times its scale */
                        for (int64_t b = 0; b < ngroups; b++) {
                            const int64_t k0 = gs ? b * gs : 0, k1 = gs ? k0 + gs : K;
                            float sf = 0;
                            for (int64_t k = k0; k < k1; k++) sf += x[m * K + k] * (float)WV(k);
                            v += sf * ws[gs ? n * ngroups + b : n];
                        }
                        v += bn;
                    } else if (!gs) { /* qcint4: XNNPACK's qc8w / qc4w scalar epilogue */
                        int64_t acc = 0;
                        for (int64_t k = 0; k < K; k++) acc += (int64_t)(ref_q(x[m * K + k], s, zp) - zp) * WV(k);
                        v = (float)acc * dq;
                        v = v * ws[n];
                        v = v + bn;
                    } else { /* qbint4: XNNPACK's packed float weight sum (pairs of k) times the zero point,
                                then each block's raw sum times its scale, then the row scale, then bias */
                        float knr = 0;
                        for (int64_t b = 0; b < ngroups; b++)
                            for (int64_t k = b * gs; k < (b + 1) * gs; k += 2)
                                knr = knr - (float)(WV(k) + (k + 1 < (b + 1) * gs ? WV(k + 1) : 0)) * ws[n * ngroups + b];
                        v = knr * (float)zp;
                        for (int64_t b = 0; b < ngroups; b++) {
                            int64_t sb = 0;
                            for (int64_t k = b * gs; k < (b + 1) * gs; k++) sb += (int64_t)ref_q(x[m * K + k], s, zp) * WV(k);
                            v = v + (float)sb * ws[n * ngroups + b];
                        }
                        v = v * dq;
                        v = v + bn;
                    }
#undef WV
                    bad += y[m * N + n] != ref_clamp(v, lo, hi);
                }
            }
            CHECK(bad == 0 && y[M * N] == 99.0f, "4-bit fully connected M%lld N%lld K%lld block %lld%s (%s, %s): %d wrong",
                  (long long)M, (long long)N, (long long)K, (long long)gs, dyn ? " (qdint8 activations)" : "",
                  path == 0 ? "reference" : path == 1 ? "fast, 1 thread" : path == 2 ? "fast, 3 threads"
                  : path == 4 ? "fast, kn computed once" : path == 5 ? "packed, 1 thread" : path == 6 ? "packed, 3 threads"
                  : path == 7 ? "packed, chunks of 5 rows" : "packed, without VNNI", pc_isa_name(isa), bad);
            }
            free(x), free(ws), free(bias), free(w), free(y), free(kn), free(packed);
        }
}

/* attention over a KV cache: 2 batches, 37 query rows (three row blocks), grouped heads, causal
 * from a start position, on 1 and 3 threads, against a double loop */
static void test_sdpa(pc_isa isa) {
    enum { B = 2, TQ = 37, HQ = 6, HKV = 2, S = 50, POS = 9 };
    static const int dims[] = {5, 16, 37, 64, 69}; /* the 16-lane kernels with and without tails */
    for (size_t di = 0; di < sizeof dims / sizeof *dims; di++) {
    const int D = dims[di];
    float *q = rnd(B * TQ * HQ * D), *k = rnd(B * S * HKV * D), *v = rnd(B * S * HKV * D), *y = malloc(B * TQ * HQ * D * sizeof *y);
    pc_sdpa d = {B, TQ, HQ, HKV, D, S, POS + TQ, POS, 1, NULL, 0, 0.3f};
    for (int path = 0; path < 2; path++) {
        ctxs cx = make_ctx(isa, pc_sdpa_scratch(S));
        pc_sdpa_f32(path ? &cx.three : &cx.one, &d, q, k, v, y);
        free_ctx(&cx);
        int bad = 0;
        for (int b = 0; b < B; b++)
            for (int i = 0; i < TQ; i++)
                for (int h = 0; h < HQ; h++) {
                    double sc[S], mx = -1e300, sum = 0;
                    const int hk = h / (HQ / HKV), n = POS + i + 1;
                    for (int t = 0; t < n; t++) {
                        double a = 0;
                        for (int e = 0; e < D; e++) a += (double)q[((b * TQ + i) * HQ + h) * D + e] * k[((b * S + t) * HKV + hk) * D + e];
                        sc[t] = a * 0.3f;
                        if (sc[t] > mx) mx = sc[t];
                    }
                    for (int t = 0; t < n; t++) sum += (sc[t] = exp(sc[t] - mx));
                    for (int e = 0; e < D; e++) {
                        double a = 0;
                        for (int t = 0; t < n; t++) a += sc[t] / sum * v[((b * S + t) * HKV + hk) * D + e];
                        bad += !(fabs(y[((b * TQ + i) * HQ + h) * D + e] - a) <= 1e-5 * (1 + fabs(a)));
                    }
                }
        CHECK(bad == 0, "attention over a KV cache, D %d (%s, %s): %d wrong", D, path ? "3 threads" : "1 thread",
              pc_isa_name(isa), bad);
    }
    free(q), free(k), free(v), free(y);
    }
}

/* ---- int8: pinned to integer arithmetic written from the rules ---- */

/* CMSIS-NN (arm_nn_requantize), from its rules: a positive shift multiplies first (saturating to
 * int32); the doubling high multiply is floor((v * mult + 2^30) / 2^31), i.e. round half up,
 * saturated; a negative shift then divides by 2^-shift rounding half away from zero. */
static int32_t cmsis_ref(int64_t acc, int32_t mult, int32_t shift) {
    int64_t v = shift > 0 ? acc * ((int64_t)1 << shift) : acc;
    v = v > INT32_MAX ? INT32_MAX : (v < INT32_MIN ? INT32_MIN : v);
    int64_t p = v * (int64_t)mult + ((int64_t)1 << 30);
    int64_t h = p >= 0 ? p / ((int64_t)1 << 31) : -((-p + ((int64_t)1 << 31) - 1) / ((int64_t)1 << 31)); /* floor */
    h = h > INT32_MAX ? INT32_MAX : (h < INT32_MIN ? INT32_MIN : h);
    if (shift >= 0) return (int32_t)h;
    int64_t half = (int64_t)1 << (-shift - 1);
    return (int32_t)(h >= 0 ? (h + half) >> -shift : -((-h + half) >> -shift));
}

static void test_requant(void) {
    /* fp32 requantization rounds half to even (lrintf) */
    CHECK(pc_requant_fp32(5, 0.5f, 0, -128, 127) == 2, "2.5 -> 2");
    CHECK(pc_requant_fp32(7, 0.5f, 0, -128, 127) == 4, "3.5 -> 4");
    CHECK(pc_requant_fp32(-5, 0.5f, 3, -128, 127) == 1, "-2.5 -> -2, + 3");
    CHECK(pc_requant_fp32(1000, 1.0f, 0, -128, 127) == 127 && pc_requant_fp32(-1000, 1.0f, 0, -128, 127) == -128, "saturation");
    CHECK(pc_requant_fp32(1, NAN, 0, -128, 127) == -128, "NaN saturates low");
    int32_t mults[] = {1073741824, 1518500250, 2147483647, -1073741824, 1};
    int32_t shifts[] = {0, -1, -5, -31, 3, 1};
    int64_t accs[] = {0, 1, -1, 2, -2, 3, -3, 12345, -12345, 1 << 20, -(1 << 20), INT32_MAX, INT32_MIN, 46341, -46341};
    int ok = 1;
    for (size_t m = 0; m < 5; m++)
        for (size_t s = 0; s < 6; s++)
            for (size_t a = 0; a < sizeof accs / sizeof accs[0]; a++) {
                int32_t got = pc_requant_cmsis(accs[a], mults[m], shifts[s]), want = cmsis_ref(accs[a], mults[m], shifts[s]);
                if (got != want) {
                    if (ok) printf("cmsis: acc %lld mult %d shift %d: %d vs %d\n", (long long)accs[a], mults[m], shifts[s], got, want);
                    ok = 0;
                }
            }
    CHECK(ok, "CMSIS-NN requantization against the rounding rules");
}

static void test_qconv(void) {
    /* a 2x2 depthwise and a dense convolution on fixed int8 data, each output computed by hand */
    int8_t x[2 * 3 * 3] = {10, -20, 30, -40, 50, -60, 70, -80, 90, 1, 2, 3, 4, 5, 6, 7, 8, 9}; /* NHWC [1,3,3,2] */
    int8_t xn[18];
    for (int h = 0; h < 3; h++)
        for (int w = 0; w < 3; w++)
            for (int c = 0; c < 2; c++) xn[(h * 3 + w) * 2 + c] = x[c * 9 + h * 3 + w];
    int8_t w[2 * 2 * 2 * 2] = {1, -2, 3, -4, 5, -6, 7, -8, -1, 2, -3, 4, -5, 6, -7, 8}; /* dense [OC=2][2][2][IC=2] */
    int32_t bias[2] = {100, -100};
    float scales[2] = {0.05f, 0.125f};
    pc_requant rq = {PC_REQ_FP32, scales, NULL, NULL, 1, -3, -128, 127};
    pc_conv2d_s8 d = {1, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 1, 0, {18, 6, 2, 1}, {8, 4, 2, 1}, {8, 4, 2, 1}, 5, 0, 0, 0};
    int8_t y[8];
    pc_conv2d_s8_run(&d, xn, w, bias, &rq, y);
    int ok = 1;
    for (int oh = 0; oh < 2; oh++)
        for (int ow = 0; ow < 2; ow++)
            for (int oc = 0; oc < 2; oc++) {
                int64_t acc = bias[oc];
                for (int kh = 0; kh < 2; kh++)
                    for (int kw = 0; kw < 2; kw++)
                        for (int ic = 0; ic < 2; ic++)
                            acc += (int64_t)(xn[((oh + kh) * 3 + ow + kw) * 2 + ic] - 5) * w[((oc * 2 + kh) * 2 + kw) * 2 + ic];
                long q = lrintf((float)acc * scales[oc]) - 3;
                q = q < -128 ? -128 : (q > 127 ? 127 : q);
                if (y[(oh * 2 + ow) * 2 + oc] != q) ok = 0;
            }
    CHECK(ok, "int8 dense convolution (fp32 requantization)");
    /* pinned values, so a change of rounding or zero point in either path shows */
    int8_t pinned[8] = {4, -21, -7, 6, -9, 11, 0, -11};
    CHECK(memcmp(y, pinned, 8) == 0, "int8 convolution pinned: %d %d %d %d %d %d %d %d", y[0], y[1], y[2], y[3], y[4], y[5], y[6], y[7]);
    /* the same through CMSIS-NN requantization (cortex_m) */
    int32_t mult[2] = {1717986918, 1073741824}, shift[2] = {-4, -2};
    pc_requant rc = {PC_REQ_CMSIS, NULL, mult, shift, 1, -3, -128, 127};
    pc_conv2d_s8_run(&d, xn, w, bias, &rc, y);
    ok = 1;
    for (int i = 0; i < 8; i++) {
        int oh = i / 4, ow = (i / 2) % 2, oc = i % 2;
        int64_t acc = bias[oc];
        for (int kh = 0; kh < 2; kh++)
            for (int kw = 0; kw < 2; kw++)
                for (int ic = 0; ic < 2; ic++)
                    acc += (int64_t)(xn[((oh + kh) * 3 + ow + kw) * 2 + ic] - 5) * w[((oc * 2 + kh) * 2 + kw) * 2 + ic];
        int32_t q = cmsis_ref(acc, mult[oc], shift[oc]) - 3;
        q = q < -128 ? -128 : (q > 127 ? 127 : q);
        if (y[i] != q) ok = 0;
    }
    CHECK(ok, "int8 convolution (CMSIS-NN requantization)");
    /* fully connected: y = requant((x - xz) * (w - wz) + b) */
    uint8_t xq[6] = {0, 255, 128, 7, 200, 13};
    int8_t wq[3 * 3] = {1, 2, 3, -4, -5, -6, 127, -128, 0};
    pc_fc_s8 f = {2, 3, 3, 3, 1, 128, 1, 1, 0};
    float fs[1] = {0.01f};
    pc_requant rf = {PC_REQ_FP32, fs, NULL, NULL, 0, 0, -128, 127};
    int8_t yf[6];
    pc_fc_s8_run(&f, xq, wq, NULL, &rf, yf);
    ok = 1;
    for (int m = 0; m < 2; m++)
        for (int n = 0; n < 3; n++) {
            int64_t acc = 0;
            for (int k = 0; k < 3; k++) acc += (int64_t)(xq[m * 3 + k] - 128) * (wq[n * 3 + k] - 1);
            long q = lrintf((float)acc * 0.01f);
            q = q < -128 ? -128 : (q > 127 ? 127 : q);
            if (yf[m * 3 + n] != q) ok = 0;
        }
    CHECK(ok, "int8 fully connected with uint8 input and weight zero point");
}

static void test_avgpool_s8(void) {
    int8_t x[9] = {1, 2, 3, 4, 5, 6, 7, 8, -100};
    pc_pool2d d;
    memset(&d, 0, sizeof d);
    d.kind = PC_POOL_AVG, d.N = 1, d.C = 1, d.H = 3, d.W = 3, d.OH = 2, d.OW = 2, d.KH = d.KW = 2, d.sh = d.sw = 1;
    d.dh = d.dw = 1;
    int64_t s[4] = {9, 3, 1, 1}, so[4] = {4, 2, 1, 1};
    memcpy(d.xs, s, sizeof s), memcpy(d.ys, so, sizeof so);
    int8_t y[4];
    pc_avgpool2d_s8(&d, x, y, -128, 127);
    /* (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, (4+5+7+8)/4 = 6, (5+6+8-100)/4 = -20.25 -> -20 */
    CHECK(y[0] == 3 && y[1] == 4 && y[2] == 6 && y[3] == -20, "avg pool s8: %d %d %d %d", y[0], y[1], y[2], y[3]);
    x[8] = -102; /* (5+6+8-102)/4 = -20.75 -> -21 */
    pc_avgpool2d_s8(&d, x, y, -128, 127);
    CHECK(y[3] == -21, "avg pool s8 rounds to nearest: %d", y[3]);
    x[8] = -97; /* (5+6+8-97)/4 = -19.5 -> -20: ties away from zero */
    pc_avgpool2d_s8(&d, x, y, -128, 127);
    CHECK(y[3] == -20, "avg pool s8 ties away from zero: %d", y[3]);
}

int main(void) {
    test_requant();
    test_qconv();
    test_avgpool_s8();
    test_qpool();
    test_transpose();
    test_pad();
    test_concat();
    for (int i = 0; i < PC_ISA_COUNT; i++) {
        pc_isa isa = (pc_isa)i;
        if (!pc_isa_supported(isa) || isa > pc_isa_default()) {
            printf("compute: ISA %s not run (%s)\n", pc_isa_name(isa), pc_isa_supported(isa) ? "capped by PETITE_ISA" : "not on this CPU");
            continue;
        }
        int before = check_failed;
        test_pool(isa);
        test_gemm(isa);
        test_conv(isa);
        test_qconv_fast(isa);
        test_convert(isa);
        test_unary(isa);
        test_binary(isa);
        test_softmax(isa);
        test_lut(isa);
        test_qbinary(isa);
        test_fc_qd8(isa);
        test_fc_q4(isa);
        test_sdpa(isa);
        printf("compute: ISA %s %s\n", pc_isa_name(isa), check_failed == before ? "ok" : "FAILED");
    }
    return check_done("compute");
}
