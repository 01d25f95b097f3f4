/* test_kernels.c — each portable kernel against hand-computed values, plus its argument checks. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "kernels/kernels.h"

/* ---- tiny value factory ---- */
typedef struct tv {
    pt_tensor t;
    pt_value v;
    unsigned char data[1024];
} tv;

static pt_value *tensor(tv *x, int32_t dtype, int32_t rank, const int64_t *sizes, const void *data) {
    memset(x, 0, sizeof *x);
    x->t.dtype = dtype;
    x->t.rank = rank;
    for (int32_t d = 0; d < rank; d++) {
        x->t.sizes[d] = x->t.max_sizes[d] = sizes[d];
        x->t.dim_order[d] = (uint8_t)d;
    }
    x->t.contiguous = 1;
    pt_tensor_update_layout(&x->t);
    x->t.max_numel = x->t.numel;
    x->t.data = x->data;
    x->t.storage = PT_STORE_PLANNED;
    if (data) memcpy(x->data, data, pt_tensor_nbytes(&x->t));
    x->v.kind = PETITE_KIND_TENSOR;
    x->v.u.t = &x->t;
    return &x->v;
}

static pt_value ival(int64_t i) { pt_value v = {PETITE_KIND_INT, {.i = i}}; return v; }
static pt_value dval(double d) { pt_value v = {PETITE_KIND_DOUBLE, {.d = d}}; return v; }
static pt_value bval(bool b) { pt_value v = {PETITE_KIND_BOOL, {.b = b}}; return v; }
static pt_value none(void) { pt_value v = {PETITE_KIND_NONE, {.i = 0}}; return v; }

static pt_err err;
static pc_ctx exec = {NULL, NULL, 0, PC_ISA_SCALAR};
static petite_kernel_ctx ctx = {&err, &exec, NULL};

static int close_f(const float *a, const float *b, int n, float tol) {
    for (int i = 0; i < n; i++)
        if (!(fabsf(a[i] - b[i]) <= tol)) return 0;
    return 1;
}

static void test_add(void) {
    tv a, b, o;
    int64_t s23[] = {2, 3}, s3[] = {3};
    float x[] = {1, 2, 3, 4, 5, 6}, y[] = {10, 20, 30};
    pt_value alpha = ival(2);
    pt_value *args[] = {tensor(&a, PETITE_FLOAT32, 2, s23, x), tensor(&b, PETITE_FLOAT32, 1, s3, y), &alpha,
                        tensor(&o, PETITE_FLOAT32, 2, s23, NULL), NULL};
    args[4] = args[3];
    CHECK(pk_add_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    float want[] = {21, 42, 63, 24, 45, 66}; /* x + 2 * broadcast(y) */
    CHECK(close_f((float *)o.data, want, 6, 0), "add broadcast+alpha");

    /* int64 + int64 with wrap and int promotion to out float */
    int64_t xi[] = {INT64_MAX, -3, 7};
    int64_t yi[] = {1, 5, -10};
    pt_value one = ival(1);
    pt_value *a2[] = {tensor(&a, PETITE_INT64, 1, s3, xi), tensor(&b, PETITE_INT64, 1, s3, yi), &one,
                      tensor(&o, PETITE_INT64, 1, s3, NULL), NULL};
    a2[4] = a2[3];
    CHECK(pk_add_out(&ctx, a2, 5) == PETITE_OK, "%s", err.msg);
    CHECK(((int64_t *)o.data)[0] == INT64_MIN && ((int64_t *)o.data)[1] == 2 &&
          ((int64_t *)o.data)[2] == -3, "int64 add wraps");

    /* float out from int inputs is allowed, int out from float inputs is not */
    tensor(&o, PETITE_FLOAT32, 1, s3, NULL);
    CHECK(pk_add_out(&ctx, a2, 5) == PETITE_OK, "int + int -> float out");
    CHECK(((float *)o.data)[2] == -3.0f, "converted");
    float xf[] = {0.5f, 1.5f, 2.5f};
    pt_value *a3[] = {tensor(&a, PETITE_FLOAT32, 1, s3, xf), tensor(&b, PETITE_INT64, 1, s3, yi), &one,
                      tensor(&o, PETITE_INT64, 1, s3, NULL), NULL};
    a3[4] = a3[3];
    CHECK(pk_add_out(&ctx, a3, 5) == PETITE_ERR_INVALID_TYPE, "float result into int64 out refused");
    CHECK(strstr(err.msg, "cannot be stored") != NULL, "message says why: %s", err.msg);

    /* mixed float32 + int64 -> float32 */
    tensor(&o, PETITE_FLOAT32, 1, s3, NULL);
    CHECK(pk_add_out(&ctx, a3, 5) == PETITE_OK, "%s", err.msg);
    float want3[] = {1.5f, 6.5f, -7.5f};
    CHECK(close_f((float *)o.data, want3, 3, 0), "float + int64");

    /* non-broadcastable shapes */
    int64_t s2[] = {2};
    pt_value *a4[] = {tensor(&a, PETITE_FLOAT32, 1, s3, xf), tensor(&b, PETITE_FLOAT32, 1, s2, xf), &one,
                      tensor(&o, PETITE_FLOAT32, 1, s3, NULL), NULL};
    a4[4] = a4[3];
    CHECK(pk_add_out(&ctx, a4, 5) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "broadcast"),
          "broadcast error: %s", err.msg);
    /* wrong arg count and kinds */
    CHECK(pk_add_out(&ctx, a4, 4) == PETITE_ERR_INVALID_PROGRAM, "arg count");
    pt_value d = dval(1.5);
    pt_value *a5[] = {&d, a4[1], &one, a4[3], a4[3]};
    CHECK(pk_add_out(&ctx, a5, 5) == PETITE_ERR_INVALID_TYPE && strstr(err.msg, "self"), "kind: %s", err.msg);
    /* float alpha with integer tensors */
    pt_value fa = dval(0.5);
    pt_value *a6[] = {a2[0], a2[1], &fa, tensor(&o, PETITE_INT64, 1, s3, NULL), NULL};
    a6[0] = tensor(&a, PETITE_INT64, 1, s3, xi);
    a6[1] = tensor(&b, PETITE_INT64, 1, s3, yi);
    a6[4] = a6[3];
    CHECK(pk_add_out(&ctx, a6, 5) == PETITE_ERR_INVALID_ARGUMENT, "float alpha with ints");
}

