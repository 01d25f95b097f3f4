/* method.h — a loaded method: values, planned memory, resolved instructions, delegates. */
#ifndef PETITE_RUNTIME_METHOD_H
#define PETITE_RUNTIME_METHOD_H

#include "core/arena.h"
#include "runtime/program.h"
#include "runtime/registry.h"
#include "runtime/value.h"

#define PT_MAX_INSTRUCTIONS_EXECUTED 10000000 /* as the official runtime's ET_MAX_INSTRUCTIONS */

typedef struct pt_instr {
    uint8_t kind;          /* INSTR_* (format/pte.h) */
    uint32_t nargs;
    pt_value **args;       /* KernelCall / DelegateCall arguments */
    uint32_t index;        /* operator or delegate index */
    int32_t a, b;          /* Move: from, to; JumpFalse: cond, destination; Free: value */
} pt_instr;

typedef struct pt_chain {
    pt_instr *instrs;
    uint32_t n;
} pt_chain;

typedef struct pt_operator {
    char name[104];        /* "aten::add.out" */
    petite_kernel_fn fn;   /* NULL when inspecting or missing */
} pt_operator;

typedef struct pt_delegate {
    const char *id;        /* BackendDelegate.id */
    uint8_t location;      /* PTE_LOCATION_INLINE / SEGMENT */
    uint32_t data_index;
    uint64_t blob_size;
    uint32_t nspecs;
    const pt_backend *backend; /* NULL when inspecting */
    void *handle;
} pt_delegate;

typedef struct pt_load_options {
    int inspect;               /* parse and validate only: no kernels, backends or memory */
    uint64_t max_memory_bytes; /* refuse methods needing more planned + unplanned memory (0: no limit) */
} pt_load_options;

struct petite_method {
    petite_program *prog;
    const char *name;
    uint32_t plan_index;
    pt_arena arena;
    int inspect;

    pt_value *values;  uint32_t nvalues;
    int32_t *inputs;   uint32_t ninputs;
    int32_t *outputs;  uint32_t noutputs;
    uint8_t *input_set;
    pt_chain *chains;  uint32_t nchains;
    pt_operator *ops;  uint32_t nops;
    pt_delegate *delegates; uint32_t ndelegates;

    uint8_t **planned;       /* planned buffer i serves memory_id i + 1 */
    uint64_t *planned_sizes;
    uint32_t nplanned;

    void **owned;            /* unplanned tensors' buffers */
    uint32_t nowned;

    uint64_t constant_bytes; /* bytes of constant tensors it refers to */
    uint64_t unplanned_bytes;
    uint64_t memory_limit;   /* pt_load_options.max_memory_bytes */
    uint64_t planned_total;
    pt_err err;
};

petite_status pt_method_build(petite_program *p, uint32_t plan_index, const pt_load_options *o,
                              petite_method **out, pt_err *e);

#endif
