/*
 * stats_ref.c - reference scatter-add and summary statistics (ref.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"

typedef struct pair { uint32_t idx; uint64_t order; float val; } pair;

static int cmp_pair(const void *a, const void *b) {
    const pair *x = a, *y = b;
    if (x->idx != y->idx) return x->idx < y->idx ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

int gtap_ref_scatter_add(const uint32_t *idx, const float *val, uint64_t n, float scale, float *dense, uint64_t d,
                         uint64_t *bad) {
    *bad = 0;
    if (n == 0) return GTAP_OK;
    pair *p = malloc(n * sizeof *p);
    if (!p) return gtap_set_error(GTAP_ENOMEM, "ref scatter-add: %llu pairs", (unsigned long long)n);
    for (uint64_t j = 0; j < n; ++j) { p[j].idx = idx[j]; p[j].order = j; p[j].val = val[j]; }
    qsort(p, n, sizeof *p, cmp_pair);
    for (uint64_t i = 0; i < n;) {
        uint64_t j = i;
        double sum = 0.0;
        while (j < n && p[j].idx == p[i].idx) sum += (double)p[j++].val;
        if ((uint64_t)p[i].idx >= d) *bad += j - i;
        else dense[p[i].idx] = dense[p[i].idx] + (float)((double)scale * sum);
        i = j;
    }
    free(p);
    return GTAP_OK;
}

int gtap_ref_summary(const float *u, uint64_t d, const double *densities, int n, gtap_cuda_stats *out) {
    memset(out, 0, sizeof *out);
    out->d = d;
    double cnt = 0, sum = 0, l1 = 0, sq = 0, mn = INFINITY, mx = -INFINITY, mxa = 0;
    for (uint64_t i = 0; i < d; ++i) {
        const uint32_t mk = gtap_mag_key(u[i]);
        out->log2_hist[mk >> 23]++;
        if (!gtap_key_finite(mk)) {
            if (mk > 0x7f800000u) out->n_nan++;
            else {
                out->n_inf++;
                if (u[i] > 0.0f) out->n_posinf++;
            }
            continue;
        }
        if (mk == 0) out->n_zero++;
        const double v = u[i];
        cnt += 1; sum += v; l1 += fabs(v); sq += v * v;
        if (v < mn) mn = v;
        if (v > mx) mx = v;
        if (fabs(v) > mxa) mxa = fabs(v);
    }
    out->n_finite = (uint64_t)cnt;
    const double mean = cnt > 0 ? sum / cnt : NAN;
    double m2 = 0, m3 = 0, m4 = 0;
    for (uint64_t i = 0; i < d; ++i) {
        if (!gtap_key_finite(gtap_mag_key(u[i]))) continue;
        const double y = (double)u[i] - mean, y2 = y * y;
        m2 += y2; m3 += y2 * y; m4 += y2 * y2;
    }
    out->mean = mean;
    out->variance = cnt > 0 ? m2 / cnt : NAN;
    const double var = m2 / cnt;
    out->skewness = cnt > 0 && var > 0 ? (m3 / cnt) / (var * sqrt(var)) : NAN;
    out->kurtosis = cnt > 0 && var > 0 ? (m4 / cnt) / (var * var) : NAN;
    out->min = cnt > 0 ? mn : NAN;
    out->max = cnt > 0 ? mx : NAN;
    out->max_abs = cnt > 0 ? mxa : NAN;
    out->l1 = l1;
    out->sum_sq = sq;
    out->n_densities = (uint32_t)n;
    unsigned char *kept = malloc(d);
    uint32_t *idx = malloc(d * sizeof *idx);
    int rc = GTAP_OK;
    if (!kept || !idx) rc = gtap_set_error(GTAP_ENOMEM, "ref summary: %llu", (unsigned long long)d);
    for (int j = 0; j < n && rc == GTAP_OK; ++j) {
        uint64_t k = 0;
        double f = floor(densities[j] * (double)d);
        k = f < 1 ? 1 : (f > (double)d ? d : (uint64_t)f);
        out->density[j] = densities[j];
        out->k[j] = k;
        rc = gtap_ref_topk(GTAP_REF_KEY_FINITE, u, d, k, 0, idx);
        if (rc < 0) break;
        memset(kept, 0, d);
        for (uint64_t t = 0; t < k; ++t) kept[idx[t]] = 1;
        double h = 0, t2 = 0;
        for (uint64_t i = 0; i < d; ++i) {
            if (!gtap_key_finite(gtap_mag_key(u[i]))) continue;
            const double s2 = (double)u[i] * (double)u[i];
            if (kept[i]) h += s2;
            else t2 += s2;
        }
        out->head_energy[j] = h;
        out->tail_energy[j] = t2;
    }
    free(kept);
    free(idx);
    return rc;
}
