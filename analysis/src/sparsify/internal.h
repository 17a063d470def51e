/*
 * sparsify/internal.h - private parts shared by the compressors of
 * gradtap/sparsify.h: the object layout, the |u| bit-pattern keys, the
 * scanning passes and the radix select. Not installed.
 */
#ifndef GRADTAP_SPARSIFY_INTERNAL_H
#define GRADTAP_SPARSIFY_INTERNAL_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "gradtap/sparsify.h"

/* Radix select digits over the 31-bit key of |u|: 11 + 10 + 10 bits. */
enum { SP_DIGIT1_BITS = 11, SP_DIGIT1_BINS = 1 << SP_DIGIT1_BITS, SP_DIGIT_BINS = 1 << 10 };

/* Keys at or above this are NaN or Inf (exponent all ones). */
#define SP_KEY_NONFINITE 0x7f800000u

/* What one thread of a pass over a range of u keeps (parallel.c). */
typedef struct sp_thread_work {
    uint64_t hist[SP_DIGIT1_BINS];        /* radix pass 1 over the range */
    uint32_t sub_hist[4][SP_DIGIT1_BINS]; /* its sub-histograms */
    uint64_t count, in_bucket, bad;       /* matches, boundary bucket, NaN/Inf */
} sp_thread_work;

struct gtap_sparsifier {
    gtap_sparsify_options opt;
    int threads;         /* opt.threads resolved (>= 1) */
    sp_thread_work *work;/* threads */
    double *block_sums;  /* 3 per STATS_BLOCK values of d_max (scan.c) */
    uint64_t d_max;
    uint64_t *cand;      /* d_max: candidate indices of a threshold pass */
    uint64_t *bucket;    /* d_max: indices in the radix boundary bucket */
    uint32_t *bucket_key;/* d_max: their keys */
    uint32_t *sample;    /* dgck: sample keys (sample_cap) */
    uint64_t sample_cap;
    uint64_t *bitmap;    /* randk: d_max bits */
    uint64_t hist[SP_DIGIT1_BINS];
};

/* Values per block of the moment pass (scan.c): block sums are folded in
 * block order, so the moments do not depend on the thread count. */
enum { SP_STATS_BLOCK = 256 };

/* Threads a pass over d values uses: 1 below 65536 values, else
 * sp->threads. */
int sp_pass_threads(const gtap_sparsifier *sp, uint64_t d);

/* [*lo, *hi): the share of thread t of T of n values (multiples of 64). */
void sp_thread_range(uint64_t n, int t, int threads, uint64_t *lo, uint64_t *hi);

/* The key of |x|: its IEEE bit pattern without the sign bit. For
 * non-negative floats the pattern orders like the value. */
static inline uint32_t sp_key(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits & 0x7fffffffu;
}

static inline float sp_key_value(uint32_t key)
{
    float x;
    memcpy(&x, &key, sizeof x);
    return x;
}

/* The key of the smallest float >= t (t >= 0, not NaN): |u_i| >= t exactly
 * when sp_key(u_i) >= sp_threshold_key(t). Thresholds past FLT_MAX give
 * the key of +Inf, which no finite value reaches. */
uint32_t sp_threshold_key(double t);

/* One pass of sums (double) for the moment-based compressors. */
typedef struct sp_stats {
    double mean;      /* of u */
    double stddev;    /* population standard deviation of u */
    double abs_mean;  /* mean |u| */
    double abs_sum;   /* ||u||_1 */
    float abs_max;    /* max |u| */
    uint64_t nonfinite;
} sp_stats;

void sp_scan_stats(const gtap_sparsifier *sp, const float *u, uint64_t d, sp_stats *stats);

/* sp_scan_stats, failing with GTAP_ENONFINITE (res filled) on NaN/Inf. */
int sp_scan_checked(const gtap_sparsifier *sp, const float *u, uint64_t d, sp_stats *stats,
                    gtap_sparsify_result *res);

/* The count band of a threshold search for target k: [band_low k,
 * band_high k], or [k, band_high k] when an exact top-k follows. */
void sp_search_band(const gtap_sparsify_options *opt, uint64_t k, int exact, double *low, double *high);

/* Count NaN/Inf in u. */
uint64_t sp_count_nonfinite(const gtap_sparsifier *sp, const float *u, uint64_t d);

