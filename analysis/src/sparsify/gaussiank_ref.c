/*
 * sparsify/gaussiank_ref.c - Gaussian-k as the reference code
 * (hclhkbu/GaussianK-SGD) behaves, bugs included, for comparison
 * (docs/THEORY.md s.4.5): one-sided threshold mu + z sigma with
 * z = Phi^-1(1 - rho/2), counts of |u_i| > t, t x0.5 / x1.5 whenever the
 * count leaves [2k/3, 4k/3], at most 3 counting passes, and the set of the
 * last count kept whatever its size.
 */
#include <gsl/gsl_cdf.h>
#include <math.h>

#include "gsl_quiet.h"
#include "sparsify/internal.h"

enum { REF_MAX_PASSES = 3 };

/* Count (and gather) |u_i| > t with t rounded to float as the reference's
 * tensor comparison does; a negative t selects everything. */
static uint64_t count_above(gtap_sparsifier *sp, const float *u, uint64_t d, double t, uint64_t *indices, float *values,
                            uint64_t capacity)
{
    if (t < 0.0) return sp_gather(sp, u, d, 0, 0, indices, values, capacity, NULL);
    float tf = (float)t;
    if (isinf(tf)) return 0;
    return sp_gather(sp, u, d, sp_key(tf), 1, indices, values, capacity, NULL);
}

int sp_run_gaussiank_ref(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                         float *values, uint64_t capacity, gtap_sparsify_result *res)
{
    sp_stats stats;
    int rc = sp_scan_checked(sp, u, d, &stats, res);
    if (rc < 0) return rc;
    gtap_gsl_quiet();
    double rho = (double)k / (double)d;
    double z = gsl_cdf_ugaussian_Pinv(1.0 - rho / 2.0);
    double t = stats.mean + z * stats.stddev;
    double low = 2.0 * (double)k / 3.0, high = 4.0 * (double)k / 3.0;
    uint64_t count = 0;
    double counted_at = t;
    for (int pass = 0; pass < REF_MAX_PASSES; pass++) {
        count = count_above(sp, u, d, t, indices, values, capacity);
        counted_at = t;
        res->passes++;
        if ((double)count < low) {
            t *= 0.5;
        } else if ((double)count > high) {
            t *= 1.5;
        } else {
            break;
        }
    }
    res->threshold = counted_at;
    res->fell_back = (double)count < low || (double)count > high;
    if (count > capacity) return sp_fail_capacity(sp, res, count, capacity);
    res->count = count;
    return GTAP_OK;
}
