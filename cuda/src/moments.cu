/*
 * moments.cu - the statistics pass (moments.cuh): moments, NaN/Inf/zero
 * counts, min/max, l1, sum of squares and the log2|u| histogram in one read,
 * optionally fused with the error-feedback accumulation r = fmaf(scale, g, r).
 */
#include "moments.cuh"

struct gtap_mom_acc {
    double shift, n, s1, s2, s3, s4, l1, sq, mn, mx, mxa;
    unsigned long long nan, inf, posinf, zero;
    bool have;
};

__device__ static void gtap_mom_acc_init(gtap_mom_acc &a) {
    a.shift = a.n = a.s1 = a.s2 = a.s3 = a.s4 = a.l1 = a.sq = a.mxa = 0.0;
    a.mn = __longlong_as_double(0x7ff0000000000000ll);   /* +inf */
    a.mx = __longlong_as_double((long long)0xfff0000000000000ull); /* -inf */
    a.nan = a.inf = a.posinf = a.zero = 0;
    a.have = false;
}

template <bool FULL>
__device__ __forceinline__ void gtap_mom_acc_add(gtap_mom_acc &a, float x, unsigned int *hist) {
    const uint32_t key = gtap_mag_key(x);
    if (FULL) atomicAdd(&hist[key >> 23], 1u);
    if (!gtap_key_finite(key)) {
        if (key > 0x7f800000u) a.nan++;
        else {
            a.inf++;
            if (x > 0.0f) a.posinf++;
        }
        return;
    }
    if (key == 0) a.zero++;
    const double v = (double)x;
    if (!a.have) {
        a.shift = v;
        a.have = true;
    }
    const double y = v - a.shift, y2 = y * y;
    a.n += 1.0;
    a.s1 += y;
    a.s2 += y2;
    if (FULL) {
        a.s3 += y2 * y;
        a.s4 += y2 * y2;
    }
    const double av = fabs(v);
    a.l1 += av;
    a.sq += v * v;
    a.mn = fmin(a.mn, v);
    a.mx = fmax(a.mx, v);
    a.mxa = fmax(a.mxa, av);
}

__device__ static gtap_cu_moments gtap_mom_from_acc(const gtap_mom_acc &a) {
    gtap_cu_moments m;
    m.n = a.n;
    m.l1 = a.l1;
    m.sum_sq = a.sq;
    m.min = a.mn;
    m.max = a.mx;
    m.max_abs = a.mxa;
    m.n_nan = a.nan;
    m.n_inf = a.inf;
    m.n_posinf = a.posinf;
    m.n_zero = a.zero;
    if (a.n == 0.0) {
        m.mean = m.m2 = m.m3 = m.m4 = 0.0;
        return m;
    }
    const double mu = a.s1 / a.n, mu2 = mu * mu;
    m.mean = a.shift + mu;
    m.m2 = fmax(a.s2 - a.n * mu2, 0.0);
    m.m3 = a.s3 - 3.0 * mu * a.s2 + 2.0 * a.n * mu2 * mu;
    m.m4 = fmax(a.s4 - 4.0 * mu * a.s3 + 6.0 * mu2 * a.s2 - 3.0 * a.n * mu2 * mu2, 0.0);
    return m;
}

/* Pairwise merge of two partial results (order matters only in rounding). */
__device__ static gtap_cu_moments gtap_mom_merge(const gtap_cu_moments &a, const gtap_cu_moments &b) {
    gtap_cu_moments m;
    m.l1 = a.l1 + b.l1;
    m.sum_sq = a.sum_sq + b.sum_sq;
    m.min = fmin(a.min, b.min);
    m.max = fmax(a.max, b.max);
    m.max_abs = fmax(a.max_abs, b.max_abs);
    m.n_nan = a.n_nan + b.n_nan;
    m.n_inf = a.n_inf + b.n_inf;
    m.n_posinf = a.n_posinf + b.n_posinf;
    m.n_zero = a.n_zero + b.n_zero;
    if (a.n == 0.0 || b.n == 0.0) {
        const gtap_cu_moments &s = a.n == 0.0 ? b : a;
        m.n = s.n;
        m.mean = s.mean;
        m.m2 = s.m2;
        m.m3 = s.m3;
        m.m4 = s.m4;
        return m;
    }
    const double na = a.n, nb = b.n, n = na + nb;
    const double delta = b.mean - a.mean, d2 = delta * delta;
    m.n = n;
    m.mean = a.mean + delta * (nb / n);
    m.m2 = a.m2 + b.m2 + d2 * na * nb / n;
    m.m3 = a.m3 + b.m3 + d2 * delta * na * nb * (na - nb) / (n * n) + 3.0 * delta * (na * b.m2 - nb * a.m2) / n;
    m.m4 = a.m4 + b.m4 + d2 * d2 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n) +
           6.0 * d2 * (na * na * b.m2 + nb * nb * a.m2) / (n * n) + 4.0 * delta * (na * b.m3 - nb * a.m3) / n;
    return m;
}

