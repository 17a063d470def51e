/* summary_engine.h - what computing one summary (gradtap/summary.h) needs,
 * kept between summaries so that a small tensor's summary costs time in
 * proportion to its size, not a fixed ~2 ms (private to gradtap_capture).
 *
 * gtap_tail_energy() (gradtap/tail.h) allocates and scans a 2^16-bucket
 * histogram for every vector, whatever its length. For vectors of at most
 * SUMMARY_SMALL_LIMIT elements the engine computes the same T_k by sorting
 * the magnitude bit patterns instead (summary_exact.c): the buckets, their
 * exact integer energies and the order in which they are added are those of
 * docs/THEORY.md s.3, so r_k is bit for bit the value gtap_tail_energy()
 * gives. The moments come from one gtap_tail kept for its moments only
 * (fed, then gtap_tail_take_moments), the same arithmetic as
 * gtap_tail_energy's. Longer vectors go through gtap_tail_energy().
 *
 * An engine is used by one thread at a time (capture: the writer thread). */
#ifndef GRADTAP_SUMMARY_ENGINE_H
#define GRADTAP_SUMMARY_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "gradtap/summary.h"
#include "gradtap/tail.h"

/* Longest vector the sorting path takes: below it, sorting beats the
 * histogram's fixed cost (bench/bench_capture.c measures both), and a
 * bucket's exact sum of m^2 fits in 64 bits. */
#define SUMMARY_SMALL_LIMIT ((uint64_t)1 << 16)

typedef struct summary_engine {
    gtap_tail *moments;   /* fed only for its moments; NULL until first needed */
    void *work;           /* SUMMARY_EXACT_WORK_BYTES(n) for the longest n so far */
    size_t work_bytes;
    float *scratch;       /* float16/bfloat16 widened to float32 */
    uint64_t scratch_floats;
} summary_engine;

/* A zeroed engine is ready; _free releases it (and leaves it zeroed). */
void summary_engine_free(summary_engine *engine);

/* As gtap_summary_compute (same arguments checked, same result) with the
 * engine's memory. */
int summary_engine_compute(summary_engine *engine, gtap_dtype dtype, const void *data, uint64_t numel,
                           const double *densities, size_t density_count, gtap_summary *summary);

/* The log2|u| histogram bin (gradtap/summary.h) of a finite non-zero
 * magnitude bit pattern, from its exponent field; 0 for a zero pattern. */
static inline int summary_hist_bin_of_bits(uint32_t magnitude)
{
    int bin = (int)(magnitude >> 23) - 127 - GTAP_SUMMARY_HIST_MIN_EXPONENT + 1; /* subnormals: < 0 */
    bin = bin < 0 ? 0 : bin;
    return bin > GTAP_SUMMARY_HIST_BINS - 1 ? GTAP_SUMMARY_HIST_BINS - 1 : bin;
}

/* summary_exact.c: T_k for each of the nk values in `ks` of the finite
 * values among u[0..n) (n <= SUMMARY_SMALL_LIMIT), as gtap_tail_result's
 * tail2 of gtap_tail_energy(), and the log2|u| histogram of u added into
 * `hist`. `work`: SUMMARY_EXACT_WORK_BYTES(n), 8-byte aligned. */
#define SUMMARY_EXACT_WORK_BYTES(n) (8 * ((size_t)(n) + 1) + 4 * (3 * (size_t)(n) + 1))
void summary_exact_tails(const float *u, uint64_t n, const uint64_t *ks, size_t nk, void *work, double *tails,
                         uint64_t *hist);

#endif
