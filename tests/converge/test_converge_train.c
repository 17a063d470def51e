/* test_converge_train.c - the trainer against independent references:
 * logistic-regression loss/gradient against a brute-force double formula,
 * the MLP gradient against central finite differences, f* against plain
 * gradient descent, the Stich invariant and the Lemma 3.2 memory bound
 * (and that a dropped memory breaks the invariant), bit-for-bit
 * determinism, capture files and the HDF5 results file. */
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>

#include "gradtap/capture.h"
#include "gradtap/format.h"
#include "gradtap/train.h"
#include "converge_fixtures.h"
#include "gtap_test.h"

/* A small logistic problem written by the test itself. */
static gtap_dataset *small_logreg(uint64_t n, uint64_t d, uint64_t seed)
{
    gtap_dataset *data = NULL;
    GT_ASSERT_OK(gtap_dataset_synthetic_logreg(n, d, 3.0, seed, &data));
    return data;
}

static double brute_loss(const gtap_dataset_view *v, const double *x, double lambda, double *grad)
{
    double loss = 0.0, norm2 = 0.0;
    for (uint64_t j = 0; j < v->d; j++) grad[j] = lambda * x[j], norm2 += x[j] * x[j];
    for (uint64_t i = 0; i < v->n; i++) {
        double m = 0.0;
        for (uint64_t j = 0; j < v->d; j++) m += (double)v->values[i * v->d + j] * x[j];
        double b = v->labels[i];
        loss += log(1.0 + exp(-b * m));
        double coef = -b / (1.0 + exp(b * m)) / (double)v->n;
        for (uint64_t j = 0; j < v->d; j++) grad[j] += coef * v->values[i * v->d + j];
    }
    return loss / (double)v->n + 0.5 * lambda * norm2;
}

static void test_logreg_gradient(void)
{
    uint64_t seed = gtap_test_seed("logreg gradient");
    gtap_dataset *data = small_logreg(64, 10, seed);
    gtap_dataset_view v = gtap_dataset_get_view(data);
    gtap_model_options mo;
    gtap_model_options_init(&mo, GTAP_MODEL_LOGREG);
    mo.max_batch = 64;
    gtap_model *model = NULL;
    GT_ASSERT_OK(gtap_model_create(&mo, data, &model));
    GT_ASSERT_NEAR(gtap_model_lambda(model), 1.0 / 64.0, 0, 1e-15);
    float x[10];
    double xd[10], grad_ref[10];
    uint64_t state = seed;
    for (int j = 0; j < 10; j++) x[j] = (float)(2.0 * gtap_test_rand_normal(&state)), xd[j] = x[j];
    double loss_ref = brute_loss(&v, xd, 1.0 / 64.0, grad_ref);
    uint64_t rows[64];
    for (int i = 0; i < 64; i++) rows[i] = (uint64_t)i;
    float grad[10];
    double loss = 0.0, full = 0.0;
    GT_ASSERT_OK(gtap_model_gradient(model, x, data, rows, 64, grad, &loss));
    GT_ASSERT_OK(gtap_model_evaluate(model, x, data, &full, NULL));
    GT_ASSERT_NEAR(loss, loss_ref, 1e-12, 1e-9);
    GT_ASSERT_NEAR(full, loss_ref, 1e-12, 1e-9);
    for (int j = 0; j < 10; j++) GT_ASSERT_NEAR(grad[j], grad_ref[j], 1e-6, 1e-5);
    gtap_model_free(model);
    gtap_dataset_free(data);
}

