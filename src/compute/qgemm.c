/* qgemm.c — int8 convolution and fully connected on the int8 tile (see compute.h): packing with
 * the input zero point folded into the bias, the task grid, and indirection through
 * pc_conv_indirection (the fp32 convolution's). Results equal pc_conv2d_s8_run's bit for bit:
 * the int32 accumulator cannot overflow (setup bounds the reduction depth and the bias), and the
 * epilogue is pc_requant_fp32's arithmetic (clamp in float, round half to even, add the zero
 * point). */
#include <math.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/internal.h"
#include "compute/ukernels.h"

typedef struct qtile {
    size_t mr, nr;
    int vnni;
    size_t group;  /* consecutive k of one column stored together: 4, or 2 (the AVX2 tile widens pairs) */
    pc_qigemm_uk fn;
    pc_qigemm_uk fn1; /* the same for one row, or NULL */
} qtile;

static qtile tile_of(const pc_qconv *d) {
#ifdef PC_HAVE_X86
    if (d->vnni) return (qtile){8, 32, 1, 4, pc_qigemm_s8_8x32__avx512vnni, pc_qigemm_s8_1x32__avx512vnni};
    if (d->isa != PC_ISA_SCALAR && pc_isa_supported(PC_ISA_AVX2))
        return (qtile){4, 16, 0, 2, pc_qigemm_s8_4x16__avx2, NULL};
#endif
#if defined(__aarch64__)
    if (d->isa == PC_ISA_NEON && pc_cpu_has_dotprod()) /* same packing as the portable tile */
        return (qtile){PC_QMR, PC_QNR, 0, 4, pc_qigemm_s8_4x16__neondot, NULL};
#endif
    return (qtile){PC_QMR, PC_QNR, 0, 4, pc_uk(d->isa)->qigemm_s8, NULL};
}

static size_t icg_of(const pc_qconv *d) { return (size_t)(d->geom.C / d->geom.groups); }
static size_t ocg_of(const pc_qconv *d) { return (size_t)(d->geom.OC / d->geom.groups); }
static size_t taps_of(const pc_qconv *d) { return (size_t)(d->geom.KH * d->geom.KW); }
/* as the tile sees them: taps x depth per tap (im2col: one tap of the whole receptive field) */
static size_t ktaps(const pc_qconv *d) { return d->im2col == 2 ? (size_t)d->geom.KH : d->im2col ? 1 : taps_of(d); }
static size_t kdepth(const pc_qconv *d) {
    return d->im2col == 2 ? (size_t)d->geom.KW * icg_of(d) : d->im2col ? taps_of(d) * icg_of(d) : icg_of(d);
}

/* one panel: NR int32 biases, NR float scales, then per tap ceil(depth / group) groups of NR x group
 * weights: int8 on every ISA (the file's bytes, once) */
static size_t panel_bytes(const pc_qconv *d, const qtile *t) {
    return t->nr * 8 + ktaps(d) * ((kdepth(d) + t->group - 1) / t->group) * t->nr * t->group;
}
static size_t panels(const pc_qconv *d, const qtile *t) { return (ocg_of(d) + t->nr - 1) / t->nr; }

bool pc_qconv_setup(pc_qconv *d, pc_isa isa, const pc_qweights *w) {
    d->isa = isa;
#ifdef PC_HAVE_X86
    d->vnni = isa == PC_ISA_AVX512 && pc_cpu_has_vnni();
#else
    d->vnni = 0;
#endif
    const pc_conv2d *g = &d->geom;
    if (g->groups < 1 || g->C % g->groups || g->OC % g->groups || g->KH < 1 || g->KW < 1) return false;
    /* few channels (not a multiple of 4): whole kernel rows (KW x C contiguous bytes) as the taps when
     * one group holds every channel, else the whole receptive field copied per pixel */
    d->im2col = (g->C / g->groups) % 4 != 0 && g->KH * g->KW > 1 ? (g->groups == 1 && g->dw == 1 && g->KW > 1 ? 2 : 1) : 0;
    /* |sum| <= K * 255 * 128 and the folded bias <= |bias| + 256 * 128 * K: keep both in int32 */
    const int64_t K = g->KH * g->KW * (g->C / g->groups);
    if (K > 16384 || d->x_zero_point < -128 || d->x_zero_point > 127) return false;
    if (w->bias)
        for (int64_t o = 0; o < g->OC; o++)
            if (w->bias[o] > (1 << 30) || w->bias[o] < -(1 << 30)) return false;
    return true;
}

