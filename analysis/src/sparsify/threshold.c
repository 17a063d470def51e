/*
 * sparsify/threshold.c - the hard threshold (Sahu et al., docs/THEORY.md s.4.8):
 * keep |u_i| >= lambda in one pass; ||u - C(u)||^2 <= d lambda^2.
 */
#include "sparsify/internal.h"

int sp_run_threshold(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t *indices, float *values,
                     uint64_t capacity, gtap_sparsify_result *res)
{
    uint64_t bad = 0;
    uint32_t key = sp_threshold_key(sp->opt.lambda);
    uint64_t count = sp_gather(sp, u, d, key, 0, indices, values, capacity, &bad);
    if (bad > 0) return sp_fail_nonfinite(sp, res, bad, d);
    res->passes = 1;
    res->threshold = sp->opt.lambda;
    if (count > capacity) return sp_fail_capacity(sp, res, count, capacity);
    res->count = count;
    return GTAP_OK;
}
