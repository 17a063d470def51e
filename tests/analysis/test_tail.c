/* test_tail.c - the exact tail-energy kernel (gradtap/tail.h) against a
 * brute-force sort in long double, on many distributions and edge cases,
 * one-shot and streamed/merged. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "gradtap/tail.h"
#include "gtap_test.h"
#include "reference.h"

/* Compare gtap_tail_energy with the reference for each k. */
static void check_vector(const char *what, const float *u, size_t d, const uint64_t *ks, size_t nk)
{
    gtap_tail_result *res = calloc(nk, sizeof *res);
    gtap_moments m;
    GT_ASSERT_OK(gtap_tail_energy(u, d, ks, nk, res, &m));
    for (size_t i = 0; i < nk; i++) {
        ref_tail ref;
        ref_tail_energy(u, d, ks[i], &ref);
        gtap_test_assert(res[i].k_effective == ref.k_effective, 0, __LINE__, __FILE__, "%s k=%llu: k_eff %llu vs %llu",
                         what, (unsigned long long)ks[i], (unsigned long long)res[i].k_effective,
                         (unsigned long long)ref.k_effective);
        GT_ASSERT_NEAR(res[i].head2, (double)ref.head2, 1e-300, 1e-11);
        GT_ASSERT_NEAR(res[i].tail2, (double)ref.tail2, 1e-300, 1e-11);
        GT_ASSERT_NEAR(res[i].threshold, ref.threshold, 0, 0);
        GT_ASSERT_U64_EQ(res[i].threshold_ties, ref.ties);
        if (ref.norm2 > 0) {
            GT_ASSERT_NEAR(res[i].tail2 / m.norm2, (double)(ref.tail2 / ref.norm2), 1e-14, 1e-11);
            GT_ASSERT_DBL_CMP(res[i].tail2 / m.norm2, <=, 1.0 - (double)ref.k_effective / (double)d + 1e-12);
        }
    }
    free(res);
}

static const uint64_t some_ks[] = {0, 1, 2, 3, 7, 10, 100, 1000, 4096, 9999, 10000, 10001, 50000};

static void test_distributions(void)
{
    const char *families[] = {"gauss", "laplace", "student3", "uniform"};
    size_t d = 10000;
    float *u = malloc(d * sizeof *u);
    uint64_t state = gtap_test_seed("tail distributions");
    for (size_t f = 0; f < 4; f++) {
        ref_fill(u, d, families[f], &state);
        check_vector(families[f], u, d, some_ks, sizeof some_ks / sizeof some_ks[0]);
    }
    free(u);
}

static void test_equal_magnitudes_and_ties(void)
{
    size_t d = 5000;
    float *u = malloc(d * sizeof *u);
    uint64_t state = gtap_test_seed("tail ties");
    for (size_t i = 0; i < d; i++) u[i] = (gtap_test_rand_u64(&state) & 1) ? 0.75f : -0.75f;
    check_vector("all equal", u, d, some_ks, sizeof some_ks / sizeof some_ks[0]);
    /* all-equal magnitudes: r_k = 1 - k/d exactly, above the tight bound */
    uint64_t k = 50;
    gtap_tail_result r;
    gtap_moments m;
    GT_ASSERT_OK(gtap_tail_energy(u, d, &k, 1, &r, &m));
    GT_ASSERT_NEAR(r.tail2 / m.norm2, 1.0 - 50.0 / 5000.0, 1e-15, 0);
    GT_ASSERT_DBL_CMP(r.tail2 / m.norm2, >, (1.0 - 0.01) * (1.0 - 0.01));
    GT_ASSERT_U64_EQ(r.threshold_ties, d);
    /* many ties among a few values, and zeros */
    for (size_t i = 0; i < d; i++) u[i] = (float)((int)(gtap_test_rand_u64(&state) % 7) - 3) * 0.5f;
    check_vector("ties and zeros", u, d, some_ks, sizeof some_ks / sizeof some_ks[0]);
    free(u);
}

