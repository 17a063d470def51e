/*
 * gradtap/cuda.h - device-side sparsifiers, fused error feedback, sparse
 * aggregation and the per-step summary statistics (libgradtap_cuda).
 *
 * This header is the manual. Every function is a C host function that takes
 * DEVICE pointers and the caller's cudaStream_t, enqueues its kernels on that
 * stream and returns without synchronising (it never calls
 * cudaDeviceSynchronize or cudaStreamSynchronize). Results land in device
 * memory; copy them back with cudaMemcpyAsync when you need them on the host.
 * Because the calls are asynchronous, a kernel fault shows up as GTAP_ECUDA
 * from a LATER call (or from your own cudaStreamSynchronize).
 *
 * Memory: no function allocates device memory. Each operation has a
 * *_workspace_size() query; the caller allocates that many bytes once
 * (cudaMalloc alignment) and passes the pointer on every call. A workspace
 * may be reused by calls that are ordered on one stream, never by two calls
 * in flight at the same time. Workspaces sized for (d, k) serve any smaller
 * d and k with the same parameters.
 *
 * Conventions shared by every function (see docs/THEORY.md s.1 and s.4.1):
 *  - u is float32, d = numel. Indices are uint32_t, so d <= 4294967295
 *    (larger d fails with GTAP_EOVERFLOW). d = 0 is GTAP_EINVAL.
 *  - Magnitudes are ordered by the bit pattern of |u| (sign cleared), which
 *    orders non-negative IEEE floats like their values; -0 equals +0.
 *    NaN ranks above +Inf, like torch.topk, so a NaN in a gradient is always
 *    kept and never silently lost. Statistics skip non-finite values and
 *    count them. (The CPU library, gradtap/sparsify.h, refuses non-finite
 *    input with GTAP_ENONFINITE instead: an analysis tool can stop with one
 *    clear error, a kernel inside a training step cannot. On finite data the
 *    two select the same sets: tests/cuda/test_cuda_parity.c.)
 *  - Exact top-k ties at the boundary are broken by the LOWER index
 *    (docs/THEORY.md s.1), so the kept set is deterministic.
 *  - Kept coordinates come back as (index, value) pairs in two device arrays,
 *    value = u[index] (the signed input), in no particular order.
 *  - Every returned status is GTAP_OK or a negative gtap_status code, with a
 *    one-line message in gtap_last_error() (gradtap/status.h). Libraries never
 *    exit or abort.
 */
#ifndef GRADTAP_CUDA_H
#define GRADTAP_CUDA_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime_api.h>

#include "gradtap/density.h"
#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Selectors                                                                 */
/* ------------------------------------------------------------------------ */

typedef enum gtap_cuda_selector {
    GTAP_CUDA_TOPK = 0,           /* exact top-k: MSD radix select, exactly k pairs */
    GTAP_CUDA_GAUSSIANK = 1,      /* Gaussian-k (Shi et al.), variable count or exactly k */
    GTAP_CUDA_DGCK = 2,           /* DGC-k (Lin et al.): threshold from a Philox sample */
    GTAP_CUDA_RANDK = 3,          /* uniform k-subset without replacement, exactly k, no rescaling */
    GTAP_CUDA_HARD_THRESHOLD = 4, /* keep |u_i| >= lambda, variable count */
    GTAP_CUDA_TRIMMED_TOPK = 5    /* threshold mean|u| + r (max|u| - mean|u|), then exact top-k */
} gtap_cuda_selector;

/* Parameters of a selection. Fill with gtap_cuda_select_params_init(), then
 * change what you need. Fields a selector does not use are ignored. */
/* Layout version of gtap_cuda_select_params (gradtap/abi.h). */
#define GTAP_CUDA_SELECT_PARAMS_VERSION 1u

