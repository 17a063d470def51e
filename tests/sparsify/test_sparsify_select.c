/* test_sparsify_select.c - exact selection: radix top-k against a brute-force
 * sort on many vectors (ties, signed zeros, d = 1, k = d), the exactly-k
 * modes of gaussiank/trimmed/dgck, argument checks (k = 0, k > d, d > d_max,
 * NaN/Inf), determinism, names and the counter-based generator. */
#include <stdlib.h>

#include "gtap_test.h"
#include "sp_check.h"

static const sp_dist all_dists[] = {SP_NORMAL, SP_LAPLACE, SP_UNIFORM, SP_SHIFTED_NORMAL, SP_FEW_VALUES};
enum { DIST_COUNT = sizeof all_dists / sizeof all_dists[0] };

/* `kind` (with count_mode) must return exactly the brute-force Top_k. */
static void check_exact_kind(gtap_sparsifier_kind kind, gtap_count_mode mode, const char *name)
{
    uint64_t state = gtap_test_seed(name);
    const uint64_t dims[] = {1, 2, 7, 100, 1000, 4099, 30000};
    const double rhos[] = {0.0001, 0.001, 0.01, 0.05, 0.3, 1.0};
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, kind);
    opt.count_mode = mode;
    int cases = 0, failures = 0;
    for (size_t di = 0; di < sizeof dims / sizeof dims[0]; di++) {
        uint64_t d = dims[di];
        float *u = malloc(d * sizeof *u);
        uint64_t *expected = malloc(d * sizeof *expected);
        for (int dist = 0; dist < DIST_COUNT; dist++) {
            sp_fill(u, d, all_dists[dist], &state);
            for (size_t ri = 0; ri < sizeof rhos / sizeof rhos[0]; ri++) {
                uint64_t k = 0;
                GT_ASSERT_OK(gtap_k_from_density(rhos[ri], d, &k));
                sp_brute_topk(u, d, k, expected);
                sp_output out = sp_run_once(&opt, u, d, k, 3);
                cases++;
                int ok = out.rc == GTAP_OK && out.res.count == k && sp_output_well_formed(u, d, &out, 1) &&
                         memcmp(out.indices, expected, k * sizeof *expected) == 0;
                if (!ok && failures++ < 5)
                    gtap_test_assert(0, 0, __LINE__, __FILE__, "%s d=%llu dist=%d k=%llu: rc %d count %llu (%s)",
                                     name, (unsigned long long)d, dist, (unsigned long long)k, out.rc,
                                     (unsigned long long)out.res.count, gtap_last_error());
                sp_output_free(&out);
            }
        }
        free(u);
        free(expected);
    }
    GT_ASSERT_INT_EQ(failures, 0);
    GT_ASSERT_INT_CMP(cases, >, 100);
}

static void test_topk_matches_sort(void) { check_exact_kind(GTAP_SPARSIFY_TOPK, GTAP_COUNT_VARIABLE, "topk"); }
static void test_gaussiank_exact_matches_sort(void)
{
    check_exact_kind(GTAP_SPARSIFY_GAUSSIANK, GTAP_COUNT_EXACT, "gaussiank-exact");
}
static void test_trimmed_matches_sort(void) { check_exact_kind(GTAP_SPARSIFY_TRIMMED, GTAP_COUNT_VARIABLE, "trimmed"); }

/* Ties: magnitudes drawn from {0, 1, 2} with both signs and signed zeros;
 * the lower index must win at the boundary. */
static void test_topk_ties_lower_index(void)
{
    uint64_t state = gtap_test_seed("topk ties");
    enum { D = 5000 };
    static float u[D];
    static uint64_t expected[D];
    for (uint64_t i = 0; i < D; i++) {
        int level = (int)(gtap_test_rand_uniform(&state) * 3.0);
        float sign = gtap_test_rand_uniform(&state) < 0.5 ? -1.0f : 1.0f;
        u[i] = sign * (float)level; /* level 0 gives +0 or -0 */
    }
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    const uint64_t ks[] = {1, 17, 1000, 1666, 1667, 3000, 4999, 5000};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        sp_brute_topk(u, D, ks[i], expected);
        sp_output out = sp_run_once(&opt, u, D, ks[i], 0);
        GT_ASSERT_OK(out.rc);
        GT_ASSERT_U64_EQ(out.res.count, ks[i]);
        GT_ASSERT_MEM_EQ(out.indices, expected, ks[i] * sizeof *expected);
        GT_ASSERT(sp_output_well_formed(u, D, &out, 1));
        sp_output_free(&out);
    }
    /* All equal: the first k indices. */
    for (uint64_t i = 0; i < D; i++) u[i] = (i % 2) ? -0.5f : 0.5f;
    sp_output out = sp_run_once(&opt, u, D, 10, 0);
    GT_ASSERT_OK(out.rc);
    for (uint64_t j = 0; j < 10; j++) GT_ASSERT_U64_EQ(out.indices[j], j);
    GT_ASSERT_NEAR(out.res.threshold, 0.5, 0, 0);
    sp_output_free(&out);
}

