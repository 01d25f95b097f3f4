/* kernels.h — every built-in portable kernel (the registry table is in kernels.c). */
#ifndef PETITE_KERNELS_KERNELS_H
#define PETITE_KERNELS_KERNELS_H

#include "runtime/value.h"

#define PK_DECL(name) petite_status name(petite_kernel_ctx *c, petite_value **args, size_t nargs)

/* binary.c */
PK_DECL(pk_add_out); PK_DECL(pk_sub_out); PK_DECL(pk_mul_out); PK_DECL(pk_div_out);
PK_DECL(pk_div_out_mode); PK_DECL(pk_add_scalar_out); PK_DECL(pk_sub_scalar_out);
PK_DECL(pk_rsub_scalar_out); PK_DECL(pk_mul_scalar_out); PK_DECL(pk_div_scalar_out);
PK_DECL(pk_div_scalar_mode_out);
/* copy.c */
PK_DECL(pk_to_dim_order_copy_out); PK_DECL(pk_clone_dim_order_out); PK_DECL(pk_clone_out);
PK_DECL(pk_to_copy_out);
petite_status pk_copy_convert(petite_kernel_ctx *c, const pt_tensor *in, pt_tensor *out);
/* softmax.c */
PK_DECL(pk_softmax_out); PK_DECL(pk_log_softmax_out);
/* prim.c */
PK_DECL(pk_sym_size_int); PK_DECL(pk_sym_numel); PK_DECL(pk_prim_add); PK_DECL(pk_prim_sub);
PK_DECL(pk_prim_mul); PK_DECL(pk_prim_floordiv); PK_DECL(pk_prim_truediv); PK_DECL(pk_prim_eq);
PK_DECL(pk_prim_gt); PK_DECL(pk_prim_lt); PK_DECL(pk_prim_ge); PK_DECL(pk_prim_le);
PK_DECL(pk_et_view);

#endif
