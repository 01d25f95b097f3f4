/* pool2d.c — 2-D max / average / adaptive average pooling over strided (n, h, w, c) tensors
 * (NHWC and NCHW alike), fp32 with a fused clamp, and int8 average pooling with CMSIS-NN
 * rounding. One window rule for all: rows [h0, h1) x columns [w0, w1) clipped to the input. */
#include <math.h>
#include <string.h>

#include "compute/compute.h"

typedef struct window {
    int64_t h0, h1, w0, w1; /* clipped to the input */
    int64_t area;           /* divisor for average pooling */
} window;

static window window_at(const pc_pool2d *d, int64_t oh, int64_t ow) {
    window r;
    if (d->kind == PC_POOL_ADAPTIVE_AVG) {
        r.h0 = oh * d->H / d->OH, r.h1 = ((oh + 1) * d->H + d->OH - 1) / d->OH;
        r.w0 = ow * d->W / d->OW, r.w1 = ((ow + 1) * d->W + d->OW - 1) / d->OW;
        r.area = (r.h1 - r.h0) * (r.w1 - r.w0);
        return r;
    }
    int64_t hs = oh * d->sh - d->pt, ws = ow * d->sw - d->pl;
    int64_t he = hs + (d->KH - 1) * d->dh + 1, we = ws + (d->KW - 1) * d->dw + 1;
    /* average pooling counts the window clipped to the padded input (count_include_pad) */
    int64_t ph1 = he < d->H + d->pb ? he : d->H + d->pb, pw1 = we < d->W + d->pr ? we : d->W + d->pr;
    r.h0 = hs < 0 ? 0 : hs, r.w0 = ws < 0 ? 0 : ws;
    r.h1 = he > d->H ? d->H : he, r.w1 = we > d->W ? d->W : we;
    if (d->divisor) r.area = d->divisor;
    else if (d->count_include_pad) r.area = (ph1 - hs) * (pw1 - ws);
    else r.area = (r.h1 > r.h0 && r.w1 > r.w0) ? ((r.h1 - r.h0 + d->dh - 1) / d->dh) * ((r.w1 - r.w0 + d->dw - 1) / d->dw) : 0;
    return r;
}

/* first tap of a dilated window at or after the clipped start */
static int64_t first_tap(int64_t start, int64_t clipped, int64_t dil) {
    int64_t off = clipped - start;
    return start + (off + dil - 1) / dil * dil;
}

/* NCHW (rows contiguous): per plane and output row, whole rows at a time, in the reference's tap
 * order (window row, then column), so ties and NaNs resolve the same way. */
