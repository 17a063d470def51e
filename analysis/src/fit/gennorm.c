/* gennorm.c - the generalized normal maximum likelihood on the whole
 * sample (fit_internal.h, docs/THEORY.md s.6): the scale is profiled out
 * (s = (beta mean|x - loc|^beta)^(1/beta)); log beta takes Newton steps
 * on the profile log-likelihood, whose derivatives need the sums of
 * |r|^beta, |r|^beta ln|r| and |r|^beta ln^2|r| (r = x - loc); loc takes
 * scoring steps (the location score over n times its expected
 * information, or the secant slope of the score when that is steadier).
 * Each step is one pass with one log, one exp and one division per value,
 * threaded in fixed blocks. For beta <= 1 the likelihood has a cusp at
 * every value, so loc converges when its step is below a relative 1e-9. */
#include <gsl/gsl_sf_psi.h>
#include <math.h>

#include "fit_internal.h"
#include "gsl_quiet.h"

#define MAX_STEPS 100
#define MAX_HALVINGS 40
#define LOC_TOLERANCE 1e-9 /* of the spread */

typedef struct point {
    double loc, beta;
} point;

/* Per value r = x - loc (r = 0 left out: no contribution, a zero score):
 * the sums of |r|^beta, |r|^beta ln|r|, |r|^beta ln^2|r| and
 * sign(r) |r|^(beta - 1). */
static void gennorm_block(const void *ctx, const float *x, uint64_t begin, uint64_t count, double *out)
{
    const point *p = ctx;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    (void)begin;
    for (uint64_t i = 0; i < count; i++) {
        double r = (double)x[i] - p->loc, a = fabs(r);
        if (a == 0.0) continue;
        double l = log(a), power = exp(p->beta * l);
        s0 += power;
        s1 += power * l;
        s2 += power * l * l;
        s3 += copysign(power / a, r);
    }
    out[0] = s0, out[1] = s1, out[2] = s2, out[3] = s3;
}

typedef struct state {
    point at;
    double scale, loglik;
    double g_loc, g_b, h_bb; /* score of loc; gradient and curvature in log beta */
} state;

static int evaluate(const gtap_fit_sample *s, state *st)
{
    double sum[4], n = (double)s->n, beta = st->at.beta, k = 1.0 / beta;
    int rc = gtap_fit_pass(s->x, s->n, gennorm_block, &st->at, 4, 0, sum);
    if (rc < 0) return rc;
    double m = sum[0] / n, m1 = sum[1] / sum[0], m2 = sum[2] / sum[0];
    st->scale = pow(beta * m, k);
    st->loglik = n * (log(beta) - log(2.0 * st->scale) - lgamma(k) - k);
    double c = gsl_sf_psi(k) + log(beta) + log(m);
    double d1 = k + k * k * c - k * m1;
    double d2 = -k * k - 2 * k * k * k * c - k * k * k * k * gsl_sf_psi_1(k) + k * k * k + 2 * k * k * m1 -
                k * (m2 - m1 * m1);
    st->g_b = n * beta * d1;
    st->h_bb = n * (beta * beta * d2 + beta * d1);
    st->g_loc = beta * pow(st->scale, -beta) * sum[3];
    return GTAP_OK;
}

/* n times the expected information about loc, at beta >= 0.6 (there is
 * none for beta <= 1/2: there the steps only need a sensible size). */
static double loc_information(const state *st, double n)
{
    double beta = st->at.beta > 0.6 ? st->at.beta : 0.6, k = 1.0 / beta;
    return n * beta * beta * exp(lgamma(2.0 - k) - lgamma(k)) / (st->scale * st->scale);
}

/* The steps in loc and log beta from st; prev (when has_prev) gives the
 * secant slope of the loc score. */
static void steps(const gtap_fit_sample *s, const state *st, const state *prev, int has_prev, double *step)
{
    double n = (double)s->n, curvature = loc_information(st, n);
    if (has_prev && prev->at.loc != st->at.loc) {
        double secant = -(st->g_loc - prev->g_loc) / (st->at.loc - prev->at.loc);
        if (secant > 0.2 * curvature && secant < 5.0 * curvature) curvature = secant;
    }
    step[0] = st->g_loc / curvature;
    double lo = log(GTAP_BETA_MIN), hi = log(GTAP_BETA_MAX), b = log(st->at.beta);
    if (st->h_bb < 0) step[1] = -st->g_b / st->h_bb;
    else step[1] = st->g_b > 0 ? 0.5 : -0.5; /* not concave here: a plain move uphill */
    if ((b <= lo && step[1] < 0) || (b >= hi && step[1] > 0)) step[1] = 0.0; /* held at its bound */
    double worst = fmax(fabs(step[0]) / s->spread, fabs(step[1]));
    if (worst > 1.0) step[0] /= worst, step[1] /= worst;
}

static point moved(const point *from, const double *step, double t)
{
    point p = {from->loc + t * step[0], from->beta * exp(t * step[1])};
    if (p.beta < GTAP_BETA_MIN) p.beta = GTAP_BETA_MIN;
    if (p.beta > GTAP_BETA_MAX) p.beta = GTAP_BETA_MAX;
    return p;
}

int gtap_fit_gennorm_newton(const gtap_fit_sample *s, gtap_fit *f)
{
    gtap_gsl_quiet();
    double n = (double)s->n, tolerance = 1e-14 * n + 1e-12;
    state st = {.at = {f->loc, f->shape}}, prev, trial;
    int rc = evaluate(s, &st), has_prev = 0;
    f->converged = 0;
    for (int it = 0; it < MAX_STEPS && rc == GTAP_OK && isfinite(st.loglik); it++) {
        double step[2];
        steps(s, &st, &prev, has_prev, step);
        int accepted = 0;
        double t = 1.0, slack = 1e-13 * fabs(st.loglik);
        for (int h = 0; h < MAX_HALVINGS && !accepted && rc == GTAP_OK; h++, t *= 0.5) {
            trial.at = moved(&st.at, step, t);
            rc = evaluate(s, &trial);
            accepted = rc == GTAP_OK && isfinite(trial.loglik) && trial.loglik >= st.loglik - slack;
        }
        if (!accepted) break;
        double moved_b = log(trial.at.beta / st.at.beta);
        double b_decrement = st.h_bb < 0 ? moved_b * moved_b * -st.h_bb : 0.0;
        int done = fabs(trial.at.loc - st.at.loc) < LOC_TOLERANCE * s->spread && b_decrement < tolerance;
        prev = st;
        has_prev = 1;
        st = trial;
        if (done) {
            f->converged = 1;
            break;
        }
    }
    f->loglik = st.loglik;
    f->loc = st.at.loc;
    f->shape = st.at.beta;
    f->scale = st.scale;
    return rc;
}
