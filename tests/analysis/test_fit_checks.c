/* test_fit_checks.c - the statistics of gradtap/fit.h that say when they do
 * not apply (docs/RELIABILITY.md "Statistics that say when they do not
 * apply", docs/THEORY.md s.6): exact zeros as an atom, degenerate fits,
 * the KS goodness-of-fit test behind `best`, Fisher-information standard
 * errors against a Monte Carlo spread, the seeded random subsample against
 * an interleaved vector, and data at the edge of float32. */
#include <float.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#include "gradtap/fit.h"
#include "gradtap/stats.h"
#include "gtap_test.h"

/* n draws of loc + scale Z, Z generalized normal with shape beta. */
static float *draw_gennorm(gsl_rng *rng, double loc, double scale, double beta, size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double w = pow(gsl_ran_gamma(rng, 1.0 / beta, 1.0), 1.0 / beta);
        x[i] = (float)(loc + scale * (gsl_rng_uniform(rng) < 0.5 ? -w : w));
    }
    return x;
}

static gsl_rng *seeded_rng(const char *name)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, (unsigned long)gtap_test_seed(name));
    return rng;
}

/* Every number of a fit is finite or NaN, never infinite. */
static void assert_no_infinity(const gtap_fit *f)
{
    double values[] = {f->loc, f->scale, f->shape, f->loc_se, f->scale_se, f->shape_se, f->loglik, f->aic, f->ks, f->ks_p};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) GT_ASSERT(!isinf(values[i]));
    GT_ASSERT(f->note != NULL);
}

/* Exact zeros: with 5% or 33% of them the continuous fits of all values are
 * flagged degenerate (or lose to a sound one), and the zero-atom fit of the
 * non-zero values recovers the generating beta = 1.5. */
static void test_zero_atom(void)
{
    gsl_rng *rng = seeded_rng("fit zero atom");
    const size_t n = 20000;
    const double shares[] = {0.05, 0.33};
    for (size_t c = 0; c < 2; c++) {
        float *x = draw_gennorm(rng, 0.0, 1e-3, 1.5, n);
        size_t zeros = 0;
        for (size_t i = 0; i < n; i++)
            if (gsl_rng_uniform(rng) < shares[c]) x[i] = 0.0f, zeros++;
        gtap_fit all[GTAP_FAMILY_COUNT], nz[GTAP_FAMILY_COUNT];
        gtap_family best_all, best_nz;
        uint64_t counted = 0;
        GT_ASSERT_OK(gtap_fit_all(x, n, all, &best_all));
        const gtap_fit *g = &all[GTAP_FAMILY_GENNORM], *t = &all[GTAP_FAMILY_STUDENT];
        printf(" [%.0f%% zeros, all values: gennorm beta %.3g scale %.3g degenerate %d (%s); student nu %.3g "
               "scale %.3g degenerate %d; best %s]", 100 * shares[c], g->shape, g->scale, g->degenerate, g->note,
               t->shape, t->scale, t->degenerate, gtap_family_name(best_all));
        /* the jump of the atom fails every KS test; with 33% zeros the
         * likelihood of gennorm and Student-t runs away (beta, nu -> 0) */
        GT_ASSERT_INT_EQ(best_all, GTAP_FAMILY_COUNT);
        for (int f = 0; f < GTAP_FAMILY_COUNT; f++) GT_ASSERT(all[f].degenerate || all[f].ks_p < 0.05);
        if (c == 1) GT_ASSERT(g->degenerate && t->degenerate);
        GT_ASSERT_OK(gtap_fit_all_nonzero(x, n, nz, &best_nz, &counted));
        GT_ASSERT_U64_EQ(counted, zeros);
        g = &nz[GTAP_FAMILY_GENNORM];
        printf(" [non-zero: beta %.3g+-%.2g scale %.3g best %s]", g->shape, g->shape_se, g->scale, gtap_family_name(best_nz));
        GT_ASSERT_U64_EQ(g->n, n - zeros);
        GT_ASSERT(!g->degenerate && g->converged);
        GT_ASSERT_NEAR(g->shape, 1.5, 4.0 * g->shape_se, 0);
        GT_ASSERT(best_nz == GTAP_FAMILY_GENNORM || best_nz == GTAP_FAMILY_STUDENT || best_nz == GTAP_FAMILY_GAUSS);
        for (int f = 0; f < GTAP_FAMILY_COUNT; f++) assert_no_infinity(&all[f]), assert_no_infinity(&nz[f]);
        free(x);
    }
    /* only zeros: nothing to fit, every family degenerate, best none */
    float zero[8] = {0};
    gtap_fit fits[GTAP_FAMILY_COUNT];
    gtap_family best = GTAP_FAMILY_GAUSS;
    GT_ASSERT_OK(gtap_fit_all_nonzero(zero, 8, fits, &best, NULL));
    GT_ASSERT_INT_EQ(best, GTAP_FAMILY_COUNT);
    GT_ASSERT_STR_EQ(gtap_family_name(best), "none");
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) GT_ASSERT(fits[f].degenerate && !fits[f].converged);
    gsl_rng_free(rng);
}

