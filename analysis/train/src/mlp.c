/* mlp.c - the ReLU MLP with softmax cross-entropy (784-200-200-10 by
 * default, GaussianK-SGD's FNN-3): layer table, He-uniform initialisation,
 * minibatch forward/backward and full-data evaluation, with the matrix
 * products in CBLAS (cblas_sgemm, row-major). Layer l maps widths[l] to
 * widths[l+1]: weight (out x in) then bias (out), named fc<l+1>.weight/bias. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"
#include "model_internal.h"

enum { EVAL_ROWS = 256 };

int gtap_mlp_setup(gtap_model *model)
{
    const gtap_model_options *o = &model->options;
    if (o->hidden_count < 0 || o->hidden_count > GTAP_MLP_MAX_HIDDEN)
        return gtap_set_error(GTAP_EINVAL, "mlp: %d hidden layers (0..%d)", o->hidden_count, GTAP_MLP_MAX_HIDDEN);
    if (model->classes < 2) return gtap_set_error(GTAP_EINVAL, "mlp: the data has %d classes", model->classes);
    model->widths[0] = model->features;
    for (int l = 0; l < o->hidden_count; l++) {
        if (o->hidden[l] == 0 || o->hidden[l] > (1u << 20))
            return gtap_set_error(GTAP_EINVAL, "mlp: hidden width %llu (1..2^20)", (unsigned long long)o->hidden[l]);
        model->widths[l + 1] = o->hidden[l];
    }
    model->width_count = o->hidden_count + 2;
    model->widths[model->width_count - 1] = (uint64_t)model->classes;
    for (int l = 0; l + 1 < model->width_count; l++) {
        char name[32];
        uint64_t weights = 0;
        if (gtap_mul_overflow_u64(model->widths[l], model->widths[l + 1], &weights))
            return gtap_set_error(GTAP_EOVERFLOW, "mlp: layer %d too large", l + 1);
        snprintf(name, sizeof name, "fc%d.weight", l + 1);
        int rc = gtap_model_add_layer(model, name, weights);
        if (rc < 0) return rc;
        snprintf(name, sizeof name, "fc%d.bias", l + 1);
        if ((rc = gtap_model_add_layer(model, name, model->widths[l + 1])) < 0) return rc;
    }
    model->scratch_rows = o->max_batch > EVAL_ROWS ? o->max_batch : EVAL_ROWS;
    uint64_t per_row = 0;
    for (int l = 1; l < model->width_count; l++) {
        model->activation_offset[l] = per_row * model->scratch_rows;
        per_row += model->widths[l];
    }
    uint64_t total = 0, inputs = 0;
    if (gtap_mul_overflow_u64(per_row, model->scratch_rows, &total) ||
        gtap_mul_overflow_u64(model->features, model->scratch_rows, &inputs))
        return gtap_set_error(GTAP_EOVERFLOW, "mlp: scratch size overflows");
    model->activations = malloc(total * sizeof(float));
    model->deltas = malloc(total * sizeof(float));
    model->inputs = malloc(inputs * sizeof(float));
    if (!model->activations || !model->deltas || !model->inputs)
        return gtap_set_error(GTAP_ENOMEM, "mlp: out of memory for scratch");
    return GTAP_OK;
}

void gtap_mlp_init_params(const gtap_model *model, uint64_t seed, float *x)
{
    uint64_t state = seed ^ 0x2545f4914f6cdd1dull;
    for (int l = 0; l + 1 < model->width_count; l++) {
        float *weight = x + model->layer_offset[2 * l];
        float *bias = x + model->layer_offset[2 * l + 1];
        double bound = sqrt(6.0 / (double)model->widths[l]); /* He-uniform for ReLU */
        for (uint64_t j = 0; j < model->layer_size[2 * l]; j++)
            weight[j] = (float)((2.0 * gtap_splitmix64_uniform(&state) - 1.0) * bound);
        memset(bias, 0, model->layer_size[2 * l + 1] * sizeof *bias);
    }
}

/* Copy the rows into model->inputs (dense, rows x features). */
static void gather(gtap_model *model, const gtap_dataset_view *v, const uint64_t *rows, uint64_t first, uint64_t count)
{
    const uint64_t d = model->features;
    for (uint64_t r = 0; r < count; r++) {
        uint64_t i = rows ? rows[r] : first + r;
        float *out = model->inputs + r * d;
        if (v->sparse) {
            memset(out, 0, d * sizeof *out);
            for (uint64_t j = v->row_start[i]; j < v->row_start[i + 1]; j++) out[v->columns[j]] = v->values[j];
        } else {
            memcpy(out, v->values + i * d, d * sizeof *out);
        }
    }
}

static float *activation(gtap_model *model, int l) { return l == 0 ? model->inputs : model->activations + model->activation_offset[l]; }

