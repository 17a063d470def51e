/*
 * sparsify/scan.c - the plain passes over u that the threshold compressors
 * share: moments (float lanes per block, double across blocks), counting and gathering
 * |u_i| >= t by bit-pattern keys, non-finite checks, common failures.
 */
#include <float.h>
#include <math.h>

#include "sparsify/internal.h"

uint32_t sp_threshold_key(double t)
{
    if (!(t > 0.0)) return 0;
    if (t > (double)FLT_MAX) return SP_KEY_NONFINITE;
    float f = (float)t;
    if ((double)f < t) f = nextafterf(f, INFINITY);
    return sp_key(f);
}

enum { STATS_LANES = 8, STATS_BLOCK = SP_STATS_BLOCK };

/* Sums of one block of at most STATS_BLOCK values in STATS_LANES float
 * lanes, added in double; NaN/Inf send the block to an exact rescan. */
static void block_sums(const float *u, uint64_t n, float shift, double sums[3], float *max_abs,
                       uint64_t *nonfinite)
{
    double b1 = 0.0, b2 = 0.0, ba = 0.0;
    float bmax = 0.0f;
    uint64_t full = 0;
#if defined(__GNUC__)
    /* Two 4-float vectors per step (GCC/Clang vector extensions; the
     * auto-vectoriser leaves this loop scalar). */
    typedef float v4f __attribute__((vector_size(16)));
    typedef int32_t v4i __attribute__((vector_size(16)));
    const v4f shift4 = {shift, shift, shift, shift};
    const v4i abs_mask = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
    v4f s1[2] = {{0}}, s2[2] = {{0}}, sa[2] = {{0}}, mx[2] = {{0}};
    full = n - n % STATS_LANES;
    for (uint64_t i = 0; i < full; i += STATS_LANES) {
        for (int h = 0; h < 2; h++) {
            v4f v;
            memcpy(&v, u + i + 4 * h, sizeof v);
            v4f x = v - shift4;
            v4f a = (v4f)((v4i)v & abs_mask);
            v4i greater = a > mx[h];
            s1[h] += x;
            s2[h] += x * x;
            sa[h] += a;
            mx[h] = (v4f)(((v4i)a & greater) | ((v4i)mx[h] & ~greater));
        }
    }
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 4; l++) {
            b1 += s1[h][l], b2 += s2[h][l], ba += sa[h][l];
            bmax = mx[h][l] > bmax ? mx[h][l] : bmax;
        }
#endif
    for (uint64_t i = full; i < n; i++) {
        double x = (double)u[i] - shift, a = fabs((double)u[i]);
        b1 += x, b2 += x * x, ba += a;
        bmax = (float)a > bmax ? (float)a : bmax;
    }
    if (!isfinite(b2) || !isfinite(ba)) {
        /* NaN/Inf in the block (or a float overflow): redo it in double,
         * counting the non-finite values. */
        b1 = b2 = ba = 0.0;
        for (uint64_t i = 0; i < n; i++) {
            if (!isfinite(u[i])) {
                (*nonfinite)++;
                continue;
            }
            double x = (double)u[i] - shift, a = fabs((double)u[i]);
            b1 += x, b2 += x * x, ba += a;
            bmax = (float)a > bmax ? (float)a : bmax;
        }
    }
    sums[0] += b1, sums[1] += b2, sums[2] += ba;
    *max_abs = bmax > *max_abs ? bmax : *max_abs;
}

/* Every block's sums into sp->block_sums (3 per block) on the pass's
 * threads; max |u| and the NaN/Inf count reduced. */
static void scan_blocks(const gtap_sparsifier *sp, const float *u, uint64_t d, float shift, float *max_abs,
                        uint64_t *nonfinite)
{
    uint64_t blocks = (d + STATS_BLOCK - 1) / STATS_BLOCK, bad = 0;
    float largest = 0.0f;
    int threads = sp_pass_threads(sp, d);
    double *sums = sp->block_sums;
#pragma omp parallel for num_threads(threads) reduction(+ : bad) reduction(max : largest) schedule(static) if (threads > 1)
    for (uint64_t b = 0; b < blocks; b++) {
        uint64_t start = b * STATS_BLOCK, n = d - start < STATS_BLOCK ? d - start : STATS_BLOCK;
        double *block = sums + 3 * b;
        block[0] = block[1] = block[2] = 0.0;
        block_sums(u + start, n, shift, block, &largest, &bad);
    }
    *max_abs = largest;
    *nonfinite = bad;
}

void sp_scan_stats(const gtap_sparsifier *sp, const float *u, uint64_t d, sp_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    /* Sums of (u_i - shift) with shift = u[0] keep the variance accurate
     * when |mean| >> stddev; float partial sums over blocks of 256 values
     * (8 lanes of 32), accumulated in double across blocks, in block order
     * whatever the thread count. */
    float shift = isfinite(u[0]) ? u[0] : 0.0f;
    double sums[3] = {0.0, 0.0, 0.0};
    float max_abs = 0.0f;
    uint64_t nonfinite = 0;
    scan_blocks(sp, u, d, shift, &max_abs, &nonfinite);
    uint64_t blocks = (d + STATS_BLOCK - 1) / STATS_BLOCK;
    for (uint64_t b = 0; b < blocks; b++) {
        sums[0] += sp->block_sums[3 * b];
        sums[1] += sp->block_sums[3 * b + 1];
        sums[2] += sp->block_sums[3 * b + 2];
    }
    double n = (double)d;
    double centred = sums[0] / n;
    double variance = sums[1] / n - centred * centred;
    stats->mean = (double)shift + centred;
    stats->stddev = variance > 0.0 ? sqrt(variance) : 0.0;
    stats->abs_sum = sums[2];
    stats->abs_mean = sums[2] / n;
    stats->abs_max = nonfinite ? INFINITY : max_abs;
    stats->nonfinite = nonfinite;
}

int sp_scan_checked(const gtap_sparsifier *sp, const float *u, uint64_t d, sp_stats *stats,
                    gtap_sparsify_result *res)
{
    sp_scan_stats(sp, u, d, stats);
    return stats->nonfinite > 0 ? sp_fail_nonfinite(sp, res, stats->nonfinite, d) : GTAP_OK;
}

void sp_search_band(const gtap_sparsify_options *opt, uint64_t k, int exact, double *low, double *high)
{
    *low = exact ? (double)k : opt->band_low * (double)k;
    *high = opt->band_high * (double)k;
}

void sp_fill_values(const float *u, const uint64_t *indices, uint64_t count, float *values)
{
    for (uint64_t j = 0; j < count; j++) values[j] = u[indices[j]];
}

int sp_fail_nonfinite(const gtap_sparsifier *sp, gtap_sparsify_result *res, uint64_t nonfinite, uint64_t d)
{
    res->count = 0;
    res->nonfinite = nonfinite;
    return gtap_set_error(GTAP_ENONFINITE, "%s: %llu of %llu values of u are NaN or Inf",
                          gtap_sparsifier_kind_name(sp->opt.kind), (unsigned long long)nonfinite,
                          (unsigned long long)d);
}

int sp_fail_capacity(const gtap_sparsifier *sp, gtap_sparsify_result *res, uint64_t count, uint64_t capacity)
{
    res->count = count;
    return gtap_set_error(GTAP_EOVERFLOW, "%s selected %llu pairs but the output holds %llu",
                          gtap_sparsifier_kind_name(sp->opt.kind), (unsigned long long)count,
                          (unsigned long long)capacity);
}
