/* layout.c — data movement that is not a strided view: constant padding and concatenation (the
 * XNNPACK delegate's StaticConstantPad and Concatenate nodes). Plain loops. */
#include <string.h>

#include "compute/compute.h"

void pc_pad_f32(const pc_pad *d, const float *x, float *y) {
    const int32_t r = d->rank;
    int64_t stride_in[PC_MAX_RANK], st = 1, total = 1;
    for (int32_t k = r - 1; k >= 0; k--) stride_in[k] = st, st *= d->in[k];
    for (int32_t k = 0; k < r; k++) total *= d->out[k];
    int64_t idx[PC_MAX_RANK] = {0};
    for (int64_t i = 0; i < total; i++) { /* one walk over the output, in order */
        int64_t off = 0;
        bool inside = true;
        for (int32_t k = 0; k < r; k++) {
            int64_t c = idx[k] - d->pre[k];
            if (c < 0 || c >= d->in[k]) inside = false;
            off += c * stride_in[k];
        }
        y[i] = inside ? x[off] : d->value;
        for (int32_t k = r - 1; k >= 0; k--) {
            if (++idx[k] < d->out[k]) break;
            idx[k] = 0;
        }
    }
}

void pc_concat_run(const pc_concat *d, const void *const *x, void *y) {
    const size_t es = d->es;
    int64_t total = 0, at = 0;
    for (int32_t k = 0; k < d->n; k++) total += d->axis[k];
    for (int32_t k = 0; k < d->n; k++) {
        const int64_t row = d->axis[k] * d->inner; /* input k's elements per outer index */
        if (row)
            for (int64_t i = 0; i < d->outer; i++)
                memcpy((uint8_t *)y + (size_t)(i * total * d->inner + at) * es,
                       (const uint8_t *)x[k] + (size_t)(i * row) * es, (size_t)row * es);
        at += row;
    }
}
