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

int main(void) {
    test_add();
    test_sub_mul_div();
    test_scalar_overloads();
    test_copy();
    test_softmax();
    test_resize_rules();
    test_prim();
    test_quantize();
    return check_done("kernels");
}
