/* test_summary.c - capture's summaries (gradtap/summary.h) against an
 * independent brute-force reference (sorting for the tail energies, long
 * double two-pass moments, frexp for the log2 histogram), for every dtype,
 * with zeros, NaN, +-Inf and subnormals; and the same summaries stored by a
 * capture and read back from the file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "capture_fixtures.h"
#include "crash_data.h"
#include "gradtap/capture.h"
#include "gradtap/summary.h"
#include "gradtap/tail.h"
#include "gtap_test.h"
#include "summary_check.h"

typedef struct reference {
    uint64_t counts[GTAP_SUMMARY_COUNT_COLUMNS];
    double moments[GTAP_SUMMARY_MOMENT_COLUMNS];
    uint64_t hist[GTAP_SUMMARY_HIST_BINS];
    double ratios[GTAP_SUMMARY_MAX_DENSITIES];
} reference;

/* The brute-force k: max(1, floor(rho n)), at most n; 0 for n = 0. */
static uint64_t summary_k(double density, uint64_t n)
{
    if (n == 0) return 0;
    double product = floor(density * (double)n);
    uint64_t k = product >= (double)n ? n : (uint64_t)product;
    return k < 1 ? 1 : k;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int reference_bin(double magnitude)
{
    int exponent;
    frexp(magnitude, &exponent); /* magnitude = m 2^exponent, m in [0.5, 1) */
    int bin = (exponent - 1) - GTAP_SUMMARY_HIST_MIN_EXPONENT + 1;
    if (bin < 0) bin = 0;
    if (bin > GTAP_SUMMARY_HIST_BINS - 1) bin = GTAP_SUMMARY_HIST_BINS - 1;
    return bin;
}

static void brute_force(const float *u, uint64_t n, const double *densities, size_t m, reference *out)
{
    memset(out, 0, sizeof *out);
    double *squares = malloc((n ? n : 1) * sizeof *squares);
    uint64_t finite = 0;
    long double sum = 0, norm2 = 0, abs_sum = 0;
    double low = INFINITY, high = -INFINITY;
    for (uint64_t i = 0; i < n; i++) {
        float x = u[i];
        out->counts[GTAP_SUMMARY_COUNT]++;
        if (isnan(x)) { out->counts[GTAP_SUMMARY_NAN]++; continue; }
        if (isinf(x)) { out->counts[x > 0 ? GTAP_SUMMARY_POSINF : GTAP_SUMMARY_NEGINF]++; continue; }
        if (x == 0.0f) out->counts[GTAP_SUMMARY_ZEROS]++;
        else out->hist[reference_bin(fabs((double)x))]++;
        squares[finite++] = (double)x * (double)x;
        sum += x;
        norm2 += (long double)x * x;
        abs_sum += fabsl((long double)x);
        if (x < low) low = x;
        if (x > high) high = x;
    }
    out->counts[GTAP_SUMMARY_FINITE] = finite;
    long double mean = sum / (long double)finite, m2 = 0, m3 = 0, m4 = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (!isfinite(u[i])) continue;
        long double d = (long double)u[i] - mean;
        m2 += d * d;
        m3 += d * d * d;
        m4 += d * d * d * d;
    }
    out->moments[GTAP_SUMMARY_MEAN] = (double)mean;
    out->moments[GTAP_SUMMARY_VARIANCE] = (double)(m2 / finite);
    out->moments[GTAP_SUMMARY_SKEWNESS] = (double)((m3 / finite) / powl(m2 / finite, 1.5L));
    out->moments[GTAP_SUMMARY_EXCESS_KURTOSIS] = (double)((m4 / finite) / ((m2 / finite) * (m2 / finite)) - 3.0L);
    out->moments[GTAP_SUMMARY_MIN] = low;
    out->moments[GTAP_SUMMARY_MAX] = high;
    out->moments[GTAP_SUMMARY_NORM2] = (double)norm2;
    out->moments[GTAP_SUMMARY_ABS_SUM] = (double)abs_sum;
    qsort(squares, finite, sizeof *squares, compare_doubles);
    for (size_t j = 0; j < m; j++) {
        uint64_t k = summary_k(densities[j], n);
        if (k > finite) k = finite;
        long double tail = 0;
        for (uint64_t i = 0; i + k < finite; i++) tail += squares[i];
        out->ratios[j] = norm2 > 0 ? (double)(tail / norm2) : NAN;
    }
    free(squares);
}

