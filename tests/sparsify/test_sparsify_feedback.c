/* test_sparsify_feedback.c - error feedback (docs/THEORY.md s.5) and sparse
 * messages: Stich's invariant x_t - m_t = plain SGD driven by the same
 * gradients for several compressors, Shi's bookkeeping sum s + r = sum g,
 * memory off, per-layer segments against per-slice selection, argument
 * checks; summing P messages with duplicates and empty ones, the gathered
 * layout, encoding and malformed messages. */
#include <stdlib.h>

#include "gtap_test.h"
#include "sp_check.h"

/* Toy problem: f(x) = 1/2 sum a_i (x_i - c_i)^2, gradients with noise. */
enum { TOY_D = 64, TOY_STEPS = 300 };

static void toy_gradient(const float *x, const double *a, const double *c, uint64_t *state, float *g)
{
    for (int i = 0; i < TOY_D; i++) g[i] = (float)(a[i] * ((double)x[i] - c[i]) + 0.3 * gtap_test_rand_normal(state));
}

/* Runs Stich's form with `kind` on the toy; returns the largest deviation of
 * x_t - m_t from the plain SGD sequence, relative to 1 + max(|y|, |x|, |m|)
 * (rounding is relative to the largest of them). */
static double stich_invariant_gap(gtap_sparsifier_kind kind, const gtap_segment *segments, size_t n_segments,
                                  uint64_t global_k, uint64_t seed)
{
    uint64_t state = seed;
    double a[TOY_D], c[TOY_D], y[TOY_D];
    float x[TOY_D], g[TOY_D];
    for (int i = 0; i < TOY_D; i++) {
        a[i] = 0.5 + gtap_test_rand_uniform(&state);
        c[i] = 3.0 * gtap_test_rand_normal(&state);
        x[i] = 0.0f;
        y[i] = 0.0;
    }
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, kind);
    opt.lambda = 0.05;
    opt.min_sample = 16;
    gtap_ef *ef = NULL;
    int rc = gtap_ef_create(&opt, GTAP_EF_STICH, 1, TOY_D, segments, n_segments, global_k, &ef);
    GT_ASSERT_OK(rc);
    if (rc < 0) return INFINITY;
    uint64_t cap = gtap_ef_capacity(ef);
    uint64_t *indices = malloc(cap * sizeof *indices);
    float *values = malloc(cap * sizeof *values);
    double worst = 0.0;
    for (int t = 0; t < TOY_STEPS; t++) {
        float eta = (float)(0.5 / (t + 10.0));
        toy_gradient(x, a, c, &state, g);
        gtap_ef_step_stats stats;
        GT_ASSERT_OK(gtap_ef_step(ef, g, eta, (uint64_t)t, indices, values, cap, &stats));
        for (uint64_t j = 0; j < stats.count; j++) x[indices[j]] -= values[j];
        const float *m = gtap_ef_memory(ef);
        double scale = 1.0, memory2 = 0.0;
        for (int i = 0; i < TOY_D; i++) {
            y[i] -= (double)eta * (double)g[i];
            scale = fmax(scale, fmax(fabs(y[i]), fmax(fabs((double)x[i]), fabs((double)m[i]))));
            memory2 += (double)m[i] * m[i];
        }
        GT_ASSERT_NEAR(stats.memory_norm2, memory2, 0, 1e-12);
        for (int i = 0; i < TOY_D; i++) worst = fmax(worst, fabs((double)x[i] - (double)m[i] - y[i]) / scale);
    }
    gtap_ef_free(ef);
    free(indices);
    free(values);
    return worst;
}

static void test_stich_invariant(void)
{
    uint64_t seed = gtap_test_seed("stich invariant");
    const gtap_sparsifier_kind kinds[] = {GTAP_SPARSIFY_TOPK,      GTAP_SPARSIFY_RANDK,  GTAP_SPARSIFY_GAUSSIANK,
                                          GTAP_SPARSIFY_DGCK,      GTAP_SPARSIFY_SIGN,   GTAP_SPARSIFY_THRESHOLD,
                                          GTAP_SPARSIFY_REDSYNC,   GTAP_SPARSIFY_NONE,   GTAP_SPARSIFY_RANDK_UNBIASED};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        double gap = stich_invariant_gap(kinds[i], NULL, 0, 2, seed + i);
        printf("  %s: max |x - m - y| / (1 + max(|x|, |m|, |y|)) = %.2g\n", gtap_sparsifier_kind_name(kinds[i]), gap);
        GT_ASSERT_DBL_CMP(gap, <, 1e-5); /* float32 rounding over 300 steps */
    }
    const gtap_segment layers[] = {{0, 10, 1}, {10, 50, 3}, {60, 4, 1}};
    double gap = stich_invariant_gap(GTAP_SPARSIFY_TOPK, layers, 3, 0, seed);
    GT_ASSERT_DBL_CMP(gap, <, 1e-5);
}

