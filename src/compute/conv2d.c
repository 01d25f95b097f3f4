/* conv2d.c — 2-D fp32 convolution, NHWC and NCHW, on the GEMM microkernels.
 *
 *   kind        NHWC (XNNPACK delegate)                    NCHW (portable operators)
 *   GEMM        1x1/s1/p0: y[P, OC] = x[P, C] . Wp          per image: y[OC, HW] = W . x[C, HW]
 *   IM2COL      indirect GEMM: per output pixel, a pointer  column panels of the receptive field
 *               per tap into the input (no im2col copy)     packed into scratch, y = W . col
 *   DW          per pixel, vector over channels             per plane, vector over output columns
 *   TRANSPOSED  -                                           reference loops
 *
 * Packed constants start with the bias (OC floats, zeros if none, padded to 16) followed by the
 * weights in the kind's order. */
#include <math.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/internal.h"

#define IM2COL_COLS_BYTES (512 * 1024)   /* NCHW: a block of packed columns fits in L2 */

static int64_t bias_floats(const pc_conv2d *d) { return (int64_t)pc_round_up((size_t)d->OC, 16); }
static int64_t kdepth(const pc_conv2d *d) { return d->KH * d->KW * (d->C / d->groups); }

void pc_conv2d_f32_setup(pc_conv2d *d, pc_isa isa) {
    d->isa = isa;
    /* one pixel: NCHW and NHWC are the same bytes, and NHWC makes a 1x1 convolution a product with
     * one row per image instead of one column (squeeze-and-excitation blocks) */
    if (d->layout == PC_NCHW && d->H == 1 && d->W == 1 && d->OH == 1 && d->OW == 1 && !d->transposed) d->layout = PC_NHWC;
    if (d->transposed) d->kind = PC_CONV_TRANSPOSED;
    else if (d->groups > 1 && d->groups == d->C && d->OC % d->C == 0 && (d->layout == PC_NCHW || d->OC == d->C))
        d->kind = PC_CONV_DW;
    else if (d->KH == 1 && d->KW == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 && d->pl == 0 && d->OH == d->H &&
             d->OW == d->W && d->groups == 1)
        d->kind = PC_CONV_GEMM;
    else d->kind = PC_CONV_IM2COL;
    /* NCHW depthwise vectorizes along output rows: on narrow rows it is better done channels-last,
     * with the input and output transposed around it */
    d->dw_nhwc = d->kind == PC_CONV_DW && d->layout == PC_NCHW && d->OC == d->C && d->OW < 32 && d->C >= 16;
}

size_t pc_conv2d_f32_packed_floats(const pc_conv2d *d) {
    size_t b = (size_t)bias_floats(d), kk = (size_t)(d->KH * d->KW);
    switch (d->kind) {
    case PC_CONV_GEMM:
    case PC_CONV_IM2COL:
        if (d->layout == PC_NCHW) return b + (size_t)d->OC * (size_t)kdepth(d);
        return b + (size_t)d->groups * pc_gemm_f32_packed_floats(d->isa, (size_t)kdepth(d), (size_t)(d->OC / d->groups));
    case PC_CONV_DW: return b + (size_t)d->OC * kk;
    case PC_CONV_TRANSPOSED: return b + (size_t)d->C * (size_t)(d->OC / d->groups) * kk;
    }
    return b;
}

/* consumed (when given) hears of whole output channels' weights once their panels are packed:
 * only where each output channel's weights are one run of the source (o the outermost dim) */
