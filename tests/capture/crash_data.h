/* crash_data.h - the deterministic snapshot contents shared by the crash
 * test's victim (crash_child.c) and its checker (test_crash.c): tensor t of
 * kind k at step s is a pure function of (seed, t, k, s). */
#ifndef GRADTAP_TEST_CRASH_DATA_H
#define GRADTAP_TEST_CRASH_DATA_H

#include <stdint.h>
#include <string.h>

#include "gradtap/random.h"
#include "gradtap/dtype.h"

enum { CRASH_TENSORS = 3 };

static inline uint64_t crash_numel(int tensor)
{
    static const uint64_t sizes[CRASH_TENSORS] = {1000, 65536, 200000};
    return sizes[tensor];
}

static inline gtap_dtype crash_dtype(int tensor)
{
    return tensor == 1 ? GTAP_BFLOAT16 : GTAP_FLOAT32;
}

static inline uint64_t crash_mix(uint64_t x)
{
    return gtap_splitmix64_next(&x);
}

/* Fill `out` with `numel` elements of `dtype` from the bits of (tensor,
 * kind, step): any bit pattern but NaN-free, so float and bfloat16 data
 * compare exactly. */
static inline void crash_fill_elements(void *out, uint64_t seed, int tensor, int kind, int64_t step, uint64_t numel,
                                       gtap_dtype dtype)
{
    uint64_t base = crash_mix(seed ^ ((uint64_t)tensor << 56) ^ ((uint64_t)kind << 48) ^ (uint64_t)step);
    for (uint64_t i = 0; i < numel; i++) {
        uint32_t bits = (uint32_t)crash_mix(base + i) & 0xbf7fffffu; /* exponent < 255: finite */
        if (dtype == GTAP_FLOAT32) memcpy((unsigned char *)out + 4 * i, &bits, 4);
        else {
            uint16_t half = (uint16_t)(bits >> 16);
            memcpy((unsigned char *)out + 2 * i, &half, 2);
        }
    }
}

/* The snapshot of tensor t (crash_numel, crash_dtype) of (kind, step). */
static inline void crash_fill(void *out, uint64_t seed, int tensor, int kind, int64_t step)
{
    crash_fill_elements(out, seed, tensor, kind, step, crash_numel(tensor), crash_dtype(tensor));
}

/* The summaries-only victim (crash_child FILE SEED summaries): many small
 * tensors, a summary of each at every step, no snapshots. */
enum { CRASH_SUMMARY_TENSORS = 16 };

static inline uint64_t crash_summary_numel(int tensor)
{
    return 1 + (uint64_t)tensor * 977u % 3000u;
}

static inline gtap_dtype crash_summary_dtype(int tensor)
{
    return tensor % 3 == 2 ? GTAP_BFLOAT16 : GTAP_FLOAT32;
}

#endif
