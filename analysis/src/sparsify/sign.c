/*
 * sparsify/sign.c - scaled sign (Karimireddy et al., docs/THEORY.md s.4.9):
 * C(u) = (||u||_1 / d) sign(u) over all d coordinates, sign(0) = +1, so that
 * ||u - C(u)||^2 = ||u||^2 - ||u||_1^2 / d exactly.
 */
#include "sparsify/internal.h"

int sp_run_sign(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t *indices, float *values,
                gtap_sparsify_result *res)
{
    sp_stats stats;
    int rc = sp_scan_checked(sp, u, d, &stats, res);
    if (rc < 0) return rc;
    float scale = (float)(stats.abs_sum / (double)d);
    for (uint64_t i = 0; i < d; i++) {
        indices[i] = i;
        values[i] = u[i] < 0.0f ? -scale : scale;
    }
    res->scale = (double)scale;
    res->count = d;
    return GTAP_OK;
}
