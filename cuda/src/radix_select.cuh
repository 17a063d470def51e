/*
 * radix_select.cuh - exact top-k by MSD radix select on 64-bit selection keys
 * (keys.h: magnitude or random high word, ~index low word; docs/THEORY.md s.4.2).
 *
 * Six levels of 11-bit digits (the last has 9). Level L: a histogram of digit
 * L over the elements whose higher digits match the prefix chosen so far; one
 * block picks the digit b holding the k-th largest key; a scatter pass writes
 * every element with digit > b to the output, and either writes the digit-b
 * elements too (when exactly the remaining number sits there: the selection
 * is complete) or appends them to a candidate list and histograms their next
 * digit in the same pass. Candidates live in a list when they fit its
 * capacity, otherwise the next level re-reads the source filtered by prefix;
 * so typical data costs two reads of u (histogram, scatter) plus list work.
 *
 * All decisions live in device memory (gtap_sel_state): the host enqueues a
 * fixed sequence of launches with no synchronisation, and launches after the
 * selection completes return at once. Keys are unique, so exactly k pairs are
 * written and ties at the boundary go to the lower index.
 *
 * Sources: gtap_mag_source (keys from |u|) and gtap_rand_source (Philox keys,
 * for random-k). The kernels are templates, instantiated by their users.
 */
#ifndef GRADTAP_CUDA_RADIX_SELECT_CUH
#define GRADTAP_CUDA_RADIX_SELECT_CUH

#include <cub/block/block_scan.cuh>

#include "common.cuh"
#include "gradtap/philox.h"

#define GTAP_SEL_DIGIT 11
#define GTAP_SEL_BINS 2048
#define GTAP_SEL_LEVELS 6
#define GTAP_SEL_CHOOSE_THREADS 1024

enum { GTAP_SEL_DENSE = 0, GTAP_SEL_LIST = 1, GTAP_SEL_NONE = 2 };

typedef struct gtap_sel_state {
    unsigned long long need;      /* still to select below the current prefix */
    unsigned long long prefix;    /* digits chosen at the levels before `level` */
    unsigned long long n_list;    /* elements in the current list */
    unsigned long long n_next;    /* elements appended to the next list */
    unsigned long long out_count; /* pairs written */
    unsigned long long kmin;      /* when done: selected = {key >= kmin} */
    unsigned int level, src_mode, dst_mode, list, done, bin, take_all, error;
    unsigned int hist[GTAP_SEL_BINS];
} gtap_sel_state;

/* Device view of a selection workspace. */
typedef struct gtap_sel_ws {
    gtap_sel_state *st;
    uint2 *list[2];
    unsigned long long cap; /* entries per list */
} gtap_sel_ws;

static inline void gtap_sel_carve(gtap_ws *ws, uint64_t cap, gtap_sel_ws *out) {
    out->st = (gtap_sel_state *)gtap_ws_take(ws, sizeof(gtap_sel_state));
    out->list[0] = (uint2 *)gtap_ws_take(ws, cap * sizeof(uint2));
    out->list[1] = (uint2 *)gtap_ws_take(ws, cap * sizeof(uint2));
    out->cap = cap;
}

/* Default list capacity for d elements and target k. */
static inline uint64_t gtap_sel_default_cap(uint64_t d, uint64_t k) {
    uint64_t cap = d / 8u + 4096u;
    if (cap < 2u * k + 4096u) cap = 2u * k + 4096u;
    if (cap > d) cap = d;
    return cap;
}

__host__ __device__ __forceinline__ int gtap_sel_shift(int level) {
    const int s = 64 - GTAP_SEL_DIGIT * (level + 1);
    return s < 0 ? 0 : s;
}
__host__ __device__ __forceinline__ int gtap_sel_width(int level) {
    return 64 - GTAP_SEL_DIGIT * level - gtap_sel_shift(level);
}

/* ---- sources --------------------------------------------------------------- */

