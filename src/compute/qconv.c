/* qconv.c — int8 convolution and fully connected (reference loops, int64 accumulation) with
 * either requantization: XNNPACK's fp32 scale or CMSIS-NN's fixed-point multiplier and shift. One
 * implementation serves the XNNPACK delegate's quantized nodes and the cortex_m operators. Also the
 * delegate's fully connected layers with dynamic int8 activations (qdint8) and 4-bit weights. */
#include <math.h>

#include "compute/compute.h"
#include "compute/internal.h"

/* CMSIS-NN arm_nn_requantize: saturating doubling high multiply, then a rounding right shift */
static int32_t doubling_high_mult(int64_t m1, int32_t m2) {
    int64_t r = (m1 < 0) != (m2 < 0) ? 1 - (1ll << 30) : (1ll << 30);
    r += m1 * m2;
    r /= (1ll << 31);
    return r > INT32_MAX ? INT32_MAX : (r < INT32_MIN ? INT32_MIN : (int32_t)r);
}

static int32_t divide_by_pow2(int32_t x, int32_t e) {
    int32_t mask = (int32_t)((1u << e) - 1), rem = x & mask, res = x >> e, threshold = mask >> 1;
    if (res < 0) threshold++;
    return rem > threshold ? res + 1 : res;
}

int32_t pc_requant_cmsis(int64_t acc, int32_t mult, int32_t shift) {
    int32_t left = shift > 0 ? shift : 0, right = shift < 0 ? -shift : 0;
    int64_t v = acc * ((int64_t)1 << left);
    if (v > INT32_MAX) v = INT32_MAX; /* saturate damaged inputs instead of overflowing */
    if (v < INT32_MIN) v = INT32_MIN;
    return divide_by_pow2(doubling_high_mult(v, mult), right);
}

static inline int32_t load8(const void *p, int64_t i, int is_unsigned) {
    return is_unsigned ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}
static inline void store8(void *p, int64_t i, int32_t v, int is_unsigned) {
    if (is_unsigned) ((uint8_t *)p)[i] = (uint8_t)v;
    else ((int8_t *)p)[i] = (int8_t)v;
}

void pc_conv2d_s8_run(const pc_conv2d_s8 *d, const void *x, const int8_t *w, const int32_t *bias,
                      const pc_requant *rq, void *y) {
    const int64_t gic = d->depthwise ? 1 : d->C / d->groups, goc = d->OC / d->groups;
    const int64_t mult = d->depthwise ? d->OC / d->C : 1;
    const int32_t xz = d->x_zero_point, wz = d->w_zero_point;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++)
                for (int64_t oc = 0; oc < d->OC; oc++) {
                    int64_t acc = bias ? bias[oc] : 0;
                    int64_t c0 = d->depthwise ? oc / mult : (oc / goc) * gic;
                    for (int64_t kh = 0; kh < d->KH; kh++) {
                        int64_t ih = oh * d->sh - d->pt + kh * d->dh;
                        if (ih < 0 || ih >= d->H) continue;
                        for (int64_t kw = 0; kw < d->KW; kw++) {
                            int64_t iw = ow * d->sw - d->pl + kw * d->dw;
                            if (iw < 0 || iw >= d->W) continue;
                            int64_t xb = n * d->xs[0] + ih * d->xs[1] + iw * d->xs[2];
                            int64_t wb = oc * d->ws[0] + kh * d->ws[1] + kw * d->ws[2];
                            for (int64_t ic = 0; ic < gic; ic++)
                                acc += (int64_t)(load8(x, xb + (c0 + ic) * d->xs[3], d->x_unsigned) - xz) *
                                       ((int32_t)w[wb + ic * d->ws[3]] - wz);
                        }
                    }
                    store8(y, n * d->ys[0] + oh * d->ys[1] + ow * d->ys[2] + oc * d->ys[3], pc_requantize(rq, acc, oc),
                           d->y_unsigned);
                }
}

void pc_fc_s8_run(const pc_fc_s8 *d, const void *x, const int8_t *w, const int32_t *bias, const pc_requant *rq,
                  void *y) {
    for (int64_t m = 0; m < d->M; m++)
        for (int64_t n = 0; n < d->N; n++) {
            int64_t acc = bias ? bias[n] : 0; /* 64-bit: damaged files must not overflow */
            for (int64_t k = 0; k < d->K; k++)
                acc += (int64_t)(load8(x, m * d->K + k, d->x_unsigned) - d->x_zero_point) *
                       ((int32_t)w[n * d->wsn + k * d->wsk] - d->w_zero_point);
            store8(y, m * d->N + n, pc_requantize(rq, acc, n), d->y_unsigned);
        }
}