static void pack(const pc_conv2d *d, const pc_weights *wt, float *packed, pc_consumed_fn consumed, void *ctx) {
    const int64_t OC = d->OC, ocg = OC / d->groups, icg = d->C / d->groups, KH = d->KH, KW = d->KW;
    float *w = packed + bias_floats(d);
    for (int64_t o = 0; o < bias_floats(d); o++) packed[o] = o < OC && wt->bias ? wt->bias[o] : 0.0f;
#define W_AT(o, i, kh, kw) \
    (wt->w[(o) * wt->so + (i) * wt->si + (kh) * wt->skh + (kw) * wt->skw] * (wt->scale ? wt->scale[o] : 1.0f))
    switch (d->kind) {
    case PC_CONV_GEMM:
    case PC_CONV_IM2COL:
        if (d->layout == PC_NCHW) { /* rows [OC][(i, kh, kw)] */
            for (int64_t o = 0; o < OC; o++)
                for (int64_t i = 0; i < icg; i++)
                    for (int64_t kh = 0; kh < KH; kh++)
                        for (int64_t kw = 0; kw < KW; kw++) *w++ = W_AT(o, i, kh, kw);
        } else { /* per group, GEMM panels of B[(kh, kw, i)][o] */
            const size_t nr = pc_uk(d->isa)->gemm_nr, K = (size_t)kdepth(d);
            for (int64_t g = 0; g < d->groups; g++) {
                float *dst = w + (size_t)g * pc_gemm_f32_packed_floats(d->isa, K, (size_t)ocg);
                int64_t done = 0; /* channels [g ocg, g ocg + done) already handed back */
                for (int64_t n0 = 0; n0 < ocg; n0 += (int64_t)nr) {
                    for (int64_t kh = 0; kh < KH; kh++)
                        for (int64_t kw = 0; kw < KW; kw++)
                            for (int64_t i = 0; i < icg; i++)
                                for (size_t j = 0; j < nr; j++) {
                                    int64_t o = n0 + (int64_t)j;
                                    *dst++ = o < ocg ? W_AT(g * ocg + o, i, kh, kw) : 0.0f;
                                }
                    int64_t end = n0 + (int64_t)nr < ocg ? n0 + (int64_t)nr : ocg; /* channels packed so far */
                    if (consumed && (end - done) * wt->so >= (64 << 10)) { /* 256 KiB or more */
                        consumed(ctx, wt->w + (g * ocg + done) * wt->so, (size_t)((end - done) * wt->so) * sizeof(float));
                        done = end;
                    }
                }
            }
        }
        break;
    case PC_CONV_DW:
        if (d->layout == PC_NCHW && !d->dw_nhwc) { /* [OC][kh][kw] */
            for (int64_t o = 0; o < OC; o++)
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++) *w++ = W_AT(o, 0, kh, kw);
        } else { /* [kh][kw][OC] */
            for (int64_t kh = 0; kh < KH; kh++)
                for (int64_t kw = 0; kw < KW; kw++)
                    for (int64_t o = 0; o < OC; o++) *w++ = W_AT(o, 0, kh, kw);
        }
        break;
    case PC_CONV_TRANSPOSED: /* [C][OC/groups][kh][kw] */
        for (int64_t o = 0; o < d->C; o++)
            for (int64_t i = 0; i < ocg; i++)
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++) *w++ = W_AT(o, i, kh, kw);
        break;
    }
#undef W_AT
}

void pc_conv2d_f32_pack(const pc_conv2d *d, const pc_weights *wt, float *packed) { pack(d, wt, packed, NULL, NULL); }

void pc_conv2d_f32_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx) {
    const pc_conv2d_pack_args *a = args;
    const pc_weights *wt = &a->w;
    const pc_conv2d *d = a->d;
    const int64_t icg = d->C / d->groups;
    /* one output channel's weights span at most so floats: then channel blocks are runs */
    const bool runs = wt->so > 0 && wt->si >= 0 && wt->skh >= 0 && wt->skw >= 0 &&
                      (icg - 1) * wt->si + (d->KH - 1) * wt->skh + (d->KW - 1) * wt->skw < wt->so;
    pack(d, wt, packed, runs && d->layout == PC_NHWC ? consumed : NULL, ctx);
}

/* packed columns per NCHW task */
static size_t nchw_cols(const pc_conv2d *d) {
    const size_t nr = pc_uk(d->isa)->gemm_nr, K = (size_t)kdepth(d);
    size_t cols = K ? IM2COL_COLS_BYTES / (K * sizeof(float)) : 64;
    cols = cols / nr * nr;
    if (cols < nr) cols = nr;
    size_t all = pc_round_up((size_t)(d->OH * d->OW), nr);
    return cols < all ? cols : all;
}

/* bottom / right padding the output size implies */
static int64_t pad_after(int64_t in, int64_t out, int64_t k, int64_t s, int64_t dil, int64_t before) {
    int64_t need = (out - 1) * s + (k - 1) * dil + 1 - in - before;
    return need > 0 ? need : 0;
}

/* indirect GEMM: a zero row of icg floats, then the row pointers of one task's rows */
static size_t indirect_scratch(const pc_conv2d *d) {
    const size_t mr = pc_uk(d->isa)->gemm_mr;
    return pc_align64((size_t)(d->C / d->groups) * sizeof(float)) +
           pc_round_up(PC_GEMM_MB_MAX, mr) * (size_t)(d->KH * d->KW) * sizeof(float *);
}

