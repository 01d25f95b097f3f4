/* compute.h — the compute layer: plain functions on pointers, shapes and strides, named by
 * operation, layout and dtype (gemm_f32, conv2d_f32 in NHWC or NCHW, dwconv, pool2d, vunary,
 * vbinary, softmax, requantization). It knows nothing of values, programs or delegates: the
 * portable operators (src/kernels), the XNNPACK delegate (src/backends/xnnpack) and the cortex_m
 * operators are thin adapters onto it.
 *
 * Shape of an operation: a descriptor (sizes, strides, parameters) filled once; constants packed
 * once by a *_pack function into memory the caller owns (the runtime shares it across method
 * instances and threads); *_scratch says how many bytes of per-thread scratch a run needs; *_run
 * computes, never allocates and never fails (callers validate shapes when they fill the
 * descriptor).
 *
 * Every function computes the same numbers whatever the thread count: work is split over output
 * tiles only, never over a reduction. Microkernels (src/compute/ukernels_*.c) are chosen by ISA
 * through pc_uk(isa); the scalar table always exists. */
#ifndef PETITE_COMPUTE_H
#define PETITE_COMPUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- ISA ------------------------------------------------------------------------------------ */

typedef enum pc_isa {
    PC_ISA_SCALAR = 0, /* portable C: always there */
    PC_ISA_AVX2 = 1,   /* x86-64 AVX2 + FMA */
    PC_ISA_AVX512 = 2, /* x86-64 AVX-512 F/BW/DQ/VL */
    PC_ISA_NEON = 3,   /* Arm NEON (AArch64 always; 32-bit Arm when the CPU has it) */
    PC_ISA_WASMSIMD = 4, /* WebAssembly SIMD128 (a build option: the engine must have it) */
    PC_ISA_COUNT
} pc_isa;

/* The best ISA this CPU runs, capped by the environment variable PETITE_ISA (scalar, avx2,
 * avx512, neon, wasmsimd) when it names one the CPU has. Detected once. */
pc_isa pc_isa_default(void);
/* Tests and measurements: leave AVX-512 VNNI unused (as on AVX-512 CPUs without it); no effect elsewhere.
 * Also PETITE_NO_VNNI=1 in the environment. */
void pc_cpu_disable_vnni(bool off);
bool pc_isa_supported(pc_isa isa); /* the CPU and this build can run it */
const char *pc_isa_name(pc_isa isa);
/* "scalar" / "avx2" / "avx512" / "neon" / "wasmsimd" -> isa; false if unknown */
bool pc_isa_parse(const char *name, pc_isa *isa);

/* ---- execution context ------------------------------------------------------------------------ */

typedef struct pc_pool pc_pool;
/* A pool that runs tasks on `threads` threads: the caller plus threads - 1 workers. NULL if
 * threads < 2 or the workers cannot start (then everything runs on the caller's thread). */
pc_pool *pc_pool_create(int threads);
void pc_pool_destroy(pc_pool *p);
int pc_pool_threads(const pc_pool *p); /* 1 for NULL */

typedef struct pc_ctx {
    pc_pool *pool;             /* NULL: the caller's thread only */
    uint8_t *scratch;          /* pc_ctx_threads() slices of scratch_size bytes, 64-byte aligned */
    size_t scratch_size;       /* per thread */
    pc_isa isa;
} pc_ctx;

static inline int pc_ctx_threads(const pc_ctx *c) { return pc_pool_threads(c->pool); }
static inline void *pc_scratch(const pc_ctx *c, size_t thread) {
    return c->scratch + thread * c->scratch_size;
}
/* Run fn(arg, task, thread) for task in [0, ntasks) on the context's threads; returns when all
 * are done. thread is in [0, threads) and names the scratch slice the task may use. Each task
 * runs exactly once, on one thread index at a time; the caller runs every task no worker has
 * taken, so a call never waits for a worker that is descheduled before it started. */
typedef void (*pc_task_fn)(void *arg, size_t task, size_t thread);
void pc_parallel(const pc_ctx *c, size_t ntasks, pc_task_fn fn, void *arg);

/* Round up to a multiple of 64 bytes: scratch slices are carved with it. */
static inline size_t pc_align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* ---- microkernel table (one per ISA) ---------------------------------------------------------- */

/* C[mr x nr] (= or +=) alpha * A[mr x kc] * W + bias, clamped to [lo, hi].
 * A: mr rows at a, a + lda, ...; W: kc rows of nr <= NR floats at w, w + ldw, ... (NR = table's
 * gemm_nr): a packed panel (ldw = NR) or a row-major matrix read in place (only the first nr
 * floats of each row are read); C: rows at c, c + ldc; only the first nr columns are stored.
 * accumulate: add to C. bias_n: nr per-column values (or NULL); bias_m: mr per-row values (or NULL). */
typedef void (*pc_gemm_f32_uk)(size_t mr, size_t nr, size_t kc, const float *a, size_t lda,
                               const float *w, size_t ldw, float *c, size_t ldc, const float *bias_n,
                               const float *bias_m, float alpha, int accumulate, float lo, float hi);

/* Indirect GEMM (convolution without an im2col copy): C[mr x nr] = clamp(bias_n + sum over taps t
 * < ks and k < kc of a[t * MR + r][k] * W[t * kc + k]), MR = the table's gemm_mr. a holds ks * MR
 * row pointers (each tap's kc input channels; padding taps point at kc zeros; rows r >= mr must
 * still point at readable memory); W: a packed panel of ks * kc rows of NR floats. Only the first
 * mr rows and nr columns of C are stored. */
