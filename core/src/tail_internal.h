/* tail_internal.h - what the files of the tail-energy kernel share inside
 * gradtap_core (private; the public contract is gradtap/tail.h). */
#ifndef GRADTAP_TAIL_INTERNAL_H
#define GRADTAP_TAIL_INTERNAL_H

#include <stddef.h>

#include "gradtap/tail.h"

/* Coordinates per block: the moments of a block are taken in one cache-hot
 * loop and merged into the running moments (docs/THEORY.md s.3). */
#define GTAP_TAIL_BLOCK 2048

/* An AVX2 and a baseline version of a hot loop, picked at load time by an
 * ifunc. Off under ThreadSanitizer: the ifunc resolver runs while the
 * loader relocates, before TSan is initialised, and its instrumented entry
 * crashes there (the baseline version is the same arithmetic). */
#if defined(__x86_64__) && !defined(__SANITIZE_THREAD__)
#define GTAP_CLONES_AVX2 __attribute__((target_clones("avx2", "default")))
#else
#define GTAP_CLONES_AVX2
#endif

/* Add n <= GTAP_TAIL_BLOCK coordinates to `moments`. `has_nonfinite` 0
 * promises that all n are finite (fast loop); 1 takes the checking loop
 * that also counts NaN and +-Inf. */
void gtap_tail_moments_block(gtap_moments *moments, const float *u, size_t n, int has_nonfinite);

#endif
