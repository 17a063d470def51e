/* capture_internal.h - the private state of a gtap_capture, shared by the
 * training-thread side (capture.c), the writer thread (writer_thread.c),
 * the staging pool (staging.c), the CUDA glue (device.c, device_summary.c)
 * and the HDF5 datasets capture adds to the snapshot format (extras_write.c). */
#ifndef GRADTAP_CAPTURE_INTERNAL_H
#define GRADTAP_CAPTURE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "gradtap/capture.h"
#include "gradtap/summary.h"
#include "summary_engine.h"

/* ------------------------------------------------------------ staging pool */

typedef struct staging_buffer {
    struct staging_buffer *next;
    void *data;
    uint64_t bytes;
    int pinned; /* cudaHostAlloc'ed */
} staging_buffer;

/* Bounded staging memory. Every byte allocated (in use or cached free)
 * counts against `budget`; buffers are recycled by exact size. Not locked:
 * the capture's lock protects it. */
typedef struct staging_pool {
    uint64_t budget;
    uint64_t allocated;
    uint64_t in_use;
    uint64_t peak_in_use;
    staging_buffer *free_list;
} staging_pool;

void staging_init(staging_pool *pool, uint64_t budget);
/* A buffer of exactly `bytes`, or NULL when the budget does not allow one
 * now (or allocation failed: *alloc_failed = 1). */
staging_buffer *staging_acquire(staging_pool *pool, uint64_t bytes, int pinned, int *alloc_failed);
void staging_release(staging_pool *pool, staging_buffer *buffer);
void staging_destroy(staging_pool *pool);

/* pinned host memory (device.c; plain malloc without CUDA) */
void *device_host_alloc(uint64_t bytes, int pinned);
void device_host_free(void *data, int pinned);

/* ------------------------------------------------------------ tensors, ops */

/* Summary rows of one (tensor, kind) waiting for the next flush, and the
 * datasets they go to (summary_rows.c). _free needs no HDF5 file: call it
 * after extras_close_summaries() (extras.h). */
typedef struct summary_batch summary_batch;
void extras_free_summary_batch(summary_batch *batch);

typedef struct capture_tensor {
    char *name;
    uint64_t numel;
    gtap_dtype dtype;
    uint64_t bytes;
    gtap_flat_entry *layout;   /* names owned; NULL for an ordinary tensor */
    size_t layout_count;
    int64_t last_step[GTAP_KIND_COUNT];
    int in_file;               /* writer thread: declared and prepared in the file */
    size_t summary_log[GTAP_KIND_COUNT]; /* writer thread: commit logs in the writer (extras.h) */
    size_t skipped_log[GTAP_KIND_COUNT];
    summary_batch *summary_batch[GTAP_KIND_COUNT]; /* writer thread: rows not yet written (summary_rows.c) */
} capture_tensor;

/* The records of one step of one kind, concatenated as float32 for the
 * whole-model summary (model_summary.c). */
typedef struct model_accumulator {
    int64_t step;
    float *values;
    uint64_t count, capacity;
} model_accumulator;

typedef enum capture_op_type {
    OP_RECORD,   /* data in staging: snapshot and/or summary */
    OP_SKIPPED,  /* a due record dropped by the skip policy */
    OP_REGISTER, /* declare tensors [0, tensor count at enqueue) in the file */
    OP_FLUSH,    /* flush now (gtap_capture_flush) */
} capture_op_type;

typedef struct capture_op {
    struct capture_op *next;
    capture_op_type type;
    uint64_t sequence;
    int tensor;
    gtap_kind kind;
    int64_t step;
    unsigned want;             /* GTAP_CAPTURE_WANT_* */
    staging_buffer *staging;
    int device_summary;        /* the summary was computed on the device ... */
    uint64_t result_offset;    /* ... and its result lies here in staging */
    void *event;               /* cudaEvent_t of a device copy, or NULL */
    uint64_t ticket;           /* device copy ticket, or 0 */
} capture_op;

struct gtap_capture {
    pthread_mutex_t lock;
    pthread_cond_t work;       /* writer waits: ops queued or stop */
    pthread_cond_t progress;   /* training waits: staging freed, ops done, flushed */
    pthread_t thread;
    int thread_started;
    int stop;

    /* options (copied) */
    char *path;
    uint64_t every;
    int64_t *step_list;        /* sorted, unique */
    size_t step_list_count;
    unsigned kinds;
    uint64_t summary_every;
    double densities[GTAP_SUMMARY_MAX_DENSITIES];
    size_t density_count;
    gtap_compression compression;
    gtap_capture_policy policy;
    int rank;
    int world_size;
    uint64_t flush_bytes;
    double flush_seconds;
    int fsync;
    int crash_safe;
    int truncate;
    int append;
    int quiet;
    char run_id[256];
    char producer[256];

