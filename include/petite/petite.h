/*
 * petite.h — the public C API of petite, a small C11 runtime for ExecuTorch `.pte` programs.
 *
 * ---------------------------------------------------------------------------------------------
 * Worked example (error handling shortened; every call returns a petite_status):
 *
 *   petite_program *prog = NULL;
 *   petite_method  *m    = NULL;
 *   if (petite_program_open_file("model.pte", &prog) != PETITE_OK) {
 *       fprintf(stderr, "%s\n", petite_last_error());        // this thread's last failure
 *       return 1;
 *   }
 *   if (petite_method_load(prog, "forward", &m) != PETITE_OK)
 *       fprintf(stderr, "%s\n", petite_last_error());        // names method, operator, field
 *
 *   petite_io_info in;                                       // what input 0 wants
 *   petite_method_io_info(m, PETITE_INPUT, 0, &in);           // dtype, rank, sizes, bounds ...
 *   float x[1 * 3 * 224 * 224] = {0};
 *   int64_t shape[4] = {1, 3, 224, 224};
 *   petite_method_set_input(m, 0, PETITE_FLOAT32, 4, shape, x, sizeof x, PETITE_COPY);
 *   petite_method_run(m);
 *
 *   const void *y; size_t ny; petite_io_info out;
 *   petite_method_io_info(m, PETITE_OUTPUT, 0, &out);         // current (run-time) sizes
 *   petite_method_output_data(m, 0, &y, &ny);                 // valid until the next set_input / run
 *   petite_method_free(m);
 *   petite_program_close(prog);
 * ---------------------------------------------------------------------------------------------
 *
 * Handles, ownership, lifetimes, threads
 *  - petite_program: an opened, verified `.pte` file (memory-mapped, or the caller's buffer).
 *    Immutable once open: one program may be shared by any number of threads, and several method
 *    instances of it may load and run at the same time. Close it after every method made from it
 *    has been freed.
 *  - petite_method: one loaded entry point (e.g. "forward") with its own planned memory, values
 *    and inputs. A method instance is single-threaded: do not call two functions on the same
 *    instance at once. Load one instance per thread to run in parallel.
 *  - Pointers returned by getters (names, output data, sizes) are owned by the handle and stay
 *    valid as stated per function; never free them.
 *  - Every function that takes a handle accepts NULL and answers PETITE_ERR_INVALID_ARGUMENT;
 *    petite_*_free / _close accept NULL and do nothing.
 *  - Errors: every call returns a status code, and a refused call changes nothing. The message
 *    of the last failure is kept in a thread-local buffer (petite_last_error: "Status: message")
 *    and on the handle the call changes (petite_method_errmsg for calls on a method,
 *    petite_program_errmsg for petite_program_attach_data_file). A failed petite_method_load
 *    reports through petite_last_error only: the program is shared, and one thread's failure
 *    must not overwrite what another reads. A NULL handle or argument is
 *    PETITE_ERR_INVALID_ARGUMENT with petite_last_error naming the function.
 *  - The one piece of global mutable state is the custom kernel registry
 *    (petite_register_kernel): register kernels before loading the methods that use them.
 *    Registration is serialized internally; methods already loaded keep the kernel they resolved.
 *  - The library never prints, never aborts and never exits.
 */
#ifndef PETITE_PETITE_H
#define PETITE_PETITE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* printf-style checking of format strings (C99 conversions, also under MinGW) */
#if defined(__MINGW32__)
#define PETITE_PRINTF(f, a) __attribute__((format(gnu_printf, f, a)))
#elif defined(__GNUC__)
#define PETITE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PETITE_PRINTF(f, a)
#endif

#if defined(_WIN32) && defined(PETITE_SHARED)
#  ifdef PETITE_BUILDING
#    define PETITE_API __declspec(dllexport)
#  else
#    define PETITE_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define PETITE_API __attribute__((visibility("default")))
#else
#  define PETITE_API
#endif

#define PETITE_VERSION_MAJOR 0
#define PETITE_VERSION_MINOR 1
#define PETITE_VERSION_PATCH 0
#define PETITE_VERSION_STRING "0.1.0"

