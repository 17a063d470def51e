/* demo_speed.c - a quick CPU timing of the selectors for the demo's speed
 * figure: time of one gtap_sparsify() call against d for each selector,
 * next to the time to read the vector once (a sum of squares: the floor of
 * docs/THEORY.md s.9 on this machine). Not a benchmark (bench/ has those): a
 * few repeats, medians, seconds of run time in all. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo.h"
#include "gradtap/random.h"
#include "gradtap/sparsify.h"
#include "output.h"

static const char *const selectors[] = {"topk", "gaussiank", "dgck", "trimmed", "randk"};
enum { SELECTOR_COUNT = sizeof selectors / sizeof selectors[0], MAX_REPEATS = 15 };
static const double densities[] = {0.001, 0.01};

static const gtap_column speed_columns[] = {
    {"selector", GTAP_CELL_STRING, 0}, {"d", GTAP_CELL_INT, 0},           {"density", GTAP_CELL_DOUBLE, 0},
    {"k", GTAP_CELL_INT, 0},           {"seconds", GTAP_CELL_DOUBLE, 0},  {"floor_seconds", GTAP_CELL_DOUBLE, 0},
    {"repeats", GTAP_CELL_INT, 0},
};

/* Laplace(0, 1) values by inversion: gradients look like this (fit figure). */
static void fill_laplace(float *u, uint64_t d, uint64_t seed)
{
    uint64_t state = seed;
    for (uint64_t i = 0; i < d; i++) {
        double p = ((double)(gtap_splitmix64_next(&state) >> 11) + 0.5) * 0x1.0p-53 - 0.5;
        u[i] = (float)(p < 0 ? log1p(2.0 * p) : -log1p(-2.0 * p));
    }
}

/* Median of up to MAX_REPEATS timings, stopping after 0.05 s (at least 3). */
static double median_of(double *times, int count)
{
    qsort(times, (size_t)count, sizeof *times, gtap_cli_compare_double);
    return count % 2 ? times[count / 2] : 0.5 * (times[count / 2 - 1] + times[count / 2]);
}

static double read_floor(const float *u, uint64_t d)
{
    double times[MAX_REPEATS];
    volatile double sink = 0.0;
    int n = 0;
    for (double spent = 0.0; n < MAX_REPEATS && (n < 3 || spent < 0.05); n++) {
        /* Eight independent sums: the loop is bound by reading u, not by
         * the latency of one chain of additions. d is a power of two >= 2^12. */
        double start = demo_now(), sum[8] = {0};
        for (uint64_t i = 0; i < d; i += 8)
            for (int j = 0; j < 8; j++) sum[j] += (double)u[i + (uint64_t)j] * (double)u[i + (uint64_t)j];
        for (int j = 0; j < 8; j++) sink += sum[j];
        times[n] = demo_now() - start;
        spent += times[n];
    }
    (void)sink;
    return median_of(times, n);
}

static int time_selector(const char *name, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                         float *values, double *seconds, int *repeats)
{
    gtap_sparsify_options options;
    gtap_sparsifier_kind kind;
    gtap_sparsifier *sparsifier = NULL;
    int rc = gtap_sparsifier_kind_parse(name, &kind);
    if (rc < 0) return rc;
    gtap_sparsify_options_init(&options, kind);
    if ((rc = gtap_sparsifier_create(&options, d, &sparsifier)) < 0) return rc;
    uint64_t capacity = 0;
    if ((rc = gtap_sparsifier_capacity(sparsifier, d, k, &capacity)) < 0) goto done;
    double times[MAX_REPEATS];
    int n = 0;
    for (double spent = 0.0; n < MAX_REPEATS && (n < 3 || spent < 0.05); n++) {
        gtap_sparsify_result result;
        double start = demo_now();
        rc = gtap_sparsify(sparsifier, u, d, k, (uint64_t)n, indices, values, capacity, &result);
        times[n] = demo_now() - start;
        if (rc < 0) goto done;
        spent += times[n];
    }
    *seconds = median_of(times, n);
    *repeats = n;
done:
    gtap_sparsifier_free(sparsifier);
    return rc;
}

int demo_speed_write(const char *path, int max_log2_d, uint64_t seed)
{
    if (max_log2_d < 12 || max_log2_d > 30) return gtap_set_error(GTAP_EINVAL, "speed: d up to 2^%d", max_log2_d);
    uint64_t d_max = (uint64_t)1 << max_log2_d;
    float *u = malloc(d_max * sizeof *u), *values = malloc(d_max * sizeof *values);
    uint64_t *indices = malloc(d_max * sizeof *indices);
    FILE *file = NULL;
    int rc = GTAP_OK;
    if (u == NULL || values == NULL || indices == NULL) {
        rc = gtap_set_error(GTAP_ENOMEM, "speed: out of memory for d = %llu", (unsigned long long)d_max);
        goto done;
    }
    if ((file = fopen(path, "w")) == NULL) {
        rc = gtap_set_error(GTAP_EIO, "%s: cannot create: %s", path, strerror(errno));
        goto done;
    }
    fill_laplace(u, d_max, seed);
    gtap_out out;
    gtap_out_begin(&out, file, GTAP_OUT_CSV, speed_columns, (int)(sizeof speed_columns / sizeof speed_columns[0]));
    for (int log2_d = 12; log2_d <= max_log2_d && rc == GTAP_OK; log2_d += 2) {
        uint64_t d = (uint64_t)1 << log2_d;
        double floor_seconds = read_floor(u, d);
        for (size_t r = 0; r < sizeof densities / sizeof densities[0] && rc == GTAP_OK; r++) {
            uint64_t k = 0;
            if ((rc = gtap_k_from_density(densities[r], d, &k)) < 0) break;
            for (size_t s = 0; s < SELECTOR_COUNT; s++) {
                double seconds = NAN;
                int repeats = 0;
                if ((rc = time_selector(selectors[s], u, d, k, indices, values, &seconds, &repeats)) < 0) break;
                gtap_cell cells[] = {gtap_cell_str(selectors[s]), gtap_cell_int((int64_t)d), gtap_cell_num(densities[r]),
                                     gtap_cell_int((int64_t)k), gtap_cell_num(seconds), gtap_cell_num(floor_seconds),
                                     gtap_cell_int(repeats)};
                gtap_out_row(&out, cells);
            }
        }
    }
    gtap_out_end(&out);
    if (fclose(file) != 0 && rc == GTAP_OK) rc = gtap_set_error(GTAP_EIO, "%s: write error", path);
    file = NULL;
done:
    if (file != NULL) fclose(file);
    free(u);
    free(values);
    free(indices);
    return rc;
}
