/*
 * gradtap/format.h - the snapshot file format: writer and reader.
 *
 * A snapshot file (docs/FORMAT.md, format version 1) is an HDF5 file written
 * by one rank of one run. It holds named tensors; each tensor has, per kind
 * (grad, residual, acc, param, reduced), a list of snapshots taken at training steps.
 *
 *   writer:  gtap_writer_create -> gtap_writer_add_tensor ... ->
 *            gtap_writer_write (any order of tensors/kinds, steps increasing
 *            per tensor and kind) -> gtap_writer_flush -> gtap_writer_close
 *   reader:  gtap_reader_open -> gtap_reader_tensor_count / _tensor /
 *            _steps -> gtap_reader_read or gtap_reader_read_range -> _close
 *
 * Atomicity: a snapshot is committed by appending its step to the `steps`
 * dataset after its data row is written. Readers only see rows whose step was
 * committed, so a snapshot is read completely or not at all.
 *
 * Thread safety: one gtap_writer or gtap_reader must not be used by two
 * threads at once. Debian's HDF5 is not thread-safe; callers that use HDF5
 * from several threads must serialise all HDF5 calls.
 *
 * All functions return GTAP_OK or a negative gtap_status (gradtap/status.h)
 * with a message in gtap_last_error(); none exits or aborts.
 */
#ifndef GRADTAP_FORMAT_H
#define GRADTAP_FORMAT_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/dtype.h"
#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The value of the root attribute `format` and the version this library
 * writes. Readers accept versions 1..GTAP_FORMAT_VERSION. */
#define GTAP_FORMAT_NAME "gradtap-snapshots"
#define GTAP_FORMAT_VERSION 1

/* What a snapshot holds (docs/THEORY.md s.5). */
typedef enum gtap_kind {
    GTAP_KIND_GRAD = 0,     /* the gradient */
    GTAP_KIND_RESIDUAL = 1, /* the error-feedback memory */
    GTAP_KIND_ACC = 2,      /* u = grad + residual: what a sparsifier sees */
    GTAP_KIND_PARAM = 3,    /* the parameters */
    GTAP_KIND_REDUCED = 4,  /* the gradient after the data-parallel all-reduce (the average over
                               ranks; "grad" is then this rank's own, docs/CAPTURE.md) */
    GTAP_KIND_COUNT = 5
} gtap_kind;

/* A bit per kind, for kind sets: GTAP_KIND_BIT(GTAP_KIND_GRAD) | ... */
#define GTAP_KIND_BIT(kind) (1u << (unsigned)(kind))
#define GTAP_KIND_ALL 0x1fu

/* "grad", "residual", "acc", "param", "reduced"; "invalid" otherwise. */
GTAP_API const char *gtap_kind_name(gtap_kind kind);
/* Parse a kind name. @return GTAP_OK and *kind, or GTAP_EINVAL. */
GTAP_API int gtap_kind_from_name(const char *name, gtap_kind *kind);

/* Compression of snapshot data. LZ4 needs the HDF5 filter plugin (Debian's
 * hdf5-filter-plugin); GTAP_EUNSUPPORTED when it is not available. */
typedef enum gtap_compression {
    GTAP_COMPRESS_NONE = 0,
    GTAP_COMPRESS_GZIP = 1, /* deflate level 1, with byte shuffle */
    GTAP_COMPRESS_LZ4 = 2   /* HDF5 registered filter 32004 */
} gtap_compression;

GTAP_API const char *gtap_compression_name(gtap_compression compression);

/* ------------------------------------------------------------------ writer */

typedef struct gtap_writer gtap_writer;

/* Layout version of gtap_writer_options (gradtap/abi.h). */
#define GTAP_WRITER_OPTIONS_VERSION 1u

typedef struct gtap_writer_options {
    size_t struct_size;         /* set by gtap_writer_options_init() or GTAP_WRITER_OPTIONS_INIT */
    unsigned struct_version;    /*   (gradtap/abi.h) */
    int rank;                   /* this file's rank, >= 0 (default 0) */
    int world_size;             /* ranks in the run, > rank (default 1) */
    const char *producer;       /* e.g. "my-trainer 1.2"; NULL: "gradtap <version>" */
    const char *run_id;         /* shared by the files of one run; NULL: none */
    gtap_compression compression;
    int append;                 /* 1: open an existing gradtap file and add to it */
    int truncate;               /* 1: replace an existing file; 0: fail with GTAP_EEXIST */
    size_t max_chunk_bytes;     /* chunk size cap; 0: 1 MiB */
} gtap_writer_options;

