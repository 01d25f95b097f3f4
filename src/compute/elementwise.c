/* elementwise.c — unary and binary fp32 operations: the scalar definitions (the reference every
 * vector path is tested against), contiguous runs on the ISA's microkernel, and one broadcast
 * walker that cuts strided N-d operands into such runs. */
#include <math.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/internal.h"
#include "compute/ukernels.h"

#define CHUNK 16384 /* elements per task when a long run is split over threads */

pc_unary_params pc_unary_defaults(void) {
    pc_unary_params p = {-INFINITY, INFINITY, 0.01f, 1.0f, 1.0f, 1.0f};
    return p;
}

float pc_unary_ref(pc_unary_op op, float x, const pc_unary_params *p) {
    float y = x;
    switch (op) {
    case PC_U_COPY: case PC_U_CLAMP: case PC_U_COUNT: break;
    case PC_U_RELU: y = x > 0 ? x : (x != x ? x : 0.0f); break;
    case PC_U_SIGMOID: y = 1.0f / (1.0f + expf(-x)); break;
    case PC_U_TANH: y = tanhf(x); break;
    case PC_U_EXP: y = expf(x); break;
    case PC_U_LOG: y = logf(x); break;
    case PC_U_SQRT: y = sqrtf(x); break;
    case PC_U_RSQRT: y = 1.0f / sqrtf(x); break;
    case PC_U_NEG: y = -x; break;
    case PC_U_ABS: y = fabsf(x); break;
    case PC_U_SIN: y = sinf(x); break;
    case PC_U_COS: y = cosf(x); break;
    case PC_U_ERF: y = erff(x); break;
    case PC_U_RECIPROCAL: y = 1.0f / x; break;
    case PC_U_FLOOR: y = floorf(x); break;
    case PC_U_CEIL: y = ceilf(x); break;
    case PC_U_ROUND: y = nearbyintf(x); break;
    case PC_U_GELU: y = 0.5f * x * (1.0f + erff(x * 0.70710678118654752f)); break;
    case PC_U_GELU_TANH: y = 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x))); break;
    case PC_U_LEAKY_RELU: y = x > 0 ? x : x * p->slope; break;
    case PC_U_ELU: y = x > 0 ? x * p->scale : p->alpha * p->scale * (expf(x * p->input_scale) - 1.0f); break;
    case PC_U_LOG1P: y = log1pf(x); break;
    case PC_U_EXPM1: y = expm1f(x); break;
    case PC_U_HARDSWISH: {
        float t = x + 3.0f;
        t = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
        y = x * t * (1.0f / 6.0f);
        break;
    }
    case PC_U_SQUARE: y = x * x; break;
    case PC_U_SILU: y = x / (1.0f + expf(-x)); break;
    }
    y = y < p->lo ? p->lo : y;
    return y > p->hi ? p->hi : y;
}

typedef struct unary_job {
    const pc_ukernels *uk;
    int op;
    size_t n;
    const float *x;
    float *y;
    const pc_unary_params *p;
} unary_job;

static void unary_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const unary_job *j = arg;
    size_t i = t * CHUNK;
    j->uk->vunary_f32(j->op, pc_min(CHUNK, j->n - i), j->x + i, j->y + i, j->p);
}

void pc_vunary_f32(const pc_ctx *c, pc_unary_op op, size_t n, const float *x, float *y, const pc_unary_params *p) {
    unary_job j = {pc_uk(c->isa), (int)op, n, x, y, p};
    if (n <= CHUNK || pc_ctx_threads(c) < 2) j.uk->vunary_f32(j.op, n, x, y, p);
    else pc_parallel(c, (n + CHUNK - 1) / CHUNK, unary_task, &j);
}

typedef struct lut_job {
    size_t n;
    const uint8_t *x, *table;
    uint8_t *y;
    int vbmi;
} lut_job;

static void lut_run(const lut_job *j, size_t i0, size_t n) {
#ifdef PC_HAVE_X86
    if (j->vbmi) {
        pc_lut8__avx512vbmi(n, j->x + i0, j->table, j->y + i0);
        return;
    }
#endif
    uint8_t t[256]; /* a local copy: stores to y cannot change it, so nothing is reloaded */
    memcpy(t, j->table, sizeof t);
    const uint8_t *x = j->x;
    uint8_t *y = j->y;
    for (size_t i = i0; i < i0 + n; i++) y[i] = t[x[i]];
}

static void lut_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const lut_job *j = arg;
    const size_t i = t * CHUNK;
    lut_run(j, i, pc_min(CHUNK, j->n - i));
}

