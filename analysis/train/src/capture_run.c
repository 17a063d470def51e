/* capture_run.c - `--capture FILE --every N` of the trainer: per worker one
 * snapshot file (rank suffix when P > 1, gtap_train_capture_path) holding,
 * per model layer, grad (g_t), residual (the memory before the step: m_t in
 * Stich form, r_t in Shi form) and acc (what the compressor sees: m_t +
 * eta_t g_t, or g_t + r_t), so `gradtap bounds` and `fit` can read it. */
#include <stdio.h>
#include <stdlib.h>

#include "train_internal.h"

int gtap_capture_run_open(gtap_capture_run *cap, const gtap_train_options *options, const gtap_model *model,
                          int rank, int world_size)
{
    cap->writer = NULL;
    cap->acc = malloc(gtap_model_dim(model) * sizeof(float));
    if (cap->acc == NULL) return gtap_set_error(GTAP_ENOMEM, "capture: out of memory");
    char path[4096];
    int rc = gtap_train_capture_path(options->capture_path, rank, world_size, path, sizeof path);
    if (rc < 0) return rc;
    gtap_writer_options wo;
    gtap_writer_options_init(&wo);
    wo.rank = rank;
    wo.world_size = world_size;
    wo.truncate = 1;
    char run_id[64];
    snprintf(run_id, sizeof run_id, "converge-seed%llu", (unsigned long long)options->seed);
    wo.run_id = run_id;
    if ((rc = gtap_writer_create(path, &wo, &cap->writer)) < 0) return rc;
    char text[64];
    gtap_writer_set_meta(cap->writer, "trainer", "gradtap converge");
    if (options->run_label) gtap_writer_set_meta(cap->writer, "method", options->run_label);
    gtap_writer_set_meta(cap->writer, "form", gtap_ef_form_name(options->form));
    gtap_writer_set_meta(cap->writer, "compressor", gtap_sparsifier_kind_name(options->compressor.kind));
    snprintf(text, sizeof text, "%g", options->density);
    gtap_writer_set_meta(cap->writer, "density", text);
    for (size_t i = 0; i < gtap_model_layer_count(model); i++) {
        const char *name = NULL;
        uint64_t size = 0;
        gtap_model_layer(model, i, &name, NULL, &size);
        if ((rc = gtap_writer_add_tensor(cap->writer, name, size, GTAP_FLOAT32)) < 0) return rc;
    }
    return GTAP_OK;
}

int gtap_capture_run_write(gtap_capture_run *cap, const gtap_model *model, int64_t step, const float *grad,
                           const float *memory, float eta, gtap_ef_form form)
{
    const uint64_t d = gtap_model_dim(model);
    for (uint64_t j = 0; j < d; j++)
        cap->acc[j] = form == GTAP_EF_STICH ? memory[j] + eta * grad[j] : grad[j] + memory[j];
    for (size_t i = 0; i < gtap_model_layer_count(model); i++) {
        const char *name = NULL;
        uint64_t offset = 0;
        gtap_model_layer(model, i, &name, &offset, NULL);
        int rc = gtap_writer_write(cap->writer, name, GTAP_KIND_GRAD, step, grad + offset);
        if (rc == GTAP_OK) rc = gtap_writer_write(cap->writer, name, GTAP_KIND_RESIDUAL, step, memory + offset);
        if (rc == GTAP_OK) rc = gtap_writer_write(cap->writer, name, GTAP_KIND_ACC, step, cap->acc + offset);
        if (rc < 0) return rc;
    }
    return GTAP_OK;
}

int gtap_capture_run_close(gtap_capture_run *cap)
{
    int rc = gtap_writer_close(cap->writer);
    cap->writer = NULL;
    free(cap->acc);
    cap->acc = NULL;
    return rc;
}
