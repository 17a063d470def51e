/*
 * bench_cuda.cu - speed of the gradtap_cuda kernels against the memory floor
 * (docs/THEORY.md s.9). For d = 2^20 .. 2^28 and rho = 0.001, 0.01 it
 * times every selector, error feedback fused with top-k and Gaussian-k, and
 * the summary, with CUDA events (median of --runs runs), rotating through
 * enough input copies that the L2 cache cannot hold them. Effective bandwidth
 * = floor bytes / time (4d for a selector or the summary: one read of u;
 * 12d for error feedback: read g and r, write r), quoted as a fraction of the
 * device-to-device copy bandwidth measured in the same run. Exact top-k is
 * checked against the C reference at every size before it is timed.
 * Usage: bench_cuda [--runs N] [--max-log2 L]   (see docs/GPU.md)
 */
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <cuda_runtime.h>

#include "gradtap/cuda.h"
#include "gradtap/density.h"
#include "gradtap/random.h"
#include "ref/ref.h"

#define CU(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { \
    fprintf(stderr, "bench_cuda: %s: %s\n", #call, cudaGetErrorString(e_)); exit(3); } } while (0)
#define GT(call) do { int rc_ = (call); if (rc_ != GTAP_OK) { \
    fprintf(stderr, "bench_cuda: %s: %s\n", #call, gtap_last_error()); exit(3); } } while (0)

static __global__ void fill_normal(float *u, uint64_t d, uint64_t seed) {
    for (uint64_t i = blockIdx.x * (uint64_t)blockDim.x + threadIdx.x; i < d; i += (uint64_t)gridDim.x * blockDim.x) {
        const uint64_t z = gtap_srng_mix(seed + i * GTAP_SPLITMIX64_GOLDEN);
        const double a = ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
        const double b = ((uint32_t)z + 0.5) * (1.0 / 4294967296.0);
        u[i] = (float)(sqrt(-2.0 * log(a)) * cospi(2.0 * b));
    }
}

template <class F> static double median_ms(int runs, F &&body) {
    cudaEvent_t a, b;
    CU(cudaEventCreate(&a));
    CU(cudaEventCreate(&b));
    std::vector<float> t;
    body(0); /* warm-up */
    for (int r = 0; r < runs; ++r) {
        CU(cudaEventRecord(a));
        body(r + 1);
        CU(cudaEventRecord(b));
        CU(cudaEventSynchronize(b));
        float ms = 0;
        CU(cudaEventElapsedTime(&ms, a, b));
        t.push_back(ms);
    }
    CU(cudaEventDestroy(a));
    CU(cudaEventDestroy(b));
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

int main(int argc, char **argv) {
    int runs = 21, max_log2 = 28;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--runs")) runs = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--max-log2")) max_log2 = atoi(argv[i + 1]);
    }
    if (!gtap_cuda_device_available()) {
        printf("no CUDA device: nothing to measure\n");
        return 0;
    }
    cudaDeviceProp prop;
    CU(cudaGetDeviceProperties(&prop, 0));
    int l2 = prop.l2CacheSize;
    /* copy bandwidth: 1 GiB device to device */
    const size_t cbytes = (size_t)1 << 30;
    void *ca, *cb;
    CU(cudaMalloc(&ca, cbytes));
    CU(cudaMalloc(&cb, cbytes));
    const double copy_ms = median_ms(runs, [&](int) { CU(cudaMemcpyAsync(cb, ca, cbytes, cudaMemcpyDeviceToDevice)); });
    const double copy_gbs = 2.0 * cbytes / (copy_ms * 1e6);
    CU(cudaFree(ca));
    CU(cudaFree(cb));
    printf("device: %s, L2 %d MiB, copy bandwidth %.0f GB/s (read+write, median of %d)\n", prop.name, l2 >> 20,
           copy_gbs, runs);
    printf("%-18s %12s %7s %10s %10s %8s\n", "kernel", "d", "rho", "ms", "GB/s", "of_copy");

    for (int lg = 20; lg <= max_log2; lg += 2) {
        const uint64_t d = 1ull << lg;
        const size_t bytes = d * 4;
        int nbuf = (int)std::max<size_t>(2, (4 * (size_t)l2) / bytes + 1);
        nbuf = std::min(nbuf, 16);
        std::vector<float *> u(nbuf);
        for (int b = 0; b < nbuf; ++b) {
            CU(cudaMalloc((void **)&u[b], bytes));
            fill_normal<<<1024, 256>>>(u[b], d, 1234567ull + b);
        }
        float *g, *r;
        CU(cudaMalloc((void **)&g, bytes));
        CU(cudaMalloc((void **)&r, bytes));
        fill_normal<<<1024, 256>>>(g, d, 99);
        CU(cudaMemset(r, 0, bytes));
        for (double rho : {0.001, 0.01}) {
            uint64_t k;
            GT(gtap_k_from_density(rho, d, &k));
            const uint64_t cap = 2 * k + 1024;
            uint32_t *oi;
            float *ov;
            gtap_cuda_result *res;
            CU(cudaMalloc((void **)&oi, cap * 4));
            CU(cudaMalloc((void **)&ov, cap * 4));
            CU(cudaMalloc((void **)&res, sizeof *res));
            gtap_cuda_pairs out = {oi, ov, cap, res};
            /* validate exact top-k against the reference first */
            {
                gtap_cuda_select_params p;
                gtap_cuda_select_params_init(&p, GTAP_CUDA_TOPK, k);
                size_t wb;
                GT(gtap_cuda_select_workspace_size(&p, d, &wb));
                void *ws;
                CU(cudaMalloc(&ws, wb));
                GT(gtap_cuda_select(&p, u[0], d, out, ws, wb, 0));
                std::vector<float> hu(d);
                std::vector<uint32_t> got(k), want(k);
                CU(cudaMemcpy(hu.data(), u[0], bytes, cudaMemcpyDeviceToHost));
                CU(cudaMemcpy(got.data(), oi, k * 4, cudaMemcpyDeviceToHost));
                GT(gtap_ref_topk(GTAP_REF_KEY_MAG, hu.data(), d, k, 0, want.data()));
                std::sort(got.begin(), got.end());
                if (got != want) {
                    fprintf(stderr, "bench_cuda: top-k differs from the reference at d=%llu: not timing\n",
                            (unsigned long long)d);
                    return 1;
                }
                CU(cudaFree(ws));
            }
            struct job { const char *name; gtap_cuda_selector sel; int exact; int ef; };
            const job jobs[] = {{"topk", GTAP_CUDA_TOPK, 0, 0},         {"gaussiank", GTAP_CUDA_GAUSSIANK, 0, 0},
                                {"gaussiank-exact", GTAP_CUDA_GAUSSIANK, 1, 0}, {"dgck", GTAP_CUDA_DGCK, 0, 0},
                                {"randk", GTAP_CUDA_RANDK, 0, 0},       {"trimmed-topk", GTAP_CUDA_TRIMMED_TOPK, 0, 0},
                                {"hard-threshold", GTAP_CUDA_HARD_THRESHOLD, 0, 0},
                                {"ef+topk", GTAP_CUDA_TOPK, 0, 1},      {"ef+gaussiank", GTAP_CUDA_GAUSSIANK, 0, 1}};
            for (const job &j : jobs) {
                gtap_cuda_select_params p;
                gtap_cuda_select_params_init(&p, j.sel, k);
                p.exact_k = j.exact;
                p.threshold = 3.29f; /* about rho = 0.001 of N(0,1) */
                size_t wb;
                GT(gtap_cuda_select_workspace_size(&p, d, &wb));
                void *ws;
                CU(cudaMalloc(&ws, wb));
                double ms;
                if (j.ef)
                    ms = median_ms(runs, [&](int it) {
                        GT(gtap_cuda_ef_select(&p, u[it % nbuf], r, 1.0f, d, out, ws, wb, 0));
                    });
                else
                    ms = median_ms(runs, [&](int it) { GT(gtap_cuda_select(&p, u[it % nbuf], d, out, ws, wb, 0)); });
                const double floor_bytes = (j.ef ? 12.0 : 4.0) * (double)d;
                const double gbs = floor_bytes / (ms * 1e6);
                printf("%-18s %12llu %7.3f %10.4f %10.0f %8.2f\n", j.name, (unsigned long long)d, rho, ms, gbs,
                       gbs / copy_gbs);
                CU(cudaFree(ws));
            }
            {
                const double dens[] = {0.001, 0.01, 0.1};
                size_t wb;
                GT(gtap_cuda_summary_workspace_size(d, dens, 3, &wb));
                void *ws;
                gtap_cuda_stats *st;
                CU(cudaMalloc(&ws, wb));
                CU(cudaMalloc((void **)&st, sizeof *st));
                const double ms =
                    median_ms(runs, [&](int it) { GT(gtap_cuda_summary(u[it % nbuf], d, dens, 3, st, ws, wb, 0)); });
                const double gbs = 4.0 * d / (ms * 1e6);
                printf("%-18s %12llu %7s %10.4f %10.0f %8.2f\n", "summary(3 rho)", (unsigned long long)d, "-", ms, gbs,
                       gbs / copy_gbs);
                CU(cudaFree(ws));
                CU(cudaFree(st));
            }
            CU(cudaFree(oi));
            CU(cudaFree(ov));
            CU(cudaFree(res));
        }
        for (float *b : u) CU(cudaFree(b));
        CU(cudaFree(g));
        CU(cudaFree(r));
    }
    return 0;
}
