/*
 * sparsify/gaussiank.c - gradtap's Gaussian-k (docs/THEORY.md s.4.4, Shi et
 * al.): moments in one pass, the two-sided first threshold of N(mu, sigma^2)
 * (GSL quantiles and Brent's root finder), then counting passes that move
 * t inside a bracket (quantile-ratio steps until a count above the band is
 * seen, then Illinois regula falsi on (log t, log count) safeguarded by
 * bisection on log t; max|u| bounds the bracket from the start),
 * with a configurable band and pass limit, variable-count or exactly-k
 * output.
 */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_roots.h>
#include <math.h>

#include "gsl_quiet.h"
#include "sparsify/internal.h"

typedef struct normal_tail {
    double mu, sigma, rho;
} normal_tail;

/* P(|X| >= t) - rho for X ~ N(mu, sigma^2). */
static double tail_minus_rho(double t, void *params)
{
    const normal_tail *p = params;
    return gsl_cdf_ugaussian_Q((t - p->mu) / p->sigma) + gsl_cdf_ugaussian_Q((t + p->mu) / p->sigma) - p->rho;
}

/* The t with P(|X| >= t) = rho. It lies in [m + sigma Qinv(rho),
 * m + sigma Qinv(rho/2)], m = |mu|, since Q((t-m)/s) <= P(|X| >= t) <=
 * 2 Q((t-m)/s). */
static double first_threshold(double mu, double sigma, double rho)
{
    if (!(sigma > 0.0)) return fabs(mu);
    if (rho >= 1.0) return 0.0;
    gtap_gsl_quiet();
    normal_tail params = {mu, sigma, rho};
    double m = fabs(mu);
    double lo = m + sigma * gsl_cdf_ugaussian_Qinv(rho);
    double hi = m + sigma * gsl_cdf_ugaussian_Qinv(rho / 2.0);
    if (lo < 0.0) lo = 0.0;
    if (tail_minus_rho(hi, &params) >= 0.0) return hi;
    if (tail_minus_rho(lo, &params) <= 0.0) return lo;
    gsl_function f = {tail_minus_rho, &params};
    gsl_root_fsolver *solver = gsl_root_fsolver_alloc(gsl_root_fsolver_brent);
    if (solver == NULL) return hi;
    double root = 0.5 * (lo + hi);
    if (gsl_root_fsolver_set(solver, &f, lo, hi) == GSL_SUCCESS) {
        for (int iter = 0; iter < 100; iter++) {
            if (gsl_root_fsolver_iterate(solver) != GSL_SUCCESS) break;
            root = gsl_root_fsolver_root(solver);
            double a = gsl_root_fsolver_x_lower(solver), b = gsl_root_fsolver_x_upper(solver);
            if (gsl_root_test_interval(a, b, 0.0, 1e-12) == GSL_SUCCESS) break;
        }
    }
    gsl_root_fsolver_free(solver);
    return root;
}

/* The factor that moves t from an observed tail fraction q to the target
 * fraction, as if |u| were half-normal with unknown scale. */
static double quantile_ratio(double target, double q)
{
    double z_target = gsl_cdf_ugaussian_Qinv(target / 2.0);
    double z_seen = gsl_cdf_ugaussian_Qinv(q / 2.0);
    if (!(z_seen > 0.0) || !isfinite(z_target)) return q > target ? 4.0 : 0.25;
    return z_target / z_seen;
}

/* The search state: the nearest thresholds seen above and below the band,
 * with f = log(count / target) at each (count 0 taken as 1/2), scaled down
 * by the Illinois rule when one side is kept twice in a row. */
typedef struct bracket {
    int have_above;
    uint32_t key_above, key_below; /* below: starts just above max|u| (count 0) */
    uint64_t count_above, count_below;
    double f_above, f_below;
    int last_side;                 /* +1 above, -1 below, 0 none yet */
} bracket;

static double log_miss(uint64_t count, double target)
{
    return log(count > 0 ? (double)count : 0.5) - log(target);
}

