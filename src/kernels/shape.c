/* shape.c — view and layout ops as copies (the edge dialect's *_copy forms): view_copy,
 * permute_copy, t_copy, transpose_copy, expand_copy, unsqueeze_copy, squeeze_copy, select_copy,
 * slice_copy, split_copy, split_with_sizes_copy, unbind_copy, alias_copy, cat, constant_pad_nd;
 * select_scatter and slice_scatter (a part of self replaced).
 *
 * Each one describes the source as a strided view (sizes, element strides, start offset) of its
 * input and copies that view into the out tensor with one walker, for any dtype. */
#include <string.h>

#include "kernels/kernel.h"
#include "kernels/kernels.h"

typedef struct view {
    int32_t rank;
    int64_t sizes[PETITE_MAX_RANK];
    int64_t strides[PETITE_MAX_RANK];
    int64_t offset;
} view;

static view view_of(const pt_tensor *t) {
    view v;
    v.rank = t->rank;
    memcpy(v.sizes, t->sizes, sizeof v.sizes);
    memcpy(v.strides, t->strides, sizeof v.strides);
    v.offset = 0;
    return v;
}

/* out (resized to v's sizes) <- elements of `in` seen through v */
static petite_status copy_view(petite_kernel_ctx *c, const pt_tensor *in, const view *v, pt_tensor *out) {
    if (in->dtype != out->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "self is %s, out is %s", petite_dtype_name(in->dtype),
                       petite_dtype_name(out->dtype));
    petite_status s = pt_tensor_resize(out, v->rank, v->sizes, c->err);
    if (s) return pt_prefix(c->err, "out");
    if (out->numel == 0) return PETITE_OK;
    if (in->data == out->data) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "out aliases self");
    size_t es = petite_dtype_size(in->dtype);
    pc_copy_strided(es, v->rank, v->sizes, (const uint8_t *)in->data + (size_t)v->offset * es, v->strides, out->data,
                    out->strides);
    return PETITE_OK;
}

/* a new shape for the same contiguous elements (-1 inferred) */
static petite_status reshape(petite_kernel_ctx *c, const pt_tensor *in, const int64_t *sizes, int32_t n, view *v) {
    int64_t known = 1;
    int32_t infer = -1;
    for (int32_t d = 0; d < n; d++) {
        if (sizes[d] == -1 && infer < 0) infer = d;
        else if (sizes[d] < 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad size %lld", (long long)sizes[d]);
        else known *= sizes[d];
    }
    v->rank = n;
    memcpy(v->sizes, sizes, (size_t)n * sizeof *sizes);
    if (infer >= 0) v->sizes[infer] = known ? in->numel / known : 0;
    int64_t numel = 1;
    for (int32_t d = 0; d < n; d++) numel *= v->sizes[d];
    if (numel != in->numel)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "cannot view %lld elements as %lld", (long long)in->numel,
                       (long long)numel);
    if (!in->contiguous) return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "view of a non-contiguous tensor");
    int64_t st = 1;
    for (int32_t d = n - 1; d >= 0; d--) v->strides[d] = st, st *= v->sizes[d] > 1 ? v->sizes[d] : 1;
    v->offset = 0;
    return PETITE_OK;
}

/* view_copy.out(Tensor self, SymInt[] size, *, Tensor(a!) out) */
petite_status pk_view_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t sizes[PETITE_MAX_RANK];
    int32_t n;
    bool present;
    view v;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_opt_int_list(c, args, 1, "size", sizes, &n, &present)) || (s = pk_out(c, args, 2, &out)) ||
        (s = reshape(c, in, sizes, n, &v)))
        return s;
    return copy_view(c, in, &v, out);
}

/* permute_copy.out(Tensor self, int[] dims, *, Tensor(a!) out) */
petite_status pk_permute_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t dims[PETITE_MAX_RANK];
    int32_t n;
    bool present;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_opt_int_list(c, args, 1, "dims", dims, &n, &present)) || (s = pk_out(c, args, 2, &out)))
        return s;
    if (n != in->rank) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "dims has %d entries for rank %d", (int)n, (int)in->rank);
    view v;
    v.rank = n;
    v.offset = 0;
    uint32_t seen = 0;
    for (int32_t k = 0; k < n; k++) {
        int32_t d;
        if ((s = pk_dim(c, dims[k], in->rank, "dims", &d))) return s;
        if (seen & (1u << d)) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "dims repeats %d", (int)d);
        seen |= 1u << d;
        v.sizes[k] = in->sizes[d];
        v.strides[k] = in->strides[d];
    }
    return copy_view(c, in, &v, out);
}