static void compare(const gtap_summary *got, const reference *want, size_t m, const char *what)
{
    for (int c = 0; c < GTAP_SUMMARY_COUNT_COLUMNS; c++)
        gtap_test_assert(got->counts[c] == want->counts[c], 0, __LINE__, __FILE__, "%s: count column %d: %llu vs %llu",
                         what, c, (unsigned long long)got->counts[c], (unsigned long long)want->counts[c]);
    for (int c = 0; c < GTAP_SUMMARY_MOMENT_COLUMNS; c++) {
        double a = got->moments[c], e = want->moments[c];
        int ok = (isnan(a) && isnan(e)) || fabs(a - e) <= 1e-12 + 1e-9 * fabs(e);
        gtap_test_assert(ok, 0, __LINE__, __FILE__, "%s: moment column %d: %.17g vs %.17g", what, c, a, e);
    }
    for (int b = 0; b < GTAP_SUMMARY_HIST_BINS; b++)
        gtap_test_assert(got->hist[b] == want->hist[b], 0, __LINE__, __FILE__, "%s: hist bin %d: %llu vs %llu", what,
                         b, (unsigned long long)got->hist[b], (unsigned long long)want->hist[b]);
    for (size_t j = 0; j < m; j++) {
        double a = got->ratios[j], e = want->ratios[j];
        int ok = (isnan(a) && isnan(e)) || fabs(a - e) <= 1e-13 + 1e-10 * fabs(e);
        gtap_test_assert(ok, 0, __LINE__, __FILE__, "%s: r_k for density %g: %.17g vs %.17g", what, got->densities[j],
                         a, e);
    }
}

/* Heavy-tailed values over many octaves, with zeros, non-finite values and
 * subnormals sprinkled in. */
static void make_vector(uint64_t *state, float *u, uint64_t n, int special)
{
    for (uint64_t i = 0; i < n; i++) {
        double g = gtap_test_rand_normal(state);
        double scale = exp2(-40.0 + 60.0 * gtap_test_rand_uniform(state));
        u[i] = (float)(g * scale);
        if (!special) continue;
        uint64_t pick = gtap_test_rand_u64(state) % 64;
        if (pick == 0) u[i] = 0.0f;
        else if (pick == 1) u[i] = -0.0f;
        else if (pick == 2) u[i] = NAN;
        else if (pick == 3) u[i] = (gtap_test_rand_u64(state) & 1) ? INFINITY : -INFINITY;
        else if (pick == 4) u[i] = 1e-41f;   /* subnormal */
        else if (pick == 5) u[i] = -3e38f;   /* above the last exact bin */
    }
}

static void test_against_brute_force(void)
{
    uint64_t state = gtap_test_seed("summary against brute force");
    const double densities[4] = {0.001, 0.01, 0.1, 1.0};
    const uint64_t sizes[4] = {1, 17, 1000, 100003};
    for (int s = 0; s < 4; s++) {
        for (int special = 0; special < 2; special++) {
            uint64_t n = sizes[s];
            float *u = malloc(n * sizeof *u);
            make_vector(&state, u, n, special);
            if (n == 1 && special) u[0] = 2.5f;
            gtap_summary got;
            reference want;
            GT_ASSERT_OK(gtap_summary_compute(GTAP_FLOAT32, u, n, densities, 4, NULL, &got));
            brute_force(u, n, densities, 4, &want);
            char what[64];
            snprintf(what, sizeof what, "float32 n=%llu special=%d", (unsigned long long)n, special);
            compare(&got, &want, 4, what);
            /* float16 / bfloat16: the summary is that of the widened values */
            const gtap_dtype narrow[2] = {GTAP_FLOAT16, GTAP_BFLOAT16};
            uint16_t *packed = malloc(n * sizeof *packed);
            float *widened = malloc(n * sizeof *widened);
            for (int d = 0; d < 2; d++) {
                GT_ASSERT_OK(gtap_from_float32(narrow[d], u, packed, n));
                GT_ASSERT_OK(gtap_to_float32(narrow[d], packed, widened, n));
                GT_ASSERT_OK(gtap_summary_compute(narrow[d], packed, n, densities, 4, NULL, &got));
                brute_force(widened, n, densities, 4, &want);
                snprintf(what, sizeof what, "%s n=%llu special=%d", gtap_dtype_name(narrow[d]), (unsigned long long)n,
                         special);
                compare(&got, &want, 4, what);
            }
            free(packed);
            free(widened);
            free(u);
        }
    }
}

