/*
 * gradtap/capture.h - asynchronous capture of gradients (and residuals,
 * accumulated vectors, parameters) from a training loop into a snapshot file.
 *
 * The training thread hands over pointers; a writer thread owned by the
 * capture does all HDF5 work. Host data is copied into a staging buffer
 * before the call returns (so the caller may reuse its memory at once);
 * CUDA device data is copied with cudaMemcpyAsync on the caller's stream into
 * pinned staging memory, followed by an event that the writer thread waits
 * for: the training thread never waits for the disk (with the `block` policy
 * it waits only when the staging budget is exhausted).
 *
 *   gtap_capture_options options;
 *   gtap_capture_options_init(&options);
 *   options.every = 10;                   // full snapshot every 10 steps
 *   options.summary_every = 1;            // a summary every step
 *   gtap_capture *capture;
 *   if (gtap_capture_open("run.h5", &options, &capture) < 0) ...;
 *   int grad;
 *   gtap_capture_register(capture, "layer1.weight", n, GTAP_FLOAT32, &grad);
 *   for (step = 0; ...; step++) {
 *       ... backward ...
 *       gtap_capture_record(capture, grad, GTAP_KIND_GRAD, step, host_ptr);
 *   }
 *   gtap_capture_stats stats;
 *   gtap_capture_close(capture, &stats);
 *
 * File layout: the snapshot format of gradtap/format.h, plus per (tensor,
 * kind) a `summary` group and a `skipped` dataset, and per flat tensor a
 * `layout` dataset (docs/CAPTURE.md, "File layout").
 *
 * Crash safety: the file is written in HDF5 SWMR mode and flushed when
 * the writer's queue has run empty (at most every 50 ms; at least every
 * `flush_bytes` and `flush_seconds`). After a
 * SIGKILL every snapshot that gtap_capture_stats() reported as flushed is in
 * the file, bit for bit; gradtap's reader opens such a file directly, h5py
 * after `gradtap recover FILE` (or with swmr=True). See docs/CAPTURE.md.
 *
 * Threads and HDF5: the writer thread calls HDF5 while your threads run.
 * HDF5 serialises its calls by a global lock only when it is built
 * thread-safe (Debian's libhdf5 is: H5_HAVE_THREADSAFE); with an HDF5 built
 * without it, no other thread of the process may call HDF5 (h5py using
 * the same libhdf5 included) while a capture is open. In any build, do not
 * open the capture's own file with HDF5 in the same process before
 * gtap_capture_close() returns; read it from another process (SWMR) or
 * after close. The gtap_capture_* functions may be called from several
 * threads on one capture; record calls for one tensor and kind must come
 * in increasing step order.
 *
 * Errors: a failure of the file system or of HDF5 (full disk, removed
 * directory, ...) turns the capture off: one line goes to stderr (unless
 * options.quiet), later calls return GTAP_EDISABLED quickly and do nothing,
 * gtap_capture_status() names the first error, and training goes on. No
 * function exits, aborts or raises a signal.
 *
 * Thread safety: the functions may be called from several training threads
 * at once (they take an internal lock), except gtap_capture_close(), which
 * must be the last call.
 */
#ifndef GRADTAP_CAPTURE_H
#define GRADTAP_CAPTURE_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/dtype.h"
#include "gradtap/format.h"
#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to do when a snapshot is due but the staging budget is used up
 * because the writer is behind. */
typedef enum gtap_capture_policy {
    GTAP_CAPTURE_BLOCK = 0, /* wait for the writer to free staging memory */
    GTAP_CAPTURE_SKIP = 1   /* drop this snapshot and record its step in the file's `skipped` */
} gtap_capture_policy;

/* The most densities a summary records tail-energy ratios for. */
#define GTAP_CAPTURE_MAX_DENSITIES 16
/* The most steps in options.steps. */
#define GTAP_CAPTURE_MAX_STEP_LIST 65536

/* The layout version of gtap_capture_options (with its size, the first two
 * fields): a library refuses options laid out by another version. */
#define GTAP_CAPTURE_OPTIONS_VERSION 3u