static void test_sub_mul_div(void) {
    tv a, b, o;
    int64_t s4[] = {4};
    float x[] = {7, -7, 1, 0}, y[] = {2, 2, -4, 3};
    pt_value one = ival(1);
    pt_value *sub[] = {tensor(&a, PETITE_FLOAT32, 1, s4, x), tensor(&b, PETITE_FLOAT32, 1, s4, y), &one,
                       tensor(&o, PETITE_FLOAT32, 1, s4, NULL), NULL};
    sub[4] = sub[3];
    CHECK(pk_sub_out(&ctx, sub, 5) == PETITE_OK, "%s", err.msg);
    float w1[] = {5, -9, 5, -3};
    CHECK(close_f((float *)o.data, w1, 4, 0), "sub");
    pt_value *mul[] = {sub[0], sub[1], sub[3], sub[3]};
    CHECK(pk_mul_out(&ctx, mul, 4) == PETITE_OK, "%s", err.msg);
    float w2[] = {14, -14, -4, 0};
    CHECK(close_f((float *)o.data, w2, 4, 0), "mul");
    CHECK(pk_div_out(&ctx, mul, 4) == PETITE_OK, "%s", err.msg);
    float w3[] = {3.5f, -3.5f, -0.25f, 0};
    CHECK(close_f((float *)o.data, w3, 4, 0), "div");
    pt_value floor_mode = {PETITE_KIND_STRING, {.s = {"floor", 5}}};
    pt_value trunc_mode = {PETITE_KIND_STRING, {.s = {"trunc", 5}}};
    pt_value *dm[] = {sub[0], sub[1], &floor_mode, sub[3], sub[3]};
    CHECK(pk_div_out_mode(&ctx, dm, 5) == PETITE_OK, "%s", err.msg);
    float w4[] = {3, -4, -1, 0};
    CHECK(close_f((float *)o.data, w4, 4, 0), "div floor");
    dm[2] = &trunc_mode;
    CHECK(pk_div_out_mode(&ctx, dm, 5) == PETITE_OK, "%s", err.msg);
    float w5[] = {3, -3, -0.0f, 0};
    CHECK(close_f((float *)o.data, w5, 4, 0), "div trunc");
    pt_value bad = {PETITE_KIND_STRING, {.s = {"round", 5}}};
    dm[2] = &bad;
    CHECK(pk_div_out_mode(&ctx, dm, 5) == PETITE_ERR_INVALID_ARGUMENT, "bad rounding mode");

    /* integer true division -> float; integer floor division, division by zero */
    int64_t xi[] = {7, -7, 1, 0}, yi[] = {2, 2, -4, 3}, zi[] = {2, 0, 1, 1};
    pt_value *idv[] = {tensor(&a, PETITE_INT64, 1, s4, xi), tensor(&b, PETITE_INT64, 1, s4, yi),
                       tensor(&o, PETITE_FLOAT32, 1, s4, NULL), NULL};
    idv[3] = idv[2];
    CHECK(pk_div_out(&ctx, idv, 4) == PETITE_OK, "%s", err.msg);
    CHECK(close_f((float *)o.data, w3, 4, 0), "int true div");
    tensor(&o, PETITE_INT64, 1, s4, NULL);
    CHECK(pk_div_out(&ctx, idv, 4) == PETITE_ERR_INVALID_TYPE, "int true div into int64 refused");
    pt_value *idm[] = {idv[0], idv[1], &floor_mode, idv[2], idv[2]};
    CHECK(pk_div_out_mode(&ctx, idm, 5) == PETITE_OK, "%s", err.msg);
    CHECK(((int64_t *)o.data)[0] == 3 && ((int64_t *)o.data)[1] == -4 && ((int64_t *)o.data)[2] == -1,
          "int floor div");
    idm[1] = tensor(&b, PETITE_INT64, 1, s4, zi);
    CHECK(pk_div_out_mode(&ctx, idm, 5) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "zero"),
          "int division by zero: %s", err.msg);
}

