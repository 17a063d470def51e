/* summary.c - compute one summary of a vector (gradtap/summary.h): counts
 * and moments and exact tail energies from gradtap/tail.h (docs/THEORY.md
 * section 1), plus the log2|u| histogram, read straight off the float's
 * exponent bits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/density.h"
#include "gradtap/summary.h"
#include "gradtap/tail.h"

int gtap_summary_hist_bin(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    bits &= 0x7fffffffu;
    uint32_t exponent_field = bits >> 23;
    if (bits == 0 || exponent_field == 0xffu) return -1;
    if (exponent_field == 0) return 0; /* subnormal: below 2^-126 */
    int exponent = (int)exponent_field - 127; /* floor(log2|u|) */
    int bin = exponent - GTAP_SUMMARY_HIST_MIN_EXPONENT + 1;
    if (bin < 0) bin = 0;
    if (bin > GTAP_SUMMARY_HIST_BINS - 1) bin = GTAP_SUMMARY_HIST_BINS - 1;
    return bin;
}

static void histogram(const float *u, uint64_t n, uint64_t *hist)
{
    for (uint64_t i = 0; i < n; i++) {
        int bin = gtap_summary_hist_bin(u[i]);
        if (bin >= 0) hist[bin]++;
    }
}

int gtap_summary_compute(gtap_dtype dtype, const void *data, uint64_t numel, const double *densities,
                         size_t density_count, float *scratch, gtap_summary *summary)
{
    if (summary == NULL || (data == NULL && numel > 0) || (densities == NULL && density_count > 0))
        return gtap_set_error(GTAP_EINVAL, "gtap_summary_compute: NULL argument");
    if (density_count > GTAP_SUMMARY_MAX_DENSITIES)
        return gtap_set_error(GTAP_EINVAL, "gtap_summary_compute: %zu densities (at most %d)", density_count,
                              GTAP_SUMMARY_MAX_DENSITIES);
    if (gtap_dtype_size(dtype) == 0) return gtap_set_error(GTAP_EDTYPE, "gtap_summary_compute: dtype %d", (int)dtype);
    memset(summary, 0, sizeof *summary);
    summary->step = -1;
    uint64_t ks[GTAP_SUMMARY_MAX_DENSITIES];
    for (size_t i = 0; i < density_count; i++) {
        if (!(densities[i] > 0.0 && densities[i] <= 1.0))
            return gtap_set_error(GTAP_EINVAL, "gtap_summary_compute: density %g is not in (0, 1]", densities[i]);
        summary->densities[i] = densities[i];
        ks[i] = 0; /* an empty vector has no k */
        if (numel > 0) (void)gtap_k_from_density(densities[i], numel, &ks[i]);
        summary->k[i] = ks[i];
    }
    summary->density_count = density_count;

    const float *values = data;
    float *owned = NULL;
    if (dtype != GTAP_FLOAT32 && numel > 0) {
        if (scratch == NULL) {
            if (numel > SIZE_MAX / sizeof(float)) return gtap_set_error(GTAP_EOVERFLOW, "summary: numel too large");
            scratch = owned = malloc((size_t)numel * sizeof(float));
            if (owned == NULL) return gtap_set_error(GTAP_ENOMEM, "summary: no memory to widen %llu elements",
                                                     (unsigned long long)numel);
        }
        int rc = gtap_to_float32(dtype, data, scratch, (size_t)numel);
        if (rc < 0) {
            free(owned);
            return rc;
        }
        values = scratch;
    }
    gtap_tail_result results[GTAP_SUMMARY_MAX_DENSITIES];
    gtap_moments moments;
    int rc = gtap_tail_energy(values, numel, ks, density_count, results, &moments);
    if (rc == GTAP_OK) {
        histogram(values, numel, summary->hist);
        summary->moments[GTAP_SUMMARY_MEAN] = moments.mean;
        summary->moments[GTAP_SUMMARY_VARIANCE] = gtap_moments_variance(&moments, 0);
        summary->moments[GTAP_SUMMARY_SKEWNESS] = gtap_moments_skewness(&moments);
        summary->moments[GTAP_SUMMARY_EXCESS_KURTOSIS] = gtap_moments_excess_kurtosis(&moments);
        summary->moments[GTAP_SUMMARY_MIN] = moments.min;
        summary->moments[GTAP_SUMMARY_MAX] = moments.max;
        summary->moments[GTAP_SUMMARY_NORM2] = moments.norm2;
        summary->moments[GTAP_SUMMARY_ABS_SUM] = moments.abs_sum;
        summary->counts[GTAP_SUMMARY_COUNT] = moments.count;
        summary->counts[GTAP_SUMMARY_FINITE] = moments.finite;
        summary->counts[GTAP_SUMMARY_ZEROS] = moments.zero_count;
        summary->counts[GTAP_SUMMARY_NAN] = moments.nan_count;
        summary->counts[GTAP_SUMMARY_POSINF] = moments.posinf_count;
        summary->counts[GTAP_SUMMARY_NEGINF] = moments.neginf_count;
        for (size_t i = 0; i < density_count; i++)
            summary->ratios[i] = moments.norm2 > 0.0 ? results[i].tail2 / moments.norm2 : NAN;
    }
    free(owned);
    return rc;
}
