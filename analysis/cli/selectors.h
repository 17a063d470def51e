/* selectors.h - what the approximate selectors of docs/THEORY.md s.4
 * (Gaussian-k gradtap and reference, DGC-k, trimmed top-k) would have done
 * on a snapshot, through the sparsifier library (gradtap/sparsify.h): for
 * `gradtap bounds`. Private to the CLI. */
#ifndef GRADTAP_CLI_SELECTORS_H
#define GRADTAP_CLI_SELECTORS_H

#include <stdint.h>

#define GTAP_SELECTOR_COUNT 4

/* Column name prefixes: gaussiank, gaussiank_ref, dgck, trimmed. */
extern const char *const gtap_selector_names[GTAP_SELECTOR_COUNT];

typedef struct gtap_selector_outcome {
    double count_over_k, recall, ratio; /* NaN when not run */
} gtap_selector_outcome;

/* Run the four selectors on u[0..d) (all finite) for k with seed `seed`
 * (random stream = `stream`) on `threads` OpenMP threads (0: OpenMP's
 * default; the outcome does not depend on it); out[GTAP_SELECTOR_COUNT].
 * Scratch memory is allocated per call. @return GTAP_OK or a gtap_status. */
int gtap_selectors_run(const float *u, uint64_t d, uint64_t k, uint64_t seed, uint64_t stream, int threads,
                       gtap_selector_outcome out[GTAP_SELECTOR_COUNT]);

#endif
