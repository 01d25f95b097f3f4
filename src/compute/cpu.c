/* cpu.c — which ISA the microkernels use: detected once from the CPU (cpuid via the compiler's
 * __builtin_cpu_supports on x86-64; NEON always on AArch64, by getauxval(AT_HWCAP) on 32-bit Arm
 * Linux), capped by PETITE_ISA=scalar|avx2|avx512|neon|wasmsimd. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "compute/compute.h"
#include "compute/ukernels.h"

#if defined(__arm__) && defined(PC_HAVE_NEON) && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_NEON
#define HWCAP_NEON (1 << 12)
#endif
#endif

static const char *const names[PC_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon", "wasmsimd"};

const char *pc_isa_name(pc_isa isa) { return (unsigned)isa < PC_ISA_COUNT ? names[isa] : "unknown"; }

bool pc_isa_parse(const char *name, pc_isa *isa) {
    for (int i = 0; i < PC_ISA_COUNT; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *isa = (pc_isa)i;
            return true;
        }
    return false;
}

bool pc_isa_supported(pc_isa isa) {
    switch (isa) {
    case PC_ISA_SCALAR: return true;
#if defined(PC_HAVE_X86) && defined(__GNUC__)
    case PC_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case PC_ISA_AVX512:
        return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") &&
               __builtin_cpu_supports("fma");
#endif
#if defined(PC_HAVE_NEON) && defined(__aarch64__)
    case PC_ISA_NEON: return true;
#elif defined(PC_HAVE_NEON) && defined(__linux__)
    case PC_ISA_NEON: return (getauxval(AT_HWCAP) & HWCAP_NEON) != 0;
#endif
#ifdef PC_HAVE_WASMSIMD
    case PC_ISA_WASMSIMD: return true; /* the module would not have loaded otherwise */
#endif
    default: return false;
    }
}

#ifdef PC_HAVE_X86
/* PETITE_NO_VNNI=1 (read once) or pc_cpu_disable_vnni (tests): the AVX-512 kernels without VNNI on a
 * CPU that has it, to test and measure what AVX-512 CPUs without VNNI run */
static atomic_int vnni_off = -1;
void pc_cpu_disable_vnni(bool off) { atomic_store(&vnni_off, off ? 1 : 0); }

bool pc_cpu_has_vnni(void) {
#if defined(__GNUC__)
    int off = atomic_load(&vnni_off);
    if (off < 0) {
        const char *env = getenv("PETITE_NO_VNNI");
        off = env && env[0] && strcmp(env, "0") != 0;
        atomic_store(&vnni_off, off);
    }
    return !off && pc_isa_supported(PC_ISA_AVX512) && __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

bool pc_cpu_has_vbmi(void) {
#if defined(__GNUC__)
    return pc_isa_supported(PC_ISA_AVX512) && __builtin_cpu_supports("avx512vbmi");
#else
    return false;
#endif
}
#endif

#if defined(__aarch64__)
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
bool pc_cpu_has_dotprod(void) { return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; }
#elif defined(__APPLE__)
bool pc_cpu_has_dotprod(void) { return true; } /* every Apple arm64 core has it */
#else
bool pc_cpu_has_dotprod(void) { return false; }
#endif
#endif
#ifndef PC_HAVE_X86
void pc_cpu_disable_vnni(bool off) { (void)off; }
#endif

static atomic_int detected = -1; /* written once; every writer writes the same value */

pc_isa pc_isa_default(void) {
    int d = atomic_load_explicit(&detected, memory_order_acquire);
    if (d >= 0) return (pc_isa)d;
    pc_isa best = PC_ISA_SCALAR;
    for (int i = PC_ISA_COUNT - 1; i > 0; i--)
        if (pc_isa_supported((pc_isa)i)) {
            best = (pc_isa)i;
            break;
        }
    pc_isa cap;
    if (pc_isa_parse(getenv("PETITE_ISA"), &cap) && cap < best) best = cap;
    atomic_store_explicit(&detected, (int)best, memory_order_release);
    return best;
}

const pc_ukernels *pc_uk(pc_isa isa) {
#ifdef PC_HAVE_X86
    if (isa == PC_ISA_AVX512 && pc_isa_supported(isa)) return &pc_uk_avx512;
    if (isa == PC_ISA_AVX2 && pc_isa_supported(isa)) return &pc_uk_avx2;
#endif
#ifdef PC_HAVE_NEON
    if (isa == PC_ISA_NEON && pc_isa_supported(isa)) return &pc_uk_neon;
#endif
#ifdef PC_HAVE_WASMSIMD
    if (isa == PC_ISA_WASMSIMD) return &pc_uk_wasmsimd;
#endif
    (void)isa;
    return &pc_uk_scalar;
}
