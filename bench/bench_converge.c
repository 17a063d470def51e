/* bench_converge.c - the performance target of `gradtap converge` (issue 5):
 * logistic regression on synthetic data n = 100000, d = 2000 (dense), 3
 * epochs of top-k SGD with memory at rho = 0.001 (k = 2), batch 1, one
 * worker, Stich schedule gamma = 2, a = d/k. Times data generation, f*
 * (Newton-CG to ||grad|| < 1e-10) and the training with its selection time,
 * and reports steps per second. Compare with bench/converge_reference.py
 * (numpy) run in the same session; docs/PERFORMANCE.md has the figures.
 * usage: bench_converge [n] [d] [epochs] [method] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gradtap/train.h"
#include "bench_common.h"

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000;
    uint64_t d = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000;
    double epochs = argc > 3 ? atof(argv[3]) : 3.0;
    const char *method = argc > 4 ? argv[4] : "topk";
    gtap_sparsifier_kind kind = GTAP_SPARSIFY_TOPK;
    if (strcmp(method, "dense") == 0) kind = GTAP_SPARSIFY_NONE;
    else if (gtap_sparsifier_kind_parse(method, &kind) < 0) {
        fprintf(stderr, "bench_converge: %s\n", gtap_last_error());
        return 2;
    }
    double t0 = bench_now();
    gtap_dataset *data = NULL;
    if (gtap_dataset_synthetic_logreg(n, d, 3.0, 1, &data) < 0) {
        fprintf(stderr, "bench_converge: %s\n", gtap_last_error());
        return 3;
    }
    double t_data = bench_now() - t0;
    gtap_model_options mo;
    gtap_model_options_init(&mo, GTAP_MODEL_LOGREG);
    gtap_model *model = NULL;
    gtap_model_create(&mo, data, &model);
    t0 = bench_now();
    gtap_optimum opt;
    gtap_logreg_optimum(data, gtap_model_lambda(model), 1e-10, 100, NULL, &opt);
    double t_fstar = bench_now() - t0;
    gtap_train_options o;
    gtap_train_options_init(&o);
    gtap_sparsify_options_init(&o.compressor, kind);
    o.density = 0.001;
    o.epochs = epochs;
    o.eval_points = 1; /* only the final point: time the training, not the curve */
    o.early_points = 0;
    o.schedule.lambda = gtap_model_lambda(model);
    uint64_t k = 0;
    gtap_k_from_density(o.density, d, &k);
    o.schedule.shift = (double)d / (double)k;
    gtap_train_result r;
    t0 = bench_now();
    int rc = gtap_train_run(&o, model, data, &r);
    double t_train = bench_now() - t0;
    if (rc < 0) {
        fprintf(stderr, "bench_converge: %s\n", gtap_last_error());
        return 3;
    }
    printf("bench_converge: logreg n=%llu d=%llu, %s with memory, k=%llu, %g epochs = %llu steps (batch 1)\n",
           (unsigned long long)n, (unsigned long long)d, method, (unsigned long long)k, epochs,
           (unsigned long long)r.steps);
    printf("  data generation   %8.3f s\n", t_data);
    printf("  f* (Newton-CG)    %8.3f s  (%d Newton, %d CG steps, ||grad|| %.1e, f* = %.10f)\n", t_fstar,
           opt.newton_iterations, opt.cg_iterations, opt.grad_norm, opt.fstar);
    printf("  training          %8.3f s  (%.0f steps/s; selection %.3f s = %.2f us/step; 2 full evaluations)\n",
           t_train, (double)r.steps / t_train, r.select_seconds, 1e6 * r.select_seconds / (double)r.steps);
    printf("  f(x_T) = %.6f, f(xbar_T) = %.6f, f(xbar_T) - f* = %.3g\n", r.final_loss, r.final_average_loss,
           r.final_average_loss - opt.fstar);
    gtap_train_result_free(&r);
    gtap_model_free(model);
    gtap_dataset_free(data);
    return 0;
}
