/*
 * sparsify/trimmed.c - trimmed top-k and RedSync (docs/THEORY.md s.4.7): the
 * threshold mean|u| + r (max|u| - mean|u|) with r found by bisection on the
 * counts. RedSync keeps what the threshold selects (variable count);
 * trimmed top-k searches for at least k candidates and finishes with an
 * exact top-k among them (the reference code does not).
 */
#include <math.h>

#include "sparsify/internal.h"

int sp_run_trimmed(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                   float *values, uint64_t capacity, gtap_sparsify_result *res)
{
    const gtap_sparsify_options *opt = &sp->opt;
    int trimmed = opt->kind == GTAP_SPARSIFY_TRIMMED;
    sp_stats stats;
    int rc = sp_scan_checked(sp, u, d, &stats, res);
    if (rc < 0) return rc;
    double band_low = 0.0, band_high = 0.0;
    sp_search_band(opt, k, trimmed, &band_low, &band_high);
    double mean = stats.abs_mean, span = (double)stats.abs_max - stats.abs_mean;

    /* r_lo: largest r with a count above the band; r_hi: smallest r below. */
    double r_lo = 0.0, r_hi = 1.0, r = 0.5;
    int have_above = 0, have_below = 0, in_band = 0;
    uint32_t key_above = 0, key_below = 0, last_key = 0;
    uint64_t count = 0;
    for (int pass = 0; pass < opt->max_passes; pass++) {
        uint32_t key = sp_threshold_key(mean + r * span);
        if ((have_above && key == key_above) || (have_below && key == key_below)) break;
        count = sp_search_pass(sp, u, d, key, trimmed, indices, values, capacity);
        last_key = key;
        res->passes++;
        if ((double)count >= band_low && (double)count <= band_high) {
            in_band = 1;
            break;
        }
        if ((double)count > band_high) {
            have_above = 1, key_above = key, r_lo = r;
        } else {
            have_below = 1, key_below = key, r_hi = r;
        }
        r = 0.5 * (r_lo + r_hi);
    }
    uint32_t chosen = last_key;
    if (!in_band) {
        res->fell_back = 1;
        if (trimmed && !have_above) {
            res->threshold = sp_key_value(last_key);
            return sp_run_topk(sp, u, d, k, indices, values, res);
        }
        chosen = have_above ? key_above : key_below;
    }
    return sp_search_finish(sp, u, d, k, trimmed, chosen, last_key, count, indices, values, capacity, res);
}