size_t pc_qconv_packed_bytes(const pc_qconv *d) {
    const qtile t = tile_of(d);
    return (size_t)d->geom.groups * panels(d, &t) * panel_bytes(d, &t);
}

void pc_qconv_pack(const pc_qconv *d, const pc_qweights *wt, void *packed) {
    const qtile t = tile_of(d);
    const size_t NR = t.nr, icg = icg_of(d), ocg = ocg_of(d), pb = panel_bytes(d, &t);
    const int32_t fold = (t.vnni ? 128 : 0) + d->x_zero_point; /* the kernel reads x (+ 128 on VNNI) */
    const int64_t KH = d->geom.KH, KW = d->geom.KW;
#define WQ(o, kh, kw, i) wt->w[(o) * wt->so + (kh) * wt->skh + (kw) * wt->skw + (i) * wt->si]
    for (int64_t g = 0; g < d->geom.groups; g++)
        for (size_t p = 0; p < panels(d, &t); p++) {
            uint8_t *base = (uint8_t *)packed + ((size_t)g * panels(d, &t) + p) * pb;
            int32_t *bias = (int32_t *)base;
            float *scale = (float *)(base + NR * 4);
            int8_t *w = (int8_t *)(base + NR * 8);
            for (size_t j = 0; j < NR; j++) {
                size_t o = p * NR + j;
                int64_t O = g * (int64_t)ocg + (int64_t)o, sum = 0;
                if (o >= ocg) {
                    bias[j] = 0, scale[j] = 0.0f;
                    continue;
                }
                for (int64_t kh = 0; kh < KH; kh++)
                    for (int64_t kw = 0; kw < KW; kw++)
                        for (size_t i = 0; i < icg; i++) sum += WQ(O, kh, kw, (int64_t)i);
                bias[j] = (int32_t)((wt->bias ? wt->bias[O] : 0) - (int64_t)fold * sum);
                scale[j] = wt->scale[O];
            }
            /* per tap (im2col: one tap, k = (kh, kw, i) flattened), groups of `group` k per column */
            const size_t kd = kdepth(d), ng = (kd + t.group - 1) / t.group;
            for (size_t tap = 0; tap < ktaps(d); tap++)
                for (size_t gi = 0; gi < ng; gi++)
                    for (size_t j = 0; j < NR; j++)
                        for (size_t q = 0; q < t.group; q++) {
                            size_t o = p * NR + j, k = gi * t.group + q;
                            int8_t v = 0;
                            if (o < ocg && k < kd) {
                                /* the tap (kh, kw) and channel i of (tap, k) */
                                size_t tt = d->im2col == 2 ? tap * (size_t)KW + k / icg : d->im2col ? k / icg : tap;
                                size_t i = d->im2col ? k % icg : k;
                                v = WQ(g * (int64_t)ocg + (int64_t)o, (int64_t)tt / KW, (int64_t)tt % KW, (int64_t)i);
                            }
                            *w++ = v;
                        }
        }
#undef WQ
}

void pc_qconv_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx) {
    (void)consumed, (void)ctx; /* int8 weights are small: the cache hands them back once packed */
    const pc_qconv_pack_args *a = args;
    pc_qconv_pack(a->d, &a->w, packed);
}

size_t pc_qconv_scratch(const pc_qconv *d) {
    const qtile t = tile_of(d);
    const size_t rows = pc_round_up(PC_GEMM_MB_MAX, t.mr);
    if (d->im2col == 2) /* kernel rows rounded up to the tile's k group */
        return pc_align64(rows * ktaps(d) * sizeof(void *)) + rows * ktaps(d) * pc_round_up(kdepth(d), t.group);
    if (d->im2col) return pc_align64(rows * sizeof(void *)) + rows * taps_of(d) * icg_of(d);
    return pc_align64(icg_of(d)) + rows * taps_of(d) * sizeof(void *);
}

/* im2col: rows of the receptive field (K bytes each, padding = the input zero point) into buf,
 * one pointer per row (tile by tile, rows past the end repeating the last) */
