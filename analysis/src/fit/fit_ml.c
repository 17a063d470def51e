/* fit_ml.c - maximum-likelihood fits of the four families (gradtap/fit.h,
 * docs/THEORY.md s.6): closed forms for gauss and laplace; Student-t
 * (loc, log scale, log nu) and the generalized normal (loc, log beta,
 * scale profiled out) by Nelder-Mead (GSL multimin) on a subsample of
 * COARSE quantiles of the sorted sample, then Newton refinement on the
 * whole sample (student.c, gennorm.c; Nelder-Mead on the whole sample
 * only where that does not converge); then log-likelihood, AIC, KS
 * distance and p-value, the checks that mark a fit degenerate, and the
 * choice of `best`. Every fit runs on a copy of the sample scaled by a
 * power of two (exact), so that |x| < 1 and no sum or power overflows. */
#include <gsl/gsl_multimin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

/* Search ranges (outside: the objective is +Inf). */
#define NU_MIN GTAP_NU_MIN
#define NU_MAX GTAP_NU_MAX
#define BETA_MIN GTAP_BETA_MIN
#define BETA_MAX GTAP_BETA_MAX
#define MAX_ITERATIONS 2000
/* The start of the Newton refinements: Nelder-Mead on this many quantiles
 * of the sample, to this tolerance. */
#define COARSE 4096
#define COARSE_TOLERANCE 1e-6
/* A shape this close to its lower bound, or this share of the sample tied
 * at the location, is an atom the continuous family cannot describe. */
#define AT_BOUND 1.02
#define ATOM_SHARE 0.01

typedef gtap_fit_sample sample;

static double median_sorted(const float *x, uint64_t n)
{
    return n % 2 ? (double)x[n / 2] : 0.5 * ((double)x[n / 2 - 1] + (double)x[n / 2]);
}

static double quantile_sorted(const float *x, uint64_t n, double p)
{
    double at = p * (double)(n - 1);
    uint64_t i = (uint64_t)at;
    if (i + 1 >= n) return (double)x[n - 1];
    return (double)x[i] + (at - (double)i) * ((double)x[i + 1] - (double)x[i]);
}

static double mean_abs_deviation(const sample *s, double center, double power)
{
    double sum = 0.0;
    if (power == 1.0)
        for (uint64_t i = 0; i < s->n; i++) sum += fabs((double)s->x[i] - center);
    else
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
    f->converged = 1;
}

static void fit_laplace(const sample *s, gtap_fit *f)
{
    f->loc = s->median;
    f->scale = mean_abs_deviation(s, f->loc, 1.0);
    f->converged = 1;
}

/* Negative mean log-likelihood of Student-t at
 * v = ((loc - median) / spread, log(s / spread), log nu). */
static double student_objective(const gsl_vector *v, void *params)
{
    const sample *s = params;
    gtap_fit f = {.family = GTAP_FAMILY_STUDENT};
    f.loc = s->median + s->spread * gsl_vector_get(v, 0);
    f.scale = s->spread * exp(gsl_vector_get(v, 1));
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

/* v = ((loc - median) / spread, log beta) */
static double gennorm_objective(const gsl_vector *v, void *params)
{
    const sample *s = params;
    double beta = exp(gsl_vector_get(v, 1)), loc = s->median + s->spread * gsl_vector_get(v, 0);
    if (beta < BETA_MIN || beta > BETA_MAX) return INFINITY;
    double scale = gennorm_scale(s, loc, beta);
    if (!(scale > 0) || !isfinite(scale)) return INFINITY;
    /* loglik/n = log beta - log(2 scale) - lgamma(1/beta) - 1/beta */
    return -(log(beta) - log(2.0 * scale) - lgamma(1.0 / beta) - 1.0 / beta);
}

/* Nelder-Mead from `start` with initial `steps`; the minimiser in start.
 * @return 1 converged, 0 not, GTAP_ENOMEM. */
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

/* Nelder-Mead for Student-t on s from the fit in f (loc, scale, shape),
 * with initial steps in s's units; the result into f. */
static int student_search(const sample *s, gtap_fit *f, const double *steps, double tolerance)
{
    gsl_vector *v = gsl_vector_calloc(3);
    if (v == NULL) return GTAP_ENOMEM;
    gsl_multimin_function fn = {.f = student_objective, .n = 3, .params = (void *)s};
    gsl_vector_set(v, 0, (f->loc - s->median) / s->spread);
    gsl_vector_set(v, 1, log(f->scale / s->spread));
    gsl_vector_set(v, 2, log(f->shape));
    int converged = minimise(&fn, v, steps, tolerance);
    f->loc = s->median + s->spread * gsl_vector_get(v, 0);
    f->scale = s->spread * exp(gsl_vector_get(v, 1));
    f->shape = exp(gsl_vector_get(v, 2));
    gsl_vector_free(v);
    if (converged < 0) return converged;
    f->converged = converged;
    return GTAP_OK;
}

/* Coarse search on the quantiles c, Newton on the whole sample s, and
 * Nelder-Mead on s only where Newton did not converge. */
static int fit_student(const sample *s, const sample *c, gtap_fit *f)
{
    static const double coarse_steps[3] = {0.1, 0.2, 0.5}, fine_steps[3] = {0.01, 0.02, 0.05};
    f->loc = c->median, f->scale = c->spread, f->shape = 5.0;
    int rc = student_search(c, f, coarse_steps, COARSE_TOLERANCE);
    if (rc == GTAP_OK) rc = gtap_fit_student_newton(s, f);
    if (rc == GTAP_OK && !f->converged) f->loglik = NAN, rc = student_search(s, f, fine_steps, 1e-7);
    return rc;
}

/* Index of the sample value nearest to `at`. */
static uint64_t nearest_index(const sample *s, double at)
{
    uint64_t lo = 0, hi = s->n; /* first index with x >= at */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if ((double)s->x[mid] < at) lo = mid + 1;
        else hi = mid;
    }
    if (lo == s->n || (lo > 0 && at - (double)s->x[lo - 1] < (double)s->x[lo] - at)) lo--;
    return lo;
}