/* Tensor rank limit, the same as the official runtime's kTensorDimensionLimit. */
#define PETITE_MAX_RANK 16

/* ---- status codes: the official runtime's ranges (system, logical, resource, delegate). ----
 * Values only ever get added. */
typedef enum petite_status {
    PETITE_OK = 0x00,
    PETITE_ERR_INTERNAL = 0x01,
    PETITE_ERR_INVALID_STATE = 0x02,
    PETITE_ERR_END_OF_METHOD = 0x03,
    PETITE_ERR_NOT_SUPPORTED = 0x10,
    PETITE_ERR_NOT_IMPLEMENTED = 0x11,
    PETITE_ERR_INVALID_ARGUMENT = 0x12,
    PETITE_ERR_INVALID_TYPE = 0x13,
    PETITE_ERR_OPERATOR_MISSING = 0x14,
    PETITE_ERR_NOT_FOUND = 0x20,
    PETITE_ERR_MEMORY_ALLOCATION_FAILED = 0x21,
    PETITE_ERR_ACCESS_FAILED = 0x22,
    PETITE_ERR_INVALID_PROGRAM = 0x23,
    PETITE_ERR_INVALID_EXTERNAL_DATA = 0x24,
    PETITE_ERR_OUT_OF_RESOURCES = 0x25,
    PETITE_ERR_DELEGATE_INVALID_COMPATIBILITY = 0x30,
    PETITE_ERR_DELEGATE_MEMORY_ALLOCATION_FAILED = 0x31,
    PETITE_ERR_DELEGATE_INVALID_HANDLE = 0x32
} petite_status;

/* ---- dtypes: the `.pte` ScalarType numbering (schema/scalar_type.fbs). ---- */
typedef enum petite_dtype {
    PETITE_UINT8 = 0,   /* BYTE */
    PETITE_INT8 = 1,    /* CHAR */
    PETITE_INT16 = 2,   /* SHORT */
    PETITE_INT32 = 3,   /* INT */
    PETITE_INT64 = 4,   /* LONG */
    PETITE_FLOAT16 = 5, /* HALF */
    PETITE_FLOAT32 = 6, /* FLOAT */
    PETITE_FLOAT64 = 7, /* DOUBLE */
    PETITE_BOOL = 11,
    PETITE_QINT8 = 12,
    PETITE_QUINT8 = 13,
    PETITE_QINT32 = 14,
    PETITE_BFLOAT16 = 15,
    PETITE_UINT16 = 27,
    PETITE_UINT32 = 28,
    PETITE_UINT64 = 29
} petite_dtype;

/* ---- value kinds: the `.pte` EValue union (KernelTypes). ---- */
typedef enum petite_kind {
    PETITE_KIND_NONE = 1,
    PETITE_KIND_INT = 2,
    PETITE_KIND_BOOL = 3,
    PETITE_KIND_DOUBLE = 4,
    PETITE_KIND_TENSOR = 5,
    PETITE_KIND_STRING = 6,
    PETITE_KIND_INT_LIST = 7,
    PETITE_KIND_DOUBLE_LIST = 8,
    PETITE_KIND_BOOL_LIST = 9,
    PETITE_KIND_TENSOR_LIST = 10,
    PETITE_KIND_OPTIONAL_TENSOR_LIST = 11
} petite_kind;

typedef enum petite_dynamism {
    PETITE_STATIC = 0,        /* sizes are fixed */
    PETITE_DYNAMIC_BOUND = 1, /* any sizes of the same rank with numel <= numel(max_sizes) */
    PETITE_DYNAMIC_UNBOUND = 2
} petite_dynamism;

typedef enum petite_io { PETITE_INPUT = 0, PETITE_OUTPUT = 1 } petite_io;

/* set_input flags */
#define PETITE_COPY 0u      /* copy the caller's data now; the caller may reuse its memory */
#define PETITE_ZERO_COPY 1u /* keep the caller's pointer for an input without planned memory;
                               it must stay valid and unchanged until the input is set again or
                               the method is freed. Planned inputs, and data not aligned to its
                               element size, are copied instead. */

