/* writer_thread.c - the capture's writer thread: the only thread that calls
 * HDF5 for a capture. It creates the file, declares tensors, waits for
 * device copies, writes snapshots, computes and stores summaries, records
 * skipped steps, flushes (SWMR mode: every flush leaves a readable file),
 * and turns the capture off on the first error. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture_internal.h"
#include "extras.h"

static double now_seconds(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

static void fail(gtap_capture *capture, int status)
{
    char message[1024];
    snprintf(message, sizeof message, "%s", gtap_last_error());
    pthread_mutex_lock(&capture->lock);
    capture_disable_locked(capture, status, message);
    pthread_mutex_unlock(&capture->lock);
}

/* lock_fd: -1 to take the file's writer lock, else the lock already held
 * (a close and reopen keeps it: format_internal.h). */
static int open_writer(gtap_capture *capture, int append, int lock_fd)
{
    gtap_writer_options options;
    gtap_writer_options_init(&options);
    options.rank = capture->rank;
    options.world_size = capture->world_size;
    options.producer = capture->producer[0] ? capture->producer : NULL;
    options.run_id = capture->run_id;
    options.compression = capture->compression;
    options.truncate = capture->truncate;
    options.append = append;
    int rc = lock_fd < 0 ? gtap_writer_create(capture->path, &options, &capture->writer)
                         : gtap_writer_create_locked(capture->path, &options, lock_fd, &capture->writer);
    if (rc < 0) return rc;
    capture->swmr = 0;
    if ((rc = extras_locate_file(capture)) < 0) return rc;
    struct stat file_stat;
    if (stat(capture->path, &file_stat) != 0)
        return gtap_set_error(GTAP_EIO, "%s: %s", capture->path, strerror(errno));
    capture->file_inode = (long)file_stat.st_ino;
    capture->file_device = (long)file_stat.st_dev;
    return GTAP_OK;
}

/* Called before the first record and before any flush that starts SWMR
 * mode: the whole-model tensor is declared here, once the tensors
 * registered before the first record are in the file (its numel is
 * theirs), and while datasets may still be created. */
static int start_swmr(gtap_capture *capture)
{
    int rc = model_summary_declare(capture);
    if (rc < 0 || !capture->crash_safe || capture->swmr) return rc;
    rc = gtap_writer_start_swmr(capture->writer);
    if (rc == GTAP_OK) capture->swmr = 1;
    return rc;
}

/* Declare tensors [tensors_in_file, upto] in the file with the datasets of
 * every recorded kind. After SWMR has started, no dataset can be created:
 * close the file and reopen it for appending (docs/CAPTURE.md). */
static int declare_tensors(gtap_capture *capture, size_t upto)
{
    int rc = GTAP_OK;
    int was_swmr = capture->swmr;
    if (was_swmr) {
        /* summary rows kept in memory go in first: the close commits them */
        if ((rc = extras_write_summaries(capture)) < 0) return rc;
        extras_close_summaries(capture);
        int lock_fd = gtap_writer_take_lock(capture->writer); /* no other writer may slip in between */
        rc = gtap_writer_close(capture->writer);
        capture->writer = NULL;
        if (rc == GTAP_OK) rc = open_writer(capture, 1, lock_fd);
        else gtap_writer_release_lock(capture->path, lock_fd);
        for (size_t i = 0; i < capture->tensors_in_file && rc == GTAP_OK; i++) {
            pthread_mutex_lock(&capture->lock);
            capture_tensor *tensor = capture->tensors[i];
            pthread_mutex_unlock(&capture->lock);
            rc = extras_open_logs(capture, tensor);
        }
        if (rc == GTAP_OK && capture->model && capture->model->in_file) rc = extras_open_logs(capture, capture->model);
        if (rc < 0) return rc;
    }
    for (size_t i = capture->tensors_in_file; i <= upto && rc == GTAP_OK; i++) {
        pthread_mutex_lock(&capture->lock);
        capture_tensor *tensor = capture->tensors[i];
        pthread_mutex_unlock(&capture->lock);
        rc = gtap_writer_add_tensor(capture->writer, tensor->name, tensor->numel, tensor->dtype);
        for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++)
            if (capture->kinds & GTAP_KIND_BIT(kind)) rc = gtap_writer_prepare(capture->writer, tensor->name, kind);
        if (rc == GTAP_OK) rc = extras_prepare_tensor(capture, tensor);
        if (rc == GTAP_OK) capture->tensors_in_file = i + 1;
    }
    if (rc == GTAP_OK && was_swmr) rc = start_swmr(capture);
    return rc;
}

