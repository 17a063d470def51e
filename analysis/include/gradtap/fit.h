/*
 * gradtap/fit.h - maximum-likelihood fits of the coordinate distribution of
 * a snapshot, goodness of fit, and the contraction ratio that a fitted
 * family predicts for top-k (docs/THEORY.md s.6-7).
 *
 * Families (location mu, scale s, shape):
 *   gauss    N(mu, s^2)                          shape unused
 *   laplace  density exp(-|x-mu|/s) / (2s)        shape unused
 *   student  location-scale Student-t, nu = shape (degrees of freedom)
 *   gennorm  generalized normal, density beta/(2 s Gamma(1/beta))
 *            exp(-(|x-mu|/s)^beta), beta = shape (2: Gaussian, 1: Laplace)
 *
 * Fits are exact maximum likelihood: gauss closed form (mean and ML standard
 * deviation), laplace closed form (median, mean absolute deviation from
 * it), student and gennorm by Nelder-Mead (GSL multimin) on the
 * log-likelihood, gennorm's scale profiled out. Standard errors come from
 * the observed information (closed forms for gauss and laplace, a numerical
 * Hessian otherwise). The caller chooses the sample: for very large
 * vectors the CLI fits the deterministic subsample of gtap_sample_stride().
 *
 * GSL's abort-on-error handler is turned off (gtap_gsl_quiet) by every
 * function here. All functions return GTAP_OK or a negative gtap_status
 * with a message in gtap_last_error(); none exits or aborts.
 */
#ifndef GRADTAP_FIT_H
#define GRADTAP_FIT_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gtap_family {
    GTAP_FAMILY_GAUSS = 0,
    GTAP_FAMILY_LAPLACE = 1,
    GTAP_FAMILY_STUDENT = 2,
    GTAP_FAMILY_GENNORM = 3,
    GTAP_FAMILY_COUNT = 4
} gtap_family;

/* "gauss", "laplace", "student", "gennorm"; "invalid" otherwise. */
GTAP_API const char *gtap_family_name(gtap_family family);

/* A fitted distribution. */
typedef struct gtap_fit {
    gtap_family family;
    double loc, scale, shape;          /* shape: nu or beta; NaN for gauss/laplace */
    double loc_se, scale_se, shape_se; /* standard errors (NaN when not available) */
    double loglik;                     /* log-likelihood of the sample */
    double aic;                        /* 2 p - 2 loglik, p = 2 or 3 parameters */
    double ks;                         /* Kolmogorov-Smirnov distance to the sample */
    uint64_t n;                        /* sample size the fit used */
    int converged;                     /* 1 when the optimiser met its tolerance */
} gtap_fit;

/* gtap_fit_family() - ML fit of `family` to the n values of x (all must be
 * finite; n >= 2; they need not be sorted and are not modified).
 * @return GTAP_OK; GTAP_EINVAL (NULL, n < 2, bad family); GTAP_ENONFINITE
 * (a NaN/Inf value); GTAP_ENOMEM. A degenerate sample (all values equal)
 * gives GTAP_OK with scale 0, loglik +Inf and converged 0. */
GTAP_API int gtap_fit_family(const float *x, uint64_t n, gtap_family family, gtap_fit *fit);

/* gtap_fit_all() - all four families at once into fits[GTAP_FAMILY_COUNT]
 * (sorting the sample once for the KS distances); *best receives the family
 * with the smallest AIC among those that converged (or the smallest AIC at
 * all). `best` may be NULL. @return as gtap_fit_family. */
GTAP_API int gtap_fit_all(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best);

/* Density, distribution function and quantile of a fitted family
 * (p in (0,1); NaN outside). Pure functions of `fit`. */
GTAP_API double gtap_fit_pdf(const gtap_fit *fit, double x);
GTAP_API double gtap_fit_cdf(const gtap_fit *fit, double x);
GTAP_API double gtap_fit_quantile(const gtap_fit *fit, double p);
/* E[X^2] of the fitted family (+Inf for Student-t with nu <= 2). */
GTAP_API double gtap_fit_second_moment(const gtap_fit *fit);

/* gtap_fit_predicted_ratio() - the top-k contraction ratio predicted if
 * the coordinates were i.i.d. from `fit`: the threshold t solves
 * P(|X| > t) = rho and r_pred = 1 - E[X^2 ; |X| > t] / E[X^2]. Closed
 * forms for gauss and laplace with loc = 0 (gtap_ratio_gauss,
 * gtap_ratio_laplace), otherwise t by Brent's method and the integral by
 * GSL QAGIU/QAGIL. rho in (0, 1]. *ratio is NaN when undefined (scale 0,
 * infinite second moment). @return GTAP_OK; GTAP_EINVAL; GTAP_EINTERNAL when
 * the root finder or the integration fails (message says which). */
GTAP_API int gtap_fit_predicted_ratio(const gtap_fit *fit, double rho, double *ratio);

/* Closed forms for zero-mean families (docs/THEORY.md s.7):
 * Gaussian 1 - rho - 2 z phi(z) with z = Phi^-1(1 - rho/2);
 * Laplace 1 - rho (s^2 + 2 s + 2) / 2 with s = -ln(rho). NaN outside (0,1]. */
GTAP_API double gtap_ratio_gauss(double rho);
GTAP_API double gtap_ratio_laplace(double rho);

/* gtap_ks_distance() - sup |F_n(x) - F(x)| for a SORTED sample of n values
 * and the fitted distribution. */
GTAP_API double gtap_ks_distance(const float *sorted, uint64_t n, const gtap_fit *fit);

/* gtap_fit_loglik() - the log-likelihood of n values under `fit`. */
GTAP_API double gtap_fit_loglik(const gtap_fit *fit, const float *x, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_FIT_H */
