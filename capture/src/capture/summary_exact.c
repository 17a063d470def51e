/* summary_exact.c - exact tail energies T_k of a short vector by sorting,
 * and its log2|u| histogram in the same pass (summary_engine.h). T_k is
 * gtap_tail_energy()'s bit for bit: the same level-1 buckets (the top 16 of
 * the 31 magnitude bits), the same exact integer energy per bucket, added
 * from the lowest bucket up in the same order, and inside the boundary
 * bucket the same per-value terms count * v^2 (docs/THEORY.md s.3). Only
 * the way the buckets are found differs: a radix sort of the n bit patterns
 * instead of a 2^16-entry table that must be cleared and scanned whatever
 * n is. */
#include <string.h>

#include "summary_engine.h"

#define FINITE_LIMIT 0x7f800000u /* |bits| >= this: Inf or NaN */
#define SUB_BITS 15u             /* bucket = bits >> SUB_BITS */

/* Integer mantissa of a finite magnitude pattern (implicit bit included). */
static uint64_t mantissa_of_bits(uint32_t bits)
{
    uint32_t exponent = bits >> 23;
    return exponent ? (uint64_t)((bits & 0x7fffffu) | 0x800000u) : (uint64_t)bits;
}

/* A bucket's energy from its exact sum of m^2 (< 2^64: at most 2^16 values
 * of m^2 < 2^48), converted as tail_energy.c converts it: the sum as a
 * double (its high 64 bits are 0, and 0 * 2^64 + x is x), times
 * 2^(2 (max(e, 1) - 150)). The scale 2^-298 .. 2^208 is a normal double and
 * so is the product, so multiplying by it is exact and equals
 * tail_energy.c's ldexp() bit for bit, without its cost. */
static double bucket_energy(uint32_t bucket, uint64_t sum)
{
    int exponent = (int)(bucket >> 8); /* 8 exponent bits, then 8 mantissa bits */
    if (exponent == 0) exponent = 1;
    uint64_t scale_bits = (uint64_t)(2 * (exponent - 150) + 1023) << 52;
    double scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return (double)sum * scale;
}

/* One least-significant-digit radix pass (stable) on the 8-bit digit at
 * `shift`, from `in` to `out`, with that digit's counts. */
static void radix_pass(const uint32_t *in, uint32_t *out, size_t n, unsigned shift, uint32_t *counts)
{
    uint32_t offset = 0;
    for (unsigned value = 0; value < 256; value++) {
        uint32_t count = counts[value];
        counts[value] = offset;
        offset += count;
    }
    for (size_t i = 0; i < n; i++) out[counts[(in[i] >> shift) & 255u]++] = in[i];
}

/* Sort n patterns ascending by the two 8-bit digits from bit `shift` up,
 * whose counts are given, skipping a digit all patterns share. Returns the
 * buffer that holds the result (`patterns` or `spare`). */
static uint32_t *radix_sort(uint32_t *patterns, uint32_t *spare, size_t n, unsigned shift, uint32_t counts[2][256])
{
    for (unsigned digit = 0; digit < 2 && n > 0; digit++) {
        unsigned at = shift + 8 * digit;
        if (counts[digit][(patterns[0] >> at) & 255u] == n) continue;
        radix_pass(patterns, spare, n, at, counts[digit]);
        uint32_t *swap = patterns;
        patterns = spare;
        spare = swap;
    }
    return patterns;
}

/* Sort the n patterns of one bucket (they differ in their low 15 bits
 * only) in place; `spare` is room for n. */
static void sort_bucket(uint32_t *patterns, uint32_t *spare, size_t n)
{
    if (n <= 32) { /* insertion sort */
        for (size_t i = 1; i < n; i++) {
            uint32_t value = patterns[i];
            size_t j = i;
            for (; j > 0 && patterns[j - 1] > value; j--) patterns[j] = patterns[j - 1];
            patterns[j] = value;
        }
        return;
    }
    uint32_t counts[2][256];
    memset(counts, 0, sizeof counts);
    for (size_t i = 0; i < n; i++) {
        counts[0][patterns[i] & 255u]++;
        counts[1][(patterns[i] >> 8) & 255u]++;
    }
    uint32_t *sorted = radix_sort(patterns, spare, n, 0, counts);
    if (sorted != patterns) memcpy(patterns, sorted, n * sizeof *patterns);
}

