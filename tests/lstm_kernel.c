/* etnp::lstm.out(input [T,B,I], h0 [B,H], c0 [B,H], w_ih [4H,I], w_hh [4H,H], b_ih [4H]?,
 *                b_hh [4H]?, *, out [T,B,H], hn [B,H], cn [B,H]) -> (out, hn, cn) */
#include "lstm_kernel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

static petite_status want_f32(petite_kernel_ctx *ctx, petite_tensor *t, const char *name,
                              int32_t rank) {
    if (!t || petite_tensor_dtype(t) != PETITE_FLOAT32 || petite_tensor_rank(t) != rank ||
        !petite_tensor_is_contiguous(t))
        return petite_kernel_fail(ctx, PETITE_ERR_INVALID_ARGUMENT,
                                  "lstm: %s must be a contiguous float32 tensor of rank %d", name,
                                  (int)rank);
    return PETITE_OK;
}

petite_status lstm_out_kernel(petite_kernel_ctx *ctx, petite_value **args, size_t nargs) {
    if (nargs != 11)
        return petite_kernel_fail(ctx, PETITE_ERR_INVALID_PROGRAM, "lstm: expected 11 arguments, got %zu", nargs);
    petite_tensor *x = petite_value_tensor(args[0]), *h0 = petite_value_tensor(args[1]),
                  *c0 = petite_value_tensor(args[2]), *wih = petite_value_tensor(args[3]),
                  *whh = petite_value_tensor(args[4]), *bih = petite_value_tensor(args[5]),
                  *bhh = petite_value_tensor(args[6]), *out = petite_value_tensor(args[7]),
                  *hn = petite_value_tensor(args[8]), *cn = petite_value_tensor(args[9]);
    petite_status s;
    if ((s = want_f32(ctx, x, "input", 3)) || (s = want_f32(ctx, h0, "h0", 2)) ||
        (s = want_f32(ctx, c0, "c0", 2)) || (s = want_f32(ctx, wih, "w_ih", 2)) ||
        (s = want_f32(ctx, whh, "w_hh", 2)) || (s = want_f32(ctx, out, "out", 3)) ||
        (s = want_f32(ctx, hn, "hn", 2)) || (s = want_f32(ctx, cn, "cn", 2)))
        return s;
    int64_t T = petite_tensor_size(x, 0), B = petite_tensor_size(x, 1), I = petite_tensor_size(x, 2);
    int64_t H = petite_tensor_size(h0, 1);
    if (petite_tensor_size(wih, 0) != 4 * H || petite_tensor_size(wih, 1) != I ||
        petite_tensor_size(whh, 1) != H || petite_tensor_size(h0, 0) != B || H > 4096)
        return petite_kernel_fail(ctx, PETITE_ERR_INVALID_ARGUMENT, "lstm: inconsistent shapes");
    if (bih && (s = want_f32(ctx, bih, "b_ih", 1))) return s;
    if (bhh && (s = want_f32(ctx, bhh, "b_hh", 1))) return s;
    int64_t osz[3] = {T, B, H}, hsz[2] = {B, H};
    if ((s = petite_tensor_resize(ctx, out, 3, osz)) || (s = petite_tensor_resize(ctx, hn, 2, hsz)) ||
        (s = petite_tensor_resize(ctx, cn, 2, hsz)))
        return s;
    const float *xd = petite_tensor_data(x), *Wi = petite_tensor_data(wih), *Wh = petite_tensor_data(whh);
    const float *bi = bih ? petite_tensor_data(bih) : NULL, *bh = bhh ? petite_tensor_data(bhh) : NULL;
    float *h = petite_tensor_data(hn), *c = petite_tensor_data(cn), *o = petite_tensor_data(out);
    memcpy(h, petite_tensor_data(h0), (size_t)(B * H) * sizeof *h);
    memcpy(c, petite_tensor_data(c0), (size_t)(B * H) * sizeof *c);
    float *gates = malloc((size_t)(4 * H) * sizeof *gates), *hprev = malloc((size_t)H * sizeof *hprev);
    if (!gates || !hprev) {
        free(gates);
        free(hprev);
        return petite_kernel_fail(ctx, PETITE_ERR_MEMORY_ALLOCATION_FAILED, "lstm: no memory");
    }
    for (int64_t t = 0; t < T; t++) {
        for (int64_t b = 0; b < B; b++) {
            const float *xt = xd + (t * B + b) * I;
            memcpy(hprev, h + b * H, (size_t)H * sizeof *hprev);
            for (int64_t g = 0; g < 4 * H; g++) {
                float acc = (bi ? bi[g] : 0) + (bh ? bh[g] : 0);
                for (int64_t k = 0; k < I; k++) acc += Wi[g * I + k] * xt[k];
                for (int64_t k = 0; k < H; k++) acc += Wh[g * H + k] * hprev[k];
                gates[g] = acc;
            }
            for (int64_t j = 0; j < H; j++) {
                float ig = sigmoid(gates[j]), fg = sigmoid(gates[H + j]);
                float gg = tanhf(gates[2 * H + j]), og = sigmoid(gates[3 * H + j]);
                float cj = fg * c[b * H + j] + ig * gg;
                c[b * H + j] = cj;
                h[b * H + j] = og * tanhf(cj);
                o[(t * B + b) * H + j] = h[b * H + j];
            }
        }
    }
    free(gates);
    free(hprev);
    return PETITE_OK;
}
