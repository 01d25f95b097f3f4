/* backend.h — the delegate backend interface: what a backend is given when a method loads (its
 * blob, compile specs, a named-data lookup, the program's shared constant cache, limits) and how
 * it runs. Backends sit below the runtime: they see this header, core types, the format reader
 * and the compute layer, never the program or the method. */
#ifndef PETITE_BACKENDS_BACKEND_H
#define PETITE_BACKENDS_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "compute/compute.h"
#include "core/cache.h"
#include "core/error.h"
#include "core/tensor.h"

typedef struct pt_compile_spec {
    const char *key;      /* NUL-terminated, in the program */
    const uint8_t *value;
    size_t size;
} pt_compile_spec;

/* Named data by key: the program's named_data, then attached .ptd files. NOT_FOUND if no entry
 * has that key. */
typedef struct pt_named_data {
    void *owner;
    petite_status (*get)(void *owner, const char *key, size_t keylen, const uint8_t **ptr, uint64_t *size,
                         pt_err *e);
} pt_named_data;

typedef struct pt_backend_init {
    const char *method;                   /* method name, for messages */
    uint32_t delegate_index;
    const uint8_t *blob;                  /* processed data, in the program (read only) */
    uint64_t size;
    const pt_compile_spec *specs;
    size_t nspecs;
    uint64_t memory_limit;                /* bytes the backend may allocate (0: no limit) */
    pt_named_data named;
    const pt_const_cache *cache;          /* derived constants shared by every method instance */
    pc_isa isa;                           /* microkernels to plan for */
} pt_backend_init;

/* What init reports back. */
typedef struct pt_backend_info {
    uint64_t memory_bytes;                /* bytes the handle owns (its arena, tables) */
    uint64_t shared_bytes;                /* derived constants it refers to in the cache */
    size_t scratch;                       /* per-thread scratch its execute needs */
    uint64_t work_bytes;                  /* a work area its execute needs (its intermediate values),
                                             held by the method and shared by all its delegates: they
                                             run one at a time and keep nothing there between runs */
    uint32_t nodes;                       /* nodes it executes (for profiles) */
} pt_backend_info;

/* Per-node statistics of the last profiled execute. */
typedef struct pt_node_stat {
    const char *kind;                     /* "Conv2d", ... */
    char detail[96];                      /* shape summary */
    double flops;                         /* 0 where not defined */
    uint64_t ns;                          /* time of the last profiled run */
} pt_node_stat;

/* A delegate backend: init once per method load, execute per DelegateCall, destroy at free.
 * args are the DelegateCall's values: inputs, then outputs; work: info.work_bytes (64-byte aligned,
 * contents undefined at entry). execute never allocates. */
typedef struct pt_backend {
    const char *id; /* BackendDelegate.id, e.g. "XnnpackBackend" */
    petite_status (*init)(const pt_backend_init *in, void **handle, pt_backend_info *info, pt_err *e);
    petite_status (*execute)(void *handle, const pc_ctx *exec, void *work, pt_value **args, size_t nargs, pt_err *e);
    void (*destroy)(void *handle);
    /* profiling (may be NULL): time each node on the following executes, and read the results */
    void (*profile)(void *handle, int on);
    void (*node_stat)(const void *handle, uint32_t node, pt_node_stat *out);
} pt_backend;

/* The backends compiled into this build. */
extern const pt_backend pt_xnnpack_backend; /* backends/xnnpack: "XnnpackBackend" */

#endif
