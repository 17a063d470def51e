/*
 * sparsify/radix.c - exact top-k in O(n) by radix select on the bit pattern
 * of |u_i| (docs/THEORY.md s.4.2), never a sort: one histogram pass of the top
 * 11 key bits, one pass that writes the coordinates above the boundary
 * bucket and collects the bucket, then two 10-bit levels over the bucket
 * only. Ties at the boundary go to the lower index (docs/THEORY.md s.1).
 */
#include <math.h>
#include <omp.h>

#include "sparsify/internal.h"

#define DIGIT1_SHIFT 20

/* Index of the bin holding the `need`-th largest entry of hist (counted
 * from the top bin down); *above gets the count in the bins above it. */
static uint32_t find_bin(const uint64_t *hist, uint32_t bins, uint64_t need, uint64_t *above)
{
    uint64_t cumulative = 0;
    uint32_t b = bins;
    while (b > 0) {
        b--;
        if (cumulative + hist[b] >= need) break;
        cumulative += hist[b];
    }
    *above = cumulative;
    return b;
}

/* Levels 2 and 3 over the boundary bucket's keys (all share digit 1):
 * the full key T of the `need`-th largest and the count above T. */
static uint32_t refine_bucket(uint64_t *hist, const uint32_t *keys, uint64_t count, uint32_t digit1,
                              uint64_t need, uint64_t *above_in_bucket)
{
    uint64_t above2 = 0, above3 = 0;
    memset(hist, 0, SP_DIGIT_BINS * sizeof *hist);
    for (uint64_t j = 0; j < count; j++) hist[(keys[j] >> 10) & 1023u]++;
    uint32_t digit2 = find_bin(hist, SP_DIGIT_BINS, need, &above2);
    memset(hist, 0, SP_DIGIT_BINS * sizeof *hist);
    for (uint64_t j = 0; j < count; j++)
        if (((keys[j] >> 10) & 1023u) == digit2) hist[keys[j] & 1023u]++;
    uint32_t digit3 = find_bin(hist, SP_DIGIT_BINS, need - above2, &above3);
    *above_in_bucket = above2 + above3;
    return (digit1 << DIGIT1_SHIFT) | (digit2 << 10) | digit3;
}

/* Keep, in place and in order, the bucket entries above T and the first
 * `ties` equal to T. Returns the number kept. */
static uint64_t keep_selected(uint64_t *bucket, const uint32_t *keys, uint64_t count, uint32_t threshold,
                              uint64_t ties)
{
    uint64_t kept = 0;
    for (uint64_t j = 0; j < count; j++) {
        if (keys[j] > threshold || (keys[j] == threshold && ties > 0)) {
            if (keys[j] == threshold) ties--;
            bucket[kept++] = bucket[j];
        }
    }
    return kept;
}

/* Merge out[0, n_out) and picked[0, n_picked) (both increasing, disjoint)
 * into out[0, n_out + n_picked), from the back. */
static void merge_back(const float *u, uint64_t *out, float *values, uint64_t n_out, const uint64_t *picked,
                       uint64_t n_picked)
{
    uint64_t i = n_out, j = n_picked, w = n_out + n_picked;
    while (j > 0) {
        w--;
        if (i > 0 && out[i - 1] > picked[j - 1]) {
            i--;
            out[w] = out[i];
            if (values != NULL) values[w] = values[i];
        } else {
            j--;
            out[w] = picked[j];
            if (values != NULL) values[w] = u[picked[j]];
        }
    }
}

/* Pass 1 over u[lo, hi): the histogram of the top 11 key bits into
 * w->hist. Four sub-histograms: runs of equal bins (common: data
 * concentrate in a few exponents) would otherwise serialise the
 * increments. */
