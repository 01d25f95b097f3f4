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
#endif

/* Generic GEMM microkernel body for a table with tile MR x NR (used by the scalar table). */
#define PC_GEMM_EPILOGUE_ARGS const float *bias_n, const float *bias_m, float alpha, int accumulate, float lo, float hi

#endif
