/* test_cuda_gpu.c - every gradtap_cuda kernel against its C reference
 * (cuda/src/ref) on fresh random inputs of many distributions and sizes
 * (1, odd sizes, 2^20, 2^27; ties, zeros, NaN/Inf), with the outputs
 * poisoned (0xFF bytes) before each call so unwritten entries are caught.
 * Exits 77 with one line when no CUDA device exists (ctest: skipped); with a
 * device every check runs. GTAP_CUDA_TEST_BIG=0 skips the 2^27 case. */
#include <string.h>

#include <cuda_runtime_api.h>

#include "check.h"
#include "gradtap/cuda.h"
#include "gradtap/density.h"
#include "ref/ref.h"


static int cmp_u32(const void *a, const void *b) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

typedef struct dev_out {
    uint32_t *idx;
    float *val;
    gtap_cuda_result *res;
    uint64_t cap;
} dev_out;

/* Run one selection on device u; return the sorted indices (host, malloc'd) and the result. */
static uint32_t *run_select(const gtap_cuda_select_params *p, const float *du, const float *hu, uint64_t d,
                            dev_out *o, gtap_cuda_result *res, const char *what) {
    size_t bytes = 0;
    CHECK(gtap_cuda_select_workspace_size(p, d, &bytes) == GTAP_OK, "%s: %s", what, gtap_last_error());
    void *ws = NULL;
    CU(cudaMalloc(&ws, bytes));
    CU(cudaMemset(o->idx, 0xFF, o->cap * sizeof(uint32_t)));
    CU(cudaMemset(o->val, 0xFF, o->cap * sizeof(float)));
    CU(cudaMemset(o->res, 0xFF, sizeof(gtap_cuda_result)));
    gtap_cuda_pairs out = {o->idx, o->val, o->cap, o->res};
    int rc = gtap_cuda_select(p, du, d, out, ws, bytes, 0);
    CHECK(rc == GTAP_OK, "%s: %s", what, gtap_last_error());
    CU(cudaDeviceSynchronize());
    CU(cudaMemcpy(res, o->res, sizeof *res, cudaMemcpyDeviceToHost));
    CU(cudaFree(ws));
    uint64_t n = res->count <= o->cap ? res->count : 0;
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    float *val = malloc((n ? n : 1) * sizeof *val);
    CU(cudaMemcpy(idx, o->idx, n * sizeof *idx, cudaMemcpyDeviceToHost));
    CU(cudaMemcpy(val, o->val, n * sizeof *val, cudaMemcpyDeviceToHost));
    for (uint64_t j = 0; j < n; ++j) {
        CHECK(idx[j] < d, "%s: index %u out of range (unwritten?)", what, idx[j]);
        if (idx[j] < d) CHECK(memcmp(&val[j], &hu[idx[j]], sizeof(float)) == 0, "%s: value of %u", what, idx[j]);
    }
    free(val);
    qsort(idx, n, sizeof *idx, cmp_u32);
    for (uint64_t j = 1; j < n; ++j) CHECK(idx[j] != idx[j - 1], "%s: index %u twice", what, idx[j]);
    return idx;
}

static void same_set(const uint32_t *got, uint64_t n_got, const uint32_t *want, uint64_t n_want, const char *what,
                     const char *dist, uint64_t d) {
    CHECK(n_got == n_want, "%s %s d=%llu: count %llu, expected %llu", what, dist, (unsigned long long)d,
          (unsigned long long)n_got, (unsigned long long)n_want);
    if (n_got == n_want)
        CHECK(memcmp(got, want, n_got * sizeof *got) == 0, "%s %s d=%llu: different set", what, dist,
              (unsigned long long)d);
}