typedef struct gtap_cuda_select_params {
    size_t struct_size;     /* set by gtap_cuda_select_params_init() or GTAP_CUDA_SELECT_PARAMS_INIT */
    unsigned struct_version; /*   (gradtap/abi.h) */
    gtap_cuda_selector selector;
    uint64_t k;             /* target count, 1 <= k <= d (not used by HARD_THRESHOLD) */
    int exact_k;            /* GAUSSIANK: 1 = exactly k (the exact top-k), 0 = variable count */
    double band_lo;         /* GAUSSIANK variable count: accept a count in [band_lo*k, band_hi*k], */
    double band_hi;         /*   default 0.8 and 1.25 (as the CPU sparsifier); exactly-k modes and
                                TRIMMED search a count in [k, band_hi*k] */
    int max_passes;         /* GAUSSIANK/TRIMMED: counting rounds of 16 thresholds each, 1..16 (default 3) */
    int max_retries;        /* DGCK: most threshold lowerings by 0.8, 0..15 (default 10) */
    float threshold;        /* HARD_THRESHOLD: lambda >= 0 (finite) */
    double sample_density;  /* DGCK: rho_s; sample max(ceil(rho_s*d), min_sample) coordinates
                               (default 0.01); threshold = ceil(rho*n)-th largest |sample|, rho = k/d;
                               select |u| >= threshold, lowering it by 0.8 while the count < 0.8k;
                               a count > 1.3k is cut to the exact top-k of the selection */
    uint64_t min_sample;    /* DGCK: m0 (default 1000; the sample is capped at d) */
    uint64_t seed;          /* DGCK and RANDK: the Philox key; print it with your results */
} gtap_cuda_select_params;

/* gtap_cuda_select_params_init() - defaults for `selector` with target k:
 * exact_k = 0, band 0.8..1.25, max_passes = 3, max_retries = 10,
 * threshold = 0, rho_s = 0.01, m0 = 1000, seed = 0. NULL p is ignored. */
GTAP_API void gtap_cuda_select_params_init(gtap_cuda_select_params *p, gtap_cuda_selector selector, uint64_t k);

/* The same defaults as a C99 initializer (C only):
 *     gtap_cuda_select_params p = GTAP_CUDA_SELECT_PARAMS_INIT(GTAP_CUDA_TOPK, k); */
#define GTAP_CUDA_SELECT_PARAMS_INIT(selector_, k_)                                                      \
    {                                                                                                    \
        .struct_size = sizeof(gtap_cuda_select_params), .struct_version = GTAP_CUDA_SELECT_PARAMS_VERSION, \
        .selector = (selector_), .k = (k_), .band_lo = 0.8, .band_hi = 1.25, .max_passes = 3,             \
        .max_retries = 10, .sample_density = 0.01, .min_sample = 1000,                                    \
    }

/* k from a density: gtap_k_from_density() of gradtap/density.h (included). */

/* What a selection reports, written to DEVICE memory by the call. */
typedef struct gtap_cuda_result {
    uint64_t count;      /* pairs written to the output arrays (<= capacity) */
    uint64_t total;      /* coordinates that qualified; total > count means the output was truncated */
    float threshold;     /* final |u| threshold: every kept |u| >= threshold (exact top-k: and every
                            dropped |u| <= threshold); NaN for RANDK */
    uint32_t passes;     /* counting rounds over u or its candidate list (threshold selectors) */
    double mean;         /* GAUSSIANK: mean of the finite u; TRIMMED: mean |u|; else 0 */
    double sigma;        /* GAUSSIANK: population standard deviation; TRIMMED: max |u|; else 0 */
    uint64_t n_nonfinite;/* GAUSSIANK/TRIMMED: NaN and Inf seen by the statistics pass; else 0 */
    uint32_t flags;      /* GTAP_CUDA_FLAG_* below */
    uint32_t reserved;
} gtap_cuda_result;

#define GTAP_CUDA_FLAG_TRUNCATED 1u  /* more qualified than the output capacity held */
#define GTAP_CUDA_FLAG_FALLBACK 2u   /* an exactly-k selector fell back to the exact top-k of all of u */
#define GTAP_CUDA_FLAG_OUT_OF_BAND 4u/* variable count: no threshold within the pass limit hit the band */
#define GTAP_CUDA_FLAG_INTERNAL_ERROR 0x80000000u /* a gradtap bug was detected: count is 0; please report */