static void test_mlp_gradient(void)
{
    uint64_t seed = gtap_test_seed("mlp gradient");
    gtap_dataset *data = NULL;
    GT_ASSERT_OK(gtap_dataset_synthetic_images(16, seed, seed, &data));
    gtap_model_options mo;
    gtap_model_options_init(&mo, GTAP_MODEL_MLP);
    mo.hidden_count = 2;
    mo.hidden[0] = 6;
    mo.hidden[1] = 5;
    mo.max_batch = 8;
    gtap_model *model = NULL;
    GT_ASSERT_OK(gtap_model_create(&mo, data, &model));
    uint64_t d = gtap_model_dim(model);
    GT_ASSERT_U64_EQ(d, 784 * 6 + 6 + 6 * 5 + 5 + 5 * 10 + 10);
    GT_ASSERT_U64_EQ(gtap_model_layer_count(model), 6);
    float *x = malloc(d * sizeof *x), *grad = malloc(d * sizeof *grad);
    GT_ASSERT_OK(gtap_model_init_params(model, seed, x));
    for (uint64_t j = 0; j < d; j++) x[j] += 0.01f; /* biases nonzero too */
    uint64_t rows[8] = {0, 3, 5, 7, 9, 11, 13, 15};
    double loss = 0.0;
    GT_ASSERT_OK(gtap_model_gradient(model, x, data, rows, 8, grad, &loss));
    /* central differences on a sample of coordinates of every layer */
    uint64_t state = seed;
    int checked = 0;
    for (size_t layer = 0; layer < gtap_model_layer_count(model); layer++) {
        uint64_t offset = 0, size = 0;
        gtap_model_layer(model, layer, NULL, &offset, &size);
        for (int sample = 0; sample < 6; sample++) {
            uint64_t j = offset + gtap_test_rand_u64(&state) % size;
            float saved = x[j];
            const float h = 1e-2f;
            double plus = 0.0, minus = 0.0;
            float *scratch = malloc(d * sizeof *scratch);
            x[j] = saved + h;
            GT_ASSERT_OK(gtap_model_gradient(model, x, data, rows, 8, scratch, &plus));
            x[j] = saved - h;
            GT_ASSERT_OK(gtap_model_gradient(model, x, data, rows, 8, scratch, &minus));
            x[j] = saved;
            free(scratch);
            double numeric = (plus - minus) / (2.0 * (double)h);
            GT_ASSERT_NEAR(grad[j], numeric, 2e-3, 5e-2);
            checked++;
        }
    }
    GT_ASSERT_INT_EQ(checked, 36);
    free(x);
    free(grad);
    gtap_model_free(model);
    gtap_dataset_free(data);
}

static void test_optimum(void)
{
    uint64_t seed = gtap_test_seed("f*");
    gtap_dataset *data = small_logreg(200, 5, seed);
    gtap_dataset_view v = gtap_dataset_get_view(data);
    double lambda = 1.0 / 200.0;
    gtap_optimum opt;
    double x_star[5];
    GT_ASSERT_OK(gtap_logreg_optimum(data, lambda, 1e-10, 100, x_star, &opt));
    GT_ASSERT(opt.converged);
    GT_ASSERT(opt.grad_norm < 1e-10);
    /* independent reference: gradient descent with step 1/L, L <= 0.25 max||a||^2 + lambda */
    double x[5] = {0}, grad[5], f = 0.0, L = lambda;
    for (uint64_t i = 0; i < v.n; i++) {
        double r = 0.0;
        for (int j = 0; j < 5; j++) r += (double)v.values[i * 5 + j] * v.values[i * 5 + j];
        if (0.25 * r + lambda > L) L = 0.25 * r + lambda;
    }
    for (int it = 0; it < 20000; it++) {
        f = brute_loss(&v, x, lambda, grad);
        for (int j = 0; j < 5; j++) x[j] -= grad[j] / L;
    }
    GT_ASSERT_NEAR(opt.fstar, f, 1e-12, 1e-10);
    for (int j = 0; j < 5; j++) GT_ASSERT_NEAR(x_star[j], x[j], 1e-6, 1e-6);
    GT_ASSERT_STATUS(gtap_logreg_optimum(data, 0.0, 1e-10, 10, NULL, &opt), GTAP_EINVAL);
    gtap_dataset_free(data);
}

/* A short top-k run on a small logistic problem. */
static void run_small(gtap_dataset *data, gtap_model *model, int workers, uint64_t seed, int theory,
                      gtap_train_fault fault, gtap_train_result *result)
{
    gtap_train_options o;
    gtap_train_options_init(&o);
    o.density = 0.01;
    o.epochs = 2.0;
    o.workers = workers;
    o.seed = seed;
    o.fault = fault;
    o.eval_points = 10;
    o.schedule.lambda = gtap_model_lambda(model);
    uint64_t d = gtap_model_dim(model), k = 0;
    gtap_k_from_density(o.density, d, &k);
    o.schedule.shift = (double)d / (double)k;
    if (theory) {
        o.schedule.gamma = GTAP_THEORY_GAMMA;
        o.schedule.shift = gtap_theory_shift(d, k);
    }
    GT_ASSERT_OK(gtap_train_run(&o, model, data, result));
}