static petite_status transpose(petite_kernel_ctx *c, const pt_tensor *in, int64_t d0, int64_t d1, pt_tensor *out) {
    int32_t a, b;
    petite_status s;
    if ((s = pk_dim(c, d0, in->rank, "dim0", &a)) || (s = pk_dim(c, d1, in->rank, "dim1", &b))) return s;
    view v = view_of(in);
    if (in->rank > 0) {
        int64_t t = v.sizes[a]; v.sizes[a] = v.sizes[b]; v.sizes[b] = t;
        t = v.strides[a]; v.strides[a] = v.strides[b]; v.strides[b] = t;
    }
    return copy_view(c, in, &v, out);
}

/* t_copy.out(Tensor self, *, Tensor(a!) out) */
petite_status pk_t_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_out(c, args, 1, &out)))
        return s;
    if (in->rank > 2) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "t() of a rank-%d tensor", (int)in->rank);
    view v = view_of(in);
    return in->rank == 2 ? transpose(c, in, 0, 1, out) : copy_view(c, in, &v, out);
}

/* transpose_copy.int_out(Tensor self, int dim0, int dim1, *, Tensor(a!) out) */
petite_status pk_transpose_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t d0, d1;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "dim0", &d0)) || (s = pk_int_arg(c, args, 2, "dim1", &d1)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    return transpose(c, in, d0, d1, out);
}

/* expand_copy.out(Tensor self, SymInt[] size, *, bool implicit=False, Tensor(a!) out) */
petite_status pk_expand_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t sizes[PETITE_MAX_RANK];
    int32_t n;
    bool present;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_opt_int_list(c, args, 1, "size", sizes, &n, &present)) || (s = pk_out(c, args, 3, &out)))
        return s;
    if (n < in->rank) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "expand to fewer dims");
    view v;
    v.rank = n;
    v.offset = 0;
    for (int32_t k = 0; k < n; k++) {
        int32_t d = in->rank - n + k;
        int64_t have = d >= 0 ? in->sizes[d] : 1;
        int64_t want = sizes[k] == -1 ? have : sizes[k];
        if (want < 0 || (have != want && have != 1))
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "cannot expand size %lld to %lld", (long long)have, (long long)want);
        v.sizes[k] = want;
        v.strides[k] = (d >= 0 && have == want) ? in->strides[d] : 0;
    }
    return copy_view(c, in, &v, out);
}

/* unsqueeze_copy.out(Tensor self, int dim, *, Tensor(a!) out) */
petite_status pk_unsqueeze_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t dim;
    int32_t d;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim)) || (s = pk_out(c, args, 2, &out)) ||
        (s = pk_dim(c, dim, in->rank + 1, "dim", &d)))
        return s;
    if (in->rank + 1 > PETITE_MAX_RANK) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "rank too large");
    view v;
    v.rank = in->rank + 1;
    v.offset = 0;
    for (int32_t k = 0, j = 0; k < v.rank; k++) {
        if (k == d) v.sizes[k] = 1, v.strides[k] = 1;
        else v.sizes[k] = in->sizes[j], v.strides[k] = in->strides[j], j++;
    }
    return copy_view(c, in, &v, out);
}

static petite_status squeeze(petite_kernel_ctx *c, const pt_tensor *in, const bool *drop, pt_tensor *out) {
    view v;
    v.rank = 0;
    v.offset = 0;
    for (int32_t d = 0; d < in->rank; d++)
        if (!(drop[d] && in->sizes[d] == 1)) v.sizes[v.rank] = in->sizes[d], v.strides[v.rank++] = in->strides[d];
    return copy_view(c, in, &v, out);
}