static void qim2col(const pc_qconv *d, const int8_t *x, size_t MR, size_t m0, size_t m, size_t g, int8_t *buf,
                    const int8_t **ind) {
    const pc_conv2d *gm = &d->geom;
    const size_t icg = icg_of(d), K = taps_of(d) * icg;
    int64_t ow = (int64_t)m0 % gm->OW, oh = ((int64_t)m0 / gm->OW) % gm->OH, ni = (int64_t)m0 / (gm->OW * gm->OH);
    /* a kernel row of one group's channels is one contiguous run of the input when the taps are
     * adjacent (dw 1) and the group holds every channel: copied at once when inside the image */
    const bool runs = gm->dw == 1 && (int64_t)icg == gm->C;
    const size_t run = (size_t)gm->KW * icg;
    for (size_t r = 0; r < m; r++) {
        int8_t *dst = buf + r * K;
        const int8_t *xn = x + ni * gm->H * gm->W * gm->C + (int64_t)g * (int64_t)icg;
        const int64_t iw0 = ow * gm->sw - gm->pl;
        const bool cols_in = runs && iw0 >= 0 && iw0 + gm->KW <= gm->W;
        for (int64_t kh = 0; kh < gm->KH; kh++) {
            int64_t ih = oh * gm->sh - gm->pt + kh * gm->dh;
            if (cols_in && ih >= 0 && ih < gm->H) {
                const int8_t *src = xn + (ih * gm->W + iw0) * gm->C;
                for (size_t i = 0; i < run; i++) dst[i] = src[i];
                dst += run;
                continue;
            }
            for (int64_t kw = 0; kw < gm->KW; kw++, dst += icg) {
                int64_t iw = iw0 + kw * gm->dw;
                if (ih < 0 || ih >= gm->H || iw < 0 || iw >= gm->W)
                    for (size_t i = 0; i < icg; i++) dst[i] = (int8_t)d->x_zero_point;
                else {
                    const int8_t *src = xn + (ih * gm->W + iw) * gm->C;
                    for (size_t i = 0; i < icg; i++) dst[i] = src[i];
                }
            }
        }
        ind[r] = buf + r * K;
        if (++ow == gm->OW) {
            ow = 0;
            if (++oh == gm->OH) oh = 0, ni++;
        }
    }
    for (size_t r = m; r % MR; r++) ind[r] = ind[m - 1];
}

/* kernel rows: tap kh of pixel r points at its KW x C input bytes in place, or (where the row reads
 * padding) at a copy in buf with the padding as the input zero point; tile-major like the
 * indirection of the ordinary path (rows past the end repeat the last) */
static void qkrows(const pc_qconv *d, const int8_t *x, size_t MR, size_t m0, size_t m, size_t run4, int8_t *buf,
                   const int8_t **ind) {
    const pc_conv2d *gm = &d->geom;
    const size_t C = (size_t)gm->C, run = (size_t)gm->KW * C, KH = (size_t)gm->KH;
    const int64_t image = gm->H * gm->W * gm->C;
    const int8_t zp = (int8_t)d->x_zero_point;
    int64_t ow = (int64_t)m0 % gm->OW, oh = ((int64_t)m0 / gm->OW) % gm->OH, ni = (int64_t)m0 / (gm->OW * gm->OH);
    for (size_t r = 0; r < m; r++) {
        const int8_t *xn = x + ni * gm->H * gm->W * gm->C;
        const int64_t iw0 = ow * gm->sw - gm->pl;
        const bool cols_in = iw0 >= 0 && iw0 + gm->KW <= gm->W;
        const int8_t **row = ind + (r / MR) * KH * MR + r % MR;
        for (size_t kh = 0; kh < KH; kh++) {
            const int64_t ih = oh * gm->sh - gm->pt + (int64_t)kh * gm->dh;
            /* the tile reads run4 >= run bytes (the weights past run are 0): in place when they lie in the image */
            if (ih >= 0 && ih < gm->H && cols_in && (ih * gm->W + iw0) * gm->C + (int64_t)run4 <= image) {
                row[kh * MR] = xn + (ih * gm->W + iw0) * gm->C;
                continue;
            }
            int8_t *dst = buf + (r * KH + kh) * run4;
            memset(dst + run, zp, run4 - run);
            for (int64_t kw = 0; kw < gm->KW; kw++) {
                const int64_t iw = iw0 + kw;
                if (ih < 0 || ih >= gm->H || iw < 0 || iw >= gm->W) memset(dst + (size_t)kw * C, zp, C);
                else memcpy(dst + (size_t)kw * C, xn + (ih * gm->W + iw) * gm->C, C);
            }
            row[kh * MR] = dst;
        }
        if (++ow == gm->OW) {
            ow = 0;
            if (++oh == gm->OH) oh = 0, ni++;
        }
    }
    for (size_t r = m; r % MR; r++)
        for (size_t kh = 0; kh < KH; kh++)
            ind[(r / MR) * KH * MR + kh * MR + r % MR] = ind[((m - 1) / MR) * KH * MR + kh * MR + (m - 1) % MR];
}

