/* reference.c - brute-force references for the analysis tests (see
 * reference.h): a full qsort of |u| with long double sums. */
#include "reference.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gtap_test.h"

static int by_magnitude_desc(const void *a, const void *b)
{
    float x = fabsf(*(const float *)a), y = fabsf(*(const float *)b);
    return (x < y) - (x > y);
}

void ref_tail_energy(const float *u, size_t d, uint64_t k, ref_tail *out)
{
    float *finite = malloc((d ? d : 1) * sizeof *finite);
    size_t n = 0;
    for (size_t i = 0; i < d; i++)
        if (isfinite(u[i])) finite[n++] = u[i];
    qsort(finite, n, sizeof *finite, by_magnitude_desc);
    uint64_t ke = k < n ? k : n;
    memset(out, 0, sizeof *out);
    out->k_effective = ke;
    for (size_t i = 0; i < ke; i++) out->head2 += (long double)finite[i] * finite[i];
    for (size_t i = n; i-- > ke;) out->tail2 += (long double)finite[i] * finite[i];
    out->norm2 = out->head2 + out->tail2;
    out->threshold = NAN;
    if (ke > 0) {
        out->threshold = fabsf(finite[ke - 1]);
        for (size_t i = 0; i < n; i++) out->ties += fabsf(finite[i]) == (float)out->threshold;
    }
    free(finite);
}

void ref_fill(float *u, size_t d, const char *family, uint64_t *state)
{
    for (size_t i = 0; i < d; i++) {
        double x;
        if (strcmp(family, "gauss") == 0) {
            x = gtap_test_rand_normal(state);
        } else if (strcmp(family, "laplace") == 0) {
            double e = -log(gtap_test_rand_uniform(state));
            x = gtap_test_rand_uniform(state) < 0.5 ? -e : e;
        } else if (strcmp(family, "student3") == 0) {
            double z = gtap_test_rand_normal(state), chi = 0;
            for (int j = 0; j < 3; j++) {
                double g = gtap_test_rand_normal(state);
                chi += g * g;
            }
            x = z / sqrt(chi / 3.0);
        } else {
            x = 2.0 * gtap_test_rand_uniform(state) - 1.0;
        }
        u[i] = (float)x;
    }
}
