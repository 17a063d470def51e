/* test_fit.c - statistics and fits (gradtap/fit.h, gradtap/stats.h):
 * predicted ratios against the closed forms and worked examples of
 * docs/THEORY.md s.6-7, ML fits recovering known parameters within a
 * few standard errors, quantile/cdf consistency, the deterministic
 * subsample and the threaded tail energy against the single-threaded one;
 * the Newton refinement on a large sample ends at a maximum of the
 * likelihood, the pruned KS distance equals the full loop, and the fits
 * are bit for bit the same for 1, 2 and 3 threads. */
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/fit.h"
#include "gradtap/stats.h"
#include "gtap_test.h"
#include "reference.h"

static void test_closed_forms(void)
{
    /* docs/THEORY.md s.7 worked examples */
    GT_ASSERT_NEAR(gtap_ratio_gauss(0.001), 0.98730, 5e-6, 0);
    GT_ASSERT_NEAR(gtap_ratio_laplace(0.001), 0.96823, 5e-6, 0);
    GT_ASSERT_NEAR(gtap_ratio_gauss(1.0), 0.0, 1e-12, 0);
    GT_ASSERT(isnan(gtap_ratio_gauss(0.0)));
    GT_ASSERT(isnan(gtap_ratio_laplace(1.5)));
}

/* The numerical path (threshold by root finding, integrals by quadrature)
 * must reproduce the closed forms: gennorm with beta 2 is a Gaussian, with
 * beta 1 a Laplace, and a non-zero location forces the numerical path. */
static void test_numeric_matches_closed(void)
{
    const double rhos[] = {1e-5, 1e-3, 0.01, 0.1, 0.5};
    for (size_t i = 0; i < sizeof rhos / sizeof rhos[0]; i++) {
        double rho = rhos[i], r;
        gtap_fit g2 = {.family = GTAP_FAMILY_GENNORM, .loc = 0.0, .scale = 3.0, .shape = 2.0};
        GT_ASSERT_OK(gtap_fit_predicted_ratio(&g2, rho, &r));
        GT_ASSERT_NEAR(r, gtap_ratio_gauss(rho), 1e-8, 0);
        gtap_fit g1 = {.family = GTAP_FAMILY_GENNORM, .loc = 0.0, .scale = 0.25, .shape = 1.0};
        GT_ASSERT_OK(gtap_fit_predicted_ratio(&g1, rho, &r));
        GT_ASSERT_NEAR(r, gtap_ratio_laplace(rho), 1e-8, 0);
        gtap_fit t = {.family = GTAP_FAMILY_STUDENT, .loc = 0.0, .scale = 1.0, .shape = 1e6};
        GT_ASSERT_OK(gtap_fit_predicted_ratio(&t, rho, &r));
        GT_ASSERT_NEAR(r, gtap_ratio_gauss(rho), 1e-4, 0);
        /* a tiny location (1e-9 of the scale) goes the numerical way */
        gtap_fit ga = {.family = GTAP_FAMILY_GAUSS, .loc = 1e-9, .scale = 1.0};
        GT_ASSERT_OK(gtap_fit_predicted_ratio(&ga, rho, &r));
        GT_ASSERT_NEAR(r, gtap_ratio_gauss(rho), 1e-8, 0);
        gtap_fit la = {.family = GTAP_FAMILY_LAPLACE, .loc = 1e-9, .scale = 2.0};
        GT_ASSERT_OK(gtap_fit_predicted_ratio(&la, rho, &r));
        GT_ASSERT_NEAR(r, gtap_ratio_laplace(rho), 1e-8, 0);
    }
    /* a shifted Gaussian keeps more energy in the kept tail: ratio lower */
    gtap_fit shifted = {.family = GTAP_FAMILY_GAUSS, .loc = 1.0, .scale = 1.0};
    double r;
    GT_ASSERT_OK(gtap_fit_predicted_ratio(&shifted, 0.01, &r));
    GT_ASSERT_DBL_CMP(r, <, 1.0);
    GT_ASSERT_DBL_CMP(r, >, 0.0);
    /* Student-t with nu <= 2: infinite second moment, ratio undefined */
    gtap_fit heavy = {.family = GTAP_FAMILY_STUDENT, .loc = 0.0, .scale = 1.0, .shape = 1.5};
    GT_ASSERT_OK(gtap_fit_predicted_ratio(&heavy, 0.01, &r));
    GT_ASSERT(isnan(r));
    GT_ASSERT_STATUS(gtap_fit_predicted_ratio(&heavy, 0.0, &r), GTAP_EINVAL);
}

