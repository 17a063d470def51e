/*
 * sparsify/scan.c - the plain passes over u that the threshold compressors
 * share: moments in double (two-level sums), counting and gathering
 * |u_i| >= t by bit-pattern keys, non-finite checks, common failures.
 */
#include <float.h>
#include <math.h>

#include "sparsify/internal.h"

uint32_t sp_threshold_key(double t)
{
    if (!(t > 0.0)) return 0;
    if (t > (double)FLT_MAX) return SP_KEY_NONFINITE;
    float f = (float)t;
    if ((double)f < t) f = nextafterf(f, INFINITY);
    return sp_key(f);
}

enum { STATS_CHUNK = 4096 };

void sp_scan_stats(const float *u, uint64_t d, sp_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    /* Sums of (u_i - shift) with shift = u[0] keep the variance accurate
     * when |mean| >> stddev; per-chunk partial sums limit rounding growth. */
    double shift = isfinite(u[0]) ? (double)u[0] : 0.0;
    double sum = 0.0, sum2 = 0.0, abs_sum = 0.0;
    uint32_t max_key = 0;
    uint64_t nonfinite = 0;
    for (uint64_t start = 0; start < d; start += STATS_CHUNK) {
        uint64_t end = start + STATS_CHUNK < d ? start + STATS_CHUNK : d;
        double s1 = 0.0, s2 = 0.0, sa = 0.0;
        uint32_t chunk_max = 0;
        uint64_t chunk_bad = 0;
        for (uint64_t i = start; i < end; i++) {
            uint32_t key = sp_key(u[i]);
            chunk_bad += key >= SP_KEY_NONFINITE;
            chunk_max = key > chunk_max ? key : chunk_max;
            double x = (double)u[i] - shift;
            s1 += x;
            s2 += x * x;
            sa += fabs((double)u[i]);
        }
        sum += s1;
        sum2 += s2;
        abs_sum += sa;
        max_key = chunk_max > max_key ? chunk_max : max_key;
        nonfinite += chunk_bad;
    }
    double n = (double)d;
    double centred = sum / n;
    double variance = sum2 / n - centred * centred;
    stats->mean = shift + centred;
    stats->stddev = variance > 0.0 ? sqrt(variance) : 0.0;
    stats->abs_sum = abs_sum;
    stats->abs_mean = abs_sum / n;
    stats->abs_max = nonfinite ? INFINITY : sp_key_value(max_key);
    stats->nonfinite = nonfinite;
}

int sp_scan_checked(const gtap_sparsifier *sp, const float *u, uint64_t d, sp_stats *stats,
                    gtap_sparsify_result *res)
{
    sp_scan_stats(u, d, stats);
    return stats->nonfinite > 0 ? sp_fail_nonfinite(sp, res, stats->nonfinite, d) : GTAP_OK;
}

void sp_search_band(const gtap_sparsify_options *opt, uint64_t k, int exact, double *low, double *high)
{
    *low = exact ? (double)k : opt->band_low * (double)k;
    *high = opt->band_high * (double)k;
}

uint64_t sp_count_nonfinite(const float *u, uint64_t d)
{
    uint64_t bad = 0;
    for (uint64_t i = 0; i < d; i++) bad += sp_key(u[i]) >= SP_KEY_NONFINITE;
    return bad;
}

uint64_t sp_gather(const float *u, uint64_t d, uint32_t key, int strict, uint64_t *indices, float *values,
                   uint64_t capacity, uint64_t *nonfinite)
{
    uint64_t count = 0, bad = 0;
    /* strict: |u_i| > t  <=>  key_i >= key + 1 (keys are integers). */
    uint64_t bound = (uint64_t)key + (strict ? 1u : 0u);
    for (uint64_t i = 0; i < d; i++) {
        uint32_t k = sp_key(u[i]);
        bad += k >= SP_KEY_NONFINITE;
        if ((uint64_t)k >= bound) {
            if (count < capacity) {
                indices[count] = i;
                if (values != NULL) values[count] = u[i];
            }
            count++;
        }
    }
    if (nonfinite != NULL) *nonfinite = bad;
    return count;
}

void sp_fill_values(const float *u, const uint64_t *indices, uint64_t count, float *values)
{
    for (uint64_t j = 0; j < count; j++) values[j] = u[indices[j]];
}

int sp_fail_nonfinite(const gtap_sparsifier *sp, gtap_sparsify_result *res, uint64_t nonfinite, uint64_t d)
{
    res->count = 0;
    res->nonfinite = nonfinite;
    return gtap_set_error(GTAP_ENONFINITE, "%s: %llu of %llu values of u are NaN or Inf",
                          gtap_sparsifier_kind_name(sp->opt.kind), (unsigned long long)nonfinite,
                          (unsigned long long)d);
}

int sp_fail_capacity(const gtap_sparsifier *sp, gtap_sparsify_result *res, uint64_t count, uint64_t capacity)
{
    res->count = count;
    return gtap_set_error(GTAP_EOVERFLOW, "%s selected %llu pairs but the output holds %llu",
                          gtap_sparsifier_kind_name(sp->opt.kind), (unsigned long long)count,
                          (unsigned long long)capacity);
}