size_t pc_conv2d_f32_scratch(const pc_conv2d *d) {
    switch (d->kind) {
    case PC_CONV_GEMM:
        return d->layout == PC_NCHW ? pc_gemm_f32_any_scratch(d->isa, (size_t)d->C, (size_t)(d->H * d->W)) : 0;
    case PC_CONV_IM2COL:
        if (d->layout == PC_NCHW) return pc_align64(nchw_cols(d) * (size_t)kdepth(d) * sizeof(float));
        return indirect_scratch(d);
    case PC_CONV_DW:
        if (d->dw_nhwc) /* the image in and out, channels-last, then the NHWC depthwise's own */
            return pc_align64((size_t)(d->H * d->W * d->C) * sizeof(float)) +
                   pc_align64((size_t)(d->OH * d->OW * d->OC) * sizeof(float)) + pc_align64((size_t)d->C * sizeof(float)) +
                   pc_align64((size_t)(d->KH * d->KW) * sizeof(float *)) + pc_align64((size_t)(d->KH * d->KW) * sizeof(int64_t));
        if (d->layout == PC_NCHW) {
            size_t ph = (size_t)(d->H + d->pt + pad_after(d->H, d->OH, d->KH, d->sh, d->dh, d->pt));
            size_t pw = (size_t)(d->W + d->pl + pad_after(d->W, d->OW, d->KW, d->sw, d->dw, d->pl));
            return pc_align64(ph * pw * sizeof(float)) + pc_align64((size_t)d->KH * sizeof(float *));
        }
        return pc_align64((size_t)d->C * sizeof(float)) + pc_align64((size_t)(d->KH * d->KW) * sizeof(float *)) +
               pc_align64((size_t)(d->KH * d->KW) * sizeof(int64_t));
    case PC_CONV_TRANSPOSED: return 0;
    }
    return 0;
}

/* ---- NHWC im2col + GEMM ---- */

typedef struct conv_job {
    const pc_ctx *c;
    const pc_conv2d *d;
    const pc_ukernels *uk;
    const float *packed, *x;
    float *y;
    size_t rows, cols, ntr, ntc, ntg; /* task grid */
} conv_job;

/* small copies inline: for a 3-channel image the runs are a few floats, where calls to memcpy and
 * memset would cost more than the copy (GCC would turn these loops back into such calls) */
#if defined(__GNUC__) && !defined(__clang__)
#define PC_NO_LIBCALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define PC_NO_LIBCALLS
#endif
PC_NO_LIBCALLS static inline void copy_floats(float *restrict dst, const float *restrict src, int64_t n) {
    if (n > 32) {
        memcpy(dst, src, (size_t)n * sizeof *dst);
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i] = src[i];
}
PC_NO_LIBCALLS static inline void zero_floats(float *dst, int64_t n) {
    if (n > 32) {
        memset(dst, 0, (size_t)n * sizeof *dst);
        return;
    }
    for (int64_t i = 0; i < n; i++) dst[i] = 0.0f;
}

/* Row pointers for output pixels [m0, m0 + m) of group g, tile by tile: ind[tile][tap][r]; rows
 * past the end repeat the tile's last. A tile whose pixels all lie inside the image (no padding
 * tap) and whose kernel rows are contiguous (dilation 1 along W, one group) gets one pointer per
 * kernel row (merged[tile] = 1: kc = KW * C). x: NHWC elements of es bytes; zero: icg elements of
 * the padding value. */
