/* test_cuda_parity.c - the C references of the CUDA kernels (which the GPU
 * test holds every kernel to) against the CPU sparsifier library of
 * gradtap/sparsify.h: exact top-k must select the same index set (ties to
 * the lower index in both), and the same tail energy, on finite inputs of
 * many distributions and sizes. Needs the analysis library, so it is not
 * built with GRADTAP_CUDA_ONLY. Runs without a GPU.
 *
 * Known contract difference, not tested here: for NaN the CPU library
 * rejects the vector (GTAP_ENONFINITE), while the kernels rank NaN as the
 * largest magnitude (as torch.topk does). */
#include <string.h>

#include "check.h"
#include "gradtap/sparsify.h"
#include "gradtap/tail.h"
#include "ref/ref.h"

static void compare_topk(const float *u, uint64_t d, uint64_t k, const char *what, gtap_sparsifier *sp)
{
    uint32_t *ref_idx = malloc(k * sizeof *ref_idx);
    uint64_t *cpu_idx = malloc(k * sizeof *cpu_idx);
    float *cpu_val = malloc(k * sizeof *cpu_val);
    int ref_rc = gtap_ref_topk(GTAP_REF_KEY_MAG, u, d, k, 0, ref_idx);
    int cpu_rc = gtap_topk_select(sp, u, d, k, cpu_idx, cpu_val, NULL);
    CHECK(ref_rc == GTAP_OK && cpu_rc == GTAP_OK, "%s d=%llu k=%llu: ref %d cpu %d (%s)", what,
          (unsigned long long)d, (unsigned long long)k, ref_rc, cpu_rc, gtap_last_error());
    if (ref_rc == GTAP_OK && cpu_rc == GTAP_OK) {
        uint64_t differ = 0;
        double kept_ref = 0, kept_cpu = 0;
        for (uint64_t i = 0; i < k; i++) {
            differ += ref_idx[i] != cpu_idx[i];
            kept_ref += (double)u[ref_idx[i]] * u[ref_idx[i]];
            kept_cpu += (double)cpu_val[i] * cpu_val[i];
        }
        CHECK(differ == 0, "%s d=%llu k=%llu: %llu of k selected indices differ", what, (unsigned long long)d,
              (unsigned long long)k, (unsigned long long)differ);
        /* the tail energy T_k of both selections against the exact kernel */
        gtap_tail_result tail;
        uint64_t ks[1] = {k};
        gtap_moments moments;
        CHECK(gtap_tail_energy(u, d, ks, 1, &tail, &moments) == GTAP_OK, "%s: tail energy", what);
        CHECK(check_near(kept_ref, tail.head2, 0, 1e-12) && check_near(kept_cpu, tail.head2, 0, 1e-12),
              "%s d=%llu k=%llu: head energy ref %.17g cpu %.17g exact %.17g", what, (unsigned long long)d,
              (unsigned long long)k, kept_ref, kept_cpu, tail.head2);
    }
    free(ref_idx);
    free(cpu_idx);
    free(cpu_val);
}

int main(void)
{
    uint64_t state = check_seed(20260522);
    const uint64_t sizes[] = {1, 2, 7, 1000, 4097, 65537, 1u << 20};
    const check_dist dists[] = {DIST_NORMAL, DIST_LAPLACE, DIST_UNIFORM, DIST_TIES, DIST_ZEROS, DIST_MEAN};
    const uint64_t d_max = 1u << 20;
    float *u = malloc(d_max * sizeof *u);
    gtap_sparsify_options options;
    gtap_sparsify_options_init(&options, GTAP_SPARSIFY_TOPK);
    gtap_sparsifier *sp = NULL;
    if (u == NULL || gtap_sparsifier_create(&options, d_max, &sp) != GTAP_OK) {
        fprintf(stderr, "setup failed: %s\n", gtap_last_error());
        return 1;
    }
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        for (size_t t = 0; t < sizeof dists / sizeof dists[0]; t++) {
            uint64_t d = sizes[s];
            check_fill(u, d, dists[t], &state);
            const uint64_t ks[] = {1, d / 1000, d / 100, d / 3, d};
            for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++)
                if (ks[j] >= 1) compare_topk(u, d, ks[j], check_dist_names[dists[t]], sp);
        }
    }
    gtap_sparsifier_free(sp);
    free(u);
    printf("cuda_parity: %s\n", check_failures ? "FAILED" : "references and CPU library agree");
    return check_failures ? 1 : 0;
}
