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
 * it), student and gennorm by Nelder-Mead (GSL multimin) on 4096
 * quantiles of the sample, then Newton steps with the analytic gradient
 * on the whole sample (gennorm's scale profiled out; Nelder-Mead on the
 * whole sample only where Newton does not converge). The sample is first scaled
 * by a power of two (exact) so that no sum overflows; values as large as
 * FLT_MAX give finite results. Standard errors come from the expected
 * (Fisher) information of the family at the fit, and assume that the
 * family is right (docs/THEORY.md s.6). The caller chooses the sample: the
 * CLI fits a seeded random subsample (gtap_sample_random_index()).
 *
 * What a fit does not say (docs/THEORY.md s.6): `degenerate` marks a fit
 * that is not a distribution of the data (all values equal, a shape at the
 * edge of its search range, an atom of tied values at the location, a
 * non-finite likelihood); `ks_p` says whether the family is compatible with
 * the sample at all. `best` is only ever a family that converged, is not
 * degenerate and passes the KS test at 5%; otherwise GTAP_FAMILY_COUNT,
 * whose name is "none". Exact zeros: gtap_fit_all_nonzero() models them as
 * an atom and fits the families to the non-zero values.
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

/* "gauss", "laplace", "student", "gennorm"; "none" for GTAP_FAMILY_COUNT
 * (no family: what `best` holds when none fits); "invalid" otherwise. */
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
    int degenerate;                    /* 1: not a distribution of the data (see `note`) */
    double ks_p;                       /* KS p-value of `ks` for n (gtap_ks_pvalue); NaN when degenerate */
    const char *note;                  /* static text: why degenerate, or why a standard error is NaN;
                                        * "" when there is nothing to say; never NULL after a fit */
} gtap_fit;

/* The level of the goodness-of-fit test behind `best` (5%). */
#define GTAP_FIT_ALPHA 0.05

/* gtap_fit_family() - ML fit of `family` to the n values of x (all must be
 * finite; n >= 2; they need not be sorted and are not modified). Every
 * value is fitted, zeros included (see gtap_fit_all_nonzero()).
 * @return GTAP_OK; GTAP_EINVAL (NULL, n < 2, bad family); GTAP_ENONFINITE
 * (a NaN/Inf value); GTAP_ENOMEM. A sample with all values equal gives
 * GTAP_OK with scale 0, degenerate 1, converged 0 and loglik, aic, ks and
 * ks_p NaN (never an infinite likelihood). */
GTAP_API int gtap_fit_family(const float *x, uint64_t n, gtap_family family, gtap_fit *fit);

/* gtap_fit_all() - all four families at once into fits[GTAP_FAMILY_COUNT]
 * (sorting the sample once for the KS distances); *best receives
 * gtap_fit_best(fits, GTAP_FIT_ALPHA): the family with the smallest AIC
 * among those that converged, are not degenerate and pass the KS test at
 * 5%, or GTAP_FAMILY_COUNT ("none") when no family does. `best` may be
 * NULL. @return as gtap_fit_family. */
GTAP_API int gtap_fit_all(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best);

/* gtap_fit_all_nonzero() - the zero-atom model (docs/THEORY.md s.6): the
 * exact zeros of x (+0 and -0) are counted into *zeros (may be NULL) and
 * left out, and the four families are fitted to the non-zero values as
 * gtap_fit_all() does (fits[f].n = n - zeros). A continuous family cannot
 * describe an atom: with zeros in the sample the likelihood of gennorm
 * grows without bound as beta -> 0 and that of Student-t as nu -> 0. With
 * fewer than 2 non-zero values every fit is degenerate (note "fewer than 2
 * non-zero values") and *best is GTAP_FAMILY_COUNT. @return GTAP_OK;
 * GTAP_EINVAL (NULL x or fits, n < 2); GTAP_ENONFINITE; GTAP_ENOMEM. */
GTAP_API int gtap_fit_all_nonzero(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best,
                                  uint64_t *zeros);

/* gtap_fit_all_nonzero_threads() - gtap_fit_all_nonzero() on `threads`
 * OpenMP threads (<= 0: OpenMP's default, which every other function here
 * uses). The passes over the sample sum fixed blocks of values in block
 * order, so every result is bit for bit the same for any thread count. */
GTAP_API int gtap_fit_all_nonzero_threads(const float *x, uint64_t n, gtap_fit fits[GTAP_FAMILY_COUNT], gtap_family *best,
                                          uint64_t *zeros, int threads);

/* gtap_fit_best() - the family with the smallest AIC among the fits that
 * converged, are not degenerate, have a finite AIC and, when alpha > 0,
 * have ks_p >= alpha; GTAP_FAMILY_COUNT when there is none. alpha = 0
 * ranks by AIC alone, which says which family is least bad, not that it
 * fits. NULL fits: GTAP_FAMILY_COUNT. */
GTAP_API gtap_family gtap_fit_best(const gtap_fit fits[GTAP_FAMILY_COUNT], double alpha);

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

/* gtap_ks_pvalue() - P(D_n >= distance) under a fully specified continuous
 * distribution: Kolmogorov's limit distribution at
 * lambda = distance (sqrt(n) + 0.12 + 0.11/sqrt(n)) (Stephens' correction
 * for finite n). With parameters estimated from the same sample the true
 * p-value is smaller, so a rejection (p < alpha) is reliable and a pass is
 * not proof of fit (docs/THEORY.md s.6). NaN for n = 0 or a NaN distance. */
GTAP_API double gtap_ks_pvalue(double distance, uint64_t n);

/* gtap_ks_critical() - the distance at which gtap_ks_pvalue() equals alpha
 * (alpha in (0, 1)): 1.3581 / (sqrt(n) + 0.12 + 0.11/sqrt(n)) at 5%, about
 * sqrt(-ln(alpha/2)/2) / sqrt(n) for large n. NaN for n = 0 or a bad alpha. */
GTAP_API double gtap_ks_critical(uint64_t n, double alpha);

/* gtap_fit_loglik() - the log-likelihood of n values under `fit` (NaN
 * without a positive scale or out of memory), summed in fixed blocks. */
GTAP_API double gtap_fit_loglik(const gtap_fit *fit, const float *x, uint64_t n);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_FIT_H */
