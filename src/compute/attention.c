/* attention.c — scaled dot-product attention over a KV cache (llama::custom_sdpa): see compute.h.
 * Tasks over (batch, query head, block of query rows); each row's scores in the thread's scratch,
 * then a max-subtracted softmax and the weighted sum of values, in fp32, on the ISA's kernels (the
 * scores, the softmax row, the weighted sum of values). */
#include <math.h>

#include "compute/compute.h"
#include "compute/internal.h"

enum { SDPA_ROWS = 16 };

size_t pc_sdpa_scratch(int64_t kv_len) { return pc_align64((size_t)(kv_len > 0 ? kv_len : 1) * sizeof(float)); }

typedef struct {
    const pc_sdpa *d;
    const float *q, *k, *v;
    float *y;
    const pc_ctx *c;
    size_t row_blocks;
} sdpa_job;

static void sdpa_task(void *arg, size_t task, size_t thread) {
    const sdpa_job *j = arg;
    const pc_sdpa *d = j->d;
    const int64_t D = d->D, rep = d->Hq / d->Hkv;
    const int64_t bh = (int64_t)(task / j->row_blocks), i0 = (int64_t)(task % j->row_blocks) * SDPA_ROWS;
    const int64_t b = bh / d->Hq, h = bh % d->Hq, hk = h / rep;
    const int64_t i1 = i0 + SDPA_ROWS < d->Tq ? i0 + SDPA_ROWS : d->Tq;
    float *p = pc_scratch(j->c, thread);
    const pc_ukernels *uk = pc_uk(j->c->isa);
    for (int64_t i = i0; i < i1; i++) {
        const float *qr = j->q + ((b * d->Tq + i) * d->Hq + h) * D;
        float *yr = j->y + ((b * d->Tq + i) * d->Hq + h) * D;
        int64_t n = d->kv_len;
        if (d->causal && d->start_pos + i + 1 < n) n = d->start_pos + i + 1; /* keys after the row's position: -inf */
        const size_t ld = (size_t)(d->Hkv * D);
        uk->attn_scores_f32((size_t)n, (size_t)D, qr, j->k + (b * d->S * d->Hkv + hk) * D, ld, d->scale, p);
        if (d->mask)
            for (int64_t t = 0; t < n; t++) p[t] += d->mask[i * d->mask_ld + t];
        if (n > 0) uk->softmax_f32_row((size_t)n, p, p, 0);
        uk->attn_values_f32((size_t)n, (size_t)D, p, j->v + (b * d->S * d->Hkv + hk) * D, ld, yr);
    }
}

void pc_sdpa_f32(const pc_ctx *c, const pc_sdpa *d, const float *q, const float *k, const float *v, float *y) {
    if (d->B <= 0 || d->Tq <= 0 || d->Hq <= 0 || d->D <= 0) return;
    sdpa_job j = {d, q, k, v, y, c, (size_t)((d->Tq + SDPA_ROWS - 1) / SDPA_ROWS)};
    pc_parallel(c, (size_t)(d->B * d->Hq) * j.row_blocks, sdpa_task, &j);
}