static void test_scalar_overloads(void) {
    tv a, o;
    int64_t s3[] = {3};
    float x[] = {1, 2, 3};
    int64_t xi[] = {1, 2, 3};
    pt_value other = dval(0.5), alpha = ival(2), two = ival(2);
    pt_value *args[] = {tensor(&a, PETITE_FLOAT32, 1, s3, x), &other, &alpha,
                        tensor(&o, PETITE_FLOAT32, 1, s3, NULL), NULL};
    args[4] = args[3];
    CHECK(pk_add_scalar_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    float w1[] = {2, 3, 4};
    CHECK(close_f((float *)o.data, w1, 3, 0), "add.Scalar");
    CHECK(pk_sub_scalar_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    float w2[] = {0, 1, 2};
    CHECK(close_f((float *)o.data, w2, 3, 0), "sub.Scalar");
    CHECK(pk_rsub_scalar_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    float w3[] = {-1.5f, -3.5f, -5.5f};
    CHECK(close_f((float *)o.data, w3, 3, 0), "rsub.Scalar");
    pt_value *margs[] = {args[0], &other, args[3], args[3]};
    CHECK(pk_mul_scalar_out(&ctx, margs, 4) == PETITE_OK, "%s", err.msg);
    float w4[] = {0.5f, 1, 1.5f};
    CHECK(close_f((float *)o.data, w4, 3, 0), "mul.Scalar");
    CHECK(pk_div_scalar_out(&ctx, margs, 4) == PETITE_OK, "%s", err.msg);
    float w5[] = {2, 4, 6};
    CHECK(close_f((float *)o.data, w5, 3, 0), "div.Scalar");
    /* int tensor * float scalar promotes to float32 (torch's rule): int64 out refused */
    pt_value *im[] = {tensor(&a, PETITE_INT64, 1, s3, xi), &other, tensor(&o, PETITE_INT64, 1, s3, NULL), NULL};
    im[3] = im[2];
    CHECK(pk_mul_scalar_out(&ctx, im, 4) == PETITE_ERR_INVALID_TYPE, "int * 0.5 into int64");
    im[1] = &two;
    CHECK(pk_mul_scalar_out(&ctx, im, 4) == PETITE_OK && ((int64_t *)o.data)[2] == 6, "int * 2");
}

static void test_copy(void) {
    tv a, o;
    int64_t s23[] = {2, 3};
    float x[] = {1.9f, -2.7f, 3, 4, 5, 6};
    pt_value nb = bval(false), no = none();
    pt_value *args[] = {tensor(&a, PETITE_FLOAT32, 2, s23, x), &nb, &no,
                        tensor(&o, PETITE_INT64, 2, s23, NULL), NULL};
    args[4] = args[3];
    CHECK(pk_to_dim_order_copy_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    int64_t *y = (int64_t *)o.data;
    CHECK(y[0] == 1 && y[1] == -2 && y[5] == 6, "float -> int64 truncates");
    CHECK(pk_clone_dim_order_out(&ctx, args, 5) == PETITE_ERR_INVALID_TYPE, "clone cannot change dtype");

    /* contiguous -> channels-last-like dim order [1, 0] through the dim_order argument */
    tensor(&o, PETITE_FLOAT32, 2, s23, NULL);
    o.t.dim_order[0] = 1;
    o.t.dim_order[1] = 0;
    o.t.contiguous = 0;
    pt_tensor_update_layout(&o.t);
    pt_value items[2] = {ival(1), ival(0)};
    int32_t idx[2] = {0, 1};
    pt_value order = {PETITE_KIND_INT_LIST, {.list = {idx, 2, items}}};
    args[2] = &order;
    CHECK(pk_clone_dim_order_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    float *z = (float *)o.data; /* memory is column-major: x[0][0], x[1][0], x[0][1], ... */
    CHECK(z[0] == x[0] && z[1] == x[3] && z[2] == x[1] && z[5] == x[5], "dim order copy");
    items[0] = ival(0);
    items[1] = ival(1);
    CHECK(pk_clone_dim_order_out(&ctx, args, 5) == PETITE_ERR_INVALID_ARGUMENT, "dim_order mismatch");
}

static void test_softmax(void) {
    tv a, o;
    int64_t s23[] = {2, 3};
    float x[] = {1, 2, 3, 0, 0, 0};
    pt_value dim = ival(-1), h2f = bval(false);
    pt_value *args[] = {tensor(&a, PETITE_FLOAT32, 2, s23, x), &dim, &h2f,
                        tensor(&o, PETITE_FLOAT32, 2, s23, NULL), NULL};
    args[4] = args[3];
    CHECK(pk_softmax_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    float e1 = expf(-2), e2 = expf(-1), sum = e1 + e2 + 1;
    float want[] = {e1 / sum, e2 / sum, 1 / sum, 1.f / 3, 1.f / 3, 1.f / 3};
    CHECK(close_f((float *)o.data, want, 6, 1e-7f), "softmax last dim");
    dim = ival(0);
    CHECK(pk_softmax_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    float s0 = 1 / (1 + expf(-1));
    CHECK(fabsf(((float *)o.data)[0] - s0) < 1e-7f && fabsf(((float *)o.data)[3] - (1 - s0)) < 1e-7f,
          "softmax dim 0");
    CHECK(pk_log_softmax_out(&ctx, args, 5) == PETITE_OK, "%s", err.msg);
    CHECK(fabsf(((float *)o.data)[0] - logf(s0)) < 1e-6f, "log_softmax");
    dim = ival(2);
    CHECK(pk_softmax_out(&ctx, args, 5) == PETITE_ERR_INVALID_ARGUMENT, "dim out of range");
}

static void test_resize_rules(void) {
    tv o;
    int64_t s4[] = {4}, s3[] = {3}, s5[] = {5};
    tensor(&o, PETITE_FLOAT32, 1, s4, NULL);
    CHECK(pt_tensor_resize(&o.t, 1, s3, &err) == PETITE_ERR_INVALID_ARGUMENT, "static tensor keeps its shape");
    o.t.dynamism = PETITE_DYNAMIC_BOUND;
    CHECK(pt_tensor_resize(&o.t, 1, s3, &err) == PETITE_OK && o.t.numel == 3, "shrink within bound");
    CHECK(pt_tensor_resize(&o.t, 1, s5, &err) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "upper bound"),
          "grow past bound: %s", err.msg);
}

static void test_prim(void) {
    tv a;
    int64_t s23[] = {2, 3};
    pt_value dim = ival(1), out = ival(0);
    pt_value *args[] = {tensor(&a, PETITE_FLOAT32, 2, s23, NULL), &dim, &out};
    CHECK(pk_sym_size_int(&ctx, args, 3) == PETITE_OK && out.u.i == 3, "sym_size");
    pt_value x = ival(7), y = ival(-2), r = ival(0);
    pt_value *pa[] = {&x, &y, &r};
    CHECK(pk_prim_floordiv(&ctx, pa, 3) == PETITE_OK && r.kind == PETITE_KIND_INT && r.u.i == -4, "floordiv");
    CHECK(pk_prim_truediv(&ctx, pa, 3) == PETITE_OK && r.kind == PETITE_KIND_DOUBLE && r.u.d == -3.5, "truediv");
    CHECK(pk_prim_gt(&ctx, pa, 3) == PETITE_OK && r.kind == PETITE_KIND_BOOL && r.u.b, "gt");
    /* _local_scalar_dense: element 0 as Int / Double / Bool by the tensor's dtype */
    tv t;
    int64_t s2[] = {2}, s0[] = {0};
    int64_t ip[] = {42, 7};
    float fp[] = {2.5f, 1.0f};
    uint8_t bp[] = {1, 0};
    pt_value sc = ival(0);
    pt_value *la[] = {tensor(&t, PETITE_INT64, 1, s2, ip), &sc};
    CHECK(pk_local_scalar_dense(&ctx, la, 2) == PETITE_OK && sc.kind == PETITE_KIND_INT && sc.u.i == 42, "_local_scalar_dense int64");
    la[0] = tensor(&t, PETITE_FLOAT32, 1, s2, fp);
    CHECK(pk_local_scalar_dense(&ctx, la, 2) == PETITE_OK && sc.kind == PETITE_KIND_DOUBLE && sc.u.d == 2.5, "_local_scalar_dense fp32");
    la[0] = tensor(&t, PETITE_BOOL, 1, s2, bp);
    CHECK(pk_local_scalar_dense(&ctx, la, 2) == PETITE_OK && sc.kind == PETITE_KIND_BOOL && sc.u.b, "_local_scalar_dense bool");
    la[0] = tensor(&t, PETITE_INT64, 1, s0, NULL);
    CHECK(pk_local_scalar_dense(&ctx, la, 2) == PETITE_ERR_INVALID_ARGUMENT, "_local_scalar_dense of an empty tensor refused");
}

static void test_quantize(void) {
    tv a, o, sc, zp;
    int64_t s4[] = {4}, s22[] = {2, 2}, s2[] = {2};
    float x[] = {-1.0f, 0.0f, 0.26f, 100.0f};
    pt_value scale = dval(0.1), z = ival(-3), qmin = ival(-128), qmax = ival(127), dt = ival(PETITE_INT8);
    pt_value *args[] = {tensor(&a, PETITE_FLOAT32, 1, s4, x), &scale, &z, &qmin, &qmax, &dt,
                        tensor(&o, PETITE_INT8, 1, s4, NULL), NULL};
    args[7] = args[6];
    CHECK(pk_quantize_per_tensor_out(&ctx, args, 8) == PETITE_OK, "%s", err.msg);
    int8_t *q = (int8_t *)o.data; /* round(x / 0.1) - 3, clamped */
    CHECK(q[0] == -13 && q[1] == -3 && q[2] == 0 && q[3] == 127, "quantize: %d %d %d %d", q[0], q[1], q[2], q[3]);
    int8_t qi[] = {-13, -3, 7, 127};
    pt_value none_v = none();
    pt_value *dargs[] = {tensor(&a, PETITE_INT8, 1, s4, qi), &scale, &z, &qmin, &qmax, &dt, &none_v,
                         tensor(&o, PETITE_FLOAT32, 1, s4, NULL), NULL};
    dargs[8] = dargs[7];
    CHECK(pk_dequantize_per_tensor_out(&ctx, dargs, 9) == PETITE_OK, "%s", err.msg);
    float wantd[] = {-1.0f, 0.0f, 1.0f, 13.0f};
    CHECK(close_f((float *)o.data, wantd, 4, 1e-6f), "dequantize");
    pt_value bad = dval(0.0);
    args[1] = &bad;
    args[0] = tensor(&a, PETITE_FLOAT32, 1, s4, x);
    args[6] = args[7] = tensor(&o, PETITE_INT8, 1, s4, NULL);
    CHECK(pk_quantize_per_tensor_out(&ctx, args, 8) == PETITE_ERR_INVALID_ARGUMENT, "zero scale refused");
    /* per channel along axis 0: scales [0.5, 2], zero points [0, 1] */
    float xc[] = {1.0f, -1.0f, 4.0f, -4.0f};
    float scales[] = {0.5f, 2.0f};
    int64_t zps[] = {0, 1};
    pt_value axis = ival(0);
    pt_value *cargs[] = {tensor(&a, PETITE_FLOAT32, 2, s22, xc), tensor(&sc, PETITE_FLOAT32, 1, s2, scales),
                         tensor(&zp, PETITE_INT64, 1, s2, zps), &axis, &qmin, &qmax, &dt,
                         tensor(&o, PETITE_INT8, 2, s22, NULL), NULL};
    cargs[8] = cargs[7];
    CHECK(pk_quantize_per_channel_out(&ctx, cargs, 9) == PETITE_OK, "%s", err.msg);
    q = (int8_t *)o.data;
    CHECK(q[0] == 2 && q[1] == -2 && q[2] == 3 && q[3] == -1, "per channel: %d %d %d %d", q[0], q[1], q[2], q[3]);
}

/* ---- the LLM operators (llama::update_cache / custom_sdpa, quantized embeddings) ---- */

static void test_update_cache(void) {
    tv v, ca, o;
    int64_t sv[] = {1, 2, 2, 3}, sc[] = {1, 5, 2, 3}, s1[] = {1};
    float val[12], zero[30] = {0};
    for (int i = 0; i < 12; i++) val[i] = (float)(i + 1);
    pt_value pos = ival(2);
    pt_value *args[] = {tensor(&v, PETITE_FLOAT32, 4, sv, val), tensor(&ca, PETITE_FLOAT32, 4, sc, zero), &pos,
                        tensor(&o, PETITE_FLOAT32, 1, s1, NULL), NULL};
    args[4] = args[3];
    CHECK(pk_llama_update_cache_out(&ctx, args, 5) == PETITE_OK, "update_cache: %s", err.msg);
    const float *cache = (const float *)ca.data;
    int bad = 0; /* rows 2 and 3 (6 floats each) hold the value, the rest stays 0 */
    for (int r = 0; r < 5; r++)
        for (int e = 0; e < 6; e++) bad += cache[r * 6 + e] != (r == 2 || r == 3 ? val[(r - 2) * 6 + e] : 0.0f);
    CHECK(bad == 0, "update_cache: %d wrong", bad);
    pt_value late = ival(4), neg = ival(-1);
    args[2] = &late;
    CHECK(pk_llama_update_cache_out(&ctx, args, 5) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "start_pos 4"),
          "update_cache past the end refused: %s", err.msg);
    args[2] = &neg;
    CHECK(pk_llama_update_cache_out(&ctx, args, 5) == PETITE_ERR_INVALID_ARGUMENT, "update_cache at -1 refused");
    bad = 0;
    for (int r = 0; r < 5; r++)
        for (int e = 0; e < 6; e++) bad += cache[r * 6 + e] != (r == 2 || r == 3 ? val[(r - 2) * 6 + e] : 0.0f);
    CHECK(bad == 0, "update_cache: a refused call changed the cache");
    int64_t swrong[] = {1, 2, 3, 2};
    args[0] = tensor(&v, PETITE_FLOAT32, 4, swrong, val);
    args[2] = &pos;
    CHECK(pk_llama_update_cache_out(&ctx, args, 5) == PETITE_ERR_INVALID_ARGUMENT, "update_cache with other heads refused");
}

/* select_scatter / slice_scatter: out = self with a part replaced, into another tensor and in place
 * (out = self); a negative index, None bounds, a step; a src of the wrong shape or dtype and an index
 * past the end refused before anything is written */
static void test_scatter(void) {
    tv x, src, o;
    int64_t sx[] = {2, 5, 3}, s_sel[] = {2, 3}, s_sl[] = {2, 2, 3}, s_bad[] = {2, 3, 3};
    float base[30], v6[6], v12[12];
    for (int i = 0; i < 30; i++) base[i] = (float)i;
    for (int i = 0; i < 6; i++) v6[i] = 100.0f + (float)i;
    for (int i = 0; i < 12; i++) v12[i] = 200.0f + (float)i;
    pt_value dim = ival(1), idx = ival(-1);
    pt_value *sel[] = {tensor(&x, PETITE_FLOAT32, 3, sx, base), tensor(&src, PETITE_FLOAT32, 2, s_sel, v6), &dim, &idx,
                       tensor(&o, PETITE_FLOAT32, 3, sx, NULL), NULL};
    sel[5] = sel[4];
    CHECK(pk_select_scatter_out(&ctx, sel, 6) == PETITE_OK, "select_scatter: %s", err.msg);
    int bad = 0; /* position 4 (index -1) from src, the rest from self */
    for (int b = 0; b < 2; b++)
        for (int p = 0; p < 5; p++)
            for (int e = 0; e < 3; e++)
                bad += ((float *)o.data)[(b * 5 + p) * 3 + e] != (p == 4 ? v6[b * 3 + e] : base[(b * 5 + p) * 3 + e]);
    CHECK(bad == 0 && !memcmp(x.data, base, sizeof base), "select_scatter into another tensor: %d wrong", bad);
    /* slice_scatter in place: positions 1 and 3 (start 1, end None, step 2) */
    pt_value st = ival(1), en = none(), step = ival(2);
    pt_value *sl[] = {sel[0], tensor(&src, PETITE_FLOAT32, 3, s_sl, v12), &dim, &st, &en, &step, sel[0], sel[0]};
    CHECK(pk_slice_scatter_out(&ctx, sl, 8) == PETITE_OK, "slice_scatter in place: %s", err.msg);
    bad = 0;
    for (int b = 0; b < 2; b++)
        for (int p = 0; p < 5; p++)
            for (int e = 0; e < 3; e++) {
                const float want = p == 1 ? v12[(b * 2 + 0) * 3 + e] : p == 3 ? v12[(b * 2 + 1) * 3 + e] : base[(b * 5 + p) * 3 + e];
                bad += ((float *)x.data)[(b * 5 + p) * 3 + e] != want;
            }
    CHECK(bad == 0, "slice_scatter in place: %d wrong", bad);
    float now[30];
    memcpy(now, x.data, sizeof now);
    /* None start, end 2: positions 0 and 1, into another tensor */
    pt_value two = ival(2), one = ival(1), none_st = none();
    sl[3] = &none_st, sl[4] = &two, sl[5] = &one, sl[6] = sl[7] = tensor(&o, PETITE_FLOAT32, 3, sx, NULL);
    CHECK(pk_slice_scatter_out(&ctx, sl, 8) == PETITE_OK, "slice_scatter [:2]: %s", err.msg);
    bad = 0;
    for (int b = 0; b < 2; b++)
        for (int p = 0; p < 5; p++)
            for (int e = 0; e < 3; e++)
                bad += ((float *)o.data)[(b * 5 + p) * 3 + e] != (p < 2 ? v12[(b * 2 + p) * 3 + e] : now[(b * 5 + p) * 3 + e]);
    CHECK(bad == 0, "slice_scatter [:2]: %d wrong", bad);
    /* refusals, self unchanged: a src of 3 positions for a slice of 2, an int32 src, an index past the end */
    sl[1] = tensor(&src, PETITE_FLOAT32, 3, s_bad, NULL), sl[6] = sl[7] = sl[0];
    CHECK(pk_slice_scatter_out(&ctx, sl, 8) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "slice_scatter: src"),
          "slice_scatter with a src of the wrong shape refused: %s", err.msg);
    int32_t i6[6] = {0};
    sel[1] = tensor(&src, PETITE_INT32, 2, s_sel, i6), sel[4] = sel[5] = sel[0];
    CHECK(pk_select_scatter_out(&ctx, sel, 6) == PETITE_ERR_INVALID_TYPE, "select_scatter with an int32 src refused");
    pt_value far = ival(5);
    sel[1] = tensor(&src, PETITE_FLOAT32, 2, s_sel, v6), sel[3] = &far;
    CHECK(pk_select_scatter_out(&ctx, sel, 6) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "index 5"),
          "select_scatter past the end refused: %s", err.msg);
    CHECK(!memcmp(x.data, now, sizeof now), "scatter: refused calls changed nothing");
}

/* index_copy.out: a cache [1, 2, 5, 3] written at positions {4, 1} along dim 2, in place (out = self) and into
 * another tensor; a bad index or source shape refused before anything is written; an empty index */
static void test_index_copy(void) {
    tv x, ix, src, o;
    int64_t sx[] = {1, 2, 5, 3}, ss[] = {1, 2, 2, 3}, si[] = {2}, s0[] = {0}, ss0[] = {1, 2, 0, 3};
    float cache[30] = {0}, val[12];
    for (int i = 0; i < 12; i++) val[i] = (float)(i + 1);
    int64_t at[] = {4, 1};
    pt_value dim = ival(2);
    pt_value *args[] = {tensor(&x, PETITE_FLOAT32, 4, sx, cache), &dim, tensor(&ix, PETITE_INT64, 1, si, at),
                        tensor(&src, PETITE_FLOAT32, 4, ss, val), NULL, NULL};
    args[4] = args[5] = args[0]; /* in place */
    CHECK(pk_index_copy_out(&ctx, args, 6) == PETITE_OK, "index_copy in place: %s", err.msg);
    int bad = 0; /* head h, position p: source row (h, k) where at[k] == p */
    for (int h = 0; h < 2; h++)
        for (int p = 0; p < 5; p++)
            for (int e = 0; e < 3; e++) {
                float want = p == 4 ? val[(h * 2 + 0) * 3 + e] : p == 1 ? val[(h * 2 + 1) * 3 + e] : 0.0f;
                bad += ((float *)x.data)[(h * 5 + p) * 3 + e] != want;
            }
    CHECK(bad == 0, "index_copy in place: %d wrong", bad);
    float before[30];
    memcpy(before, x.data, sizeof before);
    args[4] = args[5] = tensor(&o, PETITE_FLOAT32, 4, sx, NULL); /* into another tensor: self copied first */
    CHECK(pk_index_copy_out(&ctx, args, 6) == PETITE_OK && !memcmp(o.data, before, sizeof before), "index_copy out of place");
    int64_t far[] = {1, 5};
    args[2] = tensor(&ix, PETITE_INT64, 1, si, far);
    args[4] = args[5] = args[0];
    CHECK(pk_index_copy_out(&ctx, args, 6) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "index 5"),
          "index_copy past the end refused: %s", err.msg);
    CHECK(!memcmp(x.data, before, sizeof before), "index_copy: a refused call changed nothing (position 1 untouched)");
    int64_t s3[] = {1, 2, 3, 3};
    args[2] = tensor(&ix, PETITE_INT64, 1, si, at);
    args[3] = tensor(&src, PETITE_FLOAT32, 4, s3, NULL); /* 18 floats: refused on its shape before any read */
    CHECK(pk_index_copy_out(&ctx, args, 6) == PETITE_ERR_INVALID_ARGUMENT, "index_copy with a source of 3 rows for 2 indices refused");
    args[2] = tensor(&ix, PETITE_INT64, 1, s0, NULL);
    args[3] = tensor(&src, PETITE_FLOAT32, 4, ss0, NULL);
    CHECK(pk_index_copy_out(&ctx, args, 6) == PETITE_OK && !memcmp(x.data, before, sizeof before), "index_copy of nothing");
    int32_t at32[] = {0, 1};
    args[2] = tensor(&ix, PETITE_INT32, 1, si, at32);
    args[3] = tensor(&src, PETITE_FLOAT32, 4, ss, val);
    CHECK(pk_index_copy_out(&ctx, args, 6) == PETITE_ERR_INVALID_ARGUMENT, "index_copy with an int32 index refused (int64 only)");
    int64_t sother[] = {2, 5, 3};
    args[4] = args[5] = tensor(&o, PETITE_FLOAT32, 3, sother, NULL); /* self's memory under another shape */
    o.t.data = x.t.data;
    args[2] = tensor(&ix, PETITE_INT64, 1, si, at);
    CHECK(pk_index_copy_out(&ctx, args, 6) == PETITE_ERR_INVALID_ARGUMENT, "index_copy into self's memory as another shape refused");
}

/* embedding.out: a bad index anywhere is refused before out is touched (its rows and its shape) */
static void test_embedding_checks_first(void) {
    tv w, ix, o;
    int64_t sw[] = {3, 2}, si[] = {3}, so[] = {2, 2};
    float table[] = {1, 2, 3, 4, 5, 6};
    int64_t at[] = {1, 2, 9};
    pt_value *args[] = {tensor(&w, PETITE_FLOAT32, 2, sw, table), tensor(&ix, PETITE_INT64, 1, si, at), NULL, NULL, NULL,
                        tensor(&o, PETITE_FLOAT32, 2, so, NULL), NULL};
    pt_value pad = ival(-1), f = bval(0);
    args[2] = &pad, args[3] = &f, args[4] = &f, args[6] = args[5];
    for (int i = 0; i < 4; i++) ((float *)o.data)[i] = 7.0f;
    CHECK(pk_embedding_out(&ctx, args, 7) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "index 9"),
          "embedding with index 9 of 3 refused: %s", err.msg);
    int kept = o.t.rank == 2 && o.t.sizes[0] == 2;
    for (int i = 0; i < 4; i++) kept &= ((float *)o.data)[i] == 7.0f;
    CHECK(kept, "embedding: a refused call left out as it was (rows and shape)");
}

/* attention written out in double: query row i at position pos + i, kv head h / rep */
static void ref_sdpa(const float *q, const float *k, const float *v, int64_t Tq, int64_t Hq, int64_t Hkv, int64_t D, int64_t S,
                     int64_t pos, int causal, const float *mask, double scale, double *y) {
    for (int64_t i = 0; i < Tq; i++)
        for (int64_t h = 0; h < Hq; h++) {
            const int64_t hk = h / (Hq / Hkv), n = mask ? S : pos + Tq;
            double sc[16], mx = -INFINITY, sum = 0;
            for (int64_t t = 0; t < n; t++) {
                double d = 0;
                for (int64_t e = 0; e < D; e++) d += (double)q[(i * Hq + h) * D + e] * k[(t * Hkv + hk) * D + e];
                sc[t] = causal && t > pos + i ? -INFINITY : d * scale + (mask ? mask[i * S + t] : 0.0);
                if (sc[t] > mx) mx = sc[t];
            }
            for (int64_t t = 0; t < n; t++) sum += (sc[t] = exp(sc[t] - mx));
            for (int64_t e = 0; e < D; e++) {
                double a = 0;
                for (int64_t t = 0; t < n; t++) a += sc[t] / sum * v[(t * Hkv + hk) * D + e];
                y[(i * Hq + h) * D + e] = a;
            }
        }
}

static void test_custom_sdpa(void) {
    enum { TQ = 3, HQ = 4, HKV = 2, D = 2, S = 6 };
    tv q, k, v, m, o;
    int64_t sq[] = {1, TQ, HQ, D}, skv[] = {1, S, HKV, D}, sm[] = {TQ, S};
    float qd[TQ * HQ * D], kd[S * HKV * D], vd[S * HKV * D], md[TQ * S];
    for (int i = 0; i < TQ * HQ * D; i++) qd[i] = sinf(0.7f * (float)i);
    for (int i = 0; i < S * HKV * D; i++) kd[i] = cosf(0.3f * (float)i), vd[i] = (float)(i % 5) - 2.0f;
    for (int i = 0; i < TQ * S; i++) md[i] = i % 4 == 3 ? -INFINITY : 0.1f * (float)(i % 3);
    static unsigned char scratch[4096];
    pc_ctx ex = {NULL, scratch, sizeof scratch, PC_ISA_SCALAR};
    petite_kernel_ctx kc = {&err, &ex, NULL};
    pt_value pos = ival(2), nonev = none(), drop = dval(0.0), causal = bval(true), plain = bval(false), sc = dval(0.25);
    pt_value *args[] = {tensor(&q, PETITE_FLOAT32, 4, sq, qd), tensor(&k, PETITE_FLOAT32, 4, skv, kd),
                        tensor(&v, PETITE_FLOAT32, 4, skv, vd), &pos, &nonev, &drop, &causal, &nonev,
                        tensor(&o, PETITE_FLOAT32, 4, sq, NULL), NULL};
    args[9] = args[8];
    double want[TQ * HQ * D];
    /* causal from start_pos 2: row i sees keys 0 .. 2 + i; the default scale 1 / sqrt(D) */
    CHECK(pk_llama_custom_sdpa_out(&kc, args, 10) == PETITE_OK, "custom_sdpa: %s", err.msg);
    ref_sdpa(qd, kd, vd, TQ, HQ, HKV, D, S, 2, 1, NULL, 1.0 / sqrt((double)D), want);
    int bad = 0;
    for (int i = 0; i < TQ * HQ * D; i++) bad += !(fabs(((float *)o.data)[i] - want[i]) <= 1e-5 * (1 + fabs(want[i])));
    CHECK(bad == 0, "custom_sdpa causal with grouped heads: %d wrong", bad);
    /* an additive mask over the whole cache, scale given */
    args[4] = tensor(&m, PETITE_FLOAT32, 2, sm, md), args[6] = &plain, args[7] = &sc;
    CHECK(pk_llama_custom_sdpa_out(&kc, args, 10) == PETITE_OK, "custom_sdpa with a mask: %s", err.msg);
    ref_sdpa(qd, kd, vd, TQ, HQ, HKV, D, S, 2, 0, md, 0.25, want);
    bad = 0;
    for (int i = 0; i < TQ * HQ * D; i++) bad += !(fabs(((float *)o.data)[i] - want[i]) <= 1e-5 * (1 + fabs(want[i])));
    CHECK(bad == 0, "custom_sdpa with a mask and a scale: %d wrong", bad);
    /* refused: mask with is_causal, queries past the cache, heads that do not group */
    args[6] = &causal;
    CHECK(pk_llama_custom_sdpa_out(&kc, args, 10) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "attn_mask"),
          "custom_sdpa: mask and causal refused");
    args[4] = &nonev, args[7] = &nonev;
    pt_value late = ival(4);
    args[3] = &late;
    CHECK(pk_llama_custom_sdpa_out(&kc, args, 10) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "start_pos 4"),
          "custom_sdpa past the cache refused: %s", err.msg);
    int64_t s3[] = {1, S, 3, D};
    args[3] = &pos, args[1] = tensor(&k, PETITE_FLOAT32, 4, s3, NULL), args[2] = tensor(&v, PETITE_FLOAT32, 4, s3, NULL);
    CHECK(pk_llama_custom_sdpa_out(&kc, args, 10) == PETITE_ERR_INVALID_ARGUMENT, "custom_sdpa: 4 query heads over 3 kv heads refused");
}

