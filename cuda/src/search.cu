/*
 * search.cu - counting rounds, update and emit of the threshold search
 * (search.cuh; the rule itself is shared/search.h, also used by the C
 * references).
 */
#include "search.cuh"

/* The dense pass of both kernels: every element of u in grid-stride order,
 * four values per thread (vector loads), visit(ok, index, value, key) for
 * each of the four lanes. Every thread of a warp makes every call, so the
 * visitor may use warp collectives (gtap_warp_reserve). */
template <typename Visit>
static __device__ __forceinline__ void gtap_for_each_quad(const float *u, uint64_t d, Visit visit) {
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    const uint64_t nq = (d + 3u) / 4u;
    for (uint64_t base = (uint64_t)blockIdx.x * blockDim.x; base < nq; base += stride) {
        const uint64_t q = base + threadIdx.x;
        float v[4] = {0, 0, 0, 0};
        bool ok[4] = {false, false, false, false};
        if (q < nq) gtap_load4(u, d, q, v, ok);
#pragma unroll
        for (int e = 0; e < 4; ++e) visit(ok[e], (uint32_t)(q * 4u + (uint64_t)e), v[e], gtap_mag_key(v[e]));
    }
}

__global__ void __launch_bounds__(GTAP_BLOCK)
gtap_search_count_kernel(const float *u, uint64_t d, gtap_search_state *s, uint2 *list, unsigned long long cap) {
    __shared__ unsigned long long sh_cnt[GTAP_SEARCH_NT];
    if (s->done) return;
    uint32_t thk[GTAP_SEARCH_NT];
#pragma unroll
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) thk[j] = gtap_mag_key(s->th[j]);
    const bool dense = s->pass_dense != 0;
    const unsigned long long n_list = s->n_list;
    if (threadIdx.x < GTAP_SEARCH_NT) sh_cnt[threadIdx.x] = 0;
    __syncthreads();
    unsigned int c[GTAP_SEARCH_NT];
#pragma unroll
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) c[j] = 0;

    auto count = [&](uint32_t key) {
#pragma unroll
        for (int j = 0; j < GTAP_SEARCH_NT; ++j) c[j] += key >= thk[j] ? 1u : 0u;
    };
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    if (dense) {
        gtap_for_each_quad(u, d, [&](bool ok, uint32_t idx, float, uint32_t key) {
            const bool keep = ok && key >= thk[0];
            if (keep) count(key);
            const unsigned long long slot = gtap_warp_reserve(&s->n_list, keep);
            if (keep && slot < cap) list[slot] = make_uint2(idx, key << 1);
        });
    } else {
        for (uint64_t j = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; j < n_list; j += stride) {
            const uint32_t key = list[j].y >> 1;
            if (key >= thk[0]) count(key);
        }
    }
#pragma unroll
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) {
        const unsigned int w = __reduce_add_sync(0xffffffffu, c[j]);
        if ((threadIdx.x & 31) == 0 && w) atomicAdd(&sh_cnt[j], (unsigned long long)w);
    }
    __syncthreads();
    if (threadIdx.x < GTAP_SEARCH_NT && sh_cnt[threadIdx.x]) atomicAdd(&s->cnt[threadIdx.x], sh_cnt[threadIdx.x]);
}

__global__ void gtap_search_update_kernel(gtap_search_state *s, unsigned long long cap, int dgc) {
    if (threadIdx.x != 0 || s->done) return;
    if (s->pass_dense) s->list_valid = s->n_list <= cap ? 1u : 0u;
    if (dgc) gtap_dgc_choose(s);
    else gtap_search_update(s);
    if (s->done) return;
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) s->cnt[j] = 0;
    s->pass_dense = s->list_valid && s->th[0] >= s->list_t ? 0u : 1u;
    if (s->pass_dense) {
        s->n_list = 0;
        s->list_valid = 0;
        s->list_t = s->th[0];
    }
}

__global__ void __launch_bounds__(GTAP_BLOCK)
gtap_search_emit_kernel(const float *u, uint64_t d, const gtap_search_state *s, const uint2 *list,
                        const unsigned int *enable, int to_list, uint32_t *out_idx, float *out_val, uint2 *out_list,
                        unsigned long long *counter, unsigned long long out_cap) {
    if (!*enable) return;
    const uint32_t tk = gtap_mag_key(s->best_t);
    const bool from_list = s->list_valid && s->best_t >= s->list_t;
    const unsigned long long n_list = s->n_list;
    auto emit = [&](bool keep, uint32_t idx, uint32_t key, float v, bool have_v) {
        const unsigned long long slot = gtap_warp_reserve(counter, keep);
        if (!keep || slot >= out_cap) return;
        if (to_list) {
            out_list[slot] = make_uint2(idx, key << 1);
        } else {
            out_idx[slot] = idx;
            out_val[slot] = have_v ? v : __ldg(u + idx);
        }
    };
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    if (!from_list) {
        gtap_for_each_quad(u, d, [&](bool ok, uint32_t idx, float v, uint32_t key) {
            emit(ok && key >= tk, idx, key, v, true);
        });
    } else {
        for (uint64_t base = (uint64_t)blockIdx.x * blockDim.x; base < n_list; base += stride) {
            const uint64_t j = base + threadIdx.x;
            const uint2 e = j < n_list ? list[j] : make_uint2(0u, 0u);
            const uint32_t key = e.y >> 1;
            emit(j < n_list && key >= tk, e.x, key, 0.0f, false);
        }
    }
}

int gtap_search_enqueue_rounds(const float *u, uint64_t d, gtap_search_state *s, uint2 *list, unsigned long long cap,
                               int rounds, int dgc, cudaStream_t stream) {
    const unsigned grid = gtap_grid_for(d, 4);
    for (int r = 0; r < rounds; ++r) {
        gtap_search_count_kernel<<<grid, GTAP_BLOCK, 0, stream>>>(u, d, s, list, cap);
        gtap_search_update_kernel<<<1, 32, 0, stream>>>(s, cap, dgc);
    }
    GTAP_CUDA_CHECK("threshold search launch");
    return GTAP_OK;
}