typedef void (*pc_igemm_f32_uk)(size_t mr, size_t nr, size_t kc, size_t ks, const float *const *a, const float *w,
                                float *c, size_t ldc, const float *bias_n, float lo, float hi);

#define PC_QMR 4   /* the portable int8 tile */
#define PC_QNR 16
/* The int8 tile: C[mr x nr] = clamp(round(float(bias + sum over taps t < ks, k < kc of
 * a[t * MR + r][k] * W) * scale) + zero point); W a packed panel (see qgemm.c). */
typedef struct pc_qout {
    float flo, fhi;              /* lo - zero point, hi - zero point */
    int32_t zero_point;
} pc_qout;
typedef void (*pc_qigemm_uk)(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *w,
                             int8_t *c, size_t ldc, const pc_qout *q);
/* One int8 depthwise output pixel: y[c] = requant(bias[c] + sum_t in[t][c] * w[t * C + c]) with
 * scale[c]; the bias already holds -(input zero point) x the channel's weight sum. */
typedef void (*pc_qdw_uk)(size_t C, size_t taps, const int8_t *const *in, const int32_t *w, const int32_t *bias,
                          const float *scale, int8_t *y, const pc_qout *q);
/* n int8 depthwise output pixels of one row, away from padding: pixel p reads tap t at
 * x + p * x_step + tap_off[t]; writes y + p * C (the same arithmetic as pc_qdw_uk). */
typedef void (*pc_qdw_row_uk)(size_t C, size_t n, size_t taps, const int8_t *x, size_t x_step, const int64_t *tap_off,
                              const int32_t *w, const int32_t *bias, const float *scale, int8_t *y, const pc_qout *q);
/* y[i] = clamp(round(x[i] * inv_scale) + zero point) (XNNPACK's f32 -> qs8 / qu8 convert), or back:
 * y[i] = (x[i] - zero point) * scale. */
typedef void (*pc_quantize_uk)(size_t n, const float *x, float inv_scale, const pc_qout *q, void *y, int is_unsigned);
typedef void (*pc_dequantize_uk)(size_t n, const void *x, int is_unsigned, int32_t zero_point, float scale, float *y);

struct pc_qbinary;

typedef struct pc_ukernels {
    pc_isa isa;
    uint32_t gemm_mr, gemm_nr;     /* register tile of gemm_f32 */
    pc_gemm_f32_uk gemm_f32;
    pc_gemm_f32_uk gemm_f32_1;     /* the same for a single row (matrix-vector; mr must be 1) */
    pc_igemm_f32_uk igemm_f32;     /* the same tile, rows through indirection pointers */
    pc_qigemm_uk qigemm_s8;        /* int8, portable C: a 4 x 16 tile (PC_QMR x PC_QNR) */
    pc_qdw_uk qdwconv_s8;
    pc_qdw_row_uk qdwconv_s8_row;
    pc_quantize_uk quantize_f32;
    pc_dequantize_uk dequantize_f32;
    /* y[i] = clamp(op(x[i])); x == y allowed */
    void (*vunary_f32)(int op, size_t n, const float *x, float *y, const void *params);
    /* y[i] = clamp(op(a[i * ainc], b[i * binc])), ainc and binc 0 or 1; y may alias a or b */
    void (*vbinary_f32)(int op, size_t n, const float *a, size_t ainc, const float *b, size_t binc,
                        float *y, const void *params);
    /* the same for int8 / uint8 add and multiply (pc_qbinary) */
    void (*vbinary_q8)(const struct pc_qbinary *q, size_t n, const uint8_t *a, size_t ainc, const uint8_t *b, size_t binc,
                       uint8_t *y);
    /* one NHWC depthwise output pixel: y[c] = clamp(bias[c] + sum_t in[t][c] * w[t * C + c]) */
    void (*dwconv_f32)(size_t C, size_t taps, const float *const *in, const float *w,
                       const float *bias, float *y, float lo, float hi);
    /* n NHWC depthwise output pixels of one row, away from padding: pixel p reads tap t at
     * x + p * x_step + tap_off[t] (floats); writes y + p * C */
    void (*dwconv_f32_row)(size_t C, size_t n, size_t taps, const float *x, size_t x_step,
                           const int64_t *tap_off, const float *w, const float *bias, float *y,
                           float lo, float hi);
    /* one NCHW depthwise output row over padded input rows (rows[kh] = row ih, at column -pl) */
    void (*dwconv_chw_f32_row)(size_t OW, size_t KH, size_t KW, size_t sw, size_t dw,
                               const float *const *rows, const float *w, float bias, float *y,
                               float lo, float hi);
    void (*softmax_f32_row)(size_t n, const float *x, float *y, int take_log);
    /* acc[i] = max(acc[i], x[i * sx]) (a NaN stays), or acc[i] += x[i * sx], for i < n */
    void (*max_f32_strided)(size_t n, const float *x, size_t sx, float *acc);
    float (*sum_f32)(size_t n, const float *x); /* in 16 lanes, then the lanes in order */
    void (*add_f32_strided)(size_t n, const float *x, size_t sx, float *acc);
    void (*affine_f32)(size_t n, const float *x, float scale, float shift, float *y);
    /* rows (1 to 4) of int8 q (at q, q + ld, ...) dotted with n int8 weights into int32 s[r]; s[rows]:
     * the weights' sum */
    void (*qdot_s8)(size_t rows, const int8_t *q, size_t ld, const int8_t *w, size_t n, int32_t *s);
    /* the same per block: s[r * ng + g] = the int32 dot of row r's and w's elements g * gs .. g * gs + gs - 1,
     * for ng blocks (qbint4's block sums in one call) */
    void (*qdot_s8_blocks)(size_t rows, const int8_t *q, size_t ld, const int8_t *w, size_t gs, size_t ng, int32_t *s);
    /* qbint4 over one packed tile of 16 channels (pc_fc_q4_pack_fill's layout; scales bf16), rows 1 to 4 of int8 q at
     * q, q + ld, ...: v[r * 16 + c] = kn[c] * zp[r], then for each block b in order
     * v += float(sum_k q[r][k] * (w(c, k) - 8)) * scale[b][c], every product and sum rounded (no fused
     * multiply-add); qsum[r * ng + b]: the sum of row r's q over block b. NULL: qdyn.c's portable loop. */
    void (*qb4w_tile)(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                      const uint8_t *tile, size_t gs, size_t ng, float *v);
    /* attention over a KV cache: s[t] = scale * q . k[t] (k[t] at k + t * ldk), for n keys of D floats; and
     * y = sum_t p[t] * v[t] (v[t] at v + t * ldv) */
    void (*attn_scores_f32)(size_t n, size_t D, const float *q, const float *k, size_t ldk, float scale, float *s);
    void (*attn_values_f32)(size_t n, size_t D, const float *p, const float *v, size_t ldv, float *y);
} pc_ukernels;

