#include "util.h"

#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int util_is_float(int32_t d) {
    return d == PETITE_FLOAT16 || d == PETITE_BFLOAT16 || d == PETITE_FLOAT32 || d == PETITE_FLOAT64;
}

int util_is_number(int32_t d) {
    return util_is_float(d) || d == PETITE_BOOL || d == PETITE_UINT8 || d == PETITE_INT8 || d == PETITE_INT16 ||
           d == PETITE_INT32 || d == PETITE_INT64 || d == PETITE_UINT16 || d == PETITE_UINT32 || d == PETITE_UINT64;
}

static float half_to_float(uint16_t h) {
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
    float f = exp == 0 ? ldexpf((float)man, -24) : exp == 31 ? (man ? NAN : INFINITY) : ldexpf((float)(man | 0x400u), (int)exp - 25);
    return (h & 0x8000u) ? -f : f;
}

static uint16_t float_to_half(float f) { /* the CLI fills inputs with values that half represents well */
    uint16_t sign = f < 0 ? 0x8000u : 0;
    float a = fabsf(f);
    if (a == 0) return sign;
    int e;
    float m = frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
    if (e < -13) return sign;
    uint32_t man = (uint32_t)lrintf((m * 2.0f - 1.0f) * 1024.0f);
    if (man == 1024) man = 0, e++;
    return (uint16_t)(sign | (uint16_t)((uint32_t)(e + 14) << 10) | (uint16_t)man);
}

double util_load(const void *p, int32_t dtype, int64_t i) {
    switch (dtype) {
    case PETITE_FLOAT32: return ((const float *)p)[i];
    case PETITE_FLOAT64: return ((const double *)p)[i];
    case PETITE_FLOAT16: return half_to_float(((const uint16_t *)p)[i]);
    case PETITE_BFLOAT16: {
        uint32_t b = (uint32_t)((const uint16_t *)p)[i] << 16;
        float f;
        memcpy(&f, &b, 4);
        return f;
    }
    case PETITE_INT64: return (double)((const int64_t *)p)[i];
    case PETITE_INT32: return ((const int32_t *)p)[i];
    case PETITE_INT16: return ((const int16_t *)p)[i];
    case PETITE_INT8: return ((const int8_t *)p)[i];
    case PETITE_UINT8: case PETITE_BOOL: return ((const uint8_t *)p)[i];
    case PETITE_UINT16: return ((const uint16_t *)p)[i];
    case PETITE_UINT32: return ((const uint32_t *)p)[i];
    case PETITE_UINT64: return (double)((const uint64_t *)p)[i];
    default: return 0;
    }
}

void util_store(void *p, int32_t dtype, int64_t i, double v) {
    switch (dtype) {
    case PETITE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case PETITE_FLOAT64: ((double *)p)[i] = v; break;
    case PETITE_FLOAT16: ((uint16_t *)p)[i] = float_to_half((float)v); break;
    case PETITE_BFLOAT16: {
        float f = (float)v;
        uint32_t b;
        memcpy(&b, &f, 4);
        ((uint16_t *)p)[i] = (uint16_t)(b >> 16);
        break;
    }
    case PETITE_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    case PETITE_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case PETITE_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case PETITE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case PETITE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case PETITE_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    case PETITE_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case PETITE_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case PETITE_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    default: break;
    }
}

const char *util_shape(const int64_t *sizes, int32_t rank, char *buf, size_t cap) {
    size_t n = (size_t)snprintf(buf, cap, "[");
    for (int32_t d = 0; d < rank && n < cap; d++) n += (size_t)snprintf(buf + n, cap - n, d ? ", %lld" : "%lld", (long long)sizes[d]);
    if (n < cap) snprintf(buf + n, cap - n, "]");
    return buf;
}

const char *util_kind_name(int32_t k) {
    static const char *names[] = {"?", "none", "int", "bool", "double", "tensor", "string", "int_list", "double_list",
                                  "bool_list", "tensor_list", "optional_tensor_list"};
    return k >= 1 && k <= 11 ? names[k] : "?";
}

const char *util_isa_name(int32_t isa) {
    static const char *names[] = {"auto", "scalar", "avx2", "avx512", "neon", "wasmsimd"};
    return isa >= 0 && isa <= 5 ? names[isa] : "?";
}

int util_parse_isa(const char *s, int32_t *isa) {
    for (int32_t i = 0; i <= 5; i++)
        if (strcmp(s, util_isa_name(i)) == 0) {
            *isa = i;
            return 0;
        }
    return -1;
}

int util_parse_int(const char *cmd, const char *opt, const char *s, long long lo, long long hi, long long *out) {
    char *end = NULL;
    errno = 0;
    const long long v = s && *s && !isspace((unsigned char)*s) ? strtoll(s, &end, 10) : 0;
    if (!s || !end || end == s || *end || errno == ERANGE || v < lo || v > hi) {
        fprintf(stderr, "petite %s: %s '%s' is not an integer in %lld..%lld\n", cmd, opt, s ? s : "", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int util_parse_i(const char *cmd, const char *opt, const char *s, int lo, int hi, int *out) {
    long long v;
    if (util_parse_int(cmd, opt, s, lo, hi, &v)) return -1;
    *out = (int)v;
    return 0;
}

int util_parse_double(const char *cmd, const char *opt, const char *s, double lo, double hi, double *out) {
    char *end = NULL;
    const double v = s && *s && !isspace((unsigned char)*s) ? strtod(s, &end) : 0;
    if (!s || !end || end == s || *end || !isfinite(v) || !(v >= lo && v <= hi)) {
        fprintf(stderr, "petite %s: %s '%s' is not a finite number in [%g, %g]\n", cmd, opt, s ? s : "", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

/* Deterministic fill: a fixed LCG; floats in [-1, 1), integers in [0, 10), bools alternate. */
void util_fill(void *data, int32_t dtype, int64_t n, uint32_t seed) {
    uint32_t x = seed * 2654435761u + 12345u;
    for (int64_t i = 0; i < n; i++) {
        x = x * 1664525u + 1013904223u;
        double u = (double)(x >> 8) / 16777216.0;
        if (util_is_float(dtype)) util_store(data, dtype, i, 2.0 * u - 1.0);
        else if (dtype == PETITE_BOOL) util_store(data, dtype, i, (double)(i & 1));
        else util_store(data, dtype, i, (double)(int64_t)(u * 10));
    }
}

const char *cli_default_method(const petite_program *p) {
    size_t n = 0;
    const char *name = "", *first = "";
    petite_program_method_count(p, &n);
    for (size_t i = 0; i < n; i++) {
        if (petite_program_method_name(p, i, &name) != PETITE_OK) continue;
        if (i == 0) first = name;
        if (strcmp(name, "forward") == 0) return name;
    }
    return first;
}

int util_load_kernel_lib(const char *cmd, const char *path) {
    if (petite_load_kernel_library(path) == PETITE_OK) return 0;
    fprintf(stderr, "petite %s: %s\n", cmd, petite_last_error());
    return -1;
}

/* a line "NAME: N kB" of /proc/self/status (Linux), or -1 */
long util_proc_status_kb(const char *name) {
    long v = -1;
#if defined(__linux__)
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    if (f) fclose(f);
#else
    (void)name;
#endif
    return v;
}
