/* test_capture_device.c - capture's summaries of device data, computed on
 * the device (capture/src/capture/device_summary.c).
 *
 *   test_capture_device convert   CPU only (runs in CI): the kernel's C
 *       reference (gtap_ref_summary) turned into a gtap_summary by capture's
 *       conversion equals gtap_summary_compute on the same vector: counts
 *       and the log2|u| histogram exactly, moments and r_k to rounding;
 *       r_k is NaN when the vector holds NaN/Inf (documented in CAPTURE.md).
 *   test_capture_device gpu       needs a GPU (exits 77 without one): a
 *       capture records device vectors on two streams, snapshots every 2
 *       steps and summaries every step; the file's snapshots equal the
 *       vectors bit for bit and its summaries equal the host summaries. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_runtime_api.h>

#include "check.h"
#include "gradtap/capture.h"
#include "gradtap/cuda.h"
#include "gradtap/summary.h"
#include "ref/ref.h"

/* capture's private conversion (device_summary.c), exported by the library */
int device_summary_convert(const void *host_result, const double *densities, size_t density_count,
                           gtap_summary *summary);

static const double densities[] = {0.001, 0.01, 0.1};
enum { DENSITY_COUNT = 3 };

static void compare(const gtap_summary *got, const gtap_summary *want, const char *what)
{
    CHECK(memcmp(got->counts, want->counts, sizeof got->counts) == 0, "%s: counts", what);
    for (int b = 0; b < GTAP_SUMMARY_HIST_BINS; b++)
        CHECK(got->hist[b] == want->hist[b], "%s: hist[%d] %llu vs %llu", what, b, (unsigned long long)got->hist[b],
              (unsigned long long)want->hist[b]);
    static const double tolerance[GTAP_SUMMARY_MOMENT_COLUMNS] = {1e-9, 1e-9, 1e-7, 1e-7, 0, 0, 1e-12, 1e-12};
    for (int m = 0; m < GTAP_SUMMARY_MOMENT_COLUMNS; m++) {
        double scale = m == GTAP_SUMMARY_MEAN ? sqrt(fabs(want->moments[GTAP_SUMMARY_VARIANCE])) : 0.0;
        CHECK(check_near(got->moments[m], want->moments[m], tolerance[m] * scale, tolerance[m]),
              "%s: moment %d: %.17g vs %.17g", what, m, got->moments[m], want->moments[m]);
    }
    CHECK(got->density_count == want->density_count, "%s: density count", what);
    int finite = want->counts[GTAP_SUMMARY_FINITE] == want->counts[GTAP_SUMMARY_COUNT];
    for (size_t j = 0; j < want->density_count; j++) {
        CHECK(got->k[j] == want->k[j], "%s: k[%zu]", what, j);
        if (finite)
            CHECK(check_near(got->ratios[j], want->ratios[j], 1e-12, 1e-10), "%s: r_k[%zu] %.17g vs %.17g", what, j,
                  got->ratios[j], want->ratios[j]);
        else
            CHECK(isnan(got->ratios[j]), "%s: r_k[%zu] should be NaN with non-finite values", what, j);
    }
}

static int test_convert(void)
{
    uint64_t state = check_seed(4242);
    const uint64_t sizes[] = {1, 7, 1001, 65537};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        uint64_t d = sizes[si];
        float *u = malloc(d * sizeof *u);
        for (int dist = 0; dist < DIST_COUNT; dist++) {
            check_fill(u, d, (check_dist)dist, &state);
            if (dist == DIST_UNIFORM && d > 3) { /* the histogram's edges: tiny, subnormal, huge */
                u[0] = 1e-30f;
                u[1] = 1e-40f;
                u[2] = 3e38f;
                u[3] = -0.0f;
            }
            gtap_cuda_stats stats;
            gtap_summary got, want;
            char what[64];
            snprintf(what, sizeof what, "d=%llu %s", (unsigned long long)d, check_dist_names[dist]);
            CHECK(gtap_ref_summary(u, d, densities, DENSITY_COUNT, &stats) == GTAP_OK, "%s: ref", what);
            CHECK(device_summary_convert(&stats, densities, DENSITY_COUNT, &got) == GTAP_OK, "%s: convert", what);
            CHECK(gtap_summary_compute(GTAP_FLOAT32, u, d, densities, DENSITY_COUNT, NULL, &want) == GTAP_OK,
                  "%s: host summary", what);
            compare(&got, &want, what);
        }
        free(u);
    }
    return check_failures ? 1 : 0;
}