/* Record a count at `key` (outside the band). */
static void bracket_update(bracket *b, uint32_t key, uint64_t count, double band_high, double target)
{
    if ((double)count > band_high) {
        if (b->last_side > 0) b->f_below *= 0.5;
        b->have_above = 1, b->key_above = key, b->count_above = count;
        b->f_above = log_miss(count, target);
        b->last_side = 1;
    } else {
        if (b->last_side < 0 && b->have_above) b->f_above *= 0.5;
        if (key < b->key_below) b->key_below = key, b->count_below = count;
        b->f_below = log_miss(b->count_below, target);
        b->last_side = -1;
    }
}

static double next_threshold(const bracket *b, double t, uint64_t count, uint64_t d, double target)
{
    if (!b->have_above) { /* too few so far: quantile-ratio step down */
        double rho_target = target / (double)d < 1.0 ? target / (double)d : 1.0;
        double q = (count > 0 ? (double)count : 0.5) / (double)d;
        return t * fmin(fmax(quantile_ratio(rho_target, q), 0.25), 0.99);
    }
    double t_above = sp_key_value(b->key_above), t_below = sp_key_value(b->key_below);
    if (!(t_above > 0.0)) return 0.5 * (t_above + t_below);
    /* Regula falsi (Illinois) on (log t, log count), safeguarded by
     * bisection on log t. */
    double la = log(t_above), lb = log(t_below);
    double x = la - b->f_above * (lb - la) / (b->f_below - b->f_above);
    double margin = 0.05 * (lb - la);
    if (!(x > la + margin && x < lb - margin)) x = 0.5 * (la + lb);
    return exp(x);
}

int sp_run_gaussiank(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k, uint64_t *indices,
                     float *values, uint64_t capacity, gtap_sparsify_result *res)
{
    const gtap_sparsify_options *opt = &sp->opt;
    int exact = opt->count_mode == GTAP_COUNT_EXACT;
    sp_stats stats;
    int rc = sp_scan_checked(sp, u, d, &stats, res);
    if (rc < 0) return rc;

    double band_low = 0.0, band_high = 0.0;
    sp_search_band(opt, k, exact, &band_low, &band_high);
    double target = sqrt(band_low * band_high);
    /* Aim at the middle of the band (exact mode: a little above k). */
    double t = first_threshold(stats.mean, stats.stddev, fmin(target / (double)d, 1.0));

    /* Thresholds above max|u| count 0 without a pass. Passes gather while
     * counting (sp_search_pass), so one that lands in the band needs no
     * second read. */
    uint32_t key_max = sp_key(stats.abs_max);
    bracket b = {0, 0, key_max + 1, 0, 0, 0.0, log_miss(0, target), 0};
    int in_band = 0;
    uint32_t last_key = key_max + 1;
    uint64_t count = 0;
    for (int step = 0; step < 4 * opt->max_passes + 64 && res->passes < opt->max_passes; step++) {
        uint32_t key = sp_threshold_key(t);
        if (key > key_max) {
            count = 0;
        } else if ((b.have_above && key <= b.key_above) || key >= b.key_below) {
            break; /* no float threshold left between the two sides */
        } else {
            count = sp_search_pass(sp, u, d, key, exact, indices, values, capacity);
            last_key = key;
            res->passes++;
            if ((double)count >= band_low && (double)count <= band_high) {
                in_band = 1;
                break;
            }
        }
        bracket_update(&b, key, count, band_high, target);
        if (b.have_above && b.key_below - b.key_above <= 1) break;
        t = next_threshold(&b, t, count, d, target);
    }

    uint32_t chosen = last_key;
    if (!in_band) {
        res->fell_back = 1;
        if (exact) {
            if (!b.have_above) {
                res->count = k;
                return sp_run_topk(sp, u, d, k, indices, values, res);
            }
            chosen = b.key_above;
        } else if (b.have_above) {
            double miss_above = log((double)b.count_above / band_high);
            double miss_below = b.count_below > 0 ? log(band_low / (double)b.count_below) : INFINITY;
            chosen = miss_above <= miss_below ? b.key_above : b.key_below;
        } else {
            chosen = b.key_below;
        }
    }
    return sp_search_finish(sp, u, d, k, exact, chosen, last_key, count, indices, values, capacity, res);
}