static int write_record(gtap_capture *capture, capture_tensor *tensor, capture_op *op)
{
    capture->records_processed = 1;
    int rc = start_swmr(capture);
    if (rc == GTAP_OK && op->event != NULL) rc = device_event_wait(op->event);
    if (rc < 0) return rc;
    const void *data = op->staging->data;
    if (op->want & GTAP_CAPTURE_WANT_SNAPSHOT) {
        rc = gtap_writer_write(capture->writer, tensor->name, op->kind, op->step, data);
        if (rc < 0) return rc;
        capture->bytes_since_flush += tensor->bytes;
        pthread_mutex_lock(&capture->lock);
        capture->stats.snapshots_written++;
        capture->snapshots_unflushed++;
        capture->stats.bytes_written += tensor->bytes;
        pthread_mutex_unlock(&capture->lock);
    }
    if (op->want & GTAP_CAPTURE_WANT_SUMMARY) {
        gtap_summary summary;
        if (op->device_summary) {
            rc = device_summary_convert((const char *)data + op->result_offset, capture->densities,
                                        capture->density_count, &summary);
        } else {
            rc = summary_engine_compute(&capture->summaries, tensor->dtype, data, tensor->numel, capture->densities,
                                        capture->density_count, &summary);
        }
        if (rc == GTAP_OK && capture->global_summary && !op->device_summary)
            rc = model_summary_add(capture, tensor, op->kind, op->step, data);
        if (rc < 0) return rc;
        summary.step = op->step;
        if ((rc = extras_append_summary(capture, tensor, op->kind, &summary)) < 0) return rc;
        capture->bytes_since_flush += extras_summary_row_bytes(capture);
        pthread_mutex_lock(&capture->lock);
        capture->stats.summaries_written++;
        pthread_mutex_unlock(&capture->lock);
    }
    return GTAP_OK;
}

static int process(gtap_capture *capture, capture_op *op, capture_tensor *tensor)
{
    switch (op->type) {
    case OP_REGISTER:
        return declare_tensors(capture, (size_t)op->tensor);
    case OP_RECORD:
        return write_record(capture, tensor, op);
    case OP_SKIPPED: {
        capture->records_processed = 1;
        int rc = start_swmr(capture);
        return rc < 0 ? rc : extras_append_skipped(capture, tensor, op->kind, op->step);
    }
    case OP_FLUSH:
        return GTAP_OK;
    }
    return gtap_set_error(GTAP_EINTERNAL, "capture: unknown op %d", (int)op->type);
}

/* The file must still be the one we created: a removed directory or file
 * does not make writes fail on Linux, so look. */
static int check_file_present(gtap_capture *capture)
{
    struct stat file_stat;
    if (stat(capture->path, &file_stat) != 0)
        return gtap_set_error(GTAP_EIO, "%s: the snapshot file (or its directory) was removed: %s", capture->path,
                              strerror(errno));
    if ((long)file_stat.st_ino != capture->file_inode || (long)file_stat.st_dev != capture->file_device)
        return gtap_set_error(GTAP_EIO, "%s: the snapshot file was replaced by another file", capture->path);
    return GTAP_OK;
}

/* `requested`: a gtap_capture_flush(). A flush because the queue ran empty
 * while only tensors were declared leaves SWMR mode for the first record,
 * so that tensors registered one by one are not each a reopen of the file. */
static int flush_file(gtap_capture *capture, int requested)
{
    int rc = requested || capture->records_processed ? start_swmr(capture) : GTAP_OK;
    if (rc == GTAP_OK) rc = extras_write_summaries(capture); /* rows first, committed by the flush */
    if (rc == GTAP_OK) rc = gtap_writer_flush(capture->writer);
    if (rc == GTAP_OK && capture->fsync) {
        int descriptor = open(capture->path, O_RDONLY);
        if (descriptor < 0 || fsync(descriptor) != 0)
            rc = gtap_set_error(GTAP_EIO, "%s: fsync failed: %s", capture->path, strerror(errno));
        if (descriptor >= 0) close(descriptor);
    }
    if (rc == GTAP_OK) rc = check_file_present(capture);
    capture->bytes_since_flush = 0;
    capture->last_flush_time = now_seconds();
    return rc;
}