typedef struct qjob {
    const pc_ctx *c;
    const pc_qconv *d;
    qtile t;
    const uint8_t *packed;
    const int8_t *x;
    int8_t *y;
    size_t rows, cols, ntr, ntc, ntg;
    pc_qout q;
} qjob;

static void qconv_task(void *arg, size_t task, size_t thread) {
    const qjob *j = arg;
    const pc_qconv *d = j->d;
    const pc_conv2d *gm = &d->geom;
    const size_t MR = j->t.mr, NR = j->t.nr, KS = taps_of(d), icg = icg_of(d), ocg = ocg_of(d);
    const size_t M = (size_t)(gm->N * gm->OH * gm->OW), OC = (size_t)gm->OC, pb = panel_bytes(d, &j->t);
    const size_t g = task % j->ntg, tn = (task / j->ntg) % j->ntc, tm = task / (j->ntg * j->ntc);
    const size_t m0 = tm * j->rows, m = pc_min(j->rows, M - m0), n0 = tn * j->cols, n = pc_min(j->cols, ocg - n0);
    uint8_t *s = pc_scratch(j->c, thread);
    const uint8_t *gp = j->packed + g * ((ocg + NR - 1) / NR) * pb;
    int8_t *y = j->y + m0 * OC + g * ocg;
    if (d->im2col == 2) {
        const int8_t **ind = (const int8_t **)s;
        const size_t KH = (size_t)gm->KH, kc = pc_round_up((size_t)gm->KW * icg, j->t.group);
        qkrows(d, j->x, MR, m0, m, kc, (int8_t *)(s + pc_align64(pc_round_up(PC_GEMM_MB_MAX, MR) * KH * sizeof(void *))), ind);
        for (size_t p = n0; p < n0 + n; p += NR)
            for (size_t i = 0, ti = 0; i < m; i += MR, ti++)
                (m - i == 1 && j->t.fn1 ? j->t.fn1 : j->t.fn)(pc_min(MR, m - i), pc_min(NR, n0 + n - p), kc, KH,
                                                              ind + ti * KH * MR, gp + (p / NR) * pb, y + i * OC + p, OC,
                                                              &j->q);
        return;
    }
    if (d->im2col) {
        const int8_t **ind = (const int8_t **)s;
        qim2col(d, j->x, MR, m0, m, g, (int8_t *)(s + pc_align64(pc_round_up(PC_GEMM_MB_MAX, MR) * sizeof(void *))), ind);
        for (size_t p = n0; p < n0 + n; p += NR)
            for (size_t i = 0; i < m; i += MR)
                (m - i == 1 && j->t.fn1 ? j->t.fn1 : j->t.fn)(pc_min(MR, m - i), pc_min(NR, n0 + n - p), KS * icg, 1, ind + i, gp + (p / NR) * pb, y + i * OC + p,
                        OC, &j->q);
        return;
    }
    int8_t *zero = (int8_t *)s; /* padding taps read the input's zero point */
    const int8_t **ind = (const int8_t **)(s + pc_align64(icg));
    memset(zero, (int8_t)d->x_zero_point, icg);
    uint8_t merged[PC_GEMM_MB_MAX / 4 + 1];
    pc_conv_indirection(gm, j->x, 1, zero, MR, m0, m, g, true, (const void **)ind, merged);
    for (size_t p = n0; p < n0 + n; p += NR) {
        const size_t nw = pc_min(NR, n0 + n - p);
        for (size_t i = 0, ti = 0; i < m; i += MR, ti++)
            (m - i == 1 && j->t.fn1 ? j->t.fn1 : j->t.fn)(pc_min(MR, m - i), nw, merged[ti] ? (size_t)gm->KW * icg : icg, merged[ti] ? (size_t)gm->KH : KS,
                    ind + ti * KS * MR, gp + (p / NR) * pb, y + i * OC + p, OC, &j->q);
    }
}