/* Where a tensor's bytes live. */
typedef enum petite_storage {
    PETITE_STORAGE_NONE = 0,      /* no data (empty tensor, or an inspect-only load) */
    PETITE_STORAGE_CONSTANT = 1,  /* read only, in the program file (or an attached .ptd) */
    PETITE_STORAGE_PLANNED = 2,   /* in one of the method's planned buffers */
    PETITE_STORAGE_UNPLANNED = 3  /* a buffer of its own (or the caller's, zero-copy) */
} petite_storage;

/* What one method input or output is. Filled by petite_method_io_info; a plain struct of
 * scalars and fixed arrays so that FFI layers can mirror it. */
typedef struct petite_io_info {
    int32_t kind;      /* petite_kind */
    int32_t dtype;     /* petite_dtype (tensors only) */
    int32_t rank;      /* number of dims (tensors only) */
    int32_t dynamism;  /* petite_dynamism (tensors only) */
    int64_t sizes[PETITE_MAX_RANK];     /* current sizes: after set_input / run for dynamic ones */
    int64_t max_sizes[PETITE_MAX_RANK]; /* upper bound (== sizes for static tensors) */
    uint8_t dim_order[PETITE_MAX_RANK]; /* memory order, outermost first; identity = contiguous */
    int64_t nbytes;    /* current byte size of the data (tensors only) */
    int32_t memory_planned; /* 1 if the tensor lives in the method's planned memory */
    int32_t storage;        /* petite_storage: where the data lives */
} petite_io_info;

typedef struct petite_program petite_program;
typedef struct petite_method petite_method;

/* ---- library ---- */
PETITE_API const char *petite_version(void);
PETITE_API const char *petite_status_name(petite_status s);  /* "InvalidProgram", ... */
PETITE_API const char *petite_dtype_name(int32_t dtype);      /* "float32", ... or "unknown" */
PETITE_API size_t petite_dtype_size(int32_t dtype);           /* 0 if unknown */
/* This thread's last failure message ("" if none). Valid until the next failing call on this
 * thread. */
PETITE_API const char *petite_last_error(void);

/* ---- program ---- */
/* Open and verify a `.pte` file; it is memory-mapped (read only) and constants are used in
 * place. On failure *out is NULL and petite_last_error() says why. */
PETITE_API petite_status petite_program_open_file(const char *path, petite_program **out);

/* Open from memory. With PETITE_COPY the bytes are copied (the caller may free them at once);
 * with PETITE_ZERO_COPY the caller's bytes are used in place and must outlive the program (and
 * be 16-byte aligned, else they are copied anyway). */
PETITE_API petite_status petite_program_open_buffer(const void *data, size_t size,
                                                    uint32_t flags, petite_program **out);

/* Attach an external weights file (`.ptd`, FlatTensor "FT01") whose named tensors serve tensors
 * stored EXTERNAL and delegate weights looked up by key. Only before the first method is loaded
 * (after that the program is shared and does not change: PETITE_ERR_INVALID_STATE). A key the
 * program or an earlier file already serves is refused (PETITE_ERR_INVALID_EXTERNAL_DATA), as is,
 * at method load, an external tensor whose blob size differs from the tensor's byte size. */
PETITE_API petite_status petite_program_attach_data_file(petite_program *p, const char *path);

PETITE_API void petite_program_close(petite_program *p);
PETITE_API const char *petite_program_errmsg(const petite_program *p);

PETITE_API petite_status petite_program_method_count(const petite_program *p, size_t *count);

/* Where a program keeps its constant tensors. */
typedef enum petite_constant_storage {
    PETITE_CONSTANTS_NONE = 0,
    PETITE_CONSTANTS_SEGMENT = 1, /* constant_segment (current writers) */
    PETITE_CONSTANTS_INLINE = 2   /* the legacy constant_buffer inside the flatbuffer */
} petite_constant_storage;

/* What a program file holds (for inspection tools). A plain struct of scalars; set struct_size to
 * sizeof(petite_program_info) before the call (fields only ever get added at the end). */