static void pool_rows(const pc_pool2d *d, const float *x, float *y, int64_t *indices) {
    const pc_ukernels *uk = pc_uk(d->isa);
    const bool maxp = d->kind == PC_POOL_MAX;
    const int64_t OW = d->OW, W = d->W;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t c = 0; c < d->C; c++) {
            const float *xp = x + n * d->xs[0] + c * d->xs[3];
            for (int64_t oh = 0; oh < d->OH; oh++) {
                float *yr = y + n * d->ys[0] + c * d->ys[3] + oh * d->ys[1];
                int64_t *ir = indices ? indices + n * d->ys[0] + c * d->ys[3] + oh * d->ys[1] : NULL;
                for (int64_t ow = 0; ow < OW; ow++) yr[ow] = maxp ? -INFINITY : 0.0f;
                if (ir)
                    for (int64_t ow = 0; ow < OW; ow++) ir[ow] = -1;
                window rw = window_at(d, oh, 0);
                int64_t h0 = first_tap(oh * d->sh - d->pt, rw.h0, d->dh);
                for (int64_t ih = h0; ih < rw.h1; ih += d->dh) {
                    const float *row = xp + ih * d->xs[1];
                    for (int64_t kw = 0; kw < d->KW; kw++) {
                        int64_t off = kw * d->dw - d->pl; /* column read: ow * sw + off */
                        int64_t lo = off >= 0 ? 0 : (-off + d->sw - 1) / d->sw;
                        int64_t hi = W - off <= 0 ? 0 : (W - off + d->sw - 1) / d->sw;
                        if (hi > OW) hi = OW;
                        if (lo >= hi) continue;
                        if (!maxp) {
                            uk->add_f32_strided((size_t)(hi - lo), row + lo * d->sw + off, (size_t)d->sw, yr + lo);
                        } else if (!ir) {
                            uk->max_f32_strided((size_t)(hi - lo), row + lo * d->sw + off, (size_t)d->sw, yr + lo);
                        } else {
                            for (int64_t ow = lo; ow < hi; ow++) {
                                float v = row[ow * d->sw + off], a = yr[ow];
                                bool take = a == a && (v > a || v != v || ir[ow] < 0);
                                yr[ow] = take ? v : a;
                                ir[ow] = take ? ih * W + ow * d->sw + off : ir[ow];
                            }
                        }
                    }
                }
                for (int64_t ow = 0; ow < OW; ow++) {
                    float v = yr[ow];
                    if (!maxp) {
                        window r = window_at(d, oh, ow);
                        v = r.area ? v / (float)r.area : 0.0f;
                    }
                    v = v < d->lo ? d->lo : v;
                    yr[ow] = v > d->hi ? d->hi : v;
                }
            }
        }
}

void pc_pool2d_f32(const pc_pool2d *d, const float *x, float *y, int64_t *indices) {
    if (d->kind != PC_POOL_ADAPTIVE_AVG && d->xs[2] == 1 && d->ys[2] == 1 && d->xs[3] != 1) {
        pool_rows(d, x, y, indices);
        return;
    }
    const pc_ukernels *uk = pc_uk(d->isa);
    const int64_t *xs = d->xs, *ys = d->ys;
    const int64_t dh = d->kind == PC_POOL_ADAPTIVE_AVG ? 1 : d->dh, dw = d->kind == PC_POOL_ADAPTIVE_AVG ? 1 : d->dw;
    const bool maxp = d->kind == PC_POOL_MAX;
    const bool channels_inner = xs[3] == 1 && ys[3] == 1; /* NHWC: vector over channels */
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++) {
                window r = window_at(d, oh, ow);
                int64_t hs = d->kind == PC_POOL_ADAPTIVE_AVG ? r.h0 : first_tap(oh * d->sh - d->pt, r.h0, dh);
                int64_t ws = d->kind == PC_POOL_ADAPTIVE_AVG ? r.w0 : first_tap(ow * d->sw - d->pl, r.w0, dw);
                float *yo = y + n * ys[0] + oh * ys[1] + ow * ys[2];
                const float *xn = x + n * xs[0];
                if (channels_inner && !indices) {
                    for (int64_t c = 0; c < d->C; c++) yo[c] = maxp ? -INFINITY : 0.0f;
                    for (int64_t ih = hs; ih < r.h1; ih += dh)
                        for (int64_t iw = ws; iw < r.w1; iw += dw) {
                            const float *xi = xn + ih * xs[1] + iw * xs[2];
                            if (maxp) uk->max_f32_strided((size_t)d->C, xi, 1, yo);
                            else uk->add_f32_strided((size_t)d->C, xi, 1, yo);
                        }
                    for (int64_t c = 0; c < d->C; c++) {
                        float v = maxp ? yo[c] : (r.area ? yo[c] / (float)r.area : 0.0f);
                        v = v < d->lo ? d->lo : v;
                        yo[c] = v > d->hi ? d->hi : v;
                    }
                    continue;
                }
                for (int64_t c = 0; c < d->C; c++) {
                    const float *xc = xn + c * xs[3];
                    float acc = maxp ? -INFINITY : 0.0f;
                    int64_t arg = -1;
                    for (int64_t ih = hs; ih < r.h1; ih += dh)
                        for (int64_t iw = ws; iw < r.w1; iw += dw) {
                            float v = xc[ih * xs[1] + iw * xs[2]];
                            if (!maxp) acc += v;
                            else if (v > acc || v != v || arg < 0) {
                                acc = v;
                                arg = ih * d->W + iw;
                                if (v != v) goto done; /* NaN wins */
                            }
                        }
                done:;
                    float v = maxp ? acc : (r.area ? acc / (float)r.area : 0.0f);
                    v = v < d->lo ? d->lo : v;
                    yo[c * ys[3]] = v > d->hi ? d->hi : v;
                    if (indices) indices[n * ys[0] + oh * ys[1] + ow * ys[2] + c * ys[3]] = arg;
                }
            }
}

