/* test_cuda_ref.c - CPU-only test (runs in CI without a GPU): the plain C
 * references of gradtap_cuda checked against independent implementations:
 * quickselect top-k against a full sort for every key kind, the reference
 * summary against gradtap/tail.h, Philox against its published known-answer
 * vector, the shared threshold-search rule on Gaussian and Laplace data,
 * DGC-k's choice, and the scatter-add against a dense double accumulation. */
#include <string.h>

#include "check.h"
#include "gradtap/tail.h"
#include "ref/ref.h"
#include "gradtap/philox.h"

static void test_philox(void) {
    /* Random123 kat_vectors: philox4x32 10, counter 0, key 0 */
    gtap_philox4 c = {{0, 0, 0, 0}};
    gtap_philox4 r = gtap_philox4x32_10(c, 0, 0);
    CHECK(r.v[0] == 0x6627e8d5u && r.v[1] == 0xe169c58du && r.v[2] == 0xbc57ac4cu && r.v[3] == 0x9b00dbd8u,
          "got %08x %08x %08x %08x", r.v[0], r.v[1], r.v[2], r.v[3]);
}

static void test_topk(uint64_t *s) {
    const uint64_t sizes[] = {1, 2, 3, 17, 1001, 65537, 1u << 18};
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; ++si) {
        const uint64_t d = sizes[si];
        float *u = malloc(d * sizeof *u);
        uint64_t *keys = malloc(d * sizeof *keys);
        uint32_t *a = malloc(d * sizeof *a), *b = malloc(d * sizeof *b);
        for (int dist = 0; dist < DIST_COUNT; ++dist) {
            check_fill(u, d, (check_dist)dist, s);
            for (int kind = 0; kind < 3; ++kind) {
                gtap_ref_keys((gtap_ref_key_kind)kind, u, d, 42, keys);
                const uint64_t ks[] = {1, d / 1000 + 1, d / 2 + 1, d};
                for (size_t ki = 0; ki < 4; ++ki) {
                    const uint64_t k = ks[ki] > d ? d : ks[ki];
                    CHECK(gtap_ref_top_select(keys, d, k, a) == GTAP_OK, "select d=%llu", (unsigned long long)d);
                    CHECK(gtap_ref_top_sort(keys, d, k, b) == GTAP_OK, "sort");
                    CHECK(memcmp(a, b, k * sizeof *a) == 0, "quickselect != sort: d=%llu k=%llu dist=%s kind=%d",
                          (unsigned long long)d, (unsigned long long)k, check_dist_names[dist], kind);
                }
            }
        }
        free(u); free(keys); free(a); free(b);
    }
}

static void test_summary(uint64_t *s) {
    const uint64_t sizes[] = {1, 7, 4099, 1u << 18};
    const double dens[] = {0.001, 0.01, 0.1, 1.0};
    for (size_t si = 0; si < 4; ++si) {
        const uint64_t d = sizes[si];
        float *u = malloc(d * sizeof *u);
        for (int dist = 0; dist < DIST_COUNT; ++dist) {
            check_fill(u, d, (check_dist)dist, s);
            gtap_cuda_stats st;
            CHECK(gtap_ref_summary(u, d, dens, 4, &st) == GTAP_OK, "summary");
            uint64_t ks[4];
            gtap_tail_result tr[4];
            gtap_moments m;
            for (int j = 0; j < 4; ++j) ks[j] = st.k[j];
            CHECK(gtap_tail_energy(u, d, ks, 4, tr, &m) == GTAP_OK, "tail energy: %s", gtap_last_error());
            for (int j = 0; j < 4; ++j) {
                CHECK(check_near(st.tail_energy[j], tr[j].tail2, 0, 1e-12), "tail d=%llu %s rho=%g: %.17g vs %.17g",
                      (unsigned long long)d, check_dist_names[dist], dens[j], st.tail_energy[j], tr[j].tail2);
                CHECK(check_near(st.head_energy[j], tr[j].head2, 0, 1e-12), "head d=%llu %s rho=%g: %.17g vs %.17g",
                      (unsigned long long)d, check_dist_names[dist], dens[j], st.head_energy[j], tr[j].head2);
            }
            CHECK(st.n_finite == m.finite && st.n_nan == m.nan_count && st.n_zero == m.zero_count, "counts");
            CHECK(st.n_inf == m.posinf_count + m.neginf_count && st.n_posinf == m.posinf_count, "inf counts");
            if (m.finite > 0) {
                CHECK(check_near(st.mean, m.mean, 1e-12, 1e-12), "mean %.17g vs %.17g", st.mean, m.mean);
                CHECK(check_near(st.variance, m.m2 / (double)m.finite, 1e-12 * st.mean * st.mean, 1e-9), "variance %s d=%llu: %.17g vs %.17g", check_dist_names[dist], (unsigned long long)d, st.variance, m.m2 / (double)m.finite);
                CHECK(check_near(st.sum_sq, m.norm2, 0, 1e-12), "sum_sq");
            }
        }
        free(u);
    }
}

