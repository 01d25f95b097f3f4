/* bench_compute.c — time the compute layer's hot functions directly (GEMM, convolution) on each
 * ISA the CPU offers: GFLOP/s and % of the FMA peak passed with --peak (GFLOP/s per core).
 *
 *   build/bench/bench_compute [--isa scalar|avx2|avx512] [--threads N] [--peak GFLOPS] [--cold]
 *                             [gemm N | conv ... | qconv ... | q4 M N K GS [COPIES]]
 *
 * --cold: before each timed convolution, 16 MiB are read (L1 and L2 lose the weights, which then
 * come from L3 as inside a model) and then the input (which a model's previous layer leaves in L2).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compute/compute.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* 64-byte aligned where the C library can (the Windows C runtime has no aligned_alloc) */
static void *balloc(size_t n) {
#if defined(_WIN32)
    return malloc(n);
#else
    return aligned_alloc(64, n);
#endif
}

static volatile float evict_sink;
static void evict(const float *x, size_t n) {
    static float *junk;
    const size_t nj = (16u << 20) / sizeof(float);
    if (!junk) {
        junk = malloc(nj * sizeof *junk);
        for (size_t i = 0; i < nj; i++) junk[i] = (float)i;
    }
    float s = 0.0f;
    for (size_t i = 0; i < nj; i += 16) s += junk[i];
    for (size_t i = 0; i < n; i += 16) s += x[i];
    evict_sink = s;
}

static float *rnd(size_t n, unsigned seed) {
    float *p = balloc(pc_align64(n * sizeof(float) + 64));
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
    }
    return p;
}

/* FMA throughput: independent chains of vector FMAs (no loads), GFLOP/s on one thread */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
__attribute__((target("avx512f,fma"))) static double peak_avx512(long iters) {
    __m512 a[16], b = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 16; i++) a[i] = _mm512_set1_ps(1.0f + (float)i * 1e-3f);
    double t0 = now();
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < 16; i++) a[i] = _mm512_fmadd_ps(a[i], b, c);
    double t = now() - t0;
    __m512 s = a[0];
    for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, a[i]);
    volatile float sink = _mm512_reduce_add_ps(s);
    (void)sink;
    return (double)iters * 16 * 32 / t * 1e-9;
}
__attribute__((target("avx2,fma"))) static double peak_avx2(long iters) {
    __m256 a[12], b = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_ps(1.0f + (float)i * 1e-3f);
    double t0 = now();
    for (long k = 0; k < iters; k++)
        for (int i = 0; i < 12; i++) a[i] = _mm256_fmadd_ps(a[i], b, c);
    double t = now() - t0;
    __m256 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_ps(s, a[i]);
    float o[8];
    _mm256_storeu_ps(o, s);
    volatile float sink = o[0];
    (void)sink;
    return (double)iters * 12 * 16 / t * 1e-9;
}
#endif

static void report(const char *what, pc_isa isa, int threads, double flops, double wall, double cpu, double peak) {
    printf("%-34s %-7s threads %d  %8.3f ms  %7.1f GFLOP/s  cpu %8.3f ms", what, pc_isa_name(isa), threads,
           wall * 1e3, flops / wall * 1e-9, cpu * 1e3);
    if (peak > 0) printf("  %5.1f%% of peak", 100.0 * flops / wall * 1e-9 / (peak * threads));
    printf("\n");
}

