/*
 * search.h - the threshold search shared by Gaussian-k, trimmed top-k and
 * DGC-k (docs/THEORY.md s.4), written once for the device (one thread
 * runs it between counting passes) and for the plain C references.
 *
 * A counting round evaluates GTAP_SEARCH_NT ascending thresholds at once:
 * cnt[j] = #{i : key(u_i) >= key(th[j])} (keys.h order, so NaN counts as
 * large). gtap_search_update() then keeps the best threshold seen and, while
 * no count is in the accepted band, brackets the target between two adjacent
 * thresholds and spreads the next round's thresholds geometrically inside the
 * bracket (17x narrower per round), or widens 16x when every count was on one
 * side. So one round does the work of four bisection steps.
 */
#ifndef GRADTAP_CUDA_SEARCH_H
#define GRADTAP_CUDA_SEARCH_H

#include <float.h>
#include <math.h>
#include <stdint.h>

#include "keys.h"

#define GTAP_SEARCH_NT 16

typedef struct gtap_search_state {
    float th[GTAP_SEARCH_NT];        /* thresholds of the current round, ascending */
    unsigned long long cnt[GTAP_SEARCH_NT];
    unsigned long long k;            /* target */
    unsigned long long band_lo;      /* accepted counts [band_lo, band_hi] */
    unsigned long long band_hi;
    unsigned long long best_c;       /* count at best_t */
    float best_t;
    uint32_t have_best;
    uint32_t exact_k;                /* 1: need a count >= k, as small as possible */
    uint32_t passes;                 /* rounds done */
    uint32_t max_passes;
    uint32_t done;
    uint32_t in_band;                /* best_c inside the band */
    /* candidate list kept by the kernels (not used by the references):
     * when list_valid, the list holds every i with key(u_i) >= key(list_t). */
    float list_t;
    uint32_t list_valid;
    uint32_t pass_dense;             /* the next counting round reads u (and rebuilds the list) */
    uint32_t max_retries;            /* DGC-k: most 0.8 lowerings (0..NT-1) */
    unsigned long long n_list;
    /* statistics of the first pass (Gaussian-k: mean, sigma; trimmed: mean|u|, max|u|) */
    double stat_a, stat_b;
    unsigned long long n_nonfinite;
} gtap_search_state;

/* Set up a search for target k with band [lo, hi] (counts, lo <= k <= hi). */
GTAP_HD void gtap_search_init(gtap_search_state *s, unsigned long long k, unsigned long long band_lo,
                              unsigned long long band_hi, int exact_k, int max_passes) {
    s->k = k;
    s->band_lo = band_lo;
    s->band_hi = band_hi;
    s->exact_k = exact_k ? 1u : 0u;
    s->max_passes = (uint32_t)max_passes;
    s->passes = 0;
    s->done = 0;
    s->in_band = 0;
    s->have_best = 0;
    s->best_c = 0;
    s->best_t = 0.0f;
    s->list_t = 0.0f;
    s->list_valid = 0;
    s->pass_dense = 1;
    s->max_retries = 10;
    s->n_list = 0;
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) s->cnt[j] = 0;
}

/* Thresholds lo..hi inclusive, geometric when 0 < lo < hi, linear otherwise. */
GTAP_HD void gtap_search_spread(gtap_search_state *s, double lo, double hi, int with_ends) {
    if (!(hi <= (double)FLT_MAX)) hi = (double)FLT_MAX;
    if (!(lo >= 0.0)) lo = 0.0;
    if (lo > hi) lo = hi;
    const int geometric = lo > 0.0 && hi > lo;
    const double ratio = geometric ? log(hi / lo) : 0.0;
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) {
        double f = with_ends ? (double)j / (GTAP_SEARCH_NT - 1) : (double)(j + 1) / (GTAP_SEARCH_NT + 1);
        double t = geometric ? lo * exp(ratio * f) : lo + (hi - lo) * f;
        if (t > hi) t = hi;
        if (t < lo) t = lo;
        s->th[j] = (float)t;
    }
    for (int j = 1; j < GTAP_SEARCH_NT; ++j)
        if (s->th[j] < s->th[j - 1]) s->th[j] = s->th[j - 1];
}

/* distance of count c from the target in log ratio (counts of 0 are far). */
GTAP_HD double gtap_search_distance(unsigned long long c, unsigned long long k) {
    if (c == 0) return 1e300;
    return fabs(log((double)c / (double)k));
}

/* Digest one round of counts: update the best threshold, decide whether the
 * search is done, and otherwise lay out the next round's thresholds. */
