/* model_summary.c - whole-model summaries (gtap_capture_options.
 * global_summary), writer thread only: the records of a summary step of one
 * kind are concatenated as float32 and, once the step is over (a record of
 * a later step of that kind arrives, or the capture closes), summarised as
 * one vector with the same engine as every tensor (summary_engine.h) and
 * stored as the summaries of the tensor GTAP_CAPTURE_MODEL_TENSOR, which has
 * no snapshots. r_k of a concatenation does not depend on the order of its
 * parts (docs/THEORY.md s.3), so it equals what `gradtap bounds --global`
 * computes from snapshots of the same step. */
#include <stdlib.h>
#include <string.h>

#include "capture_internal.h"
#include "extras.h"
#include "gradtap/dtype.h"

/* Declare the model tensor in the file (before SWMR mode, like every
 * tensor; called with the first record): its numel is that of the tensors
 * declared so far. No-op once declared or without global_summary. */
int model_summary_declare(gtap_capture *capture)
{
    if (!capture->global_summary || (capture->model && capture->model->in_file)) return GTAP_OK;
    if (capture->model == NULL) {
        capture_tensor *model = calloc(1, sizeof *model);
        if (model == NULL || (model->name = strdup(GTAP_CAPTURE_MODEL_TENSOR)) == NULL) {
            free(model);
            return gtap_set_error(GTAP_ENOMEM, "%s: whole-model summary: out of memory", capture->path);
        }
        model->dtype = GTAP_FLOAT32;
        capture->model = model;
    }
    capture_tensor *model = capture->model;
    model->numel = 0;
    for (size_t i = 0; i < capture->tensors_in_file; i++) {
        pthread_mutex_lock(&capture->lock);
        model->numel += capture->tensors[i]->numel;
        pthread_mutex_unlock(&capture->lock);
    }
    model->bytes = model->numel * sizeof(float);
    int rc = gtap_writer_add_tensor(capture->writer, model->name, model->numel ? model->numel : 1, GTAP_FLOAT32);
    for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++)
        if (capture->kinds & GTAP_KIND_BIT(kind)) rc = gtap_writer_prepare(capture->writer, model->name, (gtap_kind)kind);
    if (rc == GTAP_OK) rc = extras_prepare_tensor(capture, model);
    if (rc == GTAP_OK) model->in_file = 1;
    return rc;
}

/* Summarise the gathered step of `kind` and keep its row. */
static int finish_step(gtap_capture *capture, gtap_kind kind)
{
    model_accumulator *acc = &capture->model_acc[kind];
    if (acc->count == 0) return GTAP_OK;
    if (capture->model == NULL || !capture->model->in_file)
        return gtap_set_error(GTAP_EINTERNAL, "%s: whole-model summary before its tensor was declared", capture->path);
    gtap_summary summary;
    int rc = summary_engine_compute(&capture->summaries, GTAP_FLOAT32, acc->values, acc->count, capture->densities,
                                    capture->density_count, &summary);
    acc->count = 0;
    if (rc < 0) return rc;
    summary.step = acc->step;
    rc = extras_append_summary(capture, capture->model, kind, &summary);
    if (rc == GTAP_OK) {
        capture->bytes_since_flush += extras_summary_row_bytes(capture);
        pthread_mutex_lock(&capture->lock);
        capture->stats.summaries_written++;
        pthread_mutex_unlock(&capture->lock);
    }
    return rc;
}

int model_summary_add(gtap_capture *capture, const capture_tensor *tensor, gtap_kind kind, int64_t step,
                      const void *data)
{
    model_accumulator *acc = &capture->model_acc[kind];
    int rc = GTAP_OK;
    if (acc->count > 0 && acc->step != step && (rc = finish_step(capture, kind)) < 0) return rc;
    acc->step = step;
    if (acc->count + tensor->numel > acc->capacity) {
        uint64_t capacity = acc->capacity ? acc->capacity : 1024;
        while (capacity < acc->count + tensor->numel) capacity *= 2;
        float *grown = realloc(acc->values, (size_t)capacity * sizeof *grown);
        if (grown == NULL)
            return gtap_set_error(GTAP_ENOMEM, "%s: whole-model summary of step %lld: out of memory for %llu values",
                                  capture->path, (long long)step, (unsigned long long)capacity);
        acc->values = grown;
        acc->capacity = capacity;
    }
    rc = gtap_to_float32(tensor->dtype, data, acc->values + acc->count, (size_t)tensor->numel);
    if (rc == GTAP_OK) acc->count += tensor->numel;
    return rc;
}

int model_summary_finish(gtap_capture *capture)
{
    int rc = GTAP_OK;
    for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++) rc = finish_step(capture, (gtap_kind)kind);
    return rc;
}

void model_summary_free(gtap_capture *capture)
{
    for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
        free(capture->model_acc[kind].values);
        memset(&capture->model_acc[kind], 0, sizeof capture->model_acc[kind]);
    }
    capture_tensor *model = capture->model;
    if (model == NULL) return;
    for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) extras_free_summary_batch(model->summary_batch[kind]);
    free(model->name);
    free(model);
    capture->model = NULL;
}
