/* bench_capture.c - what capture costs a training loop (docs/PERFORMANCE.md,
 * "Capture").
 *
 * 1. Step-time overhead: a simulated training step (a fixed amount of
 *    floating-point work on one thread, then "the gradient": d float32
 *    values, default d = 2^24) with no capture, with a full snapshot every
 *    step, every 10 steps, and a summary every step. Median step times and
 *    the overhead against no capture.
 * 2. Writer throughput: snapshots recorded back to back, until close and
 *    fsync, against a plain sequential write() + fsync of the same bytes to
 *    the same directory. Median of the repeats, and the ratio.
 *
 *   bench_capture [--numel N] [--steps S] [--compute-ms MS] [--repeats R] [--dir DIR]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gradtap/capture.h"
#include "bench_common.h"

/* The fixed compute of a step: `iterations` rounds of a dependent
 * multiply-add chain over a small (cache-resident) array. */
static volatile float compute_sink;
static void compute(uint64_t iterations)
{
    float lanes[64];
    for (int i = 0; i < 64; i++) lanes[i] = 1.0f + (float)i * 1e-3f;
    for (uint64_t r = 0; r < iterations; r++)
        for (int i = 0; i < 64; i++) lanes[i] = lanes[i] * 0.9999999f + 1e-7f;
    float sum = 0;
    for (int i = 0; i < 64; i++) sum += lanes[i];
    compute_sink = sum;
}

static uint64_t calibrate(double milliseconds)
{
    uint64_t iterations = 100000;
    for (;;) {
        double start = bench_now();
        compute(iterations);
        double elapsed = bench_now() - start;
        if (elapsed > 0.05) return (uint64_t)((double)iterations * milliseconds * 1e-3 / elapsed);
        iterations *= 2;
    }
}

typedef struct bench_config {
    const char *name;
    uint64_t every;
    uint64_t summary_every;
    int capture;
} bench_config;

static int run_loop(const bench_config *config, const char *path, float *gradient, uint64_t numel, int steps,
                    uint64_t iterations, double *median_step, double *median_record, gtap_capture_stats *stats)
{
    gtap_capture *capture = NULL;
    int id = -1;
    if (config->capture) {
        gtap_capture_options options;
        gtap_capture_options_init(&options);
        options.rank = 0;
        options.world_size = 1;
        options.truncate = 1;
        options.every = config->every;
        options.summary_every = config->summary_every;
        if (gtap_capture_open(path, &options, &capture) < 0 ||
            gtap_capture_register(capture, "gradient", numel, GTAP_FLOAT32, &id) < 0) {
            fprintf(stderr, "bench_capture: %s\n", gtap_last_error());
            gtap_capture_close(capture, NULL);
            return -1;
        }
    }
    double *times = malloc((size_t)steps * sizeof *times);
    double *record_times = calloc((size_t)steps, sizeof *record_times);
    for (int step = 0; step < steps; step++) {
        double start = bench_now();
        compute(iterations);
        gradient[(uint64_t)step * 7919u % numel] += 1e-3f; /* "backward" changed the gradient */
        double record_start = bench_now();
        if (capture && gtap_capture_record(capture, id, GTAP_KIND_GRAD, step, gradient) < 0) {
            fprintf(stderr, "bench_capture: %s\n", gtap_last_error());
            break;
        }
        double end = bench_now();
        times[step] = end - start;
        record_times[step] = end - record_start; /* the training thread's own cost of capture */
    }
    *median_step = bench_median(times + 1, (size_t)steps - 1); /* step 0 includes first-touch of staging */
    *median_record = bench_median(record_times + 1, (size_t)steps - 1);
    free(times);
    free(record_times);
    memset(stats, 0, sizeof *stats);
    if (capture && gtap_capture_close(capture, stats) < 0) {
        fprintf(stderr, "bench_capture: %s\n", gtap_last_error());
        return -1;
    }
    return 0;
}

/* Seconds to write `count` snapshots of `numel` floats through capture, close, fsync. */
static double capture_write_seconds(const char *path, const float *data, uint64_t numel, int count)
{
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.rank = 0;
    options.world_size = 1;
    options.truncate = 1;
    options.every = 1;
    gtap_capture *capture = NULL;
    int id;
    double start = bench_now();
    if (gtap_capture_open(path, &options, &capture) < 0 ||
        gtap_capture_register(capture, "gradient", numel, GTAP_FLOAT32, &id) < 0)
        return -1;
    for (int step = 0; step < count; step++)
        if (gtap_capture_record(capture, id, GTAP_KIND_GRAD, step, data) < 0) return -1;
    if (gtap_capture_close(capture, NULL) < 0 || bench_fsync_path(path) < 0) return -1;
    return bench_now() - start;
}

