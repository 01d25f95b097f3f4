/* qdyn.c — fully connected layers with dynamic int8 activations (XNNPACK's qdint8) over int8
 * (qc8w) or 4-bit (qc4w, qb4w) weights: the fast path of pc_fc_qd8_f32 / pc_fc_q4_f32, equal to
 * them bit for bit (see compute.h). Each task quantizes its rows once, into its scratch slice,
 * and takes a block of output channels; a channel is int32 dot products of the quantized rows with
 * the weight row (4-bit rows unpacked once per channel), the input zero point taken out through
 * the weights' sums: sum (q - zp) * w = sum q * w - zp * sum w, the same integer as the reference's.
 * The int32 sums are exact for K up to 65536 (|q * w| <= 128 * 128); deeper rows, transposed
 * weights and fp32 activations over 4-bit weights take the reference loops. */
#include <string.h>

#include "compute/compute.h"
#include "compute/internal.h"
#include "compute/ukernels.h"

enum { QD_ROWS = 4, QD_MAX_K = 65536 };

static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

size_t pc_fc_qd_scratch(int64_t K) {
    /* QD_ROWS quantized rows + one unpacked channel, then qb4w's block sums (at most QD_ROWS * K int32) */
    return K > 0 ? pc_align64((size_t)(QD_ROWS + 1) * (size_t)K) + (size_t)QD_ROWS * (size_t)K * sizeof(int32_t) : 64;
}

typedef struct {
    int64_t M, N, K;
    const float *x;
    const int8_t *w8;       /* qc8w: [N, K] */
    const uint8_t *w4;      /* 4-bit: [N, ceil(K / 2)], low nibble first, zero point 8 */
    const float *kn;        /* qb4w: the channels' kn, or NULL */
    int64_t gs;             /* 4-bit blocks along K (K: one per channel) */
    int blockwise;          /* qb4w's arithmetic (else qc4w / qc8w's) */
    const float *ws, *bias;
    float lo, hi;
    float *y;
    size_t col_block, col_blocks;
} qd_job;

/* one channel's 4-bit row as int8 (nibble - 8), two per byte without a branch */
static void unpack4(const uint8_t *w4, int64_t K, int8_t *out) {
    const int64_t pairs = K / 2;
    for (int64_t i = 0; i < pairs; i++) {
        const uint8_t b = w4[i];
        out[2 * i] = (int8_t)((b & 15) - 8);
        out[2 * i + 1] = (int8_t)((b >> 4) - 8);
    }
    if (K & 1) out[K - 1] = (int8_t)((w4[pairs] & 15) - 8);
}

/* qb4w's kn of one channel: pairs of k in order within each block (see compute.h) */
static float kn_of(const int8_t *w, const float *ws, int64_t K, int64_t gs) {
    float kn = 0;
    for (int64_t g = 0; g < K / gs; g++)
        for (int64_t k = g * gs; k < (g + 1) * gs; k += 2)
            kn -= (float)(w[k] + (k + 1 < (g + 1) * gs ? w[k + 1] : 0)) * ws[g];
    return kn;
}

static inline int32_t w4_at(const uint8_t *row, int64_t k) { return (int32_t)(k & 1 ? row[k / 2] >> 4 : row[k / 2] & 15) - 8; }

void pc_fc_q4_kn_fill(void *dst, const void *args, pc_consumed_fn consumed, void *ctx) {
    (void)consumed, (void)ctx; /* the weights stay in use: nothing is handed back */
    const pc_fc_q4_kn_args *a = args;
    const int64_t row_bytes = (a->K + 1) / 2, gs = a->group_size, ng = gs > 0 ? a->K / gs : 0;
    for (int64_t n = 0; n < a->N; n++) { /* kn_of's sums, reading the nibbles in place */
        const uint8_t *row = a->w + n * row_bytes;
        const float *ws = a->w_scale + n * ng;
        float kn = 0;
        for (int64_t g = 0; g < ng; g++)
            for (int64_t k = g * gs; k < (g + 1) * gs; k += 2)
                kn -= (float)(w4_at(row, k) + (k + 1 < (g + 1) * gs ? w4_at(row, k + 1) : 0)) * ws[g];
        ((float *)dst)[n] = kn;
    }
}

