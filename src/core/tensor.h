/* tensor.h — values (EValues) and tensors: what the runtime, the kernels and the backends share. */
#ifndef PETITE_CORE_TENSOR_H
#define PETITE_CORE_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "petite/petite.h"

/* Where a tensor's bytes live. */
enum {
    PT_STORE_NONE = PETITE_STORAGE_NONE,           /* no data (empty tensor, or inspect-only load) */
    PT_STORE_CONSTANT = PETITE_STORAGE_CONSTANT,   /* read-only, in the program file (or a .ptd) */
    PT_STORE_PLANNED = PETITE_STORAGE_PLANNED,     /* in one of the method's planned buffers */
    PT_STORE_UNPLANNED = PETITE_STORAGE_UNPLANNED  /* the method owns a buffer (or a caller's zero-copy input) */
};

struct petite_tensor {
    void *data;                        /* element (0,...,0); NULL only for numel 0 / inspect */
    int32_t dtype;                     /* petite_dtype */
    int32_t rank;                      /* 0..PETITE_MAX_RANK */
    int64_t numel;                     /* product of sizes */
    int64_t sizes[PETITE_MAX_RANK];    /* current sizes */
    int64_t strides[PETITE_MAX_RANK];  /* in elements, from dim_order */
    uint8_t dim_order[PETITE_MAX_RANK];/* outermost first */
    int64_t max_sizes[PETITE_MAX_RANK];/* serialized sizes: the bound for dynamic tensors */
    int64_t max_numel;                 /* capacity in elements */
    uint8_t dynamism;                  /* petite_dynamism */
    uint8_t storage;                   /* PT_STORE_* */
    uint8_t contiguous;                /* dim_order is the identity */
    uint8_t zero_copy;                 /* data is a caller's pointer (unplanned input) */
    uint32_t plan_id;                  /* planned tensors: memory id (1-based) and byte offset */
    uint64_t plan_offset;
    void *own_buf;                     /* the method's buffer for an unplanned tensor */
};
typedef struct petite_tensor pt_tensor;

struct petite_value {
    int32_t kind; /* petite_kind */
    union {
        int64_t i;
        double d;
        bool b;
        struct { const char *p; uint32_t n; } s;
        pt_tensor *t;
        /* IntList, TensorList, OptionalTensorList: indices into `base` (-1: None) */
        struct { const int32_t *idx; uint32_t n; struct petite_value *base; } list;
        struct { const double *v; uint32_t n; } dl;
        struct { const uint8_t *v; uint32_t n; } bl;
    } u;
};
typedef struct petite_value pt_value;

/* strides from dim_order (elements), numel; returns false on overflow. */
bool pt_tensor_update_layout(pt_tensor *t);
/* Resize within the tensor's dynamism rules; message names what does not fit. */
petite_status pt_tensor_resize(pt_tensor *t, int32_t rank, const int64_t *sizes, pt_err *e);
/* "[1, 3, 224, 224]" into buf */
const char *pt_shape_str(const int64_t *sizes, int32_t rank, char *buf, size_t cap);

static inline size_t pt_tensor_nbytes(const pt_tensor *t) {
    return (size_t)t->numel * petite_dtype_size(t->dtype);
}

/* Two planned tensors whose bytes (at their capacities) the plan places in the same memory: one is
 * only safe to write while the other is read if the plan says they are never live together. */
static inline bool pt_tensor_planned_overlap(const pt_tensor *a, const pt_tensor *b) {
    if (a->storage != PT_STORE_PLANNED || b->storage != PT_STORE_PLANNED || a->plan_id != b->plan_id) return false;
    uint64_t alo = a->plan_offset, ahi = alo + (uint64_t)a->max_numel * petite_dtype_size(a->dtype);
    uint64_t blo = b->plan_offset, bhi = blo + (uint64_t)b->max_numel * petite_dtype_size(b->dtype);
    return alo < bhi && blo < ahi;
}

#endif