void pc_qconv_run(const pc_ctx *c, const pc_qconv *d, const void *packed, const int8_t *x, int8_t *y) {
    const pc_conv2d *gm = &d->geom;
    if (gm->N == 0 || gm->OC == 0 || gm->OH == 0 || gm->OW == 0) return;
    qjob j = {c, d, tile_of(d), packed, x, y, 0, 0, 0, 0, (size_t)gm->groups,
              {(float)(d->lo - d->y_zero_point), (float)(d->hi - d->y_zero_point), d->y_zero_point}};
    const size_t M = (size_t)(gm->N * gm->OH * gm->OW), ocg = ocg_of(d), mr = j.t.mr, nr = j.t.nr;
    /* tasks: blocks of rows (at most PC_GEMM_MB_MAX) x blocks of whole panels, a few per thread */
    size_t rows = pc_round_up(pc_min(M, PC_GEMM_MB_MAX), mr), cols = pc_round_up(ocg, nr);
    const size_t want = (size_t)pc_ctx_threads(c) * 3;
    while (want > 3 && ((M + rows - 1) / rows) * ((ocg + cols - 1) / cols) * j.ntg < want && rows > mr)
        rows = pc_round_up(rows / 2, mr);
    while (want > 3 && ((M + rows - 1) / rows) * ((ocg + cols - 1) / cols) * j.ntg < want && cols > nr)
        cols = pc_round_up(cols / 2, nr);
    j.rows = rows, j.cols = cols, j.ntr = (M + rows - 1) / rows, j.ntc = (ocg + cols - 1) / cols;
    pc_parallel(c, j.ntr * j.ntc * j.ntg, qconv_task, &j);
}

/* ---- depthwise: per output pixel, channels in vectors ---- */

bool pc_qdw_setup(pc_qconv *d, pc_isa isa, const pc_qweights *w) {
    d->isa = isa, d->vnni = 0;
    const pc_conv2d *g = &d->geom;
    if (g->groups != g->C || g->OC != g->C || g->KH < 1 || g->KW < 1 || g->KH * g->KW > 1024) return false;
    if (d->x_zero_point < -128 || d->x_zero_point > 127) return false;
    if (w->bias) /* |sum| <= taps * 128 * 256 and the folded bias: int32 holds them */
        for (int64_t o = 0; o < g->OC; o++)
            if (w->bias[o] > (1 << 30) || w->bias[o] < -(1 << 30)) return false;
    const int64_t span = (g->OW - 1) * g->sw + (g->KW - 1) * g->dw + 1; /* input columns of a whole output row */
    d->strip_w = span > 0 && span <= (1 << 20) / (g->KH * g->C > 0 ? g->KH * g->C : 1) ? span : 0;
#ifdef PC_HAVE_X86
    /* rows away from padding by kernel-row pairs on VNNI: 3x3 and 5x5, stride 1 or 2 across, no dilation */
    d->vnni = isa == PC_ISA_AVX512 && pc_cpu_has_vnni() && (g->KW == 3 || g->KW == 5) && (g->sw == 1 || g->sw == 2) &&
              g->dh == 1 && g->dw == 1;
#endif
    return true;
}

/* int32 bias[C], float scale[C], int32 weights [taps][C]; with vnni then, from a 64-byte boundary,
 * blocks of 64 channels for pc_qdw_row_s8__avx512vnni: 64 int32 biases (with -(128 + input zero point)
 * x the weight sum folded in), 64 float scales, then [(KH + 3) / 4 row groups][KW][4 vectors][16 lanes]
 * [4 rows] int8 weights. Vector k, lane 4L + i holds channel 64b + 16L + 4k + i (the kernel's in-lane
 * interleave order); channels past C and rows past KH are 0. */
