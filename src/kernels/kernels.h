/* kernels.h — declarations of every built-in kernel, expanded from kernels.def. */
#ifndef PETITE_KERNELS_KERNELS_H
#define PETITE_KERNELS_KERNELS_H

#include "kernels/kernel.h"

#define PK(name, run) petite_status run(petite_kernel_ctx *c, petite_value **args, size_t nargs);
#define PKP(name, run, prepare)                                                   \
    petite_status run(petite_kernel_ctx *c, petite_value **args, size_t nargs);  \
    petite_status prepare(pk_prepare *p, petite_value **args, size_t nargs, void **state);
#include "kernels/kernels.def"
#undef PK
#undef PKP

/* shared between kernel files */
petite_status pk_copy_convert(petite_kernel_ctx *c, const pt_tensor *in, pt_tensor *out);

#endif
