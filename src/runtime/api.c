/* api.c — method inputs/outputs and the value/tensor accessors of the public API. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/dtype.h"
#include "runtime/method.h"

const char *petite_version(void) { return PETITE_VERSION_STRING; }

static petite_status api_fail(petite_method *m, petite_status s, const char *fmt, ...) PETITE_PRINTF(3, 4);
static petite_status api_fail(petite_method *m, petite_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char msg[PT_ERRMSG_MAX];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pt_fail(&m->err, s, "method '%s': %s", m->name, msg);
    pt_set_last_error(&m->err);
    return s;
}

petite_status petite_method_io_count(const petite_method *m, int32_t io, size_t *count) {
    if (!m || !count || (io != PETITE_INPUT && io != PETITE_OUTPUT))
        return pt_bad_args(__func__);
    *count = io == PETITE_INPUT ? m->ninputs : m->noutputs;
    return PETITE_OK;
}

static const pt_value *io_value(const petite_method *m, int32_t io, size_t i) {
    if (io == PETITE_INPUT) return i < m->ninputs ? &m->values[m->inputs[i]] : NULL;
    if (io == PETITE_OUTPUT) return i < m->noutputs ? &m->values[m->outputs[i]] : NULL;
    return NULL;
}

petite_status petite_method_io_info(const petite_method *m, int32_t io, size_t i,
                                    petite_io_info *info) {
    if (!m || !info) return pt_bad_args(__func__);
    if (io != PETITE_INPUT && io != PETITE_OUTPUT)
        return api_fail((petite_method *)m, PETITE_ERR_INVALID_ARGUMENT,
                        "io selector %d is neither PETITE_INPUT (0) nor PETITE_OUTPUT (1)", (int)io);
    const pt_value *v = io_value(m, io, i);
    if (!v) return api_fail((petite_method *)m, PETITE_ERR_INVALID_ARGUMENT,
                            "%s %zu does not exist (%u %ss)", io ? "output" : "input", i,
                            io ? m->noutputs : m->ninputs, io ? "output" : "input");
    memset(info, 0, sizeof *info);
    info->kind = v->kind;
    if (v->kind != PETITE_KIND_TENSOR) return PETITE_OK;
    const pt_tensor *t = v->u.t;
    info->dtype = t->dtype;
    info->rank = t->rank;
    info->dynamism = t->dynamism;
    for (int32_t d = 0; d < t->rank; d++) {
        info->sizes[d] = t->sizes[d];
        info->max_sizes[d] = t->max_sizes[d];
        info->dim_order[d] = t->dim_order[d];
    }
    info->nbytes = (int64_t)pt_tensor_nbytes(t);
    info->memory_planned = t->storage == PT_STORE_PLANNED;
    info->storage = t->storage;
    return PETITE_OK;
}

static const char *kind_name(int32_t k) {
    static const char *const names[] = {"?", "None", "Int", "Bool", "Double", "Tensor", "String", "IntList",
                                        "DoubleList", "BoolList", "TensorList", "OptionalTensorList"};
    return k >= 1 && k <= 11 ? names[k] : "unknown";
}

static petite_status input_value(petite_method *m, size_t i, int32_t kind, pt_value **v) {
    if (i >= m->ninputs)
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT, "input %zu does not exist (%u inputs)", i,
                        m->ninputs);
    *v = &m->values[m->inputs[i]];
    if ((*v)->kind != kind)
        return api_fail(m, PETITE_ERR_INVALID_TYPE, "input %zu is a %s, not a %s", i, kind_name((*v)->kind),
                        kind_name(kind));
    return PETITE_OK;
}

petite_status petite_method_set_input(petite_method *m, size_t i, int32_t dtype, int32_t rank,
                                      const int64_t *sizes, const void *data, size_t nbytes,
                                      uint32_t flags) {
    if (!m) return pt_bad_args(__func__);
    pt_err_clear(&m->err);
    pt_value *v = NULL;
    petite_status s = input_value(m, i, PETITE_KIND_TENSOR, &v);
    if (s) return s;
    pt_tensor *t = v->u.t;
    char want[160], have[160];
    if (dtype != t->dtype)
        return api_fail(m, PETITE_ERR_INVALID_TYPE, "input %zu: dtype %s given, the method wants %s",
                        i, petite_dtype_name(dtype), petite_dtype_name(t->dtype));
    if (rank < 0 || rank > PETITE_MAX_RANK || (rank > 0 && !sizes))
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT, "input %zu: bad rank %d or NULL sizes", i,
                        (int)rank);
    if (rank != t->rank)
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT,
                        "input %zu: shape %s has rank %d, the method wants rank %d (shape %s)", i,
                        pt_shape_str(sizes, rank, want, sizeof want), (int)rank, (int)t->rank,
                        pt_shape_str(t->max_sizes, t->rank, have, sizeof have));
    if (t->dynamism != PETITE_STATIC)
        for (int32_t d = 0; d < rank; d++)
            if (sizes[d] > t->max_sizes[d])
                return api_fail(m, PETITE_ERR_INVALID_ARGUMENT,
                                "input %zu: shape %s exceeds the upper bound %s", i,
                                pt_shape_str(sizes, rank, want, sizeof want),
                                pt_shape_str(t->max_sizes, t->rank, have, sizeof have));
    if (flags & ~(uint32_t)PETITE_ZERO_COPY)
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT, "input %zu: unknown flag bits %#x", i,
                        (unsigned)(flags & ~(uint32_t)PETITE_ZERO_COPY));
    if (t->storage == PT_STORE_CONSTANT)
        return api_fail(m, PETITE_ERR_INVALID_STATE, "input %zu is a constant of the program", i);
    /* every check on a copy first: a refused call leaves the method as it was */
    pt_tensor next = *t;
    if ((s = pt_tensor_resize(&next, rank, sizes, &m->err))) {
        pt_prefix(&m->err, "method '%s': input %zu", m->name, i);
        pt_set_last_error(&m->err);
        return s;
    }
    size_t need = pt_tensor_nbytes(&next);
    if (nbytes != need)
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT,
                        "input %zu: %zu bytes given, shape %s of %s needs %zu", i, nbytes,
                        pt_shape_str(next.sizes, next.rank, want, sizeof want),
                        petite_dtype_name(next.dtype), need);
    if (need && !data)
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT, "input %zu: NULL data", i);
    *t = next;
    m->outputs_valid = 0; /* the input's bytes may be planned over an output's */
    /* zero-copy needs an unplanned input and element-aligned caller memory; else copy */
    if ((flags & PETITE_ZERO_COPY) && t->storage == PT_STORE_UNPLANNED &&
        (uintptr_t)data % petite_dtype_size(t->dtype) == 0) {
        t->data = (void *)data;
        t->zero_copy = 1;
    } else {
        if (t->zero_copy) {
            t->data = t->own_buf;
            t->zero_copy = 0;
        }
        if (need) memcpy(t->data, data, need);
    }
    m->input_set[i] = 1;
    return PETITE_OK;
}