/* The table for `isa` (the scalar one if this build or CPU lacks it). */
const pc_ukernels *pc_uk(pc_isa isa);

/* ---- element-wise operations (also fused into the epilogues of GEMM and convolution) ----------- */

typedef enum {
    PC_U_COPY, PC_U_RELU, PC_U_CLAMP, PC_U_SIGMOID, PC_U_TANH, PC_U_EXP, PC_U_LOG, PC_U_SQRT,
    PC_U_RSQRT, PC_U_NEG, PC_U_ABS, PC_U_SIN, PC_U_COS, PC_U_ERF, PC_U_RECIPROCAL, PC_U_FLOOR,
    PC_U_CEIL, PC_U_ROUND, PC_U_GELU, PC_U_GELU_TANH, PC_U_LEAKY_RELU, PC_U_ELU, PC_U_LOG1P,
    PC_U_EXPM1, PC_U_HARDSWISH, PC_U_SQUARE, PC_U_SILU, PC_U_COUNT
} pc_unary_op;

typedef struct pc_unary_params {
    float lo, hi;                 /* PC_U_CLAMP bounds; also the output clamp of every op */
    float slope;                  /* leaky relu */
    float alpha, scale, input_scale; /* elu: x > 0 ? x * scale : alpha * scale * (exp(x * input_scale) - 1) */
} pc_unary_params;
/* ---- GEMM ------------------------------------------------------------------------------------- */

typedef struct pc_gemm_epi {
    const float *bias_n;  /* [N] added per column, or NULL */
    const float *bias_m;  /* [M] added per row, or NULL */
    float alpha;          /* product scale (1 for plain GEMM) */
    int accumulate;       /* C += ... instead of C = ... */
    float lo, hi;         /* output clamp (-INFINITY, INFINITY for none) */
    const pc_unary_params *act; /* then this activation (NULL: none), applied to each finished tile */
    pc_unary_op act_op;
} pc_gemm_epi;

/* Floats of packed B for a K x N matrix (panels of NR columns, zero-padded). */
size_t pc_gemm_f32_packed_floats(pc_isa isa, size_t K, size_t N);
/* Pack B: element (k, n) is B[k * ldk + n * ldn] (ldk = N, ldn = 1 for row-major [K, N];
 * ldk = 1, ldn = K for a [N, K] matrix used transposed). */
void pc_gemm_f32_pack(pc_isa isa, size_t K, size_t N, const float *B, size_t ldk, size_t ldn,
                      float *packed);
/* The same as a deferred call (for a derived-constant cache's fill(dst, arg)): arg is a
 * pc_gemm_pack_args. */
typedef struct pc_gemm_pack_args {
    pc_isa isa;
    size_t K, N;
    const float *B;
    size_t ldk, ldn;
} pc_gemm_pack_args;
/* consumed(ctx, src, bytes) is told, chunk by chunk, of source bytes packing will not read again
 * (it may be NULL). */
typedef void (*pc_consumed_fn)(void *ctx, const void *src, size_t bytes);
void pc_gemm_f32_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx);
/* C[M, N] = epi(A[M, K] * B) with B packed by pc_gemm_f32_pack for c->isa. */
void pc_gemm_f32(const pc_ctx *c, size_t M, size_t N, size_t K, const float *A, size_t lda,
                 const float *packed, float *C, size_t ldc, const pc_gemm_epi *epi);