void pc_avgpool2d_s8(const pc_pool2d *d, const int8_t *x, int8_t *y, int32_t lo, int32_t hi) {
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t c = 0; c < d->C; c++)
            for (int64_t oh = 0; oh < d->OH; oh++)
                for (int64_t ow = 0; ow < d->OW; ow++) {
                    window r = window_at(d, oh, ow);
                    int64_t sum = 0, count = 0;
                    for (int64_t ih = r.h0; ih < r.h1; ih++)
                        for (int64_t iw = r.w0; iw < r.w1; iw++) {
                            sum += x[n * d->xs[0] + ih * d->xs[1] + iw * d->xs[2] + c * d->xs[3]];
                            count++;
                        }
                    int64_t avg = count ? (sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count) : 0;
                    avg = avg < lo ? lo : (avg > hi ? hi : avg);
                    y[n * d->ys[0] + oh * d->ys[1] + ow * d->ys[2] + c * d->ys[3]] = (int8_t)avg;
                }
}

/* int8 / uint8 max pooling (NHWC, strides in d): the largest in-bounds tap of each window (dilated),
 * then [lo, hi] */
/* Channels contiguous in input and output (NHWC): each output pixel's row of C bytes is the running
 * maximum over the taps inside the image, taken on bytes flipped to unsigned order (x ^ 0x80 for int8,
 * so 0 stands for -128 as the reference's start value) in a loop the compiler vectorizes. */
static void maxpool_q8_rows(const pc_pool2d *d, const uint8_t *x, uint8_t *y, int is_unsigned, int32_t lo, int32_t hi) {
    const uint8_t flip = is_unsigned ? 0 : 0x80;
    const uint8_t flo = (uint8_t)((uint32_t)lo ^ flip), fhi = (uint8_t)((uint32_t)hi ^ flip); /* in range: see below */
    const size_t C = (size_t)d->C;
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++) {
                const int64_t hs = oh * d->sh - d->pt, ws = ow * d->sw - d->pl;
                uint8_t *restrict yo = y + n * d->ys[0] + oh * d->ys[1] + ow * d->ys[2];
                memset(yo, 0, C);
                for (int64_t kh = 0; kh < d->KH; kh++) {
                    const int64_t ih = hs + kh * d->dh;
                    if (ih < 0 || ih >= d->H) continue;
                    for (int64_t kw = 0; kw < d->KW; kw++) {
                        const int64_t iw = ws + kw * d->dw;
                        if (iw < 0 || iw >= d->W) continue;
                        const uint8_t *restrict src = x + n * d->xs[0] + ih * d->xs[1] + iw * d->xs[2];
                        for (size_t c = 0; c < C; c++) {
                            const uint8_t v = (uint8_t)(src[c] ^ flip);
                            yo[c] = v > yo[c] ? v : yo[c];
                        }
                    }
                }
                for (size_t c = 0; c < C; c++) {
                    const uint8_t v = yo[c] < flo ? flo : (yo[c] > fhi ? fhi : yo[c]);
                    yo[c] = (uint8_t)(v ^ flip);
                }
            }
}