static void histogram_range(const float *u, uint64_t lo, uint64_t hi, sp_thread_work *w)
{
    uint64_t *hist = w->hist;
    uint32_t(*sub)[SP_DIGIT1_BINS] = w->sub_hist;
    memset(hist, 0, SP_DIGIT1_BINS * sizeof *hist);
    memset(sub, 0, 4 * sizeof *sub);
    uint64_t full = lo + (hi - lo) - (hi - lo) % 4;
    for (uint64_t i = lo; i < full; i += 4) {
        sub[0][sp_key(u[i]) >> DIGIT1_SHIFT]++;
        sub[1][sp_key(u[i + 1]) >> DIGIT1_SHIFT]++;
        sub[2][sp_key(u[i + 2]) >> DIGIT1_SHIFT]++;
        sub[3][sp_key(u[i + 3]) >> DIGIT1_SHIFT]++;
        if (((i + 4 - lo) & 0x3fffffffu) == 0) { /* flush before a uint32 bin could overflow */
            for (uint32_t b = 0; b < SP_DIGIT1_BINS; b++) {
                hist[b] += (uint64_t)sub[0][b] + sub[1][b] + sub[2][b] + sub[3][b];
                sub[0][b] = sub[1][b] = sub[2][b] = sub[3][b] = 0;
            }
        }
    }
    for (uint64_t i = full; i < hi; i++) hist[sp_key(u[i]) >> DIGIT1_SHIFT]++;
    for (uint32_t b = 0; b < SP_DIGIT1_BINS; b++) hist[b] += (uint64_t)sub[0][b] + sub[1][b] + sub[2][b] + sub[3][b];
}

/* Where pass 2 writes: the coordinates above the boundary bin from
 * indices[out], the bin's own from bucket[in]. */
typedef struct collect_target {
    uint64_t *indices;
    float *values;
    uint64_t *bucket;
    uint32_t *bucket_key;
    uint64_t out, in;
} collect_target;

static inline void collect_one(const float *u, uint64_t index, uint32_t digit1, collect_target *c)
{
    uint32_t key = sp_key(u[index]);
    uint32_t digit = key >> DIGIT1_SHIFT;
    if (digit > digit1) {
        c->indices[c->out] = index;
        if (c->values != NULL) c->values[c->out] = u[index];
        c->out++;
    } else if (digit == digit1) {
        c->bucket[c->in] = index;
        c->bucket_key[c->in] = key;
        c->in++;
    }
}

/* Both passes over all of u on the pass's threads, each over its range;
 * the ranges' outputs are placed in index order. *out and *in_bucket get
 * the counts above and in the boundary bin. @return GTAP_OK or
 * GTAP_ENONFINITE. */
static int select_full(gtap_sparsifier *sp, const float *u, uint64_t n, uint64_t k, collect_target *c,
                       uint64_t *above1, uint32_t *digit1, uint64_t *nonfinite)
{
    int threads = sp_pass_threads(sp, n);
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int t = omp_get_thread_num();
        uint64_t lo, hi;
        sp_thread_range(n, t, threads, &lo, &hi);
        histogram_range(u, lo, hi, &sp->work[t]);
    }
    uint64_t *hist = sp->hist, bad = 0;
    memcpy(hist, sp->work[0].hist, sizeof sp->hist);
    for (int t = 1; t < threads; t++)
        for (uint32_t b = 0; b < SP_DIGIT1_BINS; b++) hist[b] += sp->work[t].hist[b];
    for (uint32_t b = SP_KEY_NONFINITE >> DIGIT1_SHIFT; b < SP_DIGIT1_BINS; b++) bad += hist[b];
    if (nonfinite != NULL) *nonfinite = bad;
    if (bad > 0) return GTAP_ENONFINITE;
    *digit1 = find_bin(hist, SP_DIGIT1_BINS, k, above1);
    uint64_t out = 0, in = 0;
    for (int t = 0; t < threads; t++) {
        sp_thread_work *w = &sp->work[t];
        uint64_t above = 0;
        for (uint32_t b = *digit1 + 1; b < SP_DIGIT1_BINS; b++) above += w->hist[b];
        w->count = out, w->in_bucket = in; /* this range's first positions */
        out += above, in += w->hist[*digit1];
    }
#pragma omp parallel num_threads(threads) if (threads > 1)
    {
        int t = omp_get_thread_num();
        uint64_t lo, hi;
        sp_thread_range(n, t, threads, &lo, &hi);
        collect_target mine = *c;
        mine.out = sp->work[t].count, mine.in = sp->work[t].in_bucket;
        for (uint64_t i = lo; i < hi; i++) collect_one(u, i, *digit1, &mine);
    }
    c->out = out, c->in = in;
    return GTAP_OK;
}

/* One pass instead of two for a small k (docs/THEORY.md s.4.2): the keys
 * of a strided sample of SAMPLE_KEYS coordinates give a key T that at least
 * k coordinates reach with a wide margin; one threaded pass gathers the
 * candidates (key >= T) into sp->cand and the radix select runs on them.
 * Every coordinate at or above the k-th largest key is a candidate when
 * the pass finds >= k of them, so the outputs (ties to the lower index
 * included) are those of the two full passes. Returns 1 when it answered,
 * 0 when the caller must run the full passes (a sample too small for this
 * k, fewer than k candidates, or more than CANDIDATE_LIMIT). */
