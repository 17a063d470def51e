/* family.c - the four distribution families gradtap fits (gradtap/fit.h):
 * log-density, density, distribution and survival functions, quantiles and
 * second moments, on GSL's special functions and distributions. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>
#include <math.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

const char *gtap_family_name(gtap_family family)
{
    switch (family) {
    case GTAP_FAMILY_GAUSS: return "gauss";
    case GTAP_FAMILY_LAPLACE: return "laplace";
    case GTAP_FAMILY_STUDENT: return "student";
    case GTAP_FAMILY_GENNORM: return "gennorm";
    case GTAP_FAMILY_COUNT: return "none";
    default: return "invalid";
    }
}

double gtap_family_logpdf_const(const gtap_fit *f)
{
    double s = f->scale, shape = f->shape;
    switch (f->family) {
    case GTAP_FAMILY_GAUSS: return -0.5 * log(2.0 * M_PI) - log(s);
    case GTAP_FAMILY_LAPLACE: return -log(2.0 * s);
    case GTAP_FAMILY_STUDENT:
        return lgamma(0.5 * (shape + 1.0)) - lgamma(0.5 * shape) - 0.5 * log(shape * M_PI) - log(s);
    case GTAP_FAMILY_GENNORM: return log(shape) - log(2.0 * s) - lgamma(1.0 / shape);
    default: return NAN;
    }
}

double gtap_family_logpdf_kernel(const gtap_fit *f, double z)
{
    switch (f->family) {
    case GTAP_FAMILY_GAUSS: return -0.5 * z * z;
    case GTAP_FAMILY_LAPLACE: return -fabs(z);
    case GTAP_FAMILY_STUDENT: return -0.5 * (f->shape + 1.0) * log1p(z * z / f->shape);
    case GTAP_FAMILY_GENNORM: return -pow(fabs(z), f->shape);
    default: return NAN;
    }
}

double gtap_fit_pdf(const gtap_fit *f, double x)
{
    if (f == NULL || !(f->scale > 0)) return NAN;
    double z = (x - f->loc) / f->scale;
    return exp(gtap_family_logpdf_const(f) + gtap_family_logpdf_kernel(f, z));
}

/* P(X > x): accurate in the upper tail (no 1 - F). */
double gtap_family_sf(const gtap_fit *f, double x)
{
    gtap_gsl_quiet(); /* GSL must return errors, never abort */
    double z = (x - f->loc) / f->scale;
    switch (f->family) {
    case GTAP_FAMILY_GAUSS: return gsl_cdf_ugaussian_Q(z);
    case GTAP_FAMILY_LAPLACE: return gsl_cdf_laplace_Q(z, 1.0);
    case GTAP_FAMILY_STUDENT: return gsl_cdf_tdist_Q(z, f->shape);
    case GTAP_FAMILY_GENNORM: {
        double g = gsl_sf_gamma_inc_Q(1.0 / f->shape, pow(fabs(z), f->shape)); /* P(|Z| > |z|) */
        return z >= 0 ? 0.5 * g : 1.0 - 0.5 * g;
    }
    default: return NAN;
    }
}

double gtap_fit_cdf(const gtap_fit *f, double x)
{
    if (f == NULL || !(f->scale > 0)) return NAN;
    /* F(x) = P(X > 2 loc - x) by symmetry: accurate in the lower tail too */
    return gtap_family_sf(f, 2.0 * f->loc - x);
}

double gtap_fit_quantile(const gtap_fit *f, double p)
{
    gtap_gsl_quiet(); /* GSL must return errors, never abort */
    if (f == NULL || !(f->scale > 0) || !(p > 0.0 && p < 1.0)) return NAN;
    double z;
    switch (f->family) {
    case GTAP_FAMILY_GAUSS: z = gsl_cdf_ugaussian_Pinv(p); break;
    case GTAP_FAMILY_LAPLACE: z = gsl_cdf_laplace_Pinv(p, 1.0); break;
    case GTAP_FAMILY_STUDENT: z = gsl_cdf_tdist_Pinv(p, f->shape); break;
    case GTAP_FAMILY_GENNORM: {
        double q = fabs(2.0 * p - 1.0);
        double w = q == 0.0 ? 0.0 : pow(gsl_cdf_gamma_Pinv(q, 1.0 / f->shape, 1.0), 1.0 / f->shape);
        z = p < 0.5 ? -w : w;
        break;
    }
    default: return NAN;
    }
    return f->loc + f->scale * z;
}

double gtap_fit_second_moment(const gtap_fit *f)
{
    if (f == NULL) return NAN;
    double s2 = f->scale * f->scale, var;
    switch (f->family) {
    case GTAP_FAMILY_GAUSS: var = s2; break;
    case GTAP_FAMILY_LAPLACE: var = 2.0 * s2; break;
    case GTAP_FAMILY_STUDENT: var = f->shape > 2.0 ? s2 * f->shape / (f->shape - 2.0) : INFINITY; break;
    case GTAP_FAMILY_GENNORM: var = s2 * exp(lgamma(3.0 / f->shape) - lgamma(1.0 / f->shape)); break;
    default: return NAN;
    }
    return var + f->loc * f->loc;
}

static void kernel_block(const void *ctx, const float *x, uint64_t begin, uint64_t count, double *out)
{
    const gtap_fit *f = ctx;
    double sum = 0.0;
    (void)begin;
    for (uint64_t i = 0; i < count; i++) sum += gtap_family_logpdf_kernel(f, ((double)x[i] - f->loc) / f->scale);
    out[0] = sum;
}

double gtap_fit_loglik(const gtap_fit *f, const float *x, uint64_t n)
{
    double sum;
    if (f == NULL || x == NULL || !(f->scale > 0)) return NAN;
    if (gtap_fit_pass(x, n, kernel_block, f, 1, 0, &sum) < 0) return NAN; /* blocks summed in order */
    return sum + (double)n * gtap_family_logpdf_const(f);
}
