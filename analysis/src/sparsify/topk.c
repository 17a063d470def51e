/*
 * sparsify/topk.c - the exact top-k compressor (docs/THEORY.md s.4.2) and the
 * threshold-search pass and finish (with its "exact top-k among the
 * candidates") that gaussiank, dgck, trimmed and redsync share; all on the
 * radix select of radix.c.
 */
#include <math.h>

#include "sparsify/internal.h"

int sp_run_topk(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices, float *values,
                gtap_sparsify_result *res)
{
    uint32_t kth = 0;
    uint64_t bad = 0;
    int rc = sp_radix_topk(sp, u, NULL, d, k, indices, values, &kth, &bad);
    if (rc == GTAP_ENONFINITE) return sp_fail_nonfinite(sp, res, bad, d);
    res->count = k;
    res->threshold = sp_key_value(kth);
    return rc;
}

uint64_t sp_search_pass(gtap_sparsifier *sp, const float *u, uint64_t d, uint32_t key, int exact,
                        uint64_t *indices, float *values, uint64_t capacity)
{
    if (exact) return sp_gather(sp, u, d, key, 0, sp->cand, NULL, d, NULL);
    return sp_gather(sp, u, d, key, 0, indices, values, capacity, NULL);
}

int sp_search_finish(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, int exact, uint32_t chosen,
                     uint32_t last_key, uint64_t count, uint64_t *indices, float *values, uint64_t capacity,
                     gtap_sparsify_result *res)
{
    if (chosen != last_key) {
        count = sp_search_pass(sp, u, d, chosen, exact, indices, values, capacity);
        res->passes++;
    }
    res->threshold = sp_key_value(chosen);
    if (exact) {
        if (capacity < k) return sp_fail_capacity(sp, res, k, capacity);
        res->count = k;
        return sp_radix_topk(sp, u, sp->cand, count, k, indices, values, NULL, NULL);
    }
    if (count > capacity) return sp_fail_capacity(sp, res, count, capacity);
    res->count = count;
    return GTAP_OK;
}

int gtap_topk_select(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                     float *values, float *kth_abs)
{
    if (sp == NULL || u == NULL || indices == NULL || values == NULL)
        return gtap_set_error(GTAP_EINVAL, "topk select: NULL argument (sparsifier, u, indices or values)");
    if (d == 0 || d > sp->d_max)
        return gtap_set_error(GTAP_EINVAL, "topk select: d = %llu is not in 1..d_max = %llu",
                              (unsigned long long)d, (unsigned long long)sp->d_max);
    if (k == 0 || k > d)
        return gtap_set_error(GTAP_EINVAL, "topk select: k = %llu is not in 1..d = %llu", (unsigned long long)k,
                              (unsigned long long)d);
    uint32_t kth = 0;
    uint64_t bad = 0;
    int rc = sp_radix_topk(sp, u, NULL, d, k, indices, values, &kth, &bad);
    if (rc == GTAP_ENONFINITE)
        return gtap_set_error(rc, "topk select: %llu of %llu values of u are NaN or Inf", (unsigned long long)bad,
                              (unsigned long long)d);
    if (kth_abs != NULL) *kth_abs = sp_key_value(kth);
    return rc;
}