void pc_conv_indirection(const pc_conv2d *d, const void *x, size_t es, const void *zero, size_t MR, size_t m0, size_t m,
                         size_t g, bool allow_merge, const void **ind, uint8_t *merged) {
    const size_t KS = (size_t)(d->KH * d->KW), icg = (size_t)(d->C / d->groups);
    const int64_t span_h = (d->KH - 1) * d->dh, span_w = (d->KW - 1) * d->dw;
    const int64_t E = (int64_t)es;
    int64_t tap_off[64]; /* interior pixels: each tap at a fixed offset (bytes) from the first */
    const bool offs = KS <= 64, can_merge = allow_merge && offs && d->dw == 1 && d->groups == 1 && d->KW > 1;
    if (offs)
        for (int64_t kh = 0, k = 0; kh < d->KH; kh++)
            for (int64_t kw = 0; kw < d->KW; kw++, k++) tap_off[k] = (kh * d->dh * d->W + kw * d->dw) * d->C * E;
    if (KS == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 && d->pl == 0 && d->OH == d->H && d->OW == d->W) {
        /* pointwise: output pixel m reads input pixel m */
        const uint8_t *base = (const uint8_t *)x + ((int64_t)m0 * d->C + (int64_t)g * (int64_t)icg) * E;
        const size_t step = (size_t)(d->C * E);
        for (size_t i0 = 0, ti = 0; i0 < m; i0 += MR, ti++) {
            const size_t h = pc_min(MR, m - i0);
            const void **tile = ind + ti * MR;
            for (size_t r = 0; r < MR; r++) tile[r] = base + (i0 + (r < h ? r : h - 1)) * step;
            merged[ti] = 0;
        }
        return;
    }
    int64_t ow = (int64_t)m0 % d->OW, oh = ((int64_t)m0 / d->OW) % d->OH, ni = (int64_t)m0 / (d->OW * d->OH);
    for (size_t i0 = 0, ti = 0; i0 < m; i0 += MR, ti++) {
        const size_t h = pc_min(MR, m - i0);
        const void **tile = ind + ti * KS * MR;
        bool merge = can_merge;
        for (size_t r = 0, w2 = (size_t)ow, h2 = (size_t)oh; merge && r < h; r++) {
            const int64_t ih0 = (int64_t)h2 * d->sh - d->pt, iw0 = (int64_t)w2 * d->sw - d->pl;
            merge = ih0 >= 0 && ih0 + span_h < d->H && iw0 >= 0 && iw0 + span_w < d->W;
            if (++w2 == (size_t)d->OW) w2 = 0, h2 = h2 + 1 == (size_t)d->OH ? 0 : h2 + 1;
        }
        merged[ti] = merge;
        const size_t ks = merge ? (size_t)d->KH : KS;
        if (merge) { /* every row inside the image: the next pixel of a row is sw pixels on */
            const int64_t kwo = (int64_t)d->KW;
            for (size_t r = 0; r < h;) {
                const uint8_t *base = (const uint8_t *)x + (((ni * d->H + oh * d->sh - d->pt) * d->W + ow * d->sw - d->pl) * d->C +
                                                            (int64_t)g * (int64_t)icg) * E;
                const int64_t step = d->sw * d->C * E;
                for (; r < h; r++, base += step) {
                    for (size_t k = 0; k < ks; k++) tile[k * MR + r] = base + tap_off[(int64_t)k * kwo];
                    if (++ow == d->OW) {
                        ow = 0;
                        if (++oh == d->OH) oh = 0, ni++;
                        r++;
                        break;
                    }
                }
            }
            for (size_t k = 0; k < ks; k++)
                for (size_t r = h; r < MR; r++) tile[k * MR + r] = tile[k * MR + h - 1];
            continue;
        }
        for (size_t r = 0; r < h; r++) {
            const uint8_t *xn = (const uint8_t *)x + (ni * d->H * d->W * d->C + (int64_t)g * (int64_t)icg) * E;
            const void **row = tile + r;
            const int64_t ih0 = oh * d->sh - d->pt, iw0 = ow * d->sw - d->pl;
            if (offs && ih0 >= 0 && ih0 + span_h < d->H && iw0 >= 0 && iw0 + span_w < d->W) {
                const uint8_t *base = xn + (ih0 * d->W + iw0) * d->C * E;
                for (size_t k = 0; k < KS; k++) row[k * MR] = base + tap_off[k];
            } else {
                for (int64_t kh = 0, k = 0; kh < d->KH; kh++) {
                    int64_t ih = ih0 + kh * d->dh;
                    for (int64_t kw = 0; kw < d->KW; kw++, k++) {
                        int64_t iw = iw0 + kw * d->dw;
                        row[k * (int64_t)MR] =
                            ih < 0 || ih >= d->H || iw < 0 || iw >= d->W ? zero : (const void *)(xn + (ih * d->W + iw) * d->C * E);
                    }
                }
            }
            if (++ow == d->OW) {
                ow = 0;
                if (++oh == d->OH) oh = 0, ni++;
            }
        }
        for (size_t k = 0; k < ks; k++)
            for (size_t r = h; r < MR; r++) tile[k * MR + r] = tile[k * MR + h - 1];
    }
}

