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
    if (!d->dynamic || d->K > QD_MAX_K || c->scratch_size < pc_fc_qd_scratch(d->K) || d->K <= 0 || gs <= 0 ||
        d->K % gs) {
        pc_fc_q4_f32(d, x, w, w_scale, bias, y);
        return;
    }
    qd_job j = {d->M, d->N, d->K, x, NULL, w, d->grouped ? d->kn : NULL, gs, d->grouped, w_scale, bias, d->lo, d->hi, y, 0, 0};
    qd_run(c, &j);
}