/* Scratch a pc_gemm_f32_any run needs per thread. */
size_t pc_gemm_f32_any_scratch(pc_isa isa, size_t K, size_t N);
/* The same with B unpacked (element (k, n) at B[k * ldk + n * ldn]): packs slices into scratch. */
void pc_gemm_f32_any(const pc_ctx *c, size_t M, size_t N, size_t K, const float *A, size_t lda,
                     const float *B, size_t ldk, size_t ldn, float *C, size_t ldc,
                     const pc_gemm_epi *epi);

/* ---- 2-D convolution, float32 ------------------------------------------------------------------ */

typedef enum { PC_NHWC = 0, PC_NCHW = 1 } pc_layout;
typedef enum { PC_CONV_GEMM, PC_CONV_IM2COL, PC_CONV_DW, PC_CONV_TRANSPOSED } pc_conv_kind;

typedef struct pc_conv2d {
    /* filled by the caller */
    pc_layout layout;                   /* of input and output, contiguous */
    int64_t N, H, W, C, OC, OH, OW;
    int64_t KH, KW, sh, sw, dh, dw, pt, pl; /* padding top / left (bottom / right follow from OH, OW) */
    int64_t groups;
    int transposed;                     /* NCHW transposed convolution (reference loops) */
    float lo, hi;                       /* fused output clamp */
    int has_act;                        /* then a fused activation (after the clamp): */
    pc_unary_op act;
    pc_unary_params act_params;
    /* filled by pc_conv2d_f32_setup */
    pc_conv_kind kind;
    pc_isa isa;
    int dw_nhwc;                        /* NCHW depthwise on narrow rows: transposed to NHWC around it */
} pc_conv2d;

/* Weight element (o, i, kh, kw) at w[o * so + i * si + kh * skh + kw * skw] (i within the group;
 * for depthwise i = 0 and o = channel * multiplier + m). For transposed, o and i are the
 * weight's first two dims as stored ([C, OC/groups, KH, KW]). */
typedef struct pc_weights {
    const float *w;
    int64_t so, si, skh, skw;
    const float *bias;                  /* [OC] or NULL */
    const float *scale;                 /* [OC] per output channel factor (a folded batch norm), or NULL */
} pc_weights;

/* Choose the algorithm for c->isa; call once after filling the descriptor. */
void pc_conv2d_f32_setup(pc_conv2d *d, pc_isa isa);
size_t pc_conv2d_f32_packed_floats(const pc_conv2d *d);
void pc_conv2d_f32_pack(const pc_conv2d *d, const pc_weights *w, float *packed);
/* The same as a deferred call (a cache's fill(dst, arg)): arg is a pc_conv2d_pack_args. */
typedef struct pc_conv2d_pack_args {
    const pc_conv2d *d;
    pc_weights w;
} pc_conv2d_pack_args;
void pc_conv2d_f32_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx);
size_t pc_conv2d_f32_scratch(const pc_conv2d *d);
/* y = conv(x); x and y contiguous in d->layout. The spatial sizes (N, H, W, OH, OW) may be
 * changed between runs (dynamic shapes) as long as the scratch suffices: re-run setup's checks
 * through pc_conv2d_f32_scratch. */
void pc_conv2d_f32_run(const pc_ctx *c, const pc_conv2d *d, const float *packed, const float *x,
                       float *y);

/* ---- 2-D convolution and fully connected, int8 (reference loops) ------------------------------- */

typedef enum { PC_REQ_FP32, PC_REQ_CMSIS } pc_requant_kind;

/* How an int32 accumulator becomes an int8 output, per output channel (or one for all). */
typedef struct pc_requant {
    pc_requant_kind kind;
    const float *scale;     /* PC_REQ_FP32: acc * scale[oc], round half to even */
    const int32_t *mult;    /* PC_REQ_CMSIS: doubling high multiply by mult[oc], then */
    const int32_t *shift;   /*   shift[oc] (left if > 0, rounding right if < 0) */
    int per_channel;        /* index the arrays by output channel (else element 0) */
    int32_t zero_point;     /* added after scaling */
    int32_t lo, hi;         /* final clamp */
} pc_requant;

/* XNNPACK-style fp32 requantization: round(acc * scale) + zp, clamped; NaN/overflow saturate. */
static inline int32_t pc_requant_fp32(int64_t acc, float scale, int32_t zp, int32_t lo, int32_t hi) {
    float f = (float)acc * scale;
    if (!(f > -2e9f && f < 2e9f)) return f > 0 ? hi : lo;
    int64_t q = (int64_t)__builtin_lrintf(f) + zp;
    return q < lo ? lo : (q > hi ? hi : (int32_t)q);
}
/* CMSIS-NN requantization (arm_nn_requantize): saturating doubling high multiply, rounding shift. */
int32_t pc_requant_cmsis(int64_t acc, int32_t mult, int32_t shift);
static inline int32_t pc_requantize(const pc_requant *r, int64_t acc, int64_t oc) {
    int64_t i = r->per_channel ? oc : 0;
    int64_t q = r->kind == PC_REQ_FP32 ? pc_requant_fp32(acc, r->scale[i], 0, INT32_MIN, INT32_MAX)
                                       : pc_requant_cmsis(acc, r->mult[i], r->shift[i]);
    q += r->zero_point;
    return q < r->lo ? r->lo : (q > r->hi ? r->hi : (int32_t)q);
}