/* Kolmogorov's distribution and the 5% critical value. */
static void test_ks_distribution(void)
{
    GT_ASSERT_NEAR(gtap_ks_pvalue(1.0 / (1000 + 0.12 + 0.11 / 1000), 1000000), 0.26999967167735456, 1e-9, 0);
    GT_ASSERT_NEAR(gtap_ks_pvalue(0.5 / (1000 + 0.12 + 0.11 / 1000), 1000000), 0.9639452436648751, 1e-9, 0);
    double critical = gtap_ks_critical(1000000, 0.05);
    GT_ASSERT_NEAR(critical, sqrt(-log(0.025) / 2.0) / 1000.0, 0, 2e-3); /* asymptotic form */
    GT_ASSERT_NEAR(gtap_ks_pvalue(critical, 1000000), 0.05, 1e-9, 0);
    GT_ASSERT_NEAR(gtap_ks_critical(100, 0.05) * (10 + 0.12 + 0.011), 1.3581, 1e-4, 0);
    GT_ASSERT(isnan(gtap_ks_pvalue(0.1, 0)));
    GT_ASSERT(isnan(gtap_ks_critical(10, 0.0)));
}

/* A mixture of two Gaussians that no family fits: `best` says none while
 * the AIC ranking still names the least bad one; Laplace data pass only
 * Laplace (or gennorm, which contains it). */
static void test_goodness_of_fit(void)
{
    gsl_rng *rng = seeded_rng("fit goodness");
    const size_t n = 50000;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(gsl_rng_uniform(rng) < 0.5 ? gsl_ran_gaussian(rng, 1.0) : gsl_ran_gaussian(rng, 7.1));
    gtap_fit fits[GTAP_FAMILY_COUNT];
    gtap_family best;
    GT_ASSERT_OK(gtap_fit_all(x, n, fits, &best));
    printf(" [mixture: ks gauss %.3g laplace %.3g student %.3g gennorm %.3g, critical %.3g; best %s, by AIC %s]",
           fits[0].ks, fits[1].ks, fits[2].ks, fits[3].ks, gtap_ks_critical(n, 0.05), gtap_family_name(best),
           gtap_family_name(gtap_fit_best(fits, 0.0)));
    GT_ASSERT_INT_EQ(best, GTAP_FAMILY_COUNT);
    GT_ASSERT(gtap_fit_best(fits, 0.0) != GTAP_FAMILY_COUNT);
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) GT_ASSERT_DBL_CMP(fits[f].ks_p, <, 0.05);
    for (size_t i = 0; i < n; i++) x[i] = (float)gsl_ran_laplace(rng, 2.0);
    GT_ASSERT_OK(gtap_fit_all(x, n, fits, &best));
    GT_ASSERT_DBL_CMP(fits[GTAP_FAMILY_GAUSS].ks_p, <, 1e-6);
    GT_ASSERT_DBL_CMP(fits[GTAP_FAMILY_LAPLACE].ks_p, >=, 0.05);
    GT_ASSERT(best == GTAP_FAMILY_LAPLACE || best == GTAP_FAMILY_GENNORM);
    free(x);
    gsl_rng_free(rng);
}

typedef struct spread {
    double sum, sum2, se_sum;
    int count;
} spread;

static void spread_add(spread *s, double estimate, double se)
{
    s->sum += estimate;
    s->sum2 += estimate * estimate;
    s->se_sum += se;
    s->count++;
}

/* observed SD of the estimates / mean reported SE */
static double spread_ratio(const spread *s)
{
    double mean = s->sum / s->count, var = (s->sum2 - s->count * mean * mean) / (s->count - 1);
    return sqrt(var) / (s->se_sum / s->count);
}

/* Standard errors from the Fisher information against the spread of 200
 * fits of samples of a known gennorm: within 15% (docs/THEORY.md s.6). */
