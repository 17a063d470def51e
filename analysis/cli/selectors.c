/* selectors.c - approximate selectors on a snapshot for `gradtap bounds`
 * (see selectors.h), through the public sparsifier API. */
#include "selectors.h"

#include <math.h>
#include <stdlib.h>

#include "gradtap/sparsify.h"

const char *const gtap_selector_names[GTAP_SELECTOR_COUNT] = {"gaussiank", "gaussiank_ref", "dgck", "trimmed"};
static const gtap_sparsifier_kind selector_kinds[GTAP_SELECTOR_COUNT] = {
    GTAP_SPARSIFY_GAUSSIANK, GTAP_SPARSIFY_GAUSSIANK_REF, GTAP_SPARSIFY_DGCK, GTAP_SPARSIFY_TRIMMED};

int gtap_selectors_run(const float *u, uint64_t d, uint64_t k, uint64_t seed, uint64_t stream, int threads,
                       gtap_selector_outcome out[GTAP_SELECTOR_COUNT])
{
    for (int i = 0; i < GTAP_SELECTOR_COUNT; i++) out[i].count_over_k = out[i].recall = out[i].ratio = NAN;
    if (d == 0 || k == 0 || k > d) return GTAP_OK;
    uint64_t *indices = malloc((size_t)d * sizeof *indices);
    float *values = malloc((size_t)d * sizeof *values);
    int rc = indices && values ? GTAP_OK : gtap_set_error(GTAP_ENOMEM, "selectors: out of memory for d=%llu", (unsigned long long)d);
    for (int i = 0; i < GTAP_SELECTOR_COUNT && rc == GTAP_OK; i++) {
        gtap_sparsify_options options;
        gtap_sparsify_options_init(&options, selector_kinds[i]);
        options.seed = seed;
        options.quality = 1;
        options.threads = threads;
        gtap_sparsifier *sp = NULL;
        rc = gtap_sparsifier_create(&options, d, &sp);
        gtap_sparsify_result result;
        if (rc == GTAP_OK) rc = gtap_sparsify(sp, u, d, k, stream, indices, values, d, &result);
        if (rc == GTAP_OK) {
            out[i].count_over_k = (double)result.count / (double)k;
            if (result.has_quality) {
                out[i].recall = result.quality.recall;
                out[i].ratio = result.quality.ratio;
            }
        }
        gtap_sparsifier_free(sp);
    }
    free(indices);
    free(values);
    return rc;
}