static void qd_task(void *arg, size_t task, size_t thread, const pc_ctx *c) {
    const qd_job *j = arg;
    const int64_t K = j->K, m0 = (int64_t)(task / j->col_blocks) * QD_ROWS;
    const int64_t rows = j->M - m0 < QD_ROWS ? j->M - m0 : QD_ROWS;
    const int64_t n0 = (int64_t)((task % j->col_blocks) * j->col_block);
    const int64_t n1 = n0 + (int64_t)j->col_block < j->N ? n0 + (int64_t)j->col_block : j->N;
    int8_t *q = pc_scratch(c, thread), *unpacked = q + QD_ROWS * K;
    int32_t *bsum = (int32_t *)(void *)(q + pc_align64((size_t)(QD_ROWS + 1) * (size_t)K));
    const pc_ukernels *uk = pc_uk(c->isa);
    pc_qd8_params p[QD_ROWS];
    for (int64_t r = 0; r < rows; r++) {
        const float *row = j->x + (m0 + r) * K;
        p[r] = pc_qd8_row(row, K);
        for (int64_t k = 0; k < K; k++) q[r * K + k] = (int8_t)pc_qd8_one(row[k], &p[r]);
    }
    const int64_t gs = j->gs, ngroups = j->w4 ? K / gs : 1, row_bytes = (K + 1) / 2;
    for (int64_t n = n0; n < n1; n++) {
        const float b = j->bias ? j->bias[n] : 0.0f;
        const int8_t *w = j->w8 ? j->w8 + n * K : unpacked;
        if (!j->w8) unpack4(j->w4 + n * row_bytes, K, unpacked);
        int32_t dots[QD_ROWS + 1];
        if (!j->blockwise) { /* qc8w, qc4w: sum (q - zp) w = sum q w - zp sum w, then XNNPACK's epilogue */
            uk->qdot_s8((size_t)rows, q, (size_t)K, w, (size_t)K, dots);
            const int64_t wsum = dots[rows];
            for (int64_t r = 0; r < rows; r++) {
                const int64_t acc = (int64_t)dots[r] - (int64_t)p[r].zp * wsum;
                j->y[(m0 + r) * j->N + n] = clampf((float)acc * p[r].scale * j->ws[n] + b, j->lo, j->hi);
            }
            continue;
        }
        /* qb4w: the float weight sum kn (pairs of k in order), then per block the raw sums */
        const float *ws = j->ws + n * ngroups;
        const float kn = j->kn ? j->kn[n] : kn_of(w, ws, K, gs);
        float v[QD_ROWS];
        for (int64_t r = 0; r < rows; r++) v[r] = kn * (float)p[r].zp;
        uk->qdot_s8_blocks((size_t)rows, q, (size_t)K, w, (size_t)gs, (size_t)ngroups, bsum);
        for (int64_t g = 0; g < ngroups; g++) /* blocks in order, as the reference sums them */
            for (int64_t r = 0; r < rows; r++) v[r] += (float)bsum[r * ngroups + g] * ws[g];
        for (int64_t r = 0; r < rows; r++) {
            float o = v[r] * p[r].scale;
            o = o + b;
            j->y[(m0 + r) * j->N + n] = clampf(o, j->lo, j->hi);
        }
    }
}

