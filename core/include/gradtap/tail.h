/*
 * gradtap/tail.h - exact tail energies of top-k and the moments of a vector,
 * in O(d), for many k at once, over a vector given whole or in chunks.
 *
 * For u in R^d (float32) and each requested k this computes
 * (docs/THEORY.md s.3):
 *   head energy  H_k = sum of the k largest u_i^2,
 *   tail energy  T_k = ||u - Top_k(u)||^2 = sum of the d-k smallest u_i^2,
 * together with ||u||^2, the count, mean, central moment sums M2..M4, min,
 * max, exact zeros, NaN and +-Inf counts - all in double precision.
 *
 * Method (no sort): pass 1 builds a radix histogram of the IEEE bit pattern
 * of |u_i| (the top 16 of its 31 bits: sign dropped, for non-negative floats
 * the pattern orders like the value) with a count and an exact (integer)
 * sum of squares per bucket, and accumulates the moments. Because bucket
 * sums are exact, T_k, H_k and ||u||^2 do not depend on how the vector was
 * chunked, threaded or ordered: they are bit-identical for any split. The bucket holding the
 * k-th largest |u_i| is the "boundary bucket" of k. Pass 2 reads the vector
 * again and counts, for the boundary buckets only, every element by its low
 * 15 bits: 16 + 15 bits are the whole pattern, so each second-level bin holds
 * one exact value and the partial sums inside the boundary bucket are exact
 * counts times v^2. H_k sums whole buckets from the top down and T_k whole
 * buckets from the bottom up, so neither is a difference of two large sums
 * (1 - r_k stays accurate at small density). Ties: T_k and H_k do not depend
 * on which of several equal |u_i| is kept, so no tie-breaking is needed here.
 *
 * NaN and +-Inf are counted (gtap_moments) and EXCLUDED from everything
 * else: energies, moments, min/max and the k of a result refer to the finite
 * coordinates only. A caller that must reject such vectors checks
 * moments.nan_count / posinf_count / neginf_count. +0 and -0 are both zeros.
 *
 * Use, whole vector in memory:
 *     gtap_tail_energy(u, d, ks, nk, results, &moments);
 * Use, streaming (a vector larger than memory, or several tensors treated as
 * one concatenated vector without building the concatenation):
 *     gtap_tail_create(&t);
 *     for each chunk: gtap_tail_feed(t, chunk, n);           pass 1
 *     gtap_tail_plan(t, ks, nk, &refine);
 *     if (refine) for each chunk again: gtap_tail_refine(t, chunk, n);  pass 2
 *     gtap_tail_finish(t, results);  gtap_tail_moments(t, &moments);
 * (or gtap_tail_energy_stream() with a callback that re-reads the chunks).
 * Threads: give each thread its own gtap_tail, feed disjoint chunks, merge
 * with gtap_tail_merge(), plan the merged one, then for pass 2 prepare each
 * thread's object with gtap_tail_adopt_plan(), refine, merge again, finish.
 *
 * This header belongs to gradtap_core: plain C11 and libm, no other
 * dependency (capture's summaries and cuda's CPU references use it too).
 * Every function returns GTAP_OK or a negative gtap_status with a message in
 * gtap_last_error(); none exits or aborts. A gtap_tail must not be used by
 * two threads at once.
 */
#ifndef GRADTAP_TAIL_H
#define GRADTAP_TAIL_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Counts and moments of a vector. All statistics are over the finite
 * coordinates; `count` counts every coordinate seen. */
typedef struct gtap_moments {
    uint64_t count;        /* coordinates seen, finite or not */
    uint64_t finite;       /* finite coordinates (the n of everything below) */
    uint64_t nan_count;    /* NaN coordinates (any sign or payload) */
    uint64_t posinf_count; /* +Inf coordinates */
    uint64_t neginf_count; /* -Inf coordinates */
    uint64_t zero_count;   /* exact zeros, +0 and -0 */
    double min, max;       /* smallest / largest finite value; NaN when finite == 0 */
    double mean;           /* mean; NaN when finite == 0 */
    double m2, m3, m4;     /* sums of (x - mean)^p, p = 2, 3, 4 (0 when finite == 0) */
    double norm2;          /* ||u||^2: sum of x^2 */
    double abs_sum;        /* ||u||_1: sum of |x| */
} gtap_moments;

