/* registry.h — operator kernels and delegate backends, looked up by name at method load. */
#ifndef PETITE_RUNTIME_REGISTRY_H
#define PETITE_RUNTIME_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "runtime/value.h"

typedef struct pt_kernel_def {
    const char *name; /* "aten::add.out": operator name, '.', overload (no dot if none) */
    petite_kernel_fn fn;
} pt_kernel_def;

/* Kernels built into petite (src/kernels/kernels.c), NULL-terminated. */
extern const pt_kernel_def pt_builtin_kernels[];

/* Registered kernel first, then built-in; NULL if neither. */
petite_kernel_fn pt_kernel_lookup(const char *name);

typedef struct pt_compile_spec {
    const char *key;      /* NUL-terminated, in the program */
    const uint8_t *value;
    size_t size;
} pt_compile_spec;

typedef struct pt_backend_init {
    const struct petite_program *program; /* for named data lookups */
    const char *method;                   /* method name, for messages */
    uint32_t delegate_index;
    const uint8_t *blob;                  /* processed data, in the program (read only) */
    uint64_t size;
    const pt_compile_spec *specs;
    size_t nspecs;
    uint64_t memory_limit;                /* bytes the backend may allocate (0: no limit) */
} pt_backend_init;

/* A delegate backend: init once per method load, execute per DelegateCall, destroy at free.
 * args are the DelegateCall's values: inputs, then outputs. */
typedef struct pt_backend {
    const char *id; /* BackendDelegate.id, e.g. "XnnpackBackend" */
    petite_status (*init)(const pt_backend_init *in, void **handle, pt_err *e);
    petite_status (*execute)(void *handle, pt_value **args, size_t nargs, pt_err *e);
    void (*destroy)(void *handle);
} pt_backend;

const pt_backend *pt_backend_lookup(const char *id);
/* "XnnpackBackend, ..." or "none", for messages. */
const char *pt_backend_names(void);

#endif
