/* bench_timing.h - the clock and the median every benchmark program in
 * bench/ reports with (header-only, static inline: each program is one
 * translation unit). */
#ifndef GRADTAP_BENCH_TIMING_H
#define GRADTAP_BENCH_TIMING_H

#include <stddef.h>
#include <stdlib.h>
#include <time.h>

/* Monotonic wall-clock seconds. */
static inline double bench_now(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static inline int bench_compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of `count` samples (count >= 1); sorts them in place. */
static inline double bench_median(double *samples, size_t count)
{
    qsort(samples, count, sizeof *samples, bench_compare_doubles);
    return count % 2 ? samples[count / 2] : 0.5 * (samples[count / 2 - 1] + samples[count / 2]);
}

#endif
