/* cortex_m.c — the cortex_m:: int8 operator set (ExecuTorch's Cortex-M backend ops, computed with
 * CMSIS-NN's arithmetic): quantized_conv2d, quantized_depthwise_conv2d, quantized_avg_pool2d,
 * quantized_linear, pad (quantize/dequantize_per_tensor are the ones in quant.c). Adapters onto the
 * compute layer's int8 convolution, fully connected and average pooling with CMSIS-NN
 * requantization; tensors are passed with their strides, so the channels-last (NHWC) layouts these
 * programs use work as-is. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static inline int32_t clamp_i(int64_t v, int64_t lo, int64_t hi) { return (int32_t)(v < lo ? lo : (v > hi ? hi : v)); }

/* offsets, zero points and activation bounds come from the file: keep them where the
 * arithmetic below cannot overflow (int8 data needs |offset| <= 255) */
static petite_status bounded(petite_kernel_ctx *c, int64_t v, const char *name) {
    if (v < -65536 || v > 65536) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s %lld is out of range", name, (long long)v);
    return PETITE_OK;
}

static petite_status need(petite_kernel_ctx *c, const pt_tensor *t, int32_t dtype, int32_t rank, const char *name) {
    if (t->dtype != dtype || (rank >= 0 && t->rank != rank))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s must be a rank-%d %s tensor", name, (int)rank,
                       petite_dtype_name(dtype));
    return PETITE_OK;
}

/* element (n, ch, h, w) of a 4-D tensor through its strides */
#define AT4(t, n, ch, h, w) ((n) * (t)->strides[0] + (ch) * (t)->strides[1] + (h) * (t)->strides[2] + (w) * (t)->strides[3])

