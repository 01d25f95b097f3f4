/* rms_norm_kernel.c — a kernel library for petite: demo::rms_norm.out, the kernel of the RMSNorm
 * module in model.py, exported as a custom operator with
 *     petite-export model.pt --custom-op norm=demo::rms_norm --kernel-lib ./librms_norm.so
 * The operator's arguments are the module's forward inputs, then its parameters and buffers in
 * named_parameters() + named_buffers() order, then the out tensor (twice, as for every .out op):
 *     demo::rms_norm.out(Tensor x, Tensor weight, Tensor eps, *, Tensor(a!) out) -> Tensor(a!)
 *     out = x / sqrt(mean(x^2 over the last dim) + eps) * weight
 * Build: cc -O2 -shared -fPIC -I../../include rms_norm_kernel.c -o librms_norm.so -lm
 * It links nothing of petite: every call goes through the petite_kernel_api it is given. */
#include <math.h>

#include "petite/petite.h"

static const petite_kernel_api *P;

static petite_status rms_norm_out(petite_kernel_ctx *ctx, petite_value **args, size_t nargs) {
    if (nargs != 5) return P->kernel_fail(ctx, PETITE_ERR_INVALID_PROGRAM, "rms_norm: expected 5 arguments, got %zu", nargs);
    petite_tensor *x = P->value_tensor(args[0]), *w = P->value_tensor(args[1]), *eps = P->value_tensor(args[2]),
                  *out = P->value_tensor(args[3]);
    if (!x || !w || !eps || !out) return P->kernel_fail(ctx, PETITE_ERR_INVALID_ARGUMENT, "rms_norm: a tensor is missing");
    const int32_t r = P->tensor_rank(x);
    if (P->tensor_dtype(x) != PETITE_FLOAT32 || P->tensor_dtype(w) != PETITE_FLOAT32 ||
        P->tensor_dtype(eps) != PETITE_FLOAT32 || P->tensor_dtype(out) != PETITE_FLOAT32 || r < 1 ||
        !P->tensor_is_contiguous(x) || !P->tensor_is_contiguous(w) || !P->tensor_is_contiguous(out))
        return P->kernel_fail(ctx, PETITE_ERR_INVALID_ARGUMENT, "rms_norm: contiguous float32 tensors expected");
    const int64_t D = P->tensor_size(x, r - 1);
    if (P->tensor_rank(w) != 1 || P->tensor_size(w, 0) != D || P->tensor_numel(eps) != 1 || D <= 0)
        return P->kernel_fail(ctx, PETITE_ERR_INVALID_ARGUMENT, "rms_norm: weight must be [%lld], eps one value",
                              (long long)D);
    int64_t sizes[16];
    for (int32_t d = 0; d < r && d < 16; d++) sizes[d] = P->tensor_size(x, d);
    petite_status s = P->tensor_resize(ctx, out, r, sizes);
    if (s != PETITE_OK) return s;
    const float *xp = P->tensor_data(x), *wp = P->tensor_data(w), e = *(const float *)P->tensor_data(eps);
    float *yp = P->tensor_data(out);
    for (int64_t row = 0, rows = P->tensor_numel(x) / D; row < rows; row++, xp += D, yp += D) {
        double ss = 0.0;
        for (int64_t i = 0; i < D; i++) ss += (double)xp[i] * xp[i];
        const float inv = (float)(1.0 / sqrt(ss / (double)D + e));
        for (int64_t i = 0; i < D; i++) yp[i] = xp[i] * inv * wp[i];
    }
    return PETITE_OK;
}

#if defined(_WIN32)
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
petite_status petite_kernel_library_init(const petite_kernel_api *api) {
    if (!api || api->version < 1 || api->size < sizeof *api) return PETITE_ERR_NOT_SUPPORTED;
    P = api;
    return api->register_kernel("demo::rms_norm.out", rms_norm_out);
}