/* Tree-merge one gtap_cu_moments per thread of the block into sh[0]. */
__device__ static void gtap_mom_block_merge(gtap_cu_moments *sh) {
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
        __syncthreads();
        if (threadIdx.x < s) sh[threadIdx.x] = gtap_mom_merge(sh[threadIdx.x], sh[threadIdx.x + s]);
    }
    __syncthreads();
}

template <bool FULL, bool ACCUM>
__global__ void __launch_bounds__(GTAP_BLOCK)
gtap_cu_moments_kernel(const float *u, const float *g, float *r, float scale, uint64_t d, gtap_cu_moments *partials,
                    unsigned long long *hist) {
    __shared__ gtap_cu_moments sh[GTAP_BLOCK];
    __shared__ unsigned int sh_hist[GTAP_CUDA_LOG2_BINS];
    if (FULL)
        for (int b = threadIdx.x; b < GTAP_CUDA_LOG2_BINS; b += blockDim.x) sh_hist[b] = 0;
    __syncthreads();
    gtap_mom_acc acc;
    gtap_mom_acc_init(acc);
    const uint64_t nq = (d + 3u) / 4u, stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t q = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; q < nq; q += stride) {
        float v[4];
        bool ok[4];
        if (ACCUM) {
            const uint64_t i = q * 4u;
            if (i + 3u < d && (((uintptr_t)g | (uintptr_t)r) & 15u) == 0) {
                const float4 gv = __ldg(reinterpret_cast<const float4 *>(g) + q);
                float4 rv = reinterpret_cast<float4 *>(r)[q];
                rv.x = __fmaf_rn(scale, gv.x, rv.x);
                rv.y = __fmaf_rn(scale, gv.y, rv.y);
                rv.z = __fmaf_rn(scale, gv.z, rv.z);
                rv.w = __fmaf_rn(scale, gv.w, rv.w);
                reinterpret_cast<float4 *>(r)[q] = rv;
                v[0] = rv.x; v[1] = rv.y; v[2] = rv.z; v[3] = rv.w;
                ok[0] = ok[1] = ok[2] = ok[3] = true;
            } else {
                for (int e = 0; e < 4; ++e) {
                    ok[e] = i + (uint64_t)e < d;
                    v[e] = 0.0f;
                    if (ok[e]) {
                        v[e] = __fmaf_rn(scale, g[i + e], r[i + e]);
                        r[i + e] = v[e];
                    }
                }
            }
        } else {
            gtap_load4(u, d, q, v, ok);
        }
#pragma unroll
        for (int e = 0; e < 4; ++e)
            if (ok[e]) gtap_mom_acc_add<FULL>(acc, v[e], sh_hist);
    }
    sh[threadIdx.x] = gtap_mom_from_acc(acc);
    gtap_mom_block_merge(sh);
    if (threadIdx.x == 0) partials[blockIdx.x] = sh[0];
    if (FULL)
        for (int b = threadIdx.x; b < GTAP_CUDA_LOG2_BINS; b += blockDim.x)
            if (sh_hist[b]) atomicAdd(&hist[b], (unsigned long long)sh_hist[b]);
}

__global__ void __launch_bounds__(GTAP_BLOCK)
gtap_cu_moments_merge_kernel(const gtap_cu_moments *partials, unsigned count, gtap_cu_moments *out, int full) {
    __shared__ gtap_cu_moments sh[GTAP_BLOCK];
    gtap_mom_acc empty;
    gtap_mom_acc_init(empty);
    gtap_cu_moments m = gtap_mom_from_acc(empty);
    for (unsigned i = threadIdx.x; i < count; i += blockDim.x) m = gtap_mom_merge(m, partials[i]);
    sh[threadIdx.x] = m;
    gtap_mom_block_merge(sh);
    if (threadIdx.x == 0) *out = sh[0];
}

int gtap_cu_moments_enqueue(int full, const float *u, const float *g, float *r, float scale, uint64_t d,
                         gtap_cu_moments *partials, gtap_cu_moments *out, unsigned long long *hist, cudaStream_t stream) {
    const unsigned grid = gtap_grid_for(d, 4);
    const bool accum = g != NULL;
    if (full && accum)
        gtap_cu_moments_kernel<true, true><<<grid, GTAP_BLOCK, 0, stream>>>(u, g, r, scale, d, partials, hist);
    else if (full)
        gtap_cu_moments_kernel<true, false><<<grid, GTAP_BLOCK, 0, stream>>>(u, g, r, scale, d, partials, hist);
    else if (accum)
        gtap_cu_moments_kernel<false, true><<<grid, GTAP_BLOCK, 0, stream>>>(u, g, r, scale, d, partials, hist);
    else
        gtap_cu_moments_kernel<false, false><<<grid, GTAP_BLOCK, 0, stream>>>(u, g, r, scale, d, partials, hist);
    gtap_cu_moments_merge_kernel<<<1, GTAP_BLOCK, 0, stream>>>(partials, grid, out, full);
    GTAP_CUDA_CHECK("statistics pass launch");
    return GTAP_OK;
}
