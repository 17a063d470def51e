/* test_sparsify_threads.c - gtap_sparsify_options.threads: every compressor
 * gives the same output (indices, values, count, threshold, passes,
 * fallback, quality) bit for bit on 1, 2 and 3 threads, on vectors long
 * enough to be split (d above 65536, not a multiple of 64), with ties,
 * several densities and a capacity below d; NaN input is reported with the
 * same count; exact top-k on threads matches the brute-force sort. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gtap_test.h"
#include "sp_check.h"

#define D 300007u

static const gtap_sparsifier_kind kinds[] = {
    GTAP_SPARSIFY_NONE,      GTAP_SPARSIFY_TOPK,          GTAP_SPARSIFY_RANDK, GTAP_SPARSIFY_RANDK_UNBIASED,
    GTAP_SPARSIFY_GAUSSIANK, GTAP_SPARSIFY_GAUSSIANK_REF, GTAP_SPARSIFY_DGCK,  GTAP_SPARSIFY_TRIMMED,
    GTAP_SPARSIFY_REDSYNC,   GTAP_SPARSIFY_THRESHOLD,     GTAP_SPARSIFY_SIGN,
};
enum { KIND_COUNT = sizeof kinds / sizeof kinds[0] };

static sp_output run_on(gtap_sparsifier_kind kind, int exact, int threads, const float *u, uint64_t k)
{
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, kind);
    opt.threads = threads;
    opt.quality = 1;
    opt.seed = 7;
    opt.lambda = 1.5;
    if (exact) opt.count_mode = GTAP_COUNT_EXACT;
    return sp_run_once(&opt, u, D, k, 11);
}

static void assert_same(const sp_output *a, const sp_output *b, const char *what)
{
    GT_ASSERT_INT_EQ(b->rc, a->rc);
    GT_ASSERT_U64_EQ(b->res.count, a->res.count);
    GT_ASSERT_INT_EQ(b->res.passes, a->res.passes);
    GT_ASSERT_INT_EQ(b->res.fell_back, a->res.fell_back);
    GT_ASSERT_MEM_EQ(&b->res.threshold, &a->res.threshold, sizeof a->res.threshold);
    GT_ASSERT_MEM_EQ(&b->res.scale, &a->res.scale, sizeof a->res.scale);
    GT_ASSERT_MEM_EQ(&b->res.quality, &a->res.quality, sizeof a->res.quality);
    uint64_t n = a->res.count < a->capacity ? a->res.count : a->capacity;
    if (a->rc == GTAP_OK && b->res.count == a->res.count) {
        GT_ASSERT_MEM_EQ(b->indices, a->indices, (size_t)n * sizeof *a->indices);
        GT_ASSERT_MEM_EQ(b->values, a->values, (size_t)n * sizeof *a->values);
    }
    if (CU_get_number_of_failures() > 0) fprintf(stderr, "  (%s)\n", what);
}

static void compare_thread_counts(sp_dist dist)
{
    float *u = malloc(D * sizeof *u);
    GT_ASSERT_FATAL(u != NULL);
    uint64_t state = 1234 + (uint64_t)dist;
    sp_fill(u, D, dist, &state);
    static const double rhos[] = {0.001, 0.05, 0.5};
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < KIND_COUNT; i++)
            for (int exact = 0; exact <= (kinds[i] == GTAP_SPARSIFY_GAUSSIANK); exact++) {
                uint64_t k = 0;
                GT_ASSERT_OK(gtap_k_from_density(rhos[r], D, &k));
                sp_output one = run_on(kinds[i], exact, 1, u, k);
                GT_ASSERT_INT_EQ(one.rc, GTAP_OK);
                for (int threads = 2; threads <= 3; threads++) {
                    sp_output many = run_on(kinds[i], exact, threads, u, k);
                    char what[96];
                    snprintf(what, sizeof what, "%s%s rho=%g threads=%d", gtap_sparsifier_kind_name(kinds[i]),
                             exact ? " exact" : "", rhos[r], threads);
                    assert_same(&one, &many, what);
                    sp_output_free(&many);
                }
                sp_output_free(&one);
            }
    free(u);
}

static void test_threads_normal(void) { compare_thread_counts(SP_NORMAL); }
static void test_threads_laplace(void) { compare_thread_counts(SP_LAPLACE); }
static void test_threads_ties(void) { compare_thread_counts(SP_FEW_VALUES); }

static void test_threads_nonfinite(void)
{
    float *u = malloc(D * sizeof *u);
    GT_ASSERT_FATAL(u != NULL);
    uint64_t state = 99;
    sp_fill(u, D, SP_NORMAL, &state);
    u[5] = NAN, u[D / 2] = INFINITY, u[D - 1] = -INFINITY;
    for (int i = 0; i < KIND_COUNT; i++)
        for (int threads = 1; threads <= 3; threads++) {
            sp_output out = run_on(kinds[i], 0, threads, u, 300);
            GT_ASSERT_INT_EQ(out.rc, GTAP_ENONFINITE);
            GT_ASSERT_U64_EQ(out.res.count, 0);
            if (kinds[i] != GTAP_SPARSIFY_DGCK && kinds[i] != GTAP_SPARSIFY_GAUSSIANK_REF) GT_ASSERT_U64_EQ(out.res.nonfinite, 3);
            sp_output_free(&out);
        }
    free(u);
}

static void test_threads_topk_is_exact(void)
{
    float *u = malloc(D * sizeof *u);
    uint64_t *expected = malloc(D * sizeof *expected);
    GT_ASSERT_FATAL(u != NULL && expected != NULL);
    uint64_t state = 5;
    sp_fill(u, D, SP_FEW_VALUES, &state);
    for (uint64_t k = 1; k <= D; k = k * 7 + 3) {
        sp_brute_topk(u, D, k, expected);
        sp_output out = run_on(GTAP_SPARSIFY_TOPK, 0, 3, u, k);
        GT_ASSERT_INT_EQ(out.rc, GTAP_OK);
        GT_ASSERT_MEM_EQ(out.indices, expected, (size_t)k * sizeof *expected);
        sp_output_free(&out);
    }
    free(u);
    free(expected);
}

/* The one-pass top-k for small k (radix.c, select_sampled) estimates its
 * candidate key from a strided sample; where the sample misleads it must
 * fall back to the two passes and still equal the sort: large values at
 * exactly the sampled positions (too few candidates), and a vector of one
 * repeated magnitude (far too many). Also the k where it answers. */
