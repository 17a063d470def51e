/* device.c - the CUDA side of capture: pinned staging memory, the
 * asynchronous device-to-host copy on the caller's stream and the event the
 * writer thread waits on. Without CUDA (GRADTAP_WITH_CUDA undefined) staging
 * is plain malloc and device records report GTAP_EUNSUPPORTED. */
#include <stdlib.h>

#include "capture_internal.h"

#ifdef GRADTAP_WITH_CUDA
#include <cuda_runtime_api.h>

void *device_host_alloc(uint64_t bytes, int pinned)
{
    if (!pinned) return malloc(bytes);
    void *data = NULL;
    if (cudaHostAlloc(&data, bytes, cudaHostAllocDefault) != cudaSuccess) {
        cudaGetLastError();
        return NULL;
    }
    return data;
}

void device_host_free(void *data, int pinned)
{
    if (!pinned) {
        free(data);
        return;
    }
    if (data != NULL) cudaFreeHost(data);
}

int device_copy_async(void *host, const void *device, uint64_t bytes, void *stream, void **event)
{
    cudaEvent_t done = NULL;
    cudaError_t error = cudaEventCreateWithFlags(&done, cudaEventDisableTiming);
    if (error == cudaSuccess && bytes > 0) /* 0: only the event (a device summary alone) */
        error = cudaMemcpyAsync(host, device, (size_t)bytes, cudaMemcpyDeviceToHost, (cudaStream_t)stream);
    if (error == cudaSuccess) error = cudaEventRecord(done, (cudaStream_t)stream);
    if (error != cudaSuccess) {
        if (done != NULL) cudaEventDestroy(done);
        cudaGetLastError();
        return gtap_set_error(GTAP_ECUDA, "capture: device-to-host copy of %llu bytes failed: %s",
                              (unsigned long long)bytes, cudaGetErrorString(error));
    }
    *event = done;
    return GTAP_OK;
}

int device_event_wait(void *event)
{
    cudaError_t error = cudaEventSynchronize((cudaEvent_t)event);
    if (error != cudaSuccess)
        return gtap_set_error(GTAP_ECUDA, "capture: waiting for a device copy failed: %s", cudaGetErrorString(error));
    return GTAP_OK;
}

int device_event_done(void *event)
{
    cudaError_t error = cudaEventQuery((cudaEvent_t)event);
    if (error == cudaSuccess) return 1;
    if (error == cudaErrorNotReady) return 0;
    return GTAP_ECUDA;
}

void device_event_free(void *event)
{
    if (event != NULL) cudaEventDestroy((cudaEvent_t)event);
}

#else /* no CUDA */

void *device_host_alloc(uint64_t bytes, int pinned)
{
    (void)pinned;
    return malloc(bytes);
}

void device_host_free(void *data, int pinned)
{
    (void)pinned;
    free(data);
}

int device_copy_async(void *host, const void *device, uint64_t bytes, void *stream, void **event)
{
    (void)host;
    (void)device;
    (void)bytes;
    (void)stream;
    *event = NULL;
    return gtap_set_error(GTAP_EUNSUPPORTED, "capture: gradtap was built without CUDA");
}

int device_event_wait(void *event)
{
    (void)event;
    return GTAP_OK;
}

int device_event_done(void *event)
{
    (void)event;
    return 1;
}

void device_event_free(void *event)
{
    (void)event;
}

#endif