void pc_maxpool2d_q8(const pc_pool2d *d, const uint8_t *x, uint8_t *y, int is_unsigned, int32_t lo, int32_t hi) {
    const int32_t tmin = is_unsigned ? 0 : -128, tmax = is_unsigned ? 255 : 127;
    if (d->xs[3] == 1 && d->ys[3] == 1 && tmin <= lo && lo <= hi && hi <= tmax) {
        maxpool_q8_rows(d, x, y, is_unsigned, lo, hi);
        return;
    }
    for (int64_t n = 0; n < d->N; n++)
        for (int64_t oh = 0; oh < d->OH; oh++)
            for (int64_t ow = 0; ow < d->OW; ow++) {
                const int64_t hs = oh * d->sh - d->pt, ws = ow * d->sw - d->pl;
                uint8_t *yo = y + n * d->ys[0] + oh * d->ys[1] + ow * d->ys[2];
                for (int64_t c = 0; c < d->C; c++) {
                    int32_t m = is_unsigned ? 0 : -128;
                    for (int64_t kh = 0; kh < d->KH; kh++) {
                        const int64_t ih = hs + kh * d->dh;
                        if (ih < 0 || ih >= d->H) continue;
                        for (int64_t kw = 0; kw < d->KW; kw++) {
                            const int64_t iw = ws + kw * d->dw;
                            if (iw < 0 || iw >= d->W) continue;
                            const uint8_t b = x[n * d->xs[0] + ih * d->xs[1] + iw * d->xs[2] + c * d->xs[3]];
                            const int32_t v = is_unsigned ? (int32_t)b : (int32_t)(int8_t)b;
                            m = v > m ? v : m;
                        }
                    }
                    m = m < lo ? lo : m > hi ? hi : m;
                    yo[c * d->ys[3]] = (uint8_t)m;
                }
            }
}

void pc_qmean_init(pc_qmean *m, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp, int64_t count, int32_t lo,
                   int32_t hi, int is_unsigned) {
    /* XNNPACK: scale = (in / out) * (1 / count); zero = out_zp - (count * in_zp) * scale, all in float */
    const float ratio = in_scale / out_scale, inv_count = 1.0f / (float)count;
    m->scale = ratio * inv_count;
    m->zero = (float)out_zp - ((float)(int32_t)count * (float)in_zp) * m->scale;
    m->lo = lo, m->hi = hi, m->is_unsigned = is_unsigned;
}

/* nearbyint, saturated to the type, then the clamp (XNNPACK's round_float_to_int) */
static int32_t qmean_out(const pc_qmean *m, int32_t sum) {
    float f = (float)sum * m->scale;
    f = f + m->zero;
    f = nearbyintf(f);
    const float tlo = m->is_unsigned ? 0.0f : -128.0f, thi = m->is_unsigned ? 255.0f : 127.0f;
    f = f < tlo ? tlo : f > thi ? thi : f;
    int32_t v = (int32_t)f;
    return v < m->lo ? m->lo : v > m->hi ? m->hi : v;
}

void pc_gavgpool_q8(int64_t N, int64_t HW, int64_t C, const uint8_t *x, uint8_t *y, const pc_qmean *m) {
    enum { CB = 256 };
    int32_t acc[CB];
    for (int64_t n = 0; n < N; n++)
        for (int64_t c0 = 0; c0 < C; c0 += CB) {
            const uint8_t *xn = x + n * HW * C + c0;
            const int64_t cb = C - c0 < CB ? C - c0 : CB;
            for (int64_t c = 0; c < cb; c++) acc[c] = 0;
            if (m->is_unsigned)
                for (int64_t p = 0; p < HW; p++)
                    for (int64_t c = 0; c < cb; c++) acc[c] += xn[p * C + c];
            else
                for (int64_t p = 0; p < HW; p++)
                    for (int64_t c = 0; c < cb; c++) acc[c] += (int8_t)xn[p * C + c];
            for (int64_t c = 0; c < cb; c++) y[n * C + c0 + c] = (uint8_t)qmean_out(m, acc[c]);
        }
}