/* Nelder-Mead for gennorm on s from the fit in f (loc, shape). */
static int gennorm_search(const sample *s, gtap_fit *f, const double *steps, double tolerance)
{
    gsl_vector *v = gsl_vector_calloc(2);
    if (v == NULL) return GTAP_ENOMEM;
    gsl_multimin_function fn = {.f = gennorm_objective, .n = 2, .params = (void *)s};
    gsl_vector_set(v, 0, (f->loc - s->median) / s->spread);
    gsl_vector_set(v, 1, log(f->shape));
    int converged = minimise(&fn, v, steps, tolerance);
    f->loc = s->median + s->spread * gsl_vector_get(v, 0);
    f->shape = exp(gsl_vector_get(v, 1));
    f->scale = gennorm_scale(s, f->loc, f->shape);
    gsl_vector_free(v);
    if (converged < 0) return converged;
    f->converged = converged;
    return GTAP_OK;
}

static int fit_gennorm(const sample *s, const sample *c, gtap_fit *f)
{
    static const double coarse_steps[2] = {0.1, 0.3}, fine_steps[2] = {0.01, 0.03};
    f->loc = c->median, f->shape = 1.5;
    int rc = gennorm_search(c, f, coarse_steps, COARSE_TOLERANCE);
    if (rc == GTAP_OK) rc = gtap_fit_gennorm_newton(s, f);
    if (rc == GTAP_OK && !f->converged) f->loglik = NAN, rc = gennorm_search(s, f, fine_steps, 1e-7);
    return rc;
}

/* Share of the sample equal to the sample value nearest to `at`. */
static double tied_share(const sample *s, double at)
{
    uint64_t lo = nearest_index(s, at), first = lo, last = lo;
    float value = s->x[lo];
    while (first > 0 && s->x[first - 1] == value) first--;
    while (last + 1 < s->n && s->x[last + 1] == value) last++;
    return (double)(last - first + 1) / (double)s->n;
}

/* The checks of docs/THEORY.md s.6: a fit that is not a distribution of
 * the data gets degenerate = 1 and a note. */
static void check_degenerate(const sample *s, gtap_fit *f)
{
    const char *why = NULL;
    if (!(f->scale > 0) || !isfinite(f->scale) || !isfinite(f->loc)) why = "degenerate: scale not positive and finite";
    else if (f->family == GTAP_FAMILY_STUDENT && f->shape <= AT_BOUND * NU_MIN)
        why = "degenerate: nu at the lower end of its range (an atom or ties in the data)";
    else if (f->family == GTAP_FAMILY_GENNORM && f->shape <= AT_BOUND * BETA_MIN)
        why = "degenerate: beta at the lower end of its range (an atom or ties in the data)";
    else if ((f->family == GTAP_FAMILY_STUDENT || f->family == GTAP_FAMILY_GENNORM) && tied_share(s, f->loc) >= ATOM_SHARE)
        why = "degenerate: 1% or more of the values are tied at the location (an atom)";
    else if (!isfinite(f->loglik)) why = "degenerate: log-likelihood not finite";
    if (why == NULL) return;
    f->degenerate = 1;
    f->note = why;
    f->ks_p = NAN;
    f->loc_se = f->scale_se = f->shape_se = NAN;
}

