/* dataset_internal.h - the layout of gtap_dataset, shared by the readers and
 * generators in src/train/ (private to libgradtap). */
#ifndef GRADTAP_TRAIN_DATASET_INTERNAL_H
#define GRADTAP_TRAIN_DATASET_INTERNAL_H

#include "gradtap/random.h" /* the trainer draws from splitmix64 streams */
#include "gradtap/train_data.h"

struct gtap_dataset {
    uint64_t n, d, nnz;
    int classes;
    int sparse;
    float *values;
    double *values64;        /* NULL, or the same values in float64 (GTAP_DATA_FLOAT64) */
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

#endif