/* A memory that does not keep p - C(p) breaks the invariant: the test above
 * would see it. Here the residual of top-k with memory is zero exactly at
 * the kept coordinates and equals p elsewhere. */
static void test_memory_after_topk(void)
{
    uint64_t state = gtap_test_seed("memory after topk");
    enum { D = 500, K = 20 };
    static float g[D], before[D];
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    gtap_ef *ef = NULL;
    GT_ASSERT_OK(gtap_ef_create(&opt, GTAP_EF_STICH, 1, D, NULL, 0, K, &ef));
    uint64_t indices[K];
    float values[K];
    for (int step = 0; step < 5; step++) {
        sp_fill(g, D, SP_NORMAL, &state);
        memcpy(before, gtap_ef_memory(ef), sizeof before);
        gtap_ef_step_stats stats;
        GT_ASSERT_OK(gtap_ef_step(ef, g, 0.1f, step, indices, values, K, &stats));
        GT_ASSERT_U64_EQ(stats.count, K);
        const float *m = gtap_ef_memory(ef);
        uint64_t j = 0;
        double p2 = 0.0;
        for (int i = 0; i < D; i++) {
            float p = before[i] + 0.1f * g[i];
            p2 += (double)p * p;
            if (j < K && indices[j] == (uint64_t)i) {
                GT_ASSERT_DBL_CMP_FATAL(m[i], ==, 0.0f);
                GT_ASSERT_DBL_CMP_FATAL(values[j], ==, p);
                j++;
            } else {
                GT_ASSERT_DBL_CMP_FATAL(m[i], ==, p);
            }
        }
        GT_ASSERT_NEAR(stats.input_norm2, p2, 0, 1e-12);
    }
    gtap_ef_reset(ef);
    for (int i = 0; i < D; i++) GT_ASSERT_DBL_CMP_FATAL(gtap_ef_memory(ef)[i], ==, 0.0f);
    gtap_ef_free(ef);
}

/* Shi's form: s_t + r_t bookkeeping, sum_t s_t + r_T = sum_t g_t. */
static void test_shi_bookkeeping(void)
{
    uint64_t state = gtap_test_seed("shi");
    enum { D = 300, K = 15, STEPS = 50 };
    static float g[D];
    static double sum_g[D], sum_s[D];
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_GAUSSIANK);
    gtap_ef *ef = NULL;
    GT_ASSERT_OK(gtap_ef_create(&opt, GTAP_EF_SHI, 1, D, NULL, 0, K, &ef));
    uint64_t cap = gtap_ef_capacity(ef);
    GT_ASSERT_U64_EQ(cap, D);
    uint64_t *indices = malloc(cap * sizeof *indices);
    float *values = malloc(cap * sizeof *values);
    for (int step = 0; step < STEPS; step++) {
        sp_fill(g, D, SP_LAPLACE, &state);
        GT_ASSERT_OK(gtap_ef_step(ef, g, NAN /* ignored by Shi */, step, indices, values, cap, NULL));
        for (int i = 0; i < D; i++) sum_g[i] += g[i];
    }
    (void)sum_s;
    /* Re-run with the bookkeeping of the outputs. */
    gtap_ef_reset(ef);
    memset(sum_g, 0, sizeof sum_g);
    state = gtap_test_seed("shi");
    for (int step = 0; step < STEPS; step++) {
        sp_fill(g, D, SP_LAPLACE, &state);
        gtap_ef_step_stats stats;
        GT_ASSERT_OK(gtap_ef_step(ef, g, 1.0f, step, indices, values, cap, &stats));
        for (int i = 0; i < D; i++) sum_g[i] += g[i];
        for (uint64_t j = 0; j < stats.count; j++) sum_s[indices[j]] += values[j];
    }
    const float *r = gtap_ef_memory(ef);
    for (int i = 0; i < D; i++) GT_ASSERT_NEAR(sum_s[i] + r[i], sum_g[i], 1e-4, 1e-5);
    gtap_ef_free(ef);
    free(indices);
    free(values);
}