/* After a flush that covers every op up to `sequence` (lock held). */
static void note_flushed_locked(gtap_capture *capture, uint64_t sequence)
{
    capture->flushed_sequence = sequence;
    capture->stats.flushes++;
    capture->snapshots_unflushed = 0; /* committed with this flush */
    capture->min_step_since_flush = INT64_MAX; /* ops still queued are counted below */
    int64_t flushed = capture->max_step_handed;
    for (capture_op *op = capture->head; op != NULL; op = op->next)
        if ((op->type == OP_RECORD || op->type == OP_SKIPPED) && op->step - 1 < flushed) flushed = op->step - 1;
    if (flushed > capture->stats.flushed_step) capture->stats.flushed_step = flushed;
    pthread_cond_broadcast(&capture->progress);
}

/* Release an op's resources and count it (lock held). */
static void retire_locked(gtap_capture *capture, capture_op *op, int written)
{
    if (!written && op->type == OP_RECORD && (op->want & GTAP_CAPTURE_WANT_SNAPSHOT)) capture->stats.snapshots_lost++;
    if (op->event) {
        device_event_wait(op->event);
        device_event_free(op->event);
        if (op->ticket > capture->copies_done) capture->copies_done = op->ticket;
    }
    staging_release(&capture->staging, op->staging);
    capture->done_sequence = op->sequence;
    capture->in_progress = NULL;
    free(op);
    pthread_cond_broadcast(&capture->progress);
}

/* When the queue runs empty the writer flushes, but not more often than
 * every IDLE_FLUSH_SECONDS (nor flush_seconds, when that is shorter): a
 * training loop that hands over many small records per step empties the
 * queue after nearly every record, and a flush per record would cost more
 * than the records. A flush put off this way happens when it is due, unless
 * more work comes first; docs/CAPTURE.md, "Crash safety". */
#define IDLE_FLUSH_SECONDS 0.05

static double idle_flush_due(const gtap_capture *capture)
{
    double interval = capture->flush_seconds < IDLE_FLUSH_SECONDS ? capture->flush_seconds : IDLE_FLUSH_SECONDS;
    return capture->last_flush_time + interval;
}

/* Wait for work (lock held); with a flush pending, only until it is due.
 * @return 1: an op is queued; 0: do the pending flush now; -1: stop. */
static int wait_for_work_locked(gtap_capture *capture, int flush_pending)
{
    while (capture->head == NULL && !capture->stop) {
        if (!flush_pending) {
            pthread_cond_wait(&capture->work, &capture->lock);
            continue;
        }
        double left = idle_flush_due(capture) - now_seconds();
        if (left <= 0.0) return 0;
        struct timespec deadline; /* the condition variable's clock is CLOCK_REALTIME */
        clock_gettime(CLOCK_REALTIME, &deadline);
        long long nanoseconds = deadline.tv_nsec + (long long)(left * 1e9) + 1;
        deadline.tv_sec += (time_t)(nanoseconds / 1000000000);
        deadline.tv_nsec = (long)(nanoseconds % 1000000000);
        pthread_cond_timedwait(&capture->work, &capture->lock, &deadline);
    }
    if (capture->head != NULL) return 1;
    return flush_pending ? 0 : -1;
}

/* Flush (lock not held) and publish what became durable: every op up to
 * `sequence`. */
static void flush_and_note(gtap_capture *capture, uint64_t sequence, int requested)
{
    pthread_mutex_lock(&capture->lock);
    int active = capture->status == GTAP_OK;
    pthread_mutex_unlock(&capture->lock);
    int rc = active ? flush_file(capture, requested) : GTAP_OK;
    if (rc < 0) fail(capture, rc);
    pthread_mutex_lock(&capture->lock);
    if (active && rc == GTAP_OK) note_flushed_locked(capture, sequence);
    if (!active) {
        capture->flushed_sequence = sequence; /* nothing more will become durable: release waiters */
        pthread_cond_broadcast(&capture->progress);
    }
    pthread_mutex_unlock(&capture->lock);
}

