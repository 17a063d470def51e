/* selectors.c - approximate selectors on a snapshot for `gradtap bounds`
 * (see selectors.h), through the public sparsifier API. */
#include "selectors.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/sparsify.h"

const char *const gtap_selector_names[GTAP_SELECTOR_COUNT] = {"gaussiank", "gaussiank_ref", "dgck", "trimmed"};
static const gtap_sparsifier_kind selector_kinds[GTAP_SELECTOR_COUNT] = {
    GTAP_SPARSIFY_GAUSSIANK, GTAP_SPARSIFY_GAUSSIANK_REF, GTAP_SPARSIFY_DGCK, GTAP_SPARSIFY_TRIMMED};

/* One run of a sparsifier of `kind` on u: its increasing indices and values
 * (capacity d) and their count. */
static int run_one(gtap_sparsifier_kind kind, const float *u, uint64_t d, uint64_t k, uint64_t seed, uint64_t stream,
                   int threads, uint64_t *indices, float *values, uint64_t *count)
{
    gtap_sparsify_options options;
    gtap_sparsify_options_init(&options, kind);
    options.seed = seed;
    options.threads = threads;
    gtap_sparsifier *sp = NULL;
    int rc = gtap_sparsifier_create(&options, d, &sp);
    gtap_sparsify_result result;
    if (rc == GTAP_OK) rc = gtap_sparsify(sp, u, d, k, stream, indices, values, d, &result);
    if (rc == GTAP_OK) *count = result.count;
    gtap_sparsifier_free(sp);
    return rc;
}

/* recall |S ∩ Top_k| / k and the selector's own ratio ||u - C(u)||^2/||u||^2
 * from the sums of gtap_sparsify_evaluate (docs/THEORY.md s.4.1), against
 * the exact Top_k set `top` (increasing, k indices), found once for all
 * selectors instead of once each. */
static void judge(const float *u, uint64_t d, uint64_t k, const uint64_t *top, const uint64_t *indices,
                  const float *values, uint64_t count, gtap_selector_outcome *out)
{
    double sums[3];
    gtap_sparsify_error_sums(u, d, indices, values, count, sums);
    double norm2 = sums[0] + sums[1];
    uint64_t common = 0;
    for (uint64_t i = 0, j = 0; i < count && j < k;) {
        if (indices[i] < top[j]) i++;
        else if (indices[i] > top[j]) j++;
        else common++, i++, j++;
    }
    out->count_over_k = (double)count / (double)k;
    out->recall = (double)common / (double)k;
    out->ratio = norm2 > 0.0 ? (sums[1] + sums[2]) / norm2 : NAN;
}

int gtap_selectors_run(const float *u, uint64_t d, uint64_t k, uint64_t seed, uint64_t stream, int threads,
                       gtap_selector_outcome out[GTAP_SELECTOR_COUNT])
{
    for (int i = 0; i < GTAP_SELECTOR_COUNT; i++) out[i].count_over_k = out[i].recall = out[i].ratio = NAN;
    if (d == 0 || k == 0 || k > d) return GTAP_OK;
    uint64_t *indices = malloc((size_t)d * sizeof *indices), *top = malloc((size_t)k * sizeof *top);
    float *values = malloc((size_t)d * sizeof *values);
    int rc = indices && values && top ? GTAP_OK
                                      : gtap_set_error(GTAP_ENOMEM, "selectors: out of memory for d=%llu", (unsigned long long)d);
    uint64_t count = 0;
    /* the exact Top_k set (radix selection, increasing indices) */
    if (rc == GTAP_OK) rc = run_one(GTAP_SPARSIFY_TOPK, u, d, k, seed, stream, threads, indices, values, &count);
    if (rc == GTAP_OK) memcpy(top, indices, (size_t)k * sizeof *top);
    for (int i = 0; i < GTAP_SELECTOR_COUNT && rc == GTAP_OK; i++) {
        rc = run_one(selector_kinds[i], u, d, k, seed, stream, threads, indices, values, &count);
        if (rc == GTAP_OK) judge(u, d, k, top, indices, values, count, &out[i]);
    }
    free(indices);
    free(values);
    free(top);
    return rc;
}