typedef struct pc_conv2d_s8 {
    int64_t N, H, W, C, OC, OH, OW, KH, KW, sh, sw, dh, dw, pt, pl, groups;
    int depthwise;                      /* filter [1, KH, KW, OC]: oc reads input channel oc / (OC / C) */
    int64_t xs[4], ys[4];               /* element strides of x and y for (n, h, w, c) */
    int64_t ws[4];                      /* filter strides for (oc, kh, kw, ic) (depthwise: ic unused) */
    int32_t x_zero_point, w_zero_point; /* subtracted from inputs and weights */
    int x_unsigned, y_unsigned;         /* uint8 data instead of int8 */
} pc_conv2d_s8;
void pc_conv2d_s8_run(const pc_conv2d_s8 *d, const void *x, const int8_t *w, const int32_t *bias,
                      const pc_requant *rq, void *y);

/* y[m, n] = requant(sum_k (x[m, k] - xz) * (w(n, k) - wz) + bias[n]); w(n, k) at w[n * wsn + k * wsk]. */
typedef struct pc_fc_s8 {
    int64_t M, N, K, wsn, wsk;
    int32_t x_zero_point, w_zero_point;
    int x_unsigned, y_unsigned;
} pc_fc_s8;
void pc_fc_s8_run(const pc_fc_s8 *d, const void *x, const int8_t *w, const int32_t *bias,
                  const pc_requant *rq, void *y);

/* Dynamic int8 activations (XNNPACK's qdint8) x per-output-channel int8 weights, fp32 out, with the
 * arithmetic of XNNPACK's scalar kernels (at the commit ExecuTorch pins): each row of x quantized on
 * the fly to asymmetric int8 (internal.h pc_qd8_row: multiplier s = 255 / range with the range
 * widened to include 0, the zero point from the end that errs less, scale_m = 1 / s), then
 * y[m, n] = clamp(float(sum_k (q[m, k] - zp_m) * w(n, k)) * scale_m * w_scale[n] + bias[n], lo, hi),
 * left to right, no fused multiply-add; w(n, k) at w[n * wsn + k * wsk]; bias may be NULL. A plain
 * reference loop. (XNNPACK's x86 kernels fuse the last multiply and add: one rounding apart.) */
typedef struct pc_fc_qd8 {
    int64_t M, N, K, wsn, wsk;
    float lo, hi;
} pc_fc_qd8;
void pc_fc_qd8_f32(const pc_fc_qd8 *d, const float *x, const int8_t *w, const float *w_scale, const float *bias,
                   float *y);

/* 4-bit weights, fp32 out: w is [N, K] two per byte (rows of ceil(K / 2) bytes, the low nibble the
 * even k, zero point 8); per output channel (w_scale[n]: XNNPACK's qcint4) or blockwise (grouped:
 * K / group_size blocks per row, w_scale[n * (K / group_size) + b]: qbint4). Dynamic (x quantized
 * per row as pc_fc_qd8_f32 does), XNNPACK's scalar arithmetic: qcint4 as pc_fc_qd8_f32; qbint4
 * y = clamp(((kn * zp + sum_b float(S_b) * w_scale_b) * scale) + bias) in that order, with S_b the
 * block's sum of q * w (q not shifted) and kn = -sum over pairs of k in order of float(w_k +
 * w_k+1) * w_scale_b (XNNPACK's packed weight sum: the zero point enters once). fp32 x: each
 * block's float sum times its scale, summed, plus bias. bias may be NULL. A plain reference loop. */
typedef struct pc_fc_q4 {
    int64_t M, N, K;
    int grouped;            /* blockwise scales */
    int64_t group_size;     /* grouped: block length along K */
    int dynamic;            /* quantize x's rows to int8 first */
    float lo, hi;
    const float *kn;        /* pc_fc_q4_run, grouped and dynamic: each channel's kn (pc_fc_q4_kn_fill), or
                               NULL: computed on every run */
    const uint8_t *packed;  /* pc_fc_q4_run, grouped and dynamic: the weights packed by pc_fc_q4_pack_fill
                               (then w and w_scale are not read), or NULL */
} pc_fc_q4;
/* qbint4's kn (above) for every output channel, N floats: what pc_fc_q4_run would compute on each
 * run, computed once (it depends on the weights only). args: pc_fc_q4_kn_args; the weights stay
 * in use (consumed is never called). */
typedef struct pc_fc_q4_kn_args {
    const uint8_t *w;
    const float *w_scale;
    int64_t N, K, group_size;
} pc_fc_q4_kn_args;
void pc_fc_q4_kn_fill(void *kn, const void *args, pc_consumed_fn consumed, void *ctx);
/* qbint4 packed for the fast kernels (the same args; 0 bytes where they do not apply: blocks of a length
 * not a multiple of 8 or not dividing K, K over 65536, a scale that is not a bf16 value — XNNPACK's
 * blockwise scales all are): tiles of 16 output channels (the last padded with zero weights), each
 * float kn[16], then per pair of blocks 64 bytes of their scales as bf16 ([2][16]; an odd last block
 * leaves half) and each block's gs / 8 groups of 64 bytes, byte 4c + j holding w(c, k + j) in its low nibble and w(c, k + 4 + j) in its
 * high one (k the group's first; the file's nibbles, zero point 8). 18 bytes per 32 weights, as
 * the file's 4-bit data and bf16 scales. */