static void test_sdpa_with_kv_cache(void) {
    enum { T = 2, HQ = 4, HKV = 2, D = 2, S = 6, POS = 2 };
    tv q, k, v, kc, vc, o;
    int64_t sq[] = {1, T, HQ, D}, skv[] = {1, T, HKV, D}, sc[] = {1, S, HKV, D};
    float qd[T * HQ * D], kd[T * HKV * D], vd[T * HKV * D], kcd[S * HKV * D], vcd[S * HKV * D];
    for (int i = 0; i < T * HQ * D; i++) qd[i] = cosf(0.9f * (float)i);
    for (int i = 0; i < T * HKV * D; i++) kd[i] = sinf((float)i), vd[i] = 0.5f * (float)i - 1.0f;
    for (int i = 0; i < S * HKV * D; i++) kcd[i] = i < POS * HKV * D ? 0.25f * (float)i : 99.0f, vcd[i] = i < POS * HKV * D ? -(float)i : 99.0f;
    static unsigned char scratch[4096];
    pc_ctx ex = {NULL, scratch, sizeof scratch, PC_ISA_SCALAR};
    petite_kernel_ctx kc_ = {&err, &ex, NULL};
    pt_value pos = ival(POS), len = ival(T), nonev = none(), drop = dval(0.0), causal = bval(true);
    pt_value *args[] = {tensor(&q, PETITE_FLOAT32, 4, sq, qd), tensor(&k, PETITE_FLOAT32, 4, skv, kd), tensor(&v, PETITE_FLOAT32, 4, skv, vd),
                        tensor(&kc, PETITE_FLOAT32, 4, sc, kcd), tensor(&vc, PETITE_FLOAT32, 4, sc, vcd), &pos, &len, &nonev, &drop,
                        &causal, &nonev, tensor(&o, PETITE_FLOAT32, 4, sq, NULL), NULL};
    args[12] = args[11];
    /* refused first (seq_len that is not the new rows; rows past the cache): the caches stay as they were */
    pt_value badlen = ival(3), late = ival(5);
    args[6] = &badlen;
    CHECK(pk_llama_sdpa_with_kv_cache_out(&kc_, args, 13) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "seq_len"), "seq_len refused");
    args[6] = &len, args[5] = &late;
    CHECK(pk_llama_sdpa_with_kv_cache_out(&kc_, args, 13) == PETITE_ERR_INVALID_ARGUMENT, "rows past the cache refused");
    CHECK(memcmp(kc.data, kcd, sizeof kcd) == 0 && memcmp(vc.data, vcd, sizeof vcd) == 0, "a refused call left the caches as they were");
    args[5] = &pos;
    CHECK(pk_llama_sdpa_with_kv_cache_out(&kc_, args, 13) == PETITE_OK, "sdpa_with_kv_cache: %s", err.msg);
    /* the caches: the new rows at POS; the output: attention over them as custom_sdpa computes it */
    memcpy(kcd + POS * HKV * D, kd, sizeof kd), memcpy(vcd + POS * HKV * D, vd, sizeof vd);
    CHECK(memcmp(kc.data, kcd, sizeof kcd) == 0 && memcmp(vc.data, vcd, sizeof vcd) == 0, "sdpa_with_kv_cache wrote the caches");
    double want[T * HQ * D];
    ref_sdpa(qd, kcd, vcd, T, HQ, HKV, D, S, POS, 1, NULL, 1.0 / sqrt((double)D), want);
    int bad = 0;
    for (int i = 0; i < T * HQ * D; i++) bad += !(fabs(((float *)o.data)[i] - want[i]) <= 1e-5 * (1 + fabs(want[i])));
    CHECK(bad == 0, "sdpa_with_kv_cache: %d wrong", bad);
}