/* A point mass (all values equal): no family describes it. */
static void point_mass(const sample *s, gtap_fit *f)
{
    f->loc = s->x[0];
    f->scale = 0.0;
    f->loglik = f->aic = f->ks = f->ks_p = NAN;
    f->loc_se = f->scale_se = f->shape_se = NAN;
    f->converged = 0;
    f->degenerate = 1;
    f->note = "degenerate: all values are equal";
}

static void fit_init(gtap_fit *f, gtap_family family, uint64_t n)
{
    memset(f, 0, sizeof *f);
    f->family = family;
    f->n = n;
    f->shape = f->loc_se = f->scale_se = f->shape_se = f->ks_p = NAN;
    f->loglik = f->aic = f->ks = NAN;
    f->note = "";
}

/* Fit one family to the sorted, scaled sample s (c: its quantiles). */
static int fit_sorted(const sample *s, const sample *c, gtap_family family, gtap_fit *f)
{
    fit_init(f, family, s->n);
    if (s->x[0] == s->x[s->n - 1]) {
        point_mass(s, f);
        return GTAP_OK;
    }
    int rc = GTAP_OK;
    switch (family) {
    case GTAP_FAMILY_GAUSS: fit_gauss(s, f); break;
    case GTAP_FAMILY_LAPLACE: fit_laplace(s, f); break;
    case GTAP_FAMILY_STUDENT: rc = fit_student(s, c, f); break;
    default: rc = fit_gennorm(s, c, f); break;
    }
    if (rc < 0) return gtap_set_error(rc, "fit %s: out of memory", gtap_family_name(family));
    if (f->scale > 0 && isfinite(f->scale)) {
        int parameters = (family == GTAP_FAMILY_STUDENT || family == GTAP_FAMILY_GENNORM) ? 3 : 2;
        if (!isfinite(f->loglik)) f->loglik = gtap_fit_loglik(f, s->x, s->n); /* Newton left its own */
        f->aic = 2.0 * parameters - 2.0 * f->loglik;
        f->ks = gtap_ks_distance(s->x, s->n, f);
        f->ks_p = gtap_ks_pvalue(f->ks, s->n);
        gtap_fit_fisher_se(f);
    }
    check_degenerate(s, f);
    return GTAP_OK;
}

/* Back from the scaled sample (x / 2^exponent) to the data's units. */
static void unscale(gtap_fit *f, int exponent)
{
    double c = ldexp(1.0, exponent);
    f->loc *= c;
    f->scale *= c;
    f->loc_se *= c;
    f->scale_se *= c;
    if (isfinite(f->loglik)) {
        f->loglik -= (double)f->n * (double)exponent * log(2.0);
        int parameters = (f->family == GTAP_FAMILY_STUDENT || f->family == GTAP_FAMILY_GENNORM) ? 3 : 2;
        f->aic = 2.0 * parameters - 2.0 * f->loglik;
    }
}

/* Validate x, copy it (without exact zeros when drop_zeros), scale the copy
 * by 2^-exponent so that its largest |value| is in [0.5, 1), and sort it
 * (radix sort, O(n)). */
static int scaled_copy(const float *x, uint64_t n, int drop_zeros, float **sorted, uint64_t *kept, int *exponent)
{
    *sorted = NULL;
    *kept = 0;
    *exponent = 0;
    if (x == NULL || n < 2) return gtap_set_error(GTAP_EINVAL, "fit: need at least 2 values (got %llu)", (unsigned long long)n);
    double largest = 0.0;
    for (uint64_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return gtap_set_error(GTAP_ENONFINITE, "fit: value %llu is not finite", (unsigned long long)i);
        if (fabs((double)x[i]) > largest) largest = fabs((double)x[i]);
    }
    if (n > SIZE_MAX / sizeof(float)) return gtap_set_error(GTAP_EOVERFLOW, "fit: %llu values", (unsigned long long)n);
    float *copy = malloc((size_t)n * sizeof *copy);
    if (copy == NULL) return gtap_set_error(GTAP_ENOMEM, "fit: out of memory for %llu values", (unsigned long long)n);
    if (largest > 0) frexp(largest, exponent);
    uint64_t m = 0;
    for (uint64_t i = 0; i < n; i++)
        if (!drop_zeros || x[i] != 0.0f) copy[m++] = ldexpf(x[i], -*exponent); /* exact unless below 2^-149 of the max */
    int rc = gtap_fit_sort_floats(copy, m);
    if (rc < 0) {
        free(copy);
        return rc;
    }
    *sorted = copy;
    *kept = m;
    return GTAP_OK;
}

