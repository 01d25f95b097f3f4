/* dtype.h — element sizes, names, promotion and scalar conversion for petite_dtype. */
#ifndef PETITE_CORE_DTYPE_H
#define PETITE_CORE_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "petite/petite.h"

bool pt_dtype_valid(int32_t dtype);
bool pt_dtype_is_float(int32_t dtype);    /* float16, bfloat16, float32, float64 */
bool pt_dtype_is_integral(int32_t dtype); /* signed/unsigned integers, not bool */
/* The computation kinds the element-wise kernels support (bool, ints, floats). */
bool pt_dtype_is_arith(int32_t dtype);

/* torch.promote_types for the arithmetic dtypes; -1 if there is no rule. */
int32_t pt_promote(int32_t a, int32_t b);
/* torch.can_cast(from, to): no float->integral, no non-bool->bool. */
bool pt_can_cast(int32_t from, int32_t to);

float pt_half_to_float(uint16_t h);
uint16_t pt_float_to_half(float f);
float pt_bf16_to_float(uint16_t h);
uint16_t pt_float_to_bf16(float f);

/* Element i of a buffer of `dtype`, as double / int64 (arith dtypes only). */
static inline double pt_load_f64(const void *p, int32_t dtype, int64_t i) {
    switch (dtype) {
    case PETITE_FLOAT32: return ((const float *)p)[i];
    case PETITE_FLOAT64: return ((const double *)p)[i];
    case PETITE_INT64: return (double)((const int64_t *)p)[i];
    case PETITE_INT32: return ((const int32_t *)p)[i];
    case PETITE_INT16: return ((const int16_t *)p)[i];
    case PETITE_INT8: return ((const int8_t *)p)[i];
    case PETITE_UINT8: return ((const uint8_t *)p)[i];
    case PETITE_BOOL: return ((const uint8_t *)p)[i] != 0;
    case PETITE_FLOAT16: return pt_half_to_float(((const uint16_t *)p)[i]);
    case PETITE_BFLOAT16: return pt_bf16_to_float(((const uint16_t *)p)[i]);
    case PETITE_UINT16: return ((const uint16_t *)p)[i];
    case PETITE_UINT32: return ((const uint32_t *)p)[i];
    case PETITE_UINT64: return (double)((const uint64_t *)p)[i];
    default: return 0;
    }
}

static inline int64_t pt_load_i64(const void *p, int32_t dtype, int64_t i) {
    switch (dtype) {
    case PETITE_INT64: return ((const int64_t *)p)[i];
    case PETITE_INT32: return ((const int32_t *)p)[i];
    case PETITE_INT16: return ((const int16_t *)p)[i];
    case PETITE_INT8: return ((const int8_t *)p)[i];
    case PETITE_UINT8: return ((const uint8_t *)p)[i];
    case PETITE_BOOL: return ((const uint8_t *)p)[i] != 0;
    case PETITE_UINT16: return ((const uint16_t *)p)[i];
    case PETITE_UINT32: return ((const uint32_t *)p)[i];
    case PETITE_UINT64: return (int64_t)((const uint64_t *)p)[i];
    default: {
        double d = pt_load_f64(p, dtype, i);
        return d != d ? 0 : (d >= 9.2e18 ? INT64_MAX : (d <= -9.2e18 ? INT64_MIN : (int64_t)d));
    }
    }
}

/* Store double v into element i, converting as a C cast would (floats: round to nearest;
 * integers: truncation toward zero, saturated to stay defined). */
void pt_store_f64(void *p, int32_t dtype, int64_t i, double v);
/* Store an exact integer (wraps modulo 2^bits for narrower integer types, as torch does). */
void pt_store_i64(void *p, int32_t dtype, int64_t i, int64_t v);

#endif