/* squeeze_copy.dim_out(Tensor self, int dim, *, Tensor(a!) out) */
petite_status pk_squeeze_copy_dim_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t dim;
    int32_t d;
    bool drop[PETITE_MAX_RANK] = {false};
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim)) || (s = pk_out(c, args, 2, &out)) ||
        (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    if (in->rank) drop[d] = true;
    return squeeze(c, in, drop, out);
}

/* squeeze_copy.dims_out(Tensor self, int[] dim, *, Tensor(a!) out) */
petite_status pk_squeeze_copy_dims_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t dims[PETITE_MAX_RANK];
    int32_t n, d;
    bool present, drop[PETITE_MAX_RANK] = {false};
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_opt_int_list(c, args, 1, "dim", dims, &n, &present)) || (s = pk_out(c, args, 2, &out)))
        return s;
    for (int32_t k = 0; k < n; k++) {
        if ((s = pk_dim(c, dims[k], in->rank, "dim", &d))) return s;
        if (in->rank) drop[d] = true;
    }
    return squeeze(c, in, drop, out);
}

/* select_copy.int_out(Tensor self, int dim, SymInt index, *, Tensor(a!) out) */
petite_status pk_select_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t dim, index;
    int32_t d;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim)) || (s = pk_int_arg(c, args, 2, "index", &index)) ||
        (s = pk_out(c, args, 3, &out)) || (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    if (in->rank == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "select on a 0-dim tensor");
    if (index < 0) index += in->sizes[d];
    if (index < 0 || index >= in->sizes[d])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "index %lld out of range for size %lld", (long long)index,
                       (long long)in->sizes[d]);
    view v;
    v.rank = 0;
    v.offset = index * in->strides[d];
    for (int32_t k = 0; k < in->rank; k++)
        if (k != d) v.sizes[v.rank] = in->sizes[k], v.strides[v.rank++] = in->strides[k];
    return copy_view(c, in, &v, out);
}

/* python-style slice bounds */
static void slice_bounds(int64_t size, int64_t *start, int64_t *end) {
    if (*start < 0) *start += size;
    if (*end < 0) *end += size;
    if (*start < 0) *start = 0;
    if (*start > size) *start = size;
    if (*end > size) *end = size;
    if (*end < *start) *end = *start;
}

/* slice_copy.Tensor_out(Tensor self, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1, *, Tensor(a!) out) */
petite_status pk_slice_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t dim, start = 0, end = INT64_MAX, step;
    int32_t d;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 7)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim)) ||
        (args[2]->kind != PETITE_KIND_NONE && (s = pk_int_arg(c, args, 2, "start", &start))) ||
        (args[3]->kind != PETITE_KIND_NONE && (s = pk_int_arg(c, args, 3, "end", &end))) ||
        (s = pk_int_arg(c, args, 4, "step", &step)) || (s = pk_out(c, args, 5, &out)) ||
        (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    if (step < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "step must be positive");
    if (in->rank == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "slice of a 0-dim tensor");
    slice_bounds(in->sizes[d], &start, &end);
    view v = view_of(in);
    v.sizes[d] = (end - start + step - 1) / step;
    v.strides[d] = in->strides[d] * step;
    v.offset = start * in->strides[d];
    return copy_view(c, in, &v, out);
}

/* select_scatter / slice_scatter: out = self with the part at (offset, step along d) replaced by src
 * (src has the part's shape: sizes[] of rank n); out may be self itself (a cache written in place).
 * Every check before anything is written. */
