/* gof.c - goodness of fit: the p-value and the critical value of the
 * Kolmogorov-Smirnov distance (gradtap/fit.h, docs/THEORY.md s.6), from
 * Kolmogorov's limit distribution with Stephens' finite-n correction. */
#include <math.h>

#include "fit_internal.h"

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
