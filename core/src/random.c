/*
 * random.c - the counter-based generator of gradtap/random.h (splitmix64
 * finaliser keyed by seed and stream; Lemire's bounded draw), a pure
 * function of (seed, stream, counter) so the GPU can reproduce it.
 */
#include <stddef.h>

#include "gradtap/random.h"

uint64_t gtap_srng_u64(uint64_t seed, uint64_t stream, uint64_t counter)
{
    uint64_t key = gtap_srng_mix(seed ^ gtap_srng_mix(stream + GTAP_SPLITMIX64_GOLDEN));
    return gtap_srng_mix(key + (counter + 1) * GTAP_SPLITMIX64_GOLDEN);
}

uint64_t gtap_srng_below(uint64_t seed, uint64_t stream, uint64_t *counter, uint64_t n)
{
    if (n == 0 || counter == NULL) return 0;
    __extension__ typedef unsigned __int128 u128;
    uint64_t x = gtap_srng_u64(seed, stream, (*counter)++);
    u128 m = (u128)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t reject_below = (0 - n) % n; /* (2^64 - n) mod n */
        while (low < reject_below) {
            x = gtap_srng_u64(seed, stream, (*counter)++);
            m = (u128)x * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