static void test_quantile_cdf(void)
{
    gtap_fit fits[] = {
        {.family = GTAP_FAMILY_GAUSS, .loc = 0.5, .scale = 2.0},
        {.family = GTAP_FAMILY_LAPLACE, .loc = -1.0, .scale = 0.3},
        {.family = GTAP_FAMILY_STUDENT, .loc = 0.0, .scale = 1.5, .shape = 3.0},
        {.family = GTAP_FAMILY_GENNORM, .loc = 2.0, .scale = 1.0, .shape = 0.7},
    };
    const double ps[] = {1e-6, 0.01, 0.3, 0.5, 0.77, 0.999};
    for (size_t f = 0; f < 4; f++) {
        for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
            double x = gtap_fit_quantile(&fits[f], ps[i]);
            GT_ASSERT_NEAR(gtap_fit_cdf(&fits[f], x), ps[i], 1e-12, 1e-7);
        }
        /* the density integrates to the cdf difference (midpoint rule) */
        double a = gtap_fit_quantile(&fits[f], 0.2), b = gtap_fit_quantile(&fits[f], 0.4), sum = 0;
        for (int j = 0; j < 10000; j++) sum += gtap_fit_pdf(&fits[f], a + (b - a) * (j + 0.5) / 10000);
        GT_ASSERT_NEAR(sum * (b - a) / 10000, 0.2, 1e-6, 0);
    }
}

static float *draw(gsl_rng *rng, gtap_family family, double loc, double scale, double shape, size_t n)
{
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double z;
        switch (family) {
        case GTAP_FAMILY_GAUSS: z = gsl_ran_ugaussian(rng); break;
        case GTAP_FAMILY_LAPLACE: z = gsl_ran_laplace(rng, 1.0); break;
        case GTAP_FAMILY_STUDENT: z = gsl_ran_tdist(rng, shape); break;
        default: {
            double w = pow(gsl_ran_gamma(rng, 1.0 / shape, 1.0), 1.0 / shape);
            z = gsl_rng_uniform(rng) < 0.5 ? -w : w;
        }
        }
        x[i] = (float)(loc + scale * z);
    }
    return x;
}

/* |estimate - truth| <= 4 standard errors */
#define GT_ASSERT_WITHIN_SE(estimate, se, truth)                                                         \
    do {                                                                                                 \
        GT_ASSERT(isfinite(se));                                                                         \
        GT_ASSERT_DBL_CMP(se, >, 0);                                                                     \
        GT_ASSERT_NEAR(estimate, truth, 4.0 * (se), 0);                                                  \
    } while (0)