/* ---- fully connected with dynamic int8 activations (qdint8) and 4-bit weights ---- */

static inline float clampf(float x, float lo, float hi) { return x < lo ? lo : (x > hi ? hi : x); }

void pc_fc_qd8_f32(const pc_fc_qd8 *d, const float *x, const int8_t *w, const float *w_scale, const float *bias,
                   float *y) {
    const int64_t N = d->N, K = d->K;
    for (int64_t i = 0; i < d->M; i++) {
        const float *row = x + i * K;
        const pc_qd8_params p = pc_qd8_row(row, K);
        for (int64_t j = 0; j < N; j++) {
            int64_t acc = 0;
            for (int64_t k = 0; k < K; k++)
                acc += (int64_t)(pc_qd8_one(row[k], &p) - p.zp) * (int32_t)w[j * d->wsn + k * d->wsk];
            float v = (float)acc * p.scale * w_scale[j] + (bias ? bias[j] : 0.0f);
            y[i * N + j] = clampf(v, d->lo, d->hi);
        }
    }
}

/* weight (j, k) of a 4-bit [N, K] filter: rows of ceil(K / 2) bytes, low nibble = even k, zero point 8 */
static inline int32_t nibble(const uint8_t *w, int64_t K, int64_t j, int64_t k) {
    uint8_t byte = w[j * ((K + 1) / 2) + k / 2];
    return (int32_t)((k & 1) ? byte >> 4 : byte & 15) - 8;
}

void pc_fc_q4_f32(const pc_fc_q4 *d, const float *x, const uint8_t *w, const float *w_scale, const float *bias,
                  float *y) {
    const int64_t N = d->N, K = d->K;
    const bool grouped = d->grouped;
    const int64_t gs = grouped ? d->group_size : K, ngroups = gs ? K / gs : 0;
    for (int64_t i = 0; i < d->M; i++) {
        const float *row = x + i * K;
        const pc_qd8_params p = d->dynamic ? pc_qd8_row(row, K) : (pc_qd8_params){1.0f, 1.0f, 0};
        for (int64_t j = 0; j < N; j++) {
            const float b = bias ? bias[j] : 0.0f;
            float v = 0;
            if (!d->dynamic) { /* fp32 activations: each block's float sum times its scale */
                for (int64_t gi = 0; gi < (grouped ? ngroups : 1); gi++) {
                    int64_t k0 = gi * gs, k1 = grouped ? k0 + gs : K;
                    float s = 0;
                    for (int64_t k = k0; k < k1; k++) s += row[k] * (float)nibble(w, K, j, k);
                    v += s * (grouped ? w_scale[j * ngroups + gi] : w_scale[j]);
                }
                v += b;
            } else if (!grouped) { /* qc4w: as qc8w */
                int64_t acc = 0;
                for (int64_t k = 0; k < K; k++) acc += (int64_t)(pc_qd8_one(row[k], &p) - p.zp) * nibble(w, K, j, k);
                v = (float)acc * p.scale * w_scale[j] + b;
            } else { /* qb4w: the zero point through the float weight sum kn (two k at a time, in order,
                        each pair times its block's scale), the raw sums of each block times its scale,
                        then the row's scale, then the bias */
                float kn = 0;
                for (int64_t gi = 0; gi < ngroups; gi++)
                    for (int64_t k = gi * gs; k < (gi + 1) * gs; k += 2) {
                        int32_t pair = nibble(w, K, j, k) + (k + 1 < (gi + 1) * gs ? nibble(w, K, j, k + 1) : 0);
                        kn -= (float)pair * w_scale[j * ngroups + gi];
                    }
                v = kn * (float)p.zp;
                for (int64_t gi = 0; gi < ngroups; gi++) {
                    int64_t sb = 0;
                    for (int64_t k = gi * gs; k < (gi + 1) * gs; k++) sb += (int64_t)pc_qd8_one(row[k], &p) * nibble(w, K, j, k);
                    v += (float)sb * w_scale[j * ngroups + gi];
                }
                v = v * p.scale;
                v = v + b;
            }
            y[i * N + j] = clampf(v, d->lo, d->hi);
        }
    }
}