struct gtap_mag_source {
    const float *u;
    static constexpr bool value_in_load = true;
    __device__ __forceinline__ void load4(uint64_t d, uint64_t q, uint32_t hi[4], float v[4], bool ok[4]) const {
        gtap_load4(u, d, q, v, ok);
#pragma unroll
        for (int e = 0; e < 4; ++e) hi[e] = gtap_mag_hi(v[e]);
    }
    __device__ __forceinline__ float value_at(uint32_t i) const { return __ldg(u + i); }
};

struct gtap_rand_source {
    const float *u;
    uint64_t seed;
    static constexpr bool value_in_load = false;
    __device__ __forceinline__ void load4(uint64_t d, uint64_t q, uint32_t hi[4], float v[4], bool ok[4]) const {
        const gtap_philox4 r = gtap_philox_block(seed, GTAP_PHILOX_STREAM_RANDK, q);
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            ok[e] = q * 4u + (uint64_t)e < d;
            hi[e] = r.v[e];
            v[e] = 0.0f;
        }
    }
    __device__ __forceinline__ float value_at(uint32_t i) const { return __ldg(u + i); }
};

/* ---- kernels --------------------------------------------------------------- */

/* Reset the state for selecting k of d; when *skip (device, may be NULL) is
 * nonzero the selection is switched off (every later launch returns). */
__global__ void gtap_sel_init_kernel(gtap_sel_state *st, unsigned long long k, const unsigned int *skip);

/* Pick the digit of `level` (after folding the previous level's choice into
 * the prefix), then clear the histogram. One block of 1024 threads. */
__global__ void gtap_sel_choose_kernel(gtap_sel_state *st, int level, unsigned long long cap);

/* Finish: fold the last choice, record kmin and the result fields. */
__global__ void gtap_sel_finish_kernel(gtap_sel_state *st, gtap_cuda_result *res, int with_threshold);

/* Level pass. HIST_ONLY: histogram digit 0 of every source element.
 * Otherwise scatter at `level` as described at the top of this file. */
