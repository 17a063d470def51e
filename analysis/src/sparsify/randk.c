/*
 * sparsify/randk.c - random-k (docs/THEORY.md s.4.3): a uniform k-subset without
 * replacement by Floyd's algorithm over a bitmap of d bits (O(k) draws),
 * emitted in increasing index order by scanning the bitmap, which is left
 * cleared. The unbiased variant scales the values by d/k.
 */
#include "sparsify/internal.h"

int sp_run_randk(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t stream, uint64_t *indices,
                 float *values, gtap_sparsify_result *res)
{
    uint64_t bad = sp_count_nonfinite(sp, u, d);
    if (bad > 0) return sp_fail_nonfinite(sp, res, bad, d);
    uint64_t *bitmap = sp->bitmap;
    uint64_t counter = 0;
    for (uint64_t j = d - k; j < d; j++) {
        uint64_t t = gtap_srng_below(sp->opt.seed, stream, &counter, j + 1);
        uint64_t pick = (bitmap[t >> 6] >> (t & 63)) & 1u ? j : t;
        bitmap[pick >> 6] |= (uint64_t)1 << (pick & 63);
    }
    int unbiased = sp->opt.kind == GTAP_SPARSIFY_RANDK_UNBIASED;
    float scale = unbiased ? (float)((double)d / (double)k) : 1.0f;
    uint64_t out = 0;
    uint64_t words = (d + 63) / 64;
    for (uint64_t w = 0; w < words && out < k; w++) {
        uint64_t bits = bitmap[w];
        bitmap[w] = 0;
        while (bits != 0) {
            uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(bits);
            bits &= bits - 1;
            indices[out] = i;
            values[out] = unbiased ? u[i] * scale : u[i];
            out++;
        }
    }
    res->count = out;
    res->scale = unbiased ? (double)scale : 1.0;
    return GTAP_OK;
}
