/* ukernels.h — what the per-ISA microkernel files share (internal to src/compute). */
#ifndef PETITE_COMPUTE_UKERNELS_H
#define PETITE_COMPUTE_UKERNELS_H

#include "compute/compute.h"

/* The microkernel tables, one per ISA file (ukernels_<isa>.c); NULL where the build has none. */
extern const pc_ukernels pc_uk_scalar;
#if defined(__x86_64__) || defined(_M_X64)
#define PC_HAVE_X86 1
extern const pc_ukernels pc_uk_avx2;
extern const pc_ukernels pc_uk_avx512;
/* the int8 tile on AVX-512 VNNI (ukernels_avx512vnni.c): 8 x 32 */
void pc_qigemm_s8_8x32__avx512vnni(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *w,
                                   int8_t *c, size_t ldc, const pc_qout *q);
void pc_qigemm_s8_1x32__avx512vnni(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *w,
                                   int8_t *c, size_t ldc, const pc_qout *q);
bool pc_cpu_has_vnni(void);
/* qbint4 over a packed 16-channel tile with vpdpbusd (pc_ukernels.qb4w_tile's contract) */
void pc_qb4w_tile__avx512vnni(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                              const uint8_t *tile, size_t gs, size_t ng, float *v);
/* a 256-entry byte table on AVX-512 VBMI (ukernels_avx512vbmi.c) */
void pc_lut8__avx512vbmi(size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y);
bool pc_cpu_has_vbmi(void);
/* int8 depthwise, n pixels of a row away from padding (KW 3 or 5, stride S 1 or 2, no dilation):
 * x at the first pixel's top-left tap, ldrow bytes between input rows; wp: pc_qdw_pack_fill's blocks of
 * 64 channels (bias, scale, then the weights as four kernel rows per int32 lane, in the kernel's order) */
void pc_qdw_row_s8__avx512vnni(size_t C, size_t n, size_t KH, size_t KW, size_t S, const int8_t *x, size_t ldrow,
                               const int8_t *wp, int8_t *y, const pc_qout *q);
/* the int8 tile on AVX2 (ukernels_avx2.c): 4 x 16, int8 pairs widened on load, vpmaddwd */
void pc_qigemm_s8_4x16__avx2(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *w,
                             int8_t *c, size_t ldc, const pc_qout *q);
#endif

#if defined(__aarch64__) || (defined(__arm__) && !defined(PETITE_NO_NEON))
#define PC_HAVE_NEON 1
extern const pc_ukernels pc_uk_neon;
#endif
#if defined(__aarch64__)
/* the int8 tile with sdot (ukernels_neondot.c): 4 x 16 on the portable tile's packing */
void pc_qigemm_s8_4x16__neondot(size_t mr, size_t nr, size_t kc, size_t ks, const int8_t *const *a, const void *w,
                                int8_t *c, size_t ldc, const pc_qout *q);
bool pc_cpu_has_dotprod(void);
/* qbint4 over a packed 16-channel tile with sdot (pc_ukernels.qb4w_tile's contract) */
void pc_qb4w_tile__neondot(size_t rows, const int8_t *q, size_t ld, const int32_t *qsum, const float *zp,
                           const uint8_t *tile, size_t gs, size_t ng, float *v);
#endif

#if defined(__EMSCRIPTEN__) && defined(PETITE_WASM_SIMD)
#define PC_HAVE_WASMSIMD 1
extern const pc_ukernels pc_uk_wasmsimd;
#endif

/* Generic GEMM microkernel body for a table with tile MR x NR (used by the scalar table). */
#define PC_GEMM_EPILOGUE_ARGS const float *bias_n, const float *bias_m, float alpha, int accumulate, float lo, float hi

#endif
