/* pool.c — 2-D pooling over NCHW float32: max_pool2d_with_indices.out, avg_pool2d.out,
 * _adaptive_avg_pool2d.out. */
#include <math.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static petite_status nchw(petite_kernel_ctx *c, const pt_tensor *x) {
    if (x->dtype != PETITE_FLOAT32 || !x->contiguous || (x->rank != 4 && x->rank != 3))
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "pooling needs a contiguous float32 [N,]C,H,W tensor");
    return PETITE_OK;
}

static int64_t pool_out(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d, bool ceil_mode) {
    int64_t num = in + 2 * p - d * (k - 1) - 1 + (ceil_mode ? s - 1 : 0);
    int64_t o = num / s + 1;
    if (ceil_mode && (o - 1) * s >= in + p) o--; /* the last window must start inside the input */
    return o;
}

/* max_pool2d_with_indices.out(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0,
 *   int[2] dilation=1, bool ceil_mode=False, *, Tensor(a!) out, Tensor(b!) indices) */
petite_status pk_max_pool2d_with_indices_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out, *ind;
    int64_t k[2], st[2], pd[2], dl[2];
    bool ceil_mode;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 9)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = nchw(c, x)) ||
        (s = pk_int_pair(c, args, 1, "kernel_size", k, (const int64_t[2]){1, 1})))
        return s;
    if ((s = pk_int_pair(c, args, 2, "stride", st, (const int64_t[2]){k[0], k[1]})) || (s = pk_int_pair(c, args, 3, "padding", pd, (const int64_t[2]){0, 0})) ||
        (s = pk_int_pair(c, args, 4, "dilation", dl, (const int64_t[2]){1, 1})) || (s = pk_bool_arg(c, args, 5, "ceil_mode", &ceil_mode)) ||
        (s = pk_out(c, args, 6, &out)) || (s = pk_out(c, args, 7, &ind)))
        return s;
    if (k[0] < 1 || k[1] < 1 || st[0] < 1 || st[1] < 1 || dl[0] < 1 || dl[1] < 1 || pd[0] < 0 || pd[1] < 0 ||
        pd[0] * 2 > k[0] || pd[1] * 2 > k[1])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad kernel_size/stride/padding/dilation");
    int32_t r = x->rank;
    int64_t H = x->sizes[r - 2], W = x->sizes[r - 1], planes = H * W > 0 ? x->numel / (H * W) : 0;
    int64_t OH = pool_out(H, k[0], st[0], pd[0], dl[0], ceil_mode), OW = pool_out(W, k[1], st[1], pd[1], dl[1], ceil_mode);
    int64_t osz[4];
    for (int32_t d = 0; d < r - 2; d++) osz[d] = x->sizes[d];
    osz[r - 2] = OH, osz[r - 1] = OW;
    if (out->dtype != PETITE_FLOAT32) return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "out must be float32");
    if ((s = pt_tensor_resize(out, r, osz, c->err))) return pt_prefix(c->err, "out");
    bool want_ind = ind->dtype == PETITE_INT64 && pt_tensor_resize(ind, r, osz, c->err) == PETITE_OK;
    const float *xd = x->data;
    float *y = out->data;
    int64_t *id = want_ind ? ind->data : NULL;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                float best = -INFINITY;
                int64_t arg = -1;
                for (int64_t i = 0; i < k[0]; i++) {
                    int64_t ih = oh * st[0] - pd[0] + i * dl[0];
                    if (ih < 0 || ih >= H) continue;
                    for (int64_t j = 0; j < k[1]; j++) {
                        int64_t iw = ow * st[1] - pd[1] + j * dl[1];
                        if (iw < 0 || iw >= W) continue;
                        float v = xd[(p * H + ih) * W + iw];
                        if (v > best || v != v || arg < 0) {
                            best = v;
                            arg = ih * W + iw;
                            if (v != v) goto done;
                        }
                    }
                }
            done:
                y[(p * OH + oh) * OW + ow] = best;
                if (id) id[(p * OH + oh) * OW + ow] = arg;
            }
    return PETITE_OK;
}

/* avg_pool2d.out(Tensor self, int[2] kernel_size, int[2] stride=[], int[2] padding=0,
 *   bool ceil_mode=False, bool count_include_pad=True, int? divisor_override=None, *, Tensor(a!) out) */
