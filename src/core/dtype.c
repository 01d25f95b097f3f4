#include "core/dtype.h"

#include <math.h>

/* One row per dtype: every fact the code needs about it, kept once (ggml's type_traits). */
typedef struct pt_dtype_traits {
    const char *name;
    uint8_t size;     /* bytes per element (0: not a dtype) */
    uint8_t kind;     /* PT_DK_* */
    uint8_t rank;     /* width rank within signed ints, for promotion */
} pt_dtype_traits;

enum { PT_DK_NONE, PT_DK_BOOL, PT_DK_SIGNED, PT_DK_UNSIGNED, PT_DK_FLOAT, PT_DK_QUANT };

static const pt_dtype_traits traits[] = {
    [PETITE_UINT8] = {"uint8", 1, PT_DK_UNSIGNED, 0},
    [PETITE_INT8] = {"int8", 1, PT_DK_SIGNED, 1},
    [PETITE_INT16] = {"int16", 2, PT_DK_SIGNED, 2},
    [PETITE_INT32] = {"int32", 4, PT_DK_SIGNED, 3},
    [PETITE_INT64] = {"int64", 8, PT_DK_SIGNED, 4},
    [PETITE_FLOAT16] = {"float16", 2, PT_DK_FLOAT, 0},
    [PETITE_FLOAT32] = {"float32", 4, PT_DK_FLOAT, 0},
    [PETITE_FLOAT64] = {"float64", 8, PT_DK_FLOAT, 0},
    [PETITE_BOOL] = {"bool", 1, PT_DK_BOOL, 0},
    [PETITE_QINT8] = {"qint8", 1, PT_DK_QUANT, 0},
    [PETITE_QUINT8] = {"quint8", 1, PT_DK_QUANT, 0},
    [PETITE_QINT32] = {"qint32", 4, PT_DK_QUANT, 0},
    [PETITE_BFLOAT16] = {"bfloat16", 2, PT_DK_FLOAT, 0},
    [PETITE_UINT16] = {"uint16", 2, PT_DK_UNSIGNED, 0},
    [PETITE_UINT32] = {"uint32", 4, PT_DK_UNSIGNED, 0},
    [PETITE_UINT64] = {"uint64", 8, PT_DK_UNSIGNED, 0},
};

static const pt_dtype_traits *tr(int32_t dtype) {
    static const pt_dtype_traits none = {"unknown", 0, PT_DK_NONE, 0};
    if (dtype < 0 || (size_t)dtype >= sizeof traits / sizeof traits[0] || !traits[dtype].size) return &none;
    return &traits[dtype];
}

size_t petite_dtype_size(int32_t dtype) { return tr(dtype)->size; }
const char *petite_dtype_name(int32_t dtype) { return tr(dtype)->name; }
bool pt_dtype_valid(int32_t dtype) { return tr(dtype)->size != 0; }
bool pt_dtype_is_float(int32_t d) { return tr(d)->kind == PT_DK_FLOAT; }
bool pt_dtype_is_integral(int32_t d) { return tr(d)->kind == PT_DK_SIGNED || tr(d)->kind == PT_DK_UNSIGNED; }
bool pt_dtype_is_arith(int32_t d) { return tr(d)->kind != PT_DK_NONE && tr(d)->kind != PT_DK_QUANT; }
static bool is_unsigned(int32_t d) { return tr(d)->kind == PT_DK_UNSIGNED; }

