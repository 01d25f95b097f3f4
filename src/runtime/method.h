/* method.h — a loaded method: values, planned memory, resolved instructions, delegates. */
#ifndef PETITE_RUNTIME_METHOD_H
#define PETITE_RUNTIME_METHOD_H

#include "core/arena.h"
#include "core/tensor.h"
#include "runtime/program.h"
#include "runtime/registry.h"

#define PT_MAX_INSTRUCTIONS_EXECUTED 10000000 /* as the official runtime's ET_MAX_INSTRUCTIONS */

typedef struct pt_instr {
    uint8_t kind;          /* INSTR_* (format/pte.h) */
    uint32_t nargs;
    pt_value **args;       /* KernelCall / DelegateCall arguments */
    uint32_t index;        /* operator or delegate index */
    int32_t a, b;          /* Move: from, to; JumpFalse: cond, destination; Free: value */
    void *state;           /* KernelCall: what the kernel's prepare returned */
    double flops;          /* KernelCall: operations per run, where the prepare knows them */
    uint32_t prof;         /* first profile entry of this instruction */
    uint8_t fused;         /* KernelCall computed by the KernelCall before it (skipped at run) */
} pt_instr;

typedef struct pt_chain {
    pt_instr *instrs;
    uint32_t n;
} pt_chain;

/* A planned tensor's initial bytes, copied in once the planned memory exists. */
typedef struct pt_init {
    pt_tensor *t;
    const uint8_t *src;
} pt_init;

typedef struct pt_operator {
    char name[104];        /* "aten::add.out" */
    petite_kernel_fn fn;   /* NULL when inspecting or missing */
    pk_prepare_fn prepare; /* the built-in kernel's prepare, or NULL */
    uint32_t calls;        /* KernelCall instructions naming it */
} pt_operator;

typedef struct pt_delegate {
    const char *id;        /* BackendDelegate.id */
    uint8_t location;      /* PTE_LOCATION_INLINE / SEGMENT */
    uint32_t data_index;
    uint64_t blob_size;
    uint32_t nspecs;
    const uint8_t *blob;
    pt_compile_spec *specs;  /* BackendDelegate.compile_specs (not when inspecting) */
    const pt_backend *backend; /* NULL when inspecting */
    void *handle;
    pt_backend_info info;      /* what init reported */
} pt_delegate;

typedef struct pt_profile {
    const char *kind;
    char detail[96];
    int32_t instruction, node;
    uint64_t ns;
    double flops;
} pt_profile;

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
    uint8_t *input_reused;   /* planned input memory the plan hands to other tensors during a run */
    int ran;
    int outputs_valid;       /* a run completed and no input was set since */
    pt_chain *chains;  uint32_t nchains;
    pt_operator *ops;  uint32_t nops;
    pt_delegate *delegates; uint32_t ndelegates;

    uint8_t **planned;       /* planned buffer i serves memory_id i + 1 */
    uint64_t *planned_sizes;
    uint32_t nplanned;

    void **owned;            /* unplanned tensors' buffers */
    uint32_t nowned;
    pt_init *inits;          /* planned tensors' initial states (load time only) */
    uint32_t ninits;

    uint64_t constant_bytes; /* bytes of constant tensors it refers to */
    uint64_t unplanned_bytes;
    uint64_t memory_limit;   /* petite_load_options.max_memory_bytes */
    uint64_t planned_total;
    uint64_t backend_bytes;  /* delegates' own memory, with their shared work area */
    uint64_t work_need;      /* the delegates' work area: the largest any asked for */
    void *work;
    uint64_t packed_bytes;   /* shared derived constants referred to */

    /* execution context: the thread pool, per-thread scratch, the microkernels' ISA */
    pc_ctx exec;
    size_t scratch_need;     /* per thread, the largest any kernel or delegate asked for */
    int threads;

    /* profiling */
    int profiling;
    pt_profile *prof;
    uint32_t nprof;
    uint32_t ninstructions, nkernel_calls, ndelegate_calls;
    pt_err err;
};

petite_status pt_method_build(petite_program *p, uint32_t plan_index, const petite_load_options *o,
                              petite_method **out, pt_err *e);

/* Current memory use against the limit: fails with OUT_OF_RESOURCES naming `what`. */
petite_status pt_method_charge(petite_method *m, uint64_t bytes, const char *what, pt_err *e);

#endif