typedef struct petite_program_info {
    uint32_t struct_size;
    char identifier[8];            /* file identifier, NUL-terminated ("ET12") */
    uint32_t schema_version;
    int32_t extended_header;       /* 1 if the eh00 extended header is present */
    uint32_t extended_header_length;
    uint64_t file_size;
    uint64_t program_size;         /* flatbuffer bytes (extended header) */
    uint64_t segment_base_offset;
    uint64_t segment_data_size;
    uint32_t num_segments;
    int32_t constant_storage;      /* petite_constant_storage */
    uint32_t constant_segment;     /* segment index (PETITE_CONSTANTS_SEGMENT) */
    uint32_t constant_entries;
    uint32_t named_data_entries;
    uint32_t mutable_data_tables;
    uint32_t inline_delegate_blobs;
    uint32_t num_methods;
} petite_program_info;
PETITE_API petite_status petite_program_describe(const petite_program *p, petite_program_info *info);
/* Segment i: byte offset in the file and size. */
PETITE_API petite_status petite_program_segment(const petite_program *p, size_t i, uint64_t *offset,
                                                uint64_t *size);
/* Name of method i; valid while the program is open. */
PETITE_API petite_status petite_program_method_name(const petite_program *p, size_t i,
                                                    const char **name);

/* ---- method ---- */
/* Load method `name`: parses its plan, resolves every operator and delegate, allocates its
 * planned memory. Fails with a message (petite_last_error) naming the missing operator or
 * backend; the program stays usable for its other methods. Safe to call from several threads on
 * one program. */
PETITE_API petite_status petite_method_load(petite_program *p, const char *name,
                                            petite_method **out);

/* Load options: a struct that carries its own size, so it can grow. Initialize it with
 * petite_load_options_init, then change what you need. */
#define PETITE_LOAD_INSPECT 1u /* parse and validate only: no kernels, backends or memory; the
                                  method can be described (petite_method_describe) but not run */

typedef enum petite_isa {
    PETITE_ISA_AUTO = 0,   /* the best the CPU has (capped by the PETITE_ISA environment variable) */
    PETITE_ISA_SCALAR = 1, /* portable C */
    PETITE_ISA_AVX2 = 2,   /* x86-64 AVX2 + FMA */
    PETITE_ISA_AVX512 = 3, /* x86-64 AVX-512 */
    PETITE_ISA_NEON = 4,   /* Arm NEON */
    PETITE_ISA_WASMSIMD = 5 /* WebAssembly SIMD128 */
} petite_isa;

/* The memory cap of a method load unless the options say otherwise: 4 GiB. A file declares its
 * buffers' sizes; this bounds what a hostile or broken one can make a load allocate. */
#define PETITE_DEFAULT_MAX_MEMORY (4ull << 30)

typedef struct petite_load_options {
    uint32_t struct_size;      /* sizeof(petite_load_options) */
    uint32_t flags;            /* PETITE_LOAD_* */
    uint64_t max_memory_bytes; /* refuse to load a method needing more (planned, unplanned, backend,
                                  scratch and packed-constant bytes; constants read in place from the
                                  file do not count). 0: PETITE_DEFAULT_MAX_MEMORY (also what
                                  petite_method_load uses); UINT64_MAX: no limit */
    int32_t num_threads;       /* threads a run uses: the caller's plus num_threads - 1 workers owned by
                                  the method instance. 0 or 1 (the default): the caller's thread only.
                                  Results are bit-identical whatever the count. */
    int32_t isa;               /* petite_isa; PETITE_ISA_AUTO (the default). An ISA the CPU lacks is
                                  refused with PETITE_ERR_NOT_SUPPORTED. */
} petite_load_options;

PETITE_API void petite_load_options_init(petite_load_options *o);
/* petite_method_load with options (NULL: the defaults). */
PETITE_API petite_status petite_method_load_ex(petite_program *p, const char *name,
                                               const petite_load_options *options,
                                               petite_method **out);
PETITE_API void petite_method_free(petite_method *m);
PETITE_API const char *petite_method_errmsg(const petite_method *m);

PETITE_API petite_status petite_method_io_count(const petite_method *m, int32_t io,
                                                size_t *count);
