/* quant.c — quantize/dequantize operators: quantized_decomposed::{quantize,dequantize}_per_tensor.out
 * and _per_channel.out (also registered as cortex_m::{quantize,dequantize}_per_tensor.out, which
 * share the per-tensor schema). q = clamp(round_half_even(x / scale) + zero_point, qmin, qmax);
 * x = (q - zero_point) * scale. Quantized dtypes: int8, uint8, int16, int32. */
#include <math.h>
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

static bool qdtype(int32_t d) {
    return d == PETITE_INT8 || d == PETITE_UINT8 || d == PETITE_INT16 || d == PETITE_INT32;
}

static petite_status check_params(petite_kernel_ctx *c, int64_t zp, int64_t qmin, int64_t qmax) {
    if (zp < INT32_MIN || zp > INT32_MAX || qmin > qmax || qmin < INT32_MIN || qmax > INT32_MAX)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "zero_point %lld or range [%lld, %lld] is invalid",
                       (long long)zp, (long long)qmin, (long long)qmax);
    return PETITE_OK;
}

static int64_t quantize1(double x, double inv_scale, int64_t zp, int64_t qmin, int64_t qmax) {
    double v = x * inv_scale;
    if (v != v) return zp < qmin ? qmin : (zp > qmax ? qmax : zp);
    int64_t q = v > 4e9 ? qmax : (v < -4e9 ? qmin : (int64_t)nearbyint(v) + zp);
    return q < qmin ? qmin : (q > qmax ? qmax : q);
}

/* scale and zero point of element `k` of the walk: per tensor, or per index along `axis` */
typedef struct qparams {
    double scale;
    int64_t zp;
    const pt_tensor *scales, *zps; /* per channel */
    int32_t axis;
} qparams;

static petite_status convert(petite_kernel_ctx *c, const pt_tensor *in, pt_tensor *out, const qparams *p,
                             int64_t qmin, int64_t qmax, bool quantize) {
    petite_status s = pt_tensor_resize(out, in->rank, in->sizes, c->err);
    if (s) return pt_prefix(c->err, "out");
    pc_iter it;
    pc_iter_init(&it, in->rank, in->sizes);
    memcpy(it.strides[0], in->strides, (size_t)in->rank * sizeof(int64_t));
    memcpy(it.strides[1], out->strides, (size_t)in->rank * sizeof(int64_t));
    for (int64_t k = 0; k < in->numel; k++, pc_iter_next(&it, 2)) {
        double scale = p->scale;
        int64_t zp = p->zp;
        if (p->scales) {
            int64_t ch = it.idx[p->axis];
            scale = pt_load_f64(p->scales->data, p->scales->dtype, ch);
            zp = p->zps ? pt_load_i64(p->zps->data, p->zps->dtype, ch) : 0;
        }
        if (quantize)
            pt_store_i64(out->data, out->dtype, it.off[1],
                         quantize1(pt_load_f64(in->data, in->dtype, it.off[0]), 1.0 / scale, zp, qmin, qmax));
        else
            pt_store_f64(out->data, out->dtype, it.off[1],
                         (double)(float)((double)(pt_load_i64(in->data, in->dtype, it.off[0]) - zp) * (float)scale));
    }
    return PETITE_OK;
}

/* quantize_per_tensor.out(Tensor input, float scale, int zero_point, int quant_min, int quant_max,
 *                         ScalarType dtype, *, Tensor(a!) out)
 * dequantize_per_tensor.out(..., ScalarType dtype, *, ScalarType? out_dtype=None, Tensor(a!) out) */