/* indirect GEMM: a task is a block of rows x a block of columns of one group */
static void nhwc_indirect_task(void *arg, size_t t, size_t thread) {
    const conv_job *j = arg;
    const pc_conv2d *d = j->d;
    const pc_ukernels *uk = j->uk;
    const size_t MR = uk->gemm_mr, NR = uk->gemm_nr, KS = (size_t)(d->KH * d->KW), icg = (size_t)(d->C / d->groups);
    const size_t M = (size_t)(d->N * d->OH * d->OW), ocg = (size_t)(d->OC / d->groups), K = KS * icg;
    const size_t g = t % j->ntg, tn = (t / j->ntg) % j->ntc, tm = t / (j->ntg * j->ntc);
    const size_t m0 = tm * j->rows, m = pc_min(j->rows, M - m0), n0 = tn * j->cols, n = pc_min(j->cols, ocg - n0);
    uint8_t *s = pc_scratch(j->c, thread);
    float *zero = (float *)s;
    const float **ind = (const float **)(s + pc_align64(icg * sizeof(float)));
    memset(zero, 0, icg * sizeof *zero);
    uint8_t merged[PC_GEMM_MB_MAX / 4 + 1]; /* per tile (MR >= 4) */
    pc_conv_indirection(d, j->x, sizeof(float), zero, MR, m0, m, g, true, (const void **)ind, merged);
    const float *bias = j->packed + g * ocg;
    const float *w = j->packed + bias_floats(d) + g * pc_gemm_f32_packed_floats(d->isa, K, ocg);
    float *y = j->y + m0 * (size_t)d->OC + g * ocg;
    for (size_t p = n0; p < n0 + n; p += NR) {
        const size_t nw = pc_min(NR, n0 + n - p);
        for (size_t i = 0, ti = 0; i < m; i += MR, ti++)
            uk->igemm_f32(pc_min(MR, m - i), nw, merged[ti] ? (size_t)d->KW * icg : icg, merged[ti] ? (size_t)d->KH : KS,
                          ind + ti * KS * MR, w + p * K, y + i * (size_t)d->OC + p, (size_t)d->OC, bias + p, d->lo, d->hi);
    }
    if (d->has_act && n == (size_t)d->OC) /* whole rows: one contiguous run */
        uk->vunary_f32((int)d->act, m * n, y, y, &d->act_params);
    else if (d->has_act)
        for (size_t i = 0; i < m; i++)
            uk->vunary_f32((int)d->act, n, y + i * (size_t)d->OC + n0, y + i * (size_t)d->OC + n0, &d->act_params);
}

/* ---- NCHW: W . im2col panels ---- */

/* Pack columns [p0, p0 + n) of image x's receptive-field matrix (rows (ci, kh, kw) of the group)
 * into panels of nr columns, zero-padded. */
PC_NO_LIBCALLS static void nchw_pack_cols(const pc_conv2d *d, size_t nr, const float *x, int64_t ci0, size_t p0, size_t n, float *dst) {
    const int64_t icg = d->C / d->groups, K = kdepth(d), OW = d->OW;
    for (size_t j0 = 0; j0 < n; j0 += nr) {
        float *panel = dst + j0 * (size_t)K;
        size_t w = pc_min(nr, n - j0);
        /* runs of columns on one output row */
        size_t j = 0;
        while (j < nr) {
            if (j >= w) { /* padding columns */
                for (int64_t k = 0; k < K; k++)
                    for (size_t jj = j; jj < nr; jj++) panel[(size_t)k * nr + jj] = 0.0f;
                break;
            }
            size_t p = p0 + j0 + j;
            int64_t oh = (int64_t)p / OW, ow0 = (int64_t)p % OW;
            size_t run = pc_min(w - j, (size_t)(OW - ow0));
            float *col = panel + j;
            for (int64_t ci = 0; ci < icg; ci++) {
                const float *plane = x + (ci0 + ci) * d->H * d->W;
                for (int64_t kh = 0; kh < d->KH; kh++) {
                    int64_t ih = oh * d->sh - d->pt + kh * d->dh;
                    const float *row = plane + ih * d->W;
                    for (int64_t kw = 0; kw < d->KW; kw++, col += nr) {
                        if (ih < 0 || ih >= d->H) {
                            memset(col, 0, run * sizeof *col);
                            continue;
                        }
                        /* columns r of the run read iw = (ow0 + r) * sw + off: inside for r in [r0, r1) */
                        int64_t off = kw * d->dw - d->pl, base = ow0 * d->sw + off, cnt = (int64_t)run;
                        int64_t r0 = base >= 0 ? 0 : (-base + d->sw - 1) / d->sw;
                        int64_t r1 = d->W - base <= 0 ? 0 : (d->W - base + d->sw - 1) / d->sw;
                        r0 = r0 > cnt ? cnt : r0, r1 = r1 > cnt ? cnt : (r1 < r0 ? r0 : r1);
                        zero_floats(col, r0);
                        if (d->sw == 1) copy_floats(col + r0, row + base + r0, r1 - r0);
                        else
                            for (int64_t r = r0; r < r1; r++) col[r] = row[base + r * d->sw];
                        zero_floats(col + r1, cnt - r1);
                    }
                }
            }
            j += run;
        }
    }
}

