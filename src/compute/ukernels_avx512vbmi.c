/* ukernels_avx512vbmi.c — byte table lookups on AVX-512 VBMI: 64 bytes at a time, the 256-entry
 * table in four registers (vpermi2b over each half, the index's top bit choosing the half).
 * Compiled with -mavx512vbmi; used only where the CPU reports it (see elementwise.c). */
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#include "compute/ukernels.h"

void pc_lut8__avx512vbmi(size_t n, const uint8_t *x, const uint8_t *table, uint8_t *y) {
    const __m512i t0 = _mm512_loadu_si512(table), t1 = _mm512_loadu_si512(table + 64);
    const __m512i t2 = _mm512_loadu_si512(table + 128), t3 = _mm512_loadu_si512(table + 192);
    size_t i = 0;
    for (; i < n; i += 64) {
        const __mmask64 m = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
        const __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
        const __m512i lo = _mm512_permutex2var_epi8(t0, v, t1), hi = _mm512_permutex2var_epi8(t2, v, t3);
        const __mmask64 top = _mm512_movepi8_mask(v); /* index >= 128 */
        _mm512_mask_storeu_epi8(y + i, m, _mm512_mask_blend_epi8(top, lo, hi));
    }
}
#endif