/* Set `moments` to the statistics of an empty vector. */
GTAP_API void gtap_moments_init(gtap_moments *moments);

/* Combine the statistics of two disjoint parts into `into` (Pebay's
 * pairwise update for the central moments). NULL arguments: GTAP_EINVAL. */
GTAP_API int gtap_moments_merge(gtap_moments *into, const gtap_moments *from);

/* Derived statistics; NaN when undefined (too few values, zero variance).
 * variance: m2 / (n - ddof) with ddof 0 (ML) or 1 (unbiased);
 * skewness: g1 = (m3/n) / (m2/n)^1.5; excess kurtosis: g2 = (m4/n)/(m2/n)^2 - 3. */
GTAP_API double gtap_moments_variance(const gtap_moments *moments, int ddof);
GTAP_API double gtap_moments_skewness(const gtap_moments *moments);
GTAP_API double gtap_moments_excess_kurtosis(const gtap_moments *moments);
/* 1 when any coordinate was NaN or +-Inf. */
GTAP_API int gtap_moments_has_nonfinite(const gtap_moments *moments);

/* The outcome for one requested k. */
typedef struct gtap_tail_result {
    uint64_t k;              /* the k asked for */
    uint64_t k_effective;    /* min(k, finite count): what H and T refer to */
    double head2;            /* H_k: sum of the k_effective largest u_i^2 */
    double tail2;            /* T_k: sum of the other finite u_i^2 */
    double norm2;            /* ||u||^2 from the exact bucket sums (the same for every k;
                                unlike gtap_moments.norm2 it does not depend on chunking) */
    double threshold;        /* the k_effective-th largest |u_i| (NaN when k_effective = 0) */
    uint64_t threshold_ties; /* finite coordinates with |u_i| == threshold (0 when NaN) */
} gtap_tail_result;

/* gtap_tail_energy() - everything above for a whole vector in memory.
 * `u`: d floats (may be NULL only when d == 0); `ks`: nk values of k (any
 * order, repeats allowed, 0 allowed, k > finite count is clamped and shows
 * in k_effective); `results`: nk entries, written in the order of `ks`;
 * `moments`: may be NULL. Memory: about 2 MiB plus 256 KiB per distinct
 * boundary bucket, freed before return.
 * @return GTAP_OK; GTAP_EINVAL (NULL where data is needed, nk > 0 with ks or
 * results NULL); GTAP_ENOMEM. */
GTAP_API int gtap_tail_energy(const float *u, uint64_t d, const uint64_t *ks, size_t nk,
                     gtap_tail_result *results, gtap_moments *moments);

/* ---------------------------------------------------------- streaming form */

typedef struct gtap_tail gtap_tail;

/* gtap_tail_create() - an empty accumulator in the feeding phase (about
 * 2 MiB). Free it with gtap_tail_free(). @return GTAP_OK or GTAP_ENOMEM. */
GTAP_API int gtap_tail_create(gtap_tail **tail);

/* Release an accumulator. NULL is allowed. */
GTAP_API void gtap_tail_free(gtap_tail *tail);

/* Back to the empty feeding phase (keeps the memory). */
GTAP_API void gtap_tail_reset(gtap_tail *tail);

/* gtap_tail_feed() - pass 1: add n coordinates. Chunks may have any size,
 * the order of chunks does not matter. @return GTAP_OK; GTAP_EINVAL (NULL
 * tail, or NULL u with n > 0); GTAP_ESTATE after gtap_tail_plan(). */
GTAP_API int gtap_tail_feed(gtap_tail *tail, const float *u, uint64_t n);