typedef struct gtap_capture_options {
    /* Set by gtap_capture_options_init() or GTAP_CAPTURE_OPTIONS_INIT:
     * sizeof(gtap_capture_options) and GTAP_CAPTURE_OPTIONS_VERSION as the
     * caller was compiled with. gtap_capture_open() refuses other values
     * with GTAP_EVERSION rather than misread the fields after them. */
    size_t struct_size;
    unsigned struct_version;
    /* Full snapshots at steps with step % every == 0 (0: none by period) and
     * at the steps listed in steps[0..step_count) (any order; may be NULL). */
    uint64_t every;
    const int64_t *steps;
    size_t step_count;
    /* GTAP_KIND_BIT set of kinds that are recorded; a record of another kind
     * is accepted and ignored (default: GTAP_KIND_ALL). */
    unsigned kinds;
    /* A summary at steps with step % summary_every == 0 (0: no summaries).
     * Summaries are independent of full snapshots. */
    uint64_t summary_every;
    /* Densities rho in (0, 1] for the summary's tail-energy ratios r_k,
     * k = max(1, floor(rho * numel)) (docs/THEORY.md s.1). Default:
     * 0.001, 0.01, 0.1. density_count 0 with densities NULL: the default. */
    const double *densities;
    size_t density_count;
    /* Staging memory budget in bytes (default 256 MiB). Each tensor must fit
     * in it on its own. */
    uint64_t staging_bytes;
    gtap_compression compression;    /* default GTAP_COMPRESS_NONE */
    gtap_capture_policy policy;      /* default GTAP_CAPTURE_BLOCK */
    /* Rank and world size; -1 (default) takes them from MPI when gradtap is
     * built with MPI and MPI is initialised, else from the environment
     * variables RANK and WORLD_SIZE (torchrun), else 0 and 1. */
    int rank;
    int world_size;
    /* 1: each rank writes PATH with ".rankNNNNN" inserted before ".h5" (or
     * appended), e.g. run.rank00003.h5; 0: PATH as given; -1 (default):
     * per-rank names when world_size > 1. */
    int per_rank_files;
    /* Flush at least after this many bytes of snapshot data and summary rows (default 256 MiB)
     * and this many seconds (default 1.0; a busy writer flushes no later);
     * the writer also flushes when its queue runs empty (at most every
     * 50 ms, docs/CAPTURE.md). */
    uint64_t flush_bytes;
    double flush_seconds;
    /* 1: fsync the file after each flush, so flushed snapshots also survive
     * a power loss or node failure (default 0: they survive the process). */
    int fsync;
    /* 1 (default): SWMR mode (crash safety above); 0: plain HDF5 writing,
     * a killed run may leave an unreadable file. */
    int crash_safe;
    int truncate;                    /* 1: replace an existing file (default 0: GTAP_EEXIST) */
    int append;                      /* 1: add to an existing gradtap file, created when missing (steps
                                        must come after those it holds per tensor and kind) */
    const char *run_id;              /* NULL: from MPI rank 0, GRADTAP_RUN_ID or TORCHELASTIC_RUN_ID */
    const char *producer;            /* NULL: "gradtap <version>" */
    int quiet;                       /* 1: no line on stderr when capture turns itself off */
    /* (added in layout version 3) 1: at every summary step, also summarise
     * all tensors recorded for a kind at that step as one concatenated
     * vector - exactly what `gradtap bounds --global` does with snapshots -
     * stored as the summaries of the tensor GTAP_CAPTURE_MODEL_TENSOR
     * ("(global)", no snapshots). Needs summary_every > 0. A step's whole
     * summary is computed when a record of a later step of that kind
     * arrives, or at close (so a killed run loses at most its last step's).
     * Every record of such a step is copied to the host; CUDA tensors take
     * the host path (the device summary is not used). Default 0. */
    int global_summary;
} gtap_capture_options;

/* The name under which whole-model summaries are stored (global_summary). */
#define GTAP_CAPTURE_MODEL_TENSOR "(global)"

/* The defaults above, as an initializer:
 *     gtap_capture_options options = GTAP_CAPTURE_OPTIONS_INIT;
 * (C99 designated initializers; the same values gtap_capture_options_init()
 * sets). */
#define GTAP_CAPTURE_OPTIONS_INIT                                                                        \
    {                                                                                                    \
        .struct_size = sizeof(gtap_capture_options), .struct_version = GTAP_CAPTURE_OPTIONS_VERSION,      \
        .kinds = GTAP_KIND_BIT(GTAP_KIND_GRAD), .staging_bytes = (uint64_t)256 << 20,                     \
        .compression = GTAP_COMPRESS_NONE, .policy = GTAP_CAPTURE_BLOCK, .rank = -1, .world_size = -1,    \
        .per_rank_files = -1, .flush_bytes = (uint64_t)256 << 20, .flush_seconds = 1.0, .crash_safe = 1,   \
    }

/* Fill `options` with the defaults above (GTAP_CAPTURE_OPTIONS_INIT). NULL is ignored. */
GTAP_API void gtap_capture_options_init(gtap_capture_options *options);

/* sizeof(gtap_capture_options), for bindings (ctypes) to check their copy. */
GTAP_API size_t gtap_capture_options_size(void);

typedef struct gtap_capture gtap_capture;