#define QDW_VNNI_HEAD 512
/* The int32 weights serve the generic row kernel and the per-pixel fallback. On VNNI with a padded
 * strip every pixel runs through the VNNI row kernel (a border segment is part of one output row, so
 * it fits the strip): then they are not stored (int8 efficientnet_b0: 0.84 MB less). */
static bool qdw_int32_weights(const pc_qconv *d) { return !(d->vnni && d->strip_w > 0); }
static size_t qdw_pairs_offset(const pc_qconv *d) {
    return pc_align64((size_t)d->geom.C * (8 + (qdw_int32_weights(d) ? (size_t)(d->geom.KH * d->geom.KW) * 4 : 0)));
}
static size_t qdw_vnni_block(const pc_qconv *d) {
    return QDW_VNNI_HEAD + ((size_t)d->geom.KH + 3) / 4 * (size_t)d->geom.KW * 256;
}

size_t pc_qdw_packed_bytes(const pc_qconv *d) {
    const size_t blocks = ((size_t)d->geom.C + 63) / 64;
    return qdw_pairs_offset(d) + (d->vnni ? blocks * qdw_vnni_block(d) : 0);
}

void pc_qdw_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx) {
    (void)consumed, (void)ctx;
    const pc_qconv_pack_args *a = args;
    const pc_qconv *d = a->d;
    const pc_qweights *wt = &a->w;
    const int64_t C = d->geom.C, KH = d->geom.KH, KW = d->geom.KW;
    int32_t *bias = packed, *w = (int32_t *)((uint8_t *)packed + (size_t)C * 8);
    float *scale = (float *)(bias + C);
    for (int64_t c = 0; c < C; c++) {
        int64_t sum = 0;
        for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t kw = 0; kw < KW; kw++) {
                int32_t v = wt->w[c * wt->so + kh * wt->skh + kw * wt->skw];
                if (qdw_int32_weights(d)) w[(kh * KW + kw) * C + c] = v;
                sum += v;
            }
        bias[c] = (int32_t)((wt->bias ? wt->bias[c] : 0) - (int64_t)d->x_zero_point * sum);
        scale[c] = wt->scale[c];
    }
    if (!d->vnni) return;
    uint8_t *blk = (uint8_t *)packed + qdw_pairs_offset(d);
    const int64_t R = (KH + 3) / 4;
    for (int64_t c0 = 0; c0 < C; c0 += 64, blk += qdw_vnni_block(d)) {
        int32_t *vb = (int32_t *)blk;
        float *vs = (float *)(blk + 256);
        int8_t *vw = (int8_t *)(blk + QDW_VNNI_HEAD);
        for (int64_t k = 0; k < 4; k++)
            for (int64_t lane = 0; lane < 16; lane++) {
                const int64_t c = c0 + 16 * (lane / 4) + 4 * k + lane % 4, at = 16 * k + lane;
                int64_t sum = 0;
                for (int64_t t = 0; c < C && t < KH * KW; t++) sum += wt->w[c * wt->so + (t / KW) * wt->skh + (t % KW) * wt->skw];
                vb[at] = c < C ? (int32_t)((wt->bias ? wt->bias[c] : 0) - (int64_t)(128 + d->x_zero_point) * sum) : 0;
                vs[at] = c < C ? wt->scale[c] : 0.0f;
                for (int64_t r = 0; r < R; r++)
                    for (int64_t kw = 0; kw < KW; kw++)
                        for (int64_t i = 0; i < 4; i++) {
                            const int64_t kh = 4 * r + i;
                            vw[((r * KW + kw) * 4 + k) * 64 + lane * 4 + i] =
                                (int8_t)(c < C && kh < KH ? wt->w[c * wt->so + kh * wt->skh + kw * wt->skw] : 0);
                        }
            }
    }
}

/* zero-point buffer, tap pointers, tap offsets; then a padded strip of KH input rows (strip_w
 * columns) for the output pixels that read padding */
static size_t qdw_strip_offset(const pc_qconv *d) {
    const size_t KK = (size_t)(d->geom.KH * d->geom.KW);
    return pc_align64((size_t)d->geom.C) + pc_align64(KK * sizeof(void *)) + pc_align64(KK * sizeof(int64_t));
}