#define SAMPLE_KEYS 8192u
#define FAST_MIN_N ((uint64_t)1 << 18)

static int select_sampled(gtap_sparsifier *sp, const float *u, uint64_t n, uint64_t k, uint64_t *indices,
                          float *values, uint32_t *kth_key, uint64_t *nonfinite, int *status)
{
    double expected = (double)k * SAMPLE_KEYS / (double)n; /* sample values above the k-th largest */
    double margin = expected + 4.0 * sqrt(expected) + 8.0;
    if (n < FAST_MIN_N || margin >= SAMPLE_KEYS / 4) return 0;
    uint32_t keys[SAMPLE_KEYS];
    uint64_t stride = n / SAMPLE_KEYS;
    for (uint32_t j = 0; j < SAMPLE_KEYS; j++) keys[j] = sp_key(u[j * stride + stride / 2]);
    uint32_t floor_key = sp_radix_kth_key(sp, keys, SAMPLE_KEYS, (uint64_t)ceil(margin));
    /* expected candidates: about n margin / SAMPLE_KEYS; more means ties at T */
    uint64_t limit = 4 * (uint64_t)((double)n * margin / SAMPLE_KEYS) + 65536;
    uint64_t bad = 0, count = sp_gather(sp, u, n, floor_key, 0, sp->cand, NULL, limit, &bad);
    if (bad > 0) {
        if (nonfinite != NULL) *nonfinite = bad;
        *status = GTAP_ENONFINITE;
        return 1;
    }
    if (count < k || count > limit) return 0;
    if (nonfinite != NULL) *nonfinite = 0;
    /* indices may be sp->cand itself: the subset pass writes at or behind
     * where it reads */
    *status = sp_radix_topk(sp, u, sp->cand, count, k, indices, values, kth_key, NULL);
    return 1;
}

int sp_radix_topk(gtap_sparsifier *sp, const float *u, const uint64_t *subset, uint64_t n, uint64_t k,
                  uint64_t *indices, float *values, uint32_t *kth_key, uint64_t *nonfinite)
{
    int status = GTAP_OK;
    if (subset == NULL && select_sampled(sp, u, n, k, indices, values, kth_key, nonfinite, &status)) return status;
    collect_target c = {indices, values, sp->bucket, sp->bucket_key, 0, 0};
    uint64_t above1 = 0;
    uint32_t digit1 = 0;
    if (subset == NULL) {
        int rc = select_full(sp, u, n, k, &c, &above1, &digit1, nonfinite);
        if (rc < 0) return rc;
    } else {
        uint64_t *hist = sp->hist;
        memset(hist, 0, SP_DIGIT1_BINS * sizeof *hist);
        for (uint64_t j = 0; j < n; j++) hist[sp_key(u[subset[j]]) >> DIGIT1_SHIFT]++;
        digit1 = find_bin(hist, SP_DIGIT1_BINS, k, &above1);
        for (uint64_t j = 0; j < n; j++) collect_one(u, subset[j], digit1, &c);
    }
    uint64_t need = k - above1, above_in_bucket = 0;
    uint32_t threshold = refine_bucket(sp->hist, sp->bucket_key, c.in, digit1, need, &above_in_bucket);
    uint64_t picked = keep_selected(sp->bucket, sp->bucket_key, c.in, threshold, need - above_in_bucket);
    merge_back(u, indices, values, c.out, sp->bucket, picked);
    if (kth_key != NULL) *kth_key = threshold;
    return GTAP_OK;
}

uint32_t sp_radix_kth_key(gtap_sparsifier *sp, const uint32_t *keys, uint64_t n, uint64_t k)
{
    uint64_t *hist = sp->hist;
    memset(hist, 0, SP_DIGIT1_BINS * sizeof *hist);
    for (uint64_t j = 0; j < n; j++) hist[keys[j] >> DIGIT1_SHIFT]++;
    uint64_t above1 = 0;
    uint32_t digit1 = find_bin(hist, SP_DIGIT1_BINS, k, &above1);
    uint64_t in_bucket = 0;
    for (uint64_t j = 0; j < n; j++)
        if ((keys[j] >> DIGIT1_SHIFT) == digit1) sp->bucket_key[in_bucket++] = keys[j];
    uint64_t above_in_bucket = 0;
    return refine_bucket(hist, sp->bucket_key, in_bucket, digit1, k - above1, &above_in_bucket);
}