/* Describes input or output i (io = PETITE_INPUT / PETITE_OUTPUT) as it is now. */
PETITE_API petite_status petite_method_io_info(const petite_method *m, int32_t io, size_t i,
                                               petite_io_info *info);

/* Set tensor input i. dtype must be the input's dtype; rank/sizes must fit (equal for static
 * inputs, within max_sizes' element count for bounded ones); nbytes must equal the data size;
 * flags is PETITE_COPY or PETITE_ZERO_COPY (other bits are refused). A refused call leaves the
 * input as it was (its earlier value and shape still count as set). Setting an input makes the
 * outputs of the last run unreadable (its bytes may be planned over theirs) until the next run. */
PETITE_API petite_status petite_method_set_input(petite_method *m, size_t i, int32_t dtype,
                                                 int32_t rank, const int64_t *sizes,
                                                 const void *data, size_t nbytes,
                                                 uint32_t flags);
/* Set a scalar input. The program was specialized to the traced value (as in the official
 * runtime): another value is refused with PETITE_ERR_INVALID_ARGUMENT. */
PETITE_API petite_status petite_method_set_input_int(petite_method *m, size_t i, int64_t v);
PETITE_API petite_status petite_method_set_input_double(petite_method *m, size_t i, double v);
PETITE_API petite_status petite_method_set_input_bool(petite_method *m, size_t i, int32_t v);

/* Run the method once. Every input must have been set (methods without inputs need none). An
 * input whose planned memory the program's plan reuses for other tensors once it has been read (the
 * exporters plan it that way) is consumed by the run: set it again before the next run, or the run
 * fails with PETITE_ERR_INVALID_STATE naming it. Other inputs stay set. */
PETITE_API petite_status petite_method_run(petite_method *m);

/* ---- inspection: what petite info shows, for any app ----
 * Every struct below starts with struct_size: set it to sizeof the struct before the call. */
typedef struct petite_method_info {
    uint32_t struct_size;
    uint32_t num_values;
    uint32_t num_chains;
    uint32_t num_instructions;
    uint32_t num_kernel_calls;
    uint32_t num_delegate_calls;
    uint32_t num_operators;
    uint32_t num_delegates;
    uint32_t num_planned_buffers;
    int32_t inspect_only;      /* loaded with PETITE_LOAD_INSPECT */
    int32_t num_threads;
    int32_t isa;               /* petite_isa the kernels run (0 when inspecting) */
    uint64_t planned_bytes;    /* sum of the planned buffers */
    uint64_t constant_bytes;   /* constant tensors referred to (in the file) */
    uint64_t unplanned_bytes;  /* buffers of tensors without planned memory */
    uint64_t backend_bytes;    /* memory the delegates own (their planned arenas) */
    uint64_t packed_bytes;     /* packed constants it uses from the program's shared cache */
    uint64_t scratch_bytes;    /* run scratch, all threads */
} petite_method_info;
PETITE_API petite_status petite_method_describe(const petite_method *m, petite_method_info *info);

typedef struct petite_operator_info {
    uint32_t struct_size;
    const char *name;          /* "aten::add.out"; valid while the method lives */
    uint32_t calls;            /* KernelCall instructions naming it */
    int32_t kernel_available;  /* a kernel (built in or registered) exists for it */
} petite_operator_info;
PETITE_API petite_status petite_method_operator(const petite_method *m, size_t i,
                                                petite_operator_info *info);

typedef struct petite_delegate_info {
    uint32_t struct_size;
    const char *backend;       /* BackendDelegate.id, e.g. "XnnpackBackend" */
    int32_t inline_blob;       /* 1: the blob is inline in the flatbuffer, 0: in a segment */
    uint32_t data_index;       /* index of the blob (inline table or segment) */
    uint64_t blob_size;
    uint32_t num_compile_specs;
    int32_t backend_available; /* this build has the backend */
} petite_delegate_info;
PETITE_API petite_status petite_method_delegate(const petite_method *m, size_t i,
                                                petite_delegate_info *info);
/* Size of planned buffer i (memory_id i + 1). */
PETITE_API petite_status petite_method_planned_buffer(const petite_method *m, size_t i,
                                                      uint64_t *size);
