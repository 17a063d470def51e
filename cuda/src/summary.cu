/*
 * summary.cu - gtap_cuda_summary(): the per-step statistics capture records
 * (gradtap/cuda.h): one statistics pass (moments.cuh, with the log2|u|
 * histogram), one exact radix select per density on the finite magnitudes
 * (non-finite values get key 0, so, as in gradtap/tail.h, energies and k
 * refer to the finite coordinates), and one pass that sums the head and tail
 * energies of every density at once against the selects' key thresholds.
 */
#include <math.h>
#include <string.h>

#include "moments.cuh"
#include "radix_select.cuh"

#define GTAP_SUM_MAXD GTAP_CUDA_SUMMARY_MAX_DENSITIES

/* Magnitude keys of finite values; NaN and Inf rank with zeros. */
struct gtap_finite_source {
    const float *u;
    static constexpr bool value_in_load = true;
    __device__ __forceinline__ void load4(uint64_t d, uint64_t q, uint32_t hi[4], float v[4], bool ok[4]) const {
        gtap_load4(u, d, q, v, ok);
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const uint32_t key = gtap_mag_key(v[e]);
            hi[e] = gtap_key_finite(key) ? key << 1 : 0u;
        }
    }
    __device__ __forceinline__ float value_at(uint32_t i) const { return __ldg(u + i); }
};

typedef struct gtap_summary_layout {
    gtap_cu_moments *partials, *moments;
    unsigned long long *hist;
    unsigned long long *kmin;
    double *energy_partials; /* GTAP_MAX_GRID x 2 x 8 */
    uint32_t *sel_idx;
    float *sel_val;
    gtap_sel_ws engine;
} gtap_summary_layout;

static size_t gtap_summary_carve(uint64_t d, uint64_t k_max, void *base, gtap_summary_layout *L) {
    gtap_ws ws = {(char *)base, 0};
    L->partials = (gtap_cu_moments *)gtap_ws_take(&ws, GTAP_MAX_GRID * sizeof(gtap_cu_moments));
    L->moments = (gtap_cu_moments *)gtap_ws_take(&ws, sizeof(gtap_cu_moments));
    L->hist = (unsigned long long *)gtap_ws_take(&ws, GTAP_CUDA_LOG2_BINS * sizeof(unsigned long long));
    L->kmin = (unsigned long long *)gtap_ws_take(&ws, GTAP_SUM_MAXD * sizeof(unsigned long long));
    L->energy_partials = (double *)gtap_ws_take(&ws, GTAP_MAX_GRID * 2 * GTAP_SUM_MAXD * sizeof(double));
    L->sel_idx = (uint32_t *)gtap_ws_take(&ws, k_max * sizeof(uint32_t));
    L->sel_val = (float *)gtap_ws_take(&ws, k_max * sizeof(float));
    gtap_sel_carve(&ws, gtap_sel_default_cap(d, k_max), &L->engine);
    return ws.used;
}

static int gtap_summary_ks(uint64_t d, const double *densities, int n, uint64_t *ks, uint64_t *k_max) {
    if (d == 0) return gtap_set_error(GTAP_EINVAL, "cuda summary: d = 0");
    if (d > UINT32_MAX)
        return gtap_set_error(GTAP_EOVERFLOW, "cuda summary: d=%llu exceeds the uint32 index range",
                              (unsigned long long)d);
    if (n < 0 || n > GTAP_SUM_MAXD)
        return gtap_set_error(GTAP_EINVAL, "cuda summary: %d densities, at most %d", n, GTAP_SUM_MAXD);
    if (n > 0 && densities == NULL) return gtap_set_error(GTAP_EINVAL, "cuda summary: NULL densities");
    *k_max = 1;
    for (int j = 0; j < n; ++j) {
        int rc = gtap_k_from_density(densities[j], d, &ks[j]);
        if (rc < 0) return rc;
        if (ks[j] > *k_max) *k_max = ks[j];
    }
    return GTAP_OK;
}

