/* test_runtime.c — the flatbuffer reader, the program/method loader and the public API, on
 * synthetic programs written with tests/fbb.h: a dynamic-bound input, JumpFalse, MoveCall,
 * EXTERNAL constants from a .ptd, and precise corruptions of each. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fbb.h"
#include "format/fb.h"
#include "format/pte.h"
#include "format/ptd.h"
#include "petite/petite.h"

/* ---- synthetic programs ---------------------------------------------------------------- */

typedef struct vdesc {
    char kind; /* 'T' tensor, 'I' int, 'B' bool */
    int dtype, rank;
    int32_t sizes[4];
    int dyn, mem;          /* shape_dynamism; memory_id (0: not planned) */
    uint32_t off, dbi;     /* planned offset; data_buffer_idx */
    const char *ext;       /* EXTERNAL fully-qualified name */
    int64_t i;             /* Int / Bool value */
} vdesc;

typedef struct idesc {
    int type; /* INSTR_* */
    int32_t a, b;
    int nargs;
    int32_t args[8];
} idesc;

static void put_value(fbb *f, size_t values, uint32_t vi, const vdesc *d) {
    size_t ev = fbb_table(f, 2);
    fbb_vec_ref(f, values, vi, ev);
    if (d->kind == 'I' || d->kind == 'B') {
        fbb_u8(f, ev, EVALUE_VAL_TYPE, d->kind == 'I' ? KT_INT : KT_BOOL);
        size_t t = fbb_table(f, 1);
        fbb_ref(f, ev, EVALUE_VAL, t);
        if (d->kind == 'I') fbb_i64(f, t, 0, d->i);
        else fbb_u8(f, t, 0, (uint8_t)d->i);
        return;
    }
    fbb_u8(f, ev, EVALUE_VAL_TYPE, KT_TENSOR);
    size_t t = fbb_table(f, 10);
    fbb_ref(f, ev, EVALUE_VAL, t);
    fbb_u8(f, t, TENSOR_SCALAR_TYPE, (uint8_t)d->dtype);
    fbb_u32(f, t, TENSOR_DATA_BUFFER_IDX, d->dbi);
    fbb_u8(f, t, TENSOR_SHAPE_DYNAMISM, (uint8_t)d->dyn);
    size_t alloc = 0, extra = 0;
    if (d->mem) {
        alloc = fbb_table(f, 3);
        fbb_ref(f, t, TENSOR_ALLOCATION_INFO, alloc);
        fbb_u32(f, alloc, ALLOC_MEMORY_ID, (uint32_t)d->mem);
        fbb_u32(f, alloc, ALLOC_OFFSET_LOW, d->off);
    }
    if (d->ext) {
        extra = fbb_table(f, 5);
        fbb_ref(f, t, TENSOR_EXTRA_INFO, extra);
        fbb_u8(f, extra, EXTRA_LOCATION, PTE_TENSOR_EXTERNAL);
        fbb_ref(f, extra, EXTRA_FQN, fbb_str(f, d->ext));
    }
    fbb_ref(f, t, TENSOR_SIZES, fbb_vec(f, d->sizes, (uint32_t)d->rank, 4));
    uint8_t order[4] = {0, 1, 2, 3};
    fbb_ref(f, t, TENSOR_DIM_ORDER, fbb_vec(f, order, (uint32_t)d->rank, 1));
}