static void test_selectors(const float *hu, const float *du, uint64_t d, const char *dist, dev_out *o, int light) {
    const double rhos[] = {0.001, 0.01};
    uint32_t *want = malloc(d * sizeof *want);
    for (int ri = 0; ri < 2; ++ri) {
        uint64_t k = 0;
        gtap_k_from_density(rhos[ri], d, &k);
        gtap_cuda_select_params p;
        gtap_cuda_result res;
        uint32_t *got;
        /* exact top-k: same set (ties by lower index), hence the same tail energy */
        gtap_cuda_select_params_init(&p, GTAP_CUDA_TOPK, k);
        got = run_select(&p, du, hu, d, o, &res, "topk");
        CHECK(gtap_ref_topk(GTAP_REF_KEY_MAG, hu, d, k, 0, want) == GTAP_OK, "ref topk");
        same_set(got, res.count, want, k, "topk", dist, d);
        free(got);
        if (light) continue;
        /* Gaussian-k exactly k and trimmed top-k: the exact top-k set */
        gtap_cuda_select_params_init(&p, GTAP_CUDA_GAUSSIANK, k);
        p.exact_k = 1;
        got = run_select(&p, du, hu, d, o, &res, "gaussiank-exact");
        same_set(got, res.count, want, k, "gaussiank-exact", dist, d);
        free(got);
        gtap_cuda_select_params_init(&p, GTAP_CUDA_TRIMMED_TOPK, k);
        got = run_select(&p, du, hu, d, o, &res, "trimmed");
        same_set(got, res.count, want, k, "trimmed", dist, d);
        free(got);
        /* Gaussian-k variable: the set is {|u| >= reported threshold}; moments match */
        gtap_cuda_select_params_init(&p, GTAP_CUDA_GAUSSIANK, k);
        got = run_select(&p, du, hu, d, o, &res, "gaussiank");
        uint64_t n = gtap_ref_select_ge(hu, d, res.threshold, want);
        same_set(got, res.count, want, n, "gaussiank", dist, d);
        gtap_search_state st;
        gtap_ref_gaussiank(hu, d, &p, &st);
        CHECK(check_near(res.mean, st.stat_a, 1e-9 * st.stat_b, 1e-9) && check_near(res.sigma, st.stat_b, 0, 1e-9),
              "gaussiank %s moments %.17g %.17g vs %.17g %.17g", dist, res.mean, res.sigma, st.stat_a, st.stat_b);
        if (st.in_band) CHECK(!(res.flags & GTAP_CUDA_FLAG_OUT_OF_BAND), "gaussiank %s: reference in band, GPU not", dist);
        free(got);
        /* DGC-k: same Philox sample, same threshold, same count */
        gtap_cuda_select_params_init(&p, GTAP_CUDA_DGCK, k);
        p.seed = 1234;
        float t;
        gtap_ref_dgck(hu, d, &p, &st, &t);
        got = run_select(&p, du, hu, d, o, &res, "dgck");
        if (st.best_c > st.band_hi) {
            CHECK(gtap_ref_topk(GTAP_REF_KEY_MAG, hu, d, k, 0, want) == GTAP_OK, "ref topk");
            same_set(got, res.count, want, k, "dgck-cut", dist, d);
        } else {
            n = gtap_ref_select_ge(hu, d, st.best_t, want);
            same_set(got, res.count, want, n, "dgck", dist, d);
            CHECK(res.threshold == st.best_t, "dgck threshold %g vs %g", res.threshold, st.best_t);
        }
        free(got);
        /* random-k: the same Philox keys */
        gtap_cuda_select_params_init(&p, GTAP_CUDA_RANDK, k);
        p.seed = 99;
        got = run_select(&p, du, hu, d, o, &res, "randk");
        CHECK(gtap_ref_topk(GTAP_REF_KEY_RAND, hu, d, k, 99, want) == GTAP_OK, "ref randk");
        same_set(got, res.count, want, k, "randk", dist, d);
        free(got);
        /* hard threshold */
        gtap_cuda_select_params_init(&p, GTAP_CUDA_HARD_THRESHOLD, k);
        p.threshold = 1.5f;
        got = run_select(&p, du, hu, d, o, &res, "threshold");
        n = gtap_ref_select_ge(hu, d, 1.5f, want);
        same_set(got, res.count < o->cap ? res.count : o->cap, want, n < o->cap ? n : o->cap, "threshold", dist, d);
        CHECK(res.total == n, "threshold total %llu vs %llu", (unsigned long long)res.total, (unsigned long long)n);
        free(got);
    }
    free(want);
}