static void test_se_monte_carlo(void)
{
    gsl_rng *rng = seeded_rng("fit se monte carlo");
    const double betas[] = {0.8, 1.5};
    const size_t n = 2000;
    const int fits_per_case = 200;
    for (size_t c = 0; c < 2; c++) {
        spread loc = {0}, scale = {0}, shape = {0};
        for (int r = 0; r < fits_per_case; r++) {
            float *x = draw_gennorm(rng, 0.0, 1.0, betas[c], n);
            gtap_fit f;
            GT_ASSERT_OK(gtap_fit_family(x, n, GTAP_FAMILY_GENNORM, &f));
            free(x);
            spread_add(&loc, f.loc, f.loc_se);
            spread_add(&scale, f.scale, f.scale_se);
            spread_add(&shape, f.shape, f.shape_se);
        }
        printf(" [beta %.1f, %d fits of n=%zu: SD/SE loc %.3f scale %.3f shape %.3f; mean loc_se %.3g]", betas[c],
               fits_per_case, n, spread_ratio(&loc), spread_ratio(&scale), spread_ratio(&shape), loc.se_sum / loc.count);
        GT_ASSERT_NEAR(spread_ratio(&loc), 1.0, 0.15, 0);
        GT_ASSERT_NEAR(spread_ratio(&scale), 1.0, 0.15, 0);
        GT_ASSERT_NEAR(spread_ratio(&shape), 1.0, 0.15, 0);
    }
    /* beta <= 1/2: no Fisher information about the location */
    float *x = draw_gennorm(rng, 0.0, 1.0, 0.4, n);
    gtap_fit f;
    GT_ASSERT_OK(gtap_fit_family(x, n, GTAP_FAMILY_GENNORM, &f));
    printf(" [beta 0.4 data: beta %.3g loc_se %g note '%s']", f.shape, f.loc_se, f.note);
    if (f.shape <= 0.5) {
        GT_ASSERT(isnan(f.loc_se));
        GT_ASSERT_STR_CONTAINS(f.note, "beta <= 1/2");
    }
    GT_ASSERT(isfinite(f.scale_se) && isfinite(f.shape_se));
    free(x);
    gsl_rng_free(rng);
}

/* An interleaved vector (even entries N(0,1), odd N(0, 7.1^2)): a stride-8
 * sample sees only the even half (sd 1); the random one sees both
 * (sd sqrt((1 + 7.1^2)/2) = 5.07). */
static void test_random_sample(void)
{
    gsl_rng *rng = seeded_rng("fit random sample");
    const size_t d = 400000;
    float *u = malloc(d * sizeof *u);
    for (size_t i = 0; i < d; i++) u[i] = (float)gsl_ran_gaussian(rng, i % 2 ? 7.1 : 1.0);
    float *strided = NULL, *random = NULL, *again = NULL;
    uint64_t n1, n2, n3, s1, s2, s3;
    GT_ASSERT_OK(gtap_sample_stride(u, d, 50000, &strided, &n1, &s1));
    GT_ASSERT_OK(gtap_sample_random(u, d, 50000, 7, &random, &n2, &s2));
    GT_ASSERT_OK(gtap_sample_random(u, d, 50000, 7, &again, &n3, &s3));
    GT_ASSERT_U64_EQ(s2, 8);
    GT_ASSERT_U64_EQ(n2, 50000);
    GT_ASSERT_MEM_EQ(random, again, n2 * sizeof *random); /* the seed decides */
    gtap_fit fs, fr;
    GT_ASSERT_OK(gtap_fit_family(strided, n1, GTAP_FAMILY_GAUSS, &fs));
    GT_ASSERT_OK(gtap_fit_family(random, n2, GTAP_FAMILY_GAUSS, &fr));
    printf(" [interleaved: stride-8 sd %.3f, random sd %.3f]", fs.scale, fr.scale);
    GT_ASSERT_NEAR(fr.scale, sqrt((1.0 + 7.1 * 7.1) / 2.0), 0.15, 0);
    for (uint64_t b = 0; b < 1000; b++) { /* one index in each block, the last block short */
        uint64_t i = gtap_sample_random_index(7, b, 8, 7999);
        GT_ASSERT(i >= b * 8 && i < (b + 1) * 8 && i < 7999);
    }
    GT_ASSERT_U64_EQ(gtap_sample_random_index(7, 1000, 8, 7999), 7999);
    GT_ASSERT_U64_EQ(gtap_sample_random_index(7, 5, 1, 10), 5);
    free(strided);
    free(random);
    free(again);
    free(u);
    gsl_rng_free(rng);
}

/* gtap_sample_random_take over chunks (sizes not multiples of the block,
 * some chunks shorter than a block) on 1, 2 and 3 threads gives exactly
 * gtap_sample_random of the whole vector, non-finite values left out. */