size_t pc_fc_q4_packed_bytes(int64_t N, int64_t K, int64_t group_size, const float *w_scale);
void pc_fc_q4_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx);
void pc_fc_q4_f32(const pc_fc_q4 *d, const float *x, const uint8_t *w, const float *w_scale, const float *bias,
                  float *y);
/* The fast path of both (qdyn.c), equal to them bit for bit: rows quantized once per task, int32
 * dot products, tasks over rows and output channels on the context's threads. Takes the reference
 * loop where it does not apply (transposed int8 weights, K over 65536, fp32 activations over 4-bit
 * weights, blocks that do not divide K, a scratch slice under pc_fc_qd_scratch(K)). */
size_t pc_fc_qd_scratch(int64_t K);
/* the packed qbint4 path's: rows quantized up to 64 at a time, shared by the threads */
size_t pc_fc_q4_scratch(int64_t K, int64_t group_size);
void pc_fc_qd8_run(const pc_ctx *c, const pc_fc_qd8 *d, const float *x, const int8_t *w, const float *w_scale,
                   const float *bias, float *y);
void pc_fc_q4_run(const pc_ctx *c, const pc_fc_q4 *d, const float *x, const uint8_t *w, const float *w_scale,
                  const float *bias, float *y);

/* ---- int8 convolution and fully connected: the fast path ------------------------------------- */

/* QS8 activations (int8, any zero point), int8 weights with zero point 0 (XNNPACK's qc8 per channel
 * or symmetric per tensor), int32 bias, fp32 requantization (pc_requant_fp32's arithmetic, bit for
 * bit): dense NHWC convolution of any kernel, stride, dilation, padding and groups as an indirect
 * GEMM on int32 accumulators (AVX-512 VNNI where the CPU has it, else AVX2 int16 pairs, else
 * portable C); a fully connected layer is the 1x1 case over rows. Weights are packed once with
 * the input zero point folded into the bias. */
typedef struct pc_qconv {
    pc_conv2d geom;              /* NHWC geometry (layout, N, H, W, C, OC, OH, OW, KH..pl, groups) */
    int32_t x_zero_point, y_zero_point;
    int32_t lo, hi;              /* output clamp (int8 values) */
    /* filled by pc_qconv_setup */
    pc_isa isa;
    int vnni;                    /* packed for the VNNI tile */
    int im2col;                  /* few channels per group (not a multiple of 4): each pixel's receptive
                                    field is copied into one row of K bytes (one tap of depth K) */
    int64_t strip_w;             /* depthwise: input columns the scratch's padded strip holds */
} pc_qconv;
/* Weight (o, kh, kw, i) at w[o * so + kh * skh + kw * skw + i * si] (i within the group). */
typedef struct pc_qweights {
    const int8_t *w;
    int64_t so, skh, skw, si;
    const int32_t *bias;         /* [OC] or NULL */
    const float *scale;          /* [OC]: input scale * weight scale / output scale */
} pc_qweights;
/* Choose the tile for isa; false when the fast path cannot hold the arithmetic exactly (a reduction
 * too deep for int32, or a bias too large): use pc_conv2d_s8_run / pc_fc_s8_run then. */
bool pc_qconv_setup(pc_qconv *d, pc_isa isa, const pc_qweights *w);
size_t pc_qconv_packed_bytes(const pc_qconv *d);
void pc_qconv_pack(const pc_qconv *d, const pc_qweights *w, void *packed);
typedef struct pc_qconv_pack_args {
    const pc_qconv *d;
    pc_qweights w;
} pc_qconv_pack_args;
void pc_qconv_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx);
size_t pc_qconv_scratch(const pc_qconv *d);
/* y = requant(conv(x)); N, H, W, OH, OW may change between runs (within the scratch). */
void pc_qconv_run(const pc_ctx *c, const pc_qconv *d, const void *packed, const int8_t *x, int8_t *y);
/* Depthwise (groups = C = OC; weight (c, kh, kw) at w[c * so + kh * skh + kw * skw], si unused): the
 * same contract on per-channel vectors. */
bool pc_qdw_setup(pc_qconv *d, pc_isa isa, const pc_qweights *w);
size_t pc_qdw_packed_bytes(const pc_qconv *d);
void pc_qdw_pack_fill(void *packed, const void *args, pc_consumed_fn consumed, void *ctx);
size_t pc_qdw_scratch(const pc_qconv *d);
void pc_qdw_run(const pc_ctx *c, const pc_qconv *d, const void *packed, const int8_t *x, int8_t *y);
/* f32 <-> int8 / uint8 converts on the vector loops (lo, hi: the type's range). */
void pc_quantize_f32(const pc_ctx *c, size_t n, const float *x, float scale, int32_t zero_point, int32_t lo, int32_t hi,
                     void *y, int is_unsigned);
void pc_dequantize_f32(const pc_ctx *c, size_t n, const void *x, int is_unsigned, int32_t zero_point, float scale, float *y);

/* ---- pooling ------------------------------------------------------------------------------------- */

typedef enum { PC_POOL_MAX, PC_POOL_AVG, PC_POOL_ADAPTIVE_AVG } pc_pool_kind;