/* Count |u_i| >= key (or > key when `strict`) while writing the first
 * `capacity` matches: indices (and values, when non-NULL) in increasing
 * order. Also counts non-finite values into *nonfinite (may be NULL). */
uint64_t sp_gather(gtap_sparsifier *sp, const float *u, uint64_t d, uint32_t key, int strict, uint64_t *indices,
                   float *values, uint64_t capacity, uint64_t *nonfinite);

/* Copy values u[indices[j]] for j < count. */
void sp_fill_values(const float *u, const uint64_t *indices, uint64_t count, float *values);

/* Exact top-k by radix select over all of u (subset == NULL, n == d) or
 * over the n increasing indices in `subset`. Writes k indices increasing
 * (ties at the boundary: lower index) and, when values != NULL, their
 * values; *kth_key gets the k-th largest key. 1 <= k <= n. Uses
 * sp->bucket, sp->bucket_key and sp->hist (subset must not be sp->bucket);
 * a full-u call runs its two passes on sp_pass_threads() threads.
 * @return GTAP_OK, or GTAP_ENONFINITE (with *nonfinite) for NaN/Inf in a
 * full-u call (subsets are assumed checked). */
int sp_radix_topk(gtap_sparsifier *sp, const float *u, const uint64_t *subset, uint64_t n, uint64_t k,
                  uint64_t *indices, float *values, uint32_t *kth_key, uint64_t *nonfinite);

/* The k-th largest of n keys (1 <= k <= n), by the same radix select. */
uint32_t sp_radix_kth_key(gtap_sparsifier *sp, const uint32_t *keys, uint64_t n, uint64_t k);

/* One pass of a threshold search at `key`: counts |u_i| >= key and gathers
 * the matches, as candidate indices into sp->cand (exact: an exact top-k
 * follows) or as output pairs up to `capacity` (variable count). */
uint64_t sp_search_pass(gtap_sparsifier *sp, const float *u, uint64_t d, uint32_t key, int exact,
                        uint64_t *indices, float *values, uint64_t capacity);

/* End a threshold search at key `chosen` whose last pass counted
 * `count` at `last_key`: gathers again if chosen != last_key (one more
 * pass), then (exact) the exact top-k among the >= k candidates, or
 * (variable) checks the count against capacity. Sets res->count and
 * res->threshold (the search threshold). */
int sp_search_finish(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, int exact, uint32_t chosen,
                     uint32_t last_key, uint64_t count, uint64_t *indices, float *values, uint64_t capacity,
                     gtap_sparsify_result *res);

/* The compressors; arguments validated by gtap_sparsify(), res zeroed
 * with k, threshold = NaN and scale = 1 preset. */
int sp_run_topk(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices, float *values,
                gtap_sparsify_result *res);
int sp_run_randk(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t stream, uint64_t *indices,
                 float *values, gtap_sparsify_result *res);
int sp_run_gaussiank(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                     float *values, uint64_t capacity, gtap_sparsify_result *res);
int sp_run_gaussiank_ref(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                         float *values, uint64_t capacity, gtap_sparsify_result *res);
int sp_run_dgck(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t stream, uint64_t *indices,
                float *values, uint64_t capacity, gtap_sparsify_result *res);
int sp_run_trimmed(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                   float *values, uint64_t capacity, gtap_sparsify_result *res);
int sp_run_threshold(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t *indices, float *values,
                     uint64_t capacity, gtap_sparsify_result *res);
int sp_run_sign(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t *indices, float *values,
                gtap_sparsify_result *res);
int sp_run_none(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t *indices, float *values,
                gtap_sparsify_result *res);

/* Report non-finite input: sets res and the error message. */
int sp_fail_nonfinite(const gtap_sparsifier *sp, gtap_sparsify_result *res, uint64_t nonfinite, uint64_t d);

/* Report more selected pairs than the caller's capacity. */
int sp_fail_capacity(const gtap_sparsifier *sp, gtap_sparsify_result *res, uint64_t count, uint64_t capacity);

/* dgck's sample size n for a vector of d (see gtap_sparsify()). */
uint64_t sp_dgc_sample_size(const gtap_sparsify_options *opt, uint64_t d);

/* Whether `kind` needs 1 <= k <= d. */
int sp_kind_uses_k(gtap_sparsifier_kind kind);

#endif