static void put_plan(fbb *f, size_t plans, uint32_t pi, const char *name, const vdesc *v, int nv,
                     int32_t in, int32_t out, const idesc *ins, int nins) {
    size_t plan = fbb_table(f, 10);
    fbb_vec_ref(f, plans, pi, plan);
    fbb_ref(f, plan, PLAN_NAME, fbb_str(f, name));
    fbb_ref(f, plan, PLAN_INPUTS, fbb_vec(f, &in, 1, 4));
    fbb_ref(f, plan, PLAN_OUTPUTS, fbb_vec(f, &out, 1, 4));
    int64_t bufs[2] = {0, 64};
    fbb_ref(f, plan, PLAN_NON_CONST_BUFFER_SIZES, fbb_vec(f, bufs, 2, 8));
    size_t ops = fbb_refs(f, 1);
    fbb_ref(f, plan, PLAN_OPERATORS, ops);
    size_t op = fbb_table(f, 2);
    fbb_vec_ref(f, ops, 0, op);
    fbb_ref(f, op, OPERATOR_NAME, fbb_str(f, "aten::add"));
    fbb_ref(f, op, OPERATOR_OVERLOAD, fbb_str(f, "out"));
    size_t values = fbb_refs(f, (uint32_t)nv);
    fbb_ref(f, plan, PLAN_VALUES, values);
    for (int i = 0; i < nv; i++) put_value(f, values, (uint32_t)i, &v[i]);
    size_t chains = fbb_refs(f, 1);
    fbb_ref(f, plan, PLAN_CHAINS, chains);
    size_t chain = fbb_table(f, 4);
    fbb_vec_ref(f, chains, 0, chain);
    size_t instrs = fbb_refs(f, (uint32_t)nins);
    fbb_ref(f, chain, CHAIN_INSTRUCTIONS, instrs);
    for (int i = 0; i < nins; i++) {
        size_t it = fbb_table(f, 2);
        fbb_vec_ref(f, instrs, (uint32_t)i, it);
        fbb_u8(f, it, INSTR_ARGS_TYPE, (uint8_t)ins[i].type);
        size_t call = fbb_table(f, 2);
        fbb_ref(f, it, INSTR_ARGS, call);
        fbb_u32(f, call, 0, (uint32_t)ins[i].a);
        if (ins[i].type == INSTR_KERNEL_CALL)
            fbb_ref(f, call, KCALL_ARGS, fbb_vec(f, ins[i].args, (uint32_t)ins[i].nargs, 4));
        else
            fbb_u32(f, call, 1, (uint32_t)ins[i].b);
    }
}

/* forward(x: float32[<=4]) = x + 10 ; jump(x[2]) = x + 10 (a JumpFalse skips a second add);
 * move(x[2]) = x (MoveCall aliases the output to the input); external(x[2]) = x + c (c in a .ptd) */
static size_t build_program(fbb *f) {
    fbb_init(f, "ET12", 0);
    size_t root = fbb_table(f, 8);
    size_t plans = fbb_refs(f, 4);
    fbb_ref(f, root, PRG_EXECUTION_PLAN, plans);
    size_t bufs = fbb_refs(f, 2);
    fbb_ref(f, root, PRG_CONSTANT_BUFFER, bufs);
    float ten = 10.0f;
    for (uint32_t i = 0; i < 2; i++) {
        size_t b = fbb_table(f, 1);
        fbb_vec_ref(f, bufs, i, b);
        fbb_ref(f, b, BUFFER_STORAGE, fbb_vec(f, &ten, i ? 4 : 0, 1));
    }
    vdesc fwd[] = {
        {'T', PETITE_FLOAT32, 1, {4}, PETITE_DYNAMIC_BOUND, 1, 0, 0, NULL, 0},
        {'T', PETITE_FLOAT32, 1, {1}, 0, 0, 0, 1, NULL, 0},
        {'I', 0, 0, {0}, 0, 0, 0, 0, NULL, 1},
        {'T', PETITE_FLOAT32, 1, {4}, PETITE_DYNAMIC_BOUND, 1, 16, 0, NULL, 0},
    };
    idesc add = {INSTR_KERNEL_CALL, 0, 0, 5, {0, 1, 2, 3, 3}};
    put_plan(f, plans, 0, "forward", fwd, 4, 0, 3, &add, 1);

    vdesc jmp[] = {
        {'T', PETITE_FLOAT32, 1, {2}, 0, 1, 0, 0, NULL, 0},
        {'T', PETITE_FLOAT32, 1, {1}, 0, 0, 0, 1, NULL, 0},
        {'I', 0, 0, {0}, 0, 0, 0, 0, NULL, 1},
        {'T', PETITE_FLOAT32, 1, {2}, 0, 1, 16, 0, NULL, 0},
        {'B', 0, 0, {0}, 0, 0, 0, 0, NULL, 0},
    };
    idesc jins[] = {
        {INSTR_KERNEL_CALL, 0, 0, 5, {0, 1, 2, 3, 3}},
        {INSTR_JUMP_FALSE_CALL, 4, 3, 0, {0}},
        {INSTR_KERNEL_CALL, 0, 0, 5, {3, 1, 2, 3, 3}},
    };
    put_plan(f, plans, 1, "jump", jmp, 5, 0, 3, jins, 3);
    idesc mv = {INSTR_MOVE_CALL, 0, 3, 0, {0}};
    put_plan(f, plans, 2, "move", jmp, 4, 0, 3, &mv, 1);
    vdesc ext[] = {
        {'T', PETITE_FLOAT32, 1, {2}, 0, 1, 0, 0, NULL, 0},
        {'T', PETITE_FLOAT32, 1, {2}, 0, 0, 0, 0, "c", 0},
        {'I', 0, 0, {0}, 0, 0, 0, 0, NULL, 1},
        {'T', PETITE_FLOAT32, 1, {2}, 0, 1, 16, 0, NULL, 0},
    };
    put_plan(f, plans, 3, "external", ext, 4, 0, 3, &add, 1);
    fbb_finish(f, root);
    return f->n;
}

