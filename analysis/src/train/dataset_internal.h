/* dataset_internal.h - the layout of gtap_dataset, shared by the readers and
 * generators in src/train/ (private to libgradtap). */
#ifndef GRADTAP_TRAIN_DATASET_INTERNAL_H
#define GRADTAP_TRAIN_DATASET_INTERNAL_H

#include "gradtap/train_data.h"

struct gtap_dataset {
    uint64_t n, d, nnz;
    int classes;
    int sparse;
    float *values;
    uint64_t *row_start;
    uint32_t *columns;
    int32_t *labels;
};

/* Allocate a dense dataset of n x d (values and labels uninitialised).
 * @return GTAP_OK, GTAP_EOVERFLOW or GTAP_ENOMEM (message names `what`). */
int gtap_dataset_alloc_dense(uint64_t n, uint64_t d, int classes, const char *what, gtap_dataset **out);

/* 1 when a*b overflows uint64 (else stores the product). */
static inline int gtap_mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *product)
{
    if (a != 0 && b > UINT64_MAX / a) return 1;
    *product = a * b;
    return 0;
}

/* splitmix64: the trainer's small, portable random generator. */
static inline uint64_t gtap_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in (0, 1) from 53 random bits. */
static inline double gtap_uniform01(uint64_t *state)
{
    return ((double)(gtap_splitmix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

#endif
