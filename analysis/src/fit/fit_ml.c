/* fit_ml.c - maximum-likelihood fits of the four families (gradtap/fit.h):
 * closed forms for gauss and laplace, Nelder-Mead (GSL multimin) for
 * Student-t (loc, log scale, log nu) and the generalized normal (loc,
 * log beta, scale profiled out), then log-likelihood, AIC and KS. */
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_statistics_float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

/* Search ranges (outside: the objective is +Inf). */
#define NU_MIN 0.2
#define NU_MAX 1e6
#define BETA_MIN 0.1
#define BETA_MAX 20.0
#define MAX_ITERATIONS 2000

typedef struct sample {
    const float *x;
    uint64_t n;
} sample;

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static double mean_abs_deviation(const sample *s, double center, double power)
{
    double sum = 0.0;
    for (uint64_t i = 0; i < s->n; i++) sum += pow(fabs((double)s->x[i] - center), power);
    return sum / (double)s->n;
}

static void fit_gauss(const sample *s, gtap_fit *f)
{
    double mean = 0.0, m2 = 0.0;
    for (uint64_t i = 0; i < s->n; i++) mean += s->x[i];
    mean /= (double)s->n;
    for (uint64_t i = 0; i < s->n; i++) m2 += ((double)s->x[i] - mean) * ((double)s->x[i] - mean);
    f->loc = mean;
    f->scale = sqrt(m2 / (double)s->n);
    f->loc_se = f->scale / sqrt((double)s->n);
    f->scale_se = f->scale / sqrt(2.0 * (double)s->n);
    f->converged = 1;
}

static void fit_laplace(const sample *s, const float *sorted, gtap_fit *f)
{
    f->loc = gsl_stats_float_median_from_sorted_data(sorted, 1, (size_t)s->n);
    f->scale = mean_abs_deviation(s, f->loc, 1.0);
    f->loc_se = f->scale / sqrt((double)s->n);
    f->scale_se = f->scale / sqrt((double)s->n);
    f->converged = 1;
}

/* Negative mean log-likelihood of Student-t at v = (loc, log s, log nu). */
static double student_objective(const gsl_vector *v, void *params)
{
    const sample *s = params;
    gtap_fit f = {.family = GTAP_FAMILY_STUDENT};
    f.loc = gsl_vector_get(v, 0);
    f.scale = exp(gsl_vector_get(v, 1));
    f.shape = exp(gsl_vector_get(v, 2));
    if (!(f.scale > 0) || !isfinite(f.scale) || f.shape < NU_MIN || f.shape > NU_MAX) return INFINITY;
    return -gtap_fit_loglik(&f, s->x, s->n) / (double)s->n;
}

/* Generalized normal with the scale profiled out: for fixed loc and beta
 * the ML scale is (beta * mean|x - loc|^beta)^(1/beta). */
static double gennorm_scale(const sample *s, double loc, double beta)
{
    return pow(beta * mean_abs_deviation(s, loc, beta), 1.0 / beta);
}

static double gennorm_objective(const gsl_vector *v, void *params)
{
    const sample *s = params;
    double beta = exp(gsl_vector_get(v, 1)), loc = gsl_vector_get(v, 0);
    if (beta < BETA_MIN || beta > BETA_MAX) return INFINITY;
    double scale = gennorm_scale(s, loc, beta);
    if (!(scale > 0) || !isfinite(scale)) return INFINITY;
    /* loglik/n = log beta - log(2 scale) - lgamma(1/beta) - 1/beta */
    return -(log(beta) - log(2.0 * scale) - lgamma(1.0 / beta) - 1.0 / beta);
}

/* Nelder-Mead from `start` with initial `steps`; the minimiser in start. */
static int minimise(gsl_multimin_function *fn, gsl_vector *start, const double *steps, double tolerance)
{
    size_t dim = fn->n;
    gsl_vector *step = gsl_vector_alloc(dim);
    gsl_multimin_fminimizer *m = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, dim);
    if (step == NULL || m == NULL) {
        gsl_vector_free(step);
        gsl_multimin_fminimizer_free(m);
        return GTAP_ENOMEM;
    }
    for (size_t i = 0; i < dim; i++) gsl_vector_set(step, i, steps[i]);
    int converged = 0;
    if (gsl_multimin_fminimizer_set(m, fn, start, step) == GSL_SUCCESS) {
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            if (gsl_multimin_fminimizer_iterate(m) != GSL_SUCCESS) break;
            if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(m), tolerance) == GSL_SUCCESS) {
                converged = 1;
                break;
            }
        }
        gsl_vector_memcpy(start, gsl_multimin_fminimizer_x(m));
    }
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(step);
    return converged;
}

/* Robust starting values: median and the scale from the MAD. */
static void robust_start(const float *sorted, uint64_t n, double *median, double *spread)
{
    *median = gsl_stats_float_median_from_sorted_data(sorted, 1, (size_t)n);
    double q1 = gsl_stats_float_quantile_from_sorted_data(sorted, 1, (size_t)n, 0.25);
    double q3 = gsl_stats_float_quantile_from_sorted_data(sorted, 1, (size_t)n, 0.75);
    *spread = (q3 - q1) / 1.349;
    if (!(*spread > 0)) *spread = (double)(sorted[n - 1] - sorted[0]) / 4.0;
}