/* A .ptd holding "c" = [100, 200]. */
static size_t build_ptd(fbb *f) {
    fbb_init(f, "FT01", 40);
    memcpy(f->b + 8, "FH01", 4);
    size_t root = fbb_table(f, 3);
    size_t segs = fbb_refs(f, 1);
    fbb_ref(f, root, 1, segs);
    size_t seg = fbb_table(f, 2);
    fbb_vec_ref(f, segs, 0, seg);
    fbb_i64(f, seg, 1, 8);
    size_t named = fbb_refs(f, 1);
    fbb_ref(f, root, 2, named);
    size_t nd = fbb_table(f, 3);
    fbb_vec_ref(f, named, 0, nd);
    fbb_ref(f, nd, 0, fbb_str(f, "c"));
    fbb_finish(f, root);
    fbb_pad(f, 16, 0);
    size_t fb_size = f->n - 48, base = f->n;
    float c[2] = {100, 200};
    memcpy(f->b + f->n, c, 8);
    f->n += 8;
    uint32_t hlen = 40;
    uint64_t h[4] = {48, fb_size, base, 8};
    memcpy(f->b + 12, &hlen, 4);
    memcpy(f->b + 16, h, sizeof h);
    return f->n;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static fbb prog_buf, ptd_buf;

static petite_program *open_prog(void) {
    petite_program *p = NULL;
    petite_status s = petite_program_open_buffer(prog_buf.b, prog_buf.n, PETITE_COPY, &p);
    CHECK(s == PETITE_OK, "open synthetic program: %s", petite_last_error());
    return p;
}

static void test_fb_reader(void) {
    fbb f;
    fbb_init(&f, NULL, 0);
    size_t t = fbb_table(&f, 3);
    fbb_u32(&f, t, 0, 42);
    fbb_ref(&f, t, 1, fbb_str(&f, "hi"));
    int32_t xs[3] = {1, -2, 3};
    fbb_ref(&f, t, 2, fbb_vec(&f, xs, 3, 4));
    fbb_finish(&f, t);
    fb_buf b = {f.b, f.n};
    fb_table root;
    pt_err e;
    uint32_t v;
    const char *s;
    uint32_t len;
    fb_vec vec;
    CHECK(fb_root(&b, &root, &e, "T") == PETITE_OK, "%s", e.msg);
    CHECK(fb_u32(&b, &root, 0, 7, &v, &e, "f0") == PETITE_OK && v == 42, "u32 field");
    CHECK(fb_u32(&b, &root, 9, 7, &v, &e, "f9") == PETITE_OK && v == 7, "absent field gives default");
    CHECK(fb_string_field(&b, &root, 1, &s, &len, &e, "f1") == PETITE_OK && len == 2 && !strcmp(s, "hi"), "string");
    CHECK(fb_vec_field(&b, &root, 2, 4, &vec, &e, "f2") == PETITE_OK && vec.len == 3 &&
          fb_vec_i32(&b, &vec, 1) == -2, "vector");

    /* corruptions, each a clean InvalidProgram naming the field */
    fbb g = f;
    fb_buf gb = {g.b, g.n};
    fbb_w32(&g, 0, (uint32_t)g.n + 100);
    CHECK(fb_root(&gb, &root, &e, "T") == PETITE_ERR_INVALID_PROGRAM && strstr(e.msg, "root offset"), "%s", e.msg);
    g = f;
    fbb_w32(&g, t, 0x7fffffff); /* vtable far outside */
    CHECK(fb_root(&gb, &root, &e, "T") == PETITE_ERR_INVALID_PROGRAM && strstr(e.msg, "vtable"), "%s", e.msg);
    g = f;
    CHECK(fb_root(&gb, &root, &e, "T") == PETITE_OK, "restored");
    size_t vpos = t + 4 + 8 * 2;
    size_t target = vpos + fbb_r32(&g, vpos);
    fbb_w32(&g, target, 0x40000000); /* vector length beyond the buffer */
    CHECK(fb_vec_field(&gb, &root, 2, 4, &vec, &e, "f2") == PETITE_ERR_INVALID_PROGRAM &&
          strstr(e.msg, "f2") && strstr(e.msg, "overruns"), "%s", e.msg);
    g = f;
    size_t spos = t + 4 + 8;
    size_t starget = spos + fbb_r32(&g, spos);
    g.b[starget + 4 + 2] = 'x'; /* NUL terminator overwritten */
    CHECK(fb_string_field(&gb, &root, 1, &s, &len, &e, "name") == PETITE_ERR_INVALID_PROGRAM &&
          strstr(e.msg, "NUL"), "%s", e.msg);
    g = f;
    fbb_w32(&g, spos, 0); /* offset 0 */
    CHECK(fb_string_field(&gb, &root, 1, &s, &len, &e, "name") == PETITE_ERR_INVALID_PROGRAM, "zero offset");
    /* a buffer too small for anything */
    fb_buf tiny = {f.b, 6};
    CHECK(fb_root(&tiny, &root, &e, "T") == PETITE_ERR_INVALID_PROGRAM, "tiny buffer");
}

static void test_api_dynamic(void) {
    petite_program *p = open_prog();
    if (!p) return;
    size_t n;
    const char *name;
    CHECK(petite_program_method_count(p, &n) == PETITE_OK && n == 4, "4 methods");
    CHECK(petite_program_method_name(p, 1, &name) == PETITE_OK && !strcmp(name, "jump"), "name");
    CHECK(petite_program_method_name(p, 9, &name) == PETITE_ERR_NOT_FOUND, "name index");

    petite_method *m = NULL;
    CHECK(petite_method_load(p, "nope", &m) == PETITE_ERR_NOT_FOUND && m == NULL, "wrong method name");
    CHECK(strstr(petite_last_error(), "nope") && strstr(petite_last_error(), "forward") &&
              strncmp(petite_last_error(), "NotFound: ", 10) == 0 && !strstr(petite_last_error() + 10, "NotFound"),
          "message names it and lists methods, status once: %s", petite_last_error());
    CHECK(petite_program_errmsg(p)[0] == 0, "a failed method load leaves the shared program untouched: %s",
          petite_program_errmsg(p));
    CHECK(petite_method_load(p, "forward", &m) == PETITE_OK, "%s", petite_last_error());
    if (!m) { petite_program_close(p); return; }
    petite_io_info info;
    CHECK(petite_method_io_info(m, PETITE_INPUT, 0, &info) == PETITE_OK && info.dynamism == PETITE_DYNAMIC_BOUND &&
          info.max_sizes[0] == 4 && info.rank == 1 && info.dtype == PETITE_FLOAT32 && info.memory_planned,
          "input info");
    CHECK(petite_method_io_info(m, PETITE_INPUT, 1, &info) == PETITE_ERR_INVALID_ARGUMENT, "no input 1");
    CHECK(petite_method_run(m) == PETITE_ERR_INVALID_STATE && strstr(petite_method_errmsg(m), "not set"),
          "run before set: %s", petite_method_errmsg(m));

    float x[5] = {1, 2, 3, 4, 5};
    int64_t s3[] = {3}, s5[] = {5}, s22[] = {2, 2};
    CHECK(petite_method_set_input(m, 0, PETITE_INT64, 1, s3, x, 24, 0) == PETITE_ERR_INVALID_TYPE &&
          strstr(petite_method_errmsg(m), "int64"), "dtype: %s", petite_method_errmsg(m));
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 2, s22, x, 16, 0) == PETITE_ERR_INVALID_ARGUMENT &&
          strstr(petite_method_errmsg(m), "rank"), "rank: %s", petite_method_errmsg(m));
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s5, x, 20, 0) == PETITE_ERR_INVALID_ARGUMENT &&
          strstr(petite_method_errmsg(m), "upper bound"), "bound: %s", petite_method_errmsg(m));
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s3, x, 16, 0) == PETITE_ERR_INVALID_ARGUMENT &&
          strstr(petite_method_errmsg(m), "bytes"), "nbytes: %s", petite_method_errmsg(m));
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s3, NULL, 12, 0) == PETITE_ERR_INVALID_ARGUMENT, "NULL data");
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, NULL, x, 12, 0) == PETITE_ERR_INVALID_ARGUMENT, "NULL sizes");
    CHECK(petite_method_set_input(m, 3, PETITE_FLOAT32, 1, s3, x, 12, 0) == PETITE_ERR_INVALID_ARGUMENT, "input index");
    CHECK(petite_method_set_input_int(m, 0, 1) == PETITE_ERR_INVALID_TYPE && strstr(petite_method_errmsg(m), "a Tensor, not an Int") == NULL &&
              strstr(petite_method_errmsg(m), "is a Tensor, not a Int"),
          "scalar setter on a tensor input, kinds by name: %s", petite_method_errmsg(m));
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s3, x, 12, 0x80) == PETITE_ERR_INVALID_ARGUMENT &&
          strstr(petite_method_errmsg(m), "flag"), "unknown flag bits: %s", petite_method_errmsg(m));
    CHECK(petite_method_io_info(m, 7, 0, &info) == PETITE_ERR_INVALID_ARGUMENT && strstr(petite_method_errmsg(m), "selector"),
          "io selector: %s", petite_method_errmsg(m));
    const void *y0;
    size_t nb0;
    CHECK(petite_method_output_data(m, 0, &y0, &nb0) == PETITE_ERR_INVALID_STATE && strstr(petite_method_errmsg(m), "not run"),
          "output before any run: %s", petite_method_errmsg(m));
    /* a refused set leaves the method as it was: set [2], refuse [4] with too few bytes, run on [2] */
    int64_t s2b[] = {2}, s4b[] = {4};
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s2b, x, 8, PETITE_COPY) == PETITE_OK, "%s", petite_method_errmsg(m));
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s4b, x, 8, PETITE_COPY) == PETITE_ERR_INVALID_ARGUMENT, "refused");
    CHECK(petite_method_io_info(m, PETITE_INPUT, 0, &info) == PETITE_OK && info.sizes[0] == 2, "input still [2] after a refused set");
    CHECK(petite_method_run(m) == PETITE_OK && petite_method_output_data(m, 0, &y0, &nb0) == PETITE_OK && nb0 == 8 &&
              ((const float *)y0)[1] == 12,
          "run on the [2] input: %s", petite_method_errmsg(m));
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s2b, x, 8, PETITE_COPY) == PETITE_OK &&
              petite_method_output_data(m, 0, &y0, &nb0) == PETITE_ERR_INVALID_STATE,
          "outputs are stale once an input is set: %s", petite_method_errmsg(m));
    petite_last_error();
    CHECK(petite_method_run(NULL) == PETITE_ERR_INVALID_ARGUMENT && strstr(petite_last_error(), "petite_method_run"),
          "a NULL handle failure names the function: %s", petite_last_error());

    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s3, x, 12, PETITE_COPY) == PETITE_OK, "%s", petite_method_errmsg(m));
    CHECK(petite_method_run(m) == PETITE_OK, "%s", petite_method_errmsg(m));
    const void *y;
    size_t nb;
    CHECK(petite_method_io_info(m, PETITE_OUTPUT, 0, &info) == PETITE_OK && info.sizes[0] == 3 && info.nbytes == 12,
          "output resized to [3]");
    CHECK(petite_method_output_data(m, 0, &y, &nb) == PETITE_OK && nb == 12 &&
          ((const float *)y)[0] == 11 && ((const float *)y)[2] == 13, "x + 10");
    int64_t iv;
    CHECK(petite_method_output_int(m, 0, &iv) == PETITE_ERR_INVALID_TYPE, "int getter on a tensor");
    int64_t s4[] = {4};
    CHECK(petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s4, x, 16, PETITE_COPY) == PETITE_OK &&
          petite_method_run(m) == PETITE_OK && petite_method_output_data(m, 0, &y, &nb) == PETITE_OK &&
          nb == 16 && ((const float *)y)[3] == 14, "grow back to the bound [4]");

    /* NULL handles */
    CHECK(petite_method_run(NULL) == PETITE_ERR_INVALID_ARGUMENT, "NULL method");
    petite_method *none = NULL;
    CHECK(petite_method_load(NULL, "forward", &none) == PETITE_ERR_INVALID_ARGUMENT && !none, "NULL program");
    CHECK(petite_program_open_file(NULL, NULL) == PETITE_ERR_INVALID_ARGUMENT, "NULL path");
    petite_program *missing = NULL;
    CHECK(petite_program_open_file("/nonexistent.pte", &missing) == PETITE_ERR_ACCESS_FAILED &&
          missing == NULL && strstr(petite_last_error(), "nonexistent"), "%s", petite_last_error());
    petite_method_free(NULL);
    petite_program_close(NULL);
    petite_method_free(m);
    petite_program_close(p);
}

