/* capture.c - the training-thread side of gradtap/capture.h: open and
 * close, tensor registration, handing over host and device data (copy into
 * staging, enqueue for the writer thread), the block/skip policy, flush,
 * statistics, and turning the capture off after an error. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture_internal.h"

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/* The capture's status without the lock: an acquire load, so a caller that
 * sees an error may read capture->error (written before the status). */
static int load_status(const gtap_capture *capture)
{
    return atomic_load_explicit(&((gtap_capture *)capture)->status, memory_order_acquire);
}

void capture_disable_locked(gtap_capture *capture, int status, const char *message)
{
    if (atomic_load_explicit(&capture->status, memory_order_relaxed) != GTAP_OK) return;
    int code = status < 0 ? status : GTAP_EINTERNAL;
    /* the message first, then the status: lock-free readers that see the
     * status (acquire) see the whole message */
    snprintf(capture->error, sizeof capture->error, "%s", message && *message ? message : gtap_strerror(status));
    atomic_store_explicit(&capture->status, code, memory_order_release);
    /* snapshots written since the last flush will never be committed: they
     * are not in the file, so they count as lost, not written */
    capture->stats.snapshots_written -= capture->snapshots_unflushed;
    capture->stats.snapshots_lost += capture->snapshots_unflushed;
    capture->snapshots_unflushed = 0;
    if (!capture->quiet)
        fprintf(stderr, "gradtap capture: turned off (%s): %s; training continues without capture\n",
                gtap_strerror(code), capture->error);
    pthread_cond_broadcast(&capture->progress);
    pthread_cond_broadcast(&capture->work);
}

static void free_tensor(capture_tensor *tensor)
{
    if (tensor == NULL) return;
    free(tensor->name);
    for (size_t i = 0; i < tensor->layout_count; i++) free((char *)tensor->layout[i].name);
    free(tensor->layout);
    for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) extras_free_summary_batch(tensor->summary_batch[kind]);
    free(tensor);
}

static void free_capture(gtap_capture *capture)
{
    for (size_t i = 0; i < capture->tensor_count; i++) free_tensor(capture->tensors[i]);
    free(capture->tensors);
    device_summary_free(capture); /* before the staging its copies land in */
    staging_destroy(&capture->staging);
    free(capture->step_list);
    model_summary_free(capture);
    summary_engine_free(&capture->summaries);
    free(capture->path);
    pthread_mutex_destroy(&capture->lock);
    pthread_cond_destroy(&capture->work);
    pthread_cond_destroy(&capture->progress);
    free(capture);
}

/* Queue an op for the writer thread (lock held). */
static void enqueue_locked(gtap_capture *capture, capture_op *op)
{
    op->next = NULL;
    op->sequence = ++capture->next_sequence;
    if (capture->tail) capture->tail->next = op;
    else capture->head = op;
    capture->tail = op;
    if (op->type == OP_RECORD || op->type == OP_SKIPPED) {
        if (op->step > capture->max_step_handed) capture->max_step_handed = op->step;
        if (op->step < capture->min_step_since_flush) capture->min_step_since_flush = op->step;
    }
    pthread_cond_signal(&capture->work);
}

static capture_op *new_op(capture_op_type type)
{
    capture_op *op = calloc(1, sizeof *op);
    if (op) op->type = type;
    return op;
}

