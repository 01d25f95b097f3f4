/* kernels.c — the table of built-in kernels, expanded from kernels.def. */
#include "kernels/kernels.h"

const pk_kernel_def pk_builtin_kernels[] = {
#define PK(name, run) {name, run, NULL},
#define PKP(name, run, prepare) {name, run, prepare},
#include "kernels/kernels.def"
#undef PK
#undef PKP
    {NULL, NULL, NULL},
};