enum { STEPS = 6, TENSORS = 2 };

static int test_gpu(const char *path)
{
    if (!gtap_cuda_device_available()) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    uint64_t state = check_seed(99);
    const uint64_t numel[TENSORS] = {1000003, 4096};
    float *host[TENSORS][STEPS];
    float *device[TENSORS];
    cudaStream_t streams[TENSORS];
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.truncate = 1;
    options.every = 2;
    options.summary_every = 1;
    options.densities = densities;
    options.density_count = DENSITY_COUNT;
    gtap_capture *capture = NULL;
    int ids[TENSORS];
    CHECK(gtap_capture_open(path, &options, &capture) == GTAP_OK, "open: %s", gtap_last_error());
    if (capture == NULL) return 1;
    for (int t = 0; t < TENSORS; t++) {
        char name[16];
        snprintf(name, sizeof name, "t%d", t);
        CHECK(gtap_capture_register(capture, name, numel[t], GTAP_FLOAT32, &ids[t]) == GTAP_OK, "register");
        CU(cudaMalloc((void **)&device[t], numel[t] * sizeof(float)));
        CU(cudaStreamCreate(&streams[t]));
    }
    for (int step = 0; step < STEPS; step++) {
        for (int t = 0; t < TENSORS; t++) {
            host[t][step] = malloc(numel[t] * sizeof(float));
            check_fill(host[t][step], numel[t], step == 3 ? DIST_NAN : DIST_NORMAL, &state);
            CU(cudaMemcpyAsync(device[t], host[t][step], numel[t] * sizeof(float), cudaMemcpyHostToDevice, streams[t]));
            CHECK(gtap_capture_record_device(capture, ids[t], GTAP_KIND_GRAD, step, device[t], streams[t], NULL) ==
                      GTAP_OK, "record: %s", gtap_last_error());
            CU(cudaStreamSynchronize(streams[t])); /* the next step overwrites the device vector */
        }
    }
    gtap_capture_stats stats;
    CHECK(gtap_capture_close(capture, &stats) == GTAP_OK, "close: %s", gtap_last_error());
    CHECK(stats.summaries_written == STEPS * TENSORS, "%llu summaries", (unsigned long long)stats.summaries_written);

    gtap_reader *reader = NULL;
    CHECK(gtap_reader_open(path, &reader) == GTAP_OK, "reopen: %s", gtap_last_error());
    if (reader == NULL) return 1;
    for (int t = 0; t < TENSORS; t++) {
        char name[16];
        size_t index = 0;
        snprintf(name, sizeof name, "t%d", t);
        CHECK(gtap_reader_find_tensor(reader, name, &index) == GTAP_OK, "find %s", name);
        float *back = malloc(numel[t] * sizeof(float));
        for (int step = 0; step < STEPS; step++) {
            char what[64];
            snprintf(what, sizeof what, "%s step %d", name, step);
            if (step % 2 == 0) {
                CHECK(gtap_reader_read(reader, index, GTAP_KIND_GRAD, step, back) == GTAP_OK, "%s: read", what);
                CHECK(memcmp(back, host[t][step], numel[t] * sizeof(float)) == 0, "%s: snapshot bits", what);
            }
            gtap_summary got, want;
            CHECK(gtap_summary_read(reader, index, GTAP_KIND_GRAD, (size_t)step, &got) == GTAP_OK, "%s: summary", what);
            CHECK(got.step == step, "%s: summary step %lld", what, (long long)got.step);
            gtap_summary_compute(GTAP_FLOAT32, host[t][step], numel[t], densities, DENSITY_COUNT, NULL, &want);
            compare(&got, &want, what);
            free(host[t][step]);
        }
        free(back);
        cudaFree(device[t]);
        cudaStreamDestroy(streams[t]);
    }
    gtap_reader_close(reader);
    return check_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "convert") == 0) return test_convert();
    if (argc >= 3 && strcmp(argv[1], "gpu") == 0) return test_gpu(argv[2]);
    fprintf(stderr, "usage: test_capture_device convert | gpu FILE\n");
    return 2;
}
