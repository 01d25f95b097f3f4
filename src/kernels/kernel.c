#include "kernels/kernel.h"

#include <string.h>

static const char *kind_name(int32_t k) {
    switch (k) {
    case PETITE_KIND_NONE: return "None";
    case PETITE_KIND_INT: return "Int";
    case PETITE_KIND_BOOL: return "Bool";
    case PETITE_KIND_DOUBLE: return "Double";
    case PETITE_KIND_TENSOR: return "Tensor";
    case PETITE_KIND_STRING: return "String";
    case PETITE_KIND_INT_LIST: return "IntList";
    case PETITE_KIND_DOUBLE_LIST: return "DoubleList";
    case PETITE_KIND_BOOL_LIST: return "BoolList";
    case PETITE_KIND_TENSOR_LIST: return "TensorList";
    case PETITE_KIND_OPTIONAL_TENSOR_LIST: return "OptionalTensorList";
    default: return "unknown";
    }
}

petite_status pk_nargs(petite_kernel_ctx *c, size_t nargs, size_t want) {
    if (nargs != want)
        return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "expected %zu arguments, got %zu", want, nargs);
    return PETITE_OK;
}

petite_status pk_nargs_list_out(petite_kernel_ctx *c, petite_value **args, size_t nargs, size_t want) {
    if (nargs == want) return PETITE_OK;
    if (nargs == want + 1) {
        const pt_value *out = args[want - 1], *ret = args[want];
        if (out->kind == PETITE_KIND_TENSOR_LIST &&
            (ret->kind != PETITE_KIND_TENSOR_LIST || ret->u.list.n != out->u.list.n ||
             memcmp(ret->u.list.idx, out->u.list.idx, out->u.list.n * sizeof *out->u.list.idx) != 0))
            return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "the returned list (argument %zu) is not the out list", want);
        return PETITE_OK;
    }
    return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "expected %zu arguments (or %zu, the out list returned again), got %zu",
                   want, want + 1, nargs);
}

petite_status pk_tensor(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                        pt_tensor **t) {
    if (args[i]->kind != PETITE_KIND_TENSOR)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "argument %zu (%s) is a %s, expected a Tensor", i,
                       name, kind_name(args[i]->kind));
    *t = args[i]->u.t;
    if (!(*t)->data && (*t)->numel > 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_STATE, "argument %zu (%s) has no data", i, name);
    return PETITE_OK;
}

petite_status pk_out(petite_kernel_ctx *c, petite_value **args, size_t i, pt_tensor **t) {
    petite_status s = pk_tensor(c, args, i, "out", t);
    if (s) return s;
    if ((*t)->storage == PT_STORE_CONSTANT)
        return PK_FAIL(c, PETITE_ERR_INVALID_PROGRAM, "the out tensor is a constant of the program");
    if (!(*t)->data && (*t)->max_numel > 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_STATE, "the out tensor has no memory");
    return PETITE_OK;
}

petite_status pk_scalar_arg(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                            pk_scalar *s) {
    const pt_value *v = args[i];
    s->kind = v->kind;
    switch (v->kind) {
    case PETITE_KIND_INT: s->i = v->u.i; s->d = (double)v->u.i; return PETITE_OK;
    case PETITE_KIND_BOOL: s->i = v->u.b; s->d = v->u.b; return PETITE_OK;
    case PETITE_KIND_DOUBLE: s->d = v->u.d; s->i = (int64_t)0; return PETITE_OK;
    default:
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "argument %zu (%s) is a %s, expected a Scalar",
                       i, name, kind_name(v->kind));
    }
}

petite_status pk_int_arg(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                         int64_t *out) {
    if (args[i]->kind != PETITE_KIND_INT)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "argument %zu (%s) is a %s, expected an Int", i,
                       name, kind_name(args[i]->kind));
    *out = args[i]->u.i;
    return PETITE_OK;
}

petite_status pk_bool_arg(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                          bool *out) {
    if (args[i]->kind != PETITE_KIND_BOOL)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "argument %zu (%s) is a %s, expected a Bool", i,
                       name, kind_name(args[i]->kind));
    *out = args[i]->u.b;
    return PETITE_OK;
}

petite_status pk_opt_int_list(petite_kernel_ctx *c, petite_value **args, size_t i,
                              const char *name, int64_t *items, int32_t *n, bool *present) {
    const pt_value *v = args[i];
    *n = 0;
    *present = false;
    if (v->kind == PETITE_KIND_NONE) return PETITE_OK;
    if (v->kind != PETITE_KIND_INT_LIST)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "argument %zu (%s) is a %s, expected int[]", i,
                       name, kind_name(v->kind));
    if (v->u.list.n > PETITE_MAX_RANK)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "argument %zu (%s) has %u items (max %d)", i,
                       name, v->u.list.n, PETITE_MAX_RANK);
    for (uint32_t j = 0; j < v->u.list.n; j++) items[j] = v->u.list.base[v->u.list.idx[j]].u.i;
    *n = (int32_t)v->u.list.n;
    *present = true;
    return PETITE_OK;
}

