/* fit_se.c - standard errors of the fits from the expected (Fisher)
 * information of the family at the fitted parameters, per value, divided
 * by n: SE = sqrt(diag(I^-1) / n) (docs/THEORY.md s.6). They assume the
 * family is right. The location and the (scale, shape) pair are
 * uncorrelated in every family (the densities are symmetric), so I is
 * block diagonal: 1/I_loc and the inverse of a 2x2 block.
 *
 * A numerical Hessian of the log-likelihood is not used: for gennorm with
 * beta <= 1 the log-likelihood has a cusp at every data point, and its
 * finite-difference curvature depends on the step (it gave a location SE
 * three times too small at beta = 0.8). */
#include <gsl/gsl_sf_psi.h>
#include <math.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

/* SEs of (scale, shape) from the block [[a, b], [b, c]] per value. */
static void pair_se(gtap_fit *f, double a, double b, double c, const char *why_not)
{
    double det = a * c - b * b, n = (double)f->n;
    if (!(det > 0) || !(a > 0) || !(c > 0) || !isfinite(det)) {
        if (f->note[0] == '\0') f->note = why_not;
        return;
    }
    f->scale_se = sqrt(c / (det * n));
    f->shape_se = sqrt(a / (det * n));
}

/* Student-t (Lange, Little and Taylor 1989), nu = shape, s = scale. */
static void student_se(gtap_fit *f)
{
    double nu = f->shape, s = f->scale, n = (double)f->n;
    f->loc_se = sqrt((nu + 3.0) * s * s / ((nu + 1.0) * n));
    double a = 2.0 * nu / ((nu + 3.0) * s * s);
    double b = -2.0 / (s * (nu + 3.0) * (nu + 1.0));
    double c = 0.25 * (gsl_sf_psi_1(0.5 * nu) - gsl_sf_psi_1(0.5 * (nu + 1.0))) -
               (nu + 5.0) / (2.0 * nu * (nu + 1.0) * (nu + 3.0));
    pair_se(f, a, b, c, "shape_se: no usable information about nu (nu very large: the Gaussian limit)");
}

/* Generalized normal with k = 1/beta and G = |z|^beta ~ Gamma(k, 1):
 * I_loc = beta^2 Gamma(2 - k) / (s^2 Gamma(k)), finite only for beta > 1/2;
 * I_ss = beta / s^2, I_sb = -Cov(G, G ln G) / s, I_bb = Var(G ln G) / beta^2. */
static void gennorm_se(gtap_fit *f)
{
    double beta = f->shape, s = f->scale, k = 1.0 / beta, n = (double)f->n;
    if (beta > 0.5) {
        double info = beta * beta * exp(lgamma(2.0 - k) - lgamma(k)) / (s * s);
        f->loc_se = 1.0 / sqrt(info * n);
    } else {
        f->note = "loc_se: no Fisher information about the location for beta <= 1/2";
    }
    double psi1 = gsl_sf_psi(k + 1.0), psi2 = gsl_sf_psi(k + 2.0), tri2 = gsl_sf_psi_1(k + 2.0);
    double cov = k * (k + 1.0) * psi2 - k * k * psi1;
    double var = k * (k + 1.0) * (psi2 * psi2 + tri2) - k * k * psi1 * psi1;
    pair_se(f, beta / (s * s), -cov / s, var / (beta * beta), "scale_se and shape_se: information matrix not positive");
}

void gtap_fit_fisher_se(gtap_fit *f)
{
    gtap_gsl_quiet(); /* psi at a bad argument must return, not abort */
    double n = (double)f->n, s = f->scale;
    f->loc_se = f->scale_se = f->shape_se = NAN;
    if (!(s > 0) || !isfinite(s) || f->n == 0) return;
    switch (f->family) {
    case GTAP_FAMILY_GAUSS: /* I_loc = 1/s^2, I_ss = 2/s^2 */
        f->loc_se = s / sqrt(n);
        f->scale_se = s / sqrt(2.0 * n);
        break;
    case GTAP_FAMILY_LAPLACE: /* median: 1/(2 f(mu) sqrt n) = s/sqrt n; mean |x - mu|: Var = s^2 */
        f->loc_se = s / sqrt(n);
        f->scale_se = s / sqrt(n);
        break;
    case GTAP_FAMILY_STUDENT: student_se(f); break;
    case GTAP_FAMILY_GENNORM: gennorm_se(f); break;
    default: break;
    }
}
