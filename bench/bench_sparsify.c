/*
 * bench_sparsify.c - the cost of every compressor of gradtap/sparsify.h on
 * 1 and 2 threads (gtap_sparsify_options.threads), against two baselines:
 * reading u once on one thread (the floor: 4d bytes of memory traffic) and
 * a full sort of |u| (what an O(d log d) top-k costs). Prints one row per
 * (d, rho, selector, threads): median milliseconds over --reps runs,
 * effective GB/s (4d bytes / time), time as a multiple of the floor,
 * the speed-up over one thread, threshold passes and count / k.
 *
 *   bench_sparsify [--sizes 20,22,24] [--rhos 0.001,0.01] [--reps 5]
 *                  [--threads 1,2] [--dist normal|laplace] [--no-sort]
 */
#include <getopt.h>
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gradtap/sparsify.h"
#include "bench_common.h"

enum { MAX_LIST = 16 };

/* Test data from the library's counter-based generator (Box-Muller or a
 * signed exponential). */
static void fill(float *u, uint64_t d, int laplace)
{
    for (uint64_t i = 0; i < d; i++) {
        double a = ((double)(gtap_srng_u64(1, 0, 2 * i) >> 11) + 0.5) * 0x1p-53;
        double b = ((double)(gtap_srng_u64(1, 0, 2 * i + 1) >> 11) + 0.5) * 0x1p-53;
        u[i] = laplace ? (float)(b < 0.5 ? log(a) : -log(a)) : (float)(sqrt(-2.0 * log(a)) * cos(6.283185307179586 * b));
    }
}

/* The floor: one read of u (an OR of the bit patterns, which vectorises). */
static volatile uint32_t floor_sink;
static void read_once(const float *u, uint64_t d)
{
    uint32_t acc = 0;
    for (uint64_t i = 0; i < d; i++) {
        uint32_t bits;
        memcpy(&bits, &u[i], sizeof bits);
        acc |= bits;
    }
    floor_sink = acc;
}

static int compare_float_desc(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x > y ? -1 : (x < y ? 1 : 0);
}

/* The baseline: copy |u| and sort it (qsort). */
static void full_sort(const float *u, uint64_t d, float *scratch)
{
    for (uint64_t i = 0; i < d; i++) scratch[i] = fabsf(u[i]);
    qsort(scratch, (size_t)d, sizeof *scratch, compare_float_desc);
}

typedef struct selector {
    const char *label;
    gtap_sparsifier_kind kind;
    gtap_count_mode mode;
} selector;

static const selector selectors[] = {
    {"topk", GTAP_SPARSIFY_TOPK, GTAP_COUNT_VARIABLE},
    {"randk", GTAP_SPARSIFY_RANDK, GTAP_COUNT_VARIABLE},
    {"gaussiank", GTAP_SPARSIFY_GAUSSIANK, GTAP_COUNT_VARIABLE},
    {"gaussiank-exact", GTAP_SPARSIFY_GAUSSIANK, GTAP_COUNT_EXACT},
    {"gaussiank-ref", GTAP_SPARSIFY_GAUSSIANK_REF, GTAP_COUNT_VARIABLE},
    {"dgck", GTAP_SPARSIFY_DGCK, GTAP_COUNT_VARIABLE},
    {"trimmed", GTAP_SPARSIFY_TRIMMED, GTAP_COUNT_VARIABLE},
    {"redsync", GTAP_SPARSIFY_REDSYNC, GTAP_COUNT_VARIABLE},
    {"threshold", GTAP_SPARSIFY_THRESHOLD, GTAP_COUNT_VARIABLE},
    {"sign", GTAP_SPARSIFY_SIGN, GTAP_COUNT_VARIABLE},
};
enum { SELECTOR_COUNT = sizeof selectors / sizeof selectors[0] };

static void print_row(uint64_t d, double rho, const char *label, int threads, double ms, double floor_ms, double speedup, int passes,
                      double count_over_k)
{
    double gbps = 4.0 * (double)d / (ms * 1e-3) / 1e9;
    printf("%-9llu %-7g %-16s %7d %10.3f %8.2f %8.2f %8.2f %6d %8.3f\n", (unsigned long long)d, rho, label, threads, ms,
           gbps, ms / floor_ms, speedup, passes, count_over_k);
    fflush(stdout);
}

