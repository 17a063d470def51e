/* test_sparsify_kinds.c - what each compressor promises (docs/THEORY.md s.2, s.4):
 * top-k's deterministic bound r_k <= 1 - k/d, random-k's expectation
 * 1 - k/d and uniform inclusion, the unbiased variant's mean, scaled sign's
 * exact identity, the hard threshold's d lambda^2, that threshold kinds keep
 * a top set (r <= 1 - count/d), gaussiank-ref's documented oscillation on
 * Laplace data and its empty selection on uniform data, gaussiank reaching
 * its band, DGC for large densities, and the quality report. */
#include <stdlib.h>

#include "gtap_test.h"
#include "sp_check.h"

/* Tolerances: sums of squares in double over at most 2^20 float32 values. */
#define REL_TOL 1e-9

static void test_topk_contraction_and_quality(void)
{
    uint64_t state = gtap_test_seed("topk contraction");
    enum { D = 4096 };
    static float u[D];
    static uint64_t expected[D];
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    opt.quality = 1;
    const sp_dist dists[] = {SP_NORMAL, SP_LAPLACE, SP_UNIFORM, SP_SHIFTED_NORMAL, SP_FEW_VALUES};
    for (int trial = 0; trial < 60; trial++) {
        sp_dist dist = dists[trial % 5];
        sp_fill(u, D, dist, &state);
        if (trial == 59)
            for (uint64_t i = 0; i < D; i++) u[i] = (i % 3) ? 0.25f : -0.25f; /* r_k = 1 - k/d exactly */
        uint64_t k = 1 + (uint64_t)(gtap_test_rand_uniform(&state) * (D - 1));
        sp_output out = sp_run_once(&opt, u, D, k, 0);
        GT_ASSERT_OK(out.rc);
        double norm2 = sp_norm2(u, D);
        double ratio = sp_error2(u, D, out.indices, out.values, out.res.count) / norm2;
        double bound = 1.0 - (double)k / D;
        GT_ASSERT_DBL_CMP(ratio, <=, bound * (1 + REL_TOL));
        /* The quality report against an independent sort. */
        sp_brute_topk(u, D, k, expected);
        double head = 0.0;
        for (uint64_t j = 0; j < k; j++) head += (double)u[expected[j]] * u[expected[j]];
        GT_ASSERT_FATAL(out.res.has_quality);
        GT_ASSERT_NEAR(out.res.quality.recall, 1.0, 0, 0);
        GT_ASSERT_NEAR(out.res.quality.energy_kept, 1.0, 0, 1e-12);
        GT_ASSERT_NEAR(out.res.quality.head_energy, head, 0, 1e-12);
        GT_ASSERT_NEAR(out.res.quality.norm2, norm2, 0, 1e-12);
        GT_ASSERT_NEAR(out.res.quality.ratio, ratio, 1e-15, 1e-9);
        GT_ASSERT_NEAR(out.res.quality.delta, 1.0 - ratio, 1e-15, 1e-9);
        float kth = INFINITY; /* the k-th largest |u_i|: the smallest kept */
        for (uint64_t j = 0; j < k; j++) kth = fabsf(u[expected[j]]) < kth ? fabsf(u[expected[j]]) : kth;
        GT_ASSERT_NEAR(out.res.threshold, kth, 0, 0);
        sp_output_free(&out);
    }
}

/* E ||u - Rand_k(u)||^2 = (1 - k/d) ||u||^2; every index kept with
 * probability k/d. Over N streams the mean ratio must lie within 4 standard
 * errors (estimated from the same runs) of 1 - k/d, and every index's
 * inclusion count within 5 binomial standard deviations of N k/d. */