void pc_lut8(const pc_ctx *c, size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y) {
    lut_job j = {n, x, table, y, 0};
#ifdef PC_HAVE_X86
    j.vbmi = c->isa == PC_ISA_AVX512 && pc_cpu_has_vbmi();
#endif
    if (n <= CHUNK || pc_ctx_threads(c) < 2) lut_run(&j, 0, n);
    else pc_parallel(c, (n + CHUNK - 1) / CHUNK, lut_task, &j);
}

pc_binary_params pc_binary_defaults(void) {
    pc_binary_params p = {1.0f, -INFINITY, INFINITY};
    return p;
}

float pc_binary_ref(pc_binary_op op, float a, float b, const pc_binary_params *p) {
    float y = 0.0f;
    switch (op) {
    case PC_B_ADD: y = a + p->alpha * b; break;
    case PC_B_SUB: y = a - p->alpha * b; break;
    case PC_B_RSUB: y = b - p->alpha * a; break;
    case PC_B_MUL: y = a * b; break;
    case PC_B_DIV: y = a / b; break;
    case PC_B_MIN: y = a < b ? a : b; break;
    case PC_B_MAX: y = a > b ? a : b; break;
    case PC_B_PRELU: y = a > 0 ? a : a * b; break;
    case PC_B_COUNT: break;
    }
    y = y < p->lo ? p->lo : y;
    return y > p->hi ? p->hi : y;
}

void pc_iter_init(pc_iter *it, int32_t rank, const int64_t *sizes) {
    it->rank = rank;
    memcpy(it->sizes, sizes, (size_t)rank * sizeof *sizes);
    memset(it->idx, 0, sizeof it->idx);
    it->off[0] = it->off[1] = it->off[2] = 0;
}

/* One run of a binary operation: n elements of y from a and b, each advancing by ainc / binc (0 or 1)
 * elements. */
typedef void (*binary_run_fn)(const void *ctx, size_t n, const uint8_t *a, size_t ainc, const uint8_t *b, size_t binc,
                              uint8_t *y);

typedef struct binary_job {
    binary_run_fn run;
    const void *ctx;
    size_t es;         /* element size (bytes) */
    const uint8_t *a, *b;
    uint8_t *y;
    pc_iter it;        /* over the outer dims (strides in elements) */
    size_t inner;      /* run length */
    size_t ainc, binc; /* 0 or 1 along the run */
    size_t runs_per_task, nruns;
} binary_job;

static void binary_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const binary_job *j = arg;
    size_t r0 = t * j->runs_per_task, r1 = pc_min(r0 + j->runs_per_task, j->nruns);
    /* position a private walker at run r0 */
    pc_iter it = j->it;
    size_t rem = r0;
    for (int32_t d = it.rank - 1; d >= 0; d--) {
        it.idx[d] = (int64_t)(rem % (size_t)it.sizes[d]);
        rem /= (size_t)it.sizes[d];
    }
    for (int k = 0; k < 3; k++) {
        it.off[k] = 0;
        for (int32_t d = 0; d < it.rank; d++) it.off[k] += it.idx[d] * it.strides[k][d];
    }
    const int64_t es = (int64_t)j->es;
    for (size_t r = r0; r < r1; r++, pc_iter_next(&it, 3))
        j->run(j->ctx, j->inner, j->a + it.off[0] * es, j->ainc, j->b + it.off[1] * es, j->binc, j->y + it.off[2] * es);
}

typedef struct rep_job {
    _Alignas(64) uint8_t rep[4096]; /* the repeating row, as many times as fit */
    size_t row, k, R, C;           /* row bytes, rows in rep, rows, elements per row */
    int b_rep;                     /* b repeats (else a) */
    const uint8_t *full;
    uint8_t *y;
    binary_run_fn run;
    const void *ctx;
} rep_job;

static void rep_task(void *arg, size_t t, size_t thread) {
    (void)thread;
    const rep_job *j = arg;
    const size_t r0 = t * j->k, rows = j->R - r0 < j->k ? j->R - r0 : j->k, off = r0 * j->row;
    if (j->b_rep) j->run(j->ctx, rows * j->C, j->full + off, 1, j->rep, 1, j->y + off);
    else j->run(j->ctx, rows * j->C, j->rep, 1, j->full + off, 1, j->y + off);
}

/* Broadcasting walk shared by the float and the int8 operations: size-1 dims dropped, dims
 * contiguous for all three operands merged, the innermost one a run where possible. */