int gtap_capture_open(const char *path, const gtap_capture_options *options, gtap_capture **out)
{
    if (out == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_capture_open: NULL output");
    *out = NULL;
    if (path == NULL || path[0] == '\0') return gtap_set_error(GTAP_EINVAL, "gtap_capture_open: empty path");
    gtap_capture_options defaults;
    gtap_capture_options_init(&defaults);
    if (options == NULL) options = &defaults;

    gtap_capture *capture = calloc(1, sizeof *capture);
    if (capture == NULL) return gtap_set_error(GTAP_ENOMEM, "capture: out of memory");
    pthread_mutex_init(&capture->lock, NULL);
    pthread_cond_init(&capture->work, NULL);
    pthread_cond_init(&capture->progress, NULL);
    capture->max_step_handed = -1;
    capture->min_step_since_flush = INT64_MAX;
    capture->stats.flushed_step = -1;
    int rc = capture_copy_options(capture, path, options);
    if (rc < 0) {
        free_capture(capture);
        return rc;
    }
    staging_init(&capture->staging, options->staging_bytes);
    if (pthread_create(&capture->thread, NULL, capture_writer_main, capture) != 0) {
        free_capture(capture);
        return gtap_set_error(GTAP_ENOMEM, "capture: cannot start the writer thread");
    }
    capture->thread_started = 1;
    pthread_mutex_lock(&capture->lock);
    while (!capture->open_done) pthread_cond_wait(&capture->progress, &capture->lock);
    rc = capture->open_status;
    pthread_mutex_unlock(&capture->lock);
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof message, "%s", capture->error);
        pthread_join(capture->thread, NULL);
        free_capture(capture);
        return gtap_set_error(rc, "%s", message);
    }
    *out = capture;
    return GTAP_OK;
}

const char *gtap_capture_path(const gtap_capture *capture)
{
    return capture ? capture->path : "";
}

int gtap_capture_rank(const gtap_capture *capture)
{
    return capture ? capture->rank : -1;
}

int gtap_capture_world_size(const gtap_capture *capture)
{
    return capture ? capture->world_size : -1;
}

static int find_tensor_locked(const gtap_capture *capture, const char *name)
{
    for (size_t i = 0; i < capture->tensor_count; i++)
        if (strcmp(capture->tensors[i]->name, name) == 0) return (int)i;
    return -1;
}

static int check_tensor_args(const gtap_capture *capture, const char *name, uint64_t numel, gtap_dtype dtype,
                             uint64_t *bytes)
{
    if (capture == NULL || name == NULL) return gtap_set_error(GTAP_EINVAL, "capture register: NULL argument");
    size_t length = strlen(name);
    if (length == 0 || length > 4095)
        return gtap_set_error(GTAP_EINVAL, "capture register: tensor name must be 1..4095 bytes (got %zu)", length);
    size_t element = gtap_dtype_size(dtype);
    if (element == 0) return gtap_set_error(GTAP_EDTYPE, "capture register '%s': unsupported dtype %d", name, (int)dtype);
    if (numel > UINT64_MAX / 8 / element)
        return gtap_set_error(GTAP_EOVERFLOW, "capture register '%s': numel %" PRIu64 " is too large", name, numel);
    *bytes = numel * element;
    if (*bytes > capture->staging.budget)
        return gtap_set_error(GTAP_EINVAL,
                              "capture register '%s': %" PRIu64 " bytes exceed the staging budget of %" PRIu64
                              " bytes (raise staging_bytes)", name, *bytes, capture->staging.budget);
    return GTAP_OK;
}

static int register_locked(gtap_capture *capture, const char *name, uint64_t numel, gtap_dtype dtype,
                           uint64_t bytes, gtap_flat_entry *layout, size_t layout_count, int *tensor_id)
{
    if (capture->status != GTAP_OK)
        return gtap_set_error(GTAP_EDISABLED, "capture is off: %s", capture->error);
    int existing = find_tensor_locked(capture, name);
    if (existing >= 0) {
        capture_tensor *tensor = capture->tensors[existing];
        if (tensor->numel != numel || tensor->dtype != dtype)
            return gtap_set_error(GTAP_EEXIST, "capture register '%s': already registered with numel %" PRIu64
                                  " and dtype %s", name, tensor->numel, gtap_dtype_name(tensor->dtype));
        *tensor_id = existing;
        return 1; /* caller frees the layout it passed */
    }
    if (capture->tensor_count == capture->tensor_capacity) {
        size_t capacity = capture->tensor_capacity ? capture->tensor_capacity * 2 : 32;
        capture_tensor **grown = realloc(capture->tensors, capacity * sizeof *grown);
        if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "capture register '%s': out of memory", name);
        capture->tensors = grown;
        capture->tensor_capacity = capacity;
    }
    capture_op *op = new_op(OP_REGISTER);
    capture_tensor *tensor = calloc(1, sizeof *tensor);
    size_t length = strlen(name) + 1;
    if (tensor) tensor->name = malloc(length);
    if (op == NULL || tensor == NULL || tensor->name == NULL) {
        free(op);
        if (tensor) free(tensor->name);
        free(tensor);
        return gtap_set_error(GTAP_ENOMEM, "capture register '%s': out of memory", name);
    }
    memcpy(tensor->name, name, length);
    tensor->numel = numel;
    tensor->dtype = dtype;
    tensor->bytes = bytes;
    tensor->layout = layout;
    tensor->layout_count = layout_count;
    for (int k = 0; k < GTAP_KIND_COUNT; k++) tensor->last_step[k] = -1;
    *tensor_id = (int)capture->tensor_count;
    op->tensor = *tensor_id;
    capture->tensors[capture->tensor_count++] = tensor;
    enqueue_locked(capture, op);
    return GTAP_OK;
}

