/*
 * gradtap/philox.h - Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy
 * as 1, 2, 3", SC 2011), the counter-based generator behind cuRAND's
 * PHILOX4_32_10, written once for the CUDA kernels and their C references
 * so that a device run and its reference draw bit-identical numbers from
 * one seed. Part of gradtap_core; inline, host and device.
 *
 * Streams used by gradtap_cuda (third counter word): 0 = random-k keys,
 * 1 = DGC-k sample indices. Counter words 0,1 hold the 64-bit block number;
 * block b yields the 4 draws numbered 4b..4b+3.
 */
#ifndef GRADTAP_PHILOX_H
#define GRADTAP_PHILOX_H

#include <stdint.h>

#include "gradtap/export.h"

#define GTAP_PHILOX_STREAM_RANDK 0u
#define GTAP_PHILOX_STREAM_DGC 1u

typedef struct gtap_philox4 {
    uint32_t v[4];
} gtap_philox4;

GTAP_HD uint32_t gtap_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi) {
    uint64_t product = (uint64_t)a * (uint64_t)b;
    *hi = (uint32_t)(product >> 32);
    return (uint32_t)product;
}

/* Ten rounds of Philox4x32 on counter c with key k. */
GTAP_HD gtap_philox4 gtap_philox4x32_10(gtap_philox4 c, uint32_t k0, uint32_t k1) {
    for (int round = 0; round < 10; ++round) {
        uint32_t hi0, hi1;
        uint32_t lo0 = gtap_mulhilo32(0xD2511F53u, c.v[0], &hi0);
        uint32_t lo1 = gtap_mulhilo32(0xCD9E8D57u, c.v[2], &hi1);
        gtap_philox4 next;
        next.v[0] = hi1 ^ c.v[1] ^ k0;
        next.v[1] = lo1;
        next.v[2] = hi0 ^ c.v[3] ^ k1;
        next.v[3] = lo0;
        c = next;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return c;
}

/* The 4 draws of block `block` in stream `stream` under `seed`. */
GTAP_HD gtap_philox4 gtap_philox_block(uint64_t seed, uint32_t stream, uint64_t block) {
    gtap_philox4 c;
    c.v[0] = (uint32_t)block;
    c.v[1] = (uint32_t)(block >> 32);
    c.v[2] = stream;
    c.v[3] = 0;
    return gtap_philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
}

/* Draw number n of a stream (one 32-bit word). */
GTAP_HD uint32_t gtap_philox_draw(uint64_t seed, uint32_t stream, uint64_t n) {
    gtap_philox4 b = gtap_philox_block(seed, stream, n >> 2);
    return b.v[n & 3u];
}

/* A uniform index in [0, d) from a 32-bit draw (multiply-shift; d <= 2^32). */
GTAP_HD uint32_t gtap_draw_index(uint32_t draw, uint64_t d) {
    return (uint32_t)(((uint64_t)draw * d) >> 32);
}

#endif /* GRADTAP_PHILOX_H */