static void binary_walk(const pc_ctx *c, int32_t rank, const int64_t *sizes, const void *a, const int64_t *sa,
                        const void *b, const int64_t *sb, void *y, const int64_t *sy, size_t es, binary_run_fn run,
                        const void *ctx) {
    int64_t sz[PC_MAX_RANK], s3[3][PC_MAX_RANK];
    int32_t r = 0;
    size_t total = 1;
    for (int32_t d = 0; d < rank; d++) {
        total *= (size_t)sizes[d];
        if (sizes[d] == 1) continue;
        int64_t st[3] = {sa[d], sb[d], sy[d]};
        if (r > 0) {
            bool merge = true;
            for (int k = 0; k < 3; k++) merge = merge && s3[k][r - 1] == st[k] * sizes[d];
            if (merge) {
                sz[r - 1] *= sizes[d];
                for (int k = 0; k < 3; k++) s3[k][r - 1] = st[k];
                continue;
            }
        }
        sz[r] = sizes[d];
        for (int k = 0; k < 3; k++) s3[k][r] = st[k];
        r++;
    }
    if (total == 0) return;
    /* [R, C] with one operand repeating a row of C (a per-channel scale, an SE block's gate): short
     * runs cost more in calls than in work, so the row is repeated into a buffer of about 4 KiB and
     * the other operand and y are taken several rows at a time */
    if (r == 2 && s3[2][0] == sz[1] && s3[2][1] == 1 && sz[1] * (int64_t)es <= 1024 &&
        ((s3[0][0] == sz[1] && s3[0][1] == 1 && s3[1][0] == 0 && s3[1][1] == 1) ||
         (s3[1][0] == sz[1] && s3[1][1] == 1 && s3[0][0] == 0 && s3[0][1] == 1))) {
        rep_job rj;
        rj.b_rep = s3[1][0] == 0;
        rj.row = (size_t)sz[1] * es, rj.k = sizeof rj.rep / rj.row, rj.R = (size_t)sz[0], rj.C = (size_t)sz[1];
        rj.full = rj.b_rep ? a : b, rj.y = y, rj.run = run, rj.ctx = ctx;
        for (size_t i = 0; i < rj.k; i++) memcpy(rj.rep + i * rj.row, rj.b_rep ? b : a, rj.row);
        const size_t tasks = (rj.R + rj.k - 1) / rj.k;
        if (pc_ctx_threads(c) < 2 || total < CHUNK) for (size_t t = 0; t < tasks; t++) rep_task(&rj, t, 0);
        else pc_parallel(c, tasks, rep_task, &rj);
        return;
    }
    binary_job j;
    j.run = run, j.ctx = ctx, j.es = es, j.a = a, j.b = b, j.y = y;
    /* the innermost dim is a run when y is contiguous there and a, b are contiguous or broadcast */
    if (r > 0 && s3[2][r - 1] == 1 && (s3[0][r - 1] == 1 || s3[0][r - 1] == 0) && (s3[1][r - 1] == 1 || s3[1][r - 1] == 0)) {
        j.inner = (size_t)sz[r - 1], j.ainc = (size_t)s3[0][r - 1], j.binc = (size_t)s3[1][r - 1];
        r--;
    } else {
        j.inner = 1, j.ainc = 1, j.binc = 1;
    }
    pc_iter_init(&j.it, r, sz);
    for (int k = 0; k < 3; k++) memcpy(j.it.strides[k], s3[k], (size_t)r * sizeof(int64_t));
    j.nruns = total / (j.inner ? j.inner : 1);
    size_t per = j.inner >= CHUNK ? 1 : CHUNK / j.inner;
    j.runs_per_task = per;
    size_t tasks = (j.nruns + per - 1) / per;
    if (pc_ctx_threads(c) < 2 || tasks < 2) {
        j.runs_per_task = j.nruns;
        binary_task(&j, 0, 0);
        return;
    }
    pc_parallel(c, tasks, binary_task, &j);
}

typedef struct f32_binary {
    const pc_ukernels *uk;
    int op;
    const pc_binary_params *p;
} f32_binary;

static void f32_run(const void *ctx, size_t n, const uint8_t *a, size_t ainc, const uint8_t *b, size_t binc, uint8_t *y) {
    const f32_binary *f = ctx;
    f->uk->vbinary_f32(f->op, n, (const float *)a, ainc, (const float *)b, binc, (float *)y, f->p);
}

void pc_binary_f32(const pc_ctx *c, pc_binary_op op, int32_t rank, const int64_t *sizes, const float *a,
                   const int64_t *sa, const float *b, const int64_t *sb, float *y, const int64_t *sy,
                   const pc_binary_params *p) {
    f32_binary f = {pc_uk(c->isa), (int)op, p};
    binary_walk(c, rank, sizes, a, sa, b, sb, y, sy, sizeof(float), f32_run, &f);
}