/* The defaults above, as an initializer:
 *     gtap_writer_options options = GTAP_WRITER_OPTIONS_INIT; */
#define GTAP_WRITER_OPTIONS_INIT                                                                         \
    {                                                                                                    \
        .struct_size = sizeof(gtap_writer_options), .struct_version = GTAP_WRITER_OPTIONS_VERSION,        \
        .rank = 0, .world_size = 1, .compression = GTAP_COMPRESS_NONE, .max_chunk_bytes = (size_t)1 << 20, \
    }

/* Fill `options` with the defaults above (GTAP_WRITER_OPTIONS_INIT). NULL is ignored. */
GTAP_API void gtap_writer_options_init(gtap_writer_options *options);

/* gtap_writer_create() - create (or, with options->append, open) a snapshot
 * file. `options` may be NULL for the defaults. On success *writer owns the
 * open file; free it with gtap_writer_close().
 * Before it touches the file, the writer takes the file's writer lock: an
 * exclusive flock on the sidecar file PATH.lock (holding the writer's pid),
 * held until gtap_writer_close() and then removed. A second writer of the
 * same path - create, truncate or append, in this process or another -
 * fails with GTAP_EBUSY and leaves the file alone. The lock of a killed
 * writer is released by the kernel; its leftover PATH.lock is reused.
 * @return GTAP_OK; GTAP_EVERSION when `options` were not filled by
 * gtap_writer_options_init() of this library (gradtap/abi.h); GTAP_EBUSY
 * when another writer has the file open (message: "the file is being written
 * by another process (pid N ...)"); GTAP_EEXIST
 * when the file exists and neither append nor truncate is set; GTAP_EIO when it
 * (or PATH.lock) cannot be created; GTAP_EFORMAT /
 * GTAP_EVERSION when appending to a file that is not gradtap format 1;
 * GTAP_EUNSUPPORTED for LZ4 without the plugin. */
GTAP_API int gtap_writer_create(const char *path, const gtap_writer_options *options,
                       gtap_writer **writer);

/* gtap_writer_set_meta() - free user metadata: a string attribute `key` on
 * the /meta group (key: 1..255 bytes, no '/'). Overwrites an existing key.
 * @return GTAP_OK; GTAP_EINVAL (NULL, bad key); GTAP_ESTATE once the file is
 *         in SWMR mode (no new attributes then); GTAP_EIO from HDF5. */
GTAP_API int gtap_writer_set_meta(gtap_writer *writer, const char *key, const char *value);

/* gtap_writer_add_tensor() - declare a tensor. `name` is any non-empty UTF-8
 * string without NUL, up to 4095 bytes ('.' and '/' allowed, as in PyTorch
 * parameter names); `numel` its element count (0 allowed); `dtype` how it
 * is stored. Declaring the same name again with the same numel and dtype is
 * a no-op; with others it fails with GTAP_EEXIST.
 * @return GTAP_OK; GTAP_EINVAL (NULL, empty or over-long name); GTAP_EDTYPE;
 *         GTAP_EEXIST; GTAP_EOVERFLOW (numel * element size overflows);
 *         GTAP_ESTATE in SWMR mode; GTAP_ENOMEM; GTAP_EIO from HDF5. */
GTAP_API int gtap_writer_add_tensor(gtap_writer *writer, const char *name, uint64_t numel,
                           gtap_dtype dtype);

/* gtap_writer_prepare() - create the datasets of (tensor, kind) now rather
 * than at its first write. Needed before gtap_writer_start_swmr(), after
 * which no new datasets can be created.
 * @return GTAP_OK (also when they exist already); GTAP_ENOTFOUND (tensor not
 *         declared); GTAP_EINVAL (kind); GTAP_ESTATE in SWMR mode; GTAP_EIO. */