static int fit_iterative(const sample *s, const float *sorted, gtap_fit *f)
{
    double median, spread;
    robust_start(sorted, s->n, &median, &spread);
    if (!(spread > 0)) return GTAP_OK; /* degenerate: handled by the caller */
    gsl_vector *v = gsl_vector_alloc(f->family == GTAP_FAMILY_STUDENT ? 3 : 2);
    if (v == NULL) return GTAP_ENOMEM;
    gsl_multimin_function fn = {.n = v->size, .params = (void *)s};
    int converged;
    if (f->family == GTAP_FAMILY_STUDENT) {
        fn.f = student_objective;
        gsl_vector_set(v, 0, median);
        gsl_vector_set(v, 1, log(spread));
        gsl_vector_set(v, 2, log(5.0));
        double steps[3] = {0.1 * spread, 0.2, 0.5};
        converged = minimise(&fn, v, steps, 1e-7);
        f->loc = gsl_vector_get(v, 0);
        f->scale = exp(gsl_vector_get(v, 1));
        f->shape = exp(gsl_vector_get(v, 2));
    } else {
        fn.f = gennorm_objective;
        gsl_vector_set(v, 0, median);
        gsl_vector_set(v, 1, log(1.5));
        double steps[2] = {0.1 * spread, 0.3};
        converged = minimise(&fn, v, steps, 1e-7);
        f->loc = gsl_vector_get(v, 0);
        f->shape = exp(gsl_vector_get(v, 1));
        f->scale = gennorm_scale(s, f->loc, f->shape);
    }
    gsl_vector_free(v);
    if (converged < 0) return converged;
    f->converged = converged;
    gtap_fit_numeric_se(f, s->x, s->n);
    return GTAP_OK;
}

static int fit_sorted(const sample *s, const float *sorted, gtap_family family, gtap_fit *f)
{
    memset(f, 0, sizeof *f);
    f->family = family;
    f->n = s->n;
    f->shape = f->loc_se = f->scale_se = f->shape_se = NAN;
    int rc = GTAP_OK;
    switch (family) {
    case GTAP_FAMILY_GAUSS: fit_gauss(s, f); break;
    case GTAP_FAMILY_LAPLACE: fit_laplace(s, sorted, f); break;
    default: rc = fit_iterative(s, sorted, f); break;
    }
    if (rc < 0) return gtap_set_error(rc, "fit %s: out of memory", gtap_family_name(family));
    if (!(f->scale > 0)) { /* all values equal: a point mass */
        f->loc = sorted[0];
        f->scale = 0.0;
        f->loglik = INFINITY;
        f->aic = -INFINITY;
        f->ks = NAN;
        f->converged = 0;
        return GTAP_OK;
    }
    int parameters = (family == GTAP_FAMILY_STUDENT || family == GTAP_FAMILY_GENNORM) ? 3 : 2;
    f->loglik = gtap_fit_loglik(f, s->x, s->n);
    f->aic = 2.0 * parameters - 2.0 * f->loglik;
    f->ks = gtap_ks_distance(sorted, s->n, f);
    return GTAP_OK;
}

/* Validate the sample and make a sorted copy. */
static int sorted_copy(const float *x, uint64_t n, float **sorted)
{
    *sorted = NULL;
    if (x == NULL || n < 2) return gtap_set_error(GTAP_EINVAL, "fit: need at least 2 values (got %llu)", (unsigned long long)n);
    for (uint64_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return gtap_set_error(GTAP_ENONFINITE, "fit: value %llu is not finite", (unsigned long long)i);
    if (n > SIZE_MAX / sizeof(float)) return gtap_set_error(GTAP_EOVERFLOW, "fit: %llu values", (unsigned long long)n);
    float *copy = malloc((size_t)n * sizeof *copy);
    if (copy == NULL) return gtap_set_error(GTAP_ENOMEM, "fit: out of memory for %llu values", (unsigned long long)n);
    memcpy(copy, x, (size_t)n * sizeof *copy);
    qsort(copy, (size_t)n, sizeof *copy, compare_float);
    *sorted = copy;
    return GTAP_OK;
}

int gtap_fit_family(const float *x, uint64_t n, gtap_family family, gtap_fit *fit)
{
    gtap_gsl_quiet();
    if (fit == NULL || (unsigned)family >= GTAP_FAMILY_COUNT) return gtap_set_error(GTAP_EINVAL, "fit: bad family or NULL output");
    float *sorted = NULL;
    int rc = sorted_copy(x, n, &sorted);
    sample s = {x, n};
    if (rc == GTAP_OK) rc = fit_sorted(&s, sorted, family, fit);
    free(sorted);
    return rc;
}

int gtap_fit_all(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best)
{
    gtap_gsl_quiet();
    if (fits == NULL) return gtap_set_error(GTAP_EINVAL, "fit: NULL output");
    float *sorted = NULL;
    int rc = sorted_copy(x, n, &sorted);
    sample s = {x, n};
    for (int f = 0; f < GTAP_FAMILY_COUNT && rc == GTAP_OK; f++) rc = fit_sorted(&s, sorted, (gtap_family)f, &fits[f]);
    free(sorted);
    if (rc < 0 || best == NULL) return rc;
    int chosen = -1;
    for (int pass = 0; pass < 2 && chosen < 0; pass++)
        for (int f = 0; f < GTAP_FAMILY_COUNT; f++)
            if ((pass == 1 || fits[f].converged) && (chosen < 0 || fits[f].aic < fits[chosen].aic)) chosen = f;
    *best = (gtap_family)chosen;
    return GTAP_OK;
}