/* ---- int8 add and multiply: XNNPACK's qs8 / qu8 arithmetic ---- */

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

bool pc_qadd_init(pc_qbinary *q, float sa, int32_t za, float sb, int32_t zb, float so, int32_t zo, int32_t lo, int32_t hi,
                  int is_unsigned) {
    memset(q, 0, sizeof *q);
    if (!(sa > 0.0f) || !isnormal(sa) || !(sb > 0.0f) || !isnormal(sb) || !(so > 0.0f) || !isnormal(so)) return false;
    /* each input's scale over the output's, as a multiplier of 20 to 21 bits and one shift for both */
    const float ra = sa / so, rb = sb / so;
    const float rmax = ra > rb ? ra : rb;
    if (ra < 0x1.0p-10f || rb < 0x1.0p-10f || ra >= 0x1.0p+8f || rb >= 0x1.0p+8f) return false;
    const int32_t exponent = (int32_t)(f32_bits(rmax) >> 23) - 127;
    const uint32_t shift = (uint32_t)(20 - exponent); /* 12..30 */
    /* scaling by 2^shift through the exponent bits, then rounding to nearest even */
    const int32_t ma = (int32_t)lrintf(bits_f32(f32_bits(ra) + (shift << 23)));
    const int32_t mb = (int32_t)lrintf(bits_f32(f32_bits(rb) + (shift << 23)));
    q->op = PC_QB_ADD, q->is_unsigned = is_unsigned;
    q->a_mult = ma, q->b_mult = mb, q->shift = shift;
    q->bias = (int32_t)((INT32_C(1) << (shift - 1)) - ma * za - mb * zb);
    q->zo = zo, q->lo = lo, q->hi = hi;
    return true;
}

bool pc_qmul_init(pc_qbinary *q, float sa, int32_t za, float sb, int32_t zb, float so, int32_t zo, int32_t lo, int32_t hi,
                  int is_unsigned) {
    memset(q, 0, sizeof *q);
    if (!(sa > 0.0f) || !isnormal(sa) || !(sb > 0.0f) || !isnormal(sb) || !(so > 0.0f) || !isnormal(so)) return false;
    const float product = sa * sb, scale = product / so;
    if (!(scale >= 0x1.0p-16f) || !(scale < 0x1.0p+8f)) return false;
    q->op = PC_QB_MUL, q->is_unsigned = is_unsigned;
    q->za = za, q->zb = zb, q->scale = scale;
    q->zo = zo, q->lo = lo, q->hi = hi;
    return true;
}

static void q8_run(const void *ctx, size_t n, const uint8_t *a, size_t ainc, const uint8_t *b, size_t binc, uint8_t *y) {
    const pc_qbinary *q = ctx;
    pc_uk(q->isa)->vbinary_q8(q, n, a, ainc, b, binc, y);
}

void pc_qbinary_run(const pc_ctx *c, const pc_qbinary *q, int32_t rank, const int64_t *sizes, const void *a,
                const int64_t *sa, const void *b, const int64_t *sb, void *y, const int64_t *sy) {
    pc_qbinary qq = *q;
    qq.isa = c->isa;
    binary_walk(c, rank, sizes, a, sa, b, sb, y, sy, 1, q8_run, &qq);
}

/* ---- layout copies ---- */

void pc_copy_strided(size_t es, int32_t rank, const int64_t *sizes, const void *x, const int64_t *sx, void *y,
                     const int64_t *sy) {
    int64_t sz[PC_MAX_RANK], st[2][PC_MAX_RANK];
    int32_t r = 0;
    for (int32_t d = 0; d < rank; d++) {
        if (sizes[d] == 0) return;
        if (sizes[d] == 1) continue;
        if (r > 0 && st[0][r - 1] == sx[d] * sizes[d] && st[1][r - 1] == sy[d] * sizes[d]) {
            sz[r - 1] *= sizes[d], st[0][r - 1] = sx[d], st[1][r - 1] = sy[d];
            continue;
        }
        sz[r] = sizes[d], st[0][r] = sx[d], st[1][r] = sy[d], r++;
    }
    const uint8_t *src = x;
    uint8_t *dst = y;
    size_t run = 1; /* elements per memcpy */
    if (r > 0 && st[0][r - 1] == 1 && st[1][r - 1] == 1) run = (size_t)sz[--r];
    pc_iter it;
    pc_iter_init(&it, r, sz);
    memcpy(it.strides[0], st[0], (size_t)r * sizeof(int64_t));
    memcpy(it.strides[1], st[1], (size_t)r * sizeof(int64_t));
    size_t n = 1;
    for (int32_t d = 0; d < r; d++) n *= (size_t)sz[d];
    const size_t bytes = run * es;
    for (size_t k = 0; k < n; k++, pc_iter_next(&it, 2))
        memcpy(dst + (size_t)it.off[1] * es, src + (size_t)it.off[0] * es, bytes);
}

