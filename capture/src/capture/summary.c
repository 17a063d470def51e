/* summary.c - compute one summary of a vector (gradtap/summary.h): counts
 * and moments and exact tail energies (docs/THEORY.md section 1 and 3),
 * plus the log2|u| histogram, read straight off the float's exponent bits.
 * The work is done by a summary_engine (summary_engine.h), which keeps its
 * buffers between calls; the capture's writer thread owns one, and
 * gtap_summary_compute() uses a fresh one each time. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/density.h"
#include "summary_engine.h"

int gtap_summary_hist_bin(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    bits &= 0x7fffffffu;
    if (bits == 0 || bits >= 0x7f800000u) return -1;
    return summary_hist_bin_of_bits(bits);
}

static void histogram(const float *u, uint64_t n, uint64_t *hist)
{
    for (uint64_t i = 0; i < n; i++) {
        int bin = gtap_summary_hist_bin(u[i]);
        if (bin >= 0) hist[bin]++;
    }
}

void summary_engine_free(summary_engine *engine)
{
    gtap_tail_free(engine->moments);
    free(engine->work);
    free(engine->scratch);
    memset(engine, 0, sizeof *engine);
}

/* Check the arguments and fill in the densities and k of `summary`. */
static int start_summary(gtap_dtype dtype, const void *data, uint64_t numel, const double *densities,
                         size_t density_count, gtap_summary *summary)
{
    if (summary == NULL || (data == NULL && numel > 0) || (densities == NULL && density_count > 0))
        return gtap_set_error(GTAP_EINVAL, "gtap_summary_compute: NULL argument");
    if (density_count > GTAP_SUMMARY_MAX_DENSITIES)
        return gtap_set_error(GTAP_EINVAL, "gtap_summary_compute: %zu densities (at most %d)", density_count,
                              GTAP_SUMMARY_MAX_DENSITIES);
    if (gtap_dtype_size(dtype) == 0) return gtap_set_error(GTAP_EDTYPE, "gtap_summary_compute: dtype %d", (int)dtype);
    memset(summary, 0, sizeof *summary);
    summary->step = -1;
    for (size_t i = 0; i < density_count; i++) {
        if (!(densities[i] > 0.0 && densities[i] <= 1.0))
            return gtap_set_error(GTAP_EINVAL, "gtap_summary_compute: density %g is not in (0, 1]", densities[i]);
        summary->densities[i] = densities[i];
        summary->k[i] = 0; /* an empty vector has no k */
        if (numel > 0) (void)gtap_k_from_density(densities[i], numel, &summary->k[i]);
    }
    summary->density_count = density_count;
    return GTAP_OK;
}

/* Room for `count` elements of `size` bytes in *buffer (kept, grown). */
static int reserve(void **buffer, size_t *capacity, uint64_t count, size_t size)
{
    if (count <= *capacity) return GTAP_OK;
    if (count > SIZE_MAX / size) return gtap_set_error(GTAP_EOVERFLOW, "summary: %llu elements are too many",
                                                       (unsigned long long)count);
    void *grown = realloc(*buffer, (size_t)count * size);
    if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "summary: no memory for %llu elements",
                                             (unsigned long long)count);
    *buffer = grown;
    *capacity = (size_t)count;
    return GTAP_OK;
}

/* T_k, the moments and the histogram of float32 values: sorting for short
 * vectors, the histogram of gradtap/tail.h for long ones (summary_engine.h). */
