/* sample.c - the deterministic stride subsample used by the slow fits on
 * very large vectors, and k from a density (docs/THEORY.md s.1). */
#include <math.h>
#include <stdlib.h>

#include "gradtap/stats.h"

uint64_t gtap_sample_index_stride(uint64_t d, uint64_t max)
{
    if (max == 0 || d <= max) return 1;
    return d / max + (d % max ? 1 : 0);
}

int gtap_sample_stride(const float *u, uint64_t d, uint64_t max, float **sample, uint64_t *count, uint64_t *stride)
{
    if ((u == NULL && d > 0) || sample == NULL || count == NULL || stride == NULL || max == 0)
        return gtap_set_error(GTAP_EINVAL, "gtap_sample_stride: invalid argument");
    *sample = NULL;
    *count = 0;
    uint64_t s = gtap_sample_index_stride(d, max);
    uint64_t want = d == 0 ? 0 : (d - 1) / s + 1;
    *stride = s;
    if (want > SIZE_MAX / sizeof(float)) return gtap_set_error(GTAP_EOVERFLOW, "subsample of %llu values", (unsigned long long)want);
    float *out = malloc((size_t)(want ? want : 1) * sizeof *out);
    if (out == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for a sample of %llu values", (unsigned long long)want);
    uint64_t n = 0;
    for (uint64_t i = 0; i < d; i += s)
        if (isfinite(u[i])) out[n++] = u[i];
    *sample = out;
    *count = n;
    return GTAP_OK;
}

uint64_t gtap_k_for_density(double rho, uint64_t d)
{
    if (d == 0) return 0;
    double k = floor(rho * (double)d);
    if (!(k >= 1.0)) return 1;
    if (k >= (double)d) return d;
    return (uint64_t)k;
}