static void test_recovery(void)
{
    uint64_t seed = gtap_test_seed("fit recovery");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, (unsigned long)seed);
    const size_t n = 20000;
    struct {
        gtap_family family;
        double loc, scale, shape;
    } cases[] = {
        {GTAP_FAMILY_GAUSS, 0.3, 2.0, NAN},
        {GTAP_FAMILY_LAPLACE, -1.0, 0.5, NAN},
        {GTAP_FAMILY_STUDENT, 0.1, 1.0, 4.0},
        {GTAP_FAMILY_GENNORM, 0.0, 1.0, 1.5},
    };
    for (size_t c = 0; c < 4; c++) {
        float *x = draw(rng, cases[c].family, cases[c].loc, cases[c].scale, cases[c].shape, n);
        gtap_fit fits[GTAP_FAMILY_COUNT];
        gtap_family best;
        GT_ASSERT_OK(gtap_fit_all(x, n, fits, &best));
        gtap_fit *f = &fits[cases[c].family];
        printf(" [%s: loc %.4g+-%.2g scale %.4g+-%.2g shape %.4g+-%.2g ks %.3g best %s]", gtap_family_name(f->family),
               f->loc, f->loc_se, f->scale, f->scale_se, f->shape, f->shape_se, f->ks, gtap_family_name(best));
        GT_ASSERT(f->converged);
        GT_ASSERT_INT_EQ(f->n, n);
        GT_ASSERT_WITHIN_SE(f->loc, f->loc_se, cases[c].loc);
        GT_ASSERT_WITHIN_SE(f->scale, f->scale_se, cases[c].scale);
        if (!isnan(cases[c].shape)) GT_ASSERT_WITHIN_SE(f->shape, f->shape_se, cases[c].shape);
        GT_ASSERT_DBL_CMP(f->ks, <, 0.02);
        GT_ASSERT_NEAR(f->aic, 2.0 * (isnan(cases[c].shape) ? 2 : 3) - 2.0 * f->loglik, 1e-9, 1e-12);
        /* the generating family (or the 3-parameter family containing it) wins */
        int ok = best == cases[c].family || (best == GTAP_FAMILY_GENNORM && c < 2) ||
                 (best == GTAP_FAMILY_STUDENT && c == 0);
        GT_ASSERT(ok);
        if (c == 1) GT_ASSERT_DBL_CMP(fits[GTAP_FAMILY_GAUSS].ks, >, 2.0 * f->ks);
        free(x);
    }
    gsl_rng_free(rng);
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* log L at the fit, with one parameter moved by `by` standard errors */
static double loglik_moved(const gtap_fit *fit, const float *x, uint64_t n, int parameter, double by)
{
    gtap_fit g = *fit;
    if (parameter == 0) g.loc += by * fit->loc_se;
    if (parameter == 1) g.scale += by * fit->scale_se;
    if (parameter == 2) g.shape += by * fit->shape_se;
    return gtap_fit_loglik(&g, x, n);
}

/* 2^17 values (above the 4096 quantiles of the coarse search): Student-t
 * and gennorm end where moving any parameter by +-0.05 SE lowers log L
 * (by about 1e-3 each, far above rounding); the KS distance equals the
 * plain loop over every value. */
static void test_large_sample_maximum(void)
{
    uint64_t seed = gtap_test_seed("fit large sample");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, (unsigned long)seed);
    const size_t n = (size_t)1 << 17;
    struct {
        gtap_family family;
        double shape;
    } cases[] = {{GTAP_FAMILY_STUDENT, 4.0}, {GTAP_FAMILY_GENNORM, 1.5}, {GTAP_FAMILY_GENNORM, 0.9}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        float *x = draw(rng, cases[c].family, 0.2, 1e-3, cases[c].shape, n);
        gtap_fit fits[GTAP_FAMILY_COUNT];
        GT_ASSERT_OK(gtap_fit_all(x, n, fits, NULL));
        const gtap_fit *f = &fits[cases[c].family];
        double at = gtap_fit_loglik(f, x, n);
        printf(" [%s %.2g: shape %.4g+-%.2g loglik %.10g]", gtap_family_name(f->family), cases[c].shape, f->shape,
               f->shape_se, at);
        GT_ASSERT(f->converged && !f->degenerate);
        GT_ASSERT_NEAR(f->loglik, at, 0, 1e-12);
        for (int p = 0; p < 3; p++) {
            if (p == 0 && cases[c].shape < 1.0) continue; /* beta < 1: a cusp at every value */
            GT_ASSERT_DBL_CMP(loglik_moved(f, x, n, p, 0.05), <, at);
            GT_ASSERT_DBL_CMP(loglik_moved(f, x, n, p, -0.05), <, at);
        }
        qsort(x, n, sizeof *x, compare_floats);
        for (int fam = 0; fam < GTAP_FAMILY_COUNT; fam++) {
            double d = 0.0;
            for (size_t i = 0; i < n; i++) {
                double F = gtap_fit_cdf(&fits[fam], (double)x[i]);
                d = fmax(d, fmax((double)(i + 1) / (double)n - F, F - (double)i / (double)n));
            }
            GT_ASSERT_DBL_CMP(gtap_ks_distance(x, n, &fits[fam]), ==, d);
            GT_ASSERT_DBL_CMP(fits[fam].ks, ==, d);
        }
        free(x);
    }
    gsl_rng_free(rng);
}