/* linear.out: input [2, 1, 3] x weight [2, 3] + bias, and without bias; the weight not a constant
 * (each run reads it) */
static void test_linear(void) {
    tv x, w, b, o;
    int64_t sx[] = {2, 1, 3}, sw[] = {2, 3}, sb[] = {2}, so[] = {2, 1, 2};
    float xd[] = {1, 2, 3, -1, 0, 2}, wd[] = {1, 0, -1, 2, 1, 0.5f}, bd[] = {0.5f, -1};
    static unsigned char scratch[1 << 16];
    pc_ctx ex = {NULL, scratch, sizeof scratch, PC_ISA_SCALAR};
    petite_kernel_ctx lc = {&err, &ex, NULL};
    pt_value nonev = none();
    pt_value *args[] = {tensor(&x, PETITE_FLOAT32, 3, sx, xd), tensor(&w, PETITE_FLOAT32, 2, sw, wd), tensor(&b, PETITE_FLOAT32, 1, sb, bd),
                        tensor(&o, PETITE_FLOAT32, 3, so, NULL), NULL};
    args[4] = args[3];
    CHECK(pk_linear_out(&lc, args, 5) == PETITE_OK, "linear: %s", err.msg);
    /* rows: (1, 2, 3) -> 1 - 3 + 0.5, 2 + 2 + 1.5 - 1; (-1, 0, 2) -> -1 - 2 + 0.5, -2 + 1 - 1 */
    float want[] = {-1.5f, 4.5f, -2.5f, -2.0f};
    CHECK(close_f((float *)o.data, want, 4, 1e-6f) && o.t.rank == 3 && o.t.sizes[2] == 2, "linear values");
    args[2] = &nonev;
    float wantnb[] = {-2.0f, 5.5f, -3.0f, -1.0f};
    CHECK(pk_linear_out(&lc, args, 5) == PETITE_OK && close_f((float *)o.data, wantnb, 4, 1e-6f), "linear without bias");
    int64_t sw2[] = {2, 4};
    args[1] = tensor(&w, PETITE_FLOAT32, 2, sw2, NULL);
    CHECK(pk_linear_out(&lc, args, 5) == PETITE_ERR_INVALID_ARGUMENT, "linear: weight [2, 4] for input width 3 refused");
}