extern "C" int gtap_cuda_summary_workspace_size(uint64_t d, const double *densities, int n_densities, size_t *bytes) {
    uint64_t ks[GTAP_SUM_MAXD], k_max = 1;
    if (bytes == NULL) return gtap_set_error(GTAP_EINVAL, "cuda summary workspace: NULL bytes");
    int rc = gtap_summary_ks(d, densities, n_densities, ks, &k_max);
    if (rc < 0) return rc;
    gtap_summary_layout L;
    *bytes = gtap_summary_carve(d, k_max, NULL, &L);
    return GTAP_OK;
}

__global__ void gtap_copy_kmin_kernel(const gtap_sel_state *st, unsigned long long *kmin) {
    if (threadIdx.x == 0) *kmin = st->kmin;
}

/* Head (key >= kmin[j]) and tail energies of every density, finite values only. */
__global__ void __launch_bounds__(GTAP_BLOCK)
gtap_energy_kernel(const float *u, uint64_t d, const unsigned long long *kmin_in, int n, double *partials) {
    __shared__ double sh[GTAP_BLOCK / 32][2 * GTAP_SUM_MAXD];
    unsigned long long kmin[GTAP_SUM_MAXD];
    double head[GTAP_SUM_MAXD], tail[GTAP_SUM_MAXD];
#pragma unroll
    for (int j = 0; j < GTAP_SUM_MAXD; ++j) {
        kmin[j] = j < n ? kmin_in[j] : ~0ull;
        head[j] = tail[j] = 0.0;
    }
    const uint64_t nq = (d + 3u) / 4u, stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t q = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; q < nq; q += stride) {
        float v[4];
        bool ok[4];
        gtap_load4(u, d, q, v, ok);
#pragma unroll
        for (int e = 0; e < 4; ++e) {
            const uint32_t mk = gtap_mag_key(v[e]);
            if (!ok[e] || !gtap_key_finite(mk)) continue;
            const unsigned long long key = gtap_sel_key(mk << 1, (uint32_t)(q * 4u + (uint64_t)e));
            const double sq = (double)v[e] * (double)v[e];
#pragma unroll
            for (int j = 0; j < GTAP_SUM_MAXD; ++j) {
                if (key >= kmin[j]) head[j] += sq;
                else tail[j] += sq;
            }
        }
    }
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
#pragma unroll
    for (int j = 0; j < GTAP_SUM_MAXD; ++j) {
        double h = head[j], t = tail[j];
        for (int off = 16; off > 0; off >>= 1) {
            h += __shfl_down_sync(0xffffffffu, h, off);
            t += __shfl_down_sync(0xffffffffu, t, off);
        }
        if (lane == 0) {
            sh[warp][j] = h;
            sh[warp][GTAP_SUM_MAXD + j] = t;
        }
    }
    __syncthreads();
    if (threadIdx.x < 2 * GTAP_SUM_MAXD) {
        double s = 0.0;
        for (int w = 0; w < GTAP_BLOCK / 32; ++w) s += sh[w][threadIdx.x];
        partials[(uint64_t)blockIdx.x * 2 * GTAP_SUM_MAXD + threadIdx.x] = s;
    }
}

struct gtap_summary_densities {
    double rho[GTAP_SUM_MAXD];
    unsigned long long k[GTAP_SUM_MAXD];
};