/* The same fits, bit for bit, on 1, 2 and 3 threads. */
static void test_fit_threads(void)
{
    uint64_t seed = gtap_test_seed("fit threads");
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, (unsigned long)seed);
    const size_t n = (size_t)3 << 16;
    float *x = draw(rng, GTAP_FAMILY_STUDENT, 0.0, 1e-3, 5.0, n);
    for (size_t i = 0; i < n; i += 50) x[i] = 0.0f;
    gtap_fit one[GTAP_FAMILY_COUNT], other[GTAP_FAMILY_COUNT];
    gtap_family best_one, best_other;
    uint64_t zeros_one, zeros_other;
    GT_ASSERT_OK(gtap_fit_all_nonzero_threads(x, n, one, &best_one, &zeros_one, 1));
    for (int threads = 0; threads <= 3; threads++) {
        GT_ASSERT_OK(gtap_fit_all_nonzero_threads(x, n, other, &best_other, &zeros_other, threads));
        GT_ASSERT_INT_EQ(best_other, best_one);
        GT_ASSERT_U64_EQ(zeros_other, zeros_one);
        for (int f = 0; f < GTAP_FAMILY_COUNT; f++) {
            double a[] = {one[f].loc, one[f].scale, one[f].shape, one[f].loc_se, one[f].scale_se, one[f].shape_se,
                          one[f].loglik, one[f].aic, one[f].ks, one[f].ks_p};
            double b[] = {other[f].loc, other[f].scale, other[f].shape, other[f].loc_se, other[f].scale_se,
                          other[f].shape_se, other[f].loglik, other[f].aic, other[f].ks, other[f].ks_p};
            GT_ASSERT_MEM_EQ(a, b, sizeof a);
            GT_ASSERT_INT_EQ(other[f].converged, one[f].converged);
        }
    }
    GT_ASSERT_INT_EQ(one[GTAP_FAMILY_STUDENT].converged, 1);
    free(x);
    gsl_rng_free(rng);
}

static void test_fit_errors(void)
{
    float x[3] = {1.0f, NAN, 2.0f};
    gtap_fit f;
    GT_ASSERT_STATUS(gtap_fit_family(x, 3, GTAP_FAMILY_GAUSS, &f), GTAP_ENONFINITE);
    GT_ASSERT_STATUS(gtap_fit_family(x, 1, GTAP_FAMILY_GAUSS, &f), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_fit_family(x, 3, (gtap_family)7, &f), GTAP_EINVAL);
    float same[4] = {2, 2, 2, 2};
    GT_ASSERT_OK(gtap_fit_family(same, 4, GTAP_FAMILY_STUDENT, &f));
    GT_ASSERT_NEAR(f.scale, 0.0, 0, 0);
    GT_ASSERT(!f.converged);
}