static petite_status conv(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool depthwise) {
    size_t k = depthwise ? 1 : 0; /* depthwise has depth_multiplier after dilation */
    pt_tensor *x, *w, *b = NULL, *mult, *shift, *out;
    int64_t st[2], pd[2], dl[2], dm = 1, in_off, out_off, amin, amax;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 15 + k)) || (s = pk_tensor(c, args, 0, "input", &x)) ||
        (s = pk_tensor(c, args, 1, "weight", &w)) ||
        (args[2]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 2, "bias", &b))) ||
        (s = pk_int_pair(c, args, 3, "stride", st, NULL)) || (s = pk_int_pair(c, args, 4, "padding", pd, NULL)) ||
        (s = pk_int_pair(c, args, 5, "dilation", dl, NULL)) ||
        (depthwise && (s = pk_int_arg(c, args, 6, "depth_multiplier", &dm))) ||
        (s = pk_int_arg(c, args, 6 + k, "input_offset", &in_off)) || (s = pk_int_arg(c, args, 7 + k, "output_offset", &out_off)) ||
        (s = pk_tensor(c, args, 8 + k, "requantize_multipliers", &mult)) ||
        (s = pk_tensor(c, args, 9 + k, "requantize_shifts", &shift)) ||
        (s = pk_int_arg(c, args, 10 + k, "activation_min", &amin)) || (s = pk_int_arg(c, args, 11 + k, "activation_max", &amax)) ||
        (s = pk_out(c, args, 13 + k, &out)) || (s = bounded(c, in_off, "input_offset")) ||
        (s = bounded(c, out_off, "output_offset")) || (s = bounded(c, amin, "activation_min")) ||
        (s = bounded(c, amax, "activation_max")))
        return s;
    if ((s = need(c, x, PETITE_INT8, 4, "input")) || (s = need(c, w, PETITE_INT8, 4, "weight")) ||
        (s = need(c, out, PETITE_INT8, 4, "out")) || (s = need(c, mult, PETITE_INT32, 1, "requantize_multipliers")) ||
        (s = need(c, shift, PETITE_INT32, 1, "requantize_shifts")) || (b && (s = need(c, b, PETITE_INT32, 1, "bias"))))
        return s;
    if (!w->contiguous || !mult->contiguous || !shift->contiguous)
        return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "weights and quantization parameters must be contiguous");
    int64_t N = x->sizes[0], C = x->sizes[1], H = x->sizes[2], W = x->sizes[3];
    int64_t OC = depthwise ? w->sizes[3] : w->sizes[0], KH = w->sizes[1], KW = w->sizes[2];
    int64_t IC = depthwise ? 1 : w->sizes[3];
    if (st[0] < 1 || st[1] < 1 || dl[0] < 1 || dl[1] < 1 || pd[0] < 0 || pd[1] < 0 || dm < 1 ||
        (depthwise ? C * dm != OC : IC != C) || mult->numel != OC || shift->numel != OC || (b && b->numel != OC))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "convolution parameters do not fit the tensors");
    int64_t OH = (H + 2 * pd[0] - dl[0] * (KH - 1) - 1) / st[0] + 1, OW = (W + 2 * pd[1] - dl[1] * (KW - 1) - 1) / st[1] + 1;
    int64_t osz[4] = {N, OC, OH, OW};
    if (OH < 1 || OW < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "empty output");
    if ((s = pt_tensor_resize(out, 4, osz, c->err))) return pt_prefix(c->err, "out");
    const int32_t *md = mult->data, *sd = shift->data;
    for (int64_t oc = 0; oc < OC; oc++)
        if (sd[oc] < -31 || sd[oc] > 31) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "shift %d out of range", sd[oc]);
    /* tensors are logical NCHW: (n, h, w, c) strides from their dim order */
    pc_conv2d_s8 d = {N, H, W, C, OC, OH, OW, KH, KW, st[0], st[1], dl[0], dl[1], pd[0], pd[1], depthwise ? C : 1, depthwise,
                      {x->strides[0], x->strides[2], x->strides[3], x->strides[1]},
                      {out->strides[0], out->strides[2], out->strides[3], out->strides[1]},
                      {0, 0, 0, 0}, (int32_t)-in_off, 0, 0, 0};
    if (depthwise) d.ws[0] = 1, d.ws[1] = KW * OC, d.ws[2] = OC, d.ws[3] = 0;
    else d.ws[0] = KH * KW * IC, d.ws[1] = KW * IC, d.ws[2] = IC, d.ws[3] = 1;
    pc_requant rq = {PC_REQ_CMSIS, NULL, md, sd, 1, (int32_t)out_off, (int32_t)amin, (int32_t)amax};
    pc_conv2d_s8_run(&d, x->data, w->data, b ? b->data : NULL, &rq, out->data);
    return PETITE_OK;
}

petite_status pk_cm_quantized_conv2d_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return conv(c, a, n, false); }
petite_status pk_cm_quantized_depthwise_conv2d_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return conv(c, a, n, true); }

/* quantized_avg_pool2d.out(Tensor input, int[] kernel_size, int[] stride, int[] padding, bool ceil_mode,
 *   int zero_point, int multiplier, int shift, Tensor scratch, *, out): CMSIS-NN arm_avgpool_s8,
 *   averaging the in-bounds elements with rounding half away from zero */
