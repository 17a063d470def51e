/* bench_common.h - what the benchmark programs in bench/ share: the clock,
 * the median they report, and the plain-file baseline (write() + fsync) the
 * writers are compared with. Header-only, static inline: each program is one
 * translation unit. */
#ifndef GRADTAP_BENCH_COMMON_H
#define GRADTAP_BENCH_COMMON_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

/* fsync an existing file by path. @return 0 or -1. */
static inline int bench_fsync_path(const char *path)
{
    int descriptor = open(path, O_RDONLY);
    if (descriptor < 0) return -1;
    int rc = fsync(descriptor);
    close(descriptor);
    return rc;
}

/* The baseline: seconds for `count` plain sequential write()s of `numel`
 * floats (in 8 MiB blocks) to a new file, then fsync; -1 on error. */
static inline double bench_plain_write_seconds(const char *path, const float *data, uint64_t numel, int count)
{
    double start = bench_now();
    int descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (descriptor < 0) return -1;
    const size_t block = 8u << 20;
    for (int i = 0; i < count; i++) {
        const char *bytes = (const char *)data;
        size_t left = numel * sizeof(float);
        while (left > 0) {
            ssize_t written = write(descriptor, bytes, left < block ? left : block);
            if (written <= 0) {
                close(descriptor);
                return -1;
            }
            bytes += written;
            left -= (size_t)written;
        }
    }
    int rc = fsync(descriptor);
    close(descriptor);
    return rc == 0 ? bench_now() - start : -1;
}

#endif