static void test_control_flow_and_external(void) {
    petite_program *p = open_prog();
    if (!p) return;
    float x[2] = {1, 2};
    int64_t s2[] = {2};
    const void *y;
    size_t nb;
    petite_method *m = NULL;
    CHECK(petite_method_load(p, "jump", &m) == PETITE_OK, "%s", petite_last_error());
    CHECK(m && petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s2, x, 8, 0) == PETITE_OK &&
          petite_method_run(m) == PETITE_OK && petite_method_output_data(m, 0, &y, &nb) == PETITE_OK &&
          ((const float *)y)[1] == 12, "JumpFalse skipped the second add");
    petite_method_free(m);
    CHECK(petite_method_load(p, "move", &m) == PETITE_OK, "%s", petite_last_error());
    CHECK(m && petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s2, x, 8, 0) == PETITE_OK &&
          petite_method_run(m) == PETITE_OK && petite_method_output_data(m, 0, &y, &nb) == PETITE_OK &&
          ((const float *)y)[1] == 2, "MoveCall aliases the output to the input");
    petite_method_free(m);
    m = NULL;
    CHECK(petite_method_load(p, "external", &m) == PETITE_ERR_INVALID_EXTERNAL_DATA &&
          strstr(petite_last_error(), "'c'"), "external tensor without .ptd: %s", petite_last_error());
    /* attach the .ptd through a file */
    const char *path = "test_runtime_weights.ptd";
    FILE *fp = fopen(path, "wb");
    CHECK(fp && fwrite(ptd_buf.b, 1, ptd_buf.n, fp) == ptd_buf.n, "write ptd");
    if (fp) fclose(fp);
    /* methods of p were loaded: the program is shared and no longer changes */
    CHECK(petite_program_attach_data_file(p, path) == PETITE_ERR_INVALID_STATE && strstr(petite_program_errmsg(p), "before"),
          "attach after a method was loaded is refused: %s", petite_program_errmsg(p));
    petite_program *q = open_prog();
    if (q) {
        CHECK(petite_program_attach_data_file(q, path) == PETITE_OK, "%s", petite_program_errmsg(q));
        CHECK(petite_program_attach_data_file(q, path) == PETITE_ERR_INVALID_EXTERNAL_DATA &&
                  strstr(petite_program_errmsg(q), "already"),
              "a second file serving the same key is refused: %s", petite_program_errmsg(q));
        CHECK(petite_method_load(q, "external", &m) == PETITE_OK, "%s", petite_last_error());
        CHECK(m && petite_method_set_input(m, 0, PETITE_FLOAT32, 1, s2, x, 8, PETITE_ZERO_COPY) == PETITE_OK &&
              petite_method_run(m) == PETITE_OK && petite_method_output_data(m, 0, &y, &nb) == PETITE_OK &&
              ((const float *)y)[0] == 101 && ((const float *)y)[1] == 202, "x + c from the .ptd");
        petite_method_free(m);
        petite_program_close(q);
    }
    remove(path);
    q = open_prog();
    CHECK(q && petite_program_attach_data_file(q, "/nonexistent.ptd") == PETITE_ERR_ACCESS_FAILED, "missing ptd");
    petite_program_close(q);
    pt_ptd *d;
    pt_err e;
    CHECK(pt_ptd_open_buffer(prog_buf.b, prog_buf.n, &d, &e) == PETITE_ERR_INVALID_EXTERNAL_DATA, "a .pte is not a .ptd");
    petite_program_close(p);
}