/* Forward pass over `count` gathered rows; the last layer holds softmax
 * probabilities. Adds the cross-entropy and correct predictions. */
static void forward(gtap_model *model, const float *x, const gtap_dataset_view *v, const uint64_t *rows,
                    uint64_t first, uint64_t count, double *loss_sum, uint64_t *correct)
{
    const int last = model->width_count - 1;
    for (int l = 0; l < last; l++) {
        const float *in = activation(model, l), *weight = x + model->layer_offset[2 * l],
                    *bias = x + model->layer_offset[2 * l + 1];
        float *out = activation(model, l + 1);
        const int n_in = (int)model->widths[l], n_out = (int)model->widths[l + 1];
        for (uint64_t r = 0; r < count; r++) memcpy(out + r * (uint64_t)n_out, bias, (size_t)n_out * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)count, n_out, n_in, 1.0f, in, n_in, weight, n_in,
                    1.0f, out, n_out);
        if (l + 1 < last)
            for (uint64_t j = 0; j < count * (uint64_t)n_out; j++) out[j] = out[j] > 0.0f ? out[j] : 0.0f;
    }
    const uint64_t classes = model->widths[last];
    float *logits = activation(model, last);
    for (uint64_t r = 0; r < count; r++) {
        float *z = logits + r * classes;
        uint64_t best = 0;
        for (uint64_t c = 1; c < classes; c++) if (z[c] > z[best]) best = c;
        double max = z[best], sum = 0.0;
        for (uint64_t c = 0; c < classes; c++) sum += exp((double)z[c] - max);
        int32_t label = v->labels[rows ? rows[r] : first + r];
        *loss_sum += log(sum) - ((double)z[label] - max);
        *correct += (best == (uint64_t)label);
        for (uint64_t c = 0; c < classes; c++) z[c] = (float)(exp((double)z[c] - max) / sum);
    }
}

int gtap_mlp_gradient(gtap_model *model, const float *x, const gtap_dataset_view *v, const uint64_t *rows,
                      uint64_t count, float *grad, double *loss)
{
    gather(model, v, rows, 0, count);
    double loss_sum = 0.0;
    uint64_t correct = 0;
    forward(model, x, v, rows, 0, count, &loss_sum, &correct);
    const int last = model->width_count - 1;
    const uint64_t classes = model->widths[last];
    /* delta of the logits: (softmax - onehot) / count */
    float *delta = model->deltas + model->activation_offset[last];
    const float *probabilities = activation(model, last);
    const float scale = 1.0f / (float)count;
    for (uint64_t r = 0; r < count; r++)
        for (uint64_t c = 0; c < classes; c++)
            delta[r * classes + c] = (probabilities[r * classes + c] - (c == (uint64_t)v->labels[rows[r]])) * scale;
    for (int l = last - 1; l >= 0; l--) {
        const int n_in = (int)model->widths[l], n_out = (int)model->widths[l + 1];
        const float *in = activation(model, l);
        float *out_delta = model->deltas + model->activation_offset[l + 1];
        float *weight_grad = grad + model->layer_offset[2 * l], *bias_grad = grad + model->layer_offset[2 * l + 1];
        /* dW = delta^T in (out x in); db = column sums of delta */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n_out, n_in, (int)count, 1.0f, out_delta, n_out, in,
                    n_in, 0.0f, weight_grad, n_in);
        for (int c = 0; c < n_out; c++) {
            float sum = 0.0f;
            for (uint64_t r = 0; r < count; r++) sum += out_delta[r * (uint64_t)n_out + (uint64_t)c];
            bias_grad[c] = sum;
        }
        if (l == 0) break;
        /* delta_in = (delta W) masked by the ReLU of layer l */
        float *in_delta = model->deltas + model->activation_offset[l];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)count, n_in, n_out, 1.0f, out_delta, n_out,
                    x + model->layer_offset[2 * l], n_in, 0.0f, in_delta, n_in);
        for (uint64_t j = 0; j < count * (uint64_t)n_in; j++) in_delta[j] = in[j] > 0.0f ? in_delta[j] : 0.0f;
    }
    if (loss) *loss = loss_sum / (double)count;
    return GTAP_OK;
}

int gtap_mlp_evaluate(gtap_model *model, const float *x, const gtap_dataset_view *v, double *loss, double *accuracy)
{
    double loss_sum = 0.0;
    uint64_t correct = 0;
    for (uint64_t first = 0; first < v->n; first += EVAL_ROWS) {
        uint64_t count = v->n - first < EVAL_ROWS ? v->n - first : EVAL_ROWS;
        gather(model, v, NULL, first, count);
        forward(model, x, v, NULL, first, count, &loss_sum, &correct);
    }
    if (loss) *loss = loss_sum / (double)v->n;
    if (accuracy) *accuracy = (double)correct / (double)v->n;
    return GTAP_OK;
}