    /* tensors (training side appends under the lock; the writer reads
     * entries below the count it was told about) */
    capture_tensor **tensors;  /* each allocated on its own: stable addresses */
    size_t tensor_count;
    size_t tensor_capacity;

    /* queue */
    capture_op *head;
    capture_op *tail;
    capture_op *in_progress;
    uint64_t next_sequence;
    uint64_t done_sequence;    /* ops with sequence <= this are processed */
    uint64_t flushed_sequence; /* ... and durable */
    int64_t max_step_handed;   /* largest step of an op handed over */
    int64_t min_step_since_flush; /* smallest step of an op handed over after the last flush
                                     (INT64_MAX: none): such a step is not durable yet */
    uint64_t next_ticket;
    uint64_t copies_done;

    staging_pool staging;
    gtap_capture_stats stats;
    /* GTAP_OK until the capture is turned off, then the first error, never
     * again changed. Written only under the lock (capture_disable_locked,
     * release store after `error` is filled in); read without the lock on
     * the training thread's hot path (acquire load: a thread that sees an
     * error also sees its complete message). */
    _Atomic int status;
    char error[1024];          /* "" while status is GTAP_OK; fixed once set */
    int open_done;             /* writer thread finished creating the file */
    int open_status;

    /* writer-thread-only state */
    gtap_writer *writer;
    int64_t file_id;           /* the writer's HDF5 file id (hid_t) */
    int swmr;
    int records_processed;     /* a record or skipped step was handled: SWMR mode from then on */
    size_t tensors_in_file;
    uint64_t bytes_since_flush;
    uint64_t snapshots_unflushed; /* written since the last flush: not committed yet (lock) */
    double last_flush_time;
    summary_engine summaries;  /* buffers for computing summaries (summary_engine.h) */
    int global_summary;        /* option: whole-model summaries (model_summary.c) */
    capture_tensor *model;     /* writer thread: GTAP_CAPTURE_MODEL_TENSOR, NULL until declared */
    model_accumulator model_acc[GTAP_KIND_COUNT]; /* writer thread: the step being gathered per kind */
    long file_inode;
    long file_device;

    struct device_summary_state *device_summary; /* device_summary.c; NULL until first used */
};

/* options.c */
int capture_copy_options(gtap_capture *capture, const char *path, const gtap_capture_options *options);
int capture_step_listed(const gtap_capture *capture, int64_t step);

/* capture.c: turn the capture off with `status` and the current last-error
 * message (first error wins; prints one line unless quiet). Lock held. */
void capture_disable_locked(gtap_capture *capture, int status, const char *message);

/* writer_thread.c */
void *capture_writer_main(void *argument);

/* device.c */
int device_copy_async(void *host, const void *device, uint64_t bytes, void *stream, void **event);
int device_event_wait(void *event);
int device_event_done(void *event); /* 1 done, 0 not yet, < 0 error */
void device_event_free(void *event);

/* device_summary.c: summaries of device data computed on the device.
 * _supported: whether this record can (float32, on a CUDA device, ...);
 * _bytes: the staging room its result needs (0 without CUDA);
 * _enqueue: on the caller's stream, the summary and the copy of its result
 * into pinned `host_result` (training thread; thread-safe);
 * _convert: the result as a gtap_summary (writer thread, after the event);
 * _free: at close, after the writer thread has stopped. */
typedef struct device_summary_state device_summary_state;
int device_summary_supported(const gtap_capture *capture, const capture_tensor *tensor, const void *device_data);
uint64_t device_summary_bytes(void);
int device_summary_enqueue(gtap_capture *capture, const float *device_data, uint64_t numel, void *host_result,
                           void *stream);
int device_summary_convert(const void *host_result, const double *densities, size_t density_count,
                           gtap_summary *summary);
void device_summary_free(gtap_capture *capture);

/* Whole-model summaries (model_summary.c), writer thread: _declare puts
 * the model tensor in the file, before the first record or SWMR mode
 * (no-op without global_summary or once done); _add gathers a record of a summary step (summarising the
 * previous step of that kind first when this one is later); _finish
 * summarises what is gathered (at close); _free releases it all. */
int model_summary_declare(gtap_capture *capture);
int model_summary_add(gtap_capture *capture, const capture_tensor *tensor, gtap_kind kind, int64_t step,
                      const void *data);
int model_summary_finish(gtap_capture *capture);
void model_summary_free(gtap_capture *capture);

#endif
