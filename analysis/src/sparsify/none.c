/*
 * sparsify/none.c - the dense "compressor": every coordinate with its
 * value (the baseline a sparsified run is compared with).
 */
#include "sparsify/internal.h"

int sp_run_none(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t *indices, float *values,
                gtap_sparsify_result *res)
{
    uint64_t bad = sp_count_nonfinite(sp, u, d);
    if (bad > 0) return sp_fail_nonfinite(sp, res, bad, d);
    for (uint64_t i = 0; i < d; i++) indices[i] = i;
    memcpy(values, u, (size_t)d * sizeof *values);
    res->count = d;
    return GTAP_OK;
}
