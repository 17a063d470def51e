/*
 * common.cuh - what every gradtap_cuda kernel file shares: launch-error
 * checking that returns gradtap status codes, grid sizing, workspace carving,
 * warp-aggregated output reservation and the vector-load helper.
 */
#ifndef GRADTAP_CUDA_COMMON_CUH
#define GRADTAP_CUDA_COMMON_CUH

#include <cuda_runtime.h>
#include <stdint.h>

#include "gradtap/cuda.h"
#include "gradtap/status.h"
#include "shared/keys.h"

#define GTAP_BLOCK 256            /* threads per block of the streaming kernels */
#define GTAP_MAX_GRID 4096        /* most blocks a streaming kernel uses (partials buffers are this big) */
#define GTAP_WS_ALIGN 256

/* After a batch of launches: turn a launch error (or a sticky earlier one)
 * into GTAP_ECUDA naming the operation. */
#define GTAP_CUDA_CHECK(what)                                                                            \
    do {                                                                                                 \
        cudaError_t gtap_err_ = cudaGetLastError();                                                      \
        if (gtap_err_ != cudaSuccess)                                                                    \
            return gtap_set_error(GTAP_ECUDA, "%s: %s", (what), cudaGetErrorString(gtap_err_));          \
    } while (0)

#define GTAP_CUDA_CALL(call, what)                                                                       \
    do {                                                                                                 \
        cudaError_t gtap_err_ = (call);                                                                  \
        if (gtap_err_ != cudaSuccess)                                                                    \
            return gtap_set_error(GTAP_ECUDA, "%s: %s", (what), cudaGetErrorString(gtap_err_));          \
    } while (0)

/* Round up to the workspace alignment. */
static inline size_t gtap_ws_align(size_t n) { return (n + GTAP_WS_ALIGN - 1) / GTAP_WS_ALIGN * GTAP_WS_ALIGN; }

/* A bump allocator over the caller's workspace (sizes only when base is NULL). */
typedef struct gtap_ws {
    char *base;
    size_t used;
} gtap_ws;

static inline void *gtap_ws_take(gtap_ws *ws, size_t bytes) {
    void *p = ws->base ? ws->base + ws->used : NULL;
    ws->used += gtap_ws_align(bytes);
    return p;
}

/* Blocks for a grid-stride kernel over n items (each thread takes `per_thread`). */
static inline unsigned gtap_grid_for(uint64_t n, unsigned per_thread) {
    static int sms = 0;
    if (sms == 0) {
        int dev = 0, value = 0;
        if (cudaGetDevice(&dev) == cudaSuccess &&
            cudaDeviceGetAttribute(&value, cudaDevAttrMultiProcessorCount, dev) == cudaSuccess && value > 0)
            sms = value;
        else
            sms = 132;
        (void)cudaGetLastError();
    }
    uint64_t want = (n + (uint64_t)GTAP_BLOCK * per_thread - 1) / ((uint64_t)GTAP_BLOCK * per_thread);
    uint64_t cap = (uint64_t)sms * 8u;
    if (cap > GTAP_MAX_GRID) cap = GTAP_MAX_GRID;
    if (want > cap) want = cap;
    if (want == 0) want = 1;
    return (unsigned)want;
}

/* Reserve out positions for the lanes of a warp that want one; all 32 lanes
 * must call together. Returns this lane's position (meaningless if !want). */
__device__ __forceinline__ unsigned long long gtap_warp_reserve(unsigned long long *counter, bool want) {
    const unsigned mask = __ballot_sync(0xffffffffu, want);
    if (mask == 0) return 0;
    const int lane = threadIdx.x & 31;
    const int leader = __ffs(mask) - 1;
    unsigned long long base = 0;
    if (lane == leader) base = atomicAdd(counter, (unsigned long long)__popc(mask));
    base = __shfl_sync(0xffffffffu, base, leader);
    return base + (unsigned long long)__popc(mask & ((1u << lane) - 1u));
}

/* Load elements 4*q .. 4*q+3 of x (those below n); missing ones are 0 and
 * flagged invalid. Vector load when the group is whole and x is 16-byte aligned. */
__device__ __forceinline__ void gtap_load4(const float *x, uint64_t n, uint64_t q, float v[4], bool ok[4]) {
    const uint64_t i = q * 4u;
    if (i + 3u < n && (((uintptr_t)x & 15u) == 0)) {
        const float4 f = __ldg(reinterpret_cast<const float4 *>(x) + q);
        v[0] = f.x; v[1] = f.y; v[2] = f.z; v[3] = f.w;
        ok[0] = ok[1] = ok[2] = ok[3] = true;
        return;
    }
#pragma unroll
    for (int e = 0; e < 4; ++e) {
        ok[e] = i + (uint64_t)e < n;
        v[e] = ok[e] ? __ldg(x + i + e) : 0.0f;
    }
}

#endif /* GRADTAP_CUDA_COMMON_CUH */