static void test_extreme_values(void)
{
    size_t d = 3000;
    float *u = malloc(d * sizeof *u);
    uint64_t state = gtap_test_seed("tail extremes");
    for (size_t i = 0; i < d; i++) {
        uint64_t r = gtap_test_rand_u64(&state);
        switch (r % 6) {
        case 0: u[i] = FLT_MAX * (float)gtap_test_rand_uniform(&state); break;
        case 1: u[i] = -FLT_MAX; break;
        case 2: u[i] = FLT_TRUE_MIN * (float)(r % 1000); break;         /* subnormals */
        case 3: u[i] = (r & 64) ? 0.0f : -0.0f; break;                  /* +-0 */
        case 4: u[i] = FLT_MIN * (float)gtap_test_rand_uniform(&state); break;
        default: u[i] = (float)gtap_test_rand_normal(&state); break;
        }
    }
    check_vector("extremes", u, d, some_ks, sizeof some_ks / sizeof some_ks[0]);
    /* only subnormals and zeros: energies are tiny but exact in double */
    for (size_t i = 0; i < d; i++) u[i] = FLT_TRUE_MIN * (float)(gtap_test_rand_u64(&state) % 5);
    check_vector("subnormals", u, d, some_ks, sizeof some_ks / sizeof some_ks[0]);
    free(u);
}

static void test_small_d(void)
{
    float one = -2.5f;
    uint64_t ks[] = {0, 1, 2};
    check_vector("d=1", &one, 1, ks, 3);
    gtap_tail_result r[3];
    gtap_moments m;
    GT_ASSERT_OK(gtap_tail_energy(&one, 1, ks, 3, r, &m));
    GT_ASSERT_NEAR(r[1].tail2, 0.0, 0, 0);
    GT_ASSERT_NEAR(r[1].head2, 6.25, 0, 0);
    GT_ASSERT_U64_EQ(r[2].k_effective, 1);
    GT_ASSERT_NEAR(m.mean, -2.5, 0, 0);
    GT_ASSERT_OK(gtap_tail_energy(NULL, 0, ks, 3, r, &m));
    GT_ASSERT_U64_EQ(r[1].k_effective, 0);
    GT_ASSERT(isnan(r[1].threshold));
    GT_ASSERT(isnan(m.mean));
    float v[4] = {1, -3, 2, 3};
    uint64_t k_all = 4;
    check_vector("k=d", v, 4, &k_all, 1);
}

static void test_nonfinite(void)
{
    float u[8] = {1.0f, NAN, -2.0f, INFINITY, -INFINITY, 0.5f, -NAN, 3.0f};
    uint64_t ks[] = {1, 2, 4, 8};
    gtap_tail_result r[4];
    gtap_moments m;
    GT_ASSERT_OK(gtap_tail_energy(u, 8, ks, 4, r, &m));
    GT_ASSERT_U64_EQ(m.count, 8);
    GT_ASSERT_U64_EQ(m.finite, 4);
    GT_ASSERT_U64_EQ(m.nan_count, 2);
    GT_ASSERT_U64_EQ(m.posinf_count, 1);
    GT_ASSERT_U64_EQ(m.neginf_count, 1);
    GT_ASSERT(gtap_moments_has_nonfinite(&m));
    GT_ASSERT_NEAR(m.norm2, 1 + 4 + 0.25 + 9, 0, 0);
    GT_ASSERT_NEAR(r[0].head2, 9.0, 0, 0);
    GT_ASSERT_NEAR(r[1].tail2, 1.25, 0, 0);
    GT_ASSERT_U64_EQ(r[3].k_effective, 4);
    GT_ASSERT_NEAR(m.max, 3.0, 0, 0);
    GT_ASSERT_NEAR(m.min, -2.0, 0, 0);
    check_vector("nonfinite", u, 8, ks, 4);
}

static void test_moments(void)
{
    size_t d = 100003;
    float *u = malloc(d * sizeof *u);
    uint64_t state = gtap_test_seed("tail moments");
    for (size_t i = 0; i < d; i++) u[i] = (float)(1000.0 + 2.0 * gtap_test_rand_normal(&state));
    u[17] = 0.0f;
    long double s = 0, s2 = 0, s3 = 0, s4 = 0, a = 0;
    for (size_t i = 0; i < d; i++) s += u[i];
    long double mean = s / d;
    for (size_t i = 0; i < d; i++) {
        long double x = u[i] - mean;
        s2 += x * x;
        s3 += x * x * x;
        s4 += x * x * x * x;
        a += fabsl((long double)u[i]);
    }
    gtap_moments m;
    GT_ASSERT_OK(gtap_tail_energy(u, d, NULL, 0, NULL, &m));
    GT_ASSERT_NEAR(m.mean, (double)mean, 0, 1e-13);
    GT_ASSERT_NEAR(m.m2, (double)s2, 0, 1e-9);
    GT_ASSERT_NEAR(m.m3, (double)s3, 1e-6 * (double)s2, 1e-6);
    GT_ASSERT_NEAR(m.m4, (double)s4, 0, 1e-8);
    GT_ASSERT_NEAR(m.abs_sum, (double)a, 0, 1e-12);
    GT_ASSERT_U64_EQ(m.zero_count, 1);
    GT_ASSERT_NEAR(gtap_moments_variance(&m, 1), (double)(s2 / (d - 1)), 0, 1e-9);
    GT_ASSERT_NEAR(gtap_moments_excess_kurtosis(&m), (double)(s4 * d / (s2 * s2) - 3), 1e-9, 1e-6);
    free(u);
}