/* Memory off: the output is C(eta g) (Stich units) or C(g) (Shi units) and
 * nothing is remembered. */
static void test_memory_off(void)
{
    uint64_t state = gtap_test_seed("memory off");
    enum { D = 1000, K = 10 };
    static float g[D], scaled[D];
    sp_fill(g, D, SP_NORMAL, &state);
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_RANDK);
    opt.seed = 11;
    for (int form = 0; form < 2; form++) {
        gtap_ef *ef = NULL;
        GT_ASSERT_OK(gtap_ef_create(&opt, (gtap_ef_form)form, 0, D, NULL, 0, K, &ef));
        uint64_t indices[K];
        float values[K];
        GT_ASSERT_OK(gtap_ef_step(ef, g, 0.25f, 3, indices, values, K, NULL));
        for (int i = 0; i < D; i++) {
            scaled[i] = form == GTAP_EF_STICH ? 0.25f * g[i] : g[i];
            GT_ASSERT_DBL_CMP_FATAL(gtap_ef_memory(ef)[i], ==, 0.0f);
        }
        sp_output direct = sp_run_once(&opt, scaled, D, K, 3); /* one segment: stream 3 * 1 + 0 */
        GT_ASSERT_OK(direct.rc);
        GT_ASSERT_MEM_EQ(direct.indices, indices, sizeof indices);
        GT_ASSERT_MEM_EQ(direct.values, values, sizeof values);
        sp_output_free(&direct);
        gtap_ef_free(ef);
    }
}

/* Per-layer selection: each segment's output equals the compressor run on
 * that slice with stream step * n_segments + s, indices offset. */
static void test_segments(void)
{
    uint64_t state = gtap_test_seed("segments");
    enum { D = 637 };
    static float g[D], p[D];
    const gtap_segment layers[] = {{0, 100, 10}, {100, 37, 1}, {137, 500, 50}};
    const gtap_sparsifier_kind kinds[] = {GTAP_SPARSIFY_TOPK, GTAP_SPARSIFY_RANDK};
    sp_fill(g, D, SP_NORMAL, &state);
    for (size_t ki = 0; ki < 2; ki++) {
        gtap_sparsify_options opt;
        gtap_sparsify_options_init(&opt, kinds[ki]);
        gtap_ef *ef = NULL;
        GT_ASSERT_OK(gtap_ef_create(&opt, GTAP_EF_STICH, 1, D, layers, 3, 0, &ef));
        GT_ASSERT_U64_EQ(gtap_ef_capacity(ef), 61);
        uint64_t indices[61];
        float values[61];
        for (int i = 0; i < D; i++) p[i] = gtap_ef_memory(ef)[i] + 0.5f * g[i];
        gtap_ef_step_stats stats;
        GT_ASSERT_OK(gtap_ef_step(ef, g, 0.5f, 4, indices, values, 61, &stats));
        GT_ASSERT_U64_EQ(stats.count, 61);
        uint64_t offset = 0;
        for (int s = 0; s < 3; s++) {
            sp_output direct = sp_run_once(&opt, p + layers[s].offset, layers[s].length, layers[s].k, 4 * 3 + s);
            GT_ASSERT_OK(direct.rc);
            for (uint64_t j = 0; j < direct.res.count; j++) {
                GT_ASSERT_U64_EQ(indices[offset + j], direct.indices[j] + layers[s].offset);
                GT_ASSERT_DBL_CMP_FATAL(values[offset + j], ==, direct.values[j]);
            }
            offset += direct.res.count;
            sp_output_free(&direct);
        }
        gtap_ef_free(ef);
    }
    /* Segments must tile [0, d). */
    gtap_sparsify_options opt;
    gtap_sparsify_options_init(&opt, GTAP_SPARSIFY_TOPK);
    gtap_ef *ef = NULL;
    const gtap_segment gap[] = {{0, 10, 1}, {11, 10, 1}};
    GT_ASSERT_STATUS(gtap_ef_create(&opt, GTAP_EF_STICH, 1, 21, gap, 2, 0, &ef), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "segment 1");
    const gtap_segment short_cover[] = {{0, 10, 1}};
    GT_ASSERT_STATUS(gtap_ef_create(&opt, GTAP_EF_STICH, 1, 21, short_cover, 1, 0, &ef), GTAP_EINVAL);
    const gtap_segment bad_k[] = {{0, 10, 1}, {10, 11, 12}};
    GT_ASSERT_STATUS(gtap_ef_create(&opt, GTAP_EF_STICH, 1, 21, bad_k, 2, 0, &ef), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "segment 1");
    GT_ASSERT_STATUS(gtap_ef_create(&opt, GTAP_EF_STICH, 1, 21, NULL, 0, 0, &ef), GTAP_EINVAL);
    GT_ASSERT_STATUS(gtap_ef_create(&opt, (gtap_ef_form)7, 1, 21, NULL, 0, 1, &ef), GTAP_EINVAL);
    GT_ASSERT_NULL(ef);
    GT_ASSERT_OK(gtap_ef_create(&opt, GTAP_EF_STICH, 1, 21, NULL, 0, 3, &ef));
    float grad[21] = {0};
    uint64_t indices[3];
    float values[3];
    GT_ASSERT_STATUS(gtap_ef_step(ef, grad, 0.1f, 0, indices, values, 2, NULL), GTAP_EOVERFLOW);
    GT_ASSERT_STATUS(gtap_ef_step(ef, grad, INFINITY, 0, indices, values, 3, NULL), GTAP_EINVAL);
    grad[4] = NAN;
    GT_ASSERT_STATUS(gtap_ef_step(ef, grad, 0.1f, 0, indices, values, 3, NULL), GTAP_ENONFINITE);
    gtap_ef_free(ef);
    gtap_ef_free(NULL);
    gtap_ef_form form;
    GT_ASSERT_OK(gtap_ef_form_parse("shi", &form));
    GT_ASSERT_INT_EQ(form, GTAP_EF_SHI);
    GT_ASSERT_STATUS(gtap_ef_form_parse("lin", &form), GTAP_EINVAL);
    GT_ASSERT_STR_EQ(gtap_ef_form_name(GTAP_EF_STICH), "stich");
}