/* ---- qbint4 on packed tiles (pc_fc_q4_pack_fill): the decoder's 4-bit linear layers ----------------
 * The rows are quantized once per call (up to Q4_ROWS at a time, into the first thread's scratch slice,
 * read by every thread), with each block's sum of q; then tasks take groups of 16-channel tiles and run
 * every row through a tile while it is in cache. A tile kernel computes sum q * nibble (the nibbles as
 * unsigned bytes: VNNI's vpdpbusd and vpmaddubsw multiply unsigned by signed) and takes 8 * (the block's
 * sum of q) off: sum q * (nibble - 8), the reference's integer; the float steps are the reference's. */

enum { Q4_NR = 16, Q4_ROWS = 64 };

static int q4_packable(int64_t K, int64_t gs) { return gs > 0 && gs % 8 == 0 && K > 0 && K % gs == 0 && K <= QD_MAX_K; }

/* a tile: kn (16 floats), then per pair of blocks their scales as bf16 (64 bytes) and their nibbles: one
 * stream in address order, as the kernels read it (the hardware prefetchers follow one stream best) */
static size_t q4_tile_bytes(int64_t K, int64_t gs) { return 64 + (size_t)((K / gs + 1) / 2) * 64 + (size_t)K * 8; }

static inline uint16_t bf16_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)(u >> 16);
}

size_t pc_fc_q4_packed_bytes(int64_t N, int64_t K, int64_t gs, const float *w_scale) {
    if (!q4_packable(K, gs) || N <= 0) return 0;
    for (int64_t i = 0; i < N * (K / gs); i++) { /* every scale a bf16 value (as XNNPACK keeps them) */
        uint32_t u;
        memcpy(&u, &w_scale[i], 4);
        if (u & 0xFFFF) return 0;
    }
    return (size_t)((N + Q4_NR - 1) / Q4_NR) * q4_tile_bytes(K, gs);
}

void pc_fc_q4_pack_fill(void *dst, const void *args, pc_consumed_fn consumed, void *ctx) {
    (void)consumed, (void)ctx; /* the source goes back as a whole once packed (the cache does it) */
    enum { CH = 256 };         /* k per step: a tile's nibbles for them transposed, k-major (4 KB) */
    const pc_fc_q4_kn_args *a = args;
    const int64_t K = a->K, gs = a->group_size, ng = K / gs, row_bytes = (K + 1) / 2;
    if (!q4_packable(K, gs)) return;
    uint8_t nib[CH * Q4_NR];
    uint8_t *t = dst;
    for (int64_t n0 = 0; n0 < a->N; n0 += Q4_NR, t += q4_tile_bytes(K, gs)) {
        const int64_t nc = a->N - n0 < Q4_NR ? a->N - n0 : Q4_NR;
        float kn[Q4_NR] = {0}, sc[Q4_NR] = {0};
        uint8_t *p = t + 64;
        for (int64_t b = 0; b < ng; b++) {
            for (int64_t c = 0; c < nc; c++) sc[c] = a->w_scale[(n0 + c) * ng + b];
            if (b % 2 == 0) memset(p, 0, 64), p += 64; /* this pair's scales */
            uint16_t *scb = (uint16_t *)(void *)(p - (b % 2 ? 64 + gs * 8 : 64)) + (b % 2) * Q4_NR;
            for (int64_t c = 0; c < nc; c++) scb[c] = bf16_bits(sc[c]);
            for (int64_t k0 = b * gs; k0 < (b + 1) * gs; k0 += CH) { /* K is even: gs is a multiple of 8 */
                const int64_t kc = (b + 1) * gs - k0 < CH ? (b + 1) * gs - k0 : CH;
                if (nc < Q4_NR) memset(nib, 8, sizeof nib); /* padding channels: weight 0 */
                for (int64_t c = 0; c < nc; c++) {
                    const uint8_t *row = a->w + (n0 + c) * row_bytes + k0 / 2;
                    for (int64_t i = 0; i < kc / 2; i++) nib[2 * i * Q4_NR + c] = row[i] & 15, nib[(2 * i + 1) * Q4_NR + c] = row[i] >> 4;
                }
                /* kn: -sum over pairs of k in order of float(w_k + w_k+1) * the block's scale, 16 channels at once */
                for (int64_t k = 0; k < kc; k += 2)
                    for (int64_t c = 0; c < Q4_NR; c++)
                        kn[c] -= (float)((int32_t)nib[k * Q4_NR + c] + (int32_t)nib[(k + 1) * Q4_NR + c] - 16) * sc[c];
                for (int64_t k = 0; k < kc; k += 8, p += 64)
                    for (int64_t c = 0; c < Q4_NR; c++)
                        for (int64_t jj = 0; jj < 4; jj++)
                            p[4 * c + jj] = (uint8_t)(nib[(k + jj) * Q4_NR + c] | nib[(k + 4 + jj) * Q4_NR + c] << 4);
            }
        }
        memcpy(t, kn, sizeof kn);
    }
}

