/*
 * radix_select.cu - the small control kernels of the radix-select engine
 * (radix_select.cuh): state reset, per-level digit choice and the finish
 * that records the threshold. The streaming pass is a template in the header.
 */
#include "radix_select.cuh"

__global__ void gtap_sel_init_kernel(gtap_sel_state *st, unsigned long long k, const unsigned int *skip) {
    if (threadIdx.x == 0) {
        st->need = k;
        st->prefix = 0;
        st->n_list = 0;
        st->n_next = 0;
        st->out_count = 0;
        st->kmin = 0;
        st->level = 0;
        st->src_mode = GTAP_SEL_DENSE;
        st->dst_mode = GTAP_SEL_NONE;
        st->list = 0;
        const unsigned int skipped = (skip && *skip) ? 1u : 0u;
        st->done = skipped;
        st->bin = 0;
        st->take_all = 0;
        st->error = skipped ? 2u : 0u; /* 2: switched off, leave the result alone */
    }
    for (int b = threadIdx.x; b < GTAP_SEL_BINS; b += blockDim.x) st->hist[b] = 0;
}

/* Fold the choice made at `level - 1` into the prefix and move the list
 * roles; returns nonzero when that choice completed the selection. */
__device__ static int gtap_sel_advance(gtap_sel_state *st, int level) {
    const int prev = level - 1;
    if (st->take_all) {
        st->kmin = ((st->prefix << gtap_sel_width(prev)) | st->bin) << gtap_sel_shift(prev);
        st->done = 1;
        return 1;
    }
    st->prefix = (st->prefix << gtap_sel_width(prev)) | st->bin;
    st->level = (unsigned)level;
    if (st->dst_mode == GTAP_SEL_LIST) {
        st->list ^= 1u;
        st->n_list = st->n_next;
    }
    st->src_mode = st->dst_mode;
    st->n_next = 0;
    return 0;
}

__global__ void gtap_sel_choose_kernel(gtap_sel_state *st, int level, unsigned long long cap) {
    typedef cub::BlockScan<unsigned int, GTAP_SEL_CHOOSE_THREADS> scan_t;
    __shared__ typename scan_t::TempStorage scan_tmp;
    __shared__ int finished;
    __shared__ unsigned long long need_sh;
    if (st->done) return;
    if (threadIdx.x == 0) {
        finished = level > 0 ? gtap_sel_advance(st, level) : 0;
        need_sh = st->need;
    }
    __syncthreads();
    if (finished) return;
    const unsigned long long need = need_sh;

    /* thread t owns bins hi_bin = 2047 - 2t and lo_bin = 2046 - 2t */
    const int hi_bin = GTAP_SEL_BINS - 1 - 2 * (int)threadIdx.x;
    const int lo_bin = hi_bin - 1;
    const unsigned int h_hi = st->hist[hi_bin], h_lo = st->hist[lo_bin];
    unsigned int above = 0; /* elements in bins above hi_bin */
    scan_t(scan_tmp).ExclusiveSum(h_hi + h_lo, above);
    const unsigned long long a_hi = above, a_lo = (unsigned long long)above + h_hi;
    int chosen = -1;
    unsigned long long chosen_above = 0, chosen_count = 0;
    if (a_hi < need && need <= a_hi + h_hi) {
        chosen = hi_bin;
        chosen_above = a_hi;
        chosen_count = h_hi;
    } else if (a_lo < need && need <= a_lo + h_lo) {
        chosen = lo_bin;
        chosen_above = a_lo;
        chosen_count = h_lo;
    }
    __syncthreads(); /* every thread has read the histogram */
    if (chosen >= 0) {
        const unsigned long long rest = need - chosen_above;
        st->bin = (unsigned)chosen;
        st->need = rest;
        st->take_all = chosen_count == rest ? 1u : 0u;
        st->dst_mode = chosen_count == rest ? GTAP_SEL_NONE : (chosen_count <= cap ? GTAP_SEL_LIST : GTAP_SEL_DENSE);
    }
    if (threadIdx.x == 0 && level == 0) st->level = 0;
    st->hist[hi_bin] = 0;
    st->hist[lo_bin] = 0;
    /* no bin found means fewer keys than need: a bug; stop and flag it */
    const int found = __syncthreads_or(chosen >= 0);
    if (!found && threadIdx.x == 0) {
        st->error = 1;
        st->done = 1;
    }
}

__global__ void gtap_sel_finish_kernel(gtap_sel_state *st, gtap_cuda_result *res, int with_threshold) {
    if (threadIdx.x != 0) return;
    if (!st->done && !st->error) gtap_sel_advance(st, GTAP_SEL_LEVELS);
    if (res == NULL || st->error == 2u) return;
    if (st->error) { /* a bug: say so rather than return a wrong set */
        res->count = 0;
        res->total = 0;
        res->flags |= GTAP_CUDA_FLAG_INTERNAL_ERROR;
        return;
    }
    res->count = st->out_count;
    res->total = st->out_count;
    const uint32_t hi_min = (uint32_t)(st->kmin >> 32);
    res->threshold = with_threshold ? gtap_key_float(hi_min >> 1) : __int_as_float(0x7fc00000);
}