typedef struct pc_pool2d {
    pc_pool_kind kind;
    int64_t N, H, W, C, OH, OW;
    int64_t KH, KW, sh, sw, dh, dw, pt, pl; /* window (max/avg); adaptive windows follow the sizes */
    int count_include_pad;              /* avg: divide by the window clipped to the padded input */
    int64_t divisor;                    /* avg: fixed divisor (0: none) */
    int64_t pb, pr;                     /* avg with count_include_pad: padding bottom / right */
    float lo, hi;                       /* fused output clamp */
    int64_t xs[4], ys[4];               /* element strides for (n, h, w, c) */
    pc_isa isa;                         /* microkernels for whole rows (NCHW) */
} pc_pool2d;
/* indices (max only, may be NULL): h * W + w of each maximum, strided like y. */
void pc_pool2d_f32(const pc_pool2d *d, const float *x, float *y, int64_t *indices);
/* int8 average pooling with CMSIS-NN rounding (arm_avgpool_s8): the in-bounds elements' sum divided
 * by their count, rounded half away from zero, clamped to [lo, hi] (as int). */
void pc_avgpool2d_s8(const pc_pool2d *d, const int8_t *x, int8_t *y, int32_t lo, int32_t hi);
/* int8 / uint8 max pooling (XNNPACK s8 / u8 maxpool): each window's largest in-bounds value, then
 * clamped to [lo, hi]; the output has the input's quantization. */
void pc_maxpool2d_q8(const pc_pool2d *d, const uint8_t *x, uint8_t *y, int is_unsigned, int32_t lo, int32_t hi);
/* int8 / uint8 mean over H x W per (n, c) of an NHWC tensor, as XNNPACK's quantized mean: an int32
 * sum of the raw values, then y = nearbyint(float(sum) * scale + zero) saturated to the type and
 * clamped to [lo, hi], with scale = (in_scale / out_scale) * (1 / count) and
 * zero = out_zp - (count * in_zp) * scale, each step in float (sums of up to 2^23 values). */
typedef struct pc_qmean {
    float scale, zero;
    int32_t lo, hi;
    int is_unsigned;
} pc_qmean;
void pc_qmean_init(pc_qmean *m, float in_scale, int32_t in_zp, float out_scale, int32_t out_zp, int64_t count, int32_t lo,
                   int32_t hi, int is_unsigned);
void pc_gavgpool_q8(int64_t N, int64_t HW, int64_t C, const uint8_t *x, uint8_t *y, const pc_qmean *m);

/* ---- element-wise ------------------------------------------------------------------------------- */

/* Parameters with no clamp (lo = -inf, hi = inf) and neutral values. */
pc_unary_params pc_unary_defaults(void);
/* y[i] = table[x[i]] on bytes (int8 data indexed as its unsigned bit pattern); x == y allowed. */
void pc_lut8(const pc_ctx *c, size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y);
/* y[i] = clamp(op(x[i])), i < n; x == y allowed. */
void pc_vunary_f32(const pc_ctx *c, pc_unary_op op, size_t n, const float *x, float *y,
                   const pc_unary_params *p);
/* The scalar definition every vector path is tested against. */
float pc_unary_ref(pc_unary_op op, float x, const pc_unary_params *p);

typedef enum {
    PC_B_ADD, PC_B_SUB, PC_B_RSUB, PC_B_MUL, PC_B_DIV, PC_B_MIN, PC_B_MAX, PC_B_PRELU, PC_B_COUNT
} pc_binary_op;

typedef struct pc_binary_params {
    float alpha;                  /* add / sub / rsub: a + alpha * b, a - alpha * b, b - alpha * a */
    float lo, hi;                 /* output clamp */
} pc_binary_params;
pc_binary_params pc_binary_defaults(void);
float pc_binary_ref(pc_binary_op op, float a, float b, const pc_binary_params *p);

/* Broadcast-aware walk over `rank` dims: y[idx] = op(a[idx . sa], b[idx . sb]) with element strides
 * (0 = broadcast). Contiguous inner runs go to the vector microkernel. */
/* int8 / uint8 add and multiply with XNNPACK's arithmetic (microparams-init.c, qs8-vadd and
 * qs8-vmul scalar kernels):
 *   add: y = clamp(((bias + a * a_mult + b * b_mult) >> shift) + zo), multipliers of 20-21 bits from
 *        (input scale / output scale) and bias = 2^(shift-1) - a_mult * za - b_mult * zb;
 *   mul: y = clamp(round_half_even(float((a - za) * (b - zb)) * scale) + zo), scale = sa * sb / so;
 * then clamped to [lo, hi]. init returns false where XNNPACK refuses the scales. */
enum { PC_QB_ADD = 1, PC_QB_MUL = 2 };
typedef struct pc_qbinary {
    int op, is_unsigned;
    int32_t bias, a_mult, b_mult;
    uint32_t shift;
    int32_t za, zb;
    float scale;
    int32_t zo, lo, hi;
    pc_isa isa;              /* set by pc_qbinary */
} pc_qbinary;
bool pc_qadd_init(pc_qbinary *q, float sa, int32_t za, float sb, int32_t zb, float so, int32_t zo, int32_t lo, int32_t hi,
                  int is_unsigned);
bool pc_qmul_init(pc_qbinary *q, float sa, int32_t za, float sb, int32_t zb, float so, int32_t zo, int32_t lo, int32_t hi,
                  int is_unsigned);
/* broadcasting like pc_binary_f32 (strides in elements) */
void pc_qbinary_run(const pc_ctx *c, const pc_qbinary *q, int32_t rank, const int64_t *sizes, const void *a,
                const int64_t *sa, const void *b, const int64_t *sb, void *y, const int64_t *sy);
