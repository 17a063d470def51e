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

/* Standard errors of (loc, scale, shape) from a numerical Hessian of the
 * negative log-likelihood at the fit (NaN where not positive definite). */
void gtap_fit_numeric_se(gtap_fit *fit, const float *x, uint64_t n);

#endif