/* Error feedback fused with top-k and Gaussian-k: residual and pairs. */
static void test_ef(const float *hg, uint64_t d, uint64_t *s, dev_out *o) {
    float *hr = malloc(d * sizeof *hr), *hu = malloc(d * sizeof *hu), *back = malloc(d * sizeof *back);
    check_fill(hr, d, DIST_NORMAL, s);
    const float scale = 0.37f;
    for (uint64_t i = 0; i < d; ++i) hu[i] = fmaf(scale, hg[i], hr[i]);
    float *dg, *dr, *du;
    CU(cudaMalloc((void **)&dg, d * 4));
    CU(cudaMalloc((void **)&dr, d * 4));
    CU(cudaMalloc((void **)&du, d * 4));
    CU(cudaMemcpy(dg, hg, d * 4, cudaMemcpyHostToDevice));
    CU(cudaMemcpy(du, hu, d * 4, cudaMemcpyHostToDevice));
    const gtap_cuda_selector sels[] = {GTAP_CUDA_TOPK, GTAP_CUDA_GAUSSIANK};
    for (int si = 0; si < 2; ++si) {
        gtap_cuda_select_params p;
        gtap_cuda_select_params_init(&p, sels[si], d / 1000 + 1);
        gtap_cuda_result ref_res, res;
        uint32_t *want = run_select(&p, du, hu, d, o, &ref_res, "ef-reference-select");
        CU(cudaMemcpy(dr, hr, d * 4, cudaMemcpyHostToDevice));
        size_t bytes = 0;
        gtap_cuda_select_workspace_size(&p, d, &bytes);
        void *ws;
        CU(cudaMalloc(&ws, bytes));
        CU(cudaMemset(o->idx, 0xFF, o->cap * 4));
        gtap_cuda_pairs out = {o->idx, o->val, o->cap, o->res};
        CHECK(gtap_cuda_ef_select(&p, dg, dr, scale, d, out, ws, bytes, 0) == GTAP_OK, "ef: %s", gtap_last_error());
        CU(cudaDeviceSynchronize());
        CU(cudaMemcpy(&res, o->res, sizeof res, cudaMemcpyDeviceToHost));
        CU(cudaMemcpy(back, dr, d * 4, cudaMemcpyDeviceToHost));
        CU(cudaFree(ws));
        CHECK(res.count == ref_res.count, "ef count %llu vs %llu", (unsigned long long)res.count,
              (unsigned long long)ref_res.count);
        uint64_t j = 0, bad = 0;
        for (uint64_t i = 0; i < d; ++i) {
            const int kept = j < ref_res.count && want[j] == i;
            if (kept) ++j;
            const float expect = kept ? 0.0f : hu[i];
            if (memcmp(&back[i], &expect, 4) != 0) ++bad;
        }
        CHECK(bad == 0, "ef selector %d: %llu residual entries differ", (int)sels[si], (unsigned long long)bad);
        free(want);
    }
    CU(cudaFree(dg)); CU(cudaFree(dr)); CU(cudaFree(du));
    free(hr); free(hu); free(back);
}

static void test_scatter(uint64_t *s) {
    const uint64_t d = 100000, n = 300000;
    uint32_t *idx = malloc(n * 4);
    float *val = malloc(n * 4), *dense = malloc(d * 4), *back = malloc(d * 4);
    for (uint64_t j = 0; j < n; ++j) {
        idx[j] = (uint32_t)(check_next(s) % (d / 10 + 7)) * 10; /* many duplicates, some out of range */
        val[j] = (float)check_normal(s);
    }
    for (uint64_t i = 0; i < d; ++i) dense[i] = (float)check_normal(s);
    uint32_t *di; float *dv, *dd; uint64_t *dbad; void *ws; size_t bytes;
    CHECK(gtap_cuda_scatter_add_workspace_size(n, &bytes) == GTAP_OK, "scatter ws");
    CU(cudaMalloc((void **)&di, n * 4)); CU(cudaMalloc((void **)&dv, n * 4)); CU(cudaMalloc((void **)&dd, d * 4));
    CU(cudaMalloc((void **)&dbad, 8)); CU(cudaMalloc(&ws, bytes));
    CU(cudaMemcpy(di, idx, n * 4, cudaMemcpyHostToDevice));
    CU(cudaMemcpy(dv, val, n * 4, cudaMemcpyHostToDevice));
    CU(cudaMemcpy(dd, dense, d * 4, cudaMemcpyHostToDevice));
    CHECK(gtap_cuda_scatter_add(di, dv, n, 0.25f, dd, d, dbad, ws, bytes, 0) == GTAP_OK, "scatter: %s", gtap_last_error());
    uint64_t bad = 0, ref_bad = 0;
    CU(cudaMemcpy(back, dd, d * 4, cudaMemcpyDeviceToHost));
    CU(cudaMemcpy(&bad, dbad, 8, cudaMemcpyDeviceToHost));
    gtap_ref_scatter_add(idx, val, n, 0.25f, dense, d, &ref_bad);
    CHECK(bad == ref_bad, "scatter bad %llu vs %llu", (unsigned long long)bad, (unsigned long long)ref_bad);
    CHECK(memcmp(back, dense, d * 4) == 0, "scatter-add result differs from the reference (bitwise)");
    CU(cudaFree(di)); CU(cudaFree(dv)); CU(cudaFree(dd)); CU(cudaFree(dbad)); CU(cudaFree(ws));
    free(idx); free(val); free(dense); free(back);
}

