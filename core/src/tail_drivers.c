/* tail_drivers.c - the one-call forms of the tail-energy kernel: a whole
 * vector in memory, and a two-pass stream of chunks from a callback
 * (gradtap/tail.h). Both are single-threaded; analysis adds the threaded
 * form on top of the same accumulator. */
#include <stdlib.h>

#include "tail_internal.h"

static int run_passes(gtap_tail *t, const float *u, uint64_t d, const uint64_t *ks, size_t nk,
                      gtap_tail_result *results, gtap_moments *moments)
{
    int refine = 0;
    int rc = gtap_tail_feed(t, u, d);
    if (rc == GTAP_OK) rc = gtap_tail_plan(t, ks, nk, &refine);
    if (rc == GTAP_OK && refine) rc = gtap_tail_refine(t, u, d);
    if (rc == GTAP_OK) rc = gtap_tail_finish(t, results);
    if (rc == GTAP_OK && moments) rc = gtap_tail_moments(t, moments);
    return rc;
}

int gtap_tail_energy(const float *u, uint64_t d, const uint64_t *ks, size_t nk, gtap_tail_result *results,
                     gtap_moments *moments)
{
    if ((u == NULL && d > 0) || (nk > 0 && (ks == NULL || results == NULL)))
        return gtap_set_error(GTAP_EINVAL, "gtap_tail_energy: NULL argument");
    gtap_tail *t = NULL;
    int rc = gtap_tail_create(&t);
    if (rc == GTAP_OK) rc = run_passes(t, u, d, ks, nk, results, moments);
    gtap_tail_free(t);
    return rc;
}

static int stream_pass(gtap_tail *t, gtap_tail_chunk_fn next, void *user, int pass)
{
    for (uint64_t chunk = 0;; chunk++) {
        const float *data = NULL;
        uint64_t n = 0;
        int rc = next(user, pass, chunk, &data, &n);
        if (rc < 0) return rc;
        if (n == 0) return GTAP_OK;
        rc = pass == 1 ? gtap_tail_feed(t, data, n) : gtap_tail_refine(t, data, n);
        if (rc < 0) return rc;
    }
}

int gtap_tail_energy_stream(gtap_tail_chunk_fn next, void *user, const uint64_t *ks, size_t nk,
                            gtap_tail_result *results, gtap_moments *moments)
{
    if (next == NULL || (nk > 0 && (ks == NULL || results == NULL)))
        return gtap_set_error(GTAP_EINVAL, "gtap_tail_energy_stream: NULL argument");
    gtap_tail *t = NULL;
    int refine = 0;
    int rc = gtap_tail_create(&t);
    if (rc == GTAP_OK) rc = stream_pass(t, next, user, 1);
    if (rc == GTAP_OK) rc = gtap_tail_plan(t, ks, nk, &refine);
    if (rc == GTAP_OK && refine) rc = stream_pass(t, next, user, 2);
    if (rc == GTAP_OK) rc = gtap_tail_finish(t, results);
    if (rc == GTAP_OK && moments) rc = gtap_tail_moments(t, moments);
    gtap_tail_free(t);
    return rc;
}