/* The value a scalar input was traced with (Int and Bool in *int_value, Double in *double_value). */
PETITE_API petite_status petite_method_input_scalar(const petite_method *m, size_t i,
                                                    int64_t *int_value, double *double_value);

/* ---- profiling: time per instruction and per delegate node ----
 * With profiling on, each run records one entry per KernelCall and one per node of each delegate
 * call, in execution order (the last run's). Timing costs a clock read per entry. */
PETITE_API petite_status petite_method_set_profiling(petite_method *m, int32_t on);
typedef struct petite_profile_entry {
    uint32_t struct_size;
    const char *kind;          /* operator name, or the delegate node's kind ("Conv2d") */
    char detail[96];           /* output shape or node parameters */
    int32_t instruction;       /* instruction index in its chain */
    int32_t node;              /* delegate node index, -1 for a KernelCall */
    uint64_t ns;               /* wall time of the last profiled run */
    double flops;              /* floating point (or integer) operations; 0 where not defined */
} petite_profile_entry;
PETITE_API petite_status petite_method_profile_count(const petite_method *m, size_t *count);
PETITE_API petite_status petite_method_profile_entry(const petite_method *m, size_t i,
                                                     petite_profile_entry *entry);

/* Tensor output i: pointer to its data and its byte size. Owned by the method; valid until the
 * next run, set_input or free. PETITE_ERR_INVALID_STATE before the first completed run, after a
 * failed run, and after a set_input (the same holds for the scalar output getters). */
PETITE_API petite_status petite_method_output_data(const petite_method *m, size_t i,
                                                   const void **data, size_t *nbytes);
PETITE_API petite_status petite_method_output_int(const petite_method *m, size_t i, int64_t *v);
PETITE_API petite_status petite_method_output_double(const petite_method *m, size_t i,
                                                     double *v);
PETITE_API petite_status petite_method_output_bool(const petite_method *m, size_t i,
                                                   int32_t *v);
/* String output (not NUL-terminated in general: use len). Valid while the program is open. */
PETITE_API petite_status petite_method_output_string(const petite_method *m, size_t i,
                                                     const char **s, size_t *len);

/* ---- custom kernels ----
 * A kernel receives the instruction's arguments as the official runtime passes them: one value
 * per schema argument in schema order (out arguments last), then the return value(s) — for
 * `.out` operators the out tensor appears twice at the end. Values are read through the
 * accessors below; a kernel reports failure with petite_kernel_fail and returns its status. */
typedef struct petite_value petite_value;
typedef struct petite_tensor petite_tensor;
typedef struct petite_kernel_ctx petite_kernel_ctx;
typedef petite_status (*petite_kernel_fn)(petite_kernel_ctx *ctx, petite_value **args,
                                          size_t nargs);

/* Register `fn` for operator `name` with its overload, e.g. "etnp::lstm.out" (the operator's
 * name, a dot, its overload; just the name for an empty overload). A later registration of the
 * same name replaces the earlier one (for methods loaded afterwards); registered kernels take
 * precedence over built-in ones. */
PETITE_API petite_status petite_register_kernel(const char *name, petite_kernel_fn fn);
/* 1 if a kernel (registered or built in) exists for `name` ("aten::add.out"), else 0. */
PETITE_API int32_t petite_has_kernel(const char *name);

PETITE_API int32_t petite_value_kind(const petite_value *v); /* petite_kind */
PETITE_API petite_status petite_value_int(const petite_value *v, int64_t *out);
PETITE_API petite_status petite_value_double(const petite_value *v, double *out); /* Int too */
PETITE_API petite_status petite_value_bool(const petite_value *v, int32_t *out);
/* The tensor held by v, or NULL (None, or not a tensor). */
PETITE_API petite_tensor *petite_value_tensor(petite_value *v);
/* List length and elements (IntList, DoubleList, BoolList, TensorList, OptionalTensorList). */
PETITE_API petite_status petite_value_list_len(const petite_value *v, size_t *len);
PETITE_API petite_status petite_value_int_list_get(const petite_value *v, size_t j, int64_t *out);