int32_t pt_promote(int32_t a, int32_t b) {
    if (!pt_dtype_is_arith(a) || !pt_dtype_is_arith(b)) return -1;
    if (a == b) return a;
    if (a == PETITE_BOOL) return b;
    if (b == PETITE_BOOL) return a;
    bool fa = pt_dtype_is_float(a), fb = pt_dtype_is_float(b);
    if (fa && !fb) return a;
    if (fb && !fa) return b;
    if (fa && fb) {
        if (a == PETITE_FLOAT64 || b == PETITE_FLOAT64) return PETITE_FLOAT64;
        if (a == PETITE_FLOAT32 || b == PETITE_FLOAT32) return PETITE_FLOAT32;
        return PETITE_FLOAT32; /* half + bfloat16 */
    }
    /* both integral */
    bool ua = is_unsigned(a), ub = is_unsigned(b);
    if (ua && ub) return petite_dtype_size(a) >= petite_dtype_size(b) ? a : b;
    if (!ua && !ub) return tr(a)->rank >= tr(b)->rank ? a : b;
    int32_t u = ua ? a : b, s = ua ? b : a;
    if (u == PETITE_UINT8) return s == PETITE_INT8 ? PETITE_INT16 : s;
    /* torch has no rule for the wider unsigned types with signed ones */
    return petite_dtype_size(s) > petite_dtype_size(u) ? s : -1;
}

bool pt_can_cast(int32_t from, int32_t to) {
    if (pt_dtype_is_float(from) && pt_dtype_is_integral(to)) return false;
    if (from != PETITE_BOOL && to == PETITE_BOOL) return false;
    return true;
}

/* IEEE half <-> float, exact for every half value, round-to-nearest-even the other way. */
float pt_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ffu;
    float f;
    if (exp == 0) {
        f = ldexpf((float)man, -24);
    } else if (exp == 31) {
        f = man ? NAN : INFINITY;
    } else {
        f = ldexpf((float)(man | 0x400u), (int)exp - 25);
    }
    uint32_t bits;
    memcpy(&bits, &f, 4);
    bits |= sign;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t pt_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);           /* NaN */
    if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u);          /* overflow -> inf */
    if (ax < 0x38800000u) {                                            /* subnormal or zero */
        float a;
        memcpy(&a, &ax, 4);
        float scaled = a * 16777216.0f; /* 2^24: value in units of the smallest subnormal */
        return (uint16_t)(sign | (uint16_t)lrintf(scaled));
    }
    uint32_t exp = (ax >> 23) - 127 + 15, man = ax & 0x7fffffu;
    uint32_t h = (exp << 10) | (man >> 13), rest = man & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
}

float pt_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t pt_float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
    x += 0x7fffu + ((x >> 16) & 1u);
    return (uint16_t)(x >> 16);
}

static int64_t sat_i64(double v) {
    if (v != v) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
}

void pt_store_f64(void *p, int32_t dtype, int64_t i, double v) {
    switch (dtype) {
    case PETITE_FLOAT32: ((float *)p)[i] = (float)v; return;
    case PETITE_FLOAT64: ((double *)p)[i] = v; return;
    case PETITE_FLOAT16: ((uint16_t *)p)[i] = pt_float_to_half((float)v); return;
    case PETITE_BFLOAT16: ((uint16_t *)p)[i] = pt_float_to_bf16((float)v); return;
    case PETITE_BOOL: ((uint8_t *)p)[i] = v != 0; return;
    default: pt_store_i64(p, dtype, i, sat_i64(v)); return;
    }
}

void pt_store_i64(void *p, int32_t dtype, int64_t i, int64_t v) {
    switch (dtype) {
    case PETITE_INT64: ((int64_t *)p)[i] = v; return;
    case PETITE_INT32: ((int32_t *)p)[i] = (int32_t)(uint32_t)v; return;
    case PETITE_INT16: ((int16_t *)p)[i] = (int16_t)(uint16_t)v; return;
    case PETITE_INT8: ((int8_t *)p)[i] = (int8_t)(uint8_t)v; return;
    case PETITE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; return;
    case PETITE_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; return;
    case PETITE_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; return;
    case PETITE_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; return;
    case PETITE_BOOL: ((uint8_t *)p)[i] = v != 0; return;
    default:
        if (pt_dtype_is_float(dtype)) pt_store_f64(p, dtype, i, (double)v);
        return;
    }
}
