/*
 * scatter_add.cu - decode / aggregate sparse messages (docs/THEORY.md s.5):
 * dense[i] += scale * (sum of the values sent for index i), summing
 * duplicates, deterministically: CUB's stable radix sort by index, then one
 * thread per run of equal indices sums the run in double in message order.
 */
#include <cub/device/device_radix_sort.cuh>

#include "common.cuh"

/* cub temp bytes for n pairs (0 on failure). */
static size_t gtap_scatter_sort_bytes(uint64_t n) {
    size_t temp = 0;
    if (cub::DeviceRadixSort::SortPairs(NULL, temp, (const uint32_t *)NULL, (uint32_t *)NULL, (const float *)NULL,
                                        (float *)NULL, (int)n) != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return temp;
}

extern "C" int gtap_cuda_scatter_add_workspace_size(uint64_t n, size_t *bytes) {
    if (bytes == NULL) return gtap_set_error(GTAP_EINVAL, "cuda scatter-add workspace: NULL bytes");
    if (n > (uint64_t)INT32_MAX)
        return gtap_set_error(GTAP_EOVERFLOW, "cuda scatter-add: n=%llu pairs exceeds 2^31-1", (unsigned long long)n);
    const uint64_t m = n ? n : 1;
    *bytes = gtap_ws_align(m * sizeof(uint32_t)) + gtap_ws_align(m * sizeof(float)) +
             gtap_ws_align(gtap_scatter_sort_bytes(m) + 1);
    return GTAP_OK;
}

__global__ void gtap_scatter_runs_kernel(const uint32_t *idx, const float *val, uint64_t n, double scale, float *dense,
                                         uint64_t d, unsigned long long *bad) {
    const uint64_t stride = (uint64_t)gridDim.x * blockDim.x;
    for (uint64_t i = (uint64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += stride) {
        const uint32_t key = idx[i];
        if (i > 0 && idx[i - 1] == key) continue; /* not the start of a run */
        uint64_t j = i;
        double sum = 0.0;
        while (j < n && idx[j] == key) sum += (double)val[j++];
        if ((uint64_t)key >= d) {
            if (bad) atomicAdd(bad, (unsigned long long)(j - i));
            continue;
        }
        dense[key] = __fadd_rn(dense[key], (float)__dmul_rn(scale, sum));
    }
}

extern "C" int gtap_cuda_scatter_add(const uint32_t *index, const float *value, uint64_t n, float scale, float *dense,
                                     uint64_t d, uint64_t *bad_count, void *workspace, size_t workspace_bytes,
                                     cudaStream_t stream) {
    size_t need = 0;
    int rc = gtap_cuda_scatter_add_workspace_size(n, &need);
    if (rc < 0) return rc;
    if (d == 0 || dense == NULL) return gtap_set_error(GTAP_EINVAL, "cuda scatter-add: NULL dense or d = 0");
    if (d > UINT32_MAX)
        return gtap_set_error(GTAP_EOVERFLOW, "cuda scatter-add: d=%llu exceeds the uint32 index range",
                              (unsigned long long)d);
    if (bad_count)
        GTAP_CUDA_CALL(cudaMemsetAsync(bad_count, 0, sizeof *bad_count, stream), "cuda scatter-add: clear bad count");
    if (n == 0) return GTAP_OK;
    if (index == NULL || value == NULL || workspace == NULL)
        return gtap_set_error(GTAP_EINVAL, "cuda scatter-add: NULL index, value or workspace with n=%llu",
                              (unsigned long long)n);
    if (workspace_bytes < need)
        return gtap_set_error(GTAP_EINVAL, "cuda scatter-add: workspace of %zu bytes, need %zu", workspace_bytes, need);
    gtap_ws ws = {(char *)workspace, 0};
    uint32_t *keys = (uint32_t *)gtap_ws_take(&ws, n * sizeof(uint32_t));
    float *vals = (float *)gtap_ws_take(&ws, n * sizeof(float));
    void *temp = gtap_ws_take(&ws, 0);
    size_t temp_bytes = workspace_bytes - ws.used;
    GTAP_CUDA_CALL(cub::DeviceRadixSort::SortPairs(temp, temp_bytes, index, keys, value, vals, (int)n, 0, 32, stream),
                   "cuda scatter-add: sort");
    gtap_scatter_runs_kernel<<<gtap_grid_for(n, 1), GTAP_BLOCK, 0, stream>>>(
        keys, vals, n, (double)scale, dense, d, (unsigned long long *)bad_count);
    GTAP_CUDA_CHECK("cuda scatter-add launch");
    return GTAP_OK;
}