size_t pc_qdw_scratch(const pc_qconv *d) {
    return qdw_strip_offset(d) + (size_t)d->geom.KH * (size_t)d->strip_w * (size_t)d->geom.C;
}

typedef struct qdw_job {
    const pc_ctx *c;
    const pc_qconv *d;
    const pc_ukernels *uk;
    const uint8_t *packed;
    const int8_t *x;
    int8_t *y;
    pc_qout q;
} qdw_job;

/* n pixels of one output row reading x (kernel row 0, the first pixel's column 0), rows ldrow apart;
 * off[t] = tap t's offset for the generic row kernel */
static void qdw_run_row(const qdw_job *j, const int8_t *x, size_t ldrow, const int64_t *off, int64_t n, int8_t *y) {
    const pc_conv2d *g = &j->d->geom;
    const int64_t C = g->C;
    const int32_t *bias = (const int32_t *)j->packed, *w = (const int32_t *)(j->packed + (size_t)C * 8);
    const float *scale = (const float *)(bias + C);
#ifdef PC_HAVE_X86
    if (j->d->vnni) {
        pc_qdw_row_s8__avx512vnni((size_t)C, (size_t)n, (size_t)g->KH, (size_t)g->KW, (size_t)g->sw, x, ldrow,
                                  (const int8_t *)(j->packed + qdw_pairs_offset(j->d)), y, &j->q);
        return;
    }
#endif
    (void)ldrow;
    j->uk->qdwconv_s8_row((size_t)C, (size_t)n, (size_t)(g->KH * g->KW), x, (size_t)(g->sw * C), off, w, bias, scale, y,
                          &j->q);
}

/* Output pixels [oa, ob) of a row whose kernel rows start at input row ih0 and that read padding: the
 * input they read is copied into a strip with the padding as the input zero point, then run as a row
 * (per pixel through tap pointers if the strip would not fit the scratch). */
static void qdw_segment(const qdw_job *j, uint8_t *s, const int8_t *xn, int64_t ih0, int64_t oa, int64_t ob, int8_t *y,
                        int64_t *off) {
    const pc_conv2d *g = &j->d->geom;
    const int64_t C = g->C, iwa = oa * g->sw - g->pl, width = (ob - oa - 1) * g->sw + (g->KW - 1) * g->dw + 1;
    const int8_t zp = (int8_t)j->d->x_zero_point;
    if (width <= j->d->strip_w) {
        int8_t *strip = (int8_t *)(s + qdw_strip_offset(j->d));
        for (int64_t kh = 0; kh < g->KH; kh++) {
            const int64_t ih = ih0 + kh * g->dh;
            int8_t *dst = strip + kh * width * C;
            if (ih < 0 || ih >= g->H) {
                memset(dst, zp, (size_t)(width * C));
                continue;
            }
            const int64_t lo = iwa < 0 ? -iwa : 0, hi = iwa + width > g->W ? g->W - iwa : width; /* inside: [lo, hi) */
            if (hi <= lo) {
                memset(dst, zp, (size_t)(width * C));
                continue;
            }
            memset(dst, zp, (size_t)(lo * C));
            memcpy(dst + lo * C, xn + (ih * g->W + iwa + lo) * C, (size_t)((hi - lo) * C));
            memset(dst + hi * C, zp, (size_t)((width - hi) * C));
        }
        size_t k = 0;
        for (int64_t kh = 0; kh < g->KH; kh++)
            for (int64_t kw = 0; kw < g->KW; kw++) off[k++] = (kh * width + kw * g->dw) * C;
        /* the strip's rows are width * C apart and its kernel rows adjacent (dh applied when copying) */
        qdw_run_row(j, strip, (size_t)(width * C), off, ob - oa, y + oa * C);
        return;
    }
    /* here only when the strip cannot hold a row (strip_w 0): the int32 weights were stored */
    int8_t *zero = (int8_t *)s;
    const int8_t **taps = (const int8_t **)(s + pc_align64((size_t)C));
    memset(zero, zp, (size_t)C);
    const int32_t *bias = (const int32_t *)j->packed, *w = (const int32_t *)(j->packed + (size_t)C * 8);
    const float *scale = (const float *)(bias + C);
    for (int64_t ow = oa; ow < ob; ow++) {
        pc_dw_taps(g, xn, 1, ih0, ow, zero, (const void **)taps);
        j->uk->qdwconv_s8((size_t)C, (size_t)(g->KH * g->KW), taps, w, bias, scale, y + ow * C, &j->q);
    }
}

