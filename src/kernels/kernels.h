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

/* linear.c, conv.c, norm.c */
PK_DECL(pk_addmm_out); PK_DECL(pk_mm_out); PK_DECL(pk_bmm_out); PK_DECL(pk_convolution_out);
PK_DECL(pk_batch_norm_no_training_out); PK_DECL(pk_native_layer_norm_out);
/* unary.c */
PK_DECL(pk_relu_out); PK_DECL(pk_sigmoid_out); PK_DECL(pk_tanh_out); PK_DECL(pk_exp_out);
PK_DECL(pk_log_out); PK_DECL(pk_sqrt_out); PK_DECL(pk_rsqrt_out); PK_DECL(pk_neg_out);
PK_DECL(pk_abs_out); PK_DECL(pk_sin_out); PK_DECL(pk_cos_out); PK_DECL(pk_erf_out);
PK_DECL(pk_reciprocal_out); PK_DECL(pk_floor_out); PK_DECL(pk_ceil_out); PK_DECL(pk_round_out);
PK_DECL(pk_hardtanh_out); PK_DECL(pk_clamp_out); PK_DECL(pk_gelu_out); PK_DECL(pk_leaky_relu_out);
PK_DECL(pk_elu_out);
/* pool.c, reduce.c */
PK_DECL(pk_max_pool2d_with_indices_out); PK_DECL(pk_avg_pool2d_out); PK_DECL(pk_adaptive_avg_pool2d_out);
PK_DECL(pk_mean_out); PK_DECL(pk_sum_out); PK_DECL(pk_amax_out); PK_DECL(pk_amin_out); PK_DECL(pk_argmax_out);
/* shape.c */
PK_DECL(pk_view_copy_out); PK_DECL(pk_permute_copy_out); PK_DECL(pk_t_copy_out);
PK_DECL(pk_transpose_copy_out); PK_DECL(pk_expand_copy_out); PK_DECL(pk_unsqueeze_copy_out);
PK_DECL(pk_squeeze_copy_dim_out); PK_DECL(pk_squeeze_copy_dims_out); PK_DECL(pk_select_copy_out);
PK_DECL(pk_slice_copy_out); PK_DECL(pk_split_copy_out); PK_DECL(pk_split_with_sizes_copy_out);
PK_DECL(pk_unbind_copy_out); PK_DECL(pk_alias_copy_out); PK_DECL(pk_cat_out); PK_DECL(pk_constant_pad_nd_out);
/* index.c */
PK_DECL(pk_embedding_out); PK_DECL(pk_where_out); PK_DECL(pk_pow_tensor_scalar_out);
PK_DECL(pk_upsample_nearest2d_out); PK_DECL(pk_upsample_bilinear2d_out);
PK_DECL(pk_eq_scalar_out); PK_DECL(pk_ne_scalar_out); PK_DECL(pk_lt_scalar_out); PK_DECL(pk_le_scalar_out);
PK_DECL(pk_gt_scalar_out); PK_DECL(pk_ge_scalar_out); PK_DECL(pk_eq_tensor_out); PK_DECL(pk_ne_tensor_out);
PK_DECL(pk_lt_tensor_out); PK_DECL(pk_le_tensor_out); PK_DECL(pk_gt_tensor_out); PK_DECL(pk_ge_tensor_out);
/* logic.c and more */
PK_DECL(pk_bitwise_and_out); PK_DECL(pk_bitwise_or_out); PK_DECL(pk_bitwise_xor_out);
PK_DECL(pk_bitwise_and_scalar_out); PK_DECL(pk_bitwise_or_scalar_out); PK_DECL(pk_bitwise_xor_scalar_out);
PK_DECL(pk_logical_not_out); PK_DECL(pk_bitwise_not_out); PK_DECL(pk_floor_divide_out);
PK_DECL(pk_log1p_out); PK_DECL(pk_expm1_out);
/* cortex_m.c */
PK_DECL(pk_cm_quantized_conv2d_out); PK_DECL(pk_cm_quantized_depthwise_conv2d_out);
PK_DECL(pk_cm_quantized_avg_pool2d_out); PK_DECL(pk_cm_quantized_linear_out); PK_DECL(pk_cm_pad_out);
/* quant.c */
PK_DECL(pk_quantize_per_tensor_out); PK_DECL(pk_dequantize_per_tensor_out);
PK_DECL(pk_quantize_per_channel_out); PK_DECL(pk_dequantize_per_channel_out);

#endif
