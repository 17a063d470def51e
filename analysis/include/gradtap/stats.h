/*
 * gradtap/stats.h - statistics of snapshot vectors on top of the exact
 * tail-energy kernel (gradtap/tail.h): the multi-threaded form of it, and
 * the deterministic subsample used by the slow fits.
 *
 * All functions return GTAP_OK or a negative gtap_status with a message in
 * gtap_last_error(); none exits or aborts.
 */
#ifndef GRADTAP_STATS_H
#define GRADTAP_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"
#include "gradtap/tail.h"

#ifdef __cplusplus
extern "C" {
#endif

/* gtap_tail_energy_threads() - gtap_tail_energy() (same arguments, same
 * results up to the order of floating-point additions) with `threads`
 * OpenMP threads over contiguous slices of u (0: OpenMP's default; 1: no
 * threads). Memory: about 1 MiB plus 256 KiB per distinct boundary bucket,
 * per thread. @return as gtap_tail_energy. */
int gtap_tail_energy_threads(const float *u, uint64_t d, const uint64_t *ks, size_t nk,
                             gtap_tail_result *results, gtap_moments *moments, int threads);

/* gtap_sample_stride() - the deterministic subsample of the finite values of
 * u[0..d): when the finite count n <= max, all of them; otherwise every s-th
 * finite value (s = ceil(n / max), in index order, starting with the first),
 * so at most `max` values. The same input always gives the same sample.
 * *sample (malloc'ed, free() it) receives *count values; *stride the s used
 * (1 = no subsampling). `max` >= 1. @return GTAP_OK; GTAP_EINVAL;
 * GTAP_ENOMEM. */
int gtap_sample_stride(const float *u, uint64_t d, uint64_t max, float **sample, uint64_t *count,
                       uint64_t *stride);

/* k for a density (ALGORITHMS.md section 1): max(1, floor(rho * d)),
 * clamped to d; 0 only when d = 0. rho in (0, 1]. */
uint64_t gtap_k_for_density(double rho, uint64_t d);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_STATS_H */