static int tails_and_moments(summary_engine *engine, const float *values, uint64_t numel, const uint64_t *ks,
                             size_t count, double *tails, gtap_moments *moments, uint64_t *hist)
{
    int rc;
    if (numel > SUMMARY_SMALL_LIMIT) {
        gtap_tail_result results[GTAP_SUMMARY_MAX_DENSITIES];
        rc = gtap_tail_energy(values, numel, ks, count, results, moments);
        for (size_t i = 0; i < count && rc == GTAP_OK; i++) tails[i] = results[i].tail2;
        if (rc == GTAP_OK) histogram(values, numel, hist);
        return rc;
    }
    if (engine->moments == NULL && (rc = gtap_tail_create(&engine->moments)) < 0) return rc;
    if ((rc = gtap_tail_feed(engine->moments, values, numel)) < 0) return rc;
    if ((rc = gtap_tail_take_moments(engine->moments, moments)) < 0) return rc;
    if ((rc = reserve(&engine->work, &engine->work_bytes, SUMMARY_EXACT_WORK_BYTES(numel), 1)) < 0) return rc;
    summary_exact_tails(values, numel, ks, count, engine->work, tails, hist);
    return GTAP_OK;
}

static void store_moments(const gtap_moments *moments, gtap_summary *summary)
{
    summary->moments[GTAP_SUMMARY_MEAN] = moments->mean;
    summary->moments[GTAP_SUMMARY_VARIANCE] = gtap_moments_variance(moments, 0);
    summary->moments[GTAP_SUMMARY_SKEWNESS] = gtap_moments_skewness(moments);
    summary->moments[GTAP_SUMMARY_EXCESS_KURTOSIS] = gtap_moments_excess_kurtosis(moments);
    summary->moments[GTAP_SUMMARY_MIN] = moments->min;
    summary->moments[GTAP_SUMMARY_MAX] = moments->max;
    summary->moments[GTAP_SUMMARY_NORM2] = moments->norm2;
    summary->moments[GTAP_SUMMARY_ABS_SUM] = moments->abs_sum;
    summary->counts[GTAP_SUMMARY_COUNT] = moments->count;
    summary->counts[GTAP_SUMMARY_FINITE] = moments->finite;
    summary->counts[GTAP_SUMMARY_ZEROS] = moments->zero_count;
    summary->counts[GTAP_SUMMARY_NAN] = moments->nan_count;
    summary->counts[GTAP_SUMMARY_POSINF] = moments->posinf_count;
    summary->counts[GTAP_SUMMARY_NEGINF] = moments->neginf_count;
}

int summary_engine_compute(summary_engine *engine, gtap_dtype dtype, const void *data, uint64_t numel,
                           const double *densities, size_t density_count, gtap_summary *summary)
{
    int rc = start_summary(dtype, data, numel, densities, density_count, summary);
    if (rc < 0) return rc;
    const float *values = data;
    if (dtype != GTAP_FLOAT32 && numel > 0) {
        void *scratch = engine->scratch;
        size_t capacity = (size_t)engine->scratch_floats;
        rc = reserve(&scratch, &capacity, numel, sizeof *engine->scratch);
        engine->scratch = scratch;
        engine->scratch_floats = capacity;
        if (rc == GTAP_OK) rc = gtap_to_float32(dtype, data, engine->scratch, (size_t)numel);
        if (rc < 0) return rc;
        values = engine->scratch;
    }
    double tails[GTAP_SUMMARY_MAX_DENSITIES];
    gtap_moments moments;
    rc = tails_and_moments(engine, values, numel, summary->k, density_count, tails, &moments, summary->hist);
    if (rc < 0) return rc;
    store_moments(&moments, summary);
    for (size_t i = 0; i < density_count; i++) summary->ratios[i] = moments.norm2 > 0.0 ? tails[i] / moments.norm2 : NAN;
    return GTAP_OK;
}

int gtap_summary_compute(gtap_dtype dtype, const void *data, uint64_t numel, const double *densities,
                         size_t density_count, float *scratch, gtap_summary *summary)
{
    summary_engine engine = {0};
    if (scratch != NULL) { /* the caller's room for widening: lend it to the engine */
        engine.scratch = scratch;
        engine.scratch_floats = numel;
    }
    int rc = summary_engine_compute(&engine, dtype, data, numel, densities, density_count, summary);
    if (scratch != NULL) engine.scratch = NULL; /* not ours to free */
    summary_engine_free(&engine);
    return rc;
}