petite_status pk_cm_quantized_avg_pool2d_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t kk[2], st[2], pd[2];
    bool ceil_mode;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 11)) || (s = pk_tensor(c, args, 0, "input", &x)) ||
        (s = pk_int_pair(c, args, 1, "kernel_size", kk, NULL)) || (s = pk_int_pair(c, args, 2, "stride", st, NULL)) ||
        (s = pk_int_pair(c, args, 3, "padding", pd, NULL)) || (s = pk_bool_arg(c, args, 4, "ceil_mode", &ceil_mode)) ||
        (s = pk_out(c, args, 9, &out)) || (s = need(c, x, PETITE_INT8, 4, "input")) || (s = need(c, out, PETITE_INT8, 4, "out")))
        return s;
    if (kk[0] < 1 || kk[1] < 1 || st[0] < 1 || st[1] < 1 || pd[0] < 0 || pd[1] < 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad kernel_size/stride/padding");
    int64_t N = x->sizes[0], C = x->sizes[1], H = x->sizes[2], W = x->sizes[3];
    int64_t OH = (H + 2 * pd[0] - kk[0]) / st[0] + 1, OW = (W + 2 * pd[1] - kk[1]) / st[1] + 1;
    if (ceil_mode) {
        if ((H + 2 * pd[0] - kk[0]) % st[0]) OH++;
        if ((W + 2 * pd[1] - kk[1]) % st[1]) OW++;
        if ((OH - 1) * st[0] >= H + pd[0]) OH--;
        if ((OW - 1) * st[1] >= W + pd[1]) OW--;
    }
    int64_t osz[4] = {N, C, OH, OW};
    if (OH < 1 || OW < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "empty output");
    if ((s = pt_tensor_resize(out, 4, osz, c->err))) return pt_prefix(c->err, "out");
    pc_pool2d d;
    memset(&d, 0, sizeof d);
    d.kind = PC_POOL_AVG, d.N = N, d.C = C, d.H = H, d.W = W, d.OH = OH, d.OW = OW, d.KH = kk[0], d.KW = kk[1];
    d.sh = st[0], d.sw = st[1], d.dh = d.dw = 1, d.pt = pd[0], d.pl = pd[1];
    int64_t xs[4] = {x->strides[0], x->strides[2], x->strides[3], x->strides[1]};
    int64_t ys[4] = {out->strides[0], out->strides[2], out->strides[3], out->strides[1]};
    memcpy(d.xs, xs, sizeof xs);
    memcpy(d.ys, ys, sizeof ys);
    pc_avgpool2d_s8(&d, x->data, out->data, -128, 127);
    return PETITE_OK;
}

/* quantized_linear.out(Tensor input, Tensor weights, Tensor? bias, Tensor? kernel_sum, Scalar input_offset,
 *   Scalar filter_offset, Scalar output_offset, int[] requantize_multipliers, int[] requantize_shifts,
 *   Scalar activation_max, Scalar activation_min, *, out): per-tensor or per-channel requantization */
