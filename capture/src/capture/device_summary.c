/* device_summary.c - summaries of float32 CUDA data computed on the device
 * (gradtap/cuda.h, gtap_cuda_summary) instead of copying the whole vector
 * to the host: the training thread enqueues the kernels and a copy of the
 * ~2.5 KiB result into the record's pinned staging on the caller's stream;
 * the writer thread turns the result into a gtap_summary.
 *
 * One device workspace serves every record of a capture: calls on different
 * streams are ordered through an event (a stream waits for the previous
 * summary before reusing the workspace). It grows when a larger tensor
 * arrives. Data on another device than the first one used, float16/bfloat16
 * data, more than GTAP_CUDA_SUMMARY_MAX_DENSITIES densities or more than
 * 2^32 - 1 elements take the host path (copy, then gtap_summary_compute). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"

#ifdef GRADTAP_WITH_CUDA
#include <cuda_runtime_api.h>

#include "gradtap/cuda.h"

struct device_summary_state {
    pthread_mutex_t lock;
    int device;              /* the device of the workspace */
    void *workspace;
    size_t workspace_bytes;
    uint64_t capacity;       /* the largest numel the workspace serves */
    gtap_cuda_stats *result; /* device memory, copied out after each summary */
    cudaEvent_t last_done;   /* recorded after the last summary's copy */
    cudaStream_t last_stream;
    int used;
};

uint64_t device_summary_bytes(void)
{
    return (sizeof(gtap_cuda_stats) + 63) / 64 * 64;
}

static int cuda_failed(cudaError_t error, const char *what)
{
    cudaGetLastError();
    return gtap_set_error(GTAP_ECUDA, "capture device summary: %s: %s", what, cudaGetErrorString(error));
}

int device_summary_supported(const gtap_capture *capture, const capture_tensor *tensor, const void *device_data)
{
    if (tensor->dtype != GTAP_FLOAT32 || tensor->numel == 0 || tensor->numel > UINT32_MAX ||
        capture->density_count > GTAP_CUDA_SUMMARY_MAX_DENSITIES)
        return 0;
    struct cudaPointerAttributes attributes;
    if (cudaPointerGetAttributes(&attributes, device_data) != cudaSuccess) {
        cudaGetLastError();
        return 0;
    }
    if (attributes.type != cudaMemoryTypeDevice && attributes.type != cudaMemoryTypeManaged) return 0;
    const device_summary_state *state = capture->device_summary;
    return state == NULL || !state->used || attributes.device == state->device;
}

static int state_create(gtap_capture *capture)
{
    if (capture->device_summary != NULL) return GTAP_OK;
    device_summary_state *state = calloc(1, sizeof *state);
    if (state == NULL) return gtap_set_error(GTAP_ENOMEM, "capture device summary: out of memory");
    pthread_mutex_init(&state->lock, NULL);
    capture->device_summary = state;
    return GTAP_OK;
}

/* Make the workspace serve `numel` elements (state lock held). */
static int ensure_workspace(gtap_capture *capture, device_summary_state *state, uint64_t numel)
{
    cudaError_t error;
    if (!state->used) {
        if ((error = cudaGetDevice(&state->device)) != cudaSuccess) return cuda_failed(error, "no device");
        if ((error = cudaMalloc((void **)&state->result, sizeof *state->result)) != cudaSuccess)
            return cuda_failed(error, "result buffer");
        if ((error = cudaEventCreateWithFlags(&state->last_done, cudaEventDisableTiming)) != cudaSuccess)
            return cuda_failed(error, "event");
        state->used = 1;
    }
    if (numel <= state->capacity) return GTAP_OK;
    size_t bytes = 0;
    int rc = gtap_cuda_summary_workspace_size(numel, capture->densities, (int)capture->density_count, &bytes);
    if (rc < 0) return rc;
    if (state->workspace != NULL) { /* the previous summary may still use it */
        if ((error = cudaEventSynchronize(state->last_done)) != cudaSuccess) return cuda_failed(error, "wait");
        cudaFree(state->workspace);
        state->workspace = NULL;
        state->capacity = 0;
    }
    if ((error = cudaMalloc(&state->workspace, bytes)) != cudaSuccess) return cuda_failed(error, "workspace");
    state->workspace_bytes = bytes;
    state->capacity = numel;
    return GTAP_OK;
}

int device_summary_enqueue(gtap_capture *capture, const float *device_data, uint64_t numel, void *host_result,
                           void *stream_pointer)
{
    int rc = state_create(capture);
    if (rc < 0) return rc;
    device_summary_state *state = capture->device_summary;
    cudaStream_t stream = (cudaStream_t)stream_pointer;
    pthread_mutex_lock(&state->lock);
    rc = ensure_workspace(capture, state, numel);
    cudaError_t error = cudaSuccess;
    if (rc == GTAP_OK && state->last_stream != stream) error = cudaStreamWaitEvent(stream, state->last_done, 0);
    if (rc == GTAP_OK && error == cudaSuccess)
        rc = gtap_cuda_summary(device_data, numel, capture->densities, (int)capture->density_count, state->result,
                               state->workspace, state->workspace_bytes, stream);
    if (rc == GTAP_OK && error == cudaSuccess)
        error = cudaMemcpyAsync(host_result, state->result, sizeof *state->result, cudaMemcpyDeviceToHost, stream);
    if (rc == GTAP_OK && error == cudaSuccess) error = cudaEventRecord(state->last_done, stream);
    if (rc == GTAP_OK && error == cudaSuccess) state->last_stream = stream;
    if (rc == GTAP_OK && error != cudaSuccess) rc = cuda_failed(error, "enqueue");
    pthread_mutex_unlock(&state->lock);
    return rc;
}