void pc_binary_f32(const pc_ctx *c, pc_binary_op op, int32_t rank, const int64_t *sizes,
                   const float *a, const int64_t *sa, const float *b, const int64_t *sb, float *y,
                   const int64_t *sy, const pc_binary_params *p);

/* An N-d index walker keeping up to 3 element offsets in step with their strides. */
#define PC_MAX_RANK 16
typedef struct pc_iter {
    int32_t rank;
    int64_t sizes[PC_MAX_RANK];
    int64_t strides[3][PC_MAX_RANK];
    int64_t idx[PC_MAX_RANK];
    int64_t off[3];
} pc_iter;
void pc_iter_init(pc_iter *it, int32_t rank, const int64_t *sizes);
static inline void pc_iter_next(pc_iter *it, int nops) {
    for (int32_t d = it->rank - 1; d >= 0; d--) {
        if (++it->idx[d] < it->sizes[d]) {
            for (int k = 0; k < nops; k++) it->off[k] += it->strides[k][d];
            return;
        }
        it->idx[d] = 0;
        for (int k = 0; k < nops; k++) it->off[k] -= it->strides[k][d] * (it->sizes[d] - 1);
    }
}

/* y[i . sy] = x[i . sx] over `sizes`, elements of es bytes, strides in elements: size-1 dims
 * dropped, dims merged where both sides are contiguous, runs contiguous on both sides copied
 * with memcpy. x and y must not overlap. */
void pc_copy_strided(size_t es, int32_t rank, const int64_t *sizes, const void *x, const int64_t *sx, void *y,
                     const int64_t *sy);

/* y (contiguous, `sizes`) = x read with src_strides per output dim: any permutation or strided
 * view of a float tensor. Copies runs where the source is contiguous, 16 x 16 tiles otherwise. */
void pc_transpose_f32(int32_t rank, const int64_t *sizes, const int64_t *src_strides, const float *x, float *y);

/* y (contiguous, dims out) = x (contiguous, dims in) placed at offset pre in every dim, `value`
 * everywhere else; out[k] >= pre[k] + in[k] (the rest of out[k] is the post padding). */
typedef struct pc_pad {
    int32_t rank;                       /* <= PC_MAX_RANK */
    int64_t in[PC_MAX_RANK], pre[PC_MAX_RANK], out[PC_MAX_RANK];
    float value;
} pc_pad;
void pc_pad_f32(const pc_pad *d, const float *x, float *y);

/* y = the n inputs one after another along one dim: input k is [outer, axis[k], inner] and y is
 * [outer, axis[0] + ... + axis[n - 1], inner], all contiguous, elements of es bytes. */
typedef struct pc_concat {
    size_t es;
    int64_t outer, inner;
    int32_t n;
    const int64_t *axis;                /* n sizes */
} pc_concat;
void pc_concat_run(const pc_concat *d, const void *const *x, void *y);

/* ---- softmax, normalization ---------------------------------------------------------------------- */

/* Softmax (or log-softmax) over each of `rows` rows of `len` contiguous floats; x == y allowed. */
void pc_softmax_f32(const pc_ctx *c, size_t rows, size_t len, const float *x, float *y, int take_log,
                    float lo, float hi);
/* The same over one strided row (any dim of any layout). */
void pc_softmax_f32_strided(size_t len, const float *x, int64_t xs, float *y, int64_t ys, int take_log);

/* Scaled dot-product attention over a KV cache (ExecuTorch's llama::custom_sdpa, seq at dim 1):
 * q [B, Tq, Hq, D], k and v [B, S, Hkv, D] (contiguous; Hq a multiple of Hkv, query head h reads
 * kv head h / (Hq / Hkv)), y [B, Tq, Hq, D]. Query row i sees keys t < kv_len, and with causal only
 * t <= start_pos + i; score = scale * q.k (+ mask[i * mask_ld + t] when mask is given), softmax
 * (max subtracted, fp32), y = sum of p * v. Scratch: pc_sdpa_scratch(kv_len) per thread. */
typedef struct pc_sdpa {
    int64_t B, Tq, Hq, Hkv, D, S;
    int64_t kv_len, start_pos;
    int causal;
    const float *mask;
    int64_t mask_ld;
    float scale;
} pc_sdpa;
size_t pc_sdpa_scratch(int64_t kv_len);
void pc_sdpa_f32(const pc_ctx *c, const pc_sdpa *d, const float *q, const float *k, const float *v, float *y);

/* y = x * scale[c] + shift[c] over N x C planes of `inner` contiguous floats (batch norm). */
void pc_channel_affine_f32(const pc_ctx *c, size_t N, size_t C, size_t inner, const float *x,
                           const float *scale, const float *shift, float *y);
/* y[r] = scale * sum of row r (n contiguous floats), r < rows: mean and sum over trailing dims. */
void pc_sum_rows_f32(const pc_ctx *c, size_t rows, size_t n, const float *x, float *y, float scale);
/* Layer norm over `rows` rows of n floats; w, b may be NULL; mean / rstd (per row) may be NULL. */
void pc_layer_norm_f32(size_t rows, size_t n, const float *x, const float *w, const float *b, float eps,
                       float *y, float *mean, float *rstd);

#endif