static void test_summary(const float *hu, const float *du, uint64_t d, const char *dist) {
    const double dens[] = {0.001, 0.01, 0.1};
    size_t bytes;
    CHECK(gtap_cuda_summary_workspace_size(d, dens, 3, &bytes) == GTAP_OK, "summary ws");
    void *ws;
    gtap_cuda_stats *dst, got, want;
    CU(cudaMalloc(&ws, bytes));
    CU(cudaMalloc((void **)&dst, sizeof *dst));
    CU(cudaMemset(dst, 0xFF, sizeof *dst));
    CHECK(gtap_cuda_summary(du, d, dens, 3, dst, ws, bytes, 0) == GTAP_OK, "summary: %s", gtap_last_error());
    CU(cudaMemcpy(&got, dst, sizeof got, cudaMemcpyDeviceToHost));
    CU(cudaFree(ws)); CU(cudaFree(dst));
    gtap_ref_summary(hu, d, dens, 3, &want);
    CHECK(got.n_finite == want.n_finite && got.n_nan == want.n_nan && got.n_inf == want.n_inf &&
          got.n_posinf == want.n_posinf && got.n_zero == want.n_zero, "summary %s counts", dist);
    CHECK(memcmp(got.log2_hist, want.log2_hist, sizeof got.log2_hist) == 0, "summary %s histogram", dist);
    const double sd = sqrt(want.variance);
    CHECK(check_near(got.mean, want.mean, 1e-12 * sd, 1e-12), "summary %s mean %.17g vs %.17g", dist, got.mean, want.mean);
    CHECK(check_near(got.variance, want.variance, 0, 1e-10), "summary %s variance", dist);
    CHECK(check_near(got.skewness, want.skewness, 1e-8, 1e-8), "summary %s skewness", dist);
    CHECK(check_near(got.kurtosis, want.kurtosis, 1e-8, 1e-8), "summary %s kurtosis", dist);
    CHECK(check_near(got.sum_sq, want.sum_sq, 0, 1e-12) && check_near(got.l1, want.l1, 0, 1e-12), "summary %s sums", dist);
    for (int j = 0; j < 3; ++j) {
        CHECK(got.k[j] == want.k[j], "summary k");
        CHECK(check_near(got.tail_energy[j], want.tail_energy[j], 0, 1e-12), "summary %s tail[%d] %.17g vs %.17g", dist,
              j, got.tail_energy[j], want.tail_energy[j]);
        CHECK(check_near(got.head_energy[j], want.head_energy[j], 0, 1e-12), "summary %s head[%d]", dist, j);
    }
}

int main(void) {
    if (!gtap_cuda_device_available()) {
        printf("no CUDA device: skipped\n");
        return 77;
    }
    uint64_t s = check_seed(777);
    const char *big_env = getenv("GTAP_CUDA_TEST_BIG");
    const int big = !(big_env && big_env[0] == '0');
    const uint64_t sizes[] = {1, 3, 1001, 65537, 1u << 20, 1u << 27};
    const int n_sizes = big ? 6 : 5;
    dev_out o;
    o.cap = (1u << 27) / 50 + 1024;
    CU(cudaMalloc((void **)&o.idx, o.cap * 4));
    CU(cudaMalloc((void **)&o.val, o.cap * 4));
    CU(cudaMalloc((void **)&o.res, sizeof(gtap_cuda_result)));
    for (int si = 0; si < n_sizes; ++si) {
        const uint64_t d = sizes[si];
        float *hu = malloc(d * 4), *du;
        CU(cudaMalloc((void **)&du, d * 4));
        for (int dist = 0; dist < DIST_COUNT; ++dist) {
            if (d == (1u << 27) && dist != DIST_NORMAL && dist != DIST_TIES) continue;
            check_fill(hu, d, (check_dist)dist, &s);
            CU(cudaMemcpy(du, hu, d * 4, cudaMemcpyHostToDevice));
            test_selectors(hu, du, d, check_dist_names[dist], &o, d == (1u << 27));
            test_summary(hu, du, d, check_dist_names[dist]);
            if (dist == DIST_NORMAL && d >= 1001 && d <= (1u << 20)) test_ef(hu, d, &s, &o);
        }
        CU(cudaFree(du));
        free(hu);
        printf("d=%llu done, %d failures so far\n", (unsigned long long)d, check_failures);
    }
    test_scatter(&s);
    CU(cudaFree(o.idx)); CU(cudaFree(o.val)); CU(cudaFree(o.res));
    if (check_failures) fprintf(stderr, "%d checks failed\n", check_failures);
    else printf("all GPU checks passed\n");
    return check_failures ? 1 : 0;
}