static void test_edge_cases(void)
{
    const double densities[1] = {0.5};
    gtap_summary got;
    float zeros[8] = {0};
    GT_ASSERT_OK(gtap_summary_compute(GTAP_FLOAT32, zeros, 8, densities, 1, NULL, &got));
    GT_ASSERT(isnan(got.ratios[0])); /* r_k undefined for u = 0 */
    GT_ASSERT_U64_EQ(got.counts[GTAP_SUMMARY_ZEROS], 8);
    GT_ASSERT_U64_EQ(got.k[0], 4);
    GT_ASSERT_OK(gtap_summary_compute(GTAP_FLOAT32, NULL, 0, densities, 1, NULL, &got));
    GT_ASSERT_U64_EQ(got.counts[GTAP_SUMMARY_COUNT], 0);
    GT_ASSERT_INT_EQ(gtap_summary_hist_bin(1.0f), 65);   /* [2^0, 2^1) */
    GT_ASSERT_INT_EQ(gtap_summary_hist_bin(-1.5f), 65);
    GT_ASSERT_INT_EQ(gtap_summary_hist_bin(0.0f), -1);
    GT_ASSERT_INT_EQ(gtap_summary_hist_bin(INFINITY), -1);
    GT_ASSERT_INT_EQ(gtap_summary_hist_bin(65536.0f), GTAP_SUMMARY_HIST_BINS - 1);
    GT_ASSERT_STATUS(gtap_summary_compute(GTAP_FLOAT32, zeros, 8, (const double[]){1.5}, 1, NULL, &got), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_summary_compute(GTAP_DTYPE_INVALID, zeros, 8, densities, 1, NULL, &got), GTAP_EDTYPE);
}

static void test_summaries_stored_in_file(void)
{
    uint64_t state = gtap_test_seed("summaries stored in the file");
    const char *path = strdup(gtap_test_path("summaries.h5"));
    gtap_capture_options options = quiet_options();
    options.summary_every = 1;
    options.every = 4;
    const double densities[2] = {0.01, 0.2};
    options.densities = densities;
    options.density_count = 2;
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int ids[2];
    GT_ASSERT_OK(gtap_capture_register(capture, "g32", 5000, GTAP_FLOAT32, &ids[0]));
    GT_ASSERT_OK(gtap_capture_register(capture, "g16", 3000, GTAP_BFLOAT16, &ids[1]));
    const int steps = 6;
    float *u[6][2];
    uint16_t packed[3000];
    for (int step = 0; step < steps; step++) {
        u[step][0] = malloc(5000 * sizeof(float));
        u[step][1] = malloc(3000 * sizeof(float));
        make_vector(&state, u[step][0], 5000, 1);
        make_vector(&state, u[step][1], 3000, 1);
        GT_ASSERT_OK(gtap_capture_record(capture, ids[0], GTAP_KIND_GRAD, step, u[step][0]));
        gtap_from_float32(GTAP_BFLOAT16, u[step][1], packed, 3000);
        gtap_to_float32(GTAP_BFLOAT16, packed, u[step][1], 3000);
        GT_ASSERT_OK(gtap_capture_record(capture, ids[1], GTAP_KIND_GRAD, step, packed));
    }
    gtap_capture_stats stats;
    GT_ASSERT_OK(gtap_capture_close(capture, &stats));
    GT_ASSERT_U64_EQ(stats.summaries_written, 12);
    GT_ASSERT_U64_EQ(stats.snapshots_written, 4);

    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    const char *names[2] = {"g16", "g32"}; /* reader order: sorted by name */
    const uint64_t numels[2] = {3000, 5000};
    for (int t = 0; t < 2; t++) {
        size_t index, count = 0;
        GT_ASSERT_OK(gtap_reader_find_tensor(reader, names[t], &index));
        GT_ASSERT_OK(gtap_summary_count(reader, index, GTAP_KIND_GRAD, &count));
        GT_ASSERT_U64_EQ(count, steps);
        for (size_t i = 0; i < count && i < (size_t)steps; i++) {
            gtap_summary got;
            reference want;
            GT_ASSERT_OK(gtap_summary_read(reader, index, GTAP_KIND_GRAD, i, &got));
            GT_ASSERT_INT_EQ(got.step, (int64_t)i);
            GT_ASSERT_U64_EQ(got.density_count, 2);
            GT_ASSERT_U64_EQ(got.k[1], summary_k(0.2, numels[t]));
            brute_force(u[i][t == 0 ? 1 : 0], numels[t], densities, 2, &want);
            compare(&got, &want, 2, names[t]);
        }
        GT_ASSERT_STATUS(gtap_summary_read(reader, index, GTAP_KIND_GRAD, count, &(gtap_summary){0}), GTAP_EINVAL);
        GT_ASSERT_OK(gtap_summary_count(reader, index, GTAP_KIND_ACC, &count));
        GT_ASSERT_U64_EQ(count, 0);
    }
    gtap_reader_close(reader);
    for (int step = 0; step < steps; step++) {
        free(u[step][0]);
        free(u[step][1]);
    }
    free((void *)path);
}

