/* conv.c — aten::convolution.out for 1-D and 2-D NCHW float32 convolutions with groups, stride,
 * padding and dilation, and 2-D transposed convolution.
 *
 * 1x1 stride-1 unpadded convolutions are one GEMM per image and group; the rest run as direct
 * convolution that accumulates whole output rows (the inner loop is contiguous for stride 1). */
#include <string.h>

#include "kernels/gemm.h"
#include "kernels/kernel.h"
#include "kernels/kernels.h"

typedef struct conv2d {
    int64_t N, C, H, W, OC, OH, OW, KH, KW, sh, sw, ph, pw, dh, dw, groups;
} conv2d;

static void conv2d_direct(const conv2d *p, const float *x, const float *w, const float *bias, float *y) {
    int64_t icg = p->C / p->groups, ocg = p->OC / p->groups;
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t g = 0; g < p->groups; g++)
            for (int64_t oc = 0; oc < ocg; oc++) {
                int64_t o = g * ocg + oc;
                float *yp = y + (n * p->OC + o) * p->OH * p->OW;
                float b = bias ? bias[o] : 0.0f;
                for (int64_t i = 0; i < p->OH * p->OW; i++) yp[i] = b;
                for (int64_t ic = 0; ic < icg; ic++) {
                    const float *xp = x + (n * p->C + g * icg + ic) * p->H * p->W;
                    const float *wp = w + (o * icg + ic) * p->KH * p->KW;
                    for (int64_t kh = 0; kh < p->KH; kh++)
                        for (int64_t kw = 0; kw < p->KW; kw++) {
                            float wv = wp[kh * p->KW + kw];
                            int64_t xoff = kw * p->dw - p->pw;
                            /* ow range with 0 <= ow*sw + xoff < W */
                            int64_t ow0 = xoff >= 0 ? 0 : (-xoff + p->sw - 1) / p->sw;
                            int64_t ow1 = p->W - xoff <= 0 ? 0 : (p->W - xoff + p->sw - 1) / p->sw;
                            if (ow1 > p->OW) ow1 = p->OW;
                            for (int64_t oh = 0; oh < p->OH; oh++) {
                                int64_t ih = oh * p->sh - p->ph + kh * p->dh;
                                if (ih < 0 || ih >= p->H) continue;
                                const float *xr = xp + ih * p->W + xoff;
                                float *yr = yp + oh * p->OW;
                                if (p->sw == 1)
                                    for (int64_t ow = ow0; ow < ow1; ow++) yr[ow] += wv * xr[ow];
                                else
                                    for (int64_t ow = ow0; ow < ow1; ow++) yr[ow] += wv * xr[ow * p->sw];
                            }
                        }
                }
            }
}

static void conv2d_1x1(const conv2d *p, const float *x, const float *w, const float *bias, float *y) {
    int64_t icg = p->C / p->groups, ocg = p->OC / p->groups, hw = p->H * p->W;
    for (int64_t n = 0; n < p->N; n++)
        for (int64_t g = 0; g < p->groups; g++) {
            float *yp = y + (n * p->OC + g * ocg) * hw;
            for (int64_t o = 0; o < ocg; o++) {
                float b = bias ? bias[g * ocg + o] : 0.0f;
                for (int64_t i = 0; i < hw; i++) yp[o * hw + i] = b;
            }
            pk_gemm_f32(ocg, hw, icg, 1.0f, w + g * ocg * icg, icg, x + (n * p->C + g * icg) * hw, hw, 0,
                        1.0f, yp, hw);
        }
}

/* transposed: y[n, g*ocg+oc, ih*s - p + kh*d] += x[n, g*icg+ic, ih] * w[g*icg+ic, oc, kh, kw] */
static void conv2d_transposed(const conv2d *p, const float *x, const float *w, const float *bias, float *y) {
    int64_t icg = p->C / p->groups, ocg = p->OC / p->groups;
    for (int64_t n = 0; n < p->N; n++) {
        for (int64_t o = 0; o < p->OC; o++) {
            float *yp = y + (n * p->OC + o) * p->OH * p->OW;
            for (int64_t i = 0; i < p->OH * p->OW; i++) yp[i] = bias ? bias[o] : 0.0f;
        }
        for (int64_t g = 0; g < p->groups; g++)
            for (int64_t ic = 0; ic < icg; ic++) {
                const float *xp = x + (n * p->C + g * icg + ic) * p->H * p->W;
                for (int64_t oc = 0; oc < ocg; oc++) {
                    const float *wp = w + ((g * icg + ic) * ocg + oc) * p->KH * p->KW;
                    float *yp = y + (n * p->OC + g * ocg + oc) * p->OH * p->OW;
                    for (int64_t ih = 0; ih < p->H; ih++)
                        for (int64_t kh = 0; kh < p->KH; kh++) {
                            int64_t oh = ih * p->sh - p->ph + kh * p->dh;
                            if (oh < 0 || oh >= p->OH) continue;
                            for (int64_t iw = 0; iw < p->W; iw++) {
                                float xv = xp[ih * p->W + iw];
                                for (int64_t kw = 0; kw < p->KW; kw++) {
                                    int64_t ow = iw * p->sw - p->pw + kw * p->dw;
                                    if (ow >= 0 && ow < p->OW) yp[oh * p->OW + ow] += xv * wp[kh * p->KW + kw];
                                }
                            }
                        }
                }
            }
    }
}

