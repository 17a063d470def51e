/* tail_parallel.c - the exact tail-energy kernel (gradtap/tail.h) run with
 * OpenMP threads: each thread feeds one contiguous slice of the vector into
 * its own accumulator, the accumulators are merged and planned once, each
 * thread refines its slice against the common plan, and the refinements
 * are merged again (ALGORITHMS.md section 1). */
#include <omp.h>
#include <stdlib.h>

#include "gradtap/stats.h"

/* Slice [*begin, *end) of d for thread `index` of `count`. */
static void slice(uint64_t d, int index, int count, uint64_t *begin, uint64_t *end)
{
    uint64_t base = d / (uint64_t)count, extra = d % (uint64_t)count, i = (uint64_t)index;
    *begin = i * base + (i < extra ? i : extra);
    *end = *begin + base + (i < extra ? 1 : 0);
}

static int parallel_pass(gtap_tail **workers, int count, const float *u, uint64_t d, int refine)
{
    int status = GTAP_OK;
#pragma omp parallel for num_threads(count) schedule(static, 1) reduction(min : status)
    for (int i = 0; i < count; i++) {
        uint64_t begin, end;
        slice(d, i, count, &begin, &end);
        int rc = refine ? gtap_tail_refine(workers[i], u + begin, end - begin)
                        : gtap_tail_feed(workers[i], u + begin, end - begin);
        if (rc < status) status = rc;
    }
    for (int i = 1; i < count && status == GTAP_OK; i++) status = gtap_tail_merge(workers[0], workers[i]);
    return status;
}

int gtap_tail_energy_threads(const float *u, uint64_t d, const uint64_t *ks, size_t nk,
                             gtap_tail_result *results, gtap_moments *moments, int threads)
{
    if (threads <= 0) threads = omp_get_max_threads();
    /* below ~1M values a thread costs more than it saves */
    uint64_t useful = d / (1u << 20) + 1;
    if ((uint64_t)threads > useful) threads = (int)useful;
    if (threads <= 1) return gtap_tail_energy(u, d, ks, nk, results, moments);
    if ((u == NULL && d > 0) || (nk > 0 && (ks == NULL || results == NULL)))
        return gtap_set_error(GTAP_EINVAL, "gtap_tail_energy_threads: NULL argument");
    gtap_tail **workers = calloc((size_t)threads, sizeof *workers);
    if (workers == NULL) return gtap_set_error(GTAP_ENOMEM, "tail energy: out of memory");
    int rc = GTAP_OK, refine = 0;
    for (int i = 0; i < threads && rc == GTAP_OK; i++) rc = gtap_tail_create(&workers[i]);
    if (rc == GTAP_OK) rc = parallel_pass(workers, threads, u, d, 0);
    if (rc == GTAP_OK) rc = gtap_tail_plan(workers[0], ks, nk, &refine);
    if (rc == GTAP_OK && moments) rc = gtap_tail_moments(workers[0], moments);
    for (int i = 1; i < threads && rc == GTAP_OK && refine; i++) rc = gtap_tail_adopt_plan(workers[i], workers[0]);
    if (rc == GTAP_OK && refine) rc = parallel_pass(workers, threads, u, d, 1);
    if (rc == GTAP_OK) rc = gtap_tail_finish(workers[0], results);
    for (int i = 0; i < threads; i++) gtap_tail_free(workers[i]);
    free(workers);
    return rc;
}
