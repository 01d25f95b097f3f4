/* kernels.c — the table of built-in kernels, expanded from kernels.def (a selective build: from the
 * subset CMakeLists.txt wrote for PETITE_SELECT_OPS, named by PETITE_SELECTED_KERNELS). */
#include "kernels/kernels.h"

#ifdef PETITE_SELECTED_KERNELS
const int pk_builtin_selective = 1;
#else
const int pk_builtin_selective = 0;
#endif

const pk_kernel_def pk_builtin_kernels[] = {
#define PK(name, run) {name, run, NULL},
#define PKP(name, run, prepare) {name, run, prepare},
#ifdef PETITE_SELECTED_KERNELS
#include PETITE_SELECTED_KERNELS
#else
#include "kernels/kernels.def"
#endif
#undef PK
#undef PKP
    {NULL, NULL, NULL},
};
