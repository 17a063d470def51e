/* logreg.c - L2-regularised logistic regression (docs/THEORY.md s.8):
 *   f(x) = (1/n) sum_i log(1 + exp(-b_i a_i^T x)) + (lambda/2) ||x||^2,
 * minibatch gradients for SGD and the full objective, evaluated in a fixed
 * number of row blocks so that the sum does not depend on the thread count. */
#include <math.h>
#include <string.h>

#include "model_internal.h"

double gtap_logistic_loss(double margin)
{
    return margin > 0.0 ? log1p(exp(-margin)) : -margin + log1p(exp(margin));
}

double gtap_sigmoid(double m)
{
    if (m >= 0.0) return 1.0 / (1.0 + exp(-m));
    double e = exp(m);
    return e / (1.0 + e);
}

int gtap_logreg_gradient(gtap_model *model, const float *x, const gtap_dataset_view *v, const uint64_t *rows,
                         uint64_t count, float *grad, double *loss)
{
    const uint64_t d = model->dim;
    const float lambda = (float)model->lambda;
    for (uint64_t j = 0; j < d; j++) grad[j] = lambda * x[j];
    double loss_sum = 0.0;
    for (uint64_t r = 0; r < count; r++) {
        uint64_t i = rows[r];
        double b = v->labels[i];
        double margin = b * gtap_row_dot(v, i, x);
        loss_sum += gtap_logistic_loss(margin);
        /* d/dx log(1+exp(-b a.x)) = -b sigmoid(-b a.x) a */
        float coef = (float)(-b * gtap_sigmoid(-margin) / (double)count);
        if (v->sparse) {
            for (uint64_t j = v->row_start[i]; j < v->row_start[i + 1]; j++) grad[v->columns[j]] += coef * v->values[j];
        } else {
            const float *row = v->values + i * v->d;
            for (uint64_t j = 0; j < d; j++) grad[j] += coef * row[j];
        }
    }
    if (loss) {
        double norm2 = 0.0;
        for (uint64_t j = 0; j < d; j++) norm2 += (double)x[j] * x[j];
        *loss = loss_sum / (double)count + 0.5 * model->lambda * norm2;
    }
    return GTAP_OK;
}

int gtap_logreg_evaluate(gtap_model *model, const float *x, const gtap_dataset_view *v, double *loss,
                         double *accuracy)
{
    double block_loss[GTAP_EVAL_BLOCKS];
    uint64_t block_correct[GTAP_EVAL_BLOCKS];
    const uint64_t n = v->n;
#pragma omp parallel for schedule(dynamic, 1)
    for (int block = 0; block < GTAP_EVAL_BLOCKS; block++) {
        uint64_t first = n * (uint64_t)block / GTAP_EVAL_BLOCKS, last = n * (uint64_t)(block + 1) / GTAP_EVAL_BLOCKS;
        double sum = 0.0;
        uint64_t correct = 0;
        for (uint64_t i = first; i < last; i++) {
            double dot = gtap_row_dot(v, i, x);
            sum += gtap_logistic_loss(v->labels[i] * dot);
            correct += ((dot >= 0.0) == (v->labels[i] > 0));
        }
        block_loss[block] = sum;
        block_correct[block] = correct;
    }
    double total = 0.0;
    uint64_t correct = 0;
    for (int block = 0; block < GTAP_EVAL_BLOCKS; block++) {
        total += block_loss[block];
        correct += block_correct[block];
    }
    double norm2 = 0.0;
    for (uint64_t j = 0; j < model->dim; j++) norm2 += (double)x[j] * x[j];
    if (loss) *loss = total / (double)n + 0.5 * model->lambda * norm2;
    if (accuracy) *accuracy = (double)correct / (double)n;
    return GTAP_OK;
}