static void sample_init(sample *s, const float *sorted, uint64_t n)
{
    s->x = sorted;
    s->n = n;
    s->median = median_sorted(sorted, n);
    s->spread = (quantile_sorted(sorted, n, 0.75) - quantile_sorted(sorted, n, 0.25)) / 1.349;
    if (!(s->spread > 0)) s->spread = ((double)sorted[n - 1] - (double)sorted[0]) / 4.0;
}

/* Fit `count` families from `first` to the scaled sorted sample. */
/* The coarse sample: COARSE evenly spaced quantiles of the sorted sample
 * (all of it when it is not larger), in c_values[COARSE]. */
static void coarse_init(sample *c, const sample *s, float *c_values)
{
    if (s->n <= COARSE) {
        *c = *s;
        return;
    }
    for (uint64_t i = 0; i < COARSE; i++) c_values[i] = s->x[(uint64_t)(((double)i + 0.5) * (double)s->n / COARSE)];
    sample_init(c, c_values, COARSE);
    if (!(c->spread > 0)) c->spread = s->spread; /* ties: the whole sample's units */
}

static int fit_families(const float *sorted, uint64_t n, int exponent, int first, int count, gtap_fit *fits)
{
    float c_values[COARSE];
    sample s, c;
    sample_init(&s, sorted, n);
    coarse_init(&c, &s, c_values);
    for (int f = 0; f < count; f++) {
        int rc = fit_sorted(&s, &c, (gtap_family)(first + f), &fits[f]);
        if (rc < 0) return rc;
        unscale(&fits[f], exponent);
    }
    return GTAP_OK;
}

int gtap_fit_family(const float *x, uint64_t n, gtap_family family, gtap_fit *fit)
{
    gtap_gsl_quiet();
    if (fit == NULL || (unsigned)family >= GTAP_FAMILY_COUNT) return gtap_set_error(GTAP_EINVAL, "fit: bad family or NULL output");
    float *sorted = NULL;
    uint64_t kept;
    int exponent;
    int rc = scaled_copy(x, n, 0, &sorted, &kept, &exponent);
    if (rc == GTAP_OK) rc = fit_families(sorted, kept, exponent, (int)family, 1, fit);
    free(sorted);
    return rc;
}

gtap_family gtap_fit_best(const gtap_fit fits[GTAP_FAMILY_COUNT], double alpha)
{
    int chosen = GTAP_FAMILY_COUNT;
    if (fits == NULL) return GTAP_FAMILY_COUNT;
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) {
        const gtap_fit *fit = &fits[f];
        if (!fit->converged || fit->degenerate || !isfinite(fit->aic)) continue;
        if (alpha > 0 && !(fit->ks_p >= alpha)) continue;
        if (chosen == GTAP_FAMILY_COUNT || fit->aic < fits[chosen].aic) chosen = f;
    }
    return (gtap_family)chosen;
}

/* Every family degenerate: fewer than 2 values left to fit. */
static void too_few(gtap_fit fits[GTAP_FAMILY_COUNT], uint64_t n)
{
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) {
        fit_init(&fits[f], (gtap_family)f, n);
        fits[f].degenerate = 1;
        fits[f].note = "degenerate: fewer than 2 non-zero values";
    }
}

static int fit_all(const float *x, uint64_t n, int drop_zeros, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best,
                   uint64_t *zeros, int threads)
{
    gtap_gsl_quiet();
    if (fits == NULL) return gtap_set_error(GTAP_EINVAL, "fit: NULL output");
    float *sorted = NULL;
    uint64_t kept;
    int exponent, before = gtap_fit_use_threads(threads);
    int rc = scaled_copy(x, n, drop_zeros, &sorted, &kept, &exponent);
    if (rc == GTAP_OK && kept < 2) too_few(fits, kept);
    else if (rc == GTAP_OK) rc = fit_families(sorted, kept, exponent, 0, GTAP_FAMILY_COUNT, fits);
    gtap_fit_use_threads(before);
    free(sorted);
    if (rc < 0) return rc;
    if (zeros) *zeros = n - kept;
    if (best) *best = gtap_fit_best(fits, GTAP_FIT_ALPHA);
    return GTAP_OK;
}

int gtap_fit_all(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best)
{
    return fit_all(x, n, 0, fits, best, NULL, 0);
}

int gtap_fit_all_nonzero(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best, uint64_t *zeros)
{
    return fit_all(x, n, 1, fits, best, zeros, 0);
}

int gtap_fit_all_nonzero_threads(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best,
                                 uint64_t *zeros, int threads)
{
    return fit_all(x, n, 1, fits, best, zeros, threads);
}