static void test_randk_expectation(void)
{
    uint64_t state = gtap_test_seed("randk expectation");
    enum { D = 1000, K = 100, N = 3000 };
    static float u[D];
    static uint64_t hits[D];
    sp_fill(u, D, SP_LAPLACE, &state);
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_RANDK);
    opt.seed = state;
    gtap_sparsifier *sp = NULL;
    GT_ASSERT_OK(gtap_sparsifier_create(&opt, D, &sp));
    uint64_t indices[K];
    float values[K];
    double norm2 = sp_norm2(u, D), sum = 0.0, sum2 = 0.0;
    for (uint64_t stream = 0; stream < N; stream++) {
        gtap_sparsify_result res;
        GT_ASSERT_OK(gtap_sparsify(sp, u, D, K, stream, indices, values, K, &res));
        GT_ASSERT_U64_EQ(res.count, K);
        sp_output view = {indices, values, K, res, 0};
        GT_ASSERT(sp_output_well_formed(u, D, &view, 1));
        for (int j = 0; j < K; j++) hits[indices[j]]++;
        double ratio = sp_error2(u, D, indices, values, K) / norm2;
        sum += ratio;
        sum2 += ratio * ratio;
    }
    gtap_sparsifier_free(sp);
    double mean = sum / N, sd = sqrt((sum2 / N - mean * mean) * N / (N - 1)), se = sd / sqrt((double)N);
    printf("  randk: mean ratio %.6f (expected %.6f), standard error %.2g\n", mean, 1.0 - (double)K / D, se);
    GT_ASSERT_NEAR(mean, 1.0 - (double)K / D, 4.0 * se, 0);
    double p = (double)K / D, expected = N * p, spread = 5.0 * sqrt(N * p * (1 - p));
    uint64_t worst = 0;
    for (int i = 0; i < D; i++) {
        uint64_t off = (uint64_t)fabs((double)hits[i] - expected);
        worst = off > worst ? off : worst;
    }
    GT_ASSERT_DBL_CMP(worst, <=, spread);
}

/* The unbiased variant: E C(u) = u. Sum over i of (mean_i - u_i)^2 / var_i
 * is about chi-square with d degrees of freedom (var_i = u_i^2 (d/k - 1)/N);
 * it must lie within d +- 6 sqrt(2d). */
static void test_randk_unbiased_mean(void)
{
    uint64_t state = gtap_test_seed("randk unbiased");
    enum { D = 400, K = 40, N = 4000 };
    static float u[D];
    static double acc[D];
    sp_fill(u, D, SP_NORMAL, &state);
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_RANDK_UNBIASED);
    gtap_sparsifier *sp = NULL;
    GT_ASSERT_OK(gtap_sparsifier_create(&opt, D, &sp));
    uint64_t indices[K];
    float values[K];
    for (uint64_t stream = 0; stream < N; stream++) {
        gtap_sparsify_result res;
        GT_ASSERT_OK(gtap_sparsify(sp, u, D, K, stream, indices, values, K, &res));
        GT_ASSERT_NEAR(res.scale, 10.0, 0, 1e-7);
        for (int j = 0; j < K; j++) acc[indices[j]] += values[j];
    }
    gtap_sparsifier_free(sp);
    double chi2 = 0.0;
    for (int i = 0; i < D; i++) {
        double mean = acc[i] / N, var = (double)u[i] * u[i] * ((double)D / K - 1.0) / N;
        chi2 += (mean - u[i]) * (mean - u[i]) / var;
    }
    printf("  randk-unbiased: chi-square %.1f for %d degrees of freedom\n", chi2, D);
    GT_ASSERT_NEAR(chi2, (double)D, 6.0 * sqrt(2.0 * D), 0);
}

/* ||u - C(u)||^2 = ||u||^2 - ||u||_1^2 / d for scaled sign, zeros included. */
static void test_sign_identity(void)
{
    uint64_t state = gtap_test_seed("sign identity");
    enum { D = 5000 };
    static float u[D];
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_SIGN);
    for (int trial = 0; trial < 6; trial++) {
        sp_fill(u, D, trial % 2 ? SP_FEW_VALUES : SP_SHIFTED_NORMAL, &state); /* FEW_VALUES has zeros */
        sp_output out = sp_run_once(&opt, u, D, 0, 0);
        GT_ASSERT_OK(out.rc);
        GT_ASSERT_U64_EQ(out.res.count, D);
        double l1 = 0.0;
        for (int i = 0; i < D; i++) l1 += fabs((double)u[i]);
        float scale = (float)(l1 / D);
        for (int i = 0; i < D; i++) GT_ASSERT_DBL_CMP_FATAL(out.values[i], ==, (u[i] < 0 ? -scale : scale));
        double lhs = sp_error2(u, D, out.indices, out.values, D), rhs = sp_norm2(u, D) - l1 * l1 / D;
        /* The scale is rounded to float: relative error about 2^-24. */
        GT_ASSERT_NEAR(lhs, rhs, 0, 1e-6);
        sp_output_free(&out);
    }
}