petite_status pk_cm_quantized_linear_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *w, *b = NULL, *out;
    pk_scalar in_off, f_off, out_off, a1, a2;
    int64_t mult[PETITE_MAX_RANK], shift[PETITE_MAX_RANK];
    int32_t nm, ns;
    bool present;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 13)) || (s = pk_tensor(c, args, 0, "input", &x)) ||
        (s = pk_tensor(c, args, 1, "weights", &w)) ||
        (args[2]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 2, "bias", &b))) ||
        (s = pk_scalar_arg(c, args, 4, "input_offset", &in_off)) || (s = pk_scalar_arg(c, args, 5, "filter_offset", &f_off)) ||
        (s = pk_scalar_arg(c, args, 6, "output_offset", &out_off)) ||
        (s = pk_opt_int_list(c, args, 7, "requantize_multipliers", mult, &nm, &present)) ||
        (s = pk_opt_int_list(c, args, 8, "requantize_shifts", shift, &ns, &present)) ||
        (s = pk_scalar_arg(c, args, 9, "activation_max", &a1)) || (s = pk_scalar_arg(c, args, 10, "activation_min", &a2)) ||
        (s = pk_out(c, args, 11, &out)) || (s = bounded(c, in_off.i, "input_offset")) ||
        (s = bounded(c, f_off.i, "filter_offset")) || (s = bounded(c, out_off.i, "output_offset")) ||
        (s = bounded(c, a1.i, "activation_max")) || (s = bounded(c, a2.i, "activation_min")) ||
        (s = need(c, x, PETITE_INT8, -1, "input")) ||
        (s = need(c, w, PETITE_INT8, 2, "weights")) || (s = need(c, out, PETITE_INT8, -1, "out")) ||
        (b && (s = need(c, b, PETITE_INT32, 1, "bias"))))
        return s;
    int64_t OUT = w->sizes[0], IN = w->sizes[1];
    if (!x->contiguous || !w->contiguous || !out->contiguous || x->rank < 1 || x->sizes[x->rank - 1] != IN ||
        (b && b->numel != OUT) || nm < 1 || nm != ns || (nm != 1 && nm != OUT))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "quantized_linear: shapes or requantization parameters do not fit");
    int64_t osz[PETITE_MAX_RANK];
    memcpy(osz, x->sizes, (size_t)x->rank * sizeof *osz);
    osz[x->rank - 1] = OUT;
    if ((s = pt_tensor_resize(out, x->rank, osz, c->err))) return pt_prefix(c->err, "out");
    int64_t lo = a1.i < a2.i ? a1.i : a2.i, hi = a1.i < a2.i ? a2.i : a1.i;
    for (int32_t k = 0; k < nm; k++)
        if (shift[k] < -31 || shift[k] > 31 || mult[k] < INT32_MIN || mult[k] > INT32_MAX)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "requantization parameter out of range");
    int64_t rows = IN ? x->numel / IN : 0;
    int32_t m32[PETITE_MAX_RANK], s32[PETITE_MAX_RANK];
    for (int32_t k = 0; k < nm; k++) m32[k] = (int32_t)mult[k], s32[k] = (int32_t)shift[k];
    pc_fc_s8 d = {rows, OUT, IN, IN, 1, (int32_t)-in_off.i, (int32_t)-f_off.i, 0, 0};
    pc_requant rq = {PC_REQ_CMSIS, NULL, m32, s32, nm != 1, (int32_t)out_off.i, (int32_t)lo, (int32_t)hi};
    pc_fc_s8_run(&d, x->data, w->data, b ? b->data : NULL, &rq, out->data);
    return PETITE_OK;
}

/* pad.out(Tensor input, int[] pre_pad, int[] post_pad, Scalar pad_value, *, out): per-dim padding
 * in logical dim order */
petite_status pk_cm_pad_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *x, *out;
    int64_t pre[PETITE_MAX_RANK], post[PETITE_MAX_RANK];
    int32_t n1, n2;
    bool present;
    pk_scalar value;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "input", &x)) ||
        (s = pk_opt_int_list(c, args, 1, "pre_pad", pre, &n1, &present)) ||
        (s = pk_opt_int_list(c, args, 2, "post_pad", post, &n2, &present)) ||
        (s = pk_scalar_arg(c, args, 3, "pad_value", &value)) || (s = pk_out(c, args, 4, &out)))
        return s;
    if (n1 != x->rank || n2 != x->rank || x->dtype != out->dtype || petite_dtype_size(x->dtype) != 1)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "pad: one pre and post pad per dim, int8 tensors");
    int64_t osz[PETITE_MAX_RANK];
    for (int32_t d = 0; d < x->rank; d++) {
        if (pre[d] < 0 || post[d] < 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "negative padding");
        osz[d] = x->sizes[d] + pre[d] + post[d];
    }
    if ((s = pt_tensor_resize(out, x->rank, osz, c->err))) return pt_prefix(c->err, "out");
    if (x->data == out->data) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "out aliases input");
    int8_t *y = out->data;
    int8_t v = (int8_t)clamp_i(value.kind == PETITE_KIND_DOUBLE ? (int64_t)value.d : value.i, -128, 127);
    for (int64_t i = 0; i < out->numel; i++) y[i] = v; /* every element, whatever the layout */
    int64_t base = 0;
    for (int32_t d = 0; d < x->rank; d++) base += pre[d] * out->strides[d];
    pk_copy_into_window(x, out, base);
    return PETITE_OK;
}