/* Vectors that stress how tail energies are summed: many ties, one
 * bucket holding many values, few distinct values, zeros, subnormals. */
static void make_stress_vector(uint64_t *state, float *u, uint64_t n, int pattern)
{
    for (uint64_t i = 0; i < n; i++) {
        uint64_t r = gtap_test_rand_u64(state);
        switch (pattern) {
        case 0: u[i] = (float)(gtap_test_rand_normal(state) * exp2(-30.0 + 50.0 * gtap_test_rand_uniform(state))); break;
        case 1: u[i] = (r & 1) ? 0.75f : -0.75f; break;                        /* one value, both signs */
        case 2: u[i] = 1.0f + (float)(r % 300) * 0x1p-23f; break;              /* one bucket, 300 values */
        case 3: u[i] = (float)((int)(r % 7) - 3) * 0.125f; break;              /* few values and zeros */
        case 4: u[i] = (r % 5 == 0) ? 1e-42f * (float)(r % 9) : (float)(r % 1000) * 1e-3f; break; /* subnormals */
        default: u[i] = (r % 3 == 0) ? NAN : (r % 3 == 1) ? -INFINITY : 2.0f; break;           /* few finite */
        }
    }
}

/* The summary's r_k and moments are gtap_tail_energy()'s bit for bit,
 * whether the vector is short (sorted) or long (histogram): the two ways of
 * computing them must not show in the values (summary_engine.h). */
static void test_equals_tail_energy(void)
{
    uint64_t state = gtap_test_seed("summary equals gtap_tail_energy");
    const double densities[6] = {0.0001, 0.001, 0.01, 0.1, 0.5, 1.0};
    const uint64_t sizes[9] = {1, 2, 31, 33, 100, 1000, 4097, 65536, 65537};
    float *u = malloc(65537 * sizeof *u);
    for (int s = 0; s < 9; s++) {
        for (int pattern = 0; pattern < 6; pattern++) {
            uint64_t n = sizes[s];
            make_stress_vector(&state, u, n, pattern);
            gtap_summary got;
            GT_ASSERT_OK(gtap_summary_compute(GTAP_FLOAT32, u, n, densities, 6, NULL, &got));
            gtap_tail_result results[6];
            gtap_moments moments;
            GT_ASSERT_OK(gtap_tail_energy(u, n, got.k, 6, results, &moments));
            double norm2 = moments.norm2;
            GT_ASSERT(memcmp(&got.moments[GTAP_SUMMARY_NORM2], &norm2, sizeof norm2) == 0);
            GT_ASSERT(memcmp(&got.moments[GTAP_SUMMARY_MEAN], &moments.mean, sizeof norm2) == 0);
            GT_ASSERT_U64_EQ(got.counts[GTAP_SUMMARY_FINITE], moments.finite);
            for (int j = 0; j < 6; j++) {
                double want = norm2 > 0.0 ? results[j].tail2 / norm2 : NAN;
                gtap_test_assert(memcmp(&got.ratios[j], &want, sizeof want) == 0, 0, __LINE__, __FILE__,
                                 "n=%llu pattern %d density %g: r_k %.17g, gtap_tail_energy gives %.17g",
                                 (unsigned long long)n, pattern, densities[j], got.ratios[j], want);
            }
        }
    }
    free(u);
}