static void test_invariant_and_bound(void)
{
    uint64_t seed = gtap_test_seed("invariant");
    gtap_dataset *data = small_logreg(2000, 300, seed);
    gtap_model *model = logreg_model(data);
    gtap_train_result r;
    for (int workers = 1; workers <= 4; workers += 3) {
        run_small(data, model, workers, seed, 0, GTAP_TRAIN_FAULT_NONE, &r);
        GT_ASSERT(!r.diverged);
        GT_ASSERT(r.invariant_error < 1e-5);
        GT_ASSERT(r.final_average_loss < r.initial_loss);
        gtap_train_result_free(&r);
        run_small(data, model, workers, seed, 1, GTAP_TRAIN_FAULT_NONE, &r);
        GT_ASSERT(r.memory_bound_ratio > 0.0 && r.memory_bound_ratio <= 1.0);
        gtap_train_result_free(&r);
        run_small(data, model, workers, seed, 0, GTAP_TRAIN_FAULT_DROP_MEMORY, &r);
        gtap_test_assert(r.invariant_error > 0.1, 0, __LINE__, __FILE__,
                         "dropped memory breaks the invariant (error %g)", r.invariant_error);
        gtap_train_result_free(&r);
    }
    gtap_model_free(model);
    gtap_dataset_free(data);
}

static void test_determinism(void)
{
    uint64_t seed = gtap_test_seed("determinism");
    gtap_dataset *data = small_logreg(1000, 200, seed);
    gtap_model *model = logreg_model(data);
    gtap_train_result a, b, c;
    run_small(data, model, 4, seed, 0, GTAP_TRAIN_FAULT_NONE, &a);
    run_small(data, model, 4, seed, 0, GTAP_TRAIN_FAULT_NONE, &b);
    run_small(data, model, 4, seed + 1, 0, GTAP_TRAIN_FAULT_NONE, &c);
    GT_ASSERT(memcmp(a.final_x, b.final_x, 200 * sizeof(float)) == 0);
    GT_ASSERT(memcmp(a.final_x, c.final_x, 200 * sizeof(float)) != 0);
    GT_ASSERT(a.bits_per_worker == b.bits_per_worker);
    GT_ASSERT_NEAR(a.bits_per_worker, 64.0 * 2.0 * (double)a.steps, 0, 0); /* k = 2 pairs per step */
    /* the curve counts bits per worker too: non-decreasing, ending at the final figure */
    for (size_t i = 1; i < a.point_count; i++) GT_ASSERT(a.points[i].bits >= a.points[i - 1].bits);
    GT_ASSERT_NEAR(a.points[a.point_count - 1].bits, a.bits_per_worker, 0, 0);
    gtap_train_result_free(&a);
    gtap_train_result_free(&b);
    gtap_train_result_free(&c);
    gtap_model_free(model);
    gtap_dataset_free(data);
}