static void test_topk_sampled_fallbacks(void)
{
    float *u = malloc(D * sizeof *u);
    uint64_t *expected = malloc(D * sizeof *expected);
    GT_ASSERT_FATAL(u != NULL && expected != NULL);
    uint64_t state = 23, stride = D / 8192;
    for (int layout = 0; layout < 3; layout++) {
        sp_fill(u, D, SP_NORMAL, &state);
        if (layout == 0)
            for (uint64_t j = 0; j < 8192; j++) u[j * stride + stride / 2] = 1000.0f + (float)j;
        if (layout == 1)
            for (uint64_t i = 0; i < D; i++) u[i] = (i % 3) ? 0.5f : -0.5f;
        const uint64_t ks[] = {1, 37, 300, 3000, 9000};
        for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
            sp_brute_topk(u, D, ks[j], expected);
            for (int threads = 1; threads <= 2; threads++) {
                sp_output out = run_on(GTAP_SPARSIFY_TOPK, 0, threads, u, ks[j]);
                GT_ASSERT_INT_EQ(out.rc, GTAP_OK);
                GT_ASSERT_MEM_EQ(out.indices, expected, (size_t)ks[j] * sizeof *expected);
                sp_output_free(&out);
            }
        }
    }
    free(u);
    free(expected);
}

/* Caller buffers smaller than d: the gathered pairs go through scratch. */
static void test_threads_small_capacity(void)
{
    float *u = malloc(D * sizeof *u);
    GT_ASSERT_FATAL(u != NULL);
    uint64_t state = 17;
    sp_fill(u, D, SP_LAPLACE, &state);
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_THRESHOLD);
    opt.lambda = 3.0;
    sp_output one = sp_run_once(&opt, u, D, 0, 0);
    GT_ASSERT_FATAL(one.rc == GTAP_OK && one.res.count > 2 && one.res.count < D / 4);
    uint64_t n = one.res.count, *indices = malloc(n * sizeof *indices);
    float *values = malloc(n * sizeof *values);
    GT_ASSERT_FATAL(indices != NULL && values != NULL);
    for (int threads = 2; threads <= 3; threads++) {
        opt.threads = threads;
        gtap_sparsifier *sp = NULL;
        GT_ASSERT_OK(gtap_sparsifier_create(&opt, D, &sp));
        gtap_sparsify_result res;
        GT_ASSERT_OK(gtap_sparsify(sp, u, D, 0, 0, indices, values, n, &res));
        GT_ASSERT_MEM_EQ(indices, one.indices, (size_t)n * sizeof *indices);
        GT_ASSERT_MEM_EQ(values, one.values, (size_t)n * sizeof *values);
        GT_ASSERT_STATUS(gtap_sparsify(sp, u, D, 0, 0, indices, values, n - 1, &res), GTAP_EOVERFLOW);
        GT_ASSERT_U64_EQ(res.count, n);
        gtap_sparsifier_free(sp);
    }
    sp_output_free(&one);
    free(indices);
    free(values);
    free(u);
}

static void test_threads_option_checked(void)
{
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    GT_ASSERT_INT_EQ(opt.threads, 1);
    gtap_sparsifier *sp = NULL;
    opt.threads = -1;
    GT_ASSERT_STATUS(gtap_sparsifier_create(&opt, 10, &sp), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "threads");
    opt.threads = 0; /* OpenMP's default */
    GT_ASSERT_OK(gtap_sparsifier_create(&opt, 10, &sp));
    gtap_sparsifier_free(sp);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"every kind: same output on 1, 2, 3 threads (normal)", test_threads_normal},
        {"every kind: same output on 1, 2, 3 threads (Laplace)", test_threads_laplace},
        {"every kind: same output on 1, 2, 3 threads (ties)", test_threads_ties},
        {"NaN/Inf reported alike on every thread count", test_threads_nonfinite},
        {"top-k on 3 threads equals the sort", test_threads_topk_is_exact},
        {"one-pass top-k falls back where its sample misleads", test_topk_sampled_fallbacks},
        {"buffers smaller than d on 2, 3 threads", test_threads_small_capacity},
        {"threads option: default 1, 0 allowed, negative refused", test_threads_option_checked},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"sparsify_threads", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