/* Hard threshold keeps exactly {|u_i| >= lambda}; error <= d lambda^2. */
static void test_threshold_bound(void)
{
    uint64_t state = gtap_test_seed("threshold bound");
    enum { D = 20000 };
    static float u[D];
    sp_fill(u, D, SP_LAPLACE, &state);
    const double lambdas[] = {0.0, 0.01, 0.5, 1.0, 3.0, 1e9};
    for (size_t l = 0; l < sizeof lambdas / sizeof lambdas[0]; l++) {
        gtap_sparsify_options opt;
        gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_THRESHOLD);
        opt.lambda = lambdas[l];
        sp_output out = sp_run_once(&opt, u, D, 0, 0);
        GT_ASSERT_OK(out.rc);
        uint64_t expected = 0;
        for (int i = 0; i < D; i++) expected += fabs((double)u[i]) >= lambdas[l];
        GT_ASSERT_U64_EQ(out.res.count, expected);
        GT_ASSERT(sp_output_well_formed(u, D, &out, 1));
        double error = sp_error2(u, D, out.indices, out.values, out.res.count);
        GT_ASSERT_DBL_CMP(error, <=, (double)D * lambdas[l] * lambdas[l]);
        sp_output_free(&out);
    }
}

/* Threshold kinds keep a top set: every kept |u_i| is >= every dropped one
 * (so r <= 1 - count/d); the reference Gaussian-k compares with ">". */
static int keeps_a_top_set(const float *u, uint64_t d, const sp_output *out)
{
    float min_kept = INFINITY, max_dropped = 0.0f;
    uint64_t j = 0;
    for (uint64_t i = 0; i < d; i++) {
        float a = fabsf(u[i]);
        if (j < out->res.count && out->indices[j] == i) {
            min_kept = a < min_kept ? a : min_kept;
            j++;
        } else {
            max_dropped = a > max_dropped ? a : max_dropped;
        }
    }
    return out->res.count == 0 || out->res.count == d || min_kept >= max_dropped;
}

static void test_threshold_kinds_keep_top_sets(void)
{
    uint64_t state = gtap_test_seed("top sets");
    enum { D = 50000 };
    static float u[D];
    const gtap_sparsifier_kind kinds[] = {GTAP_SPARSIFY_GAUSSIANK, GTAP_SPARSIFY_GAUSSIANK_REF, GTAP_SPARSIFY_DGCK,
                                          GTAP_SPARSIFY_REDSYNC, GTAP_SPARSIFY_TRIMMED};
    const sp_dist dists[] = {SP_NORMAL, SP_LAPLACE, SP_UNIFORM, SP_SHIFTED_NORMAL, SP_FEW_VALUES};
    const double rhos[] = {0.001, 0.01, 0.1};
    for (size_t di = 0; di < 5; di++) {
        sp_fill(u, D, dists[di], &state);
        double norm2 = sp_norm2(u, D);
        for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
            for (size_t ri = 0; ri < 3; ri++) {
                gtap_sparsify_options opt;
                gtap_sparsify_options_init(&opt, kinds[ki]);
                uint64_t k = 0;
                gtap_k_from_density(rhos[ri], D, &k);
                sp_output out = sp_run_once(&opt, u, D, k, ri);
                GT_ASSERT_OK(out.rc);
                GT_ASSERT(sp_output_well_formed(u, D, &out, 1));
                GT_ASSERT(keeps_a_top_set(u, D, &out));
                double ratio = sp_error2(u, D, out.indices, out.values, out.res.count) / norm2;
                GT_ASSERT_DBL_CMP(ratio, <=, (1.0 - (double)out.res.count / D) * (1 + REL_TOL));
                if (kinds[ki] == GTAP_SPARSIFY_DGCK) {
                    GT_ASSERT_U64_CMP(out.res.count, <=, out.capacity);
                    int dgck_ok = out.res.count == k || !out.res.fell_back || (double)out.res.count < 0.8 * k;
                    gtap_test_assert(dgck_ok, 0, __LINE__, __FILE__,
                                     "dgck count == k, or no fallback, or count < 0.8 k (count %llu, k %llu, "
                                     "fell_back %d)",
                                     (unsigned long long)out.res.count, (unsigned long long)k, (int)out.res.fell_back);
                }
                sp_output_free(&out);
            }
        }
    }
}