/* Summing P messages: duplicates within and across messages, empty
 * messages, varying counts; the gathered layout gives the same bits. */
static void test_sparse_sum(void)
{
    uint64_t state = gtap_test_seed("sparse sum");
    enum { D = 200, P = 6, MAXC = 50 };
    static uint64_t idx[P][MAXC], all_idx[P * MAXC], counts[P];
    static float val[P][MAXC], all_val[P * MAXC];
    static double dense[D], gathered[D], expected[D];
    gtap_sparse_msg msgs[P];
    uint64_t total = 0;
    for (int p = 0; p < P; p++) {
        counts[p] = p == 2 || p == 5 ? 0 : 1 + (uint64_t)(gtap_test_rand_uniform(&state) * (MAXC - 1));
        for (uint64_t j = 0; j < counts[p]; j++) {
            idx[p][j] = (uint64_t)(gtap_test_rand_uniform(&state) * 30); /* many duplicates */
            val[p][j] = (float)gtap_test_rand_normal(&state);
            all_idx[total] = idx[p][j];
            all_val[total++] = val[p][j];
        }
        msgs[p].indices = counts[p] ? idx[p] : NULL;
        msgs[p].values = counts[p] ? val[p] : NULL;
        msgs[p].count = counts[p];
    }
    for (int p = 0; p < P; p++)
        for (uint64_t j = 0; j < counts[p]; j++) expected[idx[p][j]] += 0.25 * (double)val[p][j];
    for (int i = 0; i < D; i++) dense[i] = gathered[i] = 99.0;
    GT_ASSERT_OK(gtap_sparse_sum(msgs, P, D, 0.25, dense));
    GT_ASSERT_OK(gtap_sparse_sum_gathered(counts, P, all_idx, all_val, D, 0.25, gathered));
    for (int i = 0; i < D; i++) {
        GT_ASSERT_DBL_CMP_FATAL(dense[i], ==, expected[i]);
        GT_ASSERT_DBL_CMP_FATAL(gathered[i], ==, expected[i]);
    }
    GT_ASSERT_OK(gtap_sparse_sum(NULL, 0, D, 1.0, dense));
    for (int i = 0; i < D; i++) GT_ASSERT_DBL_CMP_FATAL(dense[i], ==, 0.0);
    /* An index out of range: refused before anything is written. */
    for (int i = 0; i < D; i++) dense[i] = 7.0;
    idx[4][0] = D;
    GT_ASSERT_STATUS(gtap_sparse_sum(msgs, P, D, 1.0, dense), GTAP_EINVAL);
    GT_ASSERT_STR_CONTAINS(gtap_last_error(), "message 4");
    for (int i = 0; i < D; i++) GT_ASSERT_DBL_CMP_FATAL(dense[i], ==, 7.0);
    GT_ASSERT_STATUS(gtap_sparse_add(&msgs[4], D, 1.0, dense), GTAP_EINVAL);
    idx[4][0] = 1;
    GT_ASSERT_STATUS(gtap_sparse_sum(msgs, P, D, NAN, dense), GTAP_EINVAL);
    /* Accumulating adds. */
    float dense32[D] = {0};
    GT_ASSERT_OK(gtap_sparse_add_f32(&msgs[0], D, -1.0f, dense32));
    GT_ASSERT_OK(gtap_sparse_add_f32(&msgs[0], D, 1.0f, dense32));
    for (int i = 0; i < D; i++) GT_ASSERT_NEAR(dense32[i], 0.0, 1e-6, 0);
}

