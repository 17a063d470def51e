/* density.c - k = max(1, floor(rho d)), the rule of gradtap/density.h. */
#include <math.h>
#include <stddef.h>

#include "gradtap/density.h"
#include "gradtap/status.h"

int gtap_k_from_density(double rho, uint64_t d, uint64_t *k)
{
    if (k == NULL) return gtap_set_error(GTAP_EINVAL, "k from density: NULL k");
    if (d == 0) return gtap_set_error(GTAP_EINVAL, "k from density: d = 0");
    if (!(rho > 0.0 && rho <= 1.0)) return gtap_set_error(GTAP_EINVAL, "density %g is not in (0, 1]", rho);
    double product = floor(rho * (double)d);
    uint64_t result = product >= (double)d ? d : (uint64_t)product;
    *k = result < 1 ? 1 : result;
    return GTAP_OK;
}
