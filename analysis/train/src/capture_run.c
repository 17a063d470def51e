/* capture_run.c - `--capture FILE --every N` of the trainer: per worker one
 * snapshot file written through the capture library (gradtap/capture.h),
 * the rank's file named by gtap_capture_rank_path when P > 1 (FILE itself
 * when P is 1), holding, per model layer, grad (g_t), residual (the memory
 * before the step: m_t in Stich form, r_t in Shi form) and acc (what the
 * compressor sees: m_t + eta_t g_t, or g_t + r_t), so `gradtap bounds` and
 * `fit` can read it. The trainer picks the steps (every N) and the capture
 * records every step handed to it, with the block policy (no snapshot is
 * dropped). The capture copies host data before gtap_capture_record returns,
 * so the grad, memory and acc buffers may change right after a write. The
 * capture API has no user metadata: the method (run_label) and seed go
 * into the run id, converge-METHOD-seedS (converge-seedS without a label),
 * next to the rank and world size of the snapshot format. */
#include <stdio.h>
#include <stdlib.h>

#include "train_internal.h"

/* The status behind a failed capture call, with the capture's message. */
static int capture_failure(const gtap_capture_run *cap, int rc)
{
    if (rc != GTAP_EDISABLED || cap->capture == NULL) return rc;
    int status = gtap_capture_status(cap->capture);
    if (status >= 0) return rc;
    return gtap_set_error(status, "capture %s: %s", gtap_capture_path(cap->capture), gtap_capture_error(cap->capture));
}

int gtap_capture_run_open(gtap_capture_run *cap, const gtap_train_options *options, const gtap_model *model,
                          int rank, int world_size)
{
    const size_t layers = gtap_model_layer_count(model);
    cap->capture = NULL;
    cap->acc = malloc(gtap_model_dim(model) * sizeof(float));
    cap->ids = malloc((layers ? layers : 1) * sizeof *cap->ids);
    if (cap->acc == NULL || cap->ids == NULL) return gtap_set_error(GTAP_ENOMEM, "capture: out of memory");
    gtap_capture_options co;
    gtap_capture_options_init(&co);
    co.every = 1; /* the trainer calls write only at its capture steps */
    co.kinds = GTAP_KIND_BIT(GTAP_KIND_GRAD) | GTAP_KIND_BIT(GTAP_KIND_RESIDUAL) | GTAP_KIND_BIT(GTAP_KIND_ACC);
    co.summary_every = 0;
    co.policy = GTAP_CAPTURE_BLOCK;
    co.rank = rank;
    co.world_size = world_size;
    co.per_rank_files = world_size > 1;
    co.truncate = 1;
    char run_id[200]; /* the capture keeps 255 bytes */
    snprintf(run_id, sizeof run_id, "converge-%.150s%sseed%llu", options->run_label ? options->run_label : "",
             options->run_label ? "-" : "", (unsigned long long)options->seed);
    co.run_id = run_id;
    int rc = gtap_capture_open(options->capture_path, &co, &cap->capture);
    if (rc < 0) {
        cap->capture = NULL;
        return rc;
    }
    for (size_t i = 0; i < layers; i++) {
        const char *name = NULL;
        uint64_t size = 0;
        gtap_model_layer(model, i, &name, NULL, &size);
        if ((rc = gtap_capture_register(cap->capture, name, size, GTAP_FLOAT32, &cap->ids[i])) < 0)
            return capture_failure(cap, rc);
    }
    return GTAP_OK;
}

int gtap_capture_run_write(gtap_capture_run *cap, const gtap_model *model, int64_t step, const float *grad,
                           const float *memory, float eta, gtap_ef_form form)
{
    const uint64_t d = gtap_model_dim(model);
    /* acc is overwritten only here: every record of the previous write has
     * returned, so the capture has copied it into its staging memory */
    for (uint64_t j = 0; j < d; j++)
        cap->acc[j] = form == GTAP_EF_STICH ? memory[j] + eta * grad[j] : grad[j] + memory[j];
    for (size_t i = 0; i < gtap_model_layer_count(model); i++) {
        uint64_t offset = 0;
        gtap_model_layer(model, i, NULL, &offset, NULL);
        const int id = cap->ids[i];
        int rc = gtap_capture_record(cap->capture, id, GTAP_KIND_GRAD, step, grad + offset);
        if (rc == GTAP_OK) rc = gtap_capture_record(cap->capture, id, GTAP_KIND_RESIDUAL, step, memory + offset);
        if (rc == GTAP_OK) rc = gtap_capture_record(cap->capture, id, GTAP_KIND_ACC, step, cap->acc + offset);
        if (rc < 0) return capture_failure(cap, rc);
    }
    return GTAP_OK;
}

int gtap_capture_run_close(gtap_capture_run *cap)
{
    int rc = GTAP_OK;
    if (cap->capture != NULL) {
        rc = gtap_capture_flush(cap->capture);
        if (rc < 0) rc = capture_failure(cap, rc);
        int closed = gtap_capture_close(cap->capture, NULL);
        if (rc == GTAP_OK) rc = closed;
    }
    cap->capture = NULL;
    free(cap->acc);
    free(cap->ids);
    cap->acc = NULL;
    cap->ids = NULL;
    return rc;
}