static void test_small_and_full(void)
{
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    float one = -3.0f;
    sp_output out = sp_run_once(&opt, &one, 1, 1, 0);
    GT_ASSERT_OK(out.rc);
    GT_ASSERT_U64_EQ(out.res.count, 1);
    GT_ASSERT_U64_EQ(out.indices[0], 0);
    GT_ASSERT_NEAR(out.values[0], -3.0, 0, 0);
    sp_output_free(&out);
    float u[6] = {0.0f, -1.0f, 2.0f, -0.0f, 5.0f, 1.0f};
    out = sp_run_once(&opt, u, 6, 6, 0);
    GT_ASSERT_OK(out.rc);
    for (uint64_t j = 0; j < 6; j++) GT_ASSERT_U64_EQ(out.indices[j], j);
    sp_output_free(&out);
    /* Every kind accepts d = 1 and k = d. */
    for (int kind = 0; kind < GTAP_SPARSIFY_KIND_COUNT; kind++) {
        gtap_sparsify_options_init(&opt, (gtap_sparsifier_kind)kind);
        out = sp_run_once(&opt, &one, 1, 1, 0);
        GT_ASSERT_OK(out.rc);
        GT_ASSERT_U64_CMP(out.res.count, <=, 1);
        sp_output_free(&out);
        out = sp_run_once(&opt, u, 6, 6, 0);
        GT_ASSERT_OK(out.rc);
        GT_ASSERT(sp_output_well_formed(u, 6, &out, 0));
        sp_output_free(&out);
    }
}