GTAP_HD void gtap_search_update(gtap_search_state *s) {
    s->passes += 1;
    for (int j = 0; j < GTAP_SEARCH_NT; ++j) {
        const unsigned long long c = s->cnt[j];
        const float t = s->th[j];
        int better;
        if (s->exact_k) {
            better = c >= s->k && (!s->have_best || c < s->best_c || (c == s->best_c && t > s->best_t));
        } else {
            const int band = c >= s->band_lo && c <= s->band_hi;
            const int best_band = s->have_best && s->best_c >= s->band_lo && s->best_c <= s->band_hi;
            const double dist = gtap_search_distance(c, s->k), best_dist = gtap_search_distance(s->best_c, s->k);
            better = !s->have_best || (band && !best_band) ||
                     (band == best_band && (dist < best_dist || (dist == best_dist && t > s->best_t)));
        }
        if (better) {
            s->best_c = c;
            s->best_t = t;
            s->have_best = 1;
        }
    }
    const unsigned long long too_few = s->exact_k ? s->k : s->band_lo;
    s->in_band = s->have_best && s->best_c >= too_few && s->best_c <= s->band_hi;
    if (s->in_band || s->passes >= s->max_passes) {
        s->done = 1;
        return;
    }
    /* counts do not increase with j: find the last threshold with too many */
    int j0 = -1;
    for (int j = 0; j < GTAP_SEARCH_NT; ++j)
        if (s->cnt[j] > s->band_hi) j0 = j;
    double lo, hi;
    if (j0 == GTAP_SEARCH_NT - 1) {
        lo = s->th[GTAP_SEARCH_NT - 1];
        hi = lo > 0.0 ? lo * 16.0 : (double)FLT_MIN;
    } else if (j0 < 0) {
        hi = s->th[0];
        lo = hi / 16.0;
    } else {
        lo = s->th[j0];
        hi = s->th[j0 + 1];
    }
    if (!(hi > lo) || (float)lo == (float)hi) { /* nothing left between two adjacent floats */
        s->done = 1;
        return;
    }
    gtap_search_spread(s, lo, hi, j0 < 0 || j0 == GTAP_SEARCH_NT - 1);
}

/* The two-sided normal threshold: t >= 0 with P(|X| > t) = rho for
 * X ~ N(mean, sigma^2) (docs/THEORY.md s.4.4; t = sigma*Phi^-1(1-rho/2) when
 * mean = 0), by bisection on the monotone tail probability. */
GTAP_HD double gtap_gaussian_threshold(double mean, double sigma, double rho) {
    if (!(sigma > 0.0) || !isfinite(sigma) || !isfinite(mean)) return isfinite(mean) ? fabs(mean) : 0.0;
    double lo = 0.0, hi = fabs(mean) + 40.0 * sigma;
    const double scale = 1.0 / (sigma * 1.4142135623730951);
    for (int it = 0; it < 200 && hi - lo > 1e-15 * hi; ++it) {
        const double t = 0.5 * (lo + hi);
        const double tail = 0.5 * erfc((t - mean) * scale) + 0.5 * erfc((t + mean) * scale);
        if (tail > rho) lo = t;
        else hi = t;
    }
    return 0.5 * (lo + hi);
}

/* DGC-k thresholds: th[j] = t * 0.8^(NT-1-j) (ascending; th[NT-1] = t is the
 * sample threshold, each lower one is one more 0.8 retry), by repeated float
 * multiplication so device and host agree bit for bit. */
GTAP_HD void gtap_dgc_thresholds(gtap_search_state *s, float t) {
    float v = t;
    for (int j = GTAP_SEARCH_NT - 1; j >= 0; --j) {
        s->th[j] = v;
        v = v * 0.8f;
    }
}

/* DGC-k choice after the one counting round: the first threshold (from the
 * top) whose count reaches 0.8k (band_lo), else the lowest one allowed by
 * max_retries. */
GTAP_HD void gtap_dgc_choose(gtap_search_state *s) {
    const int lowest = GTAP_SEARCH_NT - 1 - (int)(s->max_retries < GTAP_SEARCH_NT ? s->max_retries : GTAP_SEARCH_NT - 1);
    int pick = lowest;
    for (int j = GTAP_SEARCH_NT - 1; j >= lowest; --j) {
        if (s->cnt[j] >= s->band_lo) {
            pick = j;
            break;
        }
    }
    s->best_t = s->th[pick];
    s->best_c = s->cnt[pick];
    s->have_best = 1;
    s->passes = (uint32_t)(GTAP_SEARCH_NT - pick);
    s->in_band = s->best_c >= s->band_lo;
    s->done = 1;
}

#endif /* GRADTAP_CUDA_SEARCH_H */