static void test_sample_and_k(void)
{
    float u[10] = {0, 1, NAN, 3, 4, 5, INFINITY, 7, 8, 9};
    float *s = NULL;
    uint64_t n, stride;
    GT_ASSERT_OK(gtap_sample_stride(u, 10, 3, &s, &n, &stride));
    GT_ASSERT_U64_EQ(stride, 4); /* indices 0, 4, 8 */
    GT_ASSERT_U64_EQ(n, 3);
    GT_ASSERT_NEAR(s[0], 0, 0, 0);
    GT_ASSERT_NEAR(s[1], 4, 0, 0);
    GT_ASSERT_NEAR(s[2], 8, 0, 0);
    free(s);
    GT_ASSERT_OK(gtap_sample_stride(u, 10, 5, &s, &n, &stride));
    GT_ASSERT_U64_EQ(stride, 2); /* indices 0, 2 (NaN: skipped), 4, 6 (Inf: skipped), 8 */
    GT_ASSERT_U64_EQ(n, 3);
    free(s);
    GT_ASSERT_OK(gtap_sample_stride(u, 10, 100, &s, &n, &stride));
    GT_ASSERT_U64_EQ(n, 8);
    GT_ASSERT_U64_EQ(stride, 1);
    GT_ASSERT_U64_EQ(gtap_sample_index_stride(10, 3), 4);
    GT_ASSERT_U64_EQ(gtap_sample_index_stride(9, 3), 3);
    free(s);
    GT_ASSERT_U64_EQ(gtap_k_for_density(0.001, 999), 1);
    GT_ASSERT_U64_EQ(gtap_k_for_density(0.01, 1000), 10);
    GT_ASSERT_U64_EQ(gtap_k_for_density(1.0, 7), 7);
    GT_ASSERT_U64_EQ(gtap_k_for_density(0.5, 0), 0);
}

static void test_threads(void)
{
    size_t d = (size_t)3 << 20;
    float *u = malloc(d * sizeof *u);
    uint64_t state = gtap_test_seed("tail threads");
    ref_fill(u, d, "student3", &state);
    u[12345] = NAN;
    uint64_t ks[] = {1, 3145, 31457, 314572, 3145728};
    gtap_tail_result one[5], two[5];
    gtap_moments m1, m2;
    GT_ASSERT_OK(gtap_tail_energy(u, d, ks, 5, one, &m1));
    GT_ASSERT_OK(gtap_tail_energy_threads(u, d, ks, 5, two, &m2, 3));
    for (int i = 0; i < 5; i++) {
        GT_ASSERT_NEAR(two[i].tail2, one[i].tail2, 0, 1e-12);
        GT_ASSERT_NEAR(two[i].head2, one[i].head2, 0, 1e-12);
        GT_ASSERT_NEAR(two[i].threshold, one[i].threshold, 0, 0);
        GT_ASSERT_U64_EQ(two[i].k_effective, one[i].k_effective);
    }
    GT_ASSERT_U64_EQ(m2.nan_count, 1);
    GT_ASSERT_NEAR(m2.m4, m1.m4, 0, 1e-10);
    /* energies bit-identical, and everything identical for 1, 2 and 3 threads */
    gtap_tail_result t1[5];
    gtap_moments mt1;
    GT_ASSERT_OK(gtap_tail_energy_threads(u, d, ks, 5, t1, &mt1, 1));
    for (int i = 0; i < 5; i++) {
        GT_ASSERT_DBL_CMP(t1[i].tail2, ==, one[i].tail2);
        GT_ASSERT_DBL_CMP(t1[i].head2, ==, one[i].head2);
        GT_ASSERT_DBL_CMP(t1[i].tail2, ==, two[i].tail2);
        GT_ASSERT_DBL_CMP(t1[i].head2, ==, two[i].head2);
    }
    GT_ASSERT_DBL_CMP(mt1.m2, ==, m2.m2);
    GT_ASSERT_DBL_CMP(mt1.m4, ==, m2.m4);
    GT_ASSERT_DBL_CMP(mt1.mean, ==, m2.mean);
    GT_ASSERT_DBL_CMP(mt1.norm2, ==, m2.norm2);
    free(u);
}

/* The source of test_feed_reading: copies pieces of `from`, failing from
 * piece `fail_at` on (UINT64_MAX: never). */
typedef struct piece_source {
    const float *from;
    uint64_t n, fail_at, pieces, covered;
} piece_source;

static int read_piece(void *user, uint64_t offset, uint64_t n, float *u)
{
    piece_source *src = user;
    if (offset + n > src->n) return gtap_set_error(GTAP_EINTERNAL, "read past the end");
    uint64_t piece = src->pieces++; /* only thread 0 reads */
    if (piece >= src->fail_at) return gtap_set_error(GTAP_EIO, "test read fails at piece %llu", (unsigned long long)piece);
    memcpy(u, src->from + offset, n * sizeof *u);
    src->covered += n;
    return GTAP_OK;
}

