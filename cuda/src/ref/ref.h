/*
 * ref.h - plain C references of the gradtap_cuda kernels (no CUDA, no GSL):
 * the tests and the benchmark check every kernel against these, and a CPU
 * test checks them against independent brute-force versions. They share the
 * orderings (shared/keys.h), the Philox draws (shared/philox.h) and the
 * threshold-search rule (shared/search.h) with the kernels, so a device run
 * and its reference agree exactly where the algorithm is deterministic.
 * Functions return GTAP_OK or GTAP_ENOMEM/GTAP_EINVAL; outputs are caller-owned.
 */
#ifndef GRADTAP_CUDA_REF_H
#define GRADTAP_CUDA_REF_H

#include <stddef.h>
#include <stdint.h>

#include "gradtap/cuda.h"
#include "shared/search.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gtap_ref_key_kind {
    GTAP_REF_KEY_MAG = 0,    /* |u| bit pattern, NaN largest (selectors) */
    GTAP_REF_KEY_FINITE = 1, /* |u| of finite values, non-finite as 0 (summary) */
    GTAP_REF_KEY_RAND = 2    /* Philox draw of the index (random-k) */
} gtap_ref_key_kind;

/* 64-bit selection keys of u (keys.h), d entries. */
void gtap_ref_keys(gtap_ref_key_kind kind, const float *u, uint64_t d, uint64_t seed, uint64_t *keys);

/* Indices of the k largest keys, ascending, by quickselect (O(d) expected). */
int gtap_ref_top_select(const uint64_t *keys, uint64_t d, uint64_t k, uint32_t *idx);
/* The same by a full sort (brute force, for checking the above). */
int gtap_ref_top_sort(const uint64_t *keys, uint64_t d, uint64_t k, uint32_t *idx);
/* Convenience: top-k of u for a key kind, ascending indices. */
int gtap_ref_topk(gtap_ref_key_kind kind, const float *u, uint64_t d, uint64_t k, uint64_t seed, uint32_t *idx);

/* #{i : key(u_i) >= key(t)} and, when idx != NULL, those indices ascending. */
uint64_t gtap_ref_select_ge(const float *u, uint64_t d, float t, uint32_t *idx);

/* The threshold selectors, as the kernels run them but counting every round
 * on u: fill *s (final best_t, best_c, passes, stat_a, stat_b). */
void gtap_ref_gaussiank(const float *u, uint64_t d, const gtap_cuda_select_params *p, gtap_search_state *s);
void gtap_ref_trimmed(const float *u, uint64_t d, const gtap_cuda_select_params *p, gtap_search_state *s);
/* DGC-k: also returns the sample threshold. */
void gtap_ref_dgck(const float *u, uint64_t d, const gtap_cuda_select_params *p, gtap_search_state *s,
                   float *sample_threshold);
/* Sample size and sample k of DGC-k (as the kernels compute them). */
void gtap_ref_dgc_sizes(const gtap_cuda_select_params *p, uint64_t d, uint64_t *n, uint64_t *k);

/* dense[idx[j]] += scale * value[j], duplicates summed in double in order
 * (stable by index), out-of-range indices counted in *bad. */
int gtap_ref_scatter_add(const uint32_t *idx, const float *val, uint64_t n, float scale, float *dense, uint64_t d,
                         uint64_t *bad);

/* Everything gtap_cuda_summary() reports, by two-pass double sums and
 * gtap_ref_topk() on finite keys. */
int gtap_ref_summary(const float *u, uint64_t d, const double *densities, int n, gtap_cuda_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_CUDA_REF_H */