int gtap_capture_register(gtap_capture *capture, const char *name, uint64_t numel, gtap_dtype dtype,
                          int *tensor_id)
{
    uint64_t bytes = 0;
    if (tensor_id == NULL) return gtap_set_error(GTAP_EINVAL, "capture register: NULL tensor_id");
    int rc = check_tensor_args(capture, name, numel, dtype, &bytes);
    if (rc < 0) return rc;
    pthread_mutex_lock(&capture->lock);
    rc = register_locked(capture, name, numel, dtype, bytes, NULL, 0, tensor_id);
    pthread_mutex_unlock(&capture->lock);
    return rc > 0 ? GTAP_OK : rc;
}

static int compare_entries(const void *a, const void *b)
{
    const gtap_flat_entry *x = a, *y = b;
    return (x->offset > y->offset) - (x->offset < y->offset);
}

static void free_layout(gtap_flat_entry *layout, size_t count)
{
    if (layout == NULL) return;
    for (size_t i = 0; i < count; i++) free((char *)layout[i].name);
    free(layout);
}

/* Copy and validate a flat layout: names non-empty, members inside the
 * buffer and not overlapping. Sorted by offset. */
static int copy_layout(const char *name, uint64_t numel, const gtap_flat_entry *entries, size_t count,
                       gtap_flat_entry **out)
{
    *out = NULL;
    if (count == 0 || entries == NULL)
        return gtap_set_error(GTAP_EINVAL, "capture flat '%s': an empty layout", name);
    gtap_flat_entry *layout = calloc(count, sizeof *layout);
    if (layout == NULL) return gtap_set_error(GTAP_ENOMEM, "capture flat '%s': out of memory", name);
    for (size_t i = 0; i < count; i++) {
        layout[i].offset = entries[i].offset;
        layout[i].numel = entries[i].numel;
        size_t length = entries[i].name ? strlen(entries[i].name) : 0;
        char *copy = length > 0 && length < 4096 ? malloc(length + 1) : NULL;
        if (copy) memcpy(copy, entries[i].name, length + 1);
        layout[i].name = copy;
        if (copy == NULL) {
            free_layout(layout, count);
            return gtap_set_error(length == 0 || length >= 4096 ? GTAP_EINVAL : GTAP_ENOMEM,
                                  "capture flat '%s': member %zu has no usable name", name, i);
        }
    }
    qsort(layout, count, sizeof *layout, compare_entries);
    for (size_t i = 0; i < count; i++) {
        uint64_t end = layout[i].offset + layout[i].numel;
        int bad = end < layout[i].offset || end > numel ||
                  (i + 1 < count && end > layout[i + 1].offset);
        if (bad) {
            int rc = gtap_set_error(GTAP_EINVAL, "capture flat '%s': member '%s' [%" PRIu64 ", +%" PRIu64
                                    ") leaves the buffer of %" PRIu64 " or overlaps the next member",
                                    name, layout[i].name, layout[i].offset, layout[i].numel, numel);
            free_layout(layout, count);
            return rc;
        }
    }
    *out = layout;
    return GTAP_OK;
}