/* docs/THEORY.md s.4.5: on Laplace data at rho = 0.01 the reference Gaussian-k
 * goes 2.6k -> 0.43k -> 6.5k (t x1.5 then x0.5) and stops after 3 passes
 * at about 6.5k; on uniform data it selects nothing. gradtap's gaussiank
 * lands in its band on the same vectors. */
static void test_gaussiank_ref_oscillates(void)
{
    uint64_t state = gtap_test_seed("gaussiank-ref");
    enum { D = 1 << 20 };
    float *u = malloc(D * sizeof *u);
    uint64_t k = 0;
    gtap_k_from_density(0.01, D, &k);
    gtap_sparsify_options ref, ours;
    gtap_sparsify_options_init(&ref, GTAP_SPARSIFY_GAUSSIANK_REF);
    gtap_sparsify_options_init(&ours, GTAP_SPARSIFY_GAUSSIANK);

    sp_fill(u, D, SP_LAPLACE, &state);
    sp_output out = sp_run_once(&ref, u, D, k, 0);
    GT_ASSERT_OK(out.rc);
    double ratio = (double)out.res.count / (double)k;
    printf("  gaussiank-ref on Laplace, rho 0.01: %.3f k after %d passes\n", ratio, out.res.passes);
    GT_ASSERT_INT_EQ(out.res.passes, 3);
    GT_ASSERT_NEAR(ratio, exp(-2.5758293035489 * sqrt(2.0) * 0.75) / 0.01, 0, 0.03); /* 6.51 */
    GT_ASSERT(out.res.fell_back);
    sp_output_free(&out);
    out = sp_run_once(&ours, u, D, k, 0);
    GT_ASSERT_OK(out.rc);
    printf("  gaussiank on Laplace, rho 0.01: %.3f k after %d passes\n", (double)out.res.count / k, out.res.passes);
    GT_ASSERT_DBL_CMP(out.res.count, >=, 0.8 * k);
    GT_ASSERT_DBL_CMP(out.res.count, <=, 1.25 * k);
    GT_ASSERT(!out.res.fell_back);
    GT_ASSERT_INT_CMP(out.res.passes, <=, 4);
    sp_output_free(&out);

    sp_fill(u, D, SP_UNIFORM, &state);
    out = sp_run_once(&ref, u, D, k, 0);
    GT_ASSERT_OK(out.rc);
    GT_ASSERT_U64_EQ(out.res.count, 0);
    GT_ASSERT_INT_EQ(out.res.passes, 3);
    sp_output_free(&out);
    out = sp_run_once(&ours, u, D, k, 0);
    GT_ASSERT_OK(out.rc);
    printf("  gaussiank on uniform, rho 0.01: %.3f k after %d passes\n", (double)out.res.count / k, out.res.passes);
    GT_ASSERT_DBL_CMP(out.res.count, >=, 0.8 * k);
    GT_ASSERT_DBL_CMP(out.res.count, <=, 1.25 * k);
    sp_output_free(&out);

    /* On Gaussian data the first threshold is already in the band. */
    sp_fill(u, D, SP_SHIFTED_NORMAL, &state);
    out = sp_run_once(&ours, u, D, k, 0);
    GT_ASSERT_OK(out.rc);
    GT_ASSERT_INT_EQ(out.res.passes, 1);
    GT_ASSERT_DBL_CMP(out.res.count, >=, 0.8 * k);
    GT_ASSERT_DBL_CMP(out.res.count, <=, 1.25 * k);
    sp_output_free(&out);
    free(u);
}

/* DGC at densities above the reference code's 1%: works, keeps between
 * 0.8k and 1.3k or exactly k, and recall is high. */
