/*
 * sparsify/dgck.c - DGC-k (Lin et al., docs/THEORY.md s.4.6): a threshold from a
 * uniform sample (with replacement) of max(sample_ratio*d, min_sample)
 * coordinates, the count of |u_i| >= t, exact top-k among the selection
 * above 1.3k, t *= 0.8 and retry below 0.8k (bounded). Unlike the
 * reference code it works for every density.
 */
#include <math.h>

#include "sparsify/internal.h"

/* dgck's sample size for a vector of d. */
uint64_t sp_dgc_sample_size(const gtap_sparsify_options *opt, uint64_t d)
{
    double scaled = ceil(opt->sample_ratio * (double)d);
    uint64_t n = scaled >= (double)d ? d : (uint64_t)scaled;
    if (n < opt->min_sample) n = opt->min_sample;
    return n < d ? n : d;
}

int sp_run_dgck(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t stream, uint64_t *indices,
                float *values, uint64_t capacity, gtap_sparsify_result *res)
{
    const gtap_sparsify_options *opt = &sp->opt;
    uint64_t n = sp_dgc_sample_size(opt, d);
    uint64_t counter = 0;
    for (uint64_t j = 0; j < n; j++) sp->sample[j] = sp_key(u[gtap_srng_below(opt->seed, stream, &counter, d)]);
    /* ceil(rho * n) with rho = k/d, in 128-bit integers: between 1 and n. */
    __extension__ typedef unsigned __int128 u128;
    uint64_t k_sample = (uint64_t)(((u128)k * n + d - 1) / d);
    uint32_t key = sp_radix_kth_key(sp, sp->sample, n, k_sample);
    double t = sp_key_value(key);
    if (key >= SP_KEY_NONFINITE) key = SP_KEY_NONFINITE; /* the count below reports it */

    double most = 1.3 * (double)k, fewest = 0.8 * (double)k;
    uint64_t count = 0;
    for (int attempt = 0;; attempt++) {
        uint64_t bad = 0;
        count = sp_gather(sp, u, d, key, 0, sp->cand, NULL, d, &bad);
        res->passes++;
        if (bad > 0) return sp_fail_nonfinite(sp, res, bad, d);
        if ((double)count >= fewest || attempt >= opt->max_retries) break;
        t *= 0.8;
        key = sp_threshold_key(t);
    }
    res->fell_back = (double)count < fewest;
    if ((double)count > most)
        return sp_search_finish(sp, u, d, k, 1, key, key, count, indices, values, capacity, res);
    if (count > capacity) return sp_fail_capacity(sp, res, count, capacity);
    res->threshold = sp_key_value(key);
    memcpy(indices, sp->cand, (size_t)count * sizeof *indices);
    sp_fill_values(u, indices, count, values);
    res->count = count;
    return GTAP_OK;
}