/* Corrupt one field of the synthetic program at a time: each must fail to open or load with a
 * message, never crash. */
static void test_corruptions(void) {
    static fbb g;
    int failures_reported = 0, total = 0;
    for (size_t pos = 0; pos < prog_buf.n; pos += 1) {
        for (int k = 0; k < 3; k++) {
            g = prog_buf;
            uint8_t vals[3] = {0xff, 0x00, 0x80};
            g.b[pos] = vals[k];
            petite_program *p = NULL;
            total++;
            if (petite_program_open_buffer(g.b, g.n, PETITE_COPY, &p) != PETITE_OK) {
                failures_reported += petite_last_error()[0] != 0;
                continue;
            }
            const char *names[] = {"forward", "jump", "move", "external"};
            for (int mi = 0; mi < 4; mi++) {
                petite_method *m = NULL;
                if (petite_method_load(p, names[mi], &m) != PETITE_OK) {
                    failures_reported += petite_last_error()[0] != 0;
                    continue;
                }
                float x[4] = {1, 2, 3, 4};
                petite_io_info info;
                if (petite_method_io_info(m, PETITE_INPUT, 0, &info) == PETITE_OK && info.kind == PETITE_KIND_TENSOR &&
                    info.dtype == PETITE_FLOAT32 && info.nbytes <= 16)
                    petite_method_set_input(m, 0, PETITE_FLOAT32, info.rank, info.sizes, x, (size_t)info.nbytes, 0);
                petite_method_run(m);
                petite_method_free(m);
            }
            petite_program_close(p);
        }
    }
    CHECK(total > 1000, "swept %d corruptions", total);
    CHECK(failures_reported > 100, "%d clean failures", failures_reported);
}