/* Output arrays of a selection (device memory, capacity entries each). */
typedef struct gtap_cuda_pairs {
    uint32_t *index;
    float *value;
    uint64_t capacity;        /* >= k for exactly-k selectors; any size for variable-count ones */
    gtap_cuda_result *result; /* device pointer, required */
} gtap_cuda_pairs;

/* gtap_cuda_select_workspace_size() - bytes of workspace gtap_cuda_select()
 * and gtap_cuda_ef_select() need for these parameters and size d.
 * @return GTAP_OK; GTAP_EVERSION (parameters not filled by
 *         gtap_cuda_select_params_init() of this library, gradtap/abi.h);
 *         GTAP_EINVAL (NULL, bad parameters, k = 0 or k > d);
 *         GTAP_EOVERFLOW (d > UINT32_MAX). */
GTAP_API int gtap_cuda_select_workspace_size(const gtap_cuda_select_params *p, uint64_t d, size_t *bytes);

/* gtap_cuda_select() - sparsify the device vector u[0..d) on `stream`.
 * Exactly-k selectors (TOPK, RANDK, TRIMMED_TOPK, GAUSSIANK with exact_k,
 * DGCK when its count passes 1.3k) write exactly k pairs; the others write
 * the qualifying coordinates up to out.capacity (result->total says how many
 * qualified). GAUSSIANK and TRIMMED_TOPK with exact_k return the exact top-k
 * set (they only differ from TOPK in speed). DGCK samples WITH replacement.
 * @param p          parameters (not kept after the call)
 * @param u          device, d floats, not modified
 * @param out        device output arrays and result
 * @param workspace  device, >= gtap_cuda_select_workspace_size() bytes
 * @return GTAP_OK (work enqueued); GTAP_EVERSION (as above); GTAP_EINVAL (NULL pointer, k = 0, k > d,
 *         capacity < k for an exactly-k selector, workspace too small, bad
 *         parameter); GTAP_EOVERFLOW (d too large); GTAP_ECUDA (a launch
 *         failed or an earlier asynchronous error surfaced). */
GTAP_API int gtap_cuda_select(const gtap_cuda_select_params *p, const float *u, uint64_t d, gtap_cuda_pairs out,
                     void *workspace, size_t workspace_bytes, cudaStream_t stream);

/* gtap_cuda_ef_select() - error feedback fused with selection
 * (docs/THEORY.md s.5): u = residual + scale * grad (one fmaf per
 * element; scale = 1 gives Shi's form u = g + r, scale = eta_t gives Stich's
 * p = m + eta*g), then out = C(u) as gtap_cuda_select() would give for u,
 * then residual = u - C(u) (u with the kept coordinates set to 0). The
 * residual buffer holds u in between, so the traffic is about 16d bytes
 * (read g and r, write r, one read of u) against the 12d floor.
 * Same workspace query as gtap_cuda_select(). The output must have room for
 * every kept coordinate: a truncated variable-count output zeroes only the
 * pairs written (result->total > result->count tells you).
 * @return as gtap_cuda_select(); grad and residual must not overlap. */
GTAP_API int gtap_cuda_ef_select(const gtap_cuda_select_params *p, const float *grad, float *residual, float scale,
                        uint64_t d, gtap_cuda_pairs out, void *workspace, size_t workspace_bytes,
                        cudaStream_t stream);

/* ------------------------------------------------------------------------ */
/* Decode / aggregate sparse messages                                        */
/* ------------------------------------------------------------------------ */

/* gtap_cuda_scatter_add_workspace_size() - workspace for n pairs.
 * @return GTAP_OK; GTAP_EINVAL (NULL bytes); GTAP_EOVERFLOW (n > 2^31 - 1). */
GTAP_API int gtap_cuda_scatter_add_workspace_size(uint64_t n, size_t *bytes);

