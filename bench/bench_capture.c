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
 *    the same directory (crash safety on: SWMR, commit logs). Median of the
 *    repeats, and the ratio.
 * 3. Summaries every step: T tensors (default 100) of n float32 (default
 *    1024), declared and flushed first, then recorded back to back for S
 *    steps, until close: the steps per
 *    second the writer keeps up with and its CPU time per summary (process
 *    CPU minus the training thread's). Baseline in the same run: the
 *    summary computation capture used before (gtap_tail_energy and the
 *    log2 histogram per tensor), as the steps per second it alone allows.
 * 4. The training thread's cost per record of small tensors (1, 4, 16 and
 *    64 KiB, summary every step, the writer keeping up): median and 99th
 *    percentile of gtap_capture_record, against a memcpy of the same bytes.
 *
 *   bench_capture [--numel N] [--steps S] [--compute-ms MS] [--repeats R] [--dir DIR]
 *                 [--summary-tensors T] [--summary-numel n] [--summary-steps S] [--skip-loop]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "gradtap/capture.h"
#include "gradtap/summary.h"
#include "gradtap/tail.h"
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

/* The options every capture here starts from: one rank, a new file,
 * crash safety on (SWMR and commit logs: the guarantee of docs/CAPTURE.md). */
static gtap_capture_options bench_options(void)
{
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.rank = 0;
    options.world_size = 1;
    options.truncate = 1;
    options.crash_safe = 1;
    return options;
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
        gtap_capture_options options = bench_options();
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

/* CPU seconds used so far by the whole process, and by the calling thread. */
static double process_cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           1e-6 * (double)(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

static double thread_cpu_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static gtap_capture *open_summary_capture(const char *path, int tensors, uint64_t numel, int *ids)
{
    gtap_capture_options options = bench_options();
    options.summary_every = 1;
    gtap_capture *capture = NULL;
    if (gtap_capture_open(path, &options, &capture) < 0) return NULL;
    for (int t = 0; t < tensors; t++) {
        char name[64];
        snprintf(name, sizeof name, "layer%03d.weight", t);
        if (gtap_capture_register(capture, name, numel, GTAP_FLOAT32, &ids[t]) < 0) {
            gtap_capture_close(capture, NULL);
            return NULL;
        }
    }
    return capture;
}

/* Section 3: `steps` steps of `tensors` summaries handed over back to back
 * (tensor t's data at data + t * numel), until close. */
static int summary_writer_run(const char *path, const float *data, uint64_t numel, int tensors, int steps,
                              double *steps_per_second, double *cpu_per_summary)
{
    int *ids = malloc((size_t)tensors * sizeof *ids);
    gtap_capture *capture = open_summary_capture(path, tensors, numel, ids);
    if (capture == NULL || gtap_capture_flush(capture) < 0) { /* the tensors' datasets exist: steady state */
        gtap_capture_close(capture, NULL);
        free(ids);
        return -1;
    }
    double start = bench_now(), process_start = process_cpu_seconds(), thread_start = thread_cpu_seconds();
    int rc = 0;
    for (int step = 0; step < steps && rc == 0; step++)
        for (int t = 0; t < tensors && rc == 0; t++)
            rc = gtap_capture_record(capture, ids[t], GTAP_KIND_GRAD, step, data + (uint64_t)t * numel);
    if (gtap_capture_close(capture, NULL) < 0) rc = -1;
    double seconds = bench_now() - start;
    double writer_cpu = (process_cpu_seconds() - process_start) - (thread_cpu_seconds() - thread_start);
    *steps_per_second = steps / seconds;
    *cpu_per_summary = writer_cpu / ((double)steps * tensors);
    free(ids);
    return rc < 0 ? -1 : 0;
}

/* The baseline of section 3: what a summary cost before the sorting path,
 * gtap_tail_energy() (its 2^16-bucket histogram) and the log2 histogram,
 * as steps per second for `tensors` tensors. */
static double old_summary_steps_per_second(const float *data, uint64_t numel, int tensors, int steps)
{
    const uint64_t ks[3] = {numel / 1000 ? numel / 1000 : 1, numel / 100 ? numel / 100 : 1, numel / 10 ? numel / 10 : 1};
    double start = bench_now();
    for (int step = 0; step < steps; step++)
        for (int t = 0; t < tensors; t++) {
            const float *u = data + (uint64_t)t * numel;
            gtap_tail_result results[3];
            gtap_moments moments;
            uint64_t hist[GTAP_SUMMARY_HIST_BINS] = {0};
            if (gtap_tail_energy(u, numel, ks, 3, results, &moments) < 0) return -1;
            for (uint64_t i = 0; i < numel; i++) {
                int bin = gtap_summary_hist_bin(u[i]);
                if (bin >= 0) hist[bin]++;
            }
            compute_sink = (float)(results[0].tail2 + (double)hist[GTAP_SUMMARY_HIST_BINS / 2]);
        }
    return steps / (bench_now() - start);
}

/* Section 4: per-record times (seconds, `steps` * `tensors` samples into
 * `times`) of `tensors` tensors of `numel` float32 with a summary every
 * step, 1 ms between steps so that the writer keeps up. */
static int record_times(const char *path, const float *data, uint64_t numel, int tensors, int steps, double *times)
{
    int *ids = malloc((size_t)tensors * sizeof *ids);
    gtap_capture *capture = open_summary_capture(path, tensors, numel, ids);
    int rc = capture == NULL ? -1 : 0;
    for (int step = 0; step < steps && rc == 0; step++) {
        for (int t = 0; t < tensors && rc == 0; t++) {
            double start = bench_now();
            rc = gtap_capture_record(capture, ids[t], GTAP_KIND_GRAD, step, data + (uint64_t)t * numel);
            times[(size_t)step * tensors + t] = bench_now() - start;
        }
        struct timespec pause = {0, 1000000};
        nanosleep(&pause, NULL);
    }
    if (capture != NULL && gtap_capture_close(capture, NULL) < 0) rc = -1;
    free(ids);
    return rc;
}

/* The floor of section 4: one memcpy of `bytes`, median seconds. */
static double memcpy_seconds(const float *data, size_t bytes, int samples)
{
    char *target = malloc(bytes);
    double *times = malloc((size_t)samples * sizeof *times);
    for (int i = 0; i < samples; i++) {
        double start = bench_now();
        memcpy(target, data, bytes);
        times[i] = bench_now() - start;
        compute_sink = (float)target[i % bytes];
    }
    double median = bench_median(times, (size_t)samples);
    free(times);
    free(target);
    return median;
}

/* Sections 3 and 4 (docs/PERFORMANCE.md, "Capture": summaries). */
static int summary_benchmarks(const char *path, int tensors, uint64_t numel, int steps, int repeats)
{
    uint64_t total = (uint64_t)tensors * numel;
    uint64_t small_total = 10 * 16384; /* section 4: 10 tensors of up to 64 KiB */
    float *data = malloc((total > small_total ? total : small_total) * sizeof *data);
    if (data == NULL) return -1;
    uint64_t state = 99991;
    for (uint64_t i = 0; i < (total > small_total ? total : small_total); i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        data[i] = (float)((int32_t)(state >> 32)) * 1e-12f * (float)(1 + (i % 977));
    }
    double rate[99], cpu[99], old_rate[99];
    for (int r = 0; r < repeats; r++) {
        if (summary_writer_run(path, data, numel, tensors, steps, &rate[r], &cpu[r]) < 0) return -1;
        old_rate[r] = old_summary_steps_per_second(data, numel, tensors, steps / 10 ? steps / 10 : 1);
    }
    double median_rate = bench_median(rate, (size_t)repeats), median_old = bench_median(old_rate, (size_t)repeats);
    printf("\nsummaries every step: %d tensors x %llu float32, %d steps back to back, until close:\n", tensors,
           (unsigned long long)numel, steps);
    printf("  writer keeps up with   %8.1f steps/s  (%.1f us CPU per summary on the writer thread)\n", median_rate,
           1e6 * bench_median(cpu, (size_t)repeats));
    printf("  old computation alone  %8.1f steps/s  (gtap_tail_energy + histogram; ratio %.1fx)\n", median_old,
           median_rate / median_old);

    const int record_tensors = 10, record_steps = 200;
    double *times = malloc((size_t)record_tensors * record_steps * sizeof *times);
    printf("\ntraining thread per record (summary every step, %d tensors, %d steps, writer keeping up):\n",
           record_tensors, record_steps);
    printf("  %8s %14s %14s %14s\n", "bytes", "median_us", "p99_us", "memcpy_us");
    for (uint64_t bytes = 1024; bytes <= 65536; bytes *= 4) {
        if (record_times(path, data, bytes / 4, record_tensors, record_steps, times) < 0) return -1;
        size_t samples = (size_t)record_tensors * record_steps;
        double median = bench_median(times, samples); /* sorts */
        printf("  %8llu %14.2f %14.2f %14.3f\n", (unsigned long long)bytes, 1e6 * median, 1e6 * times[samples * 99 / 100],
               1e6 * memcpy_seconds(data, bytes, 1000));
    }
    free(times);
    free(data);
    return 0;
}

/* Seconds to write `count` snapshots of `numel` floats through capture, close, fsync. */
static double capture_write_seconds(const char *path, const float *data, uint64_t numel, int count)
{
    gtap_capture_options options = bench_options();
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

/* Section 1: the simulated training loop, every configuration. */
static int simulated_loop(const char *path, float *gradient, uint64_t numel, int steps, double compute_ms, int repeats)
{
    uint64_t iterations = calibrate(compute_ms);
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
                return -1;
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

    return 0;
}

int main(int argc, char **argv)
{
    uint64_t numel = (uint64_t)1 << 24;
    int steps = 21, repeats = 3;
    double compute_ms = 1000.0;
    const char *directory = ".";
    int summary_tensors = 100, summary_steps = 200, skip_loop = 0;
    uint64_t summary_numel = 1024;
    static const struct option long_options[] = {
        {"numel", required_argument, NULL, 'n'},   {"steps", required_argument, NULL, 's'},
        {"compute-ms", required_argument, NULL, 'c'}, {"repeats", required_argument, NULL, 'r'},
        {"dir", required_argument, NULL, 'd'},     {"summary-tensors", required_argument, NULL, 'T'},
        {"summary-numel", required_argument, NULL, 'N'}, {"summary-steps", required_argument, NULL, 'S'},
        {"skip-loop", no_argument, NULL, 'k'},     {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int option;
    while ((option = getopt_long(argc, argv, "n:s:c:r:d:T:N:S:kh", long_options, NULL)) != -1) {
        switch (option) {
        case 'n': numel = strtoull(optarg, NULL, 10); break;
        case 's': steps = atoi(optarg); break;
        case 'c': compute_ms = atof(optarg); break;
        case 'r': repeats = atoi(optarg); break;
        case 'd': directory = optarg; break;
        case 'T': summary_tensors = atoi(optarg); break;
        case 'N': summary_numel = strtoull(optarg, NULL, 10); break;
        case 'S': summary_steps = atoi(optarg); break;
        case 'k': skip_loop = 1; break;
        default:
            printf("usage: bench_capture [--numel N] [--steps S] [--compute-ms MS] [--repeats R] [--dir DIR]\n"
                   "                     [--summary-tensors T] [--summary-numel n] [--summary-steps S] [--skip-loop]\n");
            return option == 'h' ? 0 : 2;
        }
    }
    if (numel == 0 || steps < 3 || repeats < 1 || repeats > 99 || compute_ms <= 0 || summary_tensors < 1 ||
        summary_numel == 0 || summary_steps < 1) {
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
    printf("bench_capture: d = %llu float32 (%.1f MiB), %d steps of %.0f ms compute, %d repeats\n",
           (unsigned long long)numel, numel * 4.0 / (1 << 20), steps, compute_ms, repeats);
    if (!skip_loop && simulated_loop(path, gradient, numel, steps, compute_ms, repeats) < 0) return 3;

    const int snapshots = 8;
    double capture_times[99], plain_times[99], ratios[99];
    for (int r = 0; r < repeats; r++) {
        plain_times[r] = bench_plain_write_seconds(plain_path, gradient, numel, snapshots);
        capture_times[r] = capture_write_seconds(path, gradient, numel, snapshots);
        if (plain_times[r] < 0 || capture_times[r] < 0) {
            fprintf(stderr, "bench_capture: write failed: %s %s\n", strerror(errno), gtap_last_error());
            return 3;
        }
        ratios[r] = plain_times[r] / capture_times[r]; /* paired: the same repeat's plain write */
    }
    double bytes = (double)snapshots * (double)numel * 4.0;
    double plain = bytes / bench_median(plain_times, (size_t)repeats), written = bytes / bench_median(capture_times, (size_t)repeats);
    printf("\nwriter throughput (%d snapshots, %.0f MiB, until close + fsync):\n", snapshots, bytes / (1 << 20));
    printf("  plain write()+fsync  %8.1f MiB/s\n  capture              %8.1f MiB/s  (%.1f%% of plain; median of "
           "paired ratios %.1f%%)\n", plain / (1 << 20), written / (1 << 20), 100.0 * written / plain,
           100.0 * bench_median(ratios, (size_t)repeats));
    if (summary_benchmarks(path, summary_tensors, summary_numel, summary_steps, repeats) < 0) {
        fprintf(stderr, "bench_capture: summaries: %s\n", gtap_last_error());
        return 3;
    }
    unlink(path);
    unlink(plain_path);
    free(gradient);
    return 0;
}
