/* dtype.c - element types of snapshots and exact float16/bfloat16 <->
 * float32 conversions (bit manipulation, round to nearest even). */
#include "gradtap/dtype.h"
#include "gradtap/status.h"

#include <string.h>

size_t gtap_dtype_size(gtap_dtype dtype)
{
    switch (dtype) {
    case GTAP_FLOAT32: return 4;
    case GTAP_FLOAT16: return 2;
    case GTAP_BFLOAT16: return 2;
    default: return 0;
    }
}

const char *gtap_dtype_name(gtap_dtype dtype)
{
    switch (dtype) {
    case GTAP_FLOAT32: return "float32";
    case GTAP_FLOAT16: return "float16";
    case GTAP_BFLOAT16: return "bfloat16";
    default: return "invalid";
    }
}

gtap_dtype gtap_dtype_from_name(const char *name)
{
    static const struct { const char *name; gtap_dtype dtype; } names[] = {
        {"float32", GTAP_FLOAT32}, {"f32", GTAP_FLOAT32}, {"fp32", GTAP_FLOAT32},
        {"float16", GTAP_FLOAT16}, {"f16", GTAP_FLOAT16}, {"fp16", GTAP_FLOAT16},
        {"half", GTAP_FLOAT16},
        {"bfloat16", GTAP_BFLOAT16}, {"bf16", GTAP_BFLOAT16},
    };
    if (name == NULL) return GTAP_DTYPE_INVALID;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) return names[i].dtype;
    return GTAP_DTYPE_INVALID;
}

static uint32_t float_bits(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

static float bits_float(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

float gtap_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) /* Inf or NaN */
        return bits_float(sign | 0x7f800000u | (mantissa << 13));
    if (exponent == 0) {
        if (mantissa == 0) return bits_float(sign);
        /* subnormal: value = mantissa * 2^-24, exact in float32 */
        float magnitude = (float)mantissa * 5.9604644775390625e-8f;
        return sign ? -magnitude : magnitude;
    }
    return bits_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

uint16_t gtap_float_to_half(float f)
{
    uint32_t bits = float_bits(f);
    uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    uint32_t abs_bits = bits & 0x7fffffffu;
    if (abs_bits >= 0x7f800000u) { /* Inf or NaN */
        if (abs_bits > 0x7f800000u)
            return (uint16_t)(sign | 0x7e00u | ((abs_bits >> 13) & 0x3ffu));
        return (uint16_t)(sign | 0x7c00u);
    }
    if (abs_bits >= 0x477ff000u) /* rounds to >= 65520: overflow to Inf */
        return (uint16_t)(sign | 0x7c00u);
    if (abs_bits < 0x38800000u) { /* below the smallest normal half, 2^-14 */
        /* subnormal half: round abs / 2^-24 to nearest even integer */
        uint32_t exponent = abs_bits >> 23;
        if (exponent < 102) return sign; /* < 2^-25: rounds to zero */
        uint32_t mantissa = (abs_bits & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126 - exponent; /* 14..24 */
        uint32_t half_mantissa = mantissa >> shift;
        uint32_t remainder = mantissa & ((1u << shift) - 1);
        uint32_t halfway = 1u << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (half_mantissa & 1u)))
            half_mantissa++;
        return (uint16_t)(sign | half_mantissa);
    }
    /* normal: rebias exponent, round mantissa to 10 bits, nearest even */
    uint32_t rounded = abs_bits + 0xfffu + ((abs_bits >> 13) & 1u);
    return (uint16_t)(sign | ((rounded - 0x38000000u) >> 13));
}

float gtap_bf16_to_float(uint16_t b)
{
    return bits_float((uint32_t)b << 16);
}

uint16_t gtap_float_to_bf16(float f)
{
    uint32_t bits = float_bits(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) /* NaN: keep it quiet and a NaN */
        return (uint16_t)((bits >> 16) | 0x40u);
    uint32_t rounded = bits + 0x7fffu + ((bits >> 16) & 1u);
    return (uint16_t)(rounded >> 16);
}

int gtap_to_float32(gtap_dtype dtype, const void *src, float *dst, size_t count)
{
    if (count == 0) return GTAP_OK;
    if (src == NULL || dst == NULL)
        return gtap_set_error(GTAP_EINVAL, "gtap_to_float32: NULL buffer");
    switch (dtype) {
    case GTAP_FLOAT32:
        if ((const void *)dst != src) memmove(dst, src, count * sizeof(float));
        return GTAP_OK;
    case GTAP_FLOAT16: {
        const uint16_t *in = src;
        for (size_t i = 0; i < count; i++) dst[i] = gtap_half_to_float(in[i]);
        return GTAP_OK;
    }
    case GTAP_BFLOAT16: {
        const uint16_t *in = src;
        for (size_t i = 0; i < count; i++) dst[i] = gtap_bf16_to_float(in[i]);
        return GTAP_OK;
    }
    default:
        return gtap_set_error(GTAP_EDTYPE, "unsupported dtype code %d", (int)dtype);
    }
}

int gtap_from_float32(gtap_dtype dtype, const float *src, void *dst, size_t count)
{
    if (count == 0) return GTAP_OK;
    if (src == NULL || dst == NULL)
        return gtap_set_error(GTAP_EINVAL, "gtap_from_float32: NULL buffer");
    switch (dtype) {
    case GTAP_FLOAT32:
        if ((void *)src != dst) memmove(dst, src, count * sizeof(float));
        return GTAP_OK;
    case GTAP_FLOAT16: {
        uint16_t *out = dst;
        for (size_t i = 0; i < count; i++) out[i] = gtap_float_to_half(src[i]);
        return GTAP_OK;
    }
    case GTAP_BFLOAT16: {
        uint16_t *out = dst;
        for (size_t i = 0; i < count; i++) out[i] = gtap_float_to_bf16(src[i]);
        return GTAP_OK;
    }
    default:
        return gtap_set_error(GTAP_EDTYPE, "unsupported dtype code %d", (int)dtype);
    }
}
