/* fit_se.c - standard errors of the iterative fits: the inverse of a
 * central-difference Hessian of the negative log-likelihood in (loc,
 * scale, shape) at the maximum (observed information). */
#include <gsl/gsl_linalg.h>
#include <math.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

static double negloglik(const gtap_fit *base, const double *theta, const float *x, uint64_t n)
{
    gtap_fit f = *base;
    f.loc = theta[0];
    f.scale = theta[1];
    f.shape = theta[2];
    if (!(f.scale > 0) || !(f.shape > 0)) return NAN;
    return -gtap_fit_loglik(&f, x, n);
}

void gtap_fit_numeric_se(gtap_fit *fit, const float *x, uint64_t n)
{
    gtap_gsl_quiet(); /* a singular Hessian must not abort (GSL_ERROR) */
    fit->loc_se = fit->scale_se = fit->shape_se = NAN;
    double theta[3] = {fit->loc, fit->scale, fit->shape};
    double h[3] = {1e-4 * fit->scale, 1e-4 * fit->scale, 1e-4 * fit->shape};
    gsl_matrix *hess = gsl_matrix_alloc(3, 3);
    if (hess == NULL) return;
    double f0 = negloglik(fit, theta, x, n);
    for (int i = 0; i < 3; i++) {
        for (int j = i; j < 3; j++) {
            double t[3], value;
            if (i == j) {
                double plus, minus;
                for (int k = 0; k < 3; k++) t[k] = theta[k];
                t[i] = theta[i] + h[i];
                plus = negloglik(fit, t, x, n);
                t[i] = theta[i] - h[i];
                minus = negloglik(fit, t, x, n);
                value = (plus - 2.0 * f0 + minus) / (h[i] * h[i]);
            } else {
                double corner[4];
                for (int c = 0; c < 4; c++) {
                    for (int k = 0; k < 3; k++) t[k] = theta[k];
                    t[i] += (c & 1) ? -h[i] : h[i];
                    t[j] += (c & 2) ? -h[j] : h[j];
                    corner[c] = negloglik(fit, t, x, n);
                }
                value = (corner[0] - corner[1] - corner[2] + corner[3]) / (4.0 * h[i] * h[j]);
            }
            gsl_matrix_set(hess, (size_t)i, (size_t)j, value);
            gsl_matrix_set(hess, (size_t)j, (size_t)i, value);
        }
    }
    /* Cholesky succeeds only for a positive definite information matrix */
    if (gsl_linalg_cholesky_decomp1(hess) == GSL_SUCCESS && gsl_linalg_cholesky_invert(hess) == GSL_SUCCESS) {
        double *se[3] = {&fit->loc_se, &fit->scale_se, &fit->shape_se};
        for (int i = 0; i < 3; i++) {
            double v = gsl_matrix_get(hess, (size_t)i, (size_t)i);
            *se[i] = v > 0 ? sqrt(v) : NAN;
        }
    }
    gsl_matrix_free(hess);
}