static void test_search(uint64_t *s) {
    const uint64_t d = 1u << 20;
    float *u = malloc(d * sizeof *u);
    const check_dist dists[] = {DIST_NORMAL, DIST_LAPLACE, DIST_MEAN};
    for (int di = 0; di < 3; ++di) {
        check_fill(u, d, dists[di], s);
        for (int r = 0; r < 2; ++r) {
            gtap_cuda_select_params p;
            const uint64_t k = r ? d / 100 : d / 1000;
            gtap_cuda_select_params_init(&p, GTAP_CUDA_GAUSSIANK, k);
            gtap_search_state st;
            gtap_ref_gaussiank(u, d, &p, &st);
            CHECK(st.best_c == gtap_ref_select_ge(u, d, st.best_t, NULL), "count at best_t");
            CHECK(st.in_band && st.best_c >= (uint64_t)ceil(0.8 * k) && st.best_c <= (uint64_t)floor(1.25 * k),
                  "gaussiank %s k=%llu: count %llu after %u passes", check_dist_names[dists[di]],
                  (unsigned long long)k, st.best_c, st.passes);
            p.exact_k = 1;
            gtap_ref_gaussiank(u, d, &p, &st);
            CHECK(st.best_c >= k, "exact-k candidates %llu < k", st.best_c);
            gtap_ref_trimmed(u, d, &p, &st);
            CHECK(st.best_c >= k && st.best_c == gtap_ref_select_ge(u, d, st.best_t, NULL), "trimmed %llu", st.best_c);
            gtap_cuda_select_params_init(&p, GTAP_CUDA_DGCK, k);
            p.seed = 7;
            float t;
            gtap_ref_dgck(u, d, &p, &st, &t);
            CHECK(st.best_c == gtap_ref_select_ge(u, d, st.best_t, NULL), "dgc count");
            CHECK(st.best_c >= (uint64_t)ceil(0.8 * k) || st.best_t == st.th[GTAP_SEARCH_NT - 1 - 10], "dgc choice");
            CHECK(st.th[GTAP_SEARCH_NT - 1] == t, "dgc top threshold is the sample threshold");
        }
    }
    free(u);
}

static void test_scatter(uint64_t *s) {
    const uint64_t d = 5000, n = 20000;
    uint32_t *idx = malloc(n * sizeof *idx);
    float *val = malloc(n * sizeof *val), *dense = malloc(d * sizeof *dense), *expect = malloc(d * sizeof *expect);
    double *acc = calloc(d, sizeof *acc);
    uint64_t bad = 0, expect_bad = 0;
    for (uint64_t j = 0; j < n; ++j) {
        idx[j] = (uint32_t)(check_next(s) % (d + 50));
        val[j] = (float)check_normal(s);
        if (idx[j] >= d) ++expect_bad;
        else acc[idx[j]] += val[j];
    }
    for (uint64_t i = 0; i < d; ++i) {
        dense[i] = expect[i] = (float)i;
        if (acc[i] != 0.0) expect[i] = expect[i] + (float)(0.5 * acc[i]);
    }
    CHECK(gtap_ref_scatter_add(idx, val, n, 0.5f, dense, d, &bad) == GTAP_OK, "scatter");
    CHECK(bad == expect_bad, "bad %llu vs %llu", (unsigned long long)bad, (unsigned long long)expect_bad);
    CHECK(memcmp(dense, expect, d * sizeof *dense) == 0, "scatter-add differs from dense accumulation");
    free(idx); free(val); free(dense); free(expect); free(acc);
}

int main(void) {
    uint64_t s = check_seed(20240611);
    test_philox();
    test_topk(&s);
    test_summary(&s);
    test_search(&s);
    test_scatter(&s);
    if (check_failures) fprintf(stderr, "%d checks failed\n", check_failures);
    else printf("all reference checks passed\n");
    return check_failures ? 1 : 0;
}
