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

#endif