size_t pc_fc_q4_scratch(int64_t K, int64_t gs) {
    const size_t fallback = pc_fc_qd_scratch(K);
    if (!q4_packable(K, gs)) return fallback;
    const size_t mine = pc_align64((size_t)Q4_ROWS * (size_t)K) + (size_t)Q4_ROWS * (size_t)(K / gs) * sizeof(int32_t) +
                        (size_t)Q4_ROWS * (sizeof(pc_qd8_params) + sizeof(float));
    return mine > fallback ? mine : fallback;
}

/* the portable tile (the tables without one of their own) */
static void qb4w_tile_c(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp, const uint8_t *tile,
                        size_t gs, size_t ng, float *v) {
    const float *kn = (const float *)(const void *)tile;
    const uint8_t *p = tile + 64, *pair = p;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < Q4_NR; c++) v[r * Q4_NR + c] = kn[c] * zp[r];
    for (size_t b = 0; b < ng; b++) {
        if (b % 2 == 0) pair = p, p += 64;
        const uint16_t *scb = (const uint16_t *)(const void *)pair + (b % 2) * Q4_NR;
        float sc[Q4_NR];
        for (size_t c = 0; c < Q4_NR; c++) {
            const uint32_t u = (uint32_t)scb[c] << 16;
            memcpy(&sc[c], &u, 4);
        }
        int32_t acc[4][Q4_NR] = {{0}};
        for (size_t k = b * gs; k < (b + 1) * gs; k += 8, p += 64)
            for (size_t c = 0; c < Q4_NR; c++)
                for (size_t jj = 0; jj < 4; jj++) {
                    const int32_t lo = p[4 * c + jj] & 15, hi = p[4 * c + jj] >> 4;
                    for (size_t r = 0; r < rows; r++) acc[r][c] += lo * q[r * ld + k + jj] + hi * q[r * ld + k + 4 + jj];
                }
        for (size_t r = 0; r < rows; r++)
            for (size_t c = 0; c < Q4_NR; c++)
                v[r * Q4_NR + c] = v[r * Q4_NR + c] + (float)(acc[r][c] - 8 * qsum[r * ng + b]) * sc[c];
    }
}

typedef void (*q4_tile_fn)(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                           const uint8_t *tile, size_t gs, size_t ng, float *v);

typedef struct {
    int64_t M, N, K, gs, ng; /* M: this chunk's rows */
    const int8_t *q;         /* [M, K] */
    const int32_t *qsum;     /* [M, ng] */
    const pc_qd8_params *p;  /* [M] */
    const float *zp;         /* [M] */
    const float *x, *bias;
    const uint8_t *packed;
    float lo, hi;
    float *y;                /* this chunk's first row */
    size_t tiles_per_task;
    q4_tile_fn tile;
    pc_quantize_uk quantize;
} q4_job;

