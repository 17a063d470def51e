/* reference.h - independent brute-force references for the analysis tests:
 * tail energies by a full sort in long double, and test-vector generators
 * for the distributions the tests need. Slow on purpose; tests only. */
#ifndef GRADTAP_TEST_REFERENCE_H
#define GRADTAP_TEST_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ref_tail {
    long double head2, tail2, norm2;
    double threshold;      /* k-th largest |u| (NaN for k = 0) */
    uint64_t ties;         /* finite |u_i| equal to threshold */
    uint64_t k_effective;
} ref_tail;

/* Tail/head energy of top-k over the finite entries of u by sorting |u|. */
void ref_tail_energy(const float *u, size_t d, uint64_t k, ref_tail *out);

/* Fill u[0..d) from a named family with scale 1 (seeded):
 * "gauss", "laplace", "student3" (t, nu = 3), "uniform". */
void ref_fill(float *u, size_t d, const char *family, uint64_t *state);

#endif