/* gtap_capture_open() - open a capture writing to `path` (with the per-rank
 * name when that applies; gtap_capture_path() says which). `options` may be
 * NULL for the defaults; it and the arrays it points to are copied. Starts
 * the writer thread, which creates the file before this returns.
 * @return GTAP_OK and *capture (free with gtap_capture_close); GTAP_EINVAL
 * for invalid options (message names the option; truncate with append);
 * GTAP_EEXIST when the file exists and neither truncate nor append is set;
 * GTAP_EFORMAT / GTAP_EVERSION when appending to a file that is not a
 * gradtap snapshot file of this format; GTAP_EIO when it cannot be created;
 * GTAP_EUNSUPPORTED for LZ4 without the plugin; GTAP_ENOMEM. */
GTAP_API int gtap_capture_open(const char *path, const gtap_capture_options *options, gtap_capture **capture);

/* The file this capture writes (owned by the capture). "" for NULL. */
GTAP_API const char *gtap_capture_path(const gtap_capture *capture);

/* This capture's rank and world size (after auto-detection). */
GTAP_API int gtap_capture_rank(const gtap_capture *capture);
GTAP_API int gtap_capture_world_size(const gtap_capture *capture);

/* gtap_capture_register() - declare a tensor: `name` (1..4095 bytes of
 * UTF-8), `numel` elements of `dtype` (float32, float16, bfloat16).
 * Registering the same name again with the same numel and dtype returns the
 * same id. Register every tensor before the first record: a tensor
 * registered later makes the writer leave SWMR mode for a moment (see
 * docs/CAPTURE.md).
 * @return GTAP_OK and *tensor_id (>= 0); GTAP_EINVAL (bad name, tensor
 * larger than the staging budget); GTAP_EDTYPE; GTAP_EEXIST (same name,
 * other numel or dtype); GTAP_EDISABLED. */
GTAP_API int gtap_capture_register(gtap_capture *capture, const char *name, uint64_t numel, gtap_dtype dtype,
                          int *tensor_id);

/* One member of a flat buffer: elements [offset, offset + numel). */
typedef struct gtap_flat_entry {
    const char *name;
    uint64_t offset;
    uint64_t numel;
} gtap_flat_entry;

/* gtap_capture_register_flat() - declare a flat tensor `name` of `numel`
 * elements (e.g. a DDP gradient bucket) holding the members in `entries`
 * (sorted or not; may not overlap or leave the buffer; names are copied).
 * The tensor is recorded like any other; its layout table is stored with it.
 * @return as gtap_capture_register, GTAP_EINVAL for a bad layout. */
GTAP_API int gtap_capture_register_flat(gtap_capture *capture, const char *name, uint64_t numel, gtap_dtype dtype,
                               const gtap_flat_entry *entries, size_t entry_count, int *tensor_id);

/* What a step wants, so callers can avoid preparing data nobody records. */
#define GTAP_CAPTURE_WANT_SNAPSHOT 1u
#define GTAP_CAPTURE_WANT_SUMMARY 2u

/* gtap_capture_wants() - GTAP_CAPTURE_WANT_* bits for `step` (0: nothing;
 * also 0 for a NULL or disabled capture, or a negative step). */
GTAP_API unsigned gtap_capture_wants(const gtap_capture *capture, int64_t step);

/* gtap_capture_record() - hand over tensor `tensor_id`'s `kind` at `step`
 * from host memory `data` (numel elements of its dtype; untouched, and free
 * to reuse once this returns). Does nothing (GTAP_OK) when the step wants
 * neither a snapshot nor a summary or the kind is not recorded. Steps must
 * increase per (tensor, kind): GTAP_EINVAL otherwise, and the capture stays on.
 * @return GTAP_OK (also when the snapshot was skipped by the skip policy:
 * see stats); GTAP_EINVAL (bad id, kind, step, NULL data); GTAP_EDISABLED
 * (capture is off, nothing done). */
GTAP_API int gtap_capture_record(gtap_capture *capture, int tensor_id, gtap_kind kind, int64_t step, const void *data);

/* gtap_capture_record_device() - as gtap_capture_record for CUDA device
 * memory: enqueues cudaMemcpyAsync into pinned staging on `cuda_stream` (a
 * cudaStream_t; NULL is the legacy default stream) and an event; returns
 * without waiting. The device memory must stay valid and unchanged until
 * the copy ran: work queued later on the same stream is ordered after it;
 * gtap_capture_copies_done() tells when a ticket's copy has completed.
 * *ticket (may be NULL) receives this copy's ticket (0 when nothing was
 * copied). Summaries of float32 device data are computed on the device, on
 * `cuda_stream` (gtap_cuda_summary of gradtap/cuda.h; only the ~2.5 KiB
 * result is copied back, and the vector itself only when a snapshot is
 * due at this step too); fp16/bf16 data, more than 8 densities, tensors of
 * 2^32 elements or more, and data on another device than the current one
 * take the host path (the copy, then gtap_summary_compute on the writer
 * thread). With NaN/Inf in the data the device path stores r_k as NaN (the
 * device ranks them into the top-k); the host path counts and skips them.
 * @return as gtap_capture_record; GTAP_EUNSUPPORTED without CUDA;
 * GTAP_ECUDA when a CUDA call fails (the capture turns off). */
