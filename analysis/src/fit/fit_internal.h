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

#endif
