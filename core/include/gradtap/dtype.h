/*
 * gradtap/dtype.h - the element types a snapshot may hold, and exact
 * conversions between them and float32.
 *
 * float16 is IEEE 754 binary16; bfloat16 is the upper 16 bits of a binary32
 * (8 exponent bits, 7 mantissa bits). Both widen to float32 exactly. The
 * narrowing conversions round to nearest even and keep NaN a NaN.
 * Part of gradtap_core (no dependencies).
 */
#ifndef GRADTAP_DTYPE_H
#define GRADTAP_DTYPE_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gtap_dtype {
    GTAP_DTYPE_INVALID = 0,
    GTAP_FLOAT32 = 1,
    GTAP_FLOAT16 = 2,
    GTAP_BFLOAT16 = 3
} gtap_dtype;

/* Bytes per element (4, 2 or 2); 0 for an invalid dtype. */
GTAP_API size_t gtap_dtype_size(gtap_dtype dtype);

/* The canonical name ("float32", "float16", "bfloat16"); "invalid" otherwise. */
GTAP_API const char *gtap_dtype_name(gtap_dtype dtype);

/* Parse a name ("float32"/"f32"/"fp32", "float16"/"f16"/"fp16"/"half",
 * "bfloat16"/"bf16"). @return the dtype, or GTAP_DTYPE_INVALID. */
GTAP_API gtap_dtype gtap_dtype_from_name(const char *name);

/* Scalar conversions. */
GTAP_API float gtap_half_to_float(uint16_t h);
GTAP_API uint16_t gtap_float_to_half(float f);
GTAP_API float gtap_bf16_to_float(uint16_t b);
GTAP_API uint16_t gtap_float_to_bf16(float f);

/* gtap_to_float32() - widen `count` elements of `dtype` at `src` into `dst`
 * (which must not overlap src unless dtype is float32 and src == dst).
 * @return GTAP_OK, or GTAP_EDTYPE / GTAP_EINVAL. */
GTAP_API int gtap_to_float32(gtap_dtype dtype, const void *src, float *dst, size_t count);

/* gtap_from_float32() - narrow `count` floats into `dtype` at `dst`.
 * @return GTAP_OK, or GTAP_EDTYPE / GTAP_EINVAL. */
GTAP_API int gtap_from_float32(gtap_dtype dtype, const float *src, void *dst, size_t count);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_DTYPE_H */