petite_status petite_method_set_input_int(petite_method *m, size_t i, int64_t x) {
    if (!m) return pt_bad_args(__func__);
    pt_value *v = NULL;
    petite_status s = input_value(m, i, PETITE_KIND_INT, &v);
    if (s) return s;
    if (v->u.i != x)
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT,
                        "input %zu: Int %lld differs from the traced value %lld, to which the "
                        "program was specialized", i, (long long)x, (long long)v->u.i);
    m->input_set[i] = 1;
    return PETITE_OK;
}

petite_status petite_method_set_input_double(petite_method *m, size_t i, double x) {
    if (!m) return pt_bad_args(__func__);
    pt_value *v = NULL;
    petite_status s = input_value(m, i, PETITE_KIND_DOUBLE, &v);
    if (s) return s;
    /* the official runtime's tolerance: atol 1e-4 + rtol 1e-5 */
    if (!(fabs(v->u.d - x) <= 1e-4 + 1e-5 * fabs(v->u.d)))
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT,
                        "input %zu: Double %g differs from the traced value %g, to which the "
                        "program was specialized", i, x, v->u.d);
    m->input_set[i] = 1;
    return PETITE_OK;
}

petite_status petite_method_set_input_bool(petite_method *m, size_t i, int32_t x) {
    if (!m) return pt_bad_args(__func__);
    pt_value *v = NULL;
    petite_status s = input_value(m, i, PETITE_KIND_BOOL, &v);
    if (s) return s;
    if (v->u.b != (x != 0))
        return api_fail(m, PETITE_ERR_INVALID_ARGUMENT,
                        "input %zu: Bool %d differs from the traced value %d, to which the "
                        "program was specialized", i, x != 0, (int)v->u.b);
    m->input_set[i] = 1;
    return PETITE_OK;
}

static petite_status output_value(const petite_method *m, size_t i, int32_t kind,
                                  const pt_value **v) {
    petite_method *mm = (petite_method *)m;
    if (i >= m->noutputs)
        return api_fail(mm, PETITE_ERR_INVALID_ARGUMENT, "output %zu does not exist (%u outputs)",
                        i, m->noutputs);
    *v = &m->values[m->outputs[i]];
    if ((*v)->kind != kind)
        return api_fail(mm, PETITE_ERR_INVALID_TYPE, "output %zu is a %s, not a %s", i, kind_name((*v)->kind),
                        kind_name(kind));
    if (!m->outputs_valid)
        return api_fail(mm, PETITE_ERR_INVALID_STATE,
                        m->ran ? "output %zu: an input was set (or the last run failed) since the last completed run"
                               : "output %zu: the method has not run yet", i);
    return PETITE_OK;
}

petite_status petite_method_output_data(const petite_method *m, size_t i, const void **data,
                                        size_t *nbytes) {
    if (!m || !data || !nbytes) return pt_bad_args(__func__);
    const pt_value *v = NULL;
    petite_status s = output_value(m, i, PETITE_KIND_TENSOR, &v);
    if (s) return s;
    *data = v->u.t->data;
    *nbytes = pt_tensor_nbytes(v->u.t);
    return PETITE_OK;
}