GTAP_API int gtap_capture_record_device(gtap_capture *capture, int tensor_id, gtap_kind kind, int64_t step,
                               const void *device_data, void *cuda_stream, uint64_t *ticket);

/* gtap_capture_copies_done() - the highest ticket T such that the copies of
 * all tickets <= T have completed (device memory may then be reused). */
GTAP_API uint64_t gtap_capture_copies_done(const gtap_capture *capture);

/* gtap_capture_flush() - wait until everything handed over so far is
 * written and flushed (and fsync'ed with options.fsync).
 * @return GTAP_OK, or the status that turned the capture off. */
GTAP_API int gtap_capture_flush(gtap_capture *capture);

typedef struct gtap_capture_stats {
    uint64_t snapshots_written;  /* full snapshots in the file */
    uint64_t summaries_written;
    uint64_t snapshots_skipped;  /* dropped by the skip policy (recorded in the file) */
    uint64_t summaries_skipped;
    uint64_t snapshots_lost;     /* handed over but not in the file because capture turned off
                                    (those written but not yet committed by a flush included) */
    uint64_t bytes_written;      /* snapshot data bytes handed to HDF5 */
    uint64_t flushes;
    int64_t flushed_step;        /* every record with step <= this, handed over so far, is durable; -1: none */
    uint64_t queued_bytes;       /* staging bytes in use now */
    uint64_t peak_staging_bytes;
    double blocked_seconds;      /* training-thread time spent waiting for staging (block policy) */
    double writer_busy_seconds;  /* writer thread time spent in HDF5 and summaries */
    int status;                  /* GTAP_OK, or the error that turned the capture off */
} gtap_capture_stats;

/* gtap_capture_get_stats() - a consistent snapshot of the counters. */
GTAP_API int gtap_capture_get_stats(const gtap_capture *capture, gtap_capture_stats *stats);

/* gtap_capture_status() - GTAP_OK while capturing, else the status that
 * turned it off; gtap_capture_error() its message (owned by the capture). */
GTAP_API int gtap_capture_status(const gtap_capture *capture);
GTAP_API const char *gtap_capture_error(const gtap_capture *capture);

/* gtap_capture_close() - write everything still queued, flush, mark the
 * file complete, stop the writer thread and free the capture. `stats` (may
 * be NULL) receives the final counts. NULL capture is allowed.
 * @return GTAP_OK, or the first error met (the capture is freed anyway). */
GTAP_API int gtap_capture_close(gtap_capture *capture, gtap_capture_stats *stats);

/* gtap_capture_rank_path() - the per-rank file name for `path` and `rank`:
 * "a/run.h5" -> "a/run.rank00003.h5", "a/run" -> "a/run.rank00003.h5".
 * Writes at most `capacity` bytes (NUL included).
 * @return GTAP_OK; GTAP_EOVERFLOW when it does not fit; GTAP_EINVAL. */
GTAP_API int gtap_capture_rank_path(const char *path, int rank, char *out, size_t capacity);

/* What gtap_capture_recover() found and did. */
typedef struct gtap_recover_report {
    int needed;             /* 1: the file was left open for writing (a killed writer) */
    int recovered;          /* 1: its status flags were cleared (not with dry_run) */
    int complete;           /* the file's `complete` attribute (1: closed by its writer) */
    uint64_t snapshots;     /* committed snapshots in the file (all tensors and kinds) */
} gtap_recover_report;

/* gtap_capture_recover() - make a snapshot file left by a killed writer
 * readable by every HDF5 reader (h5py without swmr=True, h5dump): clears
 * the superblock's "open for writing" flags, as HDF5's h5clear -s does, and
 * checks that the file then opens normally. Committed snapshots are not
 * changed; `complete` stays 0. A file that needs nothing is left untouched.
 * With dry_run, only reports. `report` may be NULL. A file whose writer is
 * alive (it holds the file's writer lock PATH.lock, docs/FORMAT.md) is
 * refused, also with dry_run: its flags are true and clearing them would
 * damage it. The lock is held while the flags are cleared.
 * @return GTAP_OK; GTAP_EBUSY (the writer is alive; the message names its
 * pid); GTAP_ENOTFOUND; GTAP_EFORMAT (not a gradtap snapshot file, or
 * damaged beyond what clearing the flags repairs); GTAP_EIO. */
GTAP_API int gtap_capture_recover(const char *path, int dry_run, gtap_recover_report *report);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_CAPTURE_H */