static void q4_quantize_task(void *arg, size_t task, size_t thread) {
    (void)thread;
    const q4_job *j = arg;
    int8_t *q = (int8_t *)j->q;
    int32_t *qsum = (int32_t *)j->qsum;
    pc_qd8_params *p = (pc_qd8_params *)j->p;
    float *zp = (float *)j->zp;
    for (int64_t r = (int64_t)task * 4; r < j->M && r < (int64_t)task * 4 + 4; r++) {
        const float *row = j->x + r * j->K;
        p[r] = pc_qd8_row(row, j->K);
        zp[r] = (float)p[r].zp;
        /* pc_qd8_one's arithmetic: x * s clamped to [-128 - zp, 127 - zp], rounded half to even, + zp */
        const pc_qout qo = {(float)(-128 - p[r].zp), (float)(127 - p[r].zp), p[r].zp};
        j->quantize((size_t)j->K, row, p[r].s, &qo, q + r * j->K, 0);
        for (int64_t b = 0; b < j->ng; b++) {
            int32_t sum = 0;
            for (int64_t k = b * j->gs; k < (b + 1) * j->gs; k++) sum += q[r * j->K + k];
            qsum[r * j->ng + b] = sum;
        }
    }
}

static void q4_tile_task(void *arg, size_t task, size_t thread) {
    (void)thread;
    const q4_job *j = arg;
    const size_t tbytes = q4_tile_bytes(j->K, j->gs), ntiles = (size_t)((j->N + Q4_NR - 1) / Q4_NR);
    float v[4 * Q4_NR];
    for (size_t t = task * j->tiles_per_task; t < ntiles && t < (task + 1) * j->tiles_per_task; t++) {
        const int64_t n0 = (int64_t)t * Q4_NR, nc = j->N - n0 < Q4_NR ? j->N - n0 : Q4_NR;
        for (int64_t m0 = 0; m0 < j->M; m0 += 4) {
            const int64_t rows = j->M - m0 < 4 ? j->M - m0 : 4;
            j->tile((size_t)rows, j->q + m0 * j->K, (size_t)j->K, j->qsum + m0 * j->ng, j->zp + m0, j->packed + t * tbytes,
                    (size_t)j->gs, (size_t)j->ng, v);
            for (int64_t r = 0; r < rows; r++) {
                float *y = j->y + (m0 + r) * j->N + n0;
                const float s = j->p[m0 + r].scale;
                for (int64_t c = 0; c < nc; c++) {
                    float o = v[r * Q4_NR + c] * s;
                    o = o + (j->bias ? j->bias[n0 + c] : 0.0f);
                    y[c] = clampf(o, j->lo, j->hi);
                }
            }
        }
    }
}

static q4_tile_fn q4_tile_for(pc_isa isa) {
#ifdef PC_HAVE_X86
    if (isa == PC_ISA_AVX512 && pc_cpu_has_vnni()) return pc_qb4w_tile__avx512vnni;
#endif
#if defined(__aarch64__)
    if (isa == PC_ISA_NEON && pc_cpu_has_dotprod()) return pc_qb4w_tile__neondot;
#endif
    const pc_ukernels *uk = pc_uk(isa);
    return uk->qb4w_tile ? uk->qb4w_tile : qb4w_tile_c;
}

static void q4_packed_run(const pc_ctx *c, const pc_fc_q4 *d, const float *x, const float *bias, float *y, int64_t chunk) {
    const int64_t K = d->K, gs = d->group_size, ng = K / gs;
    uint8_t *s = pc_scratch(c, 0);
    q4_job j = {0, d->N, K, gs, ng, (const int8_t *)s, (const int32_t *)(void *)(s + pc_align64((size_t)chunk * (size_t)K)),
                NULL, NULL, NULL, bias, d->packed, d->lo, d->hi, NULL, 0, q4_tile_for(c->isa), pc_uk(c->isa)->quantize_f32};
    j.p = (const pc_qd8_params *)(const void *)(j.qsum + chunk * ng);
    j.zp = (const float *)(const void *)(j.p + chunk);
    const size_t ntiles = (size_t)((d->N + Q4_NR - 1) / Q4_NR), threads = (size_t)pc_ctx_threads(c);
    const size_t want = threads > 1 ? 4 * threads : 1;
    j.tiles_per_task = (ntiles + want - 1) / want;
    for (int64_t m0 = 0; m0 < d->M; m0 += chunk) {
        j.M = d->M - m0 < chunk ? d->M - m0 : chunk;
        j.x = x + m0 * K, j.y = y + m0 * d->N;
        const size_t qtasks = (size_t)(j.M + 3) / 4;
        if (qtasks == 1) q4_quantize_task(&j, 0, 0);
        else pc_parallel(c, qtasks, q4_quantize_task, &j);
        pc_parallel(c, (ntiles + j.tiles_per_task - 1) / j.tiles_per_task, q4_tile_task, &j);
    }
}

