/* summary_rows.c - summary rows on their way into the file (extras.h),
 * writer thread only. A summary is a row of four small datasets plus its
 * step in the summary's commit log; written one by one, each row cost an
 * open of its groups and datasets and an extent change and a write per
 * dataset, for under 1 KiB of data. Here rows are collected
 * in memory per (tensor, kind) and written at the capture's next flush,
 * with the datasets kept open between flushes: one extent change and one
 * write per dataset per flush. The crash-safety order of docs/FORMAT.md is
 * kept: a batch's rows are written first, then its steps are appended to the
 * commit log, which holds them back until the flush has put the rows in
 * the file (commit.h), so a summary is committed by its step like a
 * snapshot and is never visible half-written. */
#include <stdlib.h>
#include <string.h>

#include "extras.h"

enum { SET_MOMENTS, SET_COUNTS, SET_HIST, SET_RATIOS, SET_COUNT };

struct summary_batch {
    hid_t sets[SET_COUNT];   /* open while the writer's file is; H5I_INVALID_HID when closed */
    uint64_t rows;           /* rows in the file (committed or about to be): where the batch goes */
    size_t pending;          /* rows held in memory */
    size_t capacity;
    int64_t *steps;
    double *moments;         /* [capacity][GTAP_SUMMARY_MOMENT_COLUMNS] */
    int64_t *counts;         /* [capacity][GTAP_SUMMARY_COUNT_COLUMNS] */
    int64_t *hist;           /* [capacity][GTAP_SUMMARY_HIST_BINS] */
    double *ratios;          /* [capacity][density count] */
};

static const char *const set_names[SET_COUNT] = {EXTRAS_MOMENTS, EXTRAS_COUNTS, EXTRAS_HIST, EXTRAS_RATIOS};

uint64_t extras_summary_row_bytes(const gtap_capture *capture)
{
    return 8u * (1u + GTAP_SUMMARY_MOMENT_COLUMNS + GTAP_SUMMARY_COUNT_COLUMNS + GTAP_SUMMARY_HIST_BINS +
                 capture->density_count);
}

static summary_batch *new_batch(void)
{
    summary_batch *batch = calloc(1, sizeof *batch);
    if (batch != NULL)
        for (int s = 0; s < SET_COUNT; s++) batch->sets[s] = H5I_INVALID_HID;
    return batch;
}

static void close_sets(summary_batch *batch)
{
    for (int s = 0; s < SET_COUNT; s++) {
        if (batch->sets[s] >= 0) H5Dclose(batch->sets[s]);
        batch->sets[s] = H5I_INVALID_HID;
    }
}

void extras_free_summary_batch(summary_batch *batch)
{
    if (batch == NULL) return;
    close_sets(batch);
    free(batch->steps);
    free(batch->moments);
    free(batch->counts);
    free(batch->hist);
    free(batch->ratios);
    free(batch);
}

static int grow(summary_batch *batch, size_t densities)
{
    size_t capacity = batch->capacity ? 2 * batch->capacity : 16;
    int64_t *steps = realloc(batch->steps, capacity * sizeof *steps);
    if (steps) batch->steps = steps;
    double *moments = realloc(batch->moments, capacity * GTAP_SUMMARY_MOMENT_COLUMNS * sizeof *moments);
    if (moments) batch->moments = moments;
    int64_t *counts = realloc(batch->counts, capacity * GTAP_SUMMARY_COUNT_COLUMNS * sizeof *counts);
    if (counts) batch->counts = counts;
    int64_t *hist = realloc(batch->hist, capacity * GTAP_SUMMARY_HIST_BINS * sizeof *hist);
    if (hist) batch->hist = hist;
    double *ratios = realloc(batch->ratios, capacity * (densities ? densities : 1) * sizeof *ratios);
    if (ratios) batch->ratios = ratios;
    if (!steps || !moments || !counts || !hist || !ratios) return gtap_set_error(GTAP_ENOMEM, "out of memory");
    batch->capacity = capacity;
    return GTAP_OK;
}

int extras_append_summary(gtap_capture *capture, capture_tensor *tensor, gtap_kind kind, const gtap_summary *summary)
{
    summary_batch *batch = tensor->summary_batch[kind];
    if (batch == NULL && (batch = tensor->summary_batch[kind] = new_batch()) == NULL)
        return gtap_set_error(GTAP_ENOMEM, "%s: summary of '%s': out of memory", capture->path, tensor->name);
    if (batch->pending == batch->capacity && grow(batch, capture->density_count) < 0)
        return gtap_set_error(GTAP_ENOMEM, "%s: summary of '%s': out of memory", capture->path, tensor->name);
    size_t row = batch->pending++;
    batch->steps[row] = summary->step;
    memcpy(batch->moments + row * GTAP_SUMMARY_MOMENT_COLUMNS, summary->moments, sizeof summary->moments);
    for (int i = 0; i < GTAP_SUMMARY_COUNT_COLUMNS; i++)
        batch->counts[row * GTAP_SUMMARY_COUNT_COLUMNS + i] = (int64_t)summary->counts[i];
    for (int i = 0; i < GTAP_SUMMARY_HIST_BINS; i++)
        batch->hist[row * GTAP_SUMMARY_HIST_BINS + i] = (int64_t)summary->hist[i];
    if (capture->density_count > 0)
        memcpy(batch->ratios + row * capture->density_count, summary->ratios,
               capture->density_count * sizeof *summary->ratios);
    return GTAP_OK;
}