/* A file is read and checked whole before any memory it sizes is allocated: a 4 PiB unplanned
 * tensor in a plan whose output index is out of range is refused as an invalid program, uncapped,
 * without trying to allocate; with a valid output, the uncapped load fails cleanly for want of
 * memory, and the default cap refuses it by name. */
static void test_validate_before_allocate(void) {
    static fbb f;
    fbb_init(&f, "ET12", 0);
    size_t root = fbb_table(&f, 8);
    size_t plans = fbb_refs(&f, 2);
    fbb_ref(&f, root, PRG_EXECUTION_PLAN, plans);
    vdesc v[] = {
        {'T', PETITE_FLOAT32, 1, {4}, 0, 1, 0, 0, NULL, 0},
        {'T', PETITE_FLOAT32, 3, {1 << 20, 1 << 20, 1 << 10}, 0, 0, 0, 0, NULL, 0},
        {'I', 0, 0, {0}, 0, 0, 0, 0, NULL, 1},
    };
    idesc add = {INSTR_KERNEL_CALL, 0, 0, 5, {0, 0, 2, 1, 1}};
    put_plan(&f, plans, 0, "bad", v, 3, 0, 7, &add, 1);
    put_plan(&f, plans, 1, "huge", v, 3, 0, 1, &add, 1);
    fbb_finish(&f, root);
    petite_program *p = NULL;
    CHECK(petite_program_open_buffer(f.b, f.n, PETITE_COPY, &p) == PETITE_OK, "open: %s", petite_last_error());
    if (!p) return;
    petite_load_options o;
    petite_load_options_init(&o);
    o.max_memory_bytes = UINT64_MAX;
    petite_method *m = NULL;
    petite_status s = petite_method_load_ex(p, "bad", &o, &m);
    /* 64-bit: the bad output index; 32-bit: the tensor cannot exist at all. Either way nothing was allocated */
    CHECK((s == PETITE_ERR_INVALID_PROGRAM && strstr(petite_last_error(), "ExecutionPlan.outputs")) ||
              (sizeof(size_t) < 8 && s == PETITE_ERR_OUT_OF_RESOURCES && strstr(petite_last_error(), "address space")),
          "bad plan, uncapped: status %d, %s", (int)s, petite_last_error());
    s = petite_method_load_ex(p, "huge", &o, &m);
    /* no memory (64-bit), or no address space for it (32-bit) */
    CHECK((s == PETITE_ERR_MEMORY_ALLOCATION_FAILED || (sizeof(size_t) < 8 && s == PETITE_ERR_OUT_OF_RESOURCES)) &&
              strstr(petite_last_error(), "unplanned tensor"),
          "4 PiB tensor, uncapped: status %d, %s", (int)s, petite_last_error());
    s = petite_method_load(p, "huge", &m);
    CHECK(s == PETITE_ERR_OUT_OF_RESOURCES && strstr(petite_last_error(), "memory limit"),
          "4 PiB tensor, default cap: status %d, %s", (int)s, petite_last_error());
    petite_program_close(p);
}

