/* blocks.c - the passes of the fits over their sample (fit_internal.h):
 * the sample is cut into fixed blocks of FIT_BLOCK values that OpenMP
 * threads take in turn; each block writes its own partial results, which
 * are combined in block order afterwards, so every sum (and every maximum)
 * is the same for any number of threads (docs/THEORY.md s.6). */
#include <omp.h>
#include <stdlib.h>

#include "fit_internal.h"

/* Below this many values a pass runs on the calling thread only. */
#define PARALLEL_FROM (1u << 16)

/* The thread count of the fit running on this thread (0: OpenMP's default). */
static _Thread_local int fit_threads;

int gtap_fit_use_threads(int threads)
{
    int before = fit_threads;
    fit_threads = threads > 0 ? threads : 0;
    return before;
}

int gtap_fit_pass(const float *x, uint64_t n, gtap_fit_block_fn fn, const void *ctx, int width, int take_max, double *out)
{
    uint64_t blocks = n / GTAP_FIT_BLOCK + (n % GTAP_FIT_BLOCK ? 1 : 0);
    if (width < 1 || width > GTAP_FIT_PASS_WIDTH) return gtap_set_error(GTAP_EINVAL, "fit: pass of width %d", width);
    for (int j = 0; j < width; j++) out[j] = 0.0;
    if (blocks == 0) return GTAP_OK;
    double *partial = malloc((size_t)blocks * (size_t)width * sizeof *partial);
    if (partial == NULL) return gtap_set_error(GTAP_ENOMEM, "fit: out of memory for %llu blocks", (unsigned long long)blocks);
    int threads = fit_threads > 0 ? fit_threads : omp_get_max_threads();
    if ((uint64_t)threads > blocks) threads = (int)blocks;
#pragma omp parallel for num_threads(threads) schedule(static) if (n >= PARALLEL_FROM && threads > 1)
    for (int64_t b = 0; b < (int64_t)blocks; b++) {
        uint64_t begin = (uint64_t)b * GTAP_FIT_BLOCK;
        uint64_t count = n - begin < GTAP_FIT_BLOCK ? n - begin : GTAP_FIT_BLOCK;
        fn(ctx, x + begin, begin, count, partial + (size_t)b * (size_t)width);
    }
    for (int j = 0; j < width; j++) out[j] = partial[j];
    for (uint64_t b = 1; b < blocks; b++)
        for (int j = 0; j < width; j++) {
            double v = partial[b * (uint64_t)width + (uint64_t)j];
            if (!take_max) out[j] += v;
            else if (v > out[j]) out[j] = v;
        }
    free(partial);
    return GTAP_OK;
}
