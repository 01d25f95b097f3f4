/* ukernels_scalar.c — the portable microkernel table: plain C, compiled for the baseline ISA. */
#define PC_UK(name) name##__scalar
#define PC_UK_FAST_MATH 0
#define PC_UK_GEMM_MR 4
#define PC_UK_GEMM_NR 8
#include "compute/ukernels.inc"

const pc_ukernels pc_uk_scalar = {
    PC_ISA_SCALAR, PC_UK_GEMM_MR, PC_UK_GEMM_NR, PC_UK(gemm_f32), PC_UK(gemm_f32), PC_UK(igemm_f32), PC_UK(qigemm_s8), PC_UK(qdwconv_s8), PC_UK(qdwconv_s8_row), PC_UK(quantize_f32), PC_UK(dequantize_f32), PC_UK(vunary_f32), PC_UK(vbinary_f32), PC_UK(vbinary_q8),
    PC_UK(dwconv_f32), PC_UK(dwconv_f32_row), PC_UK(dwconv_chw_f32_row), PC_UK(softmax_f32_row), PC_UK(max_f32_strided), PC_UK(sum_f32), PC_UK(add_f32_strided), PC_UK(affine_f32), PC_UK(qdot_s8), PC_UK(qdot_s8_blocks), NULL, PC_UK(attn_scores_f32), PC_UK(attn_values_f32),
};