/* petite_set_heap is for bare-metal builds; a hosted build refuses it and keeps the C library's heap;
 * a kernel library that cannot be loaded is an error naming it */
static void test_hosted_only(void) {
    static unsigned char region[4096];
    CHECK(petite_set_heap(region, sizeof region) == PETITE_ERR_NOT_SUPPORTED, "petite_set_heap in a hosted build");
    CHECK(petite_set_heap(NULL, 0) == PETITE_ERR_NOT_SUPPORTED || petite_set_heap(NULL, 0) == PETITE_ERR_INVALID_ARGUMENT,
          "petite_set_heap(NULL)");
    CHECK(petite_load_kernel_library("/nonexistent/libnothing.so") == PETITE_ERR_ACCESS_FAILED &&
              strstr(petite_last_error(), "libnothing") != NULL,
          "a missing kernel library: %s", petite_last_error());
    CHECK(petite_load_kernel_library(NULL) == PETITE_ERR_INVALID_ARGUMENT, "petite_load_kernel_library(NULL)");
}

int main(void) {
    test_hosted_only();
    build_program(&prog_buf);
    build_ptd(&ptd_buf);
    test_fb_reader();
    test_api_dynamic();
    test_control_flow_and_external();
    test_corruptions();
    test_validate_before_allocate();
    return check_done("runtime");
}
