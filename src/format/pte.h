/* pte.h — the `.pte` container: file header, extended header (eh00) and the field ids of the
 * Program flatbuffer schema (schema/program.fbs of ExecuTorch, namespace executorch_flatbuffer).
 * Field ids are positions in the schema's table declarations; unions take two ids (type, value). */
#ifndef PETITE_FORMAT_PTE_H
#define PETITE_FORMAT_PTE_H

#include <stdbool.h>
#include <stdint.h>

#include "format/fb.h"

/* Program */
enum { PRG_VERSION, PRG_EXECUTION_PLAN, PRG_CONSTANT_BUFFER, PRG_BACKEND_DELEGATE_DATA,
       PRG_SEGMENTS, PRG_CONSTANT_SEGMENT, PRG_MUTABLE_DATA_SEGMENTS, PRG_NAMED_DATA };
/* ExecutionPlan */
enum { PLAN_NAME, PLAN_CONTAINER_META, PLAN_VALUES, PLAN_INPUTS, PLAN_OUTPUTS, PLAN_CHAINS,
       PLAN_OPERATORS, PLAN_DELEGATES, PLAN_NON_CONST_BUFFER_SIZES, PLAN_NON_CONST_BUFFER_DEVICE };
enum { CHAIN_INPUTS, CHAIN_OUTPUTS, CHAIN_INSTRUCTIONS, CHAIN_STACKTRACE };
enum { INSTR_ARGS_TYPE, INSTR_ARGS };
/* InstructionArguments union members */
enum { INSTR_NONE, INSTR_KERNEL_CALL, INSTR_DELEGATE_CALL, INSTR_MOVE_CALL, INSTR_JUMP_FALSE_CALL,
       INSTR_FREE_CALL };
enum { KCALL_OP_INDEX, KCALL_ARGS };      /* KernelCall; DelegateCall has the same layout */
enum { MOVE_FROM, MOVE_TO };
enum { JF_COND_VALUE_INDEX, JF_DESTINATION };
enum { FREE_VALUE_INDEX };
enum { EVALUE_VAL_TYPE, EVALUE_VAL };
/* KernelTypes union members */
enum { KT_NONE, KT_NULL, KT_INT, KT_BOOL, KT_DOUBLE, KT_TENSOR, KT_STRING, KT_INT_LIST,
       KT_DOUBLE_LIST, KT_BOOL_LIST, KT_TENSOR_LIST, KT_OPTIONAL_TENSOR_LIST };
enum { TENSOR_SCALAR_TYPE, TENSOR_STORAGE_OFFSET, TENSOR_SIZES, TENSOR_DIM_ORDER,
       TENSOR_REQUIRES_GRAD, TENSOR_DATA_BUFFER_IDX, TENSOR_ALLOCATION_INFO, TENSOR_LAYOUT,
       TENSOR_SHAPE_DYNAMISM, TENSOR_EXTRA_INFO };
enum { EXTRA_MUTABLE_DATA_SEGMENTS_IDX, EXTRA_FQN, EXTRA_LOCATION, EXTRA_DEVICE_TYPE,
       EXTRA_DEVICE_INDEX };
enum { ALLOC_MEMORY_ID, ALLOC_OFFSET_LOW, ALLOC_OFFSET_HIGH };
enum { OPERATOR_NAME, OPERATOR_OVERLOAD };
enum { DELEGATE_ID, DELEGATE_PROCESSED, DELEGATE_COMPILE_SPECS };
enum { DREF_LOCATION, DREF_INDEX };
enum { CSPEC_KEY, CSPEC_VALUE };
enum { BUFFER_STORAGE };
enum { SEGMENT_OFFSET, SEGMENT_SIZE };
enum { SUBSEG_SEGMENT_INDEX, SUBSEG_OFFSETS };
enum { NAMED_KEY, NAMED_SEGMENT_INDEX };

enum { PTE_LOCATION_INLINE = 0, PTE_LOCATION_SEGMENT = 1 };     /* DataLocation */
enum { PTE_TENSOR_SEGMENT = 0, PTE_TENSOR_EXTERNAL = 1 };       /* TensorDataLocation */

#define PTE_EH_MAGIC "eh00"
#define PTE_EH_MIN_LENGTH 24u

typedef struct pte_header {
    bool present;              /* an eh00 extended header was found */
    uint32_t length;           /* its declared length (24 or 32 today) */
    uint64_t program_size;     /* bytes of flatbuffer data incl. headers, from byte 0 */
    uint64_t segment_base;     /* file offset of segment data; 0 if none */
    uint64_t segment_data_size;/* only in headers of length >= 32, else 0 */
} pte_header;

/* Parse the file identifier ("ET12") and the optional extended header of a file of `size`
 * bytes, and check the sizes against the file as the official runtime does. */
petite_status pte_parse_header(const uint8_t *data, size_t size, pte_header *h, pt_err *e);

#endif