static petite_status scatter_part(petite_kernel_ctx *c, const char *op, const pt_tensor *in, const pt_tensor *src,
                                  pt_tensor *out, int32_t d, int64_t start, int64_t step, const int64_t *sizes, int32_t n,
                                  bool drop_dim) {
    if (src->dtype != in->dtype || out->dtype != in->dtype)
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "%s: self is %s, src %s, out %s (one dtype)", op,
                       petite_dtype_name(in->dtype), petite_dtype_name(src->dtype), petite_dtype_name(out->dtype));
    bool fits = src->rank == n;
    for (int32_t k = 0; fits && k < n; k++) fits = src->sizes[k] == sizes[k];
    if (!fits) {
        char want[96], got[96];
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: src is %s, the part it replaces %s", op,
                       pt_shape_str(src->sizes, src->rank, got, sizeof got), pt_shape_str(sizes, n, want, sizeof want));
    }
    if (out->data == in->data && !pk_same_shape(out, in))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: out shares self's memory with another shape", op);
    if (src->numel && (src->data == out->data || src->data == in->data))
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "%s: src shares memory with self or out", op);
    const size_t es = petite_dtype_size(in->dtype);
    if (out->data != in->data) {
        petite_status s = pt_tensor_resize(out, in->rank, in->sizes, c->err);
        if (s) return pt_prefix(c->err, "out");
        if (in->numel) pc_copy_strided(es, in->rank, in->sizes, in->data, in->strides, out->data, out->strides);
    }
    if (!src->numel) return PETITE_OK;
    int64_t strides[PETITE_MAX_RANK];
    int32_t r = 0;
    for (int32_t k = 0; k < out->rank; k++) {
        if (k == d && drop_dim) continue;
        strides[r++] = k == d ? out->strides[k] * step : out->strides[k];
    }
    pc_copy_strided(es, n, sizes, src->data, src->strides, (uint8_t *)out->data + (size_t)(start * out->strides[d]) * es,
                    strides);
    return PETITE_OK;
}

/* select_scatter.out(Tensor self, Tensor src, int dim, SymInt index, *, Tensor(a!) out) */
petite_status pk_select_scatter_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *src, *out;
    int64_t dim, index;
    int32_t d;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 6)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_tensor(c, args, 1, "src", &src)) ||
        (s = pk_int_arg(c, args, 2, "dim", &dim)) || (s = pk_int_arg(c, args, 3, "index", &index)) ||
        (s = pk_out(c, args, 4, &out)) || (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    if (in->rank == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "select_scatter on a 0-dim tensor");
    if (index < 0) index += in->sizes[d];
    if (index < 0 || index >= in->sizes[d])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "select_scatter: index %lld out of range for size %lld",
                       (long long)index, (long long)in->sizes[d]);
    int64_t sizes[PETITE_MAX_RANK];
    int32_t n = 0;
    for (int32_t k = 0; k < in->rank; k++)
        if (k != d) sizes[n++] = in->sizes[k];
    return scatter_part(c, "select_scatter", in, src, out, d, index, 1, sizes, n, true);
}

/* slice_scatter.out(Tensor self, Tensor src, int dim=0, SymInt? start=None, SymInt? end=None, SymInt step=1, *,
 * Tensor(a!) out) */
petite_status pk_slice_scatter_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *src, *out;
    int64_t dim, start = 0, end = INT64_MAX, step;
    int32_t d;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 8)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_tensor(c, args, 1, "src", &src)) ||
        (s = pk_int_arg(c, args, 2, "dim", &dim)) ||
        (args[3]->kind != PETITE_KIND_NONE && (s = pk_int_arg(c, args, 3, "start", &start))) ||
        (args[4]->kind != PETITE_KIND_NONE && (s = pk_int_arg(c, args, 4, "end", &end))) ||
        (s = pk_int_arg(c, args, 5, "step", &step)) || (s = pk_out(c, args, 6, &out)) ||
        (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    if (step < 1) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "slice_scatter: step must be positive");
    if (in->rank == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "slice_scatter on a 0-dim tensor");
    slice_bounds(in->sizes[d], &start, &end);
    int64_t sizes[PETITE_MAX_RANK];
    memcpy(sizes, in->sizes, sizeof sizes);
    sizes[d] = (end - start + step - 1) / step;
    return scatter_part(c, "slice_scatter", in, src, out, d, start, step, sizes, in->rank, false);
}

/* copy pieces of `in` along dim d into the tensors of a TensorList */
static petite_status split_into(petite_kernel_ctx *c, const pt_tensor *in, int32_t d, const int64_t *lens,
                                int32_t n, const pt_value *list) {
    if (list->kind != PETITE_KIND_TENSOR_LIST || (int32_t)list->u.list.n != n)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "out must be a list of %d tensors", (int)n);
    int64_t at = 0;
    for (int32_t k = 0; k < n; k++) {
        pt_tensor *o = list->u.list.base[list->u.list.idx[k]].u.t;
        view v = view_of(in);
        v.sizes[d] = lens[k];
        v.offset = at * in->strides[d];
        at += lens[k];
        petite_status s = copy_view(c, in, &v, o);
        if (s) return pt_prefix(c->err, "out[%d]", (int)k);
    }
    if (at != in->sizes[d]) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "split sizes do not add up to %lld", (long long)in->sizes[d]);
    return PETITE_OK;
}

