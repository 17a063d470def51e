/* check.h - the small check macros of the cuda tests, which are plain C
 * programs (no CUnit) so that they also build with GRADTAP_CUDA_ONLY=ON on a
 * GPU machine that has only the CUDA toolkit. Every failure prints file,
 * line and both sides; main() returns 1 when any check failed. */
#ifndef GRADTAP_CUDA_TEST_CHECK_H
#define GRADTAP_CUDA_TEST_CHECK_H

#include "gradtap/random.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures = 0;

#define CHECK(cond, ...)                                                                                 \
    do {                                                                                                 \
        if (!(cond)) {                                                                                   \
            ++check_failures;                                                                            \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);                     \
            fprintf(stderr, __VA_ARGS__);                                                                \
            fputc('\n', stderr);                                                                         \
        }                                                                                                \
    } while (0)

/* A CUDA runtime call that must succeed (include cuda_runtime_api.h first):
 * on failure, one line naming the call and exit code 3. */
#define CU(call)                                                                                         \
    do {                                                                                                 \
        cudaError_t e_ = (call);                                                                         \
        if (e_ != cudaSuccess) {                                                                         \
            fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_));       \
            exit(3);                                                                                     \
        }                                                                                                \
    } while (0)

/* |a - e| <= abs + rel*|e| (NaN equals NaN). */
static inline int check_near(double a, double e, double abs_tol, double rel_tol) {
    if (isnan(a) && isnan(e)) return 1;
    return a == e || fabs(a - e) <= abs_tol + rel_tol * fabs(e);
}

/* Seed from GTAP_TEST_SEED or the given default; printed. */
static inline uint64_t check_seed(uint64_t fallback) {
    const char *s = getenv("GTAP_TEST_SEED");
    uint64_t seed = s ? strtoull(s, NULL, 0) : fallback;
    printf("seed %llu (set GTAP_TEST_SEED to repeat)\n", (unsigned long long)seed);
    return seed;
}

/* splitmix64 and simple distributions for test inputs. */
static inline uint64_t check_next(uint64_t *s) { return gtap_splitmix64_next(s); }
static inline double check_uniform(uint64_t *s) { return gtap_splitmix64_uniform(s); }
static inline double check_normal(uint64_t *s) {
    return sqrt(-2.0 * log(check_uniform(s))) * cos(6.283185307179586 * check_uniform(s));
}

typedef enum { DIST_NORMAL, DIST_LAPLACE, DIST_UNIFORM, DIST_TIES, DIST_ZEROS, DIST_NAN, DIST_MEAN, DIST_COUNT } check_dist;
static const char *const check_dist_names[] = {"normal", "laplace", "uniform", "ties", "zeros", "nan+inf", "shifted"};

/* Fill u with d values of a distribution. */
static inline void check_fill(float *u, uint64_t d, check_dist dist, uint64_t *s) {
    for (uint64_t i = 0; i < d; ++i) {
        double v;
        switch (dist) {
        case DIST_LAPLACE: { double e = -log(check_uniform(s)); v = (check_next(s) & 1) ? e : -e; break; }
        case DIST_UNIFORM: v = 2.0 * check_uniform(s) - 1.0; break;
        case DIST_TIES: v = (double)((int)(check_next(s) % 5) - 2); break;
        case DIST_ZEROS: v = (check_next(s) % 4 == 0) ? check_normal(s) : 0.0; break;
        case DIST_MEAN: v = 3.0 + 0.01 * check_normal(s); break;
        default: v = check_normal(s); break;
        }
        u[i] = (float)v;
    }
    if (dist == DIST_NAN && d > 2) {
        for (uint64_t j = 0; j < 1 + d / 1000; ++j) u[check_next(s) % d] = NAN;
        u[check_next(s) % d] = INFINITY;
        u[check_next(s) % d] = -INFINITY;
    }
}

#endif
