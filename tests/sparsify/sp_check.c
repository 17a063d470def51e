/* sp_check.c - the helpers of sp_check.h for the sparsifier tests. */
#include "sp_check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gtap_test.h"

void sp_fill(float *u, uint64_t d, sp_dist dist, uint64_t *state)
{
    for (uint64_t i = 0; i < d; i++) {
        double x = 0.0;
        switch (dist) {
        case SP_NORMAL: x = gtap_test_rand_normal(state); break;
        case SP_LAPLACE: {
            double e = -log(gtap_test_rand_uniform(state));
            x = gtap_test_rand_uniform(state) < 0.5 ? -e : e;
            break;
        }
        case SP_UNIFORM: x = 2.0 * gtap_test_rand_uniform(state) - 1.0; break;
        case SP_SHIFTED_NORMAL: x = 0.7 + 0.3 * gtap_test_rand_normal(state); break;
        case SP_FEW_VALUES: x = (double)((int)(gtap_test_rand_uniform(state) * 7.0) - 3); break;
        }
        u[i] = (float)x;
    }
}

static const float *sort_vector;

static int by_magnitude_then_index(const void *a, const void *b)
{
    uint64_t i = *(const uint64_t *)a, j = *(const uint64_t *)b;
    float x = fabsf(sort_vector[i]), y = fabsf(sort_vector[j]);
    if (x != y) return x > y ? -1 : 1;
    return i < j ? -1 : (i > j ? 1 : 0);
}

static int by_index(const void *a, const void *b)
{
    uint64_t i = *(const uint64_t *)a, j = *(const uint64_t *)b;
    return i < j ? -1 : (i > j ? 1 : 0);
}

void sp_brute_topk(const float *u, uint64_t d, uint64_t k, uint64_t *indices)
{
    uint64_t *order = malloc(d * sizeof *order);
    for (uint64_t i = 0; i < d; i++) order[i] = i;
    sort_vector = u;
    qsort(order, d, sizeof *order, by_magnitude_then_index);
    memcpy(indices, order, k * sizeof *indices);
    qsort(indices, k, sizeof *indices, by_index);
    free(order);
}

sp_output sp_run_once(const gtap_sparsify_options *opt, const float *u, uint64_t d, uint64_t k, uint64_t stream)
{
    sp_output out;
    memset(&out, 0, sizeof out);
    gtap_sparsifier *sp = NULL;
    out.rc = gtap_sparsifier_create(opt, d, &sp);
    if (out.rc < 0) return out;
    out.rc = gtap_sparsifier_capacity(sp, d, k, &out.capacity);
    if (out.rc == GTAP_OK) {
        out.indices = malloc((out.capacity + 1) * sizeof *out.indices);
        out.values = malloc((out.capacity + 1) * sizeof *out.values);
        out.rc = gtap_sparsify(sp, u, d, k, stream, out.indices, out.values, out.capacity, &out.res);
    }
    gtap_sparsifier_free(sp);
    return out;
}

void sp_output_free(sp_output *out)
{
    free(out->indices);
    free(out->values);
    memset(out, 0, sizeof *out);
}

double sp_norm2(const float *u, uint64_t d)
{
    double sum = 0.0;
    for (uint64_t i = 0; i < d; i++) sum += (double)u[i] * (double)u[i];
    return sum;
}

double sp_error2(const float *u, uint64_t d, const uint64_t *indices, const float *values, uint64_t count)
{
    /* Direct sum over every coordinate (indices increasing). */
    double sum = 0.0;
    uint64_t j = 0;
    for (uint64_t i = 0; i < d; i++) {
        double x = (double)u[i];
        if (j < count && indices[j] == i) {
            double v = (double)values[j++];
            sum += (x - v) * (x - v);
        } else {
            sum += x * x;
        }
    }
    return sum;
}

int sp_output_well_formed(const float *u, uint64_t d, const sp_output *out, int values_are_u)
{
    for (uint64_t j = 0; j < out->res.count; j++) {
        if (out->indices[j] >= d) return 0;
        if (j > 0 && out->indices[j] <= out->indices[j - 1]) return 0;
        if (values_are_u && out->values[j] != u[out->indices[j]]) return 0;
    }
    return 1;
}