void pc_transpose_f32(int32_t rank, const int64_t *sizes, const int64_t *src_strides, const float *x, float *y) {
    int64_t sz[PC_MAX_RANK], st[PC_MAX_RANK];
    int32_t r = 0;
    size_t total = 1;
    for (int32_t d = 0; d < rank; d++) {
        total *= (size_t)sizes[d];
        if (sizes[d] == 1) continue;
        if (r > 0 && st[r - 1] == src_strides[d] * sizes[d]) { /* contiguous in the source too: merge */
            sz[r - 1] *= sizes[d], st[r - 1] = src_strides[d];
            continue;
        }
        sz[r] = sizes[d], st[r] = src_strides[d], r++;
    }
    if (total == 0) return;
    if (r == 0) {
        y[0] = x[0];
        return;
    }
    /* the output's innermost dim is contiguous in the source: copy runs */
    if (st[r - 1] == 1) {
        pc_iter it;
        pc_iter_init(&it, r - 1, sz);
        memcpy(it.strides[0], st, (size_t)(r - 1) * sizeof(int64_t));
        size_t run = (size_t)sz[r - 1];
        for (size_t k = 0; k < total / run; k++, pc_iter_next(&it, 1)) memcpy(y + k * run, x + it.off[0], run * sizeof *y);
        return;
    }
    /* else transpose in 16 x 16 tiles between the source's contiguous dim j and the output's last */
    int32_t j = -1;
    for (int32_t d = 0; d < r - 1; d++)
        if (st[d] == 1) j = d;
    if (j < 0) { /* no dim is contiguous in the source (a slice of it): element by element */
        pc_iter it;
        pc_iter_init(&it, r, sz);
        memcpy(it.strides[0], st, (size_t)r * sizeof(int64_t));
        for (size_t k = 0; k < total; k++, pc_iter_next(&it, 1)) y[k] = x[it.off[0]];
        return;
    }
    int64_t ysz[PC_MAX_RANK]; /* output strides */
    ysz[r - 1] = 1;
    for (int32_t d = r - 2; d >= 0; d--) ysz[d] = ysz[d + 1] * sz[d + 1];
    /* walk the other dims */
    int64_t osz[PC_MAX_RANK], ost[2][PC_MAX_RANK];
    int32_t orank = 0;
    for (int32_t d = 0; d < r - 1; d++)
        if (d != j) osz[orank] = sz[d], ost[0][orank] = st[d], ost[1][orank] = ysz[d], orank++;
    pc_iter it;
    pc_iter_init(&it, orank, osz);
    memcpy(it.strides[0], ost[0], (size_t)orank * sizeof(int64_t));
    memcpy(it.strides[1], ost[1], (size_t)orank * sizeof(int64_t));
    size_t outer = orank ? total / (size_t)(sz[j] * sz[r - 1]) : 1;
    const int64_t A = sz[j], B = sz[r - 1], sB = st[r - 1], yA = ysz[j];
    for (size_t k = 0; k < outer; k++, pc_iter_next(&it, 2)) {
        const float *xs = x + it.off[0];
        float *yd = y + it.off[1];
        if (B == 3 || B == 4) { /* few channels (an image's NCHW to NHWC): interleave the planes */
            const float *p0 = xs, *p1 = xs + sB, *p2 = xs + 2 * sB, *p3 = xs + (B - 1) * sB;
            if (B == 3)
                for (int64_t a = 0; a < A; a++) yd[a * yA] = p0[a], yd[a * yA + 1] = p1[a], yd[a * yA + 2] = p2[a];
            else
                for (int64_t a = 0; a < A; a++)
                    yd[a * yA] = p0[a], yd[a * yA + 1] = p1[a], yd[a * yA + 2] = p2[a], yd[a * yA + 3] = p3[a];
            continue;
        }
        for (int64_t a0 = 0; a0 < A; a0 += 16)
            for (int64_t b0 = 0; b0 < B; b0 += 16) {
                int64_t a1 = a0 + 16 < A ? a0 + 16 : A, b1 = b0 + 16 < B ? b0 + 16 : B;
                for (int64_t a = a0; a < a1; a++)
                    for (int64_t b = b0; b < b1; b++) yd[a * yA + b] = xs[a + b * sB];
            }
    }
}
