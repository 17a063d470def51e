/*
 * threshold_ref.c - reference Gaussian-k, trimmed top-k and DGC-k searches
 * (ref.h): the kernels' rule (shared/search.h) with every round counted
 * directly on u, and the statistics by two-pass double sums.
 */
#include <math.h>
#include <stdlib.h>

#include "ref/ref.h"
#include "gradtap/philox.h"

static void count_round(const float *u, uint64_t d, gtap_search_state *s) {
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) s->cnt[j] = gtap_ref_select_ge(u, d, s->th[j], NULL);
}

static void band(const gtap_cuda_select_params *p, int exact, unsigned long long *lo, unsigned long long *hi) {
    *lo = exact ? p->k : (unsigned long long)ceil(p->band_lo * (double)p->k);
    *hi = (unsigned long long)floor(p->band_hi * (double)p->k);
    if (*lo < 1) *lo = 1;
    if (*hi < p->k) *hi = p->k;
}

static void run_rounds(const float *u, uint64_t d, gtap_search_state *s) {
    while (!s->done) {
        count_round(u, d, s);
        gtap_search_update(s);
    }
}

void gtap_ref_gaussiank(const float *u, uint64_t d, const gtap_cuda_select_params *p, gtap_search_state *s) {
    double n = 0, sum = 0, m2 = 0;
    unsigned long long nonfinite = 0;
    for (uint64_t i = 0; i < d; ++i) {
        if (!gtap_key_finite(gtap_mag_key(u[i]))) { ++nonfinite; continue; }
        n += 1; sum += u[i];
    }
    const double mean = n > 0 ? sum / n : 0.0;
    for (uint64_t i = 0; i < d; ++i)
        if (gtap_key_finite(gtap_mag_key(u[i]))) m2 += ((double)u[i] - mean) * ((double)u[i] - mean);
    const double sigma = n > 0 ? sqrt(m2 / n) : 0.0;
    unsigned long long lo, hi;
    band(p, p->exact_k, &lo, &hi);
    gtap_search_init(s, p->k, lo, hi, p->exact_k, p->max_passes);
    s->stat_a = mean;
    s->stat_b = sigma;
    s->n_nonfinite = nonfinite;
    const double t0 = gtap_gaussian_threshold(mean, sigma, (double)p->k / (double)d);
    gtap_search_spread(s, 0.75 * t0, 2.0 * t0, 1);
    run_rounds(u, d, s);
}

void gtap_ref_trimmed(const float *u, uint64_t d, const gtap_cuda_select_params *p, gtap_search_state *s) {
    double n = 0, l1 = 0, mx = 0;
    for (uint64_t i = 0; i < d; ++i) {
        if (!gtap_key_finite(gtap_mag_key(u[i]))) continue;
        const double a = fabs((double)u[i]);
        n += 1; l1 += a;
        if (a > mx) mx = a;
    }
    unsigned long long lo, hi;
    band(p, 1, &lo, &hi);
    gtap_search_init(s, p->k, lo, hi, 1, p->max_passes);
    s->stat_a = n > 0 ? l1 / n : 0.0;
    s->stat_b = mx;
    gtap_search_spread(s, s->stat_a, mx, 1);
    run_rounds(u, d, s);
}

void gtap_ref_dgc_sizes(const gtap_cuda_select_params *p, uint64_t d, uint64_t *n, uint64_t *k) {
    const double want = ceil(p->sample_density * (double)d);
    uint64_t sn = want >= (double)d ? d : (uint64_t)want;
    if (sn < p->min_sample) sn = p->min_sample;
    if (sn > d) sn = d;
    if (sn == 0) sn = 1;
    const double ks = ceil((double)p->k / (double)d * (double)sn);
    *n = sn;
    *k = ks < 1.0 ? 1 : (ks > (double)sn ? sn : (uint64_t)ks);
}

void gtap_ref_dgck(const float *u, uint64_t d, const gtap_cuda_select_params *p, gtap_search_state *s,
                   float *sample_threshold) {
    uint64_t sn, sk;
    gtap_ref_dgc_sizes(p, d, &sn, &sk);
    uint64_t *keys = malloc(sn * sizeof *keys);
    float *vals = malloc(sn * sizeof *vals);
    uint32_t *top = malloc(sk * sizeof *top);
    uint32_t smallest = 0xffffffffu;
    if (keys && vals && top) {
        /* the sample element j plays index j in the tie order of the kernels' list */
        for (uint64_t j = 0; j < sn; ++j) {
            const uint32_t idx = gtap_draw_index(gtap_philox_draw(p->seed, GTAP_PHILOX_STREAM_DGC, j), d);
            vals[j] = u[idx];
            keys[j] = gtap_sel_key(gtap_mag_hi(u[idx]), idx);
        }
        if (gtap_ref_top_select(keys, sn, sk, top) == GTAP_OK)
            for (uint64_t j = 0; j < sk; ++j) {
                const uint32_t mk = gtap_mag_key(vals[top[j]]);
                if (mk < smallest) smallest = mk;
            }
    }
    free(keys); free(vals); free(top);
    const float t = gtap_key_float(smallest == 0xffffffffu ? 0u : smallest);
    *sample_threshold = t;
    gtap_search_init(s, p->k, (unsigned long long)ceil(0.8 * (double)p->k),
                     (unsigned long long)floor(1.3 * (double)p->k), 0, 1);
    s->max_retries = (uint32_t)p->max_retries;
    gtap_dgc_thresholds(s, t);
    count_round(u, d, s);
    gtap_dgc_choose(s);
}