/* Summaries of many tensors at every step (written in batches at each
 * flush, explicit flushes in between) read back exactly after a normal
 * close: every row is gtap_summary_compute() of its step's data. */
static void test_many_steps_and_tensors(void)
{
    enum { TENSORS = 16, STEPS = 200 };
    uint64_t seed = gtap_test_seed("summaries of many steps and tensors");
    const char *path = strdup(gtap_test_path("many_summaries.h5"));
    gtap_capture_options options = quiet_options();
    options.summary_every = 1;
    options.kinds = GTAP_KIND_BIT(GTAP_KIND_GRAD) | GTAP_KIND_BIT(GTAP_KIND_ACC);
    gtap_capture *capture = NULL;
    GT_ASSERT_OK(gtap_capture_open(path, &options, &capture));
    int ids[TENSORS];
    unsigned char *data = malloc(4 * 3000);
    for (int t = 0; t < TENSORS; t++) {
        char name[32];
        snprintf(name, sizeof name, "t%02d", t);
        GT_ASSERT_OK(gtap_capture_register(capture, name, crash_summary_numel(t), crash_summary_dtype(t), &ids[t]));
    }
    for (int step = 0; step < STEPS; step++) {
        for (int t = 0; t < TENSORS; t++)
            for (int kind = GTAP_KIND_GRAD; kind <= GTAP_KIND_ACC; kind += GTAP_KIND_ACC - GTAP_KIND_GRAD) {
                crash_fill_elements(data, seed, t, kind, step, crash_summary_numel(t), crash_summary_dtype(t));
                GT_ASSERT_OK(gtap_capture_record(capture, ids[t], (gtap_kind)kind, step, data));
            }
        if (step % 97 == 50) GT_ASSERT_OK(gtap_capture_flush(capture));
    }
    gtap_capture_stats stats;
    GT_ASSERT_OK(gtap_capture_close(capture, &stats));
    GT_ASSERT_U64_EQ(stats.summaries_written, 2 * TENSORS * STEPS);
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    for (int t = 0; t < TENSORS; t++) {
        char name[32];
        snprintf(name, sizeof name, "t%02d", t);
        size_t index, count = 0;
        GT_ASSERT_OK(gtap_reader_find_tensor(reader, name, &index));
        for (int kind = GTAP_KIND_GRAD; kind <= GTAP_KIND_ACC; kind += GTAP_KIND_ACC - GTAP_KIND_GRAD) {
            GT_ASSERT_OK(gtap_summary_count(reader, index, (gtap_kind)kind, &count));
            GT_ASSERT_U64_EQ(count, STEPS);
            for (size_t row = 0; row < count; row++) {
                gtap_summary stored, computed;
                GT_ASSERT_OK(gtap_summary_read(reader, index, (gtap_kind)kind, row, &stored));
                crash_fill_elements(data, seed, t, kind, (int64_t)row, crash_summary_numel(t), crash_summary_dtype(t));
                GT_ASSERT_OK(gtap_summary_compute(crash_summary_dtype(t), data, crash_summary_numel(t),
                                                  stored.densities, stored.density_count, NULL, &computed));
                computed.step = (int64_t)row;
                gtap_test_assert(summary_same(&stored, &computed), 0, __LINE__, __FILE__,
                                 "%s kind %d summary %zu differs from gtap_summary_compute", name, kind, row);
            }
        }
    }
    gtap_reader_close(reader);
    free(data);
    free((void *)path);
}

static CU_TestInfo summary_tests[] = {
    {"r_k and moments equal gtap_tail_energy bit for bit (short and long vectors)", test_equals_tail_energy},
    {"summaries of 16 tensors x 2 kinds x 200 steps read back exactly", test_many_steps_and_tensors},
    {"summaries equal a brute-force reference (all dtypes, NaN/Inf/zeros)", test_against_brute_force},
    {"edge cases: zero vector, empty vector, k rounding, bins", test_edge_cases},
    {"summaries recorded by a capture read back from the file", test_summaries_stored_in_file},
    CU_TEST_INFO_NULL,
};

static CU_SuiteInfo suites[] = {
    {"summary", NULL, NULL, NULL, NULL, summary_tests},
    CU_SUITE_INFO_NULL,
};

int main(int argc, char **argv)
{
    return gtap_test_run(argc, argv, suites);
}
