/* fit_internal.h - what the files of analysis/src/fit share (private). */
#ifndef GRADTAP_FIT_INTERNAL_H
#define GRADTAP_FIT_INTERNAL_H

#include "gradtap/fit.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* log f(x) = const(fit) + kernel(fit, (x - loc) / scale) */
double gtap_family_logpdf_const(const gtap_fit *fit);
double gtap_family_logpdf_kernel(const gtap_fit *fit, double z);
/* P(X > x), accurate in the upper tail. */
double gtap_family_sf(const gtap_fit *fit, double x);

/* Standard errors of (loc, scale, shape) from the expected (Fisher)
 * information at the fit and fit->n (docs/THEORY.md s.6); NaN, with
 * fit->note saying why, where the information does not exist. */
void gtap_fit_fisher_se(gtap_fit *fit);

/* Sort x[0..n) ascending in O(n) (sort.c): the order of a stable
 * comparison sort by value (-0 and +0 equal). @return GTAP_OK,
 * GTAP_EOVERFLOW or GTAP_ENOMEM. */
int gtap_fit_sort_floats(float *x, uint64_t n);

/* Passes over a sample (blocks.c): fn(ctx, x + begin, begin, count, out)
 * writes `width` partial results of one block of GTAP_FIT_BLOCK values
 * (the last one shorter); the blocks run on OpenMP threads and their
 * results are summed (take_max 0) or maximised (1) in block order into
 * out[width], so they do not depend on the thread count. @return GTAP_OK,
 * GTAP_EINVAL (width), GTAP_ENOMEM. */
#define GTAP_FIT_BLOCK ((uint64_t)1 << 13)
#define GTAP_FIT_PASS_WIDTH 8
typedef void (*gtap_fit_block_fn)(const void *ctx, const float *x, uint64_t begin, uint64_t count, double *out);
int gtap_fit_pass(const float *x, uint64_t n, gtap_fit_block_fn fn, const void *ctx, int width, int take_max, double *out);

/* The thread count of the passes run from this thread (threads <= 0:
 * OpenMP's default); returns the previous setting (blocks.c). */
int gtap_fit_use_threads(int threads);

/* The sorted, scaled sample a fit works on (fit_ml.c). */
typedef struct gtap_fit_sample {
    const float *x;        /* sorted, scaled: |x| < 1 */
    uint64_t n;
    double median, spread; /* robust start and the units of the searches */
} gtap_fit_sample;

/* Search ranges of the shapes (outside them the likelihood is not used). */
#define GTAP_NU_MIN 0.2
#define GTAP_NU_MAX 1e6
#define GTAP_BETA_MIN 0.1
#define GTAP_BETA_MAX 20.0

/* gtap_fit_newton_solve() - step = A^-1 gradient over the parameters
 * with free[i] != 0 (the others get step 0), A symmetric of order dim <= 3;
 * *decrement = gradient' A^-1 gradient. @return 1, or 0 when A restricted
 * to the free parameters is not positive definite (newton.c). */
int gtap_fit_newton_solve(const double a[3][3], const double *gradient, const int *free, int dim, double *step,
                          double *decrement);

/* Newton refinements on the whole sample (student.c, gennorm.c), from the
 * start in f (loc, scale, shape); on return f holds the maximum found and
 * f->converged says whether the step met the tolerance. @return GTAP_OK or
 * GTAP_ENOMEM. */
int gtap_fit_student_newton(const gtap_fit_sample *s, gtap_fit *f);
int gtap_fit_gennorm_newton(const gtap_fit_sample *s, gtap_fit *f);

#endif
