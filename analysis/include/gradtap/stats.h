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

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"
#include "gradtap/tail.h"

#ifdef __cplusplus
extern "C" {
#endif

/* gtap_tail_energy_threads() - gtap_tail_energy() (same arguments; the
 * same energies bit for bit, moments merged per GTAP_TAIL_SEGMENT) with
 * `threads` OpenMP threads (0: OpenMP's default), the results independent
 * of the thread count. Memory: about 2 MiB plus 256 KiB per distinct
 * boundary bucket, per thread. @return as gtap_tail_energy. */
GTAP_API int gtap_tail_energy_threads(const float *u, uint64_t d, const uint64_t *ks, size_t nk,
                             gtap_tail_result *results, gtap_moments *moments, int threads);

/* A team of OpenMP threads computing gtap_tail_energy over a vector that
 * arrives in chunks (a vector larger than memory, or several tensors read
 * one after another as one concatenated vector):
 *     gtap_tail_team_create(threads, &team);
 *     for each chunk: gtap_tail_team_feed(team, chunk, n);      pass 1
 *     gtap_tail_team_plan(team, ks, nk, &refine);
 *     if (refine) for each chunk again: gtap_tail_team_refine(team, chunk, n);
 *     gtap_tail_team_finish(team, results, &moments);
 * Each chunk is cut into fixed segments of GTAP_TAIL_SEGMENT values that
 * the threads share; the histogram sums are exact and the moments of the
 * segments are merged in segment order, so every output is bit-identical
 * for any thread count (it depends only on the chunking). */
#define GTAP_TAIL_SEGMENT ((uint64_t)1 << 20)

typedef struct gtap_tail_team gtap_tail_team;

/* `threads` 0: OpenMP's default. @return GTAP_OK, GTAP_EINVAL, GTAP_ENOMEM. */
GTAP_API int gtap_tail_team_create(int threads, gtap_tail_team **team);
/* Release; NULL allowed. */
GTAP_API void gtap_tail_team_free(gtap_tail_team *team);
/* Back to an empty pass 1 (keeps the memory). */
GTAP_API void gtap_tail_team_reset(gtap_tail_team *team);
/* Pass 1 over one chunk. @return as gtap_tail_feed. */
GTAP_API int gtap_tail_team_feed(gtap_tail_team *team, const float *u, uint64_t n);
/* Fills u[offset, offset + n) and returns GTAP_OK or a negative status
 * (with its message set). */
typedef int (*gtap_tail_read_fn)(void *user, uint64_t offset, uint64_t n, float *u);
/* gtap_tail_team_feed_reading() - pass 1 over one chunk u[0..n) that is not
 * read yet: thread 0 fills it through `read`, one segment at a time, while
 * the other threads feed the segments already read (thread 0 joins them
 * once everything is read), so reading overlaps the histogram. The same
 * results as reading the chunk and then gtap_tail_team_feed() on it.
 * @return as gtap_tail_feed, or the first error of `read`. */
GTAP_API int gtap_tail_team_feed_reading(gtap_tail_team *team, float *u, uint64_t n, gtap_tail_read_fn read, void *user);
/* End of pass 1. @return as gtap_tail_plan. */
GTAP_API int gtap_tail_team_plan(gtap_tail_team *team, const uint64_t *ks, size_t nk, int *refine);
/* Pass 2 over one chunk (the same chunks again). @return as gtap_tail_refine. */
GTAP_API int gtap_tail_team_refine(gtap_tail_team *team, const float *u, uint64_t n);
/* Results in the order of ks, and the moments (may be NULL).
 * @return as gtap_tail_finish. */
GTAP_API int gtap_tail_team_finish(gtap_tail_team *team, gtap_tail_result *results, gtap_moments *moments);

/* gtap_sample_stride() - the deterministic strided subsample of u[0..d) (the
 * CLI no longer uses it: see gtap_sample_random()): the
 * coordinates with index i = 0, s, 2s, ... (s = ceil(d / max); s = 1 when
 * d <= max) that are finite, so at most `max` values. The same input always
 * gives the same sample; gtap_sample_index_stride() gives s for a d, so a
 * streaming caller can take the same sample chunk by chunk.
 * *sample (malloc'ed, free() it) receives *count values; *stride the s used
 * (1 = no subsampling). `max` >= 1. @return GTAP_OK; GTAP_EINVAL;
 * GTAP_ENOMEM. */
GTAP_API int gtap_sample_stride(const float *u, uint64_t d, uint64_t max, float **sample, uint64_t *count,
                       uint64_t *stride);

/* s = ceil(d / max) (1 when d <= max; max >= 1). */
GTAP_API uint64_t gtap_sample_index_stride(uint64_t d, uint64_t max);

/* gtap_sample_random_index() - the index that the seeded random subsample
 * takes from block `block` of u[0..d): the blocks are [b s, min((b+1) s, d))
 * with s = gtap_sample_index_stride(d, max), and block b gives
 * b s + gtap_srng_below(seed, b, &counter, length) with counter = 0: one
 * uniformly random index per block (stratified random sampling), a pure
 * function of (seed, b), so chunked, threaded and MPI callers take the same
 * sample. A strided sample aliases with the layout of a tensor (every 8th
 * value of an interleaved vector is one of its halves); this does not.
 * s = 1 takes every index. Returns d for a block past the end. */
GTAP_API uint64_t gtap_sample_random_index(uint64_t seed, uint64_t block, uint64_t stride, uint64_t d);

/* gtap_sample_random() - the seeded random subsample of u[0..d): the finite
 * values at gtap_sample_random_index(seed, b, s, d) for b = 0, 1, ..., in
 * block order, so at most `max` values. *sample (malloc'ed, free() it)
 * receives *count values; *stride the block length s (1 = every value).
 * `max` >= 1. @return GTAP_OK; GTAP_EINVAL; GTAP_EOVERFLOW; GTAP_ENOMEM. */
GTAP_API int gtap_sample_random(const float *u, uint64_t d, uint64_t max, uint64_t seed, float **sample,
                                uint64_t *count, uint64_t *stride);

/* gtap_sample_random_take() - the part of that subsample (blocks of
 * `stride` over d values, `seed`) that lies in u[0..n), the coordinates
 * [begin, begin + n) of the vector, for a caller that reads it in chunks:
 * the finite values, in block order, appended to sample[*count ...] (at
 * most `capacity` values in all; *count grows). The blocks' indices are
 * drawn on `threads` OpenMP threads (0: OpenMP's default); the sample does
 * not depend on the thread count or the chunking. */
GTAP_API void gtap_sample_random_take(uint64_t seed, uint64_t stride, uint64_t d, uint64_t begin, const float *u,
                                      uint64_t n, float *sample, uint64_t capacity, uint64_t *count, int threads);

/* k for a density (docs/THEORY.md s.1): max(1, floor(rho * d)),
 * clamped to d; 0 only when d = 0. rho in (0, 1]. */
GTAP_API uint64_t gtap_k_for_density(double rho, uint64_t d);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_STATS_H */