typedef struct {
    const qd_job *j;
    const pc_ctx *c;
} qd_call;

static void qd_run_task(void *arg, size_t task, size_t thread) {
    const qd_call *a = arg;
    qd_task((void *)a->j, task, thread, a->c);
}

static void qd_run(const pc_ctx *c, qd_job *j) {
    if (j->M <= 0 || j->N <= 0) return;
    const size_t row_blocks = (size_t)((j->M + QD_ROWS - 1) / QD_ROWS), threads = (size_t)pc_ctx_threads(c);
    /* enough tasks for every thread (decoding is one row), channels in blocks of at least 16 */
    size_t want = row_blocks >= 4 * threads ? 1 : (4 * threads + row_blocks - 1) / row_blocks;
    size_t block = ((size_t)j->N + want - 1) / want;
    if (block < 16) block = 16;
    j->col_block = block, j->col_blocks = ((size_t)j->N + block - 1) / block;
    qd_call call = {j, c};
    pc_parallel(c, row_blocks * j->col_blocks, qd_run_task, &call);
}

void pc_fc_qd8_run(const pc_ctx *c, const pc_fc_qd8 *d, const float *x, const int8_t *w, const float *w_scale,
                   const float *bias, float *y) {
    if (d->wsk != 1 || d->wsn != d->K || d->K > QD_MAX_K || c->scratch_size < pc_fc_qd_scratch(d->K) || d->K <= 0) {
        pc_fc_qd8_f32(d, x, w, w_scale, bias, y);
        return;
    }
    qd_job j = {d->M, d->N, d->K, x, w, NULL, NULL, d->K, 0, w_scale, bias, d->lo, d->hi, y, 0, 0};
    qd_run(c, &j);
}

void pc_fc_q4_run(const pc_ctx *c, const pc_fc_q4 *d, const float *x, const uint8_t *w, const float *w_scale,
                  const float *bias, float *y) {
    const int64_t gs = d->grouped ? d->group_size : d->K;
    if (d->packed && d->dynamic && d->grouped && q4_packable(d->K, gs) && d->N > 0) {
        const size_t per_row = (size_t)d->K + (size_t)(d->K / gs) * sizeof(int32_t) + sizeof(pc_qd8_params) + sizeof(float);
        int64_t chunk = c->scratch_size > 128 ? (int64_t)((c->scratch_size - 128) / per_row) : 0;
        chunk = chunk > Q4_ROWS ? Q4_ROWS : chunk;
        if (chunk >= 1) {
            if (d->M > 0) q4_packed_run(c, d, x, bias, y, chunk);
            return;
        }
    }
    if (!d->dynamic || d->K > QD_MAX_K || c->scratch_size < pc_fc_qd_scratch(d->K) || d->K <= 0 || gs <= 0 ||
        d->K % gs) {
        pc_fc_q4_f32(d, x, w, w_scale, bias, y);
        return;
    }
    qd_job j = {d->M, d->N, d->K, x, NULL, w, d->grouped ? d->kn : NULL, gs, d->grouped, w_scale, bias, d->lo, d->hi, y, 0, 0};
    qd_run(c, &j);
}