/* Reading while feeding (gtap_tail_team_feed_reading) gives the results of
 * reading first, bit for bit, on 1, 2 and 3 threads, with enough k for
 * the grouped pass 2 (many boundary buckets, several blocks per segment);
 * a failing read ends it with the read's status, on every thread count. */
static void test_feed_reading(void)
{
    uint64_t d = ((uint64_t)3 << 20) + 12345;
    float *u = malloc(d * sizeof *u), *buffer = malloc(d * sizeof *buffer);
    uint64_t state = gtap_test_seed("tail feed reading");
    ref_fill(u, (size_t)d, "gauss", &state);
    for (uint64_t i = 0; i < d; i += 97) u[i] = 0.0f; /* exact zeros, as in real gradients */
    enum { K_COUNT = 60 };
    uint64_t ks[K_COUNT];
    for (int j = 0; j < K_COUNT; j++) ks[j] = (uint64_t)llround(pow((double)d, (double)j / (K_COUNT - 1)));
    gtap_tail_result expected[K_COUNT], got[K_COUNT];
    gtap_moments m_expected, m_got;
    GT_ASSERT_OK(gtap_tail_energy_threads(u, d, ks, K_COUNT, expected, &m_expected, 1));
    for (int threads = 1; threads <= 3; threads++) {
        gtap_tail_team *team = NULL;
        GT_ASSERT_OK(gtap_tail_team_create(threads, &team));
        piece_source src = {u, d, UINT64_MAX, 0, 0};
        memset(buffer, 0xff, d * sizeof *buffer);
        int refine = 0;
        GT_ASSERT_OK(gtap_tail_team_feed_reading(team, buffer, d, read_piece, &src));
        GT_ASSERT_U64_EQ(src.covered, d);
        GT_ASSERT_U64_EQ(memcmp(buffer, u, d * sizeof *u), 0);
        GT_ASSERT_OK(gtap_tail_team_plan(team, ks, K_COUNT, &refine));
        GT_ASSERT_U64_EQ(refine, 1);
        GT_ASSERT_OK(gtap_tail_team_refine(team, buffer, d));
        GT_ASSERT_OK(gtap_tail_team_finish(team, got, &m_got));
        for (int j = 0; j < K_COUNT; j++) {
            GT_ASSERT_DBL_CMP(got[j].tail2, ==, expected[j].tail2);
            GT_ASSERT_DBL_CMP(got[j].head2, ==, expected[j].head2);
            GT_ASSERT_DBL_CMP(got[j].threshold, ==, expected[j].threshold);
            GT_ASSERT_U64_EQ(got[j].threshold_ties, expected[j].threshold_ties);
        }
        GT_ASSERT_DBL_CMP(m_got.norm2, ==, m_expected.norm2);
        GT_ASSERT_DBL_CMP(m_got.m2, ==, m_expected.m2);
        GT_ASSERT_DBL_CMP(m_got.m4, ==, m_expected.m4);
        /* a read that fails on the third piece */
        gtap_tail_team_reset(team);
        piece_source failing = {u, d, 2, 0, 0};
        GT_ASSERT_STATUS(gtap_tail_team_feed_reading(team, buffer, d, read_piece, &failing), GTAP_EIO);
        GT_ASSERT_STR_CONTAINS(gtap_last_error(), "test read fails");
        gtap_tail_team_free(team);
    }
    free(u);
    free(buffer);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"closed forms and worked examples", test_closed_forms},
        {"numerical predicted ratios match closed forms", test_numeric_matches_closed},
        {"quantile, cdf and pdf agree", test_quantile_cdf},
        {"ML fits recover known parameters", test_recovery},
        {"Newton on a large sample ends at a maximum, KS exact", test_large_sample_maximum},
        {"fits identical on 1, 2 and 3 threads", test_fit_threads},
        {"fit errors and degenerate samples", test_fit_errors},
        {"deterministic subsample, k from density", test_sample_and_k},
        {"threaded tail energy equals single-threaded", test_threads},
        {"reading while feeding equals reading first", test_feed_reading},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"fit", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