static void test_bad_arguments(void)
{
    float u[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint64_t indices[16];
    float values[16];
    gtap_sparsify_result res;
    for (int kind = 0; kind < GTAP_SPARSIFY_KIND_COUNT; kind++) {
        gtap_sparsify_options opt;
        gtap_sparsify_options_init(&opt, (gtap_sparsifier_kind)kind);
        gtap_sparsifier *sp = NULL;
        GT_ASSERT_OK(gtap_sparsifier_create(&opt, 8, &sp));
        int uses_k = kind != GTAP_SPARSIFY_THRESHOLD && kind != GTAP_SPARSIFY_SIGN && kind != GTAP_SPARSIFY_NONE;
        int expect = uses_k ? GTAP_EINVAL : GTAP_OK;
        GT_ASSERT_STATUS(gtap_sparsify(sp, u, 8, 0, 0, indices, values, 16, &res), expect);
        if (uses_k) GT_ASSERT_STR_CONTAINS(gtap_last_error(), "k = 0");
        GT_ASSERT_STATUS(gtap_sparsify(sp, u, 8, 9, 0, indices, values, 16, &res), expect);
        GT_ASSERT_STATUS(gtap_sparsify(sp, u, 9, 1, 0, indices, values, 16, &res), GTAP_EINVAL);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "d_max");
        GT_ASSERT_STATUS(gtap_sparsify(sp, u, 0, 1, 0, indices, values, 16, &res), GTAP_EINVAL);
        GT_ASSERT_STATUS(gtap_sparsify(sp, NULL, 8, 1, 0, indices, values, 16, &res), GTAP_EINVAL);
        GT_ASSERT_STATUS(gtap_sparsify(sp, u, 8, 1, 0, NULL, values, 16, &res), GTAP_EINVAL);
        GT_ASSERT_STATUS(gtap_sparsify(NULL, u, 8, 1, 0, indices, values, 16, &res), GTAP_EINVAL);
        /* No room for the output: GTAP_EOVERFLOW with the count needed. */
        GT_ASSERT_STATUS(gtap_sparsify(sp, u, 8, 8, 0, indices, values, 0, &res), GTAP_EOVERFLOW);
        GT_ASSERT_U64_CMP(res.count, >=, 1);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "output holds 0");
        /* Fixed-count kinds refuse a buffer one short before writing. */
        uint64_t cap = 0;
        GT_ASSERT_OK(gtap_sparsifier_capacity(sp, 8, 8, &cap));
        if (cap == 8 && kind != GTAP_SPARSIFY_THRESHOLD && kind != GTAP_SPARSIFY_REDSYNC &&
            kind != GTAP_SPARSIFY_GAUSSIANK_REF && kind != GTAP_SPARSIFY_GAUSSIANK && kind != GTAP_SPARSIFY_DGCK) {
            GT_ASSERT_STATUS(gtap_sparsify(sp, u, 8, 8, 0, indices, values, 7, &res), GTAP_EOVERFLOW);
            GT_ASSERT_U64_EQ(res.count, 8);
        }
        gtap_sparsifier_free(sp);
    }
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_GAUSSIANK);
    gtap_sparsifier *sp = NULL;
    GT_ASSERT_STATUS(gtap_sparsifier_create(&opt, 0, &sp), GTAP_EINVAL);
    GT_ASSERT_NULL(sp);
    opt.band_low = 1.5;
    GT_ASSERT_STATUS(gtap_sparsifier_create(&opt, 8, &sp), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "band_low");
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_THRESHOLD);
    opt.lambda = -1.0;
    GT_ASSERT_STATUS(gtap_sparsifier_create(&opt, 8, &sp), GTAP_EINVAL);
    opt.lambda = NAN;
    GT_ASSERT_STATUS(gtap_sparsifier_create(&opt, 8, &sp), GTAP_EINVAL);
    gtap_sparsify_options_init(&opt, (gtap_sparsifier_kind)99);
    GT_ASSERT_STATUS(gtap_sparsifier_create(&opt, 8, &sp), GTAP_EINVAL);
    gtap_sparsifier_free(NULL);
    uint64_t k = 0;
    GT_ASSERT_OK(gtap_k_from_density(0.001, 999, &k));
    GT_ASSERT_U64_EQ(k, 1);
    GT_ASSERT_OK(gtap_k_from_density(0.01, 1000, &k));
    GT_ASSERT_U64_EQ(k, 10);
    GT_ASSERT_OK(gtap_k_from_density(1.0, 1000, &k));
    GT_ASSERT_U64_EQ(k, 1000);
    GT_ASSERT_STATUS(gtap_k_from_density(0.0, 1000, &k), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_k_from_density(1.5, 1000, &k), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_k_from_density(NAN, 1000, &k), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_k_from_density(0.5, 0, &k), GTAP_EINVAL);
}

/* NaN/Inf: every kind refuses with GTAP_ENONFINITE and counts them. */
static void test_nonfinite_rejected(void)
{
    enum { D = 3000 };
    static float u[D];
    uint64_t state = gtap_test_seed("nonfinite");
    sp_fill(u, D, SP_NORMAL, &state);
    u[5] = NAN;
    u[700] = INFINITY;
    u[2999] = -INFINITY;
    for (int kind = 0; kind < GTAP_SPARSIFY_KIND_COUNT; kind++) {
        gtap_sparsify_options opt;
        gtap_sparsify_options_init(&opt, (gtap_sparsifier_kind)kind);
        sp_output out = sp_run_once(&opt, u, D, 30, 0);
        GT_ASSERT_STATUS(out.rc, GTAP_ENONFINITE);
        GT_ASSERT_U64_EQ(out.res.nonfinite, 3);
        GT_ASSERT_U64_EQ(out.res.count, 0);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), gtap_sparsifier_kind_name((gtap_sparsifier_kind)kind));
        sp_output_free(&out);
    }
    /* A single NaN, selected or not, is found by top-k's histogram. */
    float v[4] = {1.0f, 2.0f, NAN, 0.5f};
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    sp_output out = sp_run_once(&opt, v, 4, 1, 0);
    GT_ASSERT_STATUS(out.rc, GTAP_ENONFINITE);
    sp_output_free(&out);
    gtap_sparsifier *sp = NULL;
    GT_ASSERT_OK(gtap_sparsifier_create(&opt, 4, &sp));
    gtap_sparsify_quality q;
    uint64_t idx[1] = {1};
    float val[1] = {2.0f};
    GT_ASSERT_STATUS(gtap_sparsify_evaluate(sp, v, 4, 1, idx, val, 1, &q), GTAP_ENONFINITE);
    gtap_sparsifier_free(sp);
}