int main(int argc, char **argv) {
    pc_isa isa = pc_isa_default();
    int threads = 1, reps = 0, cold = 0;
    double peak = 0;
    int a = 1;
    for (; a < argc && argv[a][0] == '-'; a++) {
        if (!strcmp(argv[a], "--isa") && a + 1 < argc) {
            if (!pc_isa_parse(argv[++a], &isa) || !pc_isa_supported(isa)) {
                fprintf(stderr, "unknown or unsupported ISA %s\n", argv[a]);
                return 2;
            }
        } else if (!strcmp(argv[a], "--threads") && a + 1 < argc) threads = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--peak") && a + 1 < argc) peak = atof(argv[++a]);
        else if (!strcmp(argv[a], "--reps") && a + 1 < argc) reps = atoi(argv[++a]);
        else if (!strcmp(argv[a], "--cold")) cold = 1;
    }
    pc_ctx ctx = {pc_pool_create(threads), NULL, 0, isa};
    const char *what = a < argc ? argv[a] : "gemm";
    if (!strcmp(what, "peak")) { /* best of 5 */
        double best = 0;
#if defined(__x86_64__) && defined(__GNUC__)
        for (int r = 0; r < 5; r++) {
            double g = isa == PC_ISA_AVX512 ? peak_avx512(20000000) : isa == PC_ISA_AVX2 ? peak_avx2(20000000) : 0;
            if (g > best) best = g;
        }
#endif
        printf("peak %s %.1f GFLOP/s per core (fp32 FMA throughput)\n", pc_isa_name(isa), best);
        pc_pool_destroy(ctx.pool);
        return 0;
    }
    if (!strcmp(what, "gemm")) {
        size_t n = a + 1 < argc ? (size_t)atol(argv[a + 1]) : 512;
        size_t M = n, N = n, K = n;
        float *A = rnd(M * K, 1), *B = rnd(K * N, 2), *C = rnd(M * N, 3);
        float *P = balloc(pc_align64(pc_gemm_f32_packed_floats(isa, K, N) * sizeof(float)));
        pc_gemm_f32_pack(isa, K, N, B, N, 1, P);
        pc_gemm_epi epi = {NULL, NULL, 1.0f, 0, -INFINITY, INFINITY, NULL, PC_U_COPY};
        int r = reps ? reps : (int)(2e10 / (2.0 * M * N * K)) + 3;
        pc_gemm_f32(&ctx, M, N, K, A, K, P, C, N, &epi);
        double best = 1e9, bcpu = 0;
        for (int i = 0; i < r; i++) {
            double t0 = now(), c0 = cpu_now();
            pc_gemm_f32(&ctx, M, N, K, A, K, P, C, N, &epi);
            double t = now() - t0, ct = cpu_now() - c0;
            if (t < best) best = t, bcpu = ct;
        }
        char name[64];
        snprintf(name, sizeof name, "gemm %zux%zux%zu (best of %d)", M, N, K, r);
        report(name, isa, pc_ctx_threads(&ctx), 2.0 * M * N * K, best, bcpu, peak);
    } else if (!strcmp(what, "conv")) {
        /* conv LAYOUT N H W C OC KH KW stride pad groups */
        if (argc - a < 12) {
            fprintf(stderr, "conv nhwc|nchw N H W C OC KH KW stride pad groups\n");
            return 2;
        }
        pc_conv2d d;
        memset(&d, 0, sizeof d);
        d.layout = !strcmp(argv[a + 1], "nchw") ? PC_NCHW : PC_NHWC;
        d.N = atol(argv[a + 2]), d.H = atol(argv[a + 3]), d.W = atol(argv[a + 4]), d.C = atol(argv[a + 5]);
        d.OC = atol(argv[a + 6]), d.KH = atol(argv[a + 7]), d.KW = atol(argv[a + 8]);
        d.sh = d.sw = atol(argv[a + 9]), d.pt = d.pl = atol(argv[a + 10]), d.groups = atol(argv[a + 11]);
        d.dh = d.dw = 1;
        d.OH = (d.H + 2 * d.pt - d.KH) / d.sh + 1, d.OW = (d.W + 2 * d.pl - d.KW) / d.sw + 1;
        d.lo = -INFINITY, d.hi = INFINITY;
        pc_conv2d_f32_setup(&d, isa);
        int64_t icg = d.C / d.groups;
        float *w = rnd((size_t)(d.OC * icg * d.KH * d.KW), 4), *bias = rnd((size_t)d.OC, 5);
        pc_weights wt = {w, icg * d.KH * d.KW, d.KH * d.KW, d.KW, 1, bias, NULL};
        float *packed = balloc(pc_align64(pc_conv2d_f32_packed_floats(&d) * sizeof(float)));
        pc_conv2d_f32_pack(&d, &wt, packed);
        size_t scr = pc_conv2d_f32_scratch(&d);
        ctx.scratch_size = pc_align64(scr);
        ctx.scratch = balloc(ctx.scratch_size * (size_t)pc_ctx_threads(&ctx) + 64);
        float *x = rnd((size_t)(d.N * d.H * d.W * d.C), 6), *y = rnd((size_t)(d.N * d.OH * d.OW * d.OC), 7);
        double flops = 2.0 * (double)(d.N * d.OH * d.OW * d.OC * icg * d.KH * d.KW);
        int r = reps ? reps : (int)(1e10 / flops) + 3;
        pc_conv2d_f32_run(&ctx, &d, packed, x, y);
        double best = 1e9, bcpu = 0;
        for (int i = 0; i < r; i++) {
            if (cold) evict(x, (size_t)(d.N * d.H * d.W * d.C));
            double t0 = now(), c0 = cpu_now();
            pc_conv2d_f32_run(&ctx, &d, packed, x, y);
            double t = now() - t0, ct = cpu_now() - c0;
            if (t < best) best = t, bcpu = ct;
        }
        char name[96];
        static const char *kinds[] = {"gemm", "im2col", "dw", "transposed"};
        snprintf(name, sizeof name, "conv %s %s %lldx%lld %lld->%lld k%lld", argv[a + 1], kinds[d.kind], (long long)d.H,
                 (long long)d.W, (long long)d.C, (long long)d.OC, (long long)d.KH);
        report(name, isa, pc_ctx_threads(&ctx), flops, best, bcpu, peak);
    } else if (!strcmp(what, "q4")) {
        /* q4 M N K GS [COPIES]: qbint4 fully connected (dynamic int8 rows, 4-bit weights in blocks of GS) on
           the packed tiles; COPIES separate weight sets run in turn (enough to leave the caches, as a
           decoder's layers do): GB/s of packed weights streamed, and GOP/s */
        if (argc - a < 5) {
            fprintf(stderr, "q4 M N K GS [COPIES]\n");
            return 2;
        }
        const int64_t M = atol(argv[a + 1]), N = atol(argv[a + 2]), K = atol(argv[a + 3]), gs = atol(argv[a + 4]);
        const int copies = argc - a > 5 ? atoi(argv[a + 5]) : 1;
        if (M < 1 || N < 1 || K < 1 || gs < 1 || K % gs || copies < 1) {
            fprintf(stderr, "q4: bad sizes\n");
            return 2;
        }
        const int64_t ng = K / gs;
        uint8_t *w = balloc(pc_align64((size_t)(N * ((K + 1) / 2)) + 64));
        float *ws = balloc(pc_align64((size_t)(N * ng) * 4)), *x = rnd((size_t)(M * K), 5), *y = rnd((size_t)(M * N), 6);
        unsigned seed = 9;
        for (int64_t i = 0; i < N * ((K + 1) / 2); i++) seed = seed * 1664525u + 1013904223u, w[i] = (uint8_t)(seed >> 24);
        for (int64_t i = 0; i < N * ng; i++) ws[i] = 0.0078125f * (float)(1 + i % 7); /* bf16 values */
        const size_t bytes = pc_fc_q4_packed_bytes(N, K, gs, ws);
        if (!bytes) {
            fprintf(stderr, "q4: blocks the packed tiles do not take\n");
            return 2;
        }
        uint8_t **packed = malloc((size_t)copies * sizeof *packed);
        pc_fc_q4_kn_args ka = {w, ws, N, K, gs};
        for (int i = 0; i < copies; i++) packed[i] = balloc(pc_align64(bytes)), pc_fc_q4_pack_fill(packed[i], &ka, NULL, NULL);
        ctx.scratch_size = pc_align64(pc_fc_q4_scratch(K, gs));
        ctx.scratch = balloc(ctx.scratch_size * (size_t)pc_ctx_threads(&ctx) + 64);
        pc_fc_q4 d = {M, N, K, 1, gs, 1, -INFINITY, INFINITY, NULL, NULL};
        const double ops = 2.0 * (double)(M * N * K) * copies;
        int r = reps ? reps : (int)(2e10 / ops) + 3;
        double best = 1e9, bcpu = 0;
        for (int i = -1; i < r; i++) {
            double t0 = now(), c0 = cpu_now();
            for (int c = 0; c < copies; c++) d.packed = packed[c], pc_fc_q4_run(&ctx, &d, x, NULL, NULL, NULL, y);
            double t = now() - t0, ct = cpu_now() - c0;
            if (i >= 0 && t < best) best = t, bcpu = ct;
        }
        char name[96];
        snprintf(name, sizeof name, "q4 %lldx%lldx%lld g%lld x%d %.1f GB/s", (long long)M, (long long)N, (long long)K,
                 (long long)gs, copies, (double)bytes * copies / best * 1e-9);
        report(name, isa, pc_ctx_threads(&ctx), ops, best, bcpu, peak);
    } else if (!strcmp(what, "qconv")) {
        /* qconv N H W C OC KH KW stride pad groups: int8 NHWC (depthwise when groups == C == OC) */
        if (argc - a < 11) {
            fprintf(stderr, "qconv N H W C OC KH KW stride pad groups\n");
            return 2;
        }
        pc_qconv d;
        memset(&d, 0, sizeof d);
        pc_conv2d *g = &d.geom;
        g->layout = PC_NHWC;
        g->N = atol(argv[a + 1]), g->H = atol(argv[a + 2]), g->W = atol(argv[a + 3]), g->C = atol(argv[a + 4]);
        g->OC = atol(argv[a + 5]), g->KH = atol(argv[a + 6]), g->KW = atol(argv[a + 7]);
        g->sh = g->sw = atol(argv[a + 8]), g->pt = g->pl = atol(argv[a + 9]), g->groups = atol(argv[a + 10]);
        g->dh = g->dw = 1;
        if (g->N < 1 || g->H < 1 || g->W < 1 || g->C < 1 || g->OC < 1 || g->KH < 1 || g->KW < 1 || g->sh < 1 ||
            g->pt < 0 || g->groups < 1 || g->C % g->groups || g->OC % g->groups) {
            fprintf(stderr, "qconv: bad geometry\n");
            return 2;
        }
        g->OH = (g->H + 2 * g->pt - g->KH) / g->sh + 1, g->OW = (g->W + 2 * g->pl - g->KW) / g->sw + 1;
        d.x_zero_point = -3, d.y_zero_point = 2, d.lo = -128, d.hi = 127;
        const int dw = g->groups == g->C && g->OC == g->C;
        const int64_t icg = g->C / g->groups, nw = g->OC * g->KH * g->KW * icg;
        int8_t *w = balloc(pc_align64((size_t)nw + 64)), *x = balloc(pc_align64((size_t)(g->N * g->H * g->W * g->C) + 64));
        int8_t *y = balloc(pc_align64((size_t)(g->N * g->OH * g->OW * g->OC) + 64));
        int32_t *bias = balloc(pc_align64((size_t)g->OC * 4));
        float *scale = balloc(pc_align64((size_t)g->OC * 4));
        unsigned seed = 7;
        for (int64_t i = 0; i < nw; i++) seed = seed * 1664525u + 1013904223u, w[i] = (int8_t)(seed >> 24);
        for (int64_t i = 0; i < g->N * g->H * g->W * g->C; i++) seed = seed * 1664525u + 1013904223u, x[i] = (int8_t)(seed >> 24);
        for (int64_t o = 0; o < g->OC; o++) bias[o] = (int32_t)(o * 37 % 2001) - 1000, scale[o] = 0.0005f;
        pc_qweights wt = {w, g->KH * g->KW * icg, g->KW * icg, icg, 1, bias, scale};
        if (dw) wt.so = 1, wt.skh = g->KW * g->C, wt.skw = g->C, wt.si = 0;
        if (!(dw ? pc_qdw_setup(&d, isa, &wt) : pc_qconv_setup(&d, isa, &wt))) {
            fprintf(stderr, "qconv: refused by setup\n");
            return 2;
        }
        void *packed = balloc(pc_align64(dw ? pc_qdw_packed_bytes(&d) : pc_qconv_packed_bytes(&d)));
        pc_qconv_pack_args pa = {&d, wt};
        if (dw) pc_qdw_pack_fill(packed, &pa, NULL, NULL);
        else pc_qconv_pack(&d, &wt, packed);
        size_t scr = dw ? pc_qdw_scratch(&d) : pc_qconv_scratch(&d);
        ctx.scratch_size = pc_align64(scr);
        ctx.scratch = balloc(ctx.scratch_size * (size_t)pc_ctx_threads(&ctx) + 64);
        double flops = 2.0 * (double)(g->N * g->OH * g->OW * g->OC * icg * g->KH * g->KW);
        int r = reps ? reps : (int)(1e10 / flops) + 3;
        double best_q = 1e9, bcpu_q = 0;
        for (int i = -1; i < r; i++) {
            double t0 = now(), c0 = cpu_now();
            if (dw) pc_qdw_run(&ctx, &d, packed, x, y);
            else pc_qconv_run(&ctx, &d, packed, x, y);
            double t = now() - t0, ct = cpu_now() - c0;
            if (i >= 0 && t < best_q) best_q = t, bcpu_q = ct;
        }
        char name[96];
        snprintf(name, sizeof name, "qconv %s%s %lldx%lld %lld->%lld k%lld s%lld", dw ? "dw" : "gemm", d.vnni ? " vnni" : "",
                 (long long)g->H, (long long)g->W, (long long)g->C, (long long)g->OC, (long long)g->KH, (long long)g->sh);
        report(name, isa, pc_ctx_threads(&ctx), flops, best_q, bcpu_q, peak);
    }
    pc_pool_destroy(ctx.pool);
    return 0;
}