/* gtap_cuda_scatter_add() - dense[index[j]] += scale * value[j] for the n
 * pairs, summing duplicate indices (docs/THEORY.md s.5: concatenate the
 * P workers' messages and pass scale = 1/P). Deterministic: the pairs are
 * stably sorted by index, each index's values are summed in double in message
 * order, and dense[i] += (float)(scale * sum) once per index; the result is
 * bitwise reproducible run to run.
 * Untrusted indices: index >= d is skipped and counted into *bad_count
 * (device uint64_t, may be NULL; it is overwritten, not accumulated).
 * @return GTAP_OK; GTAP_EINVAL (NULL arrays with n > 0, d = 0, small
 *         workspace); GTAP_EOVERFLOW; GTAP_ECUDA. n = 0 only zeroes *bad_count. */
GTAP_API int gtap_cuda_scatter_add(const uint32_t *index, const float *value, uint64_t n, float scale, float *dense,
                          uint64_t d, uint64_t *bad_count, void *workspace, size_t workspace_bytes,
                          cudaStream_t stream);

/* ------------------------------------------------------------------------ */
/* Summary statistics (what capture's summary mode records every step)       */
/* ------------------------------------------------------------------------ */

#define GTAP_CUDA_SUMMARY_MAX_DENSITIES 8
/* log2|u| histogram: bin e (0..255) is the biased IEEE exponent of |u|, so
 * bins 1..254 hold 2^(e-127) <= |u| < 2^(e-126); bin 0 holds zeros and
 * subnormals; bin 255 holds Inf and NaN. */
#define GTAP_CUDA_LOG2_BINS 256

typedef struct gtap_cuda_stats {
    uint64_t d;
    uint64_t n_finite, n_nan, n_inf, n_zero;
    uint64_t n_posinf;         /* how many of the n_inf are +Inf */
    double mean, variance;     /* of the finite values; variance is the population one (M2/n) */
    double skewness, kurtosis; /* m3/m2^1.5 and m4/m2^2 (not excess); NaN when variance = 0 */
    double min, max, max_abs;  /* over finite values; NaN when none */
    double l1, sum_sq;         /* sum |u|, sum u^2 over finite values (double accumulation) */
    uint32_t n_densities;
    uint32_t reserved;
    double density[GTAP_CUDA_SUMMARY_MAX_DENSITIES];
    uint64_t k[GTAP_CUDA_SUMMARY_MAX_DENSITIES];           /* max(1, floor(rho*d)) */
    double head_energy[GTAP_CUDA_SUMMARY_MAX_DENSITIES];   /* H_k: sum of the kept finite u^2 */
    double tail_energy[GTAP_CUDA_SUMMARY_MAX_DENSITIES];   /* T_k = ||u - Top_k(u)||^2, finite values */
    uint64_t log2_hist[GTAP_CUDA_LOG2_BINS];
} gtap_cuda_stats;

/* gtap_cuda_summary_workspace_size() - workspace for gtap_cuda_summary().
 * @return GTAP_OK; GTAP_EINVAL (NULL, d = 0, n_densities out of 0..8, a
 *         density not in (0,1]); GTAP_EOVERFLOW. */
GTAP_API int gtap_cuda_summary_workspace_size(uint64_t d, const double *densities, int n_densities, size_t *bytes);

/* gtap_cuda_summary() - statistics of u[0..d) into *out (DEVICE memory):
 * moments (one pass, pairwise-merged central moments in double), counts of
 * NaN/Inf/zeros, the log2|u| histogram, and the exact head and tail energies
 * of the top-k set for each density (ties by lower index; the energies sum
 * in double over finite values only). Reads u about 2 + n_densities times:
 * one statistics pass, one radix-select pass per density (the first digit's
 * histogram is shared), one pass for all energies.
 * @param densities  host array of n_densities values in (0, 1] (may be NULL when 0)
 * @return GTAP_OK; GTAP_EINVAL; GTAP_EOVERFLOW; GTAP_ECUDA. */
GTAP_API int gtap_cuda_summary(const float *u, uint64_t d, const double *densities, int n_densities,
                      gtap_cuda_stats *out, void *workspace, size_t workspace_bytes, cudaStream_t stream);

/* gtap_cuda_device_available() - 1 when at least one CUDA device can be
 * used, 0 otherwise (no driver, no device); never fails. */
GTAP_API int gtap_cuda_device_available(void);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_CUDA_H */