/* Same (seed, stream) gives the same bits; another stream another subset. */
static void test_determinism(void)
{
    enum { D = 20000 };
    static float u[D];
    uint64_t state = gtap_test_seed("determinism");
    sp_fill(u, D, SP_LAPLACE, &state);
    for (int kind = 0; kind < GTAP_SPARSIFY_KIND_COUNT; kind++) {
        gtap_sparsify_options opt;
        gtap_sparsify_options_init(&opt, (gtap_sparsifier_kind)kind);
        opt.seed = 42;
        opt.lambda = 1.5;
        sp_output a = sp_run_once(&opt, u, D, 200, 7);
        sp_output b = sp_run_once(&opt, u, D, 200, 7);
        GT_ASSERT_OK(a.rc);
        GT_ASSERT_OK(b.rc);
        GT_ASSERT_U64_EQ(a.res.count, b.res.count);
        GT_ASSERT_MEM_EQ(a.indices, b.indices, a.res.count * sizeof *a.indices);
        GT_ASSERT_MEM_EQ(a.values, b.values, a.res.count * sizeof *a.values);
        sp_output c = sp_run_once(&opt, u, D, 200, 8);
        int random = kind == GTAP_SPARSIFY_RANDK || kind == GTAP_SPARSIFY_RANDK_UNBIASED;
        if (random) GT_ASSERT_MEM_NE(a.indices, c.indices, a.res.count * sizeof *a.indices);
        sp_output_free(&a);
        sp_output_free(&b);
        sp_output_free(&c);
    }
}

static void test_names_and_generator(void)
{
    for (int kind = 0; kind < GTAP_SPARSIFY_KIND_COUNT; kind++) {
        gtap_sparsifier_kind parsed;
        const char *name = gtap_sparsifier_kind_name((gtap_sparsifier_kind)kind);
        GT_ASSERT_OK(gtap_sparsifier_kind_parse(name, &parsed));
        GT_ASSERT_INT_EQ(parsed, kind);
        GT_ASSERT_STR_CONTAINS(gtap_sparsifier_kind_list(), name);
    }
    gtap_sparsifier_kind parsed;
    GT_ASSERT_STATUS(gtap_sparsifier_kind_parse("top-k", &parsed), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "randk-unbiased");
    GT_ASSERT_STR_EQ(gtap_sparsifier_kind_name((gtap_sparsifier_kind)42), "unknown");
    /* splitmix64 of 0 (the first output of splitmix64 seeded with 0 is
     * mix(0x9e3779b97f4a7c15) = 0xe220a8397b1dcdaf). */
    GT_ASSERT_U64_EQ(gtap_srng_mix(0x9e3779b97f4a7c15ull), 0xe220a8397b1dcdafull);
    GT_ASSERT_U64_CMP(gtap_srng_u64(1, 2, 3), ==, gtap_srng_u64(1, 2, 3));
    GT_ASSERT_U64_CMP(gtap_srng_u64(1, 2, 3), !=, gtap_srng_u64(1, 3, 3));
    /* Bounded draws: in range, all residues of a small n appear evenly. */
    uint64_t counter = 0, hits[7] = {0};
    for (int i = 0; i < 70000; i++) {
        uint64_t x = gtap_srng_below(5, 9, &counter, 7);
        GT_ASSERT_U64_CMP_FATAL(x, <, 7);
        hits[x]++;
    }
    GT_ASSERT_U64_CMP(counter, >=, 70000);
    for (int r = 0; r < 7; r++) GT_ASSERT_NEAR(hits[r], 10000, 500, 0); /* 5 sd of a binomial */
    counter = 0;
    GT_ASSERT_U64_EQ(gtap_srng_below(5, 9, &counter, 1), 0);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"top-k equals a sort (5 distributions, d 1..30000, rho 1e-4..1)", test_topk_matches_sort},
        {"gaussiank exact mode equals Top_k", test_gaussiank_exact_matches_sort},
        {"trimmed top-k equals Top_k", test_trimmed_matches_sort},
        {"ties at the boundary go to the lower index", test_topk_ties_lower_index},
        {"d = 1 and k = d", test_small_and_full},
        {"k = 0, k > d, d > d_max, NULL, small output, bad options", test_bad_arguments},
        {"NaN and Inf rejected and counted", test_nonfinite_rejected},
        {"deterministic per (seed, stream)", test_determinism},
        {"names and the counter-based generator", test_names_and_generator},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"sparsify_select", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
