/* bench_bounds.c - speed of the exact tail-energy path of `gradtap bounds`
 * on one snapshot (default d = 2^26 float32, 8 densities), against, in the
 * same run: (a) the floor - reading the same snapshot and summing its
 * squares once - and (b) a sort-based reference - qsort of |u| then prefix
 * sums. (c) is bounds' path: reading the snapshot, then both passes of the
 * exact kernel (moments included) with 1 and 2 threads. Each result is
 * validated against the sort reference before timings are printed. Medians
 * of --reps runs (the sort: --sort-reps). See docs/PERFORMANCE.md.
 *
 *   bench_bounds [--log2d 26] [--reps 5] [--sort-reps 1] [--file PATH] */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gradtap/format.h"
#include "gradtap/stats.h"
#include "bench_common.h"

#define DENSITIES 8
static const double densities[DENSITIES] = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3};

static int compare_float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x < y) - (x > y);
}

static int read_snapshot(const char *path, float *u, uint64_t d)
{
    gtap_reader *reader = NULL;
    int rc = gtap_reader_open(path, &reader);
    if (rc == GTAP_OK) rc = gtap_reader_read(reader, 0, GTAP_KIND_GRAD, 0, u);
    gtap_reader_close(reader);
    (void)d;
    return rc;
}

static int write_snapshot(const char *path, uint64_t d, float *u)
{
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < d; i += 2) { /* Box-Muller, Student-t-ish tails by a scale mixture */
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double a = ((double)(s >> 11) + 0.5) / 9007199254740992.0;
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        double b = ((double)(s >> 11) + 0.5) / 9007199254740992.0;
        double r = sqrt(-2.0 * log(a)), scale = 1e-3 * (1.0 + 3.0 * (double)((s >> 7) % 8 == 0));
        u[i] = (float)(scale * r * cos(6.283185307179586 * b));
        if (i + 1 < d) u[i + 1] = (float)(scale * r * sin(6.283185307179586 * b));
    }
    gtap_writer_options o;
    gtap_writer_options_init(&o);
    o.truncate = 1;
    o.producer = "bench_bounds";
    gtap_writer *w = NULL;
    int rc = gtap_writer_create(path, &o, &w);
    if (rc == GTAP_OK) rc = gtap_writer_add_tensor(w, "model", d, GTAP_FLOAT32);
    if (rc == GTAP_OK) rc = gtap_writer_write(w, "model", GTAP_KIND_GRAD, 0, u);
    int closed = gtap_writer_close(w);
    return rc < 0 ? rc : closed;
}