static void qdw_task(void *arg, size_t task, size_t thread) {
    const qdw_job *j = arg;
    const pc_conv2d *g = &j->d->geom;
    const int64_t C = g->C, KK = g->KH * g->KW, ni = (int64_t)task / g->OH, oh = (int64_t)task % g->OH;
    uint8_t *s = pc_scratch(j->c, thread);
    int64_t *off = (int64_t *)(s + pc_align64((size_t)C) + pc_align64((size_t)KK * sizeof(void *)));
    const int8_t *xn = j->x + ni * g->H * g->W * C;
    int8_t *y = j->y + (ni * g->OH + oh) * g->OW * C;
    /* output columns [ow0, ow1) read no padding; rows too when every kh is inside (as the fp32 one) */
    int64_t ih0, ow0, ow1;
    pc_dw_interior(g, oh, &ih0, &ow0, &ow1);
    /* the pixels that read padding through the padded strip, the others in place */
    if (ow0 > 0) qdw_segment(j, s, xn, ih0, 0, ow0, y, off);
    if (ow1 > ow0) {
        size_t k = 0;
        for (int64_t kh = 0; kh < g->KH; kh++)
            for (int64_t kw = 0; kw < g->KW; kw++) off[k++] = (kh * g->dh * g->W + kw * g->dw) * C;
        qdw_run_row(j, xn + (ih0 * g->W + ow0 * g->sw - g->pl) * C, (size_t)(g->W * C), off, ow1 - ow0, y + ow0 * C);
    }
    if (ow1 < g->OW) qdw_segment(j, s, xn, ih0, ow1, g->OW, y, off);
}

void pc_qdw_run(const pc_ctx *c, const pc_qconv *d, const void *packed, const int8_t *x, int8_t *y) {
    const pc_conv2d *g = &d->geom;
    if (g->N == 0 || g->C == 0 || g->OH == 0 || g->OW == 0) return;
    qdw_job j = {c, d, pc_uk(d->isa), packed, x, y,
                 {(float)(d->lo - d->y_zero_point), (float)(d->hi - d->y_zero_point), d->y_zero_point}};
    pc_parallel(c, (size_t)(g->N * g->OH), qdw_task, &j);
}

/* ---- converts ---- */

typedef struct cvt_job {
    const pc_ukernels *uk;
    size_t n;
    const void *x;
    void *y;
    float scale;
    int is_unsigned, to_int;
    pc_qout q;
} cvt_job;

#define CVT_CHUNK 16384

static void cvt_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const cvt_job *j = arg;
    size_t i0 = t * CVT_CHUNK, n = pc_min(CVT_CHUNK, j->n - i0);
    if (j->to_int)
        j->uk->quantize_f32(n, (const float *)j->x + i0, j->scale, &j->q, (uint8_t *)j->y + i0, j->is_unsigned);
    else
        j->uk->dequantize_f32(n, (const uint8_t *)j->x + i0, j->is_unsigned, j->q.zero_point, j->scale, (float *)j->y + i0);
}

void pc_quantize_f32(const pc_ctx *c, size_t n, const float *x, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                     void *y, int is_unsigned) {
    /* XNNPACK multiplies by the reciprocal scale (f32-qs8-vcvt) */
    cvt_job j = {pc_uk(c->isa), n, x, y, 1.0f / scale, is_unsigned, 1,
                 {(float)(lo - zero_point), (float)(hi - zero_point), zero_point}};
    pc_parallel(c, (n + CVT_CHUNK - 1) / CVT_CHUNK, cvt_task, &j);
}

void pc_dequantize_f32(const pc_ctx *c, size_t n, const void *x, int is_unsigned, int32_t zero_point, float scale, float *y) {
    cvt_job j = {pc_uk(c->isa), n, x, y, scale, is_unsigned, 0, {0.0f, 0.0f, zero_point}};
    pc_parallel(c, (n + CVT_CHUNK - 1) / CVT_CHUNK, cvt_task, &j);
}