static petite_status per_tensor(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool quantize) {
    pt_tensor *in, *out;
    pk_scalar scale;
    int64_t zp, qmin, qmax, dtype;
    size_t out_at = nargs == 9 ? 7 : 6; /* dequantize may carry out_dtype */
    petite_status s;
    if ((nargs != 8 && !(nargs == 9 && !quantize)) )
        return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "expected 8%s arguments, got %zu", quantize ? "" : " or 9", nargs);
    if ((s = pk_tensor(c, args, 0, "input", &in)) || (s = pk_scalar_arg(c, args, 1, "scale", &scale)) ||
        (s = pk_int_arg(c, args, 2, "zero_point", &zp)) || (s = pk_int_arg(c, args, 3, "quant_min", &qmin)) ||
        (s = pk_int_arg(c, args, 4, "quant_max", &qmax)) || (s = pk_int_arg(c, args, 5, "dtype", &dtype)) ||
        (s = pk_out(c, args, out_at, &out)) || (s = check_params(c, zp, qmin, qmax)))
        return s;
    const pt_tensor *q = quantize ? out : in, *f = quantize ? in : out;
    if (!qdtype(q->dtype) || !pt_dtype_is_float(f->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "%s: %s -> %s is not supported", quantize ? "quantize" : "dequantize",
                       petite_dtype_name(in->dtype), petite_dtype_name(out->dtype));
    if (!(scale.d > 0) || !isfinite(scale.d)) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "scale must be positive");
    qparams p = {scale.d, zp, NULL, NULL, 0};
    return convert(c, in, out, &p, qmin, qmax, quantize);
}

/* quantize_per_channel.out(Tensor input, Tensor scales, Tensor zero_points, int axis, int quant_min,
 *                          int quant_max, ScalarType dtype, *, Tensor(a!) out)
 * dequantize_per_channel.out(Tensor input, Tensor scales, Tensor? zero_points, int axis, ...,
 *                            ScalarType dtype, *, ScalarType? out_dtype=None, Tensor(a!) out) */
static petite_status per_channel(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool quantize) {
    pt_tensor *in, *out, *scales, *zps = NULL;
    int64_t axis, qmin, qmax, dtype;
    int32_t ax;
    size_t out_at = nargs == 10 ? 8 : 7;
    petite_status s;
    if (nargs != 9 && !(nargs == 10 && !quantize))
        return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "expected 9%s arguments, got %zu", quantize ? "" : " or 10", nargs);
    if ((s = pk_tensor(c, args, 0, "input", &in)) || (s = pk_tensor(c, args, 1, "scales", &scales)) ||
        (args[2]->kind != PETITE_KIND_NONE && (s = pk_tensor(c, args, 2, "zero_points", &zps))) ||
        (s = pk_int_arg(c, args, 3, "axis", &axis)) || (s = pk_int_arg(c, args, 4, "quant_min", &qmin)) ||
        (s = pk_int_arg(c, args, 5, "quant_max", &qmax)) || (s = pk_int_arg(c, args, 6, "dtype", &dtype)) ||
        (s = pk_out(c, args, out_at, &out)) || (s = check_params(c, 0, qmin, qmax)) ||
        (s = pk_dim(c, axis, in->rank, "axis", &ax)))
        return s;
    const pt_tensor *q = quantize ? out : in, *f = quantize ? in : out;
    if (!qdtype(q->dtype) || !pt_dtype_is_float(f->dtype) || !pt_dtype_is_float(scales->dtype) ||
        (zps && !pt_dtype_is_arith(zps->dtype)) || in->rank == 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "per-channel %s: unsupported dtypes", quantize ? "quantize" : "dequantize");
    if (scales->numel != in->sizes[ax] || (zps && zps->numel != in->sizes[ax]) || !scales->contiguous ||
        (zps && !zps->contiguous))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%lld scales/zero points for %lld channels",
                       (long long)scales->numel, (long long)in->sizes[ax]);
    for (int64_t k = 0; k < scales->numel; k++) {
        double sc = pt_load_f64(scales->data, scales->dtype, k);
        int64_t z = zps ? pt_load_i64(zps->data, zps->dtype, k) : 0;
        if (!(sc > 0) || !isfinite(sc) || z < INT32_MIN || z > INT32_MAX)
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "channel %lld: bad scale or zero point", (long long)k);
    }
    qparams p = {1.0, 0, scales, zps, ax};
    return convert(c, in, out, &p, qmin, qmax, quantize);
}

petite_status pk_quantize_per_tensor_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return per_tensor(c, a, n, true); }
petite_status pk_dequantize_per_tensor_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return per_tensor(c, a, n, false); }
petite_status pk_quantize_per_channel_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return per_channel(c, a, n, true); }
petite_status pk_dequantize_per_channel_out(petite_kernel_ctx *c, petite_value **a, size_t n) { return per_channel(c, a, n, false); }