int gtap_capture_register_flat(gtap_capture *capture, const char *name, uint64_t numel, gtap_dtype dtype,
                               const gtap_flat_entry *entries, size_t entry_count, int *tensor_id)
{
    uint64_t bytes = 0;
    if (tensor_id == NULL) return gtap_set_error(GTAP_EINVAL, "capture register: NULL tensor_id");
    int rc = check_tensor_args(capture, name, numel, dtype, &bytes);
    if (rc < 0) return rc;
    gtap_flat_entry *layout = NULL;
    if ((rc = copy_layout(name, numel, entries, entry_count, &layout)) < 0) return rc;
    pthread_mutex_lock(&capture->lock);
    rc = register_locked(capture, name, numel, dtype, bytes, layout, entry_count, tensor_id);
    pthread_mutex_unlock(&capture->lock);
    if (rc != GTAP_OK) free_layout(layout, entry_count);
    return rc > 0 ? GTAP_OK : rc;
}

unsigned gtap_capture_wants(const gtap_capture *capture, int64_t step)
{
    if (capture == NULL || step < 0 || load_status(capture) != GTAP_OK) return 0;
    unsigned want = 0;
    if ((capture->every > 0 && (uint64_t)step % capture->every == 0) || capture_step_listed(capture, step))
        want |= GTAP_CAPTURE_WANT_SNAPSHOT;
    if (capture->summary_every > 0 && (uint64_t)step % capture->summary_every == 0) want |= GTAP_CAPTURE_WANT_SUMMARY;
    return want;
}

/* Reserve staging for a record (lock held); returns the op to fill, or
 * NULL with *status set: GTAP_OK when skipped (recorded), else an error. */
static capture_op *reserve_locked(gtap_capture *capture, int tensor_id, gtap_kind kind, int64_t step, unsigned want,
                                  uint64_t bytes, int pinned, int *status)
{
    *status = GTAP_OK;
    capture_tensor *tensor = capture->tensors[tensor_id];
    if (step <= tensor->last_step[kind]) {
        *status = gtap_set_error(GTAP_EINVAL, "capture '%s' (%s): step %" PRId64 " after step %" PRId64
                                 " (steps must increase)", tensor->name, gtap_kind_name(kind), step,
                                 tensor->last_step[kind]);
        return NULL;
    }
    capture_op *op = new_op(OP_RECORD);
    if (op == NULL) {
        *status = gtap_set_error(GTAP_ENOMEM, "capture: out of memory");
        return NULL;
    }
    tensor->last_step[kind] = step;
    op->tensor = tensor_id;
    op->kind = kind;
    op->step = step;
    op->want = want;
    double waited_from = 0.0;
    for (;;) {
        int alloc_failed = 0;
        op->staging = staging_acquire(&capture->staging, bytes, pinned, &alloc_failed);
        if (op->staging != NULL || capture->status != GTAP_OK) break;
        if (alloc_failed) {
            capture_disable_locked(capture, GTAP_ENOMEM, "no memory for a staging buffer");
            break;
        }
        if (capture->policy == GTAP_CAPTURE_SKIP) {
            op->type = OP_SKIPPED;
            if (want & GTAP_CAPTURE_WANT_SNAPSHOT) capture->stats.snapshots_skipped++;
            if (want & GTAP_CAPTURE_WANT_SUMMARY) capture->stats.summaries_skipped++;
            enqueue_locked(capture, op);
            return NULL;
        }
        if (waited_from == 0.0) waited_from = now_seconds();
        pthread_cond_wait(&capture->progress, &capture->lock);
    }
    if (waited_from != 0.0) capture->stats.blocked_seconds += now_seconds() - waited_from;
    if (op->staging == NULL) {
        free(op);
        *status = gtap_set_error(GTAP_EDISABLED, "capture is off: %s", capture->error);
        return NULL;
    }
    return op;
}

