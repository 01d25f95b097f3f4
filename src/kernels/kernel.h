/* kernel.h — helpers shared by the portable kernels: argument unpacking with messages that
 * name the argument, broadcasting, and a strided N-d index walker. */
#ifndef PETITE_KERNELS_KERNEL_H
#define PETITE_KERNELS_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/dtype.h"
#include "runtime/value.h"

#define PK_FAIL(ctx, status, ...) pt_fail((ctx)->err, (status), __VA_ARGS__)

/* Exactly `want` arguments (schema arguments + the duplicated return). */
petite_status pk_nargs(petite_kernel_ctx *c, size_t nargs, size_t want);
/* Tensor argument with data for its elements. */
petite_status pk_tensor(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                        pt_tensor **t);
/* The out tensor: checks it is not a constant and that `other` (if given) is not aliasing it
 * partially. */
petite_status pk_out(petite_kernel_ctx *c, petite_value **args, size_t i, pt_tensor **t);

typedef struct pk_scalar {
    int kind;  /* PETITE_KIND_INT / DOUBLE / BOOL */
    double d;  /* value as double */
    int64_t i; /* value as integer (Int, Bool) */
} pk_scalar;
petite_status pk_scalar_arg(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                            pk_scalar *s);
petite_status pk_int_arg(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                         int64_t *v);
petite_status pk_bool_arg(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name,
                          bool *v);
/* int[]? argument: *present false for None. At most PETITE_MAX_RANK items. */
petite_status pk_opt_int_list(petite_kernel_ctx *c, petite_value **args, size_t i,
                              const char *name, int64_t *items, int32_t *n, bool *present);
/* int[2] argument (stride, padding, ...): one value is repeated; none gives `fill` (fill NULL:
 * exactly two values are required). */
petite_status pk_int_pair(petite_kernel_ctx *c, petite_value **args, size_t i, const char *name, int64_t *v,
                          const int64_t *fill);
/* Copy every element of `in` into `out` at element offset `base` (a window of a padded out). */
void pk_copy_into_window(const pt_tensor *in, pt_tensor *out, int64_t base);
/* dim in [-rank, rank) (rank 0 accepts -1 and 0), normalized. */
petite_status pk_dim(petite_kernel_ctx *c, int64_t dim, int32_t rank, const char *name,
                     int32_t *out);

/* Broadcast shape of a and b (numpy rules) into out_sizes/out_rank. */
petite_status pk_broadcast(petite_kernel_ctx *c, const pt_tensor *a, const pt_tensor *b,
                           int64_t *out_sizes, int32_t *out_rank);

/* Walk every index of `sizes` (rank r) keeping up to 3 element offsets in step with their
 * strides (stride 0 = broadcast). */
typedef struct pk_iter {
    int32_t rank;
    int64_t sizes[PETITE_MAX_RANK];
    int64_t strides[3][PETITE_MAX_RANK];
    int64_t idx[PETITE_MAX_RANK];
    int64_t off[3];
} pk_iter;
/* Strides of tensor t seen at output rank r (right-aligned, broadcast dims get 0). */
void pk_iter_strides(const pt_tensor *t, int32_t r, const int64_t *out_sizes, int64_t *strides);
void pk_iter_init(pk_iter *it, int32_t rank, const int64_t *sizes);
static inline void pk_iter_next(pk_iter *it, int nops) {
    for (int32_t d = it->rank - 1; d >= 0; d--) {
        if (++it->idx[d] < it->sizes[d]) {
            for (int k = 0; k < nops; k++) it->off[k] += it->strides[k][d];
            return;
        }
        it->idx[d] = 0;
        for (int k = 0; k < nops; k++) it->off[k] -= it->strides[k][d] * (it->sizes[d] - 1);
    }
}

bool pk_same_shape(const pt_tensor *a, const pt_tensor *b);

/* Element-wise (Tensor self, Tensor|Scalar other, *, Tensor(a!) out): unpack the arguments
 * (*b is NULL and *sb set when `scalar`), then — once the caller has checked dtypes — resize out to
 * the broadcast shape and set up a walker over (self, other, out). */
petite_status pk_binary_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool scalar,
                               pt_tensor **a, pt_tensor **b, pk_scalar *sb, pt_tensor **out);
petite_status pk_binary_walk(petite_kernel_ctx *c, const pt_tensor *a, const pt_tensor *b, pt_tensor *out,
                             pk_iter *it);

#endif