petite_status pk_dim(petite_kernel_ctx *c, int64_t dim, int32_t rank, const char *name,
                     int32_t *out) {
    int64_t r = rank > 0 ? rank : 1;
    if (dim < -r || dim >= r)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s %lld is out of range for rank %d", name,
                       (long long)dim, (int)rank);
    *out = (int32_t)(dim < 0 ? dim + r : dim);
    return PETITE_OK;
}

petite_status pk_broadcast(petite_kernel_ctx *c, const pt_tensor *a, const pt_tensor *b,
                           int64_t *out_sizes, int32_t *out_rank) {
    int32_t r = a->rank > b->rank ? a->rank : b->rank;
    for (int32_t k = 0; k < r; k++) {
        int32_t da = a->rank - r + k, db = b->rank - r + k;
        int64_t sa = da >= 0 ? a->sizes[da] : 1, sb = db >= 0 ? b->sizes[db] : 1;
        if (sa != sb && sa != 1 && sb != 1) {
            char x[160], y[160];
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "shapes %s and %s do not broadcast",
                           pt_shape_str(a->sizes, a->rank, x, sizeof x),
                           pt_shape_str(b->sizes, b->rank, y, sizeof y));
        }
        out_sizes[k] = sa == 1 ? sb : sa;
    }
    *out_rank = r;
    return PETITE_OK;
}

void pk_iter_strides(const pt_tensor *t, int32_t r, const int64_t *out_sizes, int64_t *strides) {
    for (int32_t k = 0; k < r; k++) {
        int32_t d = t->rank - r + k;
        strides[k] = (d >= 0 && t->sizes[d] == out_sizes[k] && t->sizes[d] != 1) ? t->strides[d] : 0;
    }
}

void pk_iter_tensor(pc_iter *it, const pt_tensor *t) {
    pc_iter_init(it, t->rank, t->sizes);
    memcpy(it->strides[0], t->strides, (size_t)t->rank * sizeof(int64_t));
}

bool pk_same_shape(const pt_tensor *a, const pt_tensor *b) {
    if (a->rank != b->rank) return false;
    for (int32_t d = 0; d < a->rank; d++)
        if (a->sizes[d] != b->sizes[d]) return false;
    return true;
}

petite_status pk_binary_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool scalar,
                               pt_tensor **a, pt_tensor **b, pk_scalar *sb, pt_tensor **out) {
    petite_status s;
    *b = NULL;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", a)) ||
        (scalar ? (s = pk_scalar_arg(c, args, 1, "other", sb)) : (s = pk_tensor(c, args, 1, "other", b))) ||
        (s = pk_out(c, args, 2, out)))
        return s;
    return PETITE_OK;
}

petite_status pk_binary_walk(petite_kernel_ctx *c, const pt_tensor *a, const pt_tensor *b, pt_tensor *out,
                             pc_iter *it) {
    int64_t osz[PETITE_MAX_RANK];
    int32_t orank = a->rank;
    petite_status s;
    if (b) {
        if ((s = pk_broadcast(c, a, b, osz, &orank))) return s;
    } else {
        memcpy(osz, a->sizes, sizeof osz);
    }
    if ((s = pt_tensor_resize(out, orank, osz, c->err))) return pt_prefix(c->err, "out");
    pc_iter_init(it, orank, osz);
    pk_iter_strides(a, orank, osz, it->strides[0]);
    if (b) pk_iter_strides(b, orank, osz, it->strides[1]);
    else memset(it->strides[1], 0, sizeof it->strides[1]);
    memcpy(it->strides[2], out->strides, (size_t)orank * sizeof(int64_t));
    return PETITE_OK;
}

petite_status pk_int_pair(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name, int64_t *v,
                          const int64_t *fill) {
    int32_t n;
    bool present;
    petite_status s = pk_opt_int_list(c, args, i, name, v, &n, &present);
    if (s) return s;
    if (n == 2) return PETITE_OK;
    if (fill && n == 0) {
        v[0] = fill[0], v[1] = fill[1];
        return PETITE_OK;
    }
    if (fill && n == 1) {
        v[1] = v[0];
        return PETITE_OK;
    }
    return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s needs %s2 values", name, fill ? "1 or " : "");
}

void pk_copy_into_window(const pt_tensor *in, pt_tensor *out, int64_t base) {
    size_t es = petite_dtype_size(in->dtype);
    pc_copy_strided(es, in->rank, in->sizes, in->data, in->strides, (uint8_t *)out->data + (size_t)base * es,
                    out->strides);
}
