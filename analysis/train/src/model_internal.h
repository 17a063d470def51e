/* model_internal.h - the layout of gtap_model and the per-row helpers the
 * logistic-regression and MLP code share (private to libgradtap). */
#ifndef GRADTAP_TRAIN_MODEL_INTERNAL_H
#define GRADTAP_TRAIN_MODEL_INTERNAL_H

#include "gradtap/train_model.h"

enum { GTAP_MODEL_MAX_LAYERS = 2 * (GTAP_MLP_MAX_HIDDEN + 1), GTAP_EVAL_BLOCKS = 64 };

struct gtap_model {
    gtap_model_options options;
    uint64_t features;          /* d of the data */
    int classes;
    uint64_t dim;               /* parameters */
    double lambda;
    size_t layer_count;
    char layer_names[GTAP_MODEL_MAX_LAYERS][32];
    uint64_t layer_offset[GTAP_MODEL_MAX_LAYERS];
    uint64_t layer_size[GTAP_MODEL_MAX_LAYERS];
    /* mlp: widths[0] = features, widths[1..hidden] hidden, widths[last] = classes */
    int width_count;
    uint64_t widths[GTAP_MLP_MAX_HIDDEN + 2];
    uint64_t scratch_rows;      /* rows the scratch holds */
    float *inputs;              /* scratch_rows x features (gathered minibatch) */
    float *activations;         /* per layer scratch_rows x widths[l], l >= 1 */
    float *deltas;              /* same size as activations */
    uint64_t activation_offset[GTAP_MLP_MAX_HIDDEN + 2];
};

/* sum_j a[j] b[j] in double with four interleaved partial sums (a fixed
 * order, so the result is the same on every run, and the compiler can keep
 * four independent additions in flight). */
static inline double gtap_dot_f32(const float *a, const float *b, uint64_t count)
{
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    uint64_t j = 0;
    for (; j + 4 <= count; j += 4) {
        s0 += (double)a[j] * b[j];
        s1 += (double)a[j + 1] * b[j + 1];
        s2 += (double)a[j + 2] * b[j + 2];
        s3 += (double)a[j + 3] * b[j + 3];
    }
    for (; j < count; j++) s0 += (double)a[j] * b[j];
    return (s0 + s1) + (s2 + s3);
}

/* a_i . x for row i of a dense or CSR dataset (double accumulation). */
static inline double gtap_row_dot(const gtap_dataset_view *v, uint64_t i, const float *x)
{
    if (!v->sparse) return gtap_dot_f32(v->values + i * v->d, x, v->d);
    double sum = 0.0;
    for (uint64_t j = v->row_start[i]; j < v->row_start[i + 1]; j++) sum += (double)v->values[j] * x[v->columns[j]];
    return sum;
}

/* Same with a double x. */
static inline double gtap_row_dot_double(const gtap_dataset_view *v, uint64_t i, const double *x)
{
    double sum = 0.0;
    if (v->sparse) {
        for (uint64_t j = v->row_start[i]; j < v->row_start[i + 1]; j++) sum += (double)v->values[j] * x[v->columns[j]];
    } else {
        const float *row = v->values + i * v->d;
        for (uint64_t j = 0; j < v->d; j++) sum += (double)row[j] * x[j];
    }
    return sum;
}

/* out += coef * a_i (double accumulator). */
static inline void gtap_row_axpy_double(const gtap_dataset_view *v, uint64_t i, double coef, double *out)
{
    if (v->sparse) {
        for (uint64_t j = v->row_start[i]; j < v->row_start[i + 1]; j++) out[v->columns[j]] += coef * v->values[j];
    } else {
        const float *row = v->values + i * v->d;
        for (uint64_t j = 0; j < v->d; j++) out[j] += coef * row[j];
    }
}

/* log(1 + exp(-m)) without overflow. */
double gtap_logistic_loss(double margin);
/* 1 / (1 + exp(-m)) without overflow. */
double gtap_sigmoid(double m);

/* Append a named layer of `size` parameters to the model's table. */
int gtap_model_add_layer(gtap_model *model, const char *name, uint64_t size);

/* Kind-specific parts (logreg.c, mlp.c). */
int gtap_logreg_gradient(gtap_model *model, const float *x, const gtap_dataset_view *v, const uint64_t *rows,
                         uint64_t count, float *grad, double *loss);
int gtap_logreg_evaluate(gtap_model *model, const float *x, const gtap_dataset_view *v, double *loss,
                         double *accuracy);
int gtap_mlp_setup(gtap_model *model);
int gtap_mlp_gradient(gtap_model *model, const float *x, const gtap_dataset_view *v, const uint64_t *rows,
                      uint64_t count, float *grad, double *loss);
int gtap_mlp_evaluate(gtap_model *model, const float *x, const gtap_dataset_view *v, double *loss,
                      double *accuracy);
void gtap_mlp_init_params(const gtap_model *model, uint64_t seed, float *x);

#endif