int main(int argc, char **argv)
{
    uint64_t numel = (uint64_t)1 << 24;
    int steps = 21, repeats = 3;
    double compute_ms = 1000.0;
    const char *directory = ".";
    static const struct option long_options[] = {
        {"numel", required_argument, NULL, 'n'},   {"steps", required_argument, NULL, 's'},
        {"compute-ms", required_argument, NULL, 'c'}, {"repeats", required_argument, NULL, 'r'},
        {"dir", required_argument, NULL, 'd'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int option;
    while ((option = getopt_long(argc, argv, "n:s:c:r:d:h", long_options, NULL)) != -1) {
        switch (option) {
        case 'n': numel = strtoull(optarg, NULL, 10); break;
        case 's': steps = atoi(optarg); break;
        case 'c': compute_ms = atof(optarg); break;
        case 'r': repeats = atoi(optarg); break;
        case 'd': directory = optarg; break;
        default:
            printf("usage: bench_capture [--numel N] [--steps S] [--compute-ms MS] [--repeats R] [--dir DIR]\n");
            return option == 'h' ? 0 : 2;
        }
    }
    if (numel == 0 || steps < 3 || repeats < 1 || repeats > 99 || compute_ms <= 0) {
        fprintf(stderr, "bench_capture: bad arguments\n");
        return 2;
    }
    char path[4096], plain_path[4096];
    snprintf(path, sizeof path, "%s/bench_capture.h5", directory);
    snprintf(plain_path, sizeof plain_path, "%s/bench_capture.raw", directory);
    float *gradient = malloc(numel * sizeof *gradient);
    if (gradient == NULL) return 3;
    uint64_t state = 12345;
    for (uint64_t i = 0; i < numel; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        gradient[i] = (float)((int32_t)(state >> 32)) * 1e-10f;
    }
    uint64_t iterations = calibrate(compute_ms);
    printf("bench_capture: d = %llu float32 (%.1f MiB), %d steps of %.0f ms compute, %d repeats\n",
           (unsigned long long)numel, numel * 4.0 / (1 << 20), steps, compute_ms, repeats);

    const bench_config configs[] = {
        {"no capture", 0, 0, 0},
        {"snapshot every step", 1, 0, 1},
        {"snapshot every 10 steps", 10, 0, 1},
        {"summary every step", 0, 1, 1},
    };
    /* Configurations interleaved within each repeat (A B C D A B C D ...) so
     * that the machine's drift hits all alike; each repeat's overhead is
     * against the same repeat's no-capture run, and the medians are quoted. */
    enum { CONFIG_COUNT = sizeof configs / sizeof configs[0] };
    double step_ms[CONFIG_COUNT][99], record_ms[CONFIG_COUNT][99], overhead[CONFIG_COUNT][99];
    gtap_capture_stats last_stats[CONFIG_COUNT];
    for (int r = 0; r < repeats; r++) {
        for (size_t c = 0; c < CONFIG_COUNT; c++) {
            double step, record;
            if (run_loop(&configs[c], path, gradient, numel, steps, iterations, &step, &record, &last_stats[c]) < 0)
                return 3;
            step_ms[c][r] = step * 1e3;
            record_ms[c][r] = record * 1e3;
        }
        for (size_t c = 0; c < CONFIG_COUNT; c++) overhead[c][r] = 100.0 * (step_ms[c][r] - step_ms[0][r]) / step_ms[0][r];
    }
    printf("\n%-26s %12s %14s %16s %12s %10s\n", "configuration", "median_ms", "overhead(med)", "record_ms/step",
           "writer_s", "written");
    for (size_t c = 0; c < CONFIG_COUNT; c++) {
        gtap_capture_stats *stats = &last_stats[c];
        printf("%-26s %12.2f %13.2f%% %16.3f %12.3f %10llu\n", configs[c].name, bench_median(step_ms[c], (size_t)repeats),
               bench_median(overhead[c], (size_t)repeats), bench_median(record_ms[c], (size_t)repeats), stats->writer_busy_seconds,
               (unsigned long long)(stats->snapshots_written + stats->summaries_written));
    }

    const int snapshots = 8;
    double capture_times[99], plain_times[99];
    for (int r = 0; r < repeats; r++) {
        plain_times[r] = bench_plain_write_seconds(plain_path, gradient, numel, snapshots);
        capture_times[r] = capture_write_seconds(path, gradient, numel, snapshots);
        if (plain_times[r] < 0 || capture_times[r] < 0) {
            fprintf(stderr, "bench_capture: write failed: %s %s\n", strerror(errno), gtap_last_error());
            return 3;
        }
    }
    double bytes = (double)snapshots * (double)numel * 4.0;
    double plain = bytes / bench_median(plain_times, (size_t)repeats), written = bytes / bench_median(capture_times, (size_t)repeats);
    printf("\nwriter throughput (%d snapshots, %.0f MiB, until close + fsync):\n", snapshots, bytes / (1 << 20));
    printf("  plain write()+fsync  %8.1f MiB/s\n  capture              %8.1f MiB/s  (%.1f%% of plain)\n",
           plain / (1 << 20), written / (1 << 20), 100.0 * written / plain);
    unlink(path);
    unlink(plain_path);
    free(gradient);
    return 0;
}
