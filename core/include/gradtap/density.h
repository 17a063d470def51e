/*
 * gradtap/density.h - the one rule that turns a density into a count.
 *
 * Every part of gradtap that selects "a fraction rho of d coordinates"
 * (the sparsifiers, the CUDA kernels, capture's summaries, bounds, curve,
 * the trainer) uses this function, so a density means the same k
 * everywhere (docs/THEORY.md, "Notation"):
 *
 *     k = max(1, floor(rho * d)),  at most d,
 *
 * with the product formed in double precision (for d > 2^53 the floor is
 * that of the rounded product).
 *
 * Part of gradtap_core (libc and libm only).
 */
#ifndef GRADTAP_DENSITY_H
#define GRADTAP_DENSITY_H

#include <stdint.h>

#include "gradtap/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* gtap_k_from_density() - k for density `rho` over `d` coordinates.
 * @param rho  the density, in (0, 1].
 * @param d    the vector's length, >= 1.
 * @param k    receives max(1, floor(rho * d)), at most d.
 * @return GTAP_OK; GTAP_EINVAL (with a message naming the value) when k is
 *         NULL, d = 0 or rho is not in (0, 1] (NaN included); *k is then
 *         left unchanged. */
GTAP_API int gtap_k_from_density(double rho, uint64_t d, uint64_t *k);

#ifdef __cplusplus
}
#endif

#endif /* GRADTAP_DENSITY_H */