/* split_copy.Tensor_out(Tensor self, SymInt split_size, int dim=0, *, Tensor(a!)[] out) -> () */
petite_status pk_split_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in;
    int64_t size, dim, lens[PETITE_MAX_RANK * 16];
    int32_t d;
    petite_status s;
    if ((s = pk_nargs_list_out(c, args, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "split_size", &size)) || (s = pk_int_arg(c, args, 2, "dim", &dim)) ||
        (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    if (size < 1 || in->rank == 0) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "bad split_size");
    int32_t n = 0;
    for (int64_t at = 0; at < in->sizes[d] && n < (int32_t)(sizeof lens / sizeof *lens); at += size)
        lens[n++] = in->sizes[d] - at < size ? in->sizes[d] - at : size;
    return split_into(c, in, d, lens, n, args[3]);
}

/* split_with_sizes_copy.out(Tensor self, SymInt[] split_sizes, int dim=0, *, Tensor(a!)[] out) -> () */
petite_status pk_split_with_sizes_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in;
    int64_t lens[PETITE_MAX_RANK], dim;
    int32_t n, d;
    bool present;
    petite_status s;
    if ((s = pk_nargs_list_out(c, args, nargs, 4)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_opt_int_list(c, args, 1, "split_sizes", lens, &n, &present)) ||
        (s = pk_int_arg(c, args, 2, "dim", &dim)) || (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    return split_into(c, in, d, lens, n, args[3]);
}

/* unbind_copy.int_out(Tensor self, int dim=0, *, Tensor(a!)[] out) -> () */
petite_status pk_unbind_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in;
    int64_t dim;
    int32_t d;
    petite_status s;
    if ((s = pk_nargs_list_out(c, args, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_int_arg(c, args, 1, "dim", &dim)) || (s = pk_dim(c, dim, in->rank, "dim", &d)))
        return s;
    const pt_value *list = args[2];
    if (list->kind != PETITE_KIND_TENSOR_LIST || in->rank == 0 || (int64_t)list->u.list.n != in->sizes[d])
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "out must be a list of %lld tensors",
                       (long long)(in->rank ? in->sizes[d] : 0));
    for (uint32_t k = 0; k < list->u.list.n; k++) {
        view v;
        v.rank = 0;
        v.offset = (int64_t)k * in->strides[d];
        for (int32_t j = 0; j < in->rank; j++)
            if (j != d) v.sizes[v.rank] = in->sizes[j], v.strides[v.rank++] = in->strides[j];
        if ((s = copy_view(c, in, &v, list->u.list.base[list->u.list.idx[k]].u.t))) return s;
    }
    return PETITE_OK;
}

/* alias_copy.out(Tensor self, *, Tensor(a!) out) */
petite_status pk_alias_copy_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 3)) || (s = pk_tensor(c, args, 0, "self", &in)) || (s = pk_out(c, args, 1, &out)))
        return s;
    view v = view_of(in);
    return copy_view(c, in, &v, out);
}

