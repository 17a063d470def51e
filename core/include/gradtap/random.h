/*
 * gradtap/random.h - the random generators every part of gradtap shares.
 *
 * Two families, both written once here (Philox4x32-10 for the CUDA kernels
 * is in gradtap/philox.h):
 *
 *  - splitmix64 as a sequential stream (state += golden; mix(state)): test
 *    data, the trainer's data and initialisation, the demo's vectors.
 *    Inline, so hot loops pay no call.
 *  - the counter-based generator: draw number `counter` of stream `stream`
 *    under key `seed` is a pure function, so any thread, rank or device can
 *    reproduce any draw (random-k, DGC-k's sample, the trainer's batches).
 *
 * Every randomised command prints its seed. Part of gradtap_core.
 */
#ifndef GRADTAP_RANDOM_H
#define GRADTAP_RANDOM_H

#include <stdint.h>

#include "gradtap/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GTAP_SPLITMIX64_GOLDEN 0x9e3779b97f4a7c15ull

/* gtap_srng_mix() - the splitmix64 finaliser:
 *   z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9; z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
 *   return z ^ (z >> 31). */
GTAP_HD uint64_t gtap_srng_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* gtap_splitmix64_next() - the next value of the sequential stream whose
 * state is *state (advanced by the golden ratio, then mixed). */
GTAP_HD uint64_t gtap_splitmix64_next(uint64_t *state)
{
    *state += GTAP_SPLITMIX64_GOLDEN;
    return gtap_srng_mix(*state);
}

/* gtap_splitmix64_uniform() - a uniform double in the open interval (0, 1)
 * from the top 53 bits of the next value: (bits + 0.5) / 2^53. */
GTAP_HD double gtap_splitmix64_uniform(uint64_t *state)
{
    return ((double)(gtap_splitmix64_next(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* gtap_srng_u64() - draw number `counter` of stream `stream` under key `seed`:
 *   key = mix(seed ^ mix(stream + 0x9e3779b97f4a7c15))
 *   out = mix(key + (counter + 1) * 0x9e3779b97f4a7c15)       (mod 2^64)
 * Pure function: any thread or device computes any draw independently. */
GTAP_API uint64_t gtap_srng_u64(uint64_t seed, uint64_t stream, uint64_t counter);

/* gtap_srng_below() - a uniform integer in [0, n) (n >= 1) by Lemire's
 * multiply-shift with rejection: x = gtap_srng_u64(seed, stream, *counter),
 * *counter += 1; m = x * n (128-bit); if low64(m) < n, reject while
 * low64(m) < (2^64 - n) mod n drawing again; return high64(m). *counter is
 * advanced by the number of draws used (1 almost always). n = 0 or a NULL
 * counter returns 0. */
GTAP_API uint64_t gtap_srng_below(uint64_t seed, uint64_t stream, uint64_t *counter, uint64_t n);

#ifdef __cplusplus
}
#endif

#endif /* GRADTAP_RANDOM_H */