/* Open the summary datasets of (tensor, kind); the next row goes after the
 * rows the commit log holds (rows a crashed writer left uncommitted are
 * overwritten, as the snapshot writer does). */
static int open_sets(gtap_capture *capture, const capture_tensor *tensor, gtap_kind kind, summary_batch *batch)
{
    hid_t group = extras_open_kind_group((hid_t)capture->file_id, tensor->name, kind);
    hid_t summary = group >= 0 ? H5Gopen2(group, EXTRAS_SUMMARY, H5P_DEFAULT) : H5I_INVALID_HID;
    if (group >= 0) H5Gclose(group);
    if (summary < 0) return gtap_h5_error(GTAP_EFORMAT, "no summary group");
    int sets = capture->density_count > 0 ? SET_COUNT : SET_RATIOS;
    int rc = GTAP_OK;
    for (int s = 0; s < sets && rc == GTAP_OK; s++) {
        batch->sets[s] = H5Dopen2(summary, set_names[s], H5P_DEFAULT);
        if (batch->sets[s] < 0) rc = gtap_h5_error(GTAP_EFORMAT, "missing dataset '%s'", set_names[s]);
    }
    H5Gclose(summary);
    if (rc < 0) close_sets(batch);
    else batch->rows = gtap_writer_log_count(capture->writer, tensor->summary_log[kind]);
    return rc;
}

/* Write a batch's rows, then hand its steps to the commit log. */
static int write_batch(gtap_capture *capture, const capture_tensor *tensor, gtap_kind kind, summary_batch *batch)
{
    int rc = batch->sets[SET_MOMENTS] >= 0 ? GTAP_OK : open_sets(capture, tensor, kind, batch);
    if (rc < 0) return rc;
    const hsize_t columns[SET_COUNT] = {GTAP_SUMMARY_MOMENT_COLUMNS, GTAP_SUMMARY_COUNT_COLUMNS,
                                        GTAP_SUMMARY_HIST_BINS, capture->density_count};
    const hid_t types[SET_COUNT] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_INT64, H5T_NATIVE_INT64, H5T_NATIVE_DOUBLE};
    const void *rows[SET_COUNT] = {batch->moments, batch->counts, batch->hist, batch->ratios};
    for (int s = 0; s < SET_COUNT; s++) {
        if (s == SET_RATIOS && capture->density_count == 0) break;
        if (gtap_h5_write_rows(batch->sets[s], batch->rows, batch->pending, columns[s], types[s], rows[s]) < 0)
            return gtap_h5_error(GTAP_EIO, "cannot append to dataset '%s'", set_names[s]);
    }
    for (size_t i = 0; i < batch->pending; i++)
        if ((rc = gtap_writer_log_append(capture->writer, tensor->summary_log[kind], batch->steps[i])) < 0) return rc;
    batch->rows += batch->pending;
    batch->pending = 0;
    return GTAP_OK;
}

/* The tensor rows are kept for: index t of the table, then the model
 * tensor of whole-model summaries (NULL past the end). */
static capture_tensor *file_tensor(gtap_capture *capture, size_t t)
{
    if (t < capture->tensors_in_file) {
        pthread_mutex_lock(&capture->lock); /* the table may be growing */
        capture_tensor *tensor = capture->tensors[t];
        pthread_mutex_unlock(&capture->lock);
        return tensor;
    }
    return t == capture->tensors_in_file && capture->model && capture->model->in_file ? capture->model : NULL;
}

int extras_write_summaries(gtap_capture *capture)
{
    capture_tensor *tensor;
    for (size_t t = 0; (tensor = file_tensor(capture, t)) != NULL; t++) {
        for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
            summary_batch *batch = tensor->summary_batch[kind];
            if (batch == NULL || batch->pending == 0) continue;
            int rc = write_batch(capture, tensor, (gtap_kind)kind, batch);
            if (rc < 0) {
                char message[1024];
                snprintf(message, sizeof message, "%s", gtap_last_error());
                return gtap_set_error(rc, "%s: summaries of '%s' (%s) from step %lld: %s", capture->path,
                                      tensor->name, gtap_kind_name((gtap_kind)kind), (long long)batch->steps[0],
                                      message);
            }
        }
    }
    return GTAP_OK;
}

void extras_close_summaries(gtap_capture *capture)
{
    capture_tensor *tensor;
    for (size_t t = 0; (tensor = file_tensor(capture, t)) != NULL; t++)
        for (int kind = 0; kind < GTAP_KIND_COUNT; kind++)
            if (tensor->summary_batch[kind] != NULL) close_sets(tensor->summary_batch[kind]);
}
