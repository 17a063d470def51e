/*
 * keys.h - the orderings every gradtap_cuda selector uses, written once for
 * both the CUDA kernels and their plain C references (docs/THEORY.md s.1, s.4.2).
 *
 * Magnitude key: the bit pattern of |u| (sign cleared), which orders
 * non-negative IEEE floats like their values; NaN patterns lie above +Inf,
 * so NaN ranks as the largest magnitude (like torch.topk).
 * Selection key: 64 bits, (magnitude key << 33) | ~index in the low 32 bits,
 * so the larger key wins and among equal magnitudes the LOWER index wins.
 * Every key is unique, which makes radix select and ties deterministic.
 */
#ifndef GRADTAP_CUDA_KEYS_H
#define GRADTAP_CUDA_KEYS_H

#include <stdint.h>
#include <string.h>

#include "gradtap/export.h" /* GTAP_HD */

/* 31-bit magnitude key of a float. */
GTAP_HD uint32_t gtap_mag_key(float v) {
#if defined(__CUDA_ARCH__)
    return (uint32_t)__float_as_uint(v) & 0x7fffffffu;
#else
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits & 0x7fffffffu;
#endif
}

/* The float whose magnitude key is `key` (key < 2^31). */
GTAP_HD float gtap_key_float(uint32_t key) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(key);
#else
    float v;
    memcpy(&v, &key, sizeof v);
    return v;
#endif
}

/* The high word of a selection key for magnitude selection: the 31-bit
 * magnitude key shifted left by one, so the first radix digit covers the 8
 * exponent bits and the top 3 mantissa bits. */
GTAP_HD uint32_t gtap_mag_hi(float v) { return gtap_mag_key(v) << 1; }

/* 64-bit selection key from a high word and an index. */
GTAP_HD uint64_t gtap_sel_key(uint32_t hi, uint32_t index) {
    return ((uint64_t)hi << 32) | (uint64_t)(uint32_t)~index;
}

/* finite test on the bit pattern (no reliance on fast-math isfinite). */
GTAP_HD int gtap_key_finite(uint32_t mag_key) { return mag_key < 0x7f800000u; }

#endif /* GRADTAP_CUDA_KEYS_H */
