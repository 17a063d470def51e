/*
 * device.cu - whether a usable CUDA device exists (tests skip without one).
 */
#include "common.cuh"

extern "C" int gtap_cuda_device_available(void) {
    int count = 0;
    const cudaError_t err = cudaGetDeviceCount(&count);
    if (err != cudaSuccess) {
        (void)cudaGetLastError();
        return 0;
    }
    return count > 0;
}