petite_status petite_method_output_int(const petite_method *m, size_t i, int64_t *x) {
    if (!m || !x) return pt_bad_args(__func__);
    const pt_value *v = NULL;
    petite_status s = output_value(m, i, PETITE_KIND_INT, &v);
    if (!s) *x = v->u.i;
    return s;
}

petite_status petite_method_output_double(const petite_method *m, size_t i, double *x) {
    if (!m || !x) return pt_bad_args(__func__);
    const pt_value *v = NULL;
    petite_status s = output_value(m, i, PETITE_KIND_DOUBLE, &v);
    if (!s) *x = v->u.d;
    return s;
}

petite_status petite_method_output_bool(const petite_method *m, size_t i, int32_t *x) {
    if (!m || !x) return pt_bad_args(__func__);
    const pt_value *v = NULL;
    petite_status s = output_value(m, i, PETITE_KIND_BOOL, &v);
    if (!s) *x = v->u.b;
    return s;
}

petite_status petite_method_output_string(const petite_method *m, size_t i, const char **str,
                                          size_t *len) {
    if (!m || !str || !len) return pt_bad_args(__func__);
    const pt_value *v = NULL;
    petite_status s = output_value(m, i, PETITE_KIND_STRING, &v);
    if (!s) {
        *str = v->u.s.p;
        *len = v->u.s.n;
    }
    return s;
}

/* ---- kernel-side accessors ---- */

int32_t petite_value_kind(const petite_value *v) { return v ? v->kind : 0; }

petite_status petite_value_int(const petite_value *v, int64_t *out) {
    if (!v || !out || v->kind != PETITE_KIND_INT) return PETITE_ERR_INVALID_TYPE;
    *out = v->u.i;
    return PETITE_OK;
}

petite_status petite_value_double(const petite_value *v, double *out) {
    if (!v || !out) return pt_bad_args(__func__);
    if (v->kind == PETITE_KIND_DOUBLE) *out = v->u.d;
    else if (v->kind == PETITE_KIND_INT) *out = (double)v->u.i;
    else return PETITE_ERR_INVALID_TYPE;
    return PETITE_OK;
}

petite_status petite_value_bool(const petite_value *v, int32_t *out) {
    if (!v || !out || v->kind != PETITE_KIND_BOOL) return PETITE_ERR_INVALID_TYPE;
    *out = v->u.b;
    return PETITE_OK;
}

petite_tensor *petite_value_tensor(petite_value *v) {
    return v && v->kind == PETITE_KIND_TENSOR ? v->u.t : NULL;
}

petite_status petite_value_list_len(const petite_value *v, size_t *len) {
    if (!v || !len) return pt_bad_args(__func__);
    switch (v->kind) {
    case PETITE_KIND_INT_LIST: case PETITE_KIND_TENSOR_LIST:
    case PETITE_KIND_OPTIONAL_TENSOR_LIST: *len = v->u.list.n; return PETITE_OK;
    case PETITE_KIND_DOUBLE_LIST: *len = v->u.dl.n; return PETITE_OK;
    case PETITE_KIND_BOOL_LIST: *len = v->u.bl.n; return PETITE_OK;
    default: return PETITE_ERR_INVALID_TYPE;
    }
}

petite_status petite_value_int_list_get(const petite_value *v, size_t j, int64_t *out) {
    if (!v || !out || v->kind != PETITE_KIND_INT_LIST) return PETITE_ERR_INVALID_TYPE;
    if (j >= v->u.list.n) return pt_bad_args(__func__);
    const pt_value *x = &v->u.list.base[v->u.list.idx[j]];
    if (x->kind != PETITE_KIND_INT) return PETITE_ERR_INVALID_TYPE;
    *out = x->u.i;
    return PETITE_OK;
}

void *petite_tensor_data(const petite_tensor *t) { return t ? t->data : NULL; }
int32_t petite_tensor_dtype(const petite_tensor *t) { return t ? t->dtype : -1; }
int32_t petite_tensor_rank(const petite_tensor *t) { return t ? t->rank : -1; }
int64_t petite_tensor_size(const petite_tensor *t, int32_t d) {
    return t && d >= 0 && d < t->rank ? t->sizes[d] : -1;
}
int64_t petite_tensor_numel(const petite_tensor *t) { return t ? t->numel : -1; }
int32_t petite_tensor_is_contiguous(const petite_tensor *t) { return t ? t->contiguous : 0; }

petite_status petite_tensor_resize(petite_kernel_ctx *ctx, petite_tensor *t, int32_t rank,
                                   const int64_t *sizes) {
    if (!ctx || !t || (rank > 0 && !sizes) || rank < 0 || rank > PETITE_MAX_RANK)
        return pt_bad_args(__func__);
    return pt_tensor_resize(t, rank, sizes, ctx->err);
}

petite_status petite_kernel_fail(petite_kernel_ctx *ctx, petite_status status, const char *fmt,
                                 ...) {
    if (!ctx) return status;
    char msg[PT_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pt_fail(ctx->err, status, "%s", msg);
    return status;
}
