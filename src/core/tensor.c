#include "core/tensor.h"

#include <stdio.h>
#include <string.h>

bool pt_tensor_update_layout(pt_tensor *t) {
    /* the product of the non-zero sizes must fit too: strides are built from it even when a
     * zero-size dim makes numel 0 */
    int64_t numel = 1, span = 1;
    for (int32_t d = 0; d < t->rank; d++) {
        if (t->sizes[d] < 0) return false;
        if (t->sizes[d] > 1 && span > INT64_MAX / t->sizes[d]) return false;
        if (t->sizes[d] > 1) span *= t->sizes[d];
        numel *= t->sizes[d];
    }
    t->numel = numel;
    int64_t stride = 1;
    for (int32_t k = t->rank - 1; k >= 0; k--) {
        int d = t->dim_order[k];
        t->strides[d] = stride;
        if (t->sizes[d] > 1) stride *= t->sizes[d];
    }
    return true;
}

const char *pt_shape_str(const int64_t *sizes, int32_t rank, char *buf, size_t cap) {
    size_t n = 0;
    n += (size_t)snprintf(buf + n, cap - n, "[");
    for (int32_t d = 0; d < rank && n < cap; d++)
        n += (size_t)snprintf(buf + n, cap - n, d ? ", %lld" : "%lld", (long long)sizes[d]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

petite_status pt_tensor_resize(pt_tensor *t, int32_t rank, const int64_t *sizes, pt_err *e) {
    char want[160], have[160];
    if (rank != t->rank)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "shape %s has rank %d, the tensor has rank %d",
                       pt_shape_str(sizes, rank < 0 ? 0 : (rank > PETITE_MAX_RANK ? PETITE_MAX_RANK : rank), want, sizeof want),
                       (int)rank, (int)t->rank);
    bool same = true;
    for (int32_t d = 0; d < rank; d++) same = same && sizes[d] == t->sizes[d];
    if (same) return PETITE_OK;
    if (t->dynamism == PETITE_STATIC)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT,
                       "shape %s differs from the static shape %s",
                       pt_shape_str(sizes, rank, want, sizeof want),
                       pt_shape_str(t->sizes, t->rank, have, sizeof have));
    int64_t numel = 1;
    for (int32_t d = 0; d < rank; d++) {
        if (sizes[d] < 0)
            return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT, "shape %s has a negative size",
                           pt_shape_str(sizes, rank, want, sizeof want));
        if (sizes[d] != 0 && numel > INT64_MAX / sizes[d]) numel = INT64_MAX;
        else numel *= sizes[d];
    }
    if (numel > t->max_numel)
        return pt_fail(e, PETITE_ERR_INVALID_ARGUMENT,
                       "shape %s has %lld elements, more than the upper bound %s (%lld) allows",
                       pt_shape_str(sizes, rank, want, sizeof want), (long long)numel,
                       pt_shape_str(t->max_sizes, t->rank, have, sizeof have),
                       (long long)t->max_numel);
    memcpy(t->sizes, sizes, (size_t)rank * sizeof *sizes);
    pt_tensor_update_layout(t);
    return PETITE_OK;
}