GTAP_API int gtap_writer_prepare(gtap_writer *writer, const char *name, gtap_kind kind);

/* gtap_writer_write() - append one snapshot. `data` holds numel elements of
 * the tensor's dtype (`data` may be NULL when numel is 0). Steps must be >= 0
 * and strictly increasing per (tensor, kind): GTAP_EEXIST for a repeated
 * step, GTAP_EINVAL for a decreasing one. The data is in the file after this
 * call returns; it is durable on disk after gtap_writer_flush(). Without
 * SWMR the row is flushed to the file before its step is written, so a
 * failed write (full disk) never leaves a committed step.
 * @return GTAP_OK; GTAP_EEXIST; GTAP_EINVAL; GTAP_ENOTFOUND (tensor not
 *         declared); GTAP_ESTATE (a new kind in SWMR mode); GTAP_EIO. */
GTAP_API int gtap_writer_write(gtap_writer *writer, const char *name, gtap_kind kind,
                      int64_t step, const void *data);

/* gtap_writer_write_float32() - as gtap_writer_write, with float32 input
 * converted to the tensor's dtype (round to nearest even).
 * @return as gtap_writer_write(); GTAP_ENOMEM for the conversion buffer. */
GTAP_API int gtap_writer_write_float32(gtap_writer *writer, const char *name, gtap_kind kind,
                              int64_t step, const float *data);

/* gtap_writer_flush() - push everything written so far to the disk, then
 * commit (and flush) the steps held back. Once a write or flush failed, every
 * later flush fails too and commits nothing (a full disk: docs/FORMAT.md).
 * @return GTAP_OK; GTAP_EINVAL (NULL); GTAP_EIO when HDF5 cannot flush or an
 *         earlier write failed. */
GTAP_API int gtap_writer_flush(gtap_writer *writer);

/* gtap_writer_start_swmr() - switch the file into HDF5 single-writer/
 * multiple-reader mode: from now on readers may open it while it is being
 * written, and every flush leaves a consistent file on disk (see FORMAT.md,
 * crash safety). Tensors and kinds must all be prepared before.
 * @return GTAP_OK; GTAP_EINVAL (NULL); GTAP_EIO when HDF5 refuses. */
GTAP_API int gtap_writer_start_swmr(gtap_writer *writer);

/* gtap_writer_close() - flush, commit what is held, mark the file complete
 * (root attribute complete=1, rewritten in place, also in SWMR mode: the
 * file is never reopened, so readers may hold it open), flush and close it,
 * then release the writer lock. After any failed write or flush nothing
 * more is committed and the file is not marked complete. NULL is allowed.
 * Returns the first error met, but always releases the writer.
 * @return GTAP_OK; GTAP_EIO (the file then lacks complete=1; see
 *         `gradtap recover`). */
GTAP_API int gtap_writer_close(gtap_writer *writer);

/* ------------------------------------------------------------------ reader */

typedef struct gtap_reader gtap_reader;

typedef struct gtap_file_info {
    int format_version;
    int rank;
    int world_size;
    int complete;             /* 1: closed by its writer; 0: still open or crashed */
    int swmr;                 /* 1: written in SWMR mode */
    char producer[256];
    char run_id[256];
    char created[64];         /* ISO 8601 UTC */
    uint64_t file_bytes;      /* size on disk */
    size_t tensor_count;
} gtap_file_info;

typedef struct gtap_tensor_info {
    const char *name;         /* owned by the reader, valid until close */
    uint64_t numel;
    gtap_dtype dtype;
    unsigned kinds;           /* GTAP_KIND_BIT set of kinds with >= 1 snapshot */
    gtap_compression compression;
    uint64_t stored_bytes;    /* bytes the tensor's datasets take in the file */
} gtap_tensor_info;

/* gtap_reader_open() - open a snapshot file for reading. Works on files
 * being written in SWMR mode and on files left by a crashed writer.
 * Damaged files fail promptly: HDF5's metadata retries are bounded
 * (docs/FORMAT.md, "Damaged and locked files").
 * @return GTAP_OK; GTAP_ENOTFOUND (no such file); GTAP_EFORMAT (not a
 * regular file, not HDF5, truncated or damaged, not a gradtap snapshot
 * file, steps not int64, format_version not an int64, numel disagreeing
 * with the data's shape or with the bytes stored); GTAP_EBUSY (HDF5's lock
 * is held by a writer in another process); GTAP_EVERSION. */
