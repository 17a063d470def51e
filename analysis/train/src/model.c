/* model.c - gtap_model: options, creation (layer table), accessors and the
 * dispatch to logistic regression (logreg.c) or the MLP (mlp.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/abi.h"
#include "dataset_internal.h"
#include "model_internal.h"

void gtap_model_options_init(gtap_model_options *options, gtap_model_kind kind)
{
    if (options == NULL) return;
    memset(options, 0, sizeof *options);
    options->struct_size = sizeof *options;
    options->struct_version = GTAP_MODEL_OPTIONS_VERSION;
    options->kind = kind;
    options->lambda = -1.0;
    options->hidden_count = 2;
    options->hidden[0] = 200;
    options->hidden[1] = 200;
    options->max_batch = 256;
}

int gtap_model_add_layer(gtap_model *model, const char *name, uint64_t size)
{
    size_t i = model->layer_count++;
    snprintf(model->layer_names[i], sizeof model->layer_names[i], "%s", name);
    model->layer_offset[i] = model->dim;
    model->layer_size[i] = size;
    if (model->dim > UINT64_MAX - size) return gtap_set_error(GTAP_EOVERFLOW, "model: parameter count overflows");
    model->dim += size;
    return GTAP_OK;
}

int gtap_model_create(const gtap_model_options *options, const gtap_dataset *train, gtap_model **out)
{
    if (out == NULL || options == NULL || train == NULL) return gtap_set_error(GTAP_EINVAL, "model: NULL argument");
    *out = NULL;
    int check = gtap_struct_check("model options", "gtap_model_options_init",
                                  options->struct_size, options->struct_version, sizeof *options, GTAP_MODEL_OPTIONS_VERSION);
    if (check < 0) return check;
    if (options->max_batch == 0) return gtap_set_error(GTAP_EINVAL, "model: max_batch = 0");
    gtap_model *model = calloc(1, sizeof *model);
    if (model == NULL) return gtap_set_error(GTAP_ENOMEM, "model: out of memory");
    model->options = *options;
    model->features = train->d;
    model->classes = train->classes;
    int rc = GTAP_OK;
    if (options->kind == GTAP_MODEL_LOGREG) {
        if (train->classes != 2)
            rc = gtap_set_error(GTAP_EINVAL, "logistic regression needs binary labels; the data has %d classes",
                                train->classes);
        model->lambda = options->lambda < 0.0 ? 1.0 / (double)train->n : options->lambda;
        if (rc == GTAP_OK && !isfinite(model->lambda))
            rc = gtap_set_error(GTAP_EINVAL, "logistic regression: lambda=%g is not finite", model->lambda);
        if (rc == GTAP_OK) rc = gtap_model_add_layer(model, "weight", train->d);
    } else if (options->kind == GTAP_MODEL_MLP) {
        rc = gtap_mlp_setup(model);
    } else {
        rc = gtap_set_error(GTAP_EINVAL, "model: unknown kind %d", (int)options->kind);
    }
    if (rc < 0) {
        gtap_model_free(model);
        return rc;
    }
    *out = model;
    return GTAP_OK;
}

void gtap_model_free(gtap_model *model)
{
    if (model == NULL) return;
    free(model->inputs);
    free(model->activations);
    free(model->deltas);
    free(model);
}

uint64_t gtap_model_dim(const gtap_model *model) { return model ? model->dim : 0; }
gtap_model_kind gtap_model_get_kind(const gtap_model *model) { return model ? model->options.kind : GTAP_MODEL_LOGREG; }
double gtap_model_lambda(const gtap_model *model) { return model && model->options.kind == GTAP_MODEL_LOGREG ? model->lambda : 0.0; }
size_t gtap_model_layer_count(const gtap_model *model) { return model ? model->layer_count : 0; }

int gtap_model_layer(const gtap_model *model, size_t i, const char **name, uint64_t *offset, uint64_t *size)
{
    if (model == NULL || i >= model->layer_count)
        return gtap_set_error(GTAP_EINVAL, "model: no layer %zu", i);
    if (name) *name = model->layer_names[i];
    if (offset) *offset = model->layer_offset[i];
    if (size) *size = model->layer_size[i];
    return GTAP_OK;
}

int gtap_model_init_params(const gtap_model *model, uint64_t seed, float *x)
{
    if (model == NULL || x == NULL) return gtap_set_error(GTAP_EINVAL, "model init: NULL argument");
    if (model->options.kind == GTAP_MODEL_LOGREG) memset(x, 0, model->dim * sizeof *x);
    else gtap_mlp_init_params(model, seed, x);
    return GTAP_OK;
}

static int check_data(const gtap_model *model, const gtap_dataset *data, const char *what)
{
    if (model == NULL || data == NULL) return gtap_set_error(GTAP_EINVAL, "%s: NULL argument", what);
    if (data->d != model->features)
        return gtap_set_error(GTAP_EINVAL, "%s: data has d=%llu features, the model %llu", what,
                              (unsigned long long)data->d, (unsigned long long)model->features);
    if (data->classes > model->classes)
        return gtap_set_error(GTAP_EINVAL, "%s: data has %d classes, the model %d", what, data->classes, model->classes);
    return GTAP_OK;
}

int gtap_model_gradient(gtap_model *model, const float *x, const gtap_dataset *data, const uint64_t *rows,
                        uint64_t count, float *grad, double *loss)
{
    int rc = check_data(model, data, "gradient");
    if (rc < 0) return rc;
    if (x == NULL || rows == NULL || grad == NULL) return gtap_set_error(GTAP_EINVAL, "gradient: NULL argument");
    if (count == 0 || count > model->options.max_batch)
        return gtap_set_error(GTAP_EINVAL, "gradient: batch of %llu (1..%llu)", (unsigned long long)count,
                              (unsigned long long)model->options.max_batch);
    for (uint64_t i = 0; i < count; i++)
        if (rows[i] >= data->n)
            return gtap_set_error(GTAP_EINVAL, "gradient: row %llu of %llu", (unsigned long long)rows[i],
                                  (unsigned long long)data->n);
    gtap_dataset_view v = gtap_dataset_get_view(data);
    rc = model->options.kind == GTAP_MODEL_LOGREG ? gtap_logreg_gradient(model, x, &v, rows, count, grad, loss)
                                                  : gtap_mlp_gradient(model, x, &v, rows, count, grad, loss);
    if (rc < 0) return rc;
    for (uint64_t j = 0; j < model->dim; j++)
        if (!isfinite(grad[j]))
            return gtap_set_error(GTAP_ENONFINITE, "gradient: coordinate %llu is %g (the model diverged)",
                                  (unsigned long long)j, (double)grad[j]);
    return GTAP_OK;
}

int gtap_model_evaluate(gtap_model *model, const float *x, const gtap_dataset *data, double *loss, double *accuracy)
{
    int rc = check_data(model, data, "evaluate");
    if (rc < 0) return rc;
    if (x == NULL) return gtap_set_error(GTAP_EINVAL, "evaluate: NULL parameters");
    gtap_dataset_view v = gtap_dataset_get_view(data);
    return model->options.kind == GTAP_MODEL_LOGREG ? gtap_logreg_evaluate(model, x, &v, loss, accuracy)
                                                    : gtap_mlp_evaluate(model, x, &v, loss, accuracy);
}