typedef struct chunk_source {
    const float *u;
    uint64_t d, chunk;
    int passes_seen[3];
} chunk_source;

static int next_chunk(void *user, int pass, uint64_t index, const float **data, uint64_t *n)
{
    chunk_source *s = user;
    s->passes_seen[pass]++;
    uint64_t start = index * s->chunk;
    *n = start >= s->d ? 0 : (s->d - start < s->chunk ? s->d - start : s->chunk);
    *data = s->u + start;
    return GTAP_OK;
}

static void test_streaming_and_merge(void)
{
    size_t d = 20000;
    float *u = malloc(d * sizeof *u);
    uint64_t state = gtap_test_seed("tail streaming");
    ref_fill(u, d, "laplace", &state);
    u[5] = NAN;
    size_t nk = sizeof some_ks / sizeof some_ks[0];
    gtap_tail_result whole[16], streamed[16], merged[16];
    gtap_moments mw, ms, mm;
    GT_ASSERT_OK(gtap_tail_energy(u, d, some_ks, nk, whole, &mw));
    chunk_source src = {u, d, 777, {0, 0, 0}};
    GT_ASSERT_OK(gtap_tail_energy_stream(next_chunk, &src, some_ks, nk, streamed, &ms));
    GT_ASSERT_INT_CMP(src.passes_seen[1], >, 1);
    GT_ASSERT_INT_CMP(src.passes_seen[2], >, 1);
    /* three workers on interleaved pieces, merged */
    gtap_tail *w[3] = {NULL, NULL, NULL};
    for (int i = 0; i < 3; i++) GT_ASSERT_OK(gtap_tail_create(&w[i]));
    for (size_t off = 0, piece = 0; off < d; off += 1000, piece++)
        GT_ASSERT_OK(gtap_tail_feed(w[piece % 3], u + off, d - off < 1000 ? d - off : 1000));
    GT_ASSERT_OK(gtap_tail_merge(w[0], w[1]));
    GT_ASSERT_OK(gtap_tail_merge(w[0], w[2]));
    int refine = 0;
    GT_ASSERT_OK(gtap_tail_plan(w[0], some_ks, nk, &refine));
    GT_ASSERT(refine);
    GT_ASSERT_STATUS(gtap_tail_feed(w[0], u, 1), GTAP_ESTATE);
    GT_ASSERT_STATUS(gtap_tail_merge(w[0], w[1]), GTAP_ESTATE);
    GT_ASSERT_OK(gtap_tail_adopt_plan(w[1], w[0]));
    GT_ASSERT_OK(gtap_tail_adopt_plan(w[2], w[0]));
    for (size_t off = 0, piece = 0; off < d; off += 1500, piece++)
        GT_ASSERT_OK(gtap_tail_refine(w[piece % 3], u + off, d - off < 1500 ? d - off : 1500));
    GT_ASSERT_OK(gtap_tail_merge(w[0], w[1]));
    GT_ASSERT_OK(gtap_tail_merge(w[0], w[2]));
    GT_ASSERT_OK(gtap_tail_finish(w[0], merged));
    GT_ASSERT_OK(gtap_tail_moments(w[0], &mm));
    for (size_t i = 0; i < nk; i++) {
        GT_ASSERT_NEAR(streamed[i].tail2, whole[i].tail2, 0, 1e-13);
        GT_ASSERT_NEAR(merged[i].tail2, whole[i].tail2, 0, 1e-13);
        GT_ASSERT_NEAR(merged[i].head2, whole[i].head2, 0, 1e-13);
        GT_ASSERT_NEAR(merged[i].threshold, whole[i].threshold, 0, 0);
    }
    GT_ASSERT_U64_EQ(mm.nan_count, 1);
    GT_ASSERT_NEAR(mm.m2, mw.m2, 0, 1e-12);
    GT_ASSERT_NEAR(ms.m4, mw.m4, 0, 1e-12);
    /* pass 2 over different data is detected */
    GT_ASSERT_OK(gtap_tail_adopt_plan(w[1], w[0]));
    GT_ASSERT_OK(gtap_tail_refine(w[1], u, d / 2));
    GT_ASSERT_STATUS(gtap_tail_finish(w[1], merged), GTAP_EFORMAT);
    for (int i = 0; i < 3; i++) gtap_tail_free(w[i]);
    gtap_tail_free(NULL);
    free(u);
}