static int record_common(gtap_capture *capture, int tensor_id, gtap_kind kind, int64_t step, const void *data,
                         int on_device, void *stream, uint64_t *ticket)
{
    if (ticket) *ticket = 0;
    if (capture == NULL) return gtap_set_error(GTAP_EINVAL, "capture record: NULL capture");
    if ((int)kind < 0 || kind >= GTAP_KIND_COUNT)
        return gtap_set_error(GTAP_EINVAL, "capture record: invalid kind %d", (int)kind);
    if (step < 0) return gtap_set_error(GTAP_EINVAL, "capture record: negative step %" PRId64, step);
    if (load_status(capture) != GTAP_OK) return gtap_set_error(GTAP_EDISABLED, "capture is off: %s", capture->error);
    unsigned want = gtap_capture_wants(capture, step);
    if (want == 0 || !(capture->kinds & GTAP_KIND_BIT(kind))) return GTAP_OK;
    pthread_mutex_lock(&capture->lock);
    if (tensor_id < 0 || (size_t)tensor_id >= capture->tensor_count) {
        pthread_mutex_unlock(&capture->lock);
        return gtap_set_error(GTAP_EINVAL, "capture record: unknown tensor id %d", tensor_id);
    }
    capture_tensor *tensor = capture->tensors[tensor_id];
    if (data == NULL && tensor->numel > 0) {
        pthread_mutex_unlock(&capture->lock);
        return gtap_set_error(GTAP_EINVAL, "capture record '%s' step %" PRId64 ": NULL data", tensor->name, step);
    }
    /* A summary of device data is computed on the device when it can be:
     * then only its result is copied, and the data only for a snapshot. */
    int device_summary = on_device && (want & GTAP_CAPTURE_WANT_SUMMARY) && !capture->global_summary &&
                         device_summary_supported(capture, tensor, data);
    uint64_t numel = tensor->numel;
    uint64_t bytes = device_summary && !(want & GTAP_CAPTURE_WANT_SNAPSHOT) ? 0 : tensor->bytes;
    uint64_t result_offset = (bytes + 63) / 64 * 64;
    uint64_t staged = device_summary ? result_offset + device_summary_bytes() : bytes;
    if (staged > capture->staging.budget) { /* the host path fits: registration checked */
        device_summary = 0;
        staged = bytes = tensor->bytes;
    }
    int status;
    capture_op *op = reserve_locked(capture, tensor_id, kind, step, want, staged, on_device, &status);
    pthread_mutex_unlock(&capture->lock);
    if (op == NULL) return status;

    if (on_device) {
        op->device_summary = device_summary;
        op->result_offset = result_offset;
        if (device_summary)
            status = device_summary_enqueue(capture, data, numel, (char *)op->staging->data + result_offset, stream);
        if (status == GTAP_OK) status = device_copy_async(op->staging->data, data, bytes, stream, &op->event);
    } else if (bytes > 0) {
        memcpy(op->staging->data, data, bytes);
    }
    pthread_mutex_lock(&capture->lock);
    if (status < 0) {
        staging_release(&capture->staging, op->staging);
        free(op);
        capture_disable_locked(capture, status, gtap_last_error());
    } else {
        if (on_device) {
            op->ticket = ++capture->next_ticket;
            if (ticket) *ticket = op->ticket;
        }
        enqueue_locked(capture, op);
    }
    pthread_mutex_unlock(&capture->lock);
    return status;
}

int gtap_capture_record(gtap_capture *capture, int tensor_id, gtap_kind kind, int64_t step, const void *data)
{
    return record_common(capture, tensor_id, kind, step, data, 0, NULL, NULL);
}

int gtap_capture_record_device(gtap_capture *capture, int tensor_id, gtap_kind kind, int64_t step,
                               const void *device_data, void *cuda_stream, uint64_t *ticket)
{
#ifndef GRADTAP_WITH_CUDA
    if (ticket) *ticket = 0;
    (void)tensor_id;
    (void)kind;
    (void)step;
    (void)device_data;
    (void)cuda_stream;
    if (capture == NULL) return gtap_set_error(GTAP_EINVAL, "capture record: NULL capture");
    return gtap_set_error(GTAP_EUNSUPPORTED, "capture record: gradtap was built without CUDA");
#else
    return record_common(capture, tensor_id, kind, step, device_data, 1, cuda_stream, ticket);
#endif
}

