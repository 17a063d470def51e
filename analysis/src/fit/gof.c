/* gof.c - goodness of fit (gradtap/fit.h, docs/THEORY.md s.6.3): the
 * Kolmogorov-Smirnov distance of a sorted sample to a fitted family, and
 * its p-value and critical value from Kolmogorov's limit distribution
 * with Stephens' finite-n correction.
 *
 * The distance is exact but does not evaluate the distribution function F
 * at every value: the sorted sample is cut into cells of CELL values and
 * F is evaluated at the cell ends first. F is monotone, so in a cell from
 * i = a to b every (i+1)/n - F(x_i) is at most (b+1)/n - F(x_a) and every
 * F(x_i) - i/n at most F(x_b) - a/n; only cells whose bound exceeds the
 * distance found at the ends are evaluated value by value. The maximum is
 * the one the full loop finds, bit for bit, for any thread count. */
#include <math.h>
#include <stdlib.h>

#include "fit_internal.h"

#define CELL 64

typedef struct ks_pass {
    const gtap_fit *fit;
    uint64_t n;
    double *ends;  /* F at the cell starts i = c CELL, and at n - 1 as ends[cells] */
    double found;  /* distance at the cell ends (the second pass) */
} ks_pass;

static double ks_at(const ks_pass *k, uint64_t i, double F)
{
    double nn = (double)k->n, above = (double)(i + 1) / nn - F, below = F - (double)i / nn;
    return above > below ? above : below;
}

/* First pass: F at the cell starts of this block, and the distance there. */
static void ks_ends(const void *ctx, const float *x, uint64_t begin, uint64_t count, double *out)
{
    const ks_pass *k = ctx;
    double d = 0.0;
    for (uint64_t i = (begin + CELL - 1) / CELL * CELL; i < begin + count; i += CELL) {
        double F = gtap_fit_cdf(k->fit, (double)x[i - begin]);
        k->ends[i / CELL] = F;
        double at = ks_at(k, i, F);
        if (at > d) d = at;
    }
    out[0] = d;
}

/* Second pass: every value of the cells whose bound exceeds k->found. */
static void ks_cells(const void *ctx, const float *x, uint64_t begin, uint64_t count, double *out)
{
    const ks_pass *k = ctx;
    double d = 0.0, nn = (double)k->n;
    for (uint64_t a = begin; a < begin + count; a += CELL) { /* blocks are whole cells */
        uint64_t b = a + CELL < k->n ? a + CELL : k->n - 1, c = a / CELL;
        double bound = fmax((double)(b + 1) / nn - k->ends[c], k->ends[c + 1] - (double)a / nn);
        if (!(bound > k->found)) continue;
        for (uint64_t i = a; i < b && i < begin + count; i++) {
            double at = ks_at(k, i, gtap_fit_cdf(k->fit, (double)x[i - begin]));
            if (at > d) d = at;
        }
    }
    out[0] = d;
}

double gtap_ks_distance(const float *sorted, uint64_t n, const gtap_fit *f)
{
    if (sorted == NULL || n == 0 || f == NULL) return NAN;
    uint64_t cells = (n - 1) / CELL + 1;
    ks_pass k = {.fit = f, .n = n, .ends = malloc((size_t)(cells + 1) * sizeof(double))};
    double first, second;
    if (k.ends == NULL || gtap_fit_pass(sorted, n, ks_ends, &k, 1, 1, &first) < 0) {
        free(k.ends);
        return NAN;
    }
    k.ends[cells] = gtap_fit_cdf(f, (double)sorted[n - 1]);
    k.found = fmax(first, ks_at(&k, n - 1, k.ends[cells]));
    int rc = gtap_fit_pass(sorted, n, ks_cells, &k, 1, 1, &second);
    free(k.ends);
    return rc < 0 ? NAN : fmax(k.found, second);
}

/* Q(lambda) = P(K > lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2);
 * for small lambda the equivalent theta-series of P(K <= lambda),
 * sqrt(2 pi)/lambda sum_{j>=1} exp(-(2j-1)^2 pi^2 / (8 lambda^2)),
 * converges faster. */
static double kolmogorov_q(double lambda)
{
    if (!(lambda > 0)) return 1.0;
    double sum = 0.0;
    if (lambda < 1.18) {
        double a = -M_PI * M_PI / (8.0 * lambda * lambda);
        for (int j = 1; j <= 20; j++) sum += exp(a * (double)((2 * j - 1) * (2 * j - 1)));
        double p = sqrt(2.0 * M_PI) / lambda * sum;
        return p >= 1.0 ? 0.0 : 1.0 - p;
    }
    for (int j = 1; j <= 100; j++) {
        double term = exp(-2.0 * (double)j * (double)j * lambda * lambda);
        sum += (j % 2 ? term : -term);
        if (term < 1e-17) break;
    }
    double q = 2.0 * sum;
    return q < 0 ? 0.0 : (q > 1 ? 1.0 : q);
}

static double effective_root_n(uint64_t n)
{
    double r = sqrt((double)n);
    return r + 0.12 + 0.11 / r;
}

double gtap_ks_pvalue(double distance, uint64_t n)
{
    if (n == 0 || isnan(distance)) return NAN;
    return kolmogorov_q(distance * effective_root_n(n));
}

double gtap_ks_critical(uint64_t n, double alpha)
{
    if (n == 0 || !(alpha > 0 && alpha < 1)) return NAN;
    double lo = 0.0, hi = 10.0; /* Q decreases from 1 to 0 */
    for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
        double mid = 0.5 * (lo + hi);
        if (kolmogorov_q(mid) > alpha) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi) / effective_root_n(n);
}