PETITE_API void *petite_tensor_data(const petite_tensor *t);
PETITE_API int32_t petite_tensor_dtype(const petite_tensor *t);
PETITE_API int32_t petite_tensor_rank(const petite_tensor *t);
PETITE_API int64_t petite_tensor_size(const petite_tensor *t, int32_t dim);
PETITE_API int64_t petite_tensor_numel(const petite_tensor *t);
/* 1 if the tensor is laid out contiguously in its logical (dim 0 outermost) order. */
PETITE_API int32_t petite_tensor_is_contiguous(const petite_tensor *t);
/* Resize an output tensor: same rank; equal sizes for static tensors, element count within the
 * bound for dynamic ones. */
PETITE_API petite_status petite_tensor_resize(petite_kernel_ctx *ctx, petite_tensor *t,
                                              int32_t rank, const int64_t *sizes);
/* Record why the kernel failed (printf format); returns `status` for `return petite_kernel_fail(...)`. */
PETITE_API petite_status petite_kernel_fail(petite_kernel_ctx *ctx, petite_status status,
                                            const char *fmt, ...) PETITE_PRINTF(3, 4);

/* ---- bare metal ----
 * A bare-metal build (PETITE_BARE_METAL: no OS, see docs/PLATFORMS.md) never calls the C
 * library's malloc: every allocation comes from the one region given here, before the first
 * open. 16-byte aligned blocks, first fit. Hosted builds allocate with the C library and answer
 * PETITE_ERR_NOT_SUPPORTED. */
PETITE_API petite_status petite_set_heap(void *mem, size_t bytes);

/* ---- kernel libraries ----
 * A shared library of custom kernels loaded at run time (`petite run --kernel-lib FILE`, the
 * Python binding's load_kernel_library, or an app) exports
 *
 *     petite_status petite_kernel_library_init(const petite_kernel_api *api);
 *
 * which registers its kernels with api->register_kernel and keeps `api`: its kernels reach
 * petite only through it, so the library links nothing of petite and works the same under a
 * statically linked app, libpetite.so or the Python binding. `version` is
 * PETITE_KERNEL_API_VERSION and `size` sizeof(petite_kernel_api) of the loading petite; fields
 * are only ever added at the end. See examples/custom_op/. */
#define PETITE_KERNEL_API_VERSION 1
typedef struct petite_kernel_api {
    uint32_t version;
    uint32_t size;
    petite_status (*register_kernel)(const char *name, petite_kernel_fn fn);
    int32_t (*value_kind)(const petite_value *v);
    petite_status (*value_int)(const petite_value *v, int64_t *out);
    petite_status (*value_double)(const petite_value *v, double *out);
    petite_status (*value_bool)(const petite_value *v, int32_t *out);
    petite_tensor *(*value_tensor)(petite_value *v);
    petite_status (*value_list_len)(const petite_value *v, size_t *len);
    petite_status (*value_int_list_get)(const petite_value *v, size_t j, int64_t *out);
    void *(*tensor_data)(const petite_tensor *t);
    int32_t (*tensor_dtype)(const petite_tensor *t);
    int32_t (*tensor_rank)(const petite_tensor *t);
    int64_t (*tensor_size)(const petite_tensor *t, int32_t dim);
    int64_t (*tensor_numel)(const petite_tensor *t);
    int32_t (*tensor_is_contiguous)(const petite_tensor *t);
    petite_status (*tensor_resize)(petite_kernel_ctx *ctx, petite_tensor *t, int32_t rank, const int64_t *sizes);
    petite_status (*kernel_fail)(petite_kernel_ctx *ctx, petite_status status, const char *fmt, ...);
} petite_kernel_api;
typedef petite_status (*petite_kernel_library_init_fn)(const petite_kernel_api *api);

/* Load the kernel library at `path` and run its petite_kernel_library_init (register before
 * loading the methods that use its kernels). AccessFailed if it cannot be loaded or lacks the
 * init function (the last error says why); the init's own failure status otherwise. Libraries stay
 * loaded until the process ends. Not available in WebAssembly builds. */
PETITE_API petite_status petite_load_kernel_library(const char *path);

#ifdef __cplusplus
}
#endif
#endif /* PETITE_PETITE_H */
