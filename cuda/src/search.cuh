/*
 * search.cuh - device side of the threshold search (shared/search.h):
 * counting rounds of GTAP_SEARCH_NT thresholds over u or over a candidate
 * list, the one-thread update between rounds, and the emit pass that writes
 * the coordinates at or above the chosen threshold.
 *
 * The candidate list: a dense counting round also appends every element with
 * key >= key(th[0]) to `list` (entries (index, magnitude hi word), at most
 * `cap`); later rounds whose thresholds all lie at or above list_t count the
 * list instead of u, so Gaussian-k and trimmed top-k usually read u once for
 * the search and never again.
 */
#ifndef GRADTAP_CUDA_SEARCH_CUH
#define GRADTAP_CUDA_SEARCH_CUH

#include "common.cuh"
#include "shared/search.h"

/* Control of the end of a threshold selector (device memory). */
typedef struct gtap_search_ctrl {
    unsigned long long out_count; /* pairs reserved by the emit pass */
    unsigned int emit_pairs;      /* 1: emit >= best_t to the caller's output */
    unsigned int emit_list;       /* 1: emit >= best_t to the radix engine's list 0 */
    unsigned int engine_skip;     /* 1: no radix select needed */
    unsigned int fallback;        /* 1: the exact top-k runs on all of u */
} gtap_search_ctrl;

/* One counting round (returns at once when s->done). cnt[] must be zero. */
__global__ void gtap_search_count_kernel(const float *u, uint64_t d, gtap_search_state *s, uint2 *list,
                                         unsigned long long cap);

/* Digest the round (one thread): list bookkeeping, gtap_search_update(),
 * clear the counts for the next round. DGC mode (dgc = 1) runs
 * gtap_dgc_choose() instead. */
__global__ void gtap_search_update_kernel(gtap_search_state *s, unsigned long long cap, int dgc);

/* Write every coordinate with key >= key(s->best_t), from the list when it
 * covers best_t, else from u, when *enable is nonzero: to (out_idx, out_val)
 * reserving slots in *counter (only the first `out_cap` are stored), or, with
 * to_list, as (index, hi) entries to `out_list`. */
__global__ void gtap_search_emit_kernel(const float *u, uint64_t d, const gtap_search_state *s, const uint2 *list,
                                        const unsigned int *enable, int to_list, uint32_t *out_idx, float *out_val,
                                        uint2 *out_list, unsigned long long *counter, unsigned long long out_cap);

/* Enqueue `rounds` count+update pairs. */
int gtap_search_enqueue_rounds(const float *u, uint64_t d, gtap_search_state *s, uint2 *list, unsigned long long cap,
                               int rounds, int dgc, cudaStream_t stream);

#endif /* GRADTAP_CUDA_SEARCH_CUH */