uint64_t gtap_capture_copies_done(const gtap_capture *capture)
{
    if (capture == NULL) return 0;
    gtap_capture *mutable_capture = (gtap_capture *)capture;
    pthread_mutex_lock(&mutable_capture->lock);
    uint64_t done = mutable_capture->next_ticket;
    /* the oldest copy not yet known complete bounds the answer */
    if (mutable_capture->in_progress && mutable_capture->in_progress->event &&
        device_event_done(mutable_capture->in_progress->event) != 1)
        done = mutable_capture->in_progress->ticket - 1;
    else
        for (capture_op *op = mutable_capture->head; op != NULL; op = op->next) {
            if (op->event == NULL) continue;
            if (device_event_done(op->event) != 1) {
                done = op->ticket - 1;
                break;
            }
        }
    if (done > mutable_capture->copies_done) mutable_capture->copies_done = done;
    done = mutable_capture->copies_done;
    pthread_mutex_unlock(&mutable_capture->lock);
    return done;
}

int gtap_capture_flush(gtap_capture *capture)
{
    if (capture == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_capture_flush: NULL capture");
    pthread_mutex_lock(&capture->lock);
    int rc = capture->status;
    capture_op *op = rc == GTAP_OK ? new_op(OP_FLUSH) : NULL;
    if (rc == GTAP_OK && op == NULL) rc = gtap_set_error(GTAP_ENOMEM, "capture flush: out of memory");
    if (op != NULL) {
        enqueue_locked(capture, op);
        uint64_t target = op->sequence;
        while (capture->status == GTAP_OK && capture->flushed_sequence < target)
            pthread_cond_wait(&capture->progress, &capture->lock);
        rc = capture->status;
    }
    if (rc < 0) rc = gtap_set_error(rc, "capture is off: %s", capture->error);
    pthread_mutex_unlock(&capture->lock);
    return rc;
}

int gtap_capture_get_stats(const gtap_capture *capture, gtap_capture_stats *stats)
{
    if (capture == NULL || stats == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_capture_get_stats: NULL argument");
    gtap_capture *mutable_capture = (gtap_capture *)capture;
    pthread_mutex_lock(&mutable_capture->lock);
    *stats = capture->stats;
    /* a record handed over after the last flush is not durable yet, so
     * neither is its step: the training thread may be midway through a step
     * the flush claimed (the flush saw only its first records) */
    if (capture->min_step_since_flush <= stats->flushed_step) stats->flushed_step = capture->min_step_since_flush - 1;
    stats->queued_bytes = capture->staging.in_use;
    stats->peak_staging_bytes = capture->staging.peak_in_use;
    stats->status = capture->status;
    pthread_mutex_unlock(&mutable_capture->lock);
    return GTAP_OK;
}

int gtap_capture_status(const gtap_capture *capture)
{
    return capture ? load_status(capture) : GTAP_EINVAL;
}

const char *gtap_capture_error(const gtap_capture *capture)
{
    /* the message is "" and untouched while the status is GTAP_OK, and never
     * changes once the status is an error */
    return capture && load_status(capture) != GTAP_OK ? capture->error : "";
}

int gtap_capture_close(gtap_capture *capture, gtap_capture_stats *stats)
{
    if (capture == NULL) return GTAP_OK;
    pthread_mutex_lock(&capture->lock);
    capture->stop = 1;
    pthread_cond_broadcast(&capture->work);
    pthread_mutex_unlock(&capture->lock);
    pthread_join(capture->thread, NULL);
    gtap_capture_stats final;
    gtap_capture_get_stats(capture, &final);
    if (stats) *stats = final;
    int rc = capture->status;
    if (rc < 0) gtap_set_error(rc, "capture was turned off: %s", capture->error);
    free_capture(capture);
    return rc;
}
