/* sp_check.h - helpers for the sparsifier tests: test vectors from named
 * distributions, an independent brute-force top-k (qsort by |u| descending,
 * index ascending) and a runner that allocates the output of one call. */
#ifndef GRADTAP_SP_CHECK_H
#define GRADTAP_SP_CHECK_H

#include <stdint.h>

#include "gradtap/sparsify.h"

typedef enum sp_dist { SP_NORMAL, SP_LAPLACE, SP_UNIFORM, SP_SHIFTED_NORMAL, SP_FEW_VALUES } sp_dist;

/* Fill u with d draws of `dist` (scale 1) from the splitmix state. */
void sp_fill(float *u, uint64_t d, sp_dist dist, uint64_t *state);

/* Top_k(u) by sorting: k indices in increasing order into `indices`. */
void sp_brute_topk(const float *u, uint64_t d, uint64_t k, uint64_t *indices);

/* One call's output, owned by the struct (sp_output_free releases). */
typedef struct sp_output {
    uint64_t *indices;
    float *values;
    uint64_t capacity;
    gtap_sparsify_result res;
    int rc;
} sp_output;

/* Create a sparsifier for `opt` and d, run it once on u with (k, stream)
 * into buffers of its capacity; the sparsifier is freed. */
sp_output sp_run_once(const gtap_sparsify_options *opt, const float *u, uint64_t d, uint64_t k, uint64_t stream);
void sp_output_free(sp_output *out);

/* ||u - C(u)||^2 in double, C given by (indices increasing, values, count). */
double sp_error2(const float *u, uint64_t d, const uint64_t *indices, const float *values, uint64_t count);
double sp_norm2(const float *u, uint64_t d);

/* 1 when indices are strictly increasing and below d, and values[j] ==
 * u[indices[j]] for all j (values_are_u nonzero). */
int sp_output_well_formed(const float *u, uint64_t d, const sp_output *out, int values_are_u);

#endif