template <class Src, bool HIST_ONLY>
__global__ void __launch_bounds__(GTAP_BLOCK)
gtap_sel_pass_kernel(Src src, uint64_t d, gtap_sel_state *st, int level, uint2 *list0, uint2 *list1,
                     uint32_t *out_idx, float *out_val) {
    __shared__ unsigned int sh[GTAP_SEL_BINS];
    if (st->done) return;
    const unsigned int src_mode = st->src_mode;
    const unsigned int dst_mode = HIST_ONLY ? (unsigned)GTAP_SEL_NONE : st->dst_mode;
    const unsigned int take_all = HIST_ONLY ? 0u : st->take_all;
    const unsigned long long prefix = st->prefix;
    const unsigned int bin = st->bin;
    const unsigned int cur = st->list;
    const unsigned long long n_list = st->n_list;
    const uint2 *src_list = cur ? list1 : list0;
    uint2 *dst_list = cur ? list0 : list1;
    const bool last = !HIST_ONLY && level == GTAP_SEL_LEVELS - 1;
    const bool histogram = HIST_ONLY || (!take_all && !last);
    const int shift = HIST_ONLY ? gtap_sel_shift(0) : gtap_sel_shift(level);
    const int width = HIST_ONLY ? gtap_sel_width(0) : gtap_sel_width(level);
    const int top = shift + width; /* bits above this level's digit: the prefix */
    const int next_shift = HIST_ONLY ? shift : gtap_sel_shift(level + 1);
    const unsigned long long digit_mask = (1ull << width) - 1ull;
    const unsigned long long next_mask = HIST_ONLY ? digit_mask : (1ull << gtap_sel_width(level + 1 < GTAP_SEL_LEVELS ? level + 1 : level)) - 1ull;

    if (histogram)
        for (int b = threadIdx.x; b < GTAP_SEL_BINS; b += blockDim.x) sh[b] = 0;
    __syncthreads();

    auto process = [&](bool valid, uint32_t hi, uint32_t idx, float v) {
        const unsigned long long key = gtap_sel_key(hi, idx);
        bool match = valid;
        if (!HIST_ONLY && top < 64) match = match && (key >> top) == prefix;
        if (HIST_ONLY) {
            if (match) atomicAdd(&sh[(key >> shift) & digit_mask], 1u);
            return;
        }
        const unsigned int digit = (unsigned int)((key >> shift) & digit_mask);
        const bool to_out = match && (digit > bin || (digit == bin && take_all));
        const bool to_next = match && digit == bin && !take_all;
        const unsigned long long pos = gtap_warp_reserve(&st->out_count, to_out);
        if (to_out) {
            out_idx[pos] = idx;
            out_val[pos] = Src::value_in_load && src_mode == GTAP_SEL_DENSE ? v : src.value_at(idx);
        }
        if (dst_mode == GTAP_SEL_LIST) {
            const unsigned long long slot = gtap_warp_reserve(&st->n_next, to_next);
            if (to_next) dst_list[slot] = make_uint2(idx, hi);
        }
        if (to_next && histogram) atomicAdd(&sh[(key >> next_shift) & next_mask], 1u);
    };

    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    if (src_mode == GTAP_SEL_DENSE) {
        const uint64_t nq = (d + 3u) / 4u;
        for (uint64_t base = (uint64_t)blockIdx.x * blockDim.x; base < nq; base += stride) {
            const uint64_t q = base + threadIdx.x;
            uint32_t hi[4] = {0, 0, 0, 0};
            float v[4] = {0, 0, 0, 0};
            bool ok[4] = {false, false, false, false};
            if (q < nq) src.load4(d, q, hi, v, ok);
#pragma unroll
            for (int e = 0; e < 4; ++e) process(ok[e], hi[e], (uint32_t)(q * 4u + (uint64_t)e), v[e]);
        }
    } else {
        for (uint64_t base = (uint64_t)blockIdx.x * blockDim.x; base < n_list; base += stride) {
            const uint64_t j = base + threadIdx.x;
            const bool ok = j < n_list;
            const uint2 e = ok ? src_list[j] : make_uint2(0u, 0u);
            process(ok, e.y, e.x, 0.0f);
        }
    }

    if (histogram) {
        __syncthreads();
        for (int b = threadIdx.x; b < GTAP_SEL_BINS; b += blockDim.x)
            if (sh[b]) atomicAdd(&st->hist[b], sh[b]);
    }
}

/* Enqueue a whole selection of the top k keys of `src` (d elements) into
 * out_idx/out_val (k entries). When `prepared` is nonzero the caller has
 * already run gtap_sel_init_kernel and possibly filled list 0 (setting
 * src_mode/n_list), otherwise it is initialised here for a dense source. */
template <class Src>
static int gtap_sel_enqueue(Src src, uint64_t d, uint64_t k, const gtap_sel_ws &ws, int prepared,
                            uint32_t *out_idx, float *out_val, gtap_cuda_result *res, int with_threshold,
                            cudaStream_t stream) {
    const unsigned grid = gtap_grid_for(d, 4);
    if (!prepared) gtap_sel_init_kernel<<<1, 32, 0, stream>>>(ws.st, k, NULL);
    gtap_sel_pass_kernel<Src, true><<<grid, GTAP_BLOCK, 0, stream>>>(src, d, ws.st, 0, ws.list[0], ws.list[1],
                                                                      out_idx, out_val);
    for (int level = 0; level < GTAP_SEL_LEVELS; ++level) {
        gtap_sel_choose_kernel<<<1, GTAP_SEL_CHOOSE_THREADS, 0, stream>>>(ws.st, level, ws.cap);
        gtap_sel_pass_kernel<Src, false><<<grid, GTAP_BLOCK, 0, stream>>>(src, d, ws.st, level, ws.list[0],
                                                                           ws.list[1], out_idx, out_val);
    }
    gtap_sel_finish_kernel<<<1, 32, 0, stream>>>(ws.st, res, with_threshold);
    GTAP_CUDA_CHECK("radix select launch");
    return GTAP_OK;
}

#endif /* GRADTAP_CUDA_RADIX_SELECT_CUH */