static void nchw_im2col_task(void *arg, size_t t, size_t thread) {
    const conv_job *j = arg;
    const pc_conv2d *d = j->d;
    const int64_t icg = d->C / d->groups, ocg = d->OC / d->groups, K = kdepth(d);
    const size_t P = (size_t)(d->OH * d->OW);
    size_t tc = t % j->ntc, tg = (t / j->ntc) % j->ntg, ni = t / (j->ntc * j->ntg);
    size_t p0 = tc * j->cols, n = pc_min(j->cols, P - p0);
    int64_t g = (int64_t)tg;
    float *panels = pc_scratch(j->c, thread);
    const float *x = j->x + (int64_t)ni * d->C * d->H * d->W;
    nchw_pack_cols(d, j->uk->gemm_nr, x, g * icg, p0, n, panels);
    const float *bias = j->packed, *w = j->packed + bias_floats(d) + (size_t)(g * ocg * K);
    pc_gemm_epi epi = {NULL, bias + g * ocg, 1.0f, 0, d->lo, d->hi, d->has_act ? &d->act_params : NULL, d->act};
    float *y = j->y + ((int64_t)ni * d->OC + g * ocg) * (int64_t)P + (int64_t)p0;
    pc_gemm_f32_tile(j->uk, (size_t)ocg, n, (size_t)K, w, (size_t)K, panels, y, P, &epi, 0, 0);
}

/* ---- depthwise ---- */

static void dw_nhwc_task(void *arg, size_t t, size_t thread) {
    const conv_job *j = arg;
    const pc_conv2d *d = j->d;
    const int64_t C = d->C, KK = d->KH * d->KW, ni = (int64_t)t / d->OH, oh = (int64_t)t % d->OH;
    uint8_t *s = pc_scratch(j->c, thread);
    float *zero = (float *)s;
    const float **taps = (const float **)(s + pc_align64((size_t)C * sizeof(float)));
    int64_t *off = (int64_t *)(s + pc_align64((size_t)C * sizeof(float)) + pc_align64((size_t)KK * sizeof(float *)));
    const float *bias = j->packed, *w = j->packed + bias_floats(d);
    float *y = j->y + ((ni * d->OH + oh) * d->OW) * C;
    const float *xn = j->x + ni * d->H * d->W * C;
    /* output columns [ow0, ow1) read no padding; rows too when every kh is inside */
    int64_t ih0, ow0, ow1;
    pc_dw_interior(d, oh, &ih0, &ow0, &ow1);
    if (ow0 < ow1) {
        size_t k = 0;
        for (int64_t kh = 0; kh < d->KH; kh++)
            for (int64_t kw = 0; kw < d->KW; kw++) off[k++] = ((ih0 + kh * d->dh) * d->W + kw * d->dw) * C;
    }
    int zeroed = 0;
    for (int64_t ow = 0; ow < d->OW;) {
        if (ow == ow0) {
            j->uk->dwconv_f32_row((size_t)C, (size_t)(ow1 - ow0), (size_t)KK, xn + (ow0 * d->sw - d->pl) * C,
                                  (size_t)(d->sw * C), off, w, bias, y + ow0 * C, d->lo, d->hi);
            if (d->has_act)
                j->uk->vunary_f32((int)d->act, (size_t)((ow1 - ow0) * C), y + ow0 * C, y + ow0 * C, &d->act_params);
            ow = ow1;
            continue;
        }
        if (!zeroed) {
            memset(zero, 0, (size_t)C * sizeof *zero);
            zeroed = 1;
        }
        pc_dw_taps(d, xn, sizeof(float), ih0, ow, zero, (const void **)taps);
        j->uk->dwconv_f32((size_t)C, (size_t)KK, taps, w, bias, y + ow * C, d->lo, d->hi);
        if (d->has_act) j->uk->vunary_f32((int)d->act, (size_t)C, y + ow * C, y + ow * C, &d->act_params);
        ow++;
    }
}

