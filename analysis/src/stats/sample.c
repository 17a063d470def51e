/* sample.c - subsamples for the slow fits on very large vectors: the
 * seeded random one (one random index per block, docs/THEORY.md s.6) and
 * the older deterministic stride; and k from a density (s.1). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "gradtap/random.h"
#include "gradtap/stats.h"

uint64_t gtap_sample_index_stride(uint64_t d, uint64_t max)
{
    if (max == 0 || d <= max) return 1;
    return d / max + (d % max ? 1 : 0);
}

uint64_t gtap_sample_random_index(uint64_t seed, uint64_t block, uint64_t stride, uint64_t d)
{
    if (stride == 0 || block >= d / stride + (d % stride ? 1 : 0)) return d;
    uint64_t first = block * stride;
    if (stride == 1) return first;
    uint64_t length = d - first < stride ? d - first : stride, counter = 0;
    return first + gtap_srng_below(seed, block, &counter, length);
}

/* Allocate room for the values of a sample of `want` blocks. */
static int sample_buffer(uint64_t want, float **out)
{
    *out = NULL;
    if (want > SIZE_MAX / sizeof(float)) return gtap_set_error(GTAP_EOVERFLOW, "subsample of %llu values", (unsigned long long)want);
    *out = malloc((size_t)(want ? want : 1) * sizeof **out);
    if (*out == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for a sample of %llu values", (unsigned long long)want);
    return GTAP_OK;
}

/* The finite values of one coordinate per block of `stride`: the block's
 * first (random = 0) or one drawn with gtap_sample_random_index(seed, ...). */
static int sample_blocks(const float *u, uint64_t d, uint64_t max, int random, uint64_t seed, float **sample,
                         uint64_t *count, uint64_t *stride)
{
    if ((u == NULL && d > 0) || sample == NULL || count == NULL || stride == NULL || max == 0)
        return gtap_set_error(GTAP_EINVAL, "%s: invalid argument", random ? "gtap_sample_random" : "gtap_sample_stride");
    *sample = NULL;
    *count = 0;
    uint64_t s = gtap_sample_index_stride(d, max);
    uint64_t blocks = d == 0 ? 0 : (d - 1) / s + 1;
    *stride = s;
    float *out = NULL;
    int rc = sample_buffer(blocks, &out);
    if (rc < 0) return rc;
    uint64_t n = 0;
    for (uint64_t b = 0; b < blocks; b++) {
        uint64_t i = random ? gtap_sample_random_index(seed, b, s, d) : b * s;
        if (isfinite(u[i])) out[n++] = u[i];
    }
    *sample = out;
    *count = n;
    return GTAP_OK;
}

int gtap_sample_stride(const float *u, uint64_t d, uint64_t max, float **sample, uint64_t *count, uint64_t *stride)
{
    return sample_blocks(u, d, max, 0, 0, sample, count, stride);
}

int gtap_sample_random(const float *u, uint64_t d, uint64_t max, uint64_t seed, float **sample, uint64_t *count,
                       uint64_t *stride)
{
    return sample_blocks(u, d, max, 1, seed, sample, count, stride);
}

uint64_t gtap_k_for_density(double rho, uint64_t d)
{
    if (d == 0) return 0;
    double k = floor(rho * (double)d);
    if (!(k >= 1.0)) return 1;
    if (k >= (double)d) return d;
    return (uint64_t)k;
}

/* Below this many blocks one thread draws them (a parallel region costs more). */
#define TAKE_PARALLEL_BLOCKS 65536

void gtap_sample_random_take(uint64_t seed, uint64_t stride, uint64_t d, uint64_t begin, const float *u, uint64_t n,
                             float *sample, uint64_t capacity, uint64_t *count, int threads)
{
    if (stride == 0 || n == 0 || u == NULL || sample == NULL || count == NULL || *count >= capacity) return;
    uint64_t end = begin + n, first = begin / stride, last = (end - 1) / stride + 1, blocks = last - first;
    if (blocks > capacity - *count) { /* cannot happen for a capacity of d/stride blocks: one at a time */
        for (uint64_t b = first; b < last && *count < capacity; b++) {
            uint64_t i = gtap_sample_random_index(seed, b, stride, d);
            if (i >= begin && i < end && isfinite(u[i - begin])) sample[(*count)++] = u[i - begin];
        }
        return;
    }
    /* every block's candidate into its own slot (NaN: not in this chunk),
     * then the finite ones moved together in block order */
    float *slot = sample + *count;
    int team = threads > 0 ? threads : omp_get_max_threads();
#pragma omp parallel for num_threads(team) schedule(static) if (blocks >= TAKE_PARALLEL_BLOCKS)
    for (int64_t j = 0; j < (int64_t)blocks; j++) {
        uint64_t i = gtap_sample_random_index(seed, first + (uint64_t)j, stride, d);
        slot[j] = i >= begin && i < end ? u[i - begin] : NAN;
    }
    uint64_t kept = 0;
    for (uint64_t j = 0; j < blocks; j++)
        if (isfinite(slot[j])) slot[kept++] = slot[j];
    *count += kept;
}
