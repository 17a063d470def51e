/*
 * sparsify/quality.c - how good a compressor's output is (docs/THEORY.md s.4.1):
 * recall against the exact Top_k set, energy kept ||u_S||^2 / H_k(u), and
 * the compressor's own ratio ||u - C(u)||^2 / ||u||^2 with 1 - ratio summed
 * directly. H_k comes from gradtap/tail.h (exact, double).
 */
#include <math.h>

#include "gradtap/stats.h"
#include "gradtap/tail.h"
#include "sparsify/internal.h"

static int check_output(const uint64_t *indices, uint64_t count, uint64_t d)
{
    for (uint64_t j = 0; j < count; j++) {
        if (indices[j] >= d)
            return gtap_set_error(GTAP_EINVAL, "sparsify evaluate: index[%llu] = %llu is not below d = %llu",
                                  (unsigned long long)j, (unsigned long long)indices[j], (unsigned long long)d);
        if (j > 0 && indices[j] <= indices[j - 1])
            return gtap_set_error(GTAP_EINVAL,
                                  "sparsify evaluate: index[%llu] = %llu does not increase (previous %llu)",
                                  (unsigned long long)j, (unsigned long long)indices[j],
                                  (unsigned long long)indices[j - 1]);
    }
    return GTAP_OK;
}

/* |a intersect b| for two increasing index lists. */
static uint64_t intersection(const uint64_t *a, uint64_t na, const uint64_t *b, uint64_t nb)
{
    uint64_t i = 0, j = 0, common = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            common++, i++, j++;
        }
    }
    return common;
}

/* One pass: kept, dropped and error sums each summed directly, so that
 * neither ratio nor 1 - ratio is a difference of two large sums. */
void gtap_sparsify_error_sums(const float *u, uint64_t d, const uint64_t *indices, const float *values,
                              uint64_t count, double sums[3])
{
    double kept2 = 0.0, dropped2 = 0.0, error2 = 0.0;
    uint64_t j = 0;
    for (uint64_t i = 0; i < d; i++) {
        double x = (double)u[i];
        if (j < count && indices[j] == i) {
            double v = (double)values[j++];
            kept2 += x * x;
            error2 += (x - v) * (x - v);
        } else {
            dropped2 += x * x;
        }
    }
    sums[0] = kept2;
    sums[1] = dropped2;
    sums[2] = error2;
}

int gtap_sparsify_evaluate(gtap_sparsifier *sp, const float *u, uint64_t d, uint64_t k,
                           const uint64_t *indices, const float *values, uint64_t count,
                           gtap_sparsify_quality *quality)
{
    if (sp == NULL || u == NULL || quality == NULL || (count > 0 && (indices == NULL || values == NULL)))
        return gtap_set_error(GTAP_EINVAL, "sparsify evaluate: NULL argument");
    if (d == 0 || d > sp->d_max)
        return gtap_set_error(GTAP_EINVAL, "sparsify evaluate: d = %llu is not in 1..d_max = %llu",
                              (unsigned long long)d, (unsigned long long)sp->d_max);
    if (k > d)
        return gtap_set_error(GTAP_EINVAL, "sparsify evaluate: k = %llu exceeds d = %llu", (unsigned long long)k,
                              (unsigned long long)d);
    int rc = check_output(indices, count, d);
    if (rc < 0) return rc;

    gtap_tail_result tail;
    gtap_moments moments;
    uint64_t ks[1] = {k};
    /* the threaded kernel gives the same H_k bit for bit (gradtap/stats.h) */
    int threads = sp_pass_threads(sp, d);
    rc = threads > 1 ? gtap_tail_energy_threads(u, d, ks, 1, &tail, &moments, threads)
                     : gtap_tail_energy(u, d, ks, 1, &tail, &moments);
    if (rc < 0) return rc;
    if (gtap_moments_has_nonfinite(&moments)) {
        uint64_t bad = moments.nan_count + moments.posinf_count + moments.neginf_count;
        return gtap_set_error(GTAP_ENONFINITE, "sparsify evaluate: %llu of %llu values of u are NaN or Inf",
                              (unsigned long long)bad, (unsigned long long)d);
    }

    double sums[3];
    gtap_sparsify_error_sums(u, d, indices, values, count, sums);
    double kept2 = sums[0], dropped2 = sums[1], error2 = sums[2];
    double norm2 = kept2 + dropped2;
    quality->norm2 = norm2;
    quality->zero_input = !(norm2 > 0.0);
    quality->head_energy = NAN;
    quality->recall = NAN;
    quality->energy_kept = NAN;
    if (k > 0) {
        rc = sp_radix_topk(sp, u, NULL, d, k, sp->cand, NULL, NULL, NULL);
        if (rc < 0) return gtap_set_error(rc, "sparsify evaluate: top-k failed");
        quality->head_energy = tail.head2;
        quality->recall = (double)intersection(indices, count, sp->cand, k) / (double)k;
        if (tail.head2 > 0.0) quality->energy_kept = kept2 / tail.head2;
    }
    if (quality->zero_input) {
        quality->ratio = NAN;
        quality->delta = NAN;
    } else {
        quality->ratio = (dropped2 + error2) / norm2;
        quality->delta = (kept2 - error2) / norm2;
    }
    return GTAP_OK;
}
