/* kernel.h — the kernel interface (what the runtime gives a kernel: arguments, an execution
 * context, the state its prepare left) and the helpers the built-in kernels share: argument
 * unpacking with messages that name the argument, broadcasting. Kernels sit below the runtime:
 * they see core types and the compute layer, never the program or the method. */
#ifndef PETITE_KERNELS_KERNEL_H
#define PETITE_KERNELS_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "compute/compute.h"
#include "core/arena.h"
#include "core/cache.h"
#include "core/dtype.h"
#include "core/tensor.h"

/* What a kernel runs with (custom kernels see it as the opaque petite_kernel_ctx). */
struct petite_kernel_ctx {
    pt_err *err;
    const pc_ctx *exec;  /* threads, per-thread scratch, ISA */
    void *state;         /* what this instruction's prepare returned (NULL without one) */
};

/* Prepare: called once per KernelCall when the method loads, with the values as they are then
 * (tensors at their upper-bound sizes). It checks what cannot change between runs, packs
 * constants through the cache and returns state for run; it may also return NULL state (run
 * does the work unprepared). A failure fails the load with its message. */
/* An instruction that follows the one being prepared, in its chain (candidates for fusion). */
typedef struct pk_next {
    const char *name;              /* "aten::relu.out" */
    petite_value **args;
    size_t nargs;
} pk_next;

typedef struct pk_prepare {
    pt_err *err;
    pc_isa isa;
    pt_arena *arena;               /* memory for the state; freed with the method */
    const pt_const_cache *cache;   /* program-level derived constants */
    size_t scratch;                /* raise to the per-thread scratch bytes run needs */
    uint64_t shared_bytes;         /* add the derived constant bytes this method refers to */
    double flops;                  /* operations per run (for profiles), where defined */
    /* 1 if value v (one of this instruction's arguments) is read by another instruction or is a
     * method output: an out argument nothing reads need not be computed */
    int (*read_elsewhere)(const struct pk_prepare *p, const petite_value *v);
    /* how often v appears in any instruction's arguments (lists included) or among the outputs */
    uint32_t (*appearances)(const struct pk_prepare *p, const petite_value *v);
    const void *owner;             /* the runtime's, for the two above */
    /* fusion: the KernelCalls right after this one (up to 6), and how many of them this kernel
     * now computes (prepare sets it; the runtime skips them at run) */
    const pk_next *next;
    uint32_t nnext;
    uint32_t absorbed;
} pk_prepare;
typedef petite_status (*pk_prepare_fn)(pk_prepare *p, petite_value **args, size_t nargs, void **state);

typedef struct pk_kernel_def {
    const char *name;      /* "aten::add.out": operator name, '.', overload (no dot if none) */
    petite_kernel_fn run;
    pk_prepare_fn prepare; /* NULL: nothing to prepare */
} pk_kernel_def;

/* The built-in kernels (kernels.def), NULL-terminated. */
extern const pk_kernel_def pk_builtin_kernels[];
/* 1 in a selective build (PETITE_SELECT_OPS): the table holds only the kernels chosen at build time */
extern const int pk_builtin_selective;

#define PK_FAIL(ctx, status, ...) pt_fail((ctx)->err, (status), __VA_ARGS__)

/* Exactly `want` arguments (schema arguments + the duplicated return). */
petite_status pk_nargs(petite_kernel_ctx *c, size_t nargs, size_t want);
/* an op whose out argument is a Tensor[] and returns nothing: `want` arguments (what petite wrote before)
 * or one more, the out list written again as the return value (the official emitter's way) */
petite_status pk_nargs_list_out(petite_kernel_ctx *c, petite_value **args, size_t nargs, size_t want);
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

/* Strides of tensor t seen at output rank r (right-aligned, broadcast dims get 0). */
void pk_iter_strides(const pt_tensor *t, int32_t r, const int64_t *out_sizes, int64_t *strides);
/* A walker over t's elements (its own strides in slot 0). */
void pk_iter_tensor(pc_iter *it, const pt_tensor *t);

bool pk_same_shape(const pt_tensor *a, const pt_tensor *b);

/* Element-wise (Tensor self, Tensor|Scalar other, *, Tensor(a!) out): unpack the arguments
 * (*b is NULL and *sb set when `scalar`), then — once the caller has checked dtypes — resize out to
 * the broadcast shape and set up a walker over (self, other, out). */
petite_status pk_binary_unpack(petite_kernel_ctx *c, petite_value **args, size_t nargs, bool scalar,
                               pt_tensor **a, pt_tensor **b, pk_scalar *sb, pt_tensor **out);
petite_status pk_binary_walk(petite_kernel_ctx *c, const pt_tensor *a, const pt_tensor *b, pt_tensor *out,
                             pc_iter *it);

#endif