/* gtap_tail_merge() - add `from` into `into`. Both in the feeding phase
 * (pass-1 histograms and moments add up), or both in the refining phase
 * with the same plan (pass-2 counts add up). @return GTAP_OK; GTAP_EINVAL;
 * GTAP_ESTATE when the phases or plans differ. */
GTAP_API int gtap_tail_merge(gtap_tail *into, const gtap_tail *from);

/* gtap_tail_plan() - end pass 1 for the nk values in `ks` (copied): find
 * the boundary bucket of every k. *refine is set to 1 when pass 2
 * (gtap_tail_refine over the same coordinates) must run before
 * gtap_tail_finish, 0 when not (no finite coordinates, or every k is 0).
 * @return GTAP_OK; GTAP_EINVAL; GTAP_ESTATE when already planned;
 * GTAP_ENOMEM. */
GTAP_API int gtap_tail_plan(gtap_tail *tail, const uint64_t *ks, size_t nk, int *refine);

/* gtap_tail_adopt_plan() - make `tail` (any phase; its data is dropped) a
 * pass-2 worker for the plan of `planned`: for threads that each refine
 * part of the vector and are then merged into `planned`. Such a worker has
 * no pass-1 counts of its own: finish `planned`, not the worker.
 * @return GTAP_OK; GTAP_EINVAL; GTAP_ESTATE when `planned` is not planned;
 * GTAP_ENOMEM. */
GTAP_API int gtap_tail_adopt_plan(gtap_tail *tail, const gtap_tail *planned);

/* gtap_tail_refine() - pass 2: the same coordinates as pass 1 again, in any
 * chunking and order. @return GTAP_OK; GTAP_EINVAL; GTAP_ESTATE before
 * gtap_tail_plan(). */
GTAP_API int gtap_tail_refine(gtap_tail *tail, const float *u, uint64_t n);

/* gtap_tail_finish() - write one result per planned k, in the order given
 * to gtap_tail_plan(). May be called again. @return GTAP_OK; GTAP_EINVAL;
 * GTAP_ESTATE before gtap_tail_plan(); GTAP_EFORMAT when pass 2 did not see
 * the same coordinates as pass 1 (its counts disagree). */
GTAP_API int gtap_tail_finish(gtap_tail *tail, gtap_tail_result *results);

/* gtap_tail_moments() - the counts and moments of pass 1 (any phase after
 * feeding; the object keeps them). @return GTAP_OK or GTAP_EINVAL. */
GTAP_API int gtap_tail_moments(const gtap_tail *tail, gtap_moments *moments);

/* gtap_tail_take_moments() - as gtap_tail_moments(), and reset the object's
 * moments to empty (its histogram is kept): lets a caller collect the
 * moments of fixed segments and merge them in a fixed order, so that the
 * moments, too, do not depend on how work was split among threads.
 * @return GTAP_OK or GTAP_EINVAL. */
GTAP_API int gtap_tail_take_moments(gtap_tail *tail, gtap_moments *moments);

/* A source of chunks for gtap_tail_energy_stream(): called with pass = 1,
 * then (when needed) pass = 2, each time for chunk = 0, 1, 2, ...; it
 * stores a pointer to the chunk's floats in *data and their count in *n
 * (the pointer must stay valid until the next call) and returns GTAP_OK, or
 * sets *n = 0 at the end. A negative return aborts and is passed on. */
typedef int (*gtap_tail_chunk_fn)(void *user, int pass, uint64_t chunk, const float **data, uint64_t *n);

/* gtap_tail_energy_stream() - gtap_tail_energy over the chunks that `next`
 * delivers, in two passes; no concatenated copy is ever made. `moments` may
 * be NULL. @return as gtap_tail_energy, or the callback's error. */
GTAP_API int gtap_tail_energy_stream(gtap_tail_chunk_fn next, void *user, const uint64_t *ks, size_t nk,
                            gtap_tail_result *results, gtap_moments *moments);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_TAIL_H */