void device_summary_free(gtap_capture *capture)
{
    device_summary_state *state = capture->device_summary;
    if (state == NULL) return;
    if (state->used) {
        cudaEventSynchronize(state->last_done);
        cudaEventDestroy(state->last_done);
        cudaFree(state->result);
        cudaFree(state->workspace);
        cudaGetLastError();
    }
    pthread_mutex_destroy(&state->lock);
    free(state);
    capture->device_summary = NULL;
}

/* The histogram of gradtap/summary.h from the device's 256 exponent bins:
 * both bin by the float's exponent field, so the mapping is exact: each
 * device bin goes where gtap_summary_hist_bin() puts 2^(field - 127). Device
 * bin 0 holds zeros and subnormals (the summary's bin 0 holds subnormals,
 * not zeros); bin 255 holds Inf and NaN (not in the summary). */
static void map_histogram(const gtap_cuda_stats *stats, uint64_t *hist)
{
    memset(hist, 0, GTAP_SUMMARY_HIST_BINS * sizeof *hist);
    hist[0] = stats->log2_hist[0] - stats->n_zero;
    for (uint32_t field = 1; field < 255; field++) {
        uint32_t bits = field << 23;
        float power_of_two;
        memcpy(&power_of_two, &bits, sizeof power_of_two);
        hist[gtap_summary_hist_bin(power_of_two)] += stats->log2_hist[field];
    }
}

int device_summary_convert(const void *host_result, const double *densities, size_t density_count,
                           gtap_summary *summary)
{
    const gtap_cuda_stats *stats = host_result;
    if (stats->n_densities != density_count)
        return gtap_set_error(GTAP_EINTERNAL, "capture device summary: %u densities, expected %zu",
                              stats->n_densities, density_count);
    memset(summary, 0, sizeof *summary);
    summary->step = -1;
    summary->moments[GTAP_SUMMARY_MEAN] = stats->mean;
    summary->moments[GTAP_SUMMARY_VARIANCE] = stats->variance;
    summary->moments[GTAP_SUMMARY_SKEWNESS] = stats->skewness;
    summary->moments[GTAP_SUMMARY_EXCESS_KURTOSIS] = stats->kurtosis - 3.0; /* NaN stays NaN */
    summary->moments[GTAP_SUMMARY_MIN] = stats->min;
    summary->moments[GTAP_SUMMARY_MAX] = stats->max;
    summary->moments[GTAP_SUMMARY_NORM2] = stats->sum_sq;
    summary->moments[GTAP_SUMMARY_ABS_SUM] = stats->l1;
    summary->counts[GTAP_SUMMARY_COUNT] = stats->d;
    summary->counts[GTAP_SUMMARY_FINITE] = stats->n_finite;
    summary->counts[GTAP_SUMMARY_ZEROS] = stats->n_zero;
    summary->counts[GTAP_SUMMARY_NAN] = stats->n_nan;
    summary->counts[GTAP_SUMMARY_POSINF] = stats->n_posinf;
    summary->counts[GTAP_SUMMARY_NEGINF] = stats->n_inf - stats->n_posinf;
    map_histogram(stats, summary->hist);
    summary->density_count = density_count;
    /* The device ranks NaN and Inf above every finite value, so with any of
     * them its top-k set is not the finite-value top-k that r_k of the host
     * summary (and docs/THEORY.md s.1) refers to: no ratio then. */
    int all_finite = stats->n_finite == stats->d;
    for (size_t i = 0; i < density_count; i++) {
        summary->densities[i] = densities[i];
        summary->k[i] = stats->k[i];
        summary->ratios[i] = all_finite && stats->sum_sq > 0.0 ? stats->tail_energy[i] / stats->sum_sq : NAN;
    }
    return GTAP_OK;
}

#else /* no CUDA: every summary takes the host path */

uint64_t device_summary_bytes(void)
{
    return 0;
}

int device_summary_supported(const gtap_capture *capture, const capture_tensor *tensor, const void *device_data)
{
    (void)capture;
    (void)tensor;
    (void)device_data;
    return 0;
}

int device_summary_enqueue(gtap_capture *capture, const float *device_data, uint64_t numel, void *host_result,
                           void *stream)
{
    (void)capture;
    (void)device_data;
    (void)numel;
    (void)host_result;
    (void)stream;
    return gtap_set_error(GTAP_EUNSUPPORTED, "capture: gradtap was built without CUDA");
}

void device_summary_free(gtap_capture *capture)
{
    (void)capture;
}

int device_summary_convert(const void *host_result, const double *densities, size_t density_count,
                           gtap_summary *summary)
{
    (void)host_result;
    (void)densities;
    (void)density_count;
    (void)summary;
    return gtap_set_error(GTAP_EUNSUPPORTED, "capture: gradtap was built without CUDA");
}

#endif
