/* predicted.c - the top-k contraction ratio a fitted family predicts
 * (docs/THEORY.md s.7): closed forms for zero-mean Gaussian and
 * Laplace, otherwise the threshold by Brent's method on P(|X| > t) = rho
 * and E[X^2 ; |X| > t] by GSL adaptive integration over the two tails. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_roots.h>
#include <math.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

double gtap_ratio_gauss(double rho)
{
    if (!(rho > 0.0 && rho <= 1.0)) return NAN;
    double z = gsl_cdf_ugaussian_Qinv(0.5 * rho);
    double phi = exp(-0.5 * z * z) / sqrt(2.0 * M_PI);
    return 1.0 - rho - 2.0 * z * phi;
}

double gtap_ratio_laplace(double rho)
{
    if (!(rho > 0.0 && rho <= 1.0)) return NAN;
    double s = -log(rho);
    return 1.0 - rho * (s * s + 2.0 * s + 2.0) / 2.0;
}

typedef struct ratio_problem {
    const gtap_fit *fit;
    double rho;
} ratio_problem;

/* P(|X| > t) - rho */
static double exceedance(double t, void *params)
{
    const ratio_problem *p = params;
    return gtap_family_sf(p->fit, t) + gtap_family_sf(p->fit, 2.0 * p->fit->loc + t) - p->rho;
}

static double second_moment_density(double x, void *params)
{
    return x * x * gtap_fit_pdf(params, x);
}

static int solve_threshold(ratio_problem *p, double *t)
{
    double hi = fabs(p->fit->loc) + p->fit->scale;
    gsl_function fn = {exceedance, p};
    for (int i = 0; i < 200 && exceedance(hi, p) > 0; i++) hi *= 2.0;
    if (!(exceedance(hi, p) <= 0)) return gtap_set_error(GTAP_EINTERNAL, "predicted ratio: no threshold for rho=%g", p->rho);
    if (exceedance(0.0, p) <= 0) {
        *t = 0.0;
        return GTAP_OK;
    }
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (solver == NULL) return gtap_set_error(GTAP_ENOMEM, "predicted ratio: out of memory");
    int status = gsl_root_fsolver_set(solver, &fn, 0.0, hi);
    for (int i = 0; i < 200 && status == GSL_SUCCESS; i++) {
        status = gsl_root_fsolver_iterate(solver);
        if (status != GSL_SUCCESS) break;
        double lo = gsl_root_fsolver_x_lower(solver), up = gsl_root_fsolver_x_upper(solver);
        if (gsl_root_test_interval(lo, up, 0.0, 1e-13) == GSL_SUCCESS) break;
    }
    *t = gsl_root_fsolver_root(solver);
    gsl_root_fsolver_free(solver);
    if (status != GSL_SUCCESS) return gtap_set_error(GTAP_EINTERNAL, "predicted ratio: root finder failed for rho=%g (%s)", p->rho, gsl_strerror(status));
    return GTAP_OK;
}

int gtap_fit_predicted_ratio(const gtap_fit *fit, double rho, double *ratio)
{
    gtap_gsl_quiet();
    if (fit == NULL || ratio == NULL || !(rho > 0.0 && rho <= 1.0))
        return gtap_set_error(GTAP_EINVAL, "predicted ratio: bad arguments (rho=%g)", rho);
    *ratio = NAN;
    double second = gtap_fit_second_moment(fit);
    if (!(fit->scale > 0) || !isfinite(second)) return GTAP_OK;
    if (fit->loc == 0.0 && fit->family == GTAP_FAMILY_GAUSS) {
        *ratio = gtap_ratio_gauss(rho);
        return GTAP_OK;
    }
    if (fit->loc == 0.0 && fit->family == GTAP_FAMILY_LAPLACE) {
        *ratio = gtap_ratio_laplace(rho);
        return GTAP_OK;
    }
    ratio_problem problem = {fit, rho};
    double t = 0.0;
    int rc = solve_threshold(&problem, &t);
    if (rc < 0) return rc;
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    if (w == NULL) return gtap_set_error(GTAP_ENOMEM, "predicted ratio: out of memory");
    gsl_function fn = {second_moment_density, (void *)fit};
    double upper = 0, lower = 0, error;
    int s1 = gsl_integration_qagiu(&fn, t, 0.0, 1e-10, 1000, w, &upper, &error);
    int s2 = gsl_integration_qagil(&fn, -t, 0.0, 1e-10, 1000, w, &lower, &error);
    gsl_integration_workspace_free(w);
    /* GSL_EROUND: the requested tolerance could not be reached but the value is usable */
    if ((s1 != GSL_SUCCESS && s1 != GSL_EROUND) || (s2 != GSL_SUCCESS && s2 != GSL_EROUND))
        return gtap_set_error(GTAP_EINTERNAL, "predicted ratio: integration failed for %s at rho=%g (%s)",
                              gtap_family_name(fit->family), rho, gsl_strerror(s1 != GSL_SUCCESS ? s1 : s2));
    *ratio = 1.0 - (upper + lower) / second;
    return GTAP_OK;
}