/* The energy of sorted[from, to) inside one bucket, one term per distinct
 * value v, count * v^2, from the smallest up (tail_energy.c: partial_energy). */
static double partial_energy(const uint32_t *sorted, size_t from, size_t to)
{
    double energy = 0.0;
    for (size_t i = from; i < to;) {
        size_t j = i + 1;
        while (j < to && sorted[j] == sorted[i]) j++;
        float value;
        memcpy(&value, &sorted[i], sizeof value);
        double v = (double)value;
        energy += (double)(uint64_t)(j - i) * (v * v);
        i = j;
    }
    return energy;
}

/* The finite magnitude patterns of u into `bits` (returns how many), the
 * counts of their two bucket digits, and the log2|u| histogram. */
static size_t collect(const float *u, size_t n, uint32_t *bits, uint32_t counts[2][256], uint64_t *hist)
{
    size_t finite = 0;
    memset(counts, 0, 2 * 256 * sizeof counts[0][0]);
    for (size_t i = 0; i < n; i++) {
        uint32_t pattern;
        memcpy(&pattern, &u[i], sizeof pattern);
        pattern &= 0x7fffffffu;
        if (pattern >= FINITE_LIMIT) continue;
        bits[finite++] = pattern;
        counts[0][(pattern >> SUB_BITS) & 255u]++;
        counts[1][pattern >> (SUB_BITS + 8)]++;
        hist[summary_hist_bin_of_bits(pattern)] += pattern != 0;
    }
    return finite;
}

/* Where each bucket of sorted[0, n) starts (starts[buckets] = n; returns
 * the bucket count) and the running sum of m^2 (sums[i]: of sorted[0, i)),
 * without a data-dependent branch. */
static size_t find_buckets(const uint32_t *sorted, size_t n, uint32_t *starts, uint64_t *sums)
{
    size_t buckets = 0;
    uint32_t previous = n ? ~(sorted[0] >> SUB_BITS) : 0;
    uint64_t sum = 0; /* < 2^64: n <= 2^16 values of m^2 < 2^48 */
    sums[0] = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t bucket = sorted[i] >> SUB_BITS;
        uint64_t m = mantissa_of_bits(sorted[i]);
        starts[buckets] = (uint32_t)i;
        buckets += bucket != previous;
        previous = bucket;
        sum += m * m;
        sums[i + 1] = sum;
    }
    starts[buckets] = (uint32_t)n;
    return buckets;
}

void summary_exact_tails(const float *u, uint64_t n, const uint64_t *ks, size_t nk, void *work, double *tails,
                         uint64_t *hist)
{
    uint64_t *sums = work; /* the layout of SUMMARY_EXACT_WORK_BYTES */
    uint32_t *bits = (uint32_t *)(sums + n + 1), *starts = bits + 2 * n;
    uint32_t counts[2][256];
    size_t finite = collect(u, (size_t)n, bits, counts, hist);
    uint32_t *sorted = radix_sort(bits, bits + n, finite, SUB_BITS, counts); /* by bucket */
    uint32_t *spare = sorted == bits ? bits + n : bits;
    size_t buckets = find_buckets(sorted, finite, starts, sums);
    /* the tail of k is sorted[0, cut) with cut = finite - min(k, finite);
     * its boundary bucket holds sorted[cut]: visit the cuts in order */
    size_t cut[GTAP_SUMMARY_MAX_DENSITIES], order[GTAP_SUMMARY_MAX_DENSITIES];
    for (size_t j = 0; j < nk; j++) {
        cut[j] = finite - (ks[j] < finite ? (size_t)ks[j] : finite);
        size_t at = j;
        for (; at > 0 && cut[order[at - 1]] > cut[j]; at--) order[at] = order[at - 1];
        order[at] = j;
    }
    size_t next = 0;
    double below = 0.0; /* energy of the buckets under the current one */
    for (size_t b = 0; b < buckets; b++) {
        size_t lo = starts[b], hi = starts[b + 1];
        if (next < nk && cut[order[next]] < hi) {
            sort_bucket(sorted + lo, spare, hi - lo);
            for (; next < nk && cut[order[next]] < hi; next++)
                tails[order[next]] = below + partial_energy(sorted, lo, cut[order[next]]);
        }
        below += bucket_energy(sorted[lo] >> SUB_BITS, sums[hi] - sums[lo]);
    }
    for (; next < nk; next++) tails[order[next]] = below; /* k = 0 or nothing finite: everything is tail */
}