int main(int argc, char **argv)
{
    int log2d = 26, reps = 5, sort_reps = 1;
    const char *file = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--log2d") == 0) log2d = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--reps") == 0) reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--sort-reps") == 0) sort_reps = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--file") == 0) file = argv[i + 1];
    }
    if (log2d < 10 || log2d > 31 || reps < 1 || reps > 100 || sort_reps < 1 || sort_reps > 100) {
        fprintf(stderr, "usage: bench_bounds [--log2d 10..31] [--reps N] [--sort-reps N] [--file PATH]\n");
        return 2;
    }
    char default_file[256];
    if (file == NULL) {
        snprintf(default_file, sizeof default_file, "/tmp/bench_bounds_%d.h5", log2d);
        file = default_file;
    }
    uint64_t d = (uint64_t)1 << log2d, ks[DENSITIES];
    for (int j = 0; j < DENSITIES; j++) ks[j] = gtap_k_for_density(densities[j], d);
    float *u = malloc((size_t)d * sizeof *u);
    double *times = malloc((size_t)(reps > sort_reps ? reps : sort_reps) * sizeof *times);
    if (u == NULL || times == NULL || write_snapshot(file, d, u) < 0) {
        fprintf(stderr, "bench_bounds: setup failed: %s\n", gtap_last_error());
        return 3;
    }
    printf("bench_bounds: d = 2^%d = %llu float32 (%.0f MiB), %d densities, snapshot %s, %d reps, OpenMP max threads %d\n",
           log2d, (unsigned long long)d, (double)d * 4 / 1048576.0, DENSITIES, file, reps, omp_get_max_threads());

    /* (a) floor: read + sum of squares */
    volatile double sink = 0;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        if (read_snapshot(file, u, d) < 0) return 3;
        double s = 0;
        for (uint64_t i = 0; i < d; i++) s += (double)u[i] * (double)u[i];
        sink += s;
        times[r] = bench_now() - t0;
    }
    double floor_time = bench_median(times, reps);

    /* (b) sort reference: read + qsort |u| + prefix sums */
    double ref_tail[DENSITIES], norm2 = 0;
    for (int r = 0; r < sort_reps; r++) {
        double t0 = bench_now();
        if (read_snapshot(file, u, d) < 0) return 3;
        for (uint64_t i = 0; i < d; i++) u[i] = fabsf(u[i]);
        qsort(u, (size_t)d, sizeof *u, compare_float_desc);
        double head = 0;
        uint64_t at = 0;
        for (int j = 0; j < DENSITIES; j++) {
            for (; at < ks[j]; at++) head += (double)u[at] * (double)u[at];
            ref_tail[j] = head;
        }
        norm2 = head;
        for (; at < d; at++) norm2 += (double)u[at] * (double)u[at];
        for (int j = 0; j < DENSITIES; j++) ref_tail[j] = norm2 - ref_tail[j];
        times[r] = bench_now() - t0;
    }
    double sort_time = bench_median(times, sort_reps);

    /* (c) bounds' path: read + exact kernel, 1 and 2 threads */
    double path_time[2], kernel_time[2];
    gtap_tail_result results[DENSITIES];
    for (int th = 1; th <= 2; th++) {
        double *kernel = malloc((size_t)reps * sizeof *kernel);
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now();
            if (read_snapshot(file, u, d) < 0) return 3;
            double t1 = bench_now();
            gtap_moments m;
            if (gtap_tail_energy_threads(u, d, ks, DENSITIES, results, &m, th) < 0) {
                fprintf(stderr, "bench_bounds: %s\n", gtap_last_error());
                return 3;
            }
            times[r] = bench_now() - t0;
            kernel[r] = bench_now() - t1;
        }
        path_time[th - 1] = bench_median(times, reps);
        kernel_time[th - 1] = bench_median(kernel, reps);
        free(kernel);
        for (int j = 0; j < DENSITIES; j++) {
            double rel = fabs(results[j].tail2 - ref_tail[j]) / (ref_tail[j] > 0 ? ref_tail[j] : 1.0);
            if (rel > 1e-9) {
                fprintf(stderr, "bench_bounds: VALIDATION FAILED k=%llu: %.17g vs sort %.17g\n",
                        (unsigned long long)ks[j], results[j].tail2, ref_tail[j]);
                return 1;
            }
        }
    }
    double bytes = (double)d * 4.0;
    printf("validated: T_k of all %d densities equal the sort reference (rel. diff <= 1e-9)\n", DENSITIES);
    printf("%-42s %10s %10s %12s\n", "path", "median s", "GB/s", "vs floor");
    printf("%-42s %10.4f %10.2f %12.2f\n", "(a) floor: read + sum of squares", floor_time, bytes / floor_time / 1e9, 1.0);
    printf("%-42s %10.4f %10.2f %12.2f\n", "(b) sort reference: read + qsort + prefix", sort_time, bytes / sort_time / 1e9,
           sort_time / floor_time);
    for (int th = 1; th <= 2; th++) {
        char name[64];
        snprintf(name, sizeof name, "(c) bounds path, %d thread%s", th, th > 1 ? "s" : "");
        printf("%-42s %10.4f %10.2f %12.2f\n", name, path_time[th - 1], bytes / path_time[th - 1] / 1e9,
               path_time[th - 1] / floor_time);
    }
    printf("kernel only (both passes, moments): 1 thread %.4f s, 2 threads %.4f s (speed-up %.2fx)\n", kernel_time[0],
           kernel_time[1], kernel_time[0] / kernel_time[1]);
    printf("bounds path vs sort reference: %.1fx faster (1 thread), %.1fx (2 threads)\n", sort_time / path_time[0],
           sort_time / path_time[1]);
    free(u);
    free(times);
    remove(file);
    return sink == 12345.0 ? 1 : 0;
}
