/* sort.c - the sort of a fit's sample (fit_internal.h): a stable LSD
 * radix sort on the float bit patterns, O(n), three passes of 11 bits.
 * -0 and +0 get the same key, so the order is exactly that of a stable
 * comparison sort by value (the KS distance, the median and every sum
 * over the sorted sample are those of the sorted sample, docs/THEORY.md
 * s.6). */
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"

enum { DIGIT_BITS = 11, DIGIT_BINS = 1 << DIGIT_BITS, DIGITS = 3 };

/* An unsigned key that orders like the float (finite or not), -0 = +0. */
static uint32_t order_key(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if (bits == 0x80000000u) bits = 0; /* -0 sorts with +0 */
    return bits & 0x80000000u ? ~bits : bits | 0x80000000u;
}

int gtap_fit_sort_floats(float *x, uint64_t n)
{
    if (n < 2) return GTAP_OK;
    if (n > SIZE_MAX / sizeof(float)) return gtap_set_error(GTAP_EOVERFLOW, "fit: %llu values", (unsigned long long)n);
    float *scratch = malloc((size_t)n * sizeof *scratch);
    uint64_t(*counts)[DIGIT_BINS] = calloc(DIGITS, sizeof *counts);
    if (scratch == NULL || counts == NULL) {
        free(scratch);
        free(counts);
        return gtap_set_error(GTAP_ENOMEM, "fit: out of memory to sort %llu values", (unsigned long long)n);
    }
    for (uint64_t i = 0; i < n; i++) {
        uint32_t key = order_key(x[i]);
        for (int p = 0; p < DIGITS; p++) counts[p][(key >> (DIGIT_BITS * p)) & (DIGIT_BINS - 1)]++;
    }
    float *from = x, *to = scratch;
    for (int p = 0; p < DIGITS; p++) {
        uint64_t offset = 0;
        for (uint32_t b = 0; b < DIGIT_BINS; b++) {
            uint64_t c = counts[p][b];
            counts[p][b] = offset;
            offset += c;
        }
        for (uint64_t i = 0; i < n; i++) to[counts[p][(order_key(from[i]) >> (DIGIT_BITS * p)) & (DIGIT_BINS - 1)]++] = from[i];
        float *t = from;
        from = to;
        to = t;
    }
    if (from != x) memcpy(x, from, (size_t)n * sizeof *x);
    free(scratch);
    free(counts);
    return GTAP_OK;
}