static void test_sparse_encoding(void)
{
    uint64_t indices[3] = {1, 5, 5};
    float values[3] = {0.5f, -2.0f, 3.0f};
    gtap_sparse_msg msg = {indices, values, 3}, back;
    size_t bytes = 0, written = 0;
    GT_ASSERT_OK(gtap_sparse_encoded_size(3, &bytes));
    GT_ASSERT_INT_EQ(bytes, 44);
    uint64_t buffer[8];
    GT_ASSERT_STATUS(gtap_sparse_encode(&msg, buffer, 43, &written), GTAP_EINVAL);
    GT_ASSERT_OK(gtap_sparse_encode(&msg, buffer, sizeof buffer, &written));
    GT_ASSERT_INT_EQ(written, 44);
    GT_ASSERT_OK(gtap_sparse_decode(buffer, written, 6, &back));
    GT_ASSERT_U64_EQ(back.count, 3);
    GT_ASSERT_MEM_EQ(back.indices, indices, sizeof indices);
    GT_ASSERT_MEM_EQ(back.values, values, sizeof values);
    GT_ASSERT_STATUS(gtap_sparse_decode(buffer, written, 5, &back), GTAP_EFORMAT); /* index 5 >= d */
    GT_ASSERT_STATUS(gtap_sparse_decode(buffer, written - 1, 6, &back), GTAP_EFORMAT);
    GT_ASSERT_STATUS(gtap_sparse_decode(buffer, 4, 6, &back), GTAP_EFORMAT);
    GT_ASSERT_STATUS(gtap_sparse_decode((const char *)buffer + 4, 40, 6, &back), GTAP_EINVAL);
    buffer[0] = UINT64_MAX; /* an absurd count */
    GT_ASSERT_STATUS(gtap_sparse_decode(buffer, written, 6, &back), GTAP_EFORMAT);
    gtap_sparse_msg empty = {NULL, NULL, 0};
    GT_ASSERT_OK(gtap_sparse_encode(&empty, buffer, sizeof buffer, &written));
    GT_ASSERT_INT_EQ(written, 8);
    GT_ASSERT_OK(gtap_sparse_decode(buffer, 8, 1, &back));
    GT_ASSERT_U64_EQ(back.count, 0);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"Stich: x_t - m_t equals plain SGD (9 compressors, per layer)", test_stich_invariant},
        {"Stich with top-k: m = p - C(p) exactly", test_memory_after_topk},
        {"Shi: sum s + r = sum g", test_shi_bookkeeping},
        {"memory off: C(eta g) or C(g), nothing kept", test_memory_off},
        {"per-layer segments and their checks", test_segments},
        {"sparse sum: duplicates, empty messages, gathered layout", test_sparse_sum},
        {"sparse message encoding and malformed input", test_sparse_encoding},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"sparsify_feedback", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