__global__ void gtap_summary_final_kernel(const gtap_cu_moments *m, const unsigned long long *hist,
                                          const double *partials, unsigned blocks, int n,
                                          gtap_summary_densities dens, uint64_t d, gtap_cuda_stats *out) {
    __shared__ double energy[2 * GTAP_SUM_MAXD];
    if (threadIdx.x < 2 * GTAP_SUM_MAXD) {
        double s = 0.0;
        for (unsigned b = 0; b < blocks; ++b) s += partials[(uint64_t)b * 2 * GTAP_SUM_MAXD + threadIdx.x];
        energy[threadIdx.x] = s;
    }
    for (int b = threadIdx.x; b < GTAP_CUDA_LOG2_BINS; b += blockDim.x) out->log2_hist[b] = hist[b];
    __syncthreads();
    if (threadIdx.x != 0) return;
    const double nan = __longlong_as_double(0x7ff8000000000000ll);
    out->d = d;
    out->n_finite = (uint64_t)m->n;
    out->n_nan = m->n_nan;
    out->n_inf = m->n_inf;
    out->n_posinf = m->n_posinf;
    out->n_zero = m->n_zero;
    const bool any = m->n > 0.0;
    out->mean = any ? m->mean : nan;
    out->variance = any ? m->m2 / m->n : nan;
    const double var = m->m2 / m->n;
    out->skewness = any && var > 0.0 ? (m->m3 / m->n) / (var * sqrt(var)) : nan;
    out->kurtosis = any && var > 0.0 ? (m->m4 / m->n) / (var * var) : nan;
    out->min = any ? m->min : nan;
    out->max = any ? m->max : nan;
    out->max_abs = any ? m->max_abs : nan;
    out->l1 = m->l1;
    out->sum_sq = m->sum_sq;
    out->n_densities = (uint32_t)n;
    out->reserved = 0;
    for (int j = 0; j < GTAP_SUM_MAXD; ++j) {
        const bool on = j < n;
        out->density[j] = on ? dens.rho[j] : 0.0;
        out->k[j] = on ? dens.k[j] : 0;
        out->head_energy[j] = on ? energy[j] : 0.0;
        out->tail_energy[j] = on ? energy[GTAP_SUM_MAXD + j] : 0.0;
    }
}

extern "C" int gtap_cuda_summary(const float *u, uint64_t d, const double *densities, int n_densities,
                                 gtap_cuda_stats *out, void *workspace, size_t workspace_bytes, cudaStream_t stream) {
    uint64_t ks[GTAP_SUM_MAXD], k_max = 1;
    int rc = gtap_summary_ks(d, densities, n_densities, ks, &k_max);
    if (rc < 0) return rc;
    if (u == NULL || out == NULL || workspace == NULL)
        return gtap_set_error(GTAP_EINVAL, "cuda summary: NULL u, out or workspace");
    gtap_summary_layout L;
    const size_t need = gtap_summary_carve(d, k_max, NULL, &L);
    if (workspace_bytes < need)
        return gtap_set_error(GTAP_EINVAL, "cuda summary: workspace of %zu bytes, need %zu", workspace_bytes, need);
    gtap_summary_carve(d, k_max, workspace, &L);

    GTAP_CUDA_CALL(cudaMemsetAsync(L.hist, 0, GTAP_CUDA_LOG2_BINS * sizeof(unsigned long long), stream),
                   "cuda summary: clear histogram");
    rc = gtap_cu_moments_enqueue(1, u, NULL, NULL, 0.0f, d, L.partials, L.moments, L.hist, stream);
    if (rc < 0) return rc;
    gtap_summary_densities dens;
    memset(&dens, 0, sizeof dens);
    for (int j = 0; j < n_densities; ++j) {
        dens.rho[j] = densities[j];
        dens.k[j] = ks[j];
        rc = gtap_sel_enqueue(gtap_finite_source{u}, d, ks[j], L.engine, 0, L.sel_idx, L.sel_val, NULL, 1, stream);
        if (rc < 0) return rc;
        gtap_copy_kmin_kernel<<<1, 32, 0, stream>>>(L.engine.st, L.kmin + j);
    }
    const unsigned grid = gtap_grid_for(d, 4);
    gtap_energy_kernel<<<grid, GTAP_BLOCK, 0, stream>>>(u, d, L.kmin, n_densities, L.energy_partials);
    gtap_summary_final_kernel<<<1, GTAP_BLOCK, 0, stream>>>(L.moments, L.hist, L.energy_partials, grid, n_densities,
                                                            dens, d, out);
    GTAP_CUDA_CHECK("cuda summary launch");
    return GTAP_OK;
}
