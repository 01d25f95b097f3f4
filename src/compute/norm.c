/* norm.c — softmax / log-softmax rows, per-channel affine (batch norm) and layer norm, fp32. */
#include <math.h>

#include "compute/compute.h"
#include "compute/internal.h"

typedef struct softmax_job {
    const pc_ukernels *uk;
    size_t rows_per_task, rows, len;
    const float *x;
    float *y;
    int take_log;
    float lo, hi;
} softmax_job;

static void softmax_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const softmax_job *j = arg;
    for (size_t r = t * j->rows_per_task; r < pc_min((t + 1) * j->rows_per_task, j->rows); r++) {
        float *y = j->y + r * j->len;
        j->uk->softmax_f32_row(j->len, j->x + r * j->len, y, j->take_log);
        if (j->lo > -INFINITY || j->hi < INFINITY)
            for (size_t k = 0; k < j->len; k++) y[k] = y[k] < j->lo ? j->lo : (y[k] > j->hi ? j->hi : y[k]);
    }
}

void pc_softmax_f32(const pc_ctx *c, size_t rows, size_t len, const float *x, float *y, int take_log, float lo, float hi) {
    softmax_job j = {pc_uk(c->isa), rows, rows, len, x, y, take_log, lo, hi};
    size_t per = len >= 4096 ? 1 : 4096 / (len ? len : 1);
    if (pc_ctx_threads(c) > 1 && rows > per) {
        j.rows_per_task = per;
        pc_parallel(c, (rows + per - 1) / per, softmax_task, &j);
    } else {
        softmax_task(&j, 0, 0);
    }
}

void pc_softmax_f32_strided(size_t len, const float *x, int64_t xs, float *y, int64_t ys, int take_log) {
    if (len == 0) return;
    float mx = x[0];
    for (size_t k = 1; k < len; k++) mx = x[(int64_t)k * xs] > mx ? x[(int64_t)k * xs] : mx;
    double sum = 0;
    for (size_t k = 0; k < len; k++) sum += expf(x[(int64_t)k * xs] - mx);
    if (take_log) {
        float lse = (float)log(sum);
        for (size_t k = 0; k < len; k++) y[(int64_t)k * ys] = x[(int64_t)k * xs] - mx - lse;
        return;
    }
    float inv = (float)(1.0 / sum);
    for (size_t k = 0; k < len; k++) y[(int64_t)k * ys] = expf(x[(int64_t)k * xs] - mx) * inv;
}

typedef struct affine_job {
    const pc_ukernels *uk;
    size_t C, inner;
    const float *x, *scale, *shift;
    float *y;
} affine_job;

static void affine_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const affine_job *j = arg;
    size_t ch = t % j->C;
    j->uk->affine_f32(j->inner, j->x + t * j->inner, j->scale[ch], j->shift[ch], j->y + t * j->inner);
}

void pc_channel_affine_f32(const pc_ctx *c, size_t N, size_t C, size_t inner, const float *x, const float *scale,
                           const float *shift, float *y) {
    affine_job j = {pc_uk(c->isa), C, inner, x, scale, shift, y};
    if (pc_ctx_threads(c) > 1 && N * C * inner >= 32768) pc_parallel(c, N * C, affine_task, &j);
    else
        for (size_t t = 0; t < N * C; t++) affine_task(&j, t, 0);
}

typedef struct sum_job {
    const pc_ukernels *uk;
    size_t rows, n, per;
    const float *x;
    float *y;
    float scale;
} sum_job;

static void sum_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const sum_job *j = arg;
    for (size_t r = t * j->per; r < pc_min((t + 1) * j->per, j->rows); r++) j->y[r] = j->uk->sum_f32(j->n, j->x + r * j->n) * j->scale;
}

void pc_sum_rows_f32(const pc_ctx *c, size_t rows, size_t n, const float *x, float *y, float scale) {
    sum_job j = {pc_uk(c->isa), rows, n, rows, x, y, scale};
    size_t per = n >= 16384 ? 1 : 16384 / (n ? n : 1);
    if (pc_ctx_threads(c) > 1 && rows > per) {
        j.per = per;
        pc_parallel(c, (rows + per - 1) / per, sum_task, &j);
    } else {
        sum_task(&j, 0, 0);
    }
}

void pc_layer_norm_f32(size_t rows, size_t n, const float *x, const float *w, const float *b, float eps, float *y,
                       float *mean, float *rstd) {
    for (size_t r = 0; r < rows; r++) {
        const float *xp = x + r * n;
        float *yp = y + r * n;
        double sum = 0, sq = 0;
        for (size_t i = 0; i < n; i++) sum += xp[i];
        float mu = (float)(sum / (double)n);
        for (size_t i = 0; i < n; i++) sq += (double)(xp[i] - mu) * (xp[i] - mu);
        float rs = 1.0f / sqrtf((float)(sq / (double)n) + eps);
        for (size_t i = 0; i < n; i++) yp[i] = (xp[i] - mu) * rs * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
        if (mean) mean[r] = mu;
        if (rstd) rstd[r] = rs;
    }
}