static petite_status int_list(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                              int64_t *v, int32_t want, int64_t fill) {
    int32_t n;
    bool present;
    petite_status s = pk_opt_int_list(c, args, i, name, v, &n, &present);
    if (s) return s;
    if (n == 1 && want == 2) v[1] = v[0], n = 2;
    if (n == 0) {
        for (int32_t k = 0; k < want; k++) v[k] = fill;
        n = want;
    }
    if (n != want)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s has %d values, expected %d", name, (int)n, (int)want);
    return PETITE_OK;
}

/* convolution.out(Tensor input, Tensor weight, Tensor? bias, int[] stride, int[] padding,
 *                 int[] dilation, bool transposed, int[] output_padding, int groups, *, Tensor(a!) out) */
petite_status pk_convolution_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *w, *out, *b = NULL;
    bool transposed;
    int64_t groups, stride[2], pad[2], dil[2], opad[2];
    petite_status s;
    if ((s = pk_nargs(c, nargs, 11)) || (s = pk_tensor(c, args, 0, "input", &x)) ||
        (s = pk_tensor(c, args, 1, "weight", &w)))
        return s;
    if (args[2]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 2, "bias", &b))) return s;
    if (b && b->numel == 0) b = NULL; /* an empty tensor stands for None in some writers */
    int32_t sd = x->rank - 2;
    if (sd != 1 && sd != 2)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "convolution of rank %d (only 1-D and 2-D)", (int)x->rank);
    if ((s = int_list(c, args, 3, "stride", stride, sd, 1)) || (s = int_list(c, args, 4, "padding", pad, sd, 0)) ||
        (s = int_list(c, args, 5, "dilation", dil, sd, 1)) || (s = pk_bool_arg(c, args, 6, "transposed", &transposed)) ||
        (s = int_list(c, args, 7, "output_padding", opad, sd, 0)) || (s = pk_int_arg(c, args, 8, "groups", &groups)) ||
        (s = pk_out(c, args, 9, &out)))
        return s;
    if (x->dtype != PETITE_FLOAT32 || w->dtype != PETITE_FLOAT32 || out->dtype != PETITE_FLOAT32 ||
        (b && b->dtype != PETITE_FLOAT32))
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "convolution: only float32 is supported");
    if (!x->contiguous || !w->contiguous || !out->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "convolution: only contiguous (NCHW) tensors are supported");
    if (w->rank != x->rank) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "weight rank differs from input rank");
    conv2d p;
    p.N = x->sizes[0];
    p.C = x->sizes[1];
    p.H = sd == 2 ? x->sizes[2] : 1;
    p.W = x->sizes[sd == 2 ? 3 : 2];
    p.KH = sd == 2 ? w->sizes[2] : 1;
    p.KW = w->sizes[sd == 2 ? 3 : 2];
    p.sh = sd == 2 ? stride[0] : 1; p.sw = stride[sd - 1];
    p.ph = sd == 2 ? pad[0] : 0;    p.pw = pad[sd - 1];
    p.dh = sd == 2 ? dil[0] : 1;    p.dw = dil[sd - 1];
    p.groups = groups;
    if (groups < 1 || p.C % groups || p.sh < 1 || p.sw < 1 || p.dh < 1 || p.dw < 1 || p.ph < 0 || p.pw < 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "convolution: bad groups/stride/padding/dilation");
    if (!transposed) {
        p.OC = w->sizes[0];
        if (w->sizes[1] * groups != p.C || p.OC % groups)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "weight [%lld, %lld, ...] does not fit %lld input channels in %lld groups",
                           (long long)w->sizes[0], (long long)w->sizes[1], (long long)p.C, (long long)groups);
        p.OH = (p.H + 2 * p.ph - p.dh * (p.KH - 1) - 1) / p.sh + 1;
        p.OW = (p.W + 2 * p.pw - p.dw * (p.KW - 1) - 1) / p.sw + 1;
    } else {
        p.OC = w->sizes[1] * groups;
        if (w->sizes[0] != p.C)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "transposed weight does not fit the input channels");
        p.OH = (p.H - 1) * p.sh - 2 * p.ph + p.dh * (p.KH - 1) + (sd == 2 ? opad[0] : 0) + 1;
        p.OW = (p.W - 1) * p.sw - 2 * p.pw + p.dw * (p.KW - 1) + opad[sd - 1] + 1;
    }
    if (p.OH < 1 || p.OW < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "convolution: empty output");
    if (b && b->numel != p.OC) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bias has %lld values for %lld channels",
                                              (long long)b->numel, (long long)p.OC);
    int64_t osz[4] = {p.N, p.OC, p.OH, p.OW};
    if (sd == 1) osz[2] = p.OW;
    if ((s = pt_tensor_resize(out, x->rank, osz, c->err))) return pt_prefix(c->err, "out");
    const float *bias = b ? b->data : NULL;
    if (transposed) conv2d_transposed(&p, x->data, w->data, bias, out->data);
    else if (p.KH == 1 && p.KW == 1 && p.sh == 1 && p.sw == 1 && p.ph == 0 && p.pw == 0)
        conv2d_1x1(&p, x->data, w->data, bias, out->data);
    else conv2d_direct(&p, x->data, w->data, bias, out->data);
    return PETITE_OK;
}