GTAP_API int gtap_reader_open(const char *path, gtap_reader **reader);

/* Release the reader. NULL is allowed. */
GTAP_API void gtap_reader_close(gtap_reader *reader);

/* The path the reader was opened on. */
GTAP_API const char *gtap_reader_path(const gtap_reader *reader);

/* Root attributes and the file's size. @return GTAP_OK; GTAP_EINVAL (NULL). */
GTAP_API int gtap_reader_file_info(gtap_reader *reader, gtap_file_info *info);

/* Number of tensors (0 for NULL), and the i-th (sorted by name,
 * 0 <= i < count). @return GTAP_OK; GTAP_EINVAL (NULL, index out of range). */
GTAP_API size_t gtap_reader_tensor_count(const gtap_reader *reader);
GTAP_API int gtap_reader_tensor(gtap_reader *reader, size_t index, gtap_tensor_info *info);

/* Look a tensor up by its exact name. @return GTAP_ENOTFOUND if absent. */
GTAP_API int gtap_reader_find_tensor(gtap_reader *reader, const char *name, size_t *index);

/* gtap_reader_steps() - the committed steps of (tensor index, kind) in
 * increasing order. Writes at most `capacity` into `steps` (may be NULL when
 * capacity is 0) and the total number into *count, so callers may first ask
 * for the count. A kind with no snapshots gives *count = 0 and GTAP_OK.
 * @return GTAP_OK; GTAP_EINVAL (NULL, tensor index or kind out of range). */
GTAP_API int gtap_reader_steps(gtap_reader *reader, size_t tensor, gtap_kind kind,
                      int64_t *steps, size_t capacity, size_t *count);

/* gtap_reader_read() - read the whole snapshot of (tensor, kind, step),
 * converted to float32, into `out` (numel floats, owned by the caller).
 * @return GTAP_ENOTFOUND when there is no such snapshot. */
GTAP_API int gtap_reader_read(gtap_reader *reader, size_t tensor, gtap_kind kind,
                     int64_t step, float *out);

/* gtap_reader_read_range() - read elements [offset, offset+count) of one
 * snapshot as float32: for vectors larger than memory, read in pieces.
 * @return GTAP_EINVAL when the range leaves the tensor. */
GTAP_API int gtap_reader_read_range(gtap_reader *reader, size_t tensor, gtap_kind kind,
                           int64_t step, uint64_t offset, uint64_t count, float *out);

/* gtap_reader_read_raw() - as gtap_reader_read_range, in the stored dtype
 * (count * gtap_dtype_size(dtype) bytes). @return as gtap_reader_read_range(). */
GTAP_API int gtap_reader_read_raw(gtap_reader *reader, size_t tensor, gtap_kind kind,
                         int64_t step, uint64_t offset, uint64_t count, void *out);

/* gtap_reader_meta() - the user metadata value for `key` copied into `value`
 * (NUL-terminated, truncated to capacity).
 * @return GTAP_OK; GTAP_ENOTFOUND if absent; GTAP_EINVAL (NULL, capacity 0). */
GTAP_API int gtap_reader_meta(gtap_reader *reader, const char *key, char *value, size_t capacity);

/* gtap_reader_meta_count() / gtap_reader_meta_key(): enumerate metadata keys
 * (count 0 for NULL). @return GTAP_OK; GTAP_ENOTFOUND (index >= count);
 * GTAP_EINVAL (NULL). */
GTAP_API size_t gtap_reader_meta_count(gtap_reader *reader);
GTAP_API int gtap_reader_meta_key(gtap_reader *reader, size_t index, char *key, size_t capacity);

/* gtap_reader_refresh() - for a file being written in SWMR mode: see the
 * snapshots committed since open (or the last refresh).
 * @return GTAP_OK; GTAP_EINVAL (NULL); GTAP_EFORMAT or GTAP_EIO when a
 *         commit log can no longer be read (the reader keeps what it had). */
GTAP_API int gtap_reader_refresh(gtap_reader *reader);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_FORMAT_H */