petite_status pk_avg_pool2d_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t k[2], st[2], pd[2], divisor = 0;
    bool ceil_mode, include_pad;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 9)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = nchw(c, x)) ||
        (s = pk_int_pair(c, args, 1, "kernel_size", k, (const int64_t[2]){1, 1})))
        return s;
    if ((s = pk_int_pair(c, args, 2, "stride", st, (const int64_t[2]){k[0], k[1]})) || (s = pk_int_pair(c, args, 3, "padding", pd, (const int64_t[2]){0, 0})) ||
        (s = pk_bool_arg(c, args, 4, "ceil_mode", &ceil_mode)) ||
        (s = pk_bool_arg(c, args, 5, "count_include_pad", &include_pad)) ||
        (args[6]->kind != PETITE_KIND_NONE && (s = pk_int_arg(c, args, 6, "divisor_override", &divisor))) ||
        (s = pk_out(c, args, 7, &out)))
        return s;
    if (k[0] < 1 || k[1] < 1 || st[0] < 1 || st[1] < 1 || pd[0] < 0 || pd[1] < 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad kernel_size/stride/padding");
    int32_t r = x->rank;
    int64_t H = x->sizes[r - 2], W = x->sizes[r - 1], planes = H * W > 0 ? x->numel / (H * W) : 0;
    int64_t OH = pool_out(H, k[0], st[0], pd[0], 1, ceil_mode), OW = pool_out(W, k[1], st[1], pd[1], 1, ceil_mode);
    int64_t osz[4];
    for (int32_t d = 0; d < r - 2; d++) osz[d] = x->sizes[d];
    osz[r - 2] = OH, osz[r - 1] = OW;
    if ((s = pt_tensor_resize(out, r, osz, c->err))) return pt_prefix(c->err, "out");
    const float *xd = x->data;
    float *y = out->data;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < OH; oh++)
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t h0 = oh * st[0] - pd[0], w0 = ow * st[1] - pd[1];
                int64_t h1 = h0 + k[0] < H + pd[0] ? h0 + k[0] : H + pd[0];
                int64_t w1 = w0 + k[1] < W + pd[1] ? w0 + k[1] : W + pd[1];
                int64_t pool = (h1 - h0) * (w1 - w0);
                int64_t hs = h0 < 0 ? 0 : h0, ws = w0 < 0 ? 0 : w0, he = h1 > H ? H : h1, we = w1 > W ? W : w1;
                float sum = 0;
                for (int64_t ih = hs; ih < he; ih++)
                    for (int64_t iw = ws; iw < we; iw++) sum += xd[(p * H + ih) * W + iw];
                int64_t div = divisor ? divisor : (include_pad ? pool : (he - hs) * (we - ws));
                y[(p * OH + oh) * OW + ow] = div ? sum / (float)div : 0.0f;
            }
    return PETITE_OK;
}

/* _adaptive_avg_pool2d.out(Tensor self, SymInt[2] output_size, *, Tensor(a!) out) */
petite_status pk_adaptive_avg_pool2d_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t os[2];
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &x)) || (s = nchw(c, x)) ||
        (s = pk_int_pair(c, args, 1, "output_size", os, (const int64_t[2]){1, 1})) || (s = pk_out(c, args, 2, &out)))
        return s;
    int32_t r = x->rank;
    int64_t H = x->sizes[r - 2], W = x->sizes[r - 1], planes = H * W > 0 ? x->numel / (H * W) : 0;
    if (os[0] < 1 || os[1] < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad output_size");
    int64_t osz[4];
    for (int32_t d = 0; d < r - 2; d++) osz[d] = x->sizes[d];
    osz[r - 2] = os[0], osz[r - 1] = os[1];
    if ((s = pt_tensor_resize(out, r, osz, c->err))) return pt_prefix(c->err, "out");
    const float *xd = x->data;
    float *y = out->data;
    for (int64_t p = 0; p < planes; p++)
        for (int64_t oh = 0; oh < os[0]; oh++) {
            int64_t h0 = oh * H / os[0], h1 = ((oh + 1) * H + os[0] - 1) / os[0];
            for (int64_t ow = 0; ow < os[1]; ow++) {
                int64_t w0 = ow * W / os[1], w1 = ((ow + 1) * W + os[1] - 1) / os[1];
                float sum = 0;
                for (int64_t ih = h0; ih < h1; ih++)
                    for (int64_t iw = w0; iw < w1; iw++) sum += xd[(p * H + ih) * W + iw];
                y[(p * os[0] + oh) * os[1] + ow] = sum / (float)((h1 - h0) * (w1 - w0));
            }
        }
    return PETITE_OK;
}