static void dw_nchw_task(void *arg, size_t t, size_t thread) {
    const conv_job *j = arg;
    const pc_conv2d *d = j->d;
    const int64_t OC = d->OC, mult = OC / d->C, ni = (int64_t)t / OC, oc = (int64_t)t % OC;
    const int64_t pb = pad_after(d->H, d->OH, d->KH, d->sh, d->dh, d->pt);
    const int64_t pr = pad_after(d->W, d->OW, d->KW, d->sw, d->dw, d->pl);
    const int64_t PH = d->H + d->pt + pb, PW = d->W + d->pl + pr;
    uint8_t *s = pc_scratch(j->c, thread);
    float *pad = (float *)s;
    const float **rows = (const float **)(s + pc_align64((size_t)(PH * PW) * sizeof(float)));
    const float *x = j->x + (ni * d->C + oc / mult) * d->H * d->W;
    /* the zero-padded input plane */
    memset(pad, 0, (size_t)(d->pt * PW) * sizeof *pad);
    for (int64_t h = 0; h < d->H; h++) {
        float *r = pad + (d->pt + h) * PW;
        memset(r, 0, (size_t)d->pl * sizeof *r);
        memcpy(r + d->pl, x + h * d->W, (size_t)d->W * sizeof *r);
        memset(r + d->pl + d->W, 0, (size_t)pr * sizeof *r);
    }
    memset(pad + (d->pt + d->H) * PW, 0, (size_t)(pb * PW) * sizeof *pad);
    const float *bias = j->packed, *w = j->packed + bias_floats(d) + oc * d->KH * d->KW;
    float *y = j->y + (ni * OC + oc) * d->OH * d->OW;
    for (int64_t oh = 0; oh < d->OH; oh++) {
        for (int64_t kh = 0; kh < d->KH; kh++) rows[kh] = pad + (oh * d->sh + kh * d->dh) * PW;
        j->uk->dwconv_chw_f32_row((size_t)d->OW, (size_t)d->KH, (size_t)d->KW, (size_t)d->sw, (size_t)d->dw, rows, w,
                                  bias[oc], y + oh * d->OW, d->lo, d->hi);
        if (d->has_act) j->uk->vunary_f32((int)d->act, (size_t)d->OW, y + oh * d->OW, y + oh * d->OW, &d->act_params);
    }
}

/* ---- transposed (NCHW, reference loops) ---- */

static void transposed(const pc_conv2d *d, const float *packed, const float *x, float *y) {
    const int64_t icg = d->C / d->groups, ocg = d->OC / d->groups, KK = d->KH * d->KW;
    const float *bias = packed, *w = packed + bias_floats(d);
    for (int64_t n = 0; n < d->N; n++) {
        for (int64_t o = 0; o < d->OC; o++) {
            float *yp = y + (n * d->OC + o) * d->OH * d->OW;
            for (int64_t i = 0; i < d->OH * d->OW; i++) yp[i] = bias[o];
        }
        for (int64_t g = 0; g < d->groups; g++)
            for (int64_t ic = 0; ic < icg; ic++) {
                const float *xp = x + (n * d->C + g * icg + ic) * d->H * d->W;
                for (int64_t oc = 0; oc < ocg; oc++) {
                    const float *wp = w + ((g * icg + ic) * ocg + oc) * KK;
                    float *yp = y + (n * d->OC + g * ocg + oc) * d->OH * d->OW;
                    for (int64_t ih = 0; ih < d->H; ih++)
                        for (int64_t kh = 0; kh < d->KH; kh++) {
                            int64_t oh = ih * d->sh - d->pt + kh * d->dh;
                            if (oh < 0 || oh >= d->OH) continue;
                            for (int64_t iw = 0; iw < d->W; iw++) {
                                float xv = xp[ih * d->W + iw];
                                for (int64_t kw = 0; kw < d->KW; kw++) {
                                    int64_t ow = iw * d->sw - d->pl + kw * d->dw;
                                    if (ow >= 0 && ow < d->OW) yp[oh * d->OW + ow] += xv * wp[kh * d->KW + kw];
                                }
                            }
                        }
                }
            }
    }
    size_t total = (size_t)(d->N * d->OC * d->OH * d->OW);
    if (d->lo > -INFINITY || d->hi < INFINITY)
        for (size_t i = 0; i < total; i++) y[i] = y[i] < d->lo ? d->lo : (y[i] > d->hi ? d->hi : y[i]);
    if (d->has_act) pc_uk(d->isa)->vunary_f32((int)d->act, total, y, y, &d->act_params);
}

