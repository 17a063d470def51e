/*
 * gradtap/train_model.h - the models of gradtap's own trainer (`gradtap
 * converge`, docs/THEORY.md s.8): L2-regularised logistic regression
 *     f(x) = (1/n) sum_i log(1 + exp(-b_i a_i^T x)) + (lambda/2) ||x||^2
 * and a ReLU MLP with softmax cross-entropy (784-200-200-10 by default, the
 * GaussianK-SGD paper's FNN-3). Parameters are one flat float32 vector x of
 * gtap_model_dim() values, split into named layers (PyTorch-style names:
 * "weight" for logistic regression; "fc1.weight", "fc1.bias", ... for the
 * MLP, weights stored out x in, row-major).
 *
 * A gtap_model holds scratch buffers: one object must not be used by two
 * threads at once (create one per thread). Loss and gradient sums are
 * accumulated in double; full-data evaluations split the rows into a fixed
 * number of blocks summed in block order, so results do not depend on the
 * thread count.
 *
 * All functions return GTAP_OK or a negative gtap_status with a message in
 * gtap_last_error().
 */
#ifndef GRADTAP_TRAIN_MODEL_H
#define GRADTAP_TRAIN_MODEL_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"
#include "gradtap/train_data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gtap_model_kind { GTAP_MODEL_LOGREG = 0, GTAP_MODEL_MLP = 1 } gtap_model_kind;

enum { GTAP_MLP_MAX_HIDDEN = 4 };

/* Layout version of gtap_model_options (gradtap/abi.h). */
#define GTAP_MODEL_OPTIONS_VERSION 1u

typedef struct gtap_model_options {
    size_t struct_size;       /* set by gtap_model_options_init() (gradtap/abi.h) */
    unsigned struct_version;
    gtap_model_kind kind;
    double lambda;            /* logreg: L2 weight; < 0 (default): 1/n of the training set */
    int hidden_count;         /* mlp: hidden layers, 0..GTAP_MLP_MAX_HIDDEN (default 2) */
    uint64_t hidden[GTAP_MLP_MAX_HIDDEN]; /* mlp: widths (default 200, 200) */
    uint64_t max_batch;       /* largest minibatch gtap_model_gradient() takes (default 256) */
} gtap_model_options;

/* Fill `options` with the defaults above for `kind`. */
GTAP_API void gtap_model_options_init(gtap_model_options *options, gtap_model_kind kind);

typedef struct gtap_model gtap_model;

/* gtap_model_create() - a model for data shaped like `train` (d features;
 * logreg needs binary labels, mlp at least 2 classes). `train` is only
 * inspected (n for lambda = 1/n, d, classes), not kept.
 * @return GTAP_OK and *out (free with gtap_model_free); GTAP_EVERSION
 * (options not filled by gtap_model_options_init(), gradtap/abi.h); GTAP_EINVAL for a
 * bad option or data of the wrong kind (the message says which);
 * GTAP_EOVERFLOW; GTAP_ENOMEM. */
GTAP_API int gtap_model_create(const gtap_model_options *options, const gtap_dataset *train, gtap_model **out);

/* Release a model. NULL is allowed. */
GTAP_API void gtap_model_free(gtap_model *model);

/* Number of parameters d of the flat vector. */
GTAP_API uint64_t gtap_model_dim(const gtap_model *model);

/* The model's kind, and its L2 weight lambda (0 for the MLP). */
GTAP_API gtap_model_kind gtap_model_get_kind(const gtap_model *model);
GTAP_API double gtap_model_lambda(const gtap_model *model);

/* Layers: count, and layer i's name (owned by the model), offset and size
 * in the flat vector. @return GTAP_EINVAL for i out of range. */
GTAP_API size_t gtap_model_layer_count(const gtap_model *model);
GTAP_API int gtap_model_layer(const gtap_model *model, size_t i, const char **name, uint64_t *offset, uint64_t *size);

/* gtap_model_init_params() - initial parameters into x (dim floats):
 * zeros for logistic regression (as Stich et al.), He-uniform weights
 * drawn from `seed` and zero biases for the MLP. */
GTAP_API int gtap_model_init_params(const gtap_model *model, uint64_t seed, float *x);

/* gtap_model_gradient() - the minibatch gradient at x over the examples
 * `rows[0..count)` of `data`: grad = (1/count) sum_i grad f_i(x) (plus
 * lambda x for logreg: each f_i carries the regulariser, as in Stich et
 * al.). `loss` (may be NULL) receives the minibatch mean loss.
 * @return GTAP_OK; GTAP_EINVAL (NULL, count 0 or > max_batch, a row >= n,
 * data with another d); GTAP_ENONFINITE when the gradient has NaN/Inf. */
GTAP_API int gtap_model_gradient(gtap_model *model, const float *x, const gtap_dataset *data, const uint64_t *rows,
                        uint64_t count, float *grad, double *loss);

/* gtap_model_evaluate() - over the whole of `data`: the mean loss (for
 * logreg the full objective f(x) with its (lambda/2)||x||^2 term, for the
 * MLP the mean cross-entropy) and the accuracy (fraction of examples whose
 * predicted class is right; logreg predicts sign(a.x), 0 counts as +1).
 * Either output may be NULL. Uses OpenMP threads; deterministic.
 * @return GTAP_OK; GTAP_EINVAL. */
GTAP_API int gtap_model_evaluate(gtap_model *model, const float *x, const gtap_dataset *data, double *loss,
                        double *accuracy);

/* Result of gtap_logreg_optimum(). */
typedef struct gtap_optimum {
    double fstar;             /* f(x*) */
    double grad_norm;         /* ||grad f(x*)||_2 reached */
    int newton_iterations;
    int cg_iterations;        /* total conjugate-gradient steps */
    int converged;            /* 1 when grad_norm < tolerance */
} gtap_optimum;

/* gtap_logreg_optimum() - f* of L2-regularised logistic regression by
 * Newton's method with conjugate-gradient inner solves (Hessian-vector
 * products, no d x d matrix) and Armijo backtracking, in double precision,
 * until ||grad f|| < tolerance (1e-10 per docs/THEORY.md s.8) or max_newton
 * iterations. `x_star` (d doubles, may be NULL) receives the minimiser.
 * The data's float64 values are used when it keeps them
 * (gtap_dataset_read_libsvm_precision with GTAP_DATA_FLOAT64): f* of the
 * data as written; otherwise f* of its float32 values, the problem the
 * trainer actually solves (they differ by about 1e-8 relative on a
 * standardised real set, docs/THEORY.md s.8).
 * @return GTAP_OK (check result->converged); GTAP_EINVAL (non-binary data,
 * lambda <= 0, tolerance <= 0); GTAP_ENOMEM. */
GTAP_API int gtap_logreg_optimum(const gtap_dataset *data, double lambda, double tolerance, int max_newton,
                        double *x_star, gtap_optimum *result);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_TRAIN_MODEL_H */