/* cat.out(Tensor[] tensors, int dim=0, *, Tensor(a!) out) */
petite_status pk_cat_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *out;
    int64_t dim;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 4)) || (s = pk_int_arg(c, args, 1, "dim", &dim)) || (s = pk_out(c, args, 2, &out)))
        return s;
    const pt_value *list = args[0];
    if (list->kind != PETITE_KIND_TENSOR_LIST || list->u.list.n == 0)
        return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "tensors must be a non-empty list");
    /* the first non-empty tensor fixes the shape (torch skips 1-D empty tensors) */
    const pt_tensor *ref = NULL;
    for (uint32_t k = 0; k < list->u.list.n && !ref; k++) {
        const pt_tensor *t = list->u.list.base[list->u.list.idx[k]].u.t;
        if (!(t->rank == 1 && t->numel == 0)) ref = t;
    }
    if (!ref) {
        int64_t zero = 0;
        return pt_tensor_resize(out, 1, &zero, c->err);
    }
    int32_t d;
    if ((s = pk_dim(c, dim, ref->rank, "dim", &d))) return s;
    int64_t osz[PETITE_MAX_RANK];
    memcpy(osz, ref->sizes, sizeof osz);
    osz[d] = 0;
    for (uint32_t k = 0; k < list->u.list.n; k++) {
        const pt_tensor *t = list->u.list.base[list->u.list.idx[k]].u.t;
        if (t->rank == 1 && t->numel == 0) continue;
        if (t->rank != ref->rank || t->dtype != out->dtype || (!t->data && t->numel))
            return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "tensors[%u] differs in rank or dtype", k);
        for (int32_t j = 0; j < t->rank; j++)
            if (j != d && t->sizes[j] != ref->sizes[j])
                return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "tensors[%u] differs in size at dim %d", k, (int)j);
        osz[d] += t->sizes[d];
    }
    if ((s = pt_tensor_resize(out, ref->rank, osz, c->err))) return pt_prefix(c->err, "out");
    /* copy each input into its window of out */
    size_t es = petite_dtype_size(out->dtype);
    int64_t at = 0;
    for (uint32_t k = 0; k < list->u.list.n; k++) {
        const pt_tensor *t = list->u.list.base[list->u.list.idx[k]].u.t;
        if ((t->rank == 1 && t->numel == 0) || t->numel == 0) continue;
        if (t->data == out->data) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "out aliases an input");
        pc_copy_strided(es, t->rank, t->sizes, t->data, t->strides,
                        (uint8_t *)out->data + (size_t)(at * out->strides[d]) * es, out->strides);
        at += t->sizes[d];
    }
    return PETITE_OK;
}

/* constant_pad_nd.out(Tensor self, SymInt[] pad, Scalar value=0, *, Tensor(a!) out) */
petite_status pk_constant_pad_nd_out(petite_kernel_ctx *c, petite_value **args, size_t nargs) {
    pt_tensor *in, *out;
    int64_t pad[PETITE_MAX_RANK];
    int32_t n;
    bool present;
    pk_scalar value;
    petite_status s;
    if ((s = pk_nargs(c, nargs, 5)) || (s = pk_tensor(c, args, 0, "self", &in)) ||
        (s = pk_opt_int_list(c, args, 1, "pad", pad, &n, &present)) || (s = pk_scalar_arg(c, args, 2, "value", &value)) ||
        (s = pk_out(c, args, 3, &out)))
        return s;
    if (n % 2 || n / 2 > in->rank) return PK_FAIL(c, PETITE_ERR_INVALID_ARGUMENT, "pad needs pairs for at most rank dims");
    if (in->dtype != out->dtype || !out->contiguous || !pt_dtype_is_arith(in->dtype))
        return PK_FAIL(c, PETITE_ERR_INVALID_TYPE, "constant_pad_nd: dtypes differ or out not contiguous");
    int64_t before[PETITE_MAX_RANK] = {0}, osz[PETITE_MAX_RANK];
    for (int32_t d = 0; d < in->rank; d++) osz[d] = in->sizes[d];
    for (int32_t k = 0; k < n / 2; k++) {
        int32_t d = in->rank - 1 - k;
        before[d] = pad[2 * k];
        osz[d] += pad[2 * k] + pad[2 * k + 1];
        if (pad[2 * k] < 0 || pad[2 * k + 1] < 0 || osz[d] < 0)
            return PK_FAIL(c, PETITE_ERR_NOT_SUPPORTED, "negative padding is not supported");
    }
    if ((s = pt_tensor_resize(out, in->rank, osz, c->err))) return pt_prefix(c->err, "out");
    for (int64_t i = 0; i < out->numel; i++) {
        if (pt_dtype_is_float(out->dtype)) pt_store_f64(out->data, out->dtype, i, value.d);
        else pt_store_i64(out->data, out->dtype, i, value.kind == PETITE_KIND_DOUBLE ? (int64_t)value.d : value.i);
    }
    if (in->numel == 0) return PETITE_OK;
    int64_t base = 0;
    for (int32_t d = 0; d < in->rank; d++) base += before[d] * out->strides[d];
    pk_copy_into_window(in, out, base);
    return PETITE_OK;
}
