/* commit.h - commit logs: how a row becomes visible, crash-safely
 * (docs/FORMAT.md, "Crash safety").
 *
 * A commit log is a 1-D extendable int64 dataset (a snapshot's `steps`, a
 * summary's `steps`, the `skipped` list) whose fill value is -1. Row i of a
 * log says "row i of the datasets I commit is complete"; its value is a step,
 * always >= 0 and increasing.
 *
 * Why logs are held back: in SWMR mode HDF5 keeps the file consistent per
 * dataset, but it writes the metadata and chunks of *different* datasets to
 * disk in any order. A log row written together with the data row it commits
 * may reach the disk first, and a process killed at that moment would leave
 * a step that points at a data row that is not there. So a writer in SWMR
 * mode holds log appends back: at the next flush it first flushes (the rows
 * they commit reach the file), then appends every held value, then flushes
 * again. A kill at any moment thus leaves log rows only for complete rows;
 * a log row whose chunk has not reached the disk while its extent has reads
 * as -1, the fill value, and readers stop there (gtap_commit_prefix).
 *
 * Private to gradtap_capture: the snapshot writer owns one commit_logs, and
 * capture's own datasets (summaries, skipped steps) use it through
 * format_internal.h. */
#ifndef GRADTAP_COMMIT_H
#define GRADTAP_COMMIT_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* The number of leading values that form a committed log: each >= 0 and
 * greater than the one before. A clean file's log is all prefix; a file
 * whose writer died may end in -1 (unwritten) values. */
size_t gtap_commit_prefix(const int64_t *values, size_t count);

/* Create an empty commit log `name` in `parent` (fill value -1). */
int gtap_commit_log_create(hid_t parent, const char *name, hsize_t chunk_rows);

/* Read all `*count` values of a log (caller frees *values, allocated with
 * one spare element); `refresh` re-reads the extent of a dataset written
 * by another process (SWMR reading). */
int gtap_commit_log_read(hid_t log, int refresh, int64_t **values, size_t *count);

typedef struct commit_log {
    hid_t dataset;
    hsize_t rows;     /* committed rows: where the next value goes */
    int64_t last;     /* the last committed value, -1 before the first */
    int64_t *held;    /* appended but not yet written (held back until a flush) */
    size_t held_count;
    size_t held_capacity;
} commit_log;

typedef struct commit_logs {
    commit_log *logs;
    size_t count;
    size_t capacity;
} commit_logs;

/* Open log `name` in `parent` and add it to `logs`; its committed prefix
 * decides where appends go (an uncommitted tail left by a crash is
 * overwritten). *index names it from then on. */
int gtap_commit_logs_open(commit_logs *logs, hid_t parent, const char *name, size_t *index);

/* The log's last committed or held value (-1 when empty), and how many
 * values it has, committed and held (where the rows it commits end). */
int64_t gtap_commit_logs_last(const commit_logs *logs, size_t index);
uint64_t gtap_commit_logs_count(const commit_logs *logs, size_t index);

/* Append `value` to log `index`: written at once unless `hold` (SWMR mode),
 * when it waits for gtap_commit_logs_release(). */
int gtap_commit_logs_append(commit_logs *logs, size_t index, int64_t value, int hold);

/* Whether any value is held, and write them all (one extent change and one
 * write per log). */
int gtap_commit_logs_holding(const commit_logs *logs);
int gtap_commit_logs_release(commit_logs *logs);

/* Close every log dataset and free the table (held values are dropped). */
void gtap_commit_logs_close(commit_logs *logs);

#endif
