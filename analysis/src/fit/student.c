/* student.c - the Student-t maximum likelihood on the whole sample
 * (fit_internal.h, docs/THEORY.md s.6): damped Newton on
 * (loc, log scale, log nu) with the analytic gradient and Hessian of the
 * log-likelihood, from five sums over the sample per step (one log1p and
 * one division per value, threaded in fixed blocks). Where the Hessian is
 * not negative definite the step uses the expected (Fisher) information
 * instead; nu is held at NU_MAX when the likelihood still rises there. */
#include <gsl/gsl_sf_psi.h>
#include <math.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

#define MAX_STEPS 60
#define MAX_HALVINGS 40

typedef struct point {
    double loc, scale, nu;
} point;

/* Per value t = (x - loc)/scale, h = 1/(nu + t^2): the sums of
 * log1p(t^2/nu), h, t h, h^2 and t h^2. */
static void student_block(const void *ctx, const float *x, uint64_t begin, uint64_t count, double *out)
{
    const point *p = ctx;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, inverse = 1.0 / p->scale;
    (void)begin;
    for (uint64_t i = 0; i < count; i++) {
        double t = ((double)x[i] - p->loc) * inverse, t2 = t * t, h = 1.0 / (p->nu + t2);
        s0 += log1p(t2 / p->nu);
        s1 += h;
        s2 += t * h;
        s3 += h * h;
        s4 += t * h * h;
    }
    out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3, out[4] = s4;
}

typedef struct state {
    point at;
    double loglik, gradient[3], hessian[3][3]; /* in (loc, log scale, log nu) */
} state;

/* Log-likelihood, gradient and Hessian at st->at from one pass. */
static int evaluate(const gtap_fit_sample *s, state *st)
{
    double sum[5], nu = st->at.nu, sc = st->at.scale, n = (double)s->n;
    int rc = gtap_fit_pass(s->x, s->n, student_block, &st->at, 5, 0, sum);
    if (rc < 0) return rc;
    double L = sum[0], T1 = sum[1], T2 = sum[2], T3 = sum[3], T4 = sum[4];
    st->loglik = n * (lgamma(0.5 * (nu + 1)) - lgamma(0.5 * nu) - 0.5 * log(nu * M_PI) - log(sc)) - 0.5 * (nu + 1) * L;
    double g_nu = n * (0.5 * gsl_sf_psi(0.5 * (nu + 1)) - 0.5 * gsl_sf_psi(0.5 * nu) + 0.5) - 0.5 * L - 0.5 * (nu + 1) * T1;
    double h_nunu = n * (0.25 * gsl_sf_psi_1(0.5 * (nu + 1)) - 0.25 * gsl_sf_psi_1(0.5 * nu) + 0.5 / nu) - T1 + 0.5 * (nu + 1) * T3;
    double inner = T1 - (nu + 1) * T3;
    st->gradient[0] = (nu + 1) * T2 / sc;
    st->gradient[1] = nu * (n - (nu + 1) * T1);
    st->gradient[2] = nu * g_nu;
    st->hessian[0][0] = (nu + 1) * (T1 - 2 * nu * T3) / (sc * sc);
    st->hessian[0][1] = -2 * nu * (nu + 1) * T4 / sc;
    st->hessian[0][2] = nu * (T2 - (nu + 1) * T4) / sc;
    st->hessian[1][1] = -2 * nu * (T1 + nu * inner);
    st->hessian[1][2] = nu * (n - (nu + 1) * T1 - nu * inner);
    st->hessian[2][2] = nu * nu * h_nunu + nu * g_nu;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < i; j++) st->hessian[i][j] = st->hessian[j][i];
    return GTAP_OK;
}

/* n times the expected information per value in (loc, log scale, log nu)
 * (docs/THEORY.md s.6.4, Lange, Little and Taylor 1989). */
static void fisher(const state *st, double n, double a[3][3])
{
    double nu = st->at.nu, sc = st->at.scale;
    double i_nunu = 0.25 * (gsl_sf_psi_1(0.5 * nu) - gsl_sf_psi_1(0.5 * (nu + 1))) - (nu + 5) / (2 * nu * (nu + 1) * (nu + 3));
    double m[3][3] = {{(nu + 1) / ((nu + 3) * sc * sc), 0, 0},
                      {0, 2 * nu / (nu + 3), -2 * nu / ((nu + 3) * (nu + 1))},
                      {0, -2 * nu / ((nu + 3) * (nu + 1)), nu * nu * i_nunu}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) a[i][j] = n * m[i][j];
}

/* The step A step = g with A = -Hessian, or n I where that is not positive
 * definite; nu is left out while it sits at NU_MAX and the likelihood
 * rises beyond (or at NU_MIN while it rises below). @return the Newton decrement g' A^-1 g, or -1. */
static double newton_step(const state *st, double n, double *step)
{
    double a[3][3], decrement = -1;
    int free[3] = {1, 1, !(st->at.nu >= GTAP_NU_MAX && st->gradient[2] > 0) && !(st->at.nu <= GTAP_NU_MIN && st->gradient[2] < 0)};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) a[i][j] = -st->hessian[i][j];
    if (gtap_fit_newton_solve(a, st->gradient, free, 3, step, &decrement)) return decrement;
    fisher(st, n, a);
    if (gtap_fit_newton_solve(a, st->gradient, free, 3, step, &decrement)) return decrement;
    return -1;
}

static point moved(const point *from, const double *step, double t)
{
    point p = {from->loc + t * step[0], from->scale * exp(t * step[1]), from->nu * exp(t * step[2])};
    if (p.nu > GTAP_NU_MAX) p.nu = GTAP_NU_MAX;
    if (p.nu < GTAP_NU_MIN) p.nu = GTAP_NU_MIN;
    return p;
}

/* Limit a step to one spread in loc and a factor e in scale and e^2 in nu. */
static void limit_step(const gtap_fit_sample *s, double *step)
{
    double limits[3] = {s->spread, 1.0, 2.0}, worst = 1.0;
    for (int i = 0; i < 3; i++)
        if (fabs(step[i]) > limits[i] * worst) worst = fabs(step[i]) / limits[i];
    for (int i = 0; i < 3; i++) step[i] /= worst;
}

int gtap_fit_student_newton(const gtap_fit_sample *s, gtap_fit *f)
{
    gtap_gsl_quiet();
    double n = (double)s->n, tolerance = 1e-14 * n + 1e-12;
    state st = {.at = {f->loc, f->scale, f->shape}}, trial;
    int rc = evaluate(s, &st);
    f->converged = 0;
    for (int it = 0; it < MAX_STEPS && rc == GTAP_OK && isfinite(st.loglik); it++) {
        double step[3], decrement = newton_step(&st, n, step);
        if (decrement < 0) break;
        if (decrement < tolerance) {
            f->converged = 1;
            break;
        }
        limit_step(s, step);
        int accepted = 0;
        double t = 1.0, slack = 1e-13 * fabs(st.loglik);
        for (int h = 0; h < MAX_HALVINGS && !accepted && rc == GTAP_OK; h++, t *= 0.5) {
            trial.at = moved(&st.at, step, t);
            rc = evaluate(s, &trial);
            accepted = rc == GTAP_OK && trial.loglik >= st.loglik - slack;
        }
        if (!accepted) { /* no better point along the step: stationary to rounding */
            f->converged = decrement < 1e-8 * n;
            break;
        }
        st = trial;
    }
    f->loglik = st.loglik;
    f->loc = st.at.loc;
    f->scale = st.at.scale;
    f->shape = st.at.nu;
    return rc;
}