static void test_capture_and_results(void)
{
    uint64_t seed = gtap_test_seed("capture");
    gtap_dataset *data = small_logreg(400, 100, seed);
    gtap_model *model = logreg_model(data);
    char base[4096];
    snprintf(base, sizeof base, "%s", gtap_test_path("run.h5"));
    gtap_train_options o;
    gtap_train_options_init(&o);
    o.density = 0.05;
    o.workers = 2;
    o.seed = seed;
    o.schedule.lambda = gtap_model_lambda(model);
    o.schedule.shift = 20.0;
    o.capture_path = base;
    o.capture_every = 50;
    gtap_train_result r;
    GT_ASSERT_OK(gtap_train_run(&o, model, data, &r));
    GT_ASSERT_U64_EQ(r.steps, 200);
    char path[4096];
    GT_ASSERT_OK(gtap_capture_rank_path(base, 1, path, sizeof path));
    GT_ASSERT(strstr(path, "run.rank00001.h5") != NULL);
    gtap_reader *reader = NULL;
    GT_ASSERT_OK(gtap_reader_open(path, &reader));
    size_t tensor = 0, count = 0;
    GT_ASSERT_OK(gtap_reader_find_tensor(reader, "weight", &tensor));
    GT_ASSERT_OK(gtap_reader_steps(reader, tensor, GTAP_KIND_ACC, NULL, 0, &count));
    GT_ASSERT_U64_EQ(count, 4); /* steps 0, 50, 100, 150 */
    float grad[100], residual[100], acc[100];
    GT_ASSERT_OK(gtap_reader_read(reader, tensor, GTAP_KIND_GRAD, 100, grad));
    GT_ASSERT_OK(gtap_reader_read(reader, tensor, GTAP_KIND_RESIDUAL, 100, residual));
    GT_ASSERT_OK(gtap_reader_read(reader, tensor, GTAP_KIND_ACC, 100, acc));
    float eta = (float)gtap_schedule_eta(&o.schedule, 100);
    for (int j = 0; j < 100; j++) GT_ASSERT_NEAR(acc[j], residual[j] + eta * grad[j], 0, 0);
    gtap_reader_close(reader);
    /* results file */
    char results[4096];
    snprintf(results, sizeof results, "%s", gtap_test_path("results.h5"));
    const char *names[1] = {"topk"};
    gtap_results_meta meta = {.model = "logreg", .data = "synthetic", .form = "stich", .n = 400, .d = 100,
                              .seed = seed, .workers = 2, .density = 0.05, .fstar = 0.25};
    GT_ASSERT_OK(gtap_train_results_write_h5(results, &meta, names, &r, 1));
    hid_t file = H5Fopen(results, H5F_ACC_RDONLY, H5P_DEFAULT);
    GT_ASSERT_FATAL(file >= 0);
    hid_t set = H5Dopen2(file, "/methods/topk/loss", H5P_DEFAULT);
    GT_ASSERT_FATAL(set >= 0);
    hid_t space = H5Dget_space(set);
    hsize_t dims[1] = {0};
    H5Sget_simple_extent_dims(space, dims, NULL);
    GT_ASSERT_U64_EQ(dims[0], r.point_count);
    H5Sclose(space);
    H5Dclose(set);
    H5Fclose(file);
    const char *bad[1] = {"a/b"};
    GT_ASSERT_STATUS(gtap_train_results_write_h5(results, &meta, bad, &r, 1), GTAP_EINVAL);
    gtap_train_result_free(&r);
    gtap_model_free(model);
    gtap_dataset_free(data);
}

static void test_bad_options(void)
{
    gtap_dataset *data = small_logreg(50, 10, 1);
    gtap_model *model = logreg_model(data);
    gtap_train_options o;
    gtap_train_options_init(&o);
    gtap_train_result r;
    o.schedule.lambda = 0.0; /* Stich schedule needs lambda > 0 */
    GT_ASSERT_STATUS(gtap_train_run(&o, model, data, &r), GTAP_EINVAL);
    gtap_train_result_free(&r);
    o.schedule.lambda = 0.02;
    o.schedule.shift = 10;
    o.momentum = 0.9; /* Stich form takes no momentum */
    GT_ASSERT_STATUS(gtap_train_run(&o, model, data, &r), GTAP_EINVAL);
    gtap_train_result_free(&r);
    o.momentum = 0.0;
    o.workers = 51;
    GT_ASSERT_STATUS(gtap_train_run(&o, model, data, &r), GTAP_EINVAL);
    gtap_train_result_free(&r);
    gtap_dataset *images = NULL;
    GT_ASSERT_OK(gtap_dataset_synthetic_images(10, 1, 1, &images));
    gtap_model_options mo;
    gtap_model_options_init(&mo, GTAP_MODEL_LOGREG);
    gtap_model *wrong = NULL;
    GT_ASSERT_STATUS(gtap_model_create(&mo, images, &wrong), GTAP_EINVAL); /* logreg on 10 classes */
    gtap_dataset_free(images);
    gtap_model_free(model);
    gtap_dataset_free(data);
}

int main(int argc, char **argv)
{
    CU_TestInfo tests[] = {
        {"logreg gradient vs brute force", test_logreg_gradient},
        {"mlp gradient vs finite differences", test_mlp_gradient},
        {"f* vs gradient descent", test_optimum},
        {"invariant and memory bound", test_invariant_and_bound},
        {"determinism", test_determinism},
        {"capture and results file", test_capture_and_results},
        {"bad options", test_bad_options},
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {{"converge train", NULL, NULL, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
    return gtap_test_run(argc, argv, suites);
}