static int parse_list(const char *text, double *out, int *n)
{
    *n = 0;
    char *copy = strdup(text), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && *n < MAX_LIST; tok = strtok_r(NULL, ",", &save)) {
        char *end = NULL;
        out[(*n)++] = strtod(tok, &end);
        if (end == tok || *end != '\0') {
            free(copy);
            return -1;
        }
    }
    free(copy);
    return *n > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    double sizes[MAX_LIST] = {20, 22, 24}, rhos[MAX_LIST] = {0.001, 0.01}, thread_list[MAX_LIST] = {1, 2};
    int n_sizes = 3, n_rhos = 2, n_threads = 2, reps = 5, laplace = 0, with_sort = 1;
    static const struct option options[] = {
        {"sizes", required_argument, NULL, 's'}, {"rhos", required_argument, NULL, 'r'},
        {"reps", required_argument, NULL, 'n'},  {"dist", required_argument, NULL, 'D'},
        {"no-sort", no_argument, NULL, 'S'},     {"help", no_argument, NULL, 'h'},
        {"threads", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 's': if (parse_list(optarg, sizes, &n_sizes) < 0) return 2; break;
        case 'r': if (parse_list(optarg, rhos, &n_rhos) < 0) return 2; break;
        case 'n': reps = atoi(optarg); if (reps < 1 || reps > 1000) return 2; break;
        case 'D': laplace = strcmp(optarg, "laplace") == 0; break;
        case 'S': with_sort = 0; break;
        case 't': if (parse_list(optarg, thread_list, &n_threads) < 0) return 2; break;
        default:
            fprintf(stderr, "usage: bench_sparsify [--sizes 20,22,24] [--rhos 0.001,0.01] [--reps 5] "
                            "[--threads 1,2] [--dist normal|laplace] [--no-sort]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    printf("# bench_sparsify: %s data, median of %d runs; floor = one read of u on one thread;\n"
           "# GB/s = 4d bytes / time; speedup = time on 1 thread / time on this many\n",
           laplace ? "Laplace" : "Gaussian", reps);
    printf("%-9s %-7s %-16s %7s %10s %8s %8s %8s %6s %8s\n", "d", "rho", "selector", "threads", "ms", "GB/s", "x_floor",
           "speedup", "passes", "count/k");
    double *samples = malloc((size_t)reps * sizeof *samples);
    for (int si = 0; si < n_sizes; si++) {
        uint64_t d = (uint64_t)1 << (int)sizes[si];
        float *u = malloc(d * sizeof *u);
        uint64_t *indices = malloc(d * sizeof *indices);
        float *values = malloc(d * sizeof *values);
        if (u == NULL || indices == NULL || values == NULL) return 3;
        fill(u, d, laplace);
        for (int r = 0; r < reps; r++) {
            double t0 = bench_now();
            read_once(u, d);
            samples[r] = (bench_now() - t0) * 1e3;
        }
        double floor_ms = bench_median(samples, reps);
        print_row(d, 0, "read-once", 1, floor_ms, floor_ms, 1.0, 1, NAN);
        if (with_sort) {
            int sort_reps = reps < 3 ? reps : 3;
            for (int r = 0; r < sort_reps; r++) {
                double t0 = bench_now();
                full_sort(u, d, values);
                samples[r] = (bench_now() - t0) * 1e3;
            }
            print_row(d, 0, "full-sort", 1, bench_median(samples, sort_reps), floor_ms, NAN, 0, NAN);
        }
        for (int ri = 0; ri < n_rhos; ri++) {
            uint64_t k = 0;
            if (gtap_k_from_density(rhos[ri], d, &k) < 0) return 2;
            for (int s = 0; s < SELECTOR_COUNT; s++) {
              double one_thread_ms = NAN;
              for (int ti = 0; ti < n_threads; ti++) {
                gtap_sparsify_options opt;
                gtap_sparsify_options_init(&opt, selectors[s].kind);
                opt.count_mode = selectors[s].mode;
                opt.threads = (int)thread_list[ti];
                /* The hard threshold at the level that keeps rho d in expectation. */
                opt.lambda = laplace ? -log(rhos[ri]) : gsl_cdf_ugaussian_Qinv(rhos[ri] / 2.0);
                gtap_sparsifier *sp = NULL;
                if (gtap_sparsifier_create(&opt, d, &sp) < 0) {
                    fprintf(stderr, "bench_sparsify: %s\n", gtap_last_error());
                    return 3;
                }
                gtap_sparsify_result res;
                int rc = gtap_sparsify(sp, u, d, k, 0, indices, values, d, &res); /* warm-up */
                for (int r = 0; r < reps && rc == GTAP_OK; r++) {
                    double t0 = bench_now();
                    rc = gtap_sparsify(sp, u, d, k, (uint64_t)r, indices, values, d, &res);
                    samples[r] = (bench_now() - t0) * 1e3;
                }
                if (rc < 0) {
                    fprintf(stderr, "bench_sparsify: %s: %s\n", selectors[s].label, gtap_last_error());
                    return 3;
                }
                double ms = bench_median(samples, reps);
                if (opt.threads == 1) one_thread_ms = ms;
                print_row(d, rhos[ri], selectors[s].label, opt.threads, ms, floor_ms, one_thread_ms / ms, res.passes,
                          (double)res.count / (double)k);
                gtap_sparsifier_free(sp);
              }
            }
        }
        free(u);
        free(indices);
        free(values);
    }
    free(samples);
    return 0;
}