static void test_dgck_large_density(void)
{
    uint64_t state = gtap_test_seed("dgck");
    enum { D = 200000 };
    float *u = malloc(D * sizeof *u);
    sp_fill(u, D, SP_NORMAL, &state);
    const double rhos[] = {0.001, 0.01, 0.05, 0.2, 0.5, 1.0};
    for (size_t ri = 0; ri < sizeof rhos / sizeof rhos[0]; ri++) {
        gtap_sparsify_options opt;
        gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_DGCK);
        opt.quality = 1;
        uint64_t k = 0;
        gtap_k_from_density(rhos[ri], D, &k);
        sp_output out = sp_run_once(&opt, u, D, k, 5);
        GT_ASSERT_OK(out.rc);
        GT_ASSERT_DBL_CMP(out.res.count, >=, 0.8 * k);
        GT_ASSERT_DBL_CMP(out.res.count, <=, 1.3 * k);
        GT_ASSERT_DBL_CMP(out.res.quality.recall, >, 0.75);
        sp_output_free(&out);
    }
    free(u);
}

/* The quality of another compressor's output against an independent
 * computation, and undefined ratios for u = 0. */
static void test_quality_of_randk(void)
{
    uint64_t state = gtap_test_seed("quality");
    enum { D = 3000, K = 300 };
    static float u[D];
    static uint64_t top[D];
    sp_fill(u, D, SP_NORMAL, &state);
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_RANDK);
    opt.quality = 1;
    sp_output out = sp_run_once(&opt, u, D, K, 1);
    GT_ASSERT_OK(out.rc);
    sp_brute_topk(u, D, K, top);
    uint64_t common = 0;
    double kept = 0.0, head = 0.0;
    for (int j = 0; j < K; j++) {
        head += (double)u[top[j]] * u[top[j]];
        kept += (double)out.values[j] * out.values[j];
        for (int l = 0; l < K; l++) common += out.indices[j] == top[l];
    }
    GT_ASSERT_NEAR(out.res.quality.recall, (double)common / K, 0, 1e-15);
    GT_ASSERT_NEAR(out.res.quality.energy_kept, kept / head, 0, 1e-12);
    GT_ASSERT_NEAR(out.res.quality.ratio, sp_error2(u, D, out.indices, out.values, K) / sp_norm2(u, D), 0, 1e-9);
    sp_output_free(&out);

    static float zero[D];
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    opt.quality = 1;
    out = sp_run_once(&opt, zero, D, K, 0);
    GT_ASSERT_OK(out.rc);
    GT_ASSERT(out.res.quality.zero_input);
    GT_ASSERT(isnan(out.res.quality.ratio) && isnan(out.res.quality.delta));
    GT_ASSERT(isnan(out.res.quality.energy_kept));
    sp_output_free(&out);

    gtap_sparsifier *sp = NULL;
    GT_ASSERT_OK(gtap_sparsifier_create(&opt, D, &sp));
    gtap_sparsify_quality q;
    uint64_t bad_order[2] = {5, 3};
    float vals[2] = {1, 1};
    GT_ASSERT_STATUS(gtap_sparsify_evaluate(sp, u, D, K, bad_order, vals, 2, &q), GTAP_EINVAL);
    uint64_t out_of_range[1] = {D};
    GT_ASSERT_STATUS(gtap_sparsify_evaluate(sp, u, D, K, out_of_range, vals, 1, &q), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_sparsify_evaluate(sp, u, D, 0, NULL, NULL, 0, &q));
    GT_ASSERT(isnan(q.recall));
    GT_ASSERT_NEAR(q.ratio, 1.0, 0, 0);
    gtap_sparsifier_free(sp);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"top-k: r_k <= 1 - k/d and its quality report", test_topk_contraction_and_quality},
        {"random-k: E ratio = 1 - k/d, uniform inclusion", test_randk_expectation},
        {"random-k unbiased: E C(u) = u", test_randk_unbiased_mean},
        {"scaled sign: ||u - C(u)||^2 = ||u||^2 - ||u||_1^2/d", test_sign_identity},
        {"hard threshold: |u_i| >= lambda, error <= d lambda^2", test_threshold_bound},
        {"threshold kinds keep top sets", test_threshold_kinds_keep_top_sets},
        {"gaussiank-ref oscillates on Laplace, empty on uniform", test_gaussiank_ref_oscillates},
        {"dgck for rho up to 100%", test_dgck_large_density},
        {"quality of a random-k output; u = 0", test_quality_of_randk},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"sparsify_kinds", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