/* Few k values give few boundary buckets, the case the refinement pass
 * handles eight values at a time: odd lengths (a tail shorter than eight),
 * ties, zeros, NaN and Inf, against the sort. */
static void test_few_boundary_buckets(void)
{
    uint64_t state = gtap_test_seed("few boundary buckets");
    const char *families[] = {"gauss", "laplace", "student3", "uniform"};
    float *u = malloc(3001 * sizeof *u);
    for (int trial = 0; trial < 200; trial++) {
        size_t d = 1 + (size_t)(gtap_test_rand_u64(&state) % 3000);
        ref_fill(u, d, families[trial % 4], &state);
        for (size_t i = 0; i < d; i++) {
            uint64_t pick = gtap_test_rand_u64(&state) % 100;
            if (pick < 10) u[i] = roundf(u[i] * 4.0f) / 4.0f; /* ties and zeros */
            else if (pick == 10) u[i] = NAN;
            else if (pick == 11) u[i] = (pick & 1) ? -INFINITY : INFINITY;
        }
        uint64_t ks[3];
        size_t nk = 1 + (size_t)(gtap_test_rand_u64(&state) % 3);
        for (size_t j = 0; j < nk; j++) ks[j] = gtap_test_rand_u64(&state) % (d + 1);
        check_vector(families[trial % 4], u, d, ks, nk);
    }
    free(u);
}

/* Many boundary buckets (the grouped pass 2: a bitmap filter, the hits
 * grouped by bucket) over several of its 65536-value blocks, with ties,
 * zeros, NaN and Inf, against the sort. */
static void test_many_boundary_buckets(void)
{
    uint64_t state = gtap_test_seed("many boundary buckets");
    const char *families[] = {"gauss", "laplace", "student3", "uniform"};
    size_t d = 200003;
    float *u = malloc(d * sizeof *u);
    uint64_t ks[64];
    for (int trial = 0; trial < 4; trial++) {
        ref_fill(u, d, families[trial], &state);
        for (size_t i = 0; i < d; i++) {
            uint64_t pick = gtap_test_rand_u64(&state) % 1000;
            if (pick < 20) u[i] = roundf(u[i] * 8.0f) / 8.0f;
            else if (pick == 20) u[i] = NAN;
            else if (pick == 21) u[i] = INFINITY;
        }
        for (size_t j = 0; j < 64; j++) ks[j] = (uint64_t)llround(pow((double)d, (double)j / 63.0));
        check_vector(families[trial], u, d, ks, 64);
    }
    free(u);
}

static void test_bad_arguments(void)
{
    uint64_t k = 1;
    gtap_tail_result r;
    GT_ASSERT_STATUS(gtap_tail_energy(NULL, 5, &k, 1, &r, NULL), GTAP_EINVAL);
    float x = 1;
    GT_ASSERT_STATUS(gtap_tail_energy(&x, 1, NULL, 1, &r, NULL), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_tail_create(NULL), GTAP_EINVAL);
    gtap_tail *t = NULL;
    GT_ASSERT_OK(gtap_tail_create(&t));
    GT_ASSERT_STATUS(gtap_tail_refine(t, &x, 1), GTAP_ESTATE);
    GT_ASSERT_STATUS(gtap_tail_finish(t, &r), GTAP_ESTATE);
    GT_ASSERT_STATUS(gtap_tail_feed(t, NULL, 3), GTAP_EINVAL);
    gtap_tail_free(t);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"T_k vs sort: Gaussian, Laplace, Student-t, uniform", test_distributions},
        {"T_k vs sort: equal magnitudes, ties, zeros", test_equal_magnitudes_and_ties},
        {"T_k vs sort: FLT_MAX, subnormals, +-0", test_extreme_values},
        {"d = 1, d = 0, k = d", test_small_d},
        {"NaN and Inf are counted and excluded", test_nonfinite},
        {"moments vs long double two-pass", test_moments},
        {"streaming and merged workers equal one-shot", test_streaming_and_merge},
        {"few boundary buckets: odd lengths, ties, NaN/Inf", test_few_boundary_buckets},
        {"many boundary buckets over several blocks", test_many_boundary_buckets},
        {"bad arguments", test_bad_arguments},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"tail", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