static void test_embedding_q(void) {
    tv w, s, z, ix, o;
    /* 4-bit: 3 rows of 4 columns ([3, 2] bytes, the even column in the high nibble), groups of 2 */
    uint8_t w4[] = {0x9A, 0x70, 0x08, 0xF1, 0x88, 0x4C};
    float sc4[] = {1.0f, 2.0f, 0.5f, 0.25f, 3.0f, -1.0f};
    int64_t s32[] = {3, 2}, si[] = {2}, so[] = {2, 4};
    int64_t idx[] = {2, 0};
    pt_value qmin = ival(-8), qmax = ival(7), dt = ival(PETITE_FLOAT32), nonev = none();
    pt_value *args[] = {tensor(&w, PETITE_UINT8, 2, s32, w4), tensor(&s, PETITE_FLOAT32, 2, s32, sc4), &nonev, &qmin, &qmax,
                        tensor(&ix, PETITE_INT64, 1, si, idx), &dt, tensor(&o, PETITE_FLOAT32, 2, so, NULL), NULL};
    args[8] = args[7];
    CHECK(pk_embedding_4bit_dtype_out(&ctx, args, 9) == PETITE_OK, "embedding_4bit: %s", err.msg);
    /* row 2: 0x88 0x4C -> 0, 0, -4, 4 times 3, 3, -1, -1; row 0: 0x9A 0x70 -> 1, 2, -1, -8 times 1, 1, 2, 2 */
    float want4[] = {0.0f, 0.0f, 4.0f, -4.0f, 1.0f, 2.0f, -2.0f, -16.0f};
    CHECK(close_f((float *)o.data, want4, 8, 0.0f), "embedding_4bit values");
    args[6] = &nonev;
    CHECK(pk_embedding_4bit_dtype_out(&ctx, args, 9) == PETITE_OK && close_f((float *)o.data, want4, 8, 0.0f), "embedding_4bit, dtype None");
    /* byte: int8 [3, 4], one scale per row, zero points */
    int8_t w8[] = {1, -2, 3, -4, 10, 20, 30, 40, -128, 0, 127, 5};
    float sc8[] = {0.5f, 0.1f, 2.0f}, zp8[] = {1.0f, 0.0f, -1.0f};
    int64_t s34[] = {3, 4}, s3[] = {3};
    pt_value bmin = ival(-128), bmax = ival(127);
    pt_value *bargs[] = {tensor(&w, PETITE_INT8, 2, s34, w8), tensor(&s, PETITE_FLOAT32, 1, s3, sc8),
                         tensor(&z, PETITE_FLOAT32, 1, s3, zp8), &bmin, &bmax, tensor(&ix, PETITE_INT64, 1, si, idx),
                         tensor(&o, PETITE_FLOAT32, 2, so, NULL), NULL};
    bargs[7] = bargs[6];
    CHECK(pk_embedding_byte_out(&ctx, bargs, 8) == PETITE_OK, "embedding_byte: %s", err.msg);
    float want8[] = {-254.0f, 2.0f, 256.0f, 12.0f, 0.0f, -1.5f, 1.0f, -2.5f};
    CHECK(close_f((float *)o.data, want8, 8, 0.0f), "embedding_byte values");
    /* an index past the rows: refused, out as it was */
    int64_t badidx[] = {1, 3};
    bargs[5] = tensor(&ix, PETITE_INT64, 1, si, badidx);
    CHECK(pk_embedding_byte_out(&ctx, bargs, 8) == PETITE_ERR_INVALID_ARGUMENT && strstr(err.msg, "index 3"),
          "embedding_byte: index 3 of 3 rows refused");
    CHECK(close_f((float *)o.data, want8, 8, 0.0f), "embedding_byte: a refused call left out as it was");
    pt_value *cargs[] = {bargs[0], bargs[1], bargs[2], &bmin, &bmax, tensor(&ix, PETITE_INT64, 1, si, idx), &nonev, bargs[6], bargs[6]};
    CHECK(pk_embedding_byte_dtype_out(&ctx, cargs, 9) == PETITE_OK && close_f((float *)o.data, want8, 8, 0.0f), "embedding_byte.dtype_out");
    pt_value *dargs[] = {tensor(&w, PETITE_UINT8, 2, s32, w4), tensor(&s, PETITE_FLOAT32, 2, s32, sc4), &nonev, &qmin, &qmax,
                         tensor(&ix, PETITE_INT64, 1, si, idx), args[7], args[7]};
    CHECK(pk_embedding_4bit_out(&ctx, dargs, 8) == PETITE_OK && close_f((float *)o.data, want4, 8, 0.0f), "embedding_4bit.out");
}

int main(void) {
    test_add();
    test_sub_mul_div();
    test_scalar_overloads();
    test_copy();
    test_softmax();
    test_resize_rules();
    test_prim();
    test_quantize();
    test_update_cache();
    test_index_copy();
    test_scatter();
    test_embedding_checks_first();
    test_custom_sdpa();
    test_sdpa_with_kv_cache();
    test_linear();
    test_embedding_q();
    return check_done("kernels");
}