/* Take the next op and process it (lock held on entry and return).
 * @return whether to flush now; *idle: the queue is empty after it. */
static int run_next_op(gtap_capture *capture, uint64_t *sequence, int *requested, int *idle)
{
    capture_op *op = capture->head;
    capture->head = op->next;
    if (capture->head == NULL) capture->tail = NULL;
    capture->in_progress = op;
    int active = capture->status == GTAP_OK;
    capture_tensor *tensor = op->type == OP_FLUSH ? NULL : capture->tensors[op->tensor];
    pthread_mutex_unlock(&capture->lock);
    int rc = GTAP_OK;
    if (active) {
        rc = process(capture, op, tensor);
        if (rc < 0) fail(capture, rc);
    }
    *sequence = op->sequence;
    *requested = op->type == OP_FLUSH;
    pthread_mutex_lock(&capture->lock);
    retire_locked(capture, op, active && rc == GTAP_OK);
    double now = now_seconds();
    *idle = capture->head == NULL;
    return *requested || capture->bytes_since_flush >= capture->flush_bytes ||
           now - capture->last_flush_time >= capture->flush_seconds || (*idle && now >= idle_flush_due(capture));
}

static void writer_loop(gtap_capture *capture)
{
    int flush_pending = 0;
    pthread_mutex_lock(&capture->lock);
    for (;;) {
        int waited = wait_for_work_locked(capture, flush_pending);
        if (waited < 0) break;
        double started = now_seconds();
        uint64_t sequence = capture->done_sequence;
        int requested = 0, idle = 1;
        int flush_now = waited == 0 || run_next_op(capture, &sequence, &requested, &idle);
        flush_pending = idle && !flush_now;
        pthread_mutex_unlock(&capture->lock);
        if (flush_now) flush_and_note(capture, sequence, requested);
        pthread_mutex_lock(&capture->lock);
        capture->stats.writer_busy_seconds += now_seconds() - started;
    }
    pthread_mutex_unlock(&capture->lock);
}

/* At the end: the summary rows still kept, then close the file (which
 * flushes, commits and marks it complete). */
static void close_file(gtap_capture *capture)
{
    int rc = capture->status == GTAP_OK ? model_summary_finish(capture) : GTAP_OK;
    if (rc == GTAP_OK && capture->status == GTAP_OK) rc = extras_write_summaries(capture);
    if (rc < 0) fail(capture, rc);
    extras_close_summaries(capture);
    rc = gtap_writer_close(capture->writer);
    capture->writer = NULL;
    if (rc < 0) fail(capture, rc);
}

/* The writer runs as SCHED_BATCH on Linux (best effort): a handed-over
 * record wakes it, and with as many busy threads as cores a normal thread
 * woken that way may preempt the training thread that woke it, once per
 * record. A batch thread gets the same share of CPU time but does not
 * preempt on wakeup, so the training thread keeps its core to the end of
 * its slice. */
static void lower_wakeup_priority(void)
{
#ifdef __linux__
#ifndef SCHED_BATCH
#define SCHED_BATCH 3 /* <sched.h> defines it only with _GNU_SOURCE */
#endif
    struct sched_param parameters = {0};
    (void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &parameters);
#endif
}

void *capture_writer_main(void *argument)
{
    gtap_capture *capture = argument;
    lower_wakeup_priority();
    int rc = open_writer(capture, capture->append, -1);
    pthread_mutex_lock(&capture->lock);
    capture->open_status = rc;
    if (rc < 0) snprintf(capture->error, sizeof capture->error, "%s", gtap_last_error());
    capture->open_done = 1;
    pthread_cond_broadcast(&capture->progress);
    pthread_mutex_unlock(&capture->lock);
    if (rc < 0) {
        gtap_writer_close(capture->writer);
        capture->writer = NULL;
        return NULL;
    }
    capture->last_flush_time = now_seconds();
    writer_loop(capture);
    if (capture->writer != NULL) close_file(capture);
    return NULL;
}
