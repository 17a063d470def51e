/*
 * moments.cuh - one streaming pass of statistics over a float vector, with
 * optional error-feedback accumulation fused in (r = fmaf(scale, g, r), the
 * statistics then describe the new r). Per thread: power sums shifted by the
 * thread's first finite value; per block and across blocks: the pairwise
 * central-moment merge (Chan et al.; Pebay 2008 for m3, m4), in double and in
 * a fixed order, so the result is reproducible for a given grid.
 */
#ifndef GRADTAP_CUDA_MOMENTS_CUH
#define GRADTAP_CUDA_MOMENTS_CUH

#include "common.cuh"

typedef struct gtap_cu_moments {
    double n, mean, m2, m3, m4;    /* finite values: count, mean, central sums of powers 2..4 */
    double l1, sum_sq;             /* sum |u|, sum u^2 */
    double min, max, max_abs;      /* +inf/-inf/0 when no finite value */
    unsigned long long n_nan, n_inf, n_posinf, n_zero; /* n_posinf: the +Inf among n_inf */
} gtap_cu_moments;

/* Statistics pass. FULL: also m3, m4 and the log2|u| histogram (hist: 256
 * device counters, zeroed by the caller). ACCUM: r = fmaf(scale, g, r) first,
 * statistics of the new r. Writes one gtap_cu_moments per block to partials. */
template <bool FULL, bool ACCUM>
__global__ void gtap_cu_moments_kernel(const float *u, const float *g, float *r, float scale, uint64_t d,
                                    gtap_cu_moments *partials, unsigned long long *hist);

/* Merge `count` partials into *out (one block of GTAP_BLOCK threads). */
__global__ void gtap_cu_moments_merge_kernel(const gtap_cu_moments *partials, unsigned count, gtap_cu_moments *out, int full);

/* Enqueue the pass and the merge; `partials` holds GTAP_MAX_GRID entries. */
int gtap_cu_moments_enqueue(int full, const float *u, const float *g, float *r, float scale, uint64_t d,
                         gtap_cu_moments *partials, gtap_cu_moments *out, unsigned long long *hist, cudaStream_t stream);

#endif /* GRADTAP_CUDA_MOMENTS_CUH */