static void test_sample_take_in_chunks(void)
{
    const uint64_t d = 1000003, max = 150000;
    float *u = malloc(d * sizeof *u);
    for (uint64_t i = 0; i < d; i++) u[i] = (float)((i * 2654435761u) % 1000) - 500.0f;
    for (uint64_t i = 3; i < d; i += 29) u[i] = i % 2 ? NAN : INFINITY;
    float *whole = NULL;
    uint64_t whole_count = 0, stride = 0;
    GT_ASSERT_OK(gtap_sample_random(u, d, max, 11, &whole, &whole_count, &stride));
    uint64_t capacity = (d - 1) / stride + 1;
    float *taken = malloc(capacity * sizeof *taken);
    const uint64_t chunks[] = {d, 65537, 5, 300007};
    for (int threads = 1; threads <= 3; threads++)
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            uint64_t count = 0;
            for (uint64_t begin = 0; begin < d; begin += chunks[c]) {
                uint64_t n = d - begin < chunks[c] ? d - begin : chunks[c];
                if (chunks[c] == 5 && begin > 2000) n = d - begin; /* a few tiny chunks, then the rest */
                gtap_sample_random_take(11, stride, d, begin, u + begin, n, taken, capacity, &count, threads);
                if (n != chunks[c]) break;
            }
            GT_ASSERT_U64_EQ(count, whole_count);
            GT_ASSERT_MEM_EQ(taken, whole, whole_count * sizeof *taken);
        }
    free(taken);
    free(whole);
    free(u);
}

/* Values at the edge of float32 and constant data: finite-or-NaN numbers,
 * and a constant sample is degenerate for every family with best none. */
static void test_extreme_values(void)
{
    enum { N = 1000 };
    float *x = malloc(N * sizeof *x);
    for (int i = 0; i < N; i++) x[i] = i % 2 ? FLT_MAX : (3.4e38f / 7.0f) * (float)(i % 7);
    gtap_fit fits[GTAP_FAMILY_COUNT];
    gtap_family best;
    GT_ASSERT_OK(gtap_fit_all(x, N, fits, &best));
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) {
        assert_no_infinity(&fits[f]);
        GT_ASSERT(isfinite(fits[f].scale) && fits[f].scale > 0);
    }
    printf(" [near FLT_MAX: laplace scale %.4g, best %s]", fits[GTAP_FAMILY_LAPLACE].scale, gtap_family_name(best));
    for (int i = 0; i < N; i++) x[i] = 3.4e38f;
    GT_ASSERT_OK(gtap_fit_all(x, N, fits, &best));
    GT_ASSERT_INT_EQ(best, GTAP_FAMILY_COUNT);
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) {
        assert_no_infinity(&fits[f]);
        GT_ASSERT(fits[f].degenerate);
        GT_ASSERT(isnan(fits[f].aic));
    }
    for (int i = 0; i < N; i++) x[i] = 0.25f;
    GT_ASSERT_OK(gtap_fit_all(x, N, fits, &best));
    GT_ASSERT_INT_EQ(best, GTAP_FAMILY_COUNT);
    GT_ASSERT_INT_EQ(gtap_fit_best(fits, 0.0), GTAP_FAMILY_COUNT);
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) GT_ASSERT(fits[f].degenerate && isnan(fits[f].loglik));
    /* tiny values: the power-of-two scaling keeps them apart from zero */
    gsl_rng *rng = seeded_rng("fit tiny values");
    for (int i = 0; i < N; i++) x[i] = (float)gsl_ran_laplace(rng, 1e-30);
    GT_ASSERT_OK(gtap_fit_all(x, N, fits, &best));
    GT_ASSERT_NEAR(fits[GTAP_FAMILY_LAPLACE].scale, 1e-30, 0, 0.15);
    GT_ASSERT_NEAR(fits[GTAP_FAMILY_GENNORM].shape, 1.0, 0.3, 0);
    gsl_rng_free(rng);
    free(x);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"exact zeros: an atom, the families fit the non-zero values", test_zero_atom},
        {"Kolmogorov distribution and critical value", test_ks_distribution},
        {"best is none when no family passes KS", test_goodness_of_fit},
        {"Fisher standard errors match a Monte Carlo spread", test_se_monte_carlo},
        {"random subsample of an interleaved vector", test_random_sample},
        {"random subsample taken in chunks on 1-3 threads", test_sample_take_in_chunks},
        {"values at the edge of float32, constant data", test_extreme_values},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"fit checks", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
