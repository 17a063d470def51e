/* summary_check.h - what the capture tests use to check stored summaries:
 * a summary read from a file must be the one gtap_summary_compute() gives
 * for the same data, bit for bit. */
#ifndef GRADTAP_TEST_SUMMARY_CHECK_H
#define GRADTAP_TEST_SUMMARY_CHECK_H

#include <string.h>

#include "gradtap/summary.h"

/* 1 when `stored` (from gtap_summary_read) holds exactly `computed` (from
 * gtap_summary_compute, its step set): same step, counts, histogram,
 * densities and k, and the same bits in every moment and ratio. */
static inline int summary_same(const gtap_summary *stored, const gtap_summary *computed)
{
    size_t m = computed->density_count;
    return stored->step == computed->step && stored->density_count == m &&
           memcmp(stored->counts, computed->counts, sizeof stored->counts) == 0 &&
           memcmp(stored->hist, computed->hist, sizeof stored->hist) == 0 &&
           memcmp(stored->moments, computed->moments, sizeof stored->moments) == 0 &&
           memcmp(stored->densities, computed->densities, m * sizeof *stored->densities) == 0 &&
           memcmp(stored->k, computed->k, m * sizeof *stored->k) == 0 &&
           memcmp(stored->ratios, computed->ratios, m * sizeof *stored->ratios) == 0;
}

#endif