void pc_conv2d_f32_run(const pc_ctx *c, const pc_conv2d *d, const float *packed, const float *x, float *y) {
    if (d->N == 0 || d->OC == 0 || d->OH == 0 || d->OW == 0) return;
    conv_job j = {c, d, pc_uk(d->isa), packed, x, y, 0, 0, 1, 1, 1};
    const int threads = pc_ctx_threads(c);
    switch (d->kind) {
    case PC_CONV_GEMM:
        if (d->layout == PC_NHWC) {
            pc_gemm_epi epi = {packed, NULL, 1.0f, 0, d->lo, d->hi, d->has_act ? &d->act_params : NULL, d->act};
            pc_gemm_f32(c, (size_t)(d->N * d->H * d->W), (size_t)d->OC, (size_t)d->C, x, (size_t)d->C,
                        packed + bias_floats(d), y, (size_t)d->OC, &epi);
        } else {
            pc_gemm_epi epi = {NULL, packed, 1.0f, 0, d->lo, d->hi, d->has_act ? &d->act_params : NULL, d->act};
            size_t HW = (size_t)(d->H * d->W);
            for (int64_t n = 0; n < d->N; n++)
                pc_gemm_f32_any(c, (size_t)d->OC, HW, (size_t)d->C, packed + bias_floats(d), (size_t)d->C,
                                x + (size_t)n * (size_t)d->C * HW, HW, 1, y + (size_t)n * (size_t)d->OC * HW, HW, &epi);
        }
        return;
    case PC_CONV_IM2COL: {
        j.ntg = (size_t)d->groups;
        if (d->layout == PC_NHWC) {
            const size_t M = (size_t)(d->N * d->OH * d->OW), ocg = (size_t)(d->OC / d->groups);
            pc_gemm_split(j.uk, threads, M, ocg, &j.rows, &j.cols);
            j.ntr = (M + j.rows - 1) / j.rows;
            j.ntc = (ocg + j.cols - 1) / j.cols;
            pc_parallel(c, j.ntr * j.ntc * j.ntg, nhwc_indirect_task, &j);
        } else {
            const size_t P = (size_t)(d->OH * d->OW);
            j.cols = nchw_cols(d);
            while (threads > 1 && (size_t)d->N * j.ntg * ((P + j.cols - 1) / j.cols) < (size_t)threads * 3 &&
                   j.cols > j.uk->gemm_nr)
                j.cols = pc_round_up(j.cols / 2, j.uk->gemm_nr);
            j.ntc = (P + j.cols - 1) / j.cols;
            pc_parallel(c, (size_t)d->N * j.ntg * j.ntc, nchw_im2col_task, &j);
        }
        return;
    }
    case PC_CONV_DW:
        if (d->dw_nhwc) {
            pc_conv2d nd = *d;
            nd.layout = PC_NHWC, nd.N = 1, nd.dw_nhwc = 0;
            size_t in = pc_align64((size_t)(d->H * d->W * d->C) * sizeof(float));
            size_t out = pc_align64((size_t)(d->OH * d->OW * d->OC) * sizeof(float));
            float *xt = (float *)c->scratch, *yt = (float *)(c->scratch + in);
            pc_ctx sub = *c; /* each thread's NHWC scratch after the two buffers in its slice */
            sub.scratch += in + out;
            conv_job k = j;
            k.d = &nd, k.c = &sub, k.x = xt, k.y = yt;
            for (int64_t n = 0; n < d->N; n++) {
                const int64_t sz_in[3] = {d->H, d->W, d->C}, st_in[3] = {d->W, 1, d->H * d->W};
                pc_transpose_f32(3, sz_in, st_in, x + n * d->C * d->H * d->W, xt);
                pc_parallel(&sub, (size_t)d->OH, dw_nhwc_task, &k);
                const int64_t sz_out[3] = {d->OC, d->OH, d->OW}, st_out[3] = {1, d->OW * d->OC, d->OC};
                pc_transpose_f32(3, sz_out, st_out, yt, y + n * d->OC * d->OH * d->OW);
            }
            return;
        }
        if (d->layout == PC_NHWC) pc_parallel(c, (size_t)(d->N * d->OH), dw_nhwc_task, &j);
        else pc_parallel(c, (size_t)(d->N * d->OC), dw_nchw_task, &j);
        return;
    case PC_CONV_TRANSPOSED:
        transposed(d, packed, x, y);
        return;
    }
}
