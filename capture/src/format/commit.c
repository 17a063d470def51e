/* commit.c - commit logs (commit.h): the rows that make snapshots and
 * summaries visible, held back in SWMR mode until what they commit is on
 * disk. */
#include <stdlib.h>

#include "commit.h"
#include "gradtap/status.h"
#include "h5util.h"

static const int64_t UNWRITTEN = -1;

size_t gtap_commit_prefix(const int64_t *values, size_t count)
{
    size_t rows = 0;
    while (rows < count && values[rows] >= 0 && (rows == 0 || values[rows] > values[rows - 1])) rows++;
    return rows;
}

int gtap_commit_log_create(hid_t parent, const char *name, hsize_t chunk_rows)
{
    hsize_t dims[1] = {0}, max_dims[1] = {H5S_UNLIMITED}, chunk[1] = {chunk_rows};
    hid_t space = H5Screate_simple(1, dims, max_dims);
    hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    hid_t set = H5I_INVALID_HID;
    if (space >= 0 && create >= 0 && H5Pset_chunk(create, 1, chunk) >= 0 &&
        H5Pset_fill_value(create, H5T_NATIVE_INT64, &UNWRITTEN) >= 0)
        set = H5Dcreate2(parent, name, H5T_STD_I64LE, space, H5P_DEFAULT, create, H5P_DEFAULT);
    if (create >= 0) H5Pclose(create);
    if (space >= 0) H5Sclose(space);
    if (set < 0) return gtap_h5_error(GTAP_EIO, "cannot create the commit log '%s'", name);
    H5Dclose(set);
    return GTAP_OK;
}

int gtap_commit_log_read(hid_t log, int refresh, int64_t **values, size_t *count)
{
    *values = NULL;
    *count = 0;
    if (refresh && H5Drefresh(log) < 0) return gtap_h5_error(GTAP_EIO, "cannot refresh a commit log");
    hid_t space = H5Dget_space(log);
    hssize_t points = space >= 0 && H5Sget_simple_extent_ndims(space) == 1 ? H5Sget_simple_extent_npoints(space) : -1;
    if (space >= 0) H5Sclose(space);
    if (points < 0) return gtap_h5_error(GTAP_EFORMAT, "a commit log is not a 1-D dataset");
    int64_t *read = malloc(((size_t)points + 1) * sizeof *read);
    if (read == NULL) return gtap_set_error(GTAP_ENOMEM, "no memory for a commit log of %lld rows", (long long)points);
    if (points > 0 && H5Dread(log, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, read) < 0) {
        free(read);
        return gtap_h5_error(GTAP_EFORMAT, "cannot read a commit log");
    }
    *values = read;
    *count = (size_t)points;
    return GTAP_OK;
}

int gtap_commit_logs_open(commit_logs *logs, hid_t parent, const char *name, size_t *index)
{
    if (logs->count == logs->capacity) {
        size_t capacity = logs->capacity ? 2 * logs->capacity : 16;
        commit_log *grown = realloc(logs->logs, capacity * sizeof *grown);
        if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "no memory for commit logs");
        logs->logs = grown;
        logs->capacity = capacity;
    }
    hid_t set = H5Dopen2(parent, name, H5P_DEFAULT);
    if (set < 0) return gtap_h5_error(GTAP_EFORMAT, "missing commit log '%s'", name);
    int64_t *values;
    size_t count;
    int rc = gtap_commit_log_read(set, 0, &values, &count);
    if (rc < 0) {
        H5Dclose(set);
        return rc;
    }
    size_t rows = gtap_commit_prefix(values, count);
    commit_log *log = &logs->logs[logs->count];
    *log = (commit_log){.dataset = set, .rows = rows, .last = rows ? values[rows - 1] : -1};
    free(values);
    *index = logs->count++;
    return GTAP_OK;
}

int64_t gtap_commit_logs_last(const commit_logs *logs, size_t index)
{
    return logs->logs[index].last;
}

uint64_t gtap_commit_logs_count(const commit_logs *logs, size_t index)
{
    return (uint64_t)logs->logs[index].rows + logs->logs[index].held_count;
}

/* Write `count` values at the log's committed end. */
static int write_rows(commit_log *log, const int64_t *values, size_t count)
{
    if (gtap_h5_write_rows(log->dataset, log->rows, count, 0, H5T_NATIVE_INT64, values) < 0)
        return gtap_h5_error(GTAP_EIO, "cannot write a commit log");
    log->rows += count;
    return GTAP_OK;
}

int gtap_commit_logs_append(commit_logs *logs, size_t index, int64_t value, int hold)
{
    commit_log *log = &logs->logs[index];
    if (value < 0 || value <= log->last)
        return gtap_set_error(GTAP_EINVAL, "commit log: value %lld after %lld (values must increase)",
                              (long long)value, (long long)log->last);
    if (hold) {
        if (log->held_count == log->held_capacity) {
            size_t capacity = log->held_capacity ? 2 * log->held_capacity : 8;
            int64_t *grown = realloc(log->held, capacity * sizeof *grown);
            if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "no memory to hold a commit");
            log->held = grown;
            log->held_capacity = capacity;
        }
        log->held[log->held_count++] = value;
    } else {
        int rc = write_rows(log, &value, 1);
        if (rc < 0) return rc;
    }
    log->last = value;
    return GTAP_OK;
}

int gtap_commit_logs_holding(const commit_logs *logs)
{
    for (size_t i = 0; i < logs->count; i++)
        if (logs->logs[i].held_count > 0) return 1;
    return 0;
}

int gtap_commit_logs_release(commit_logs *logs)
{
    for (size_t i = 0; i < logs->count; i++) {
        commit_log *log = &logs->logs[i];
        if (log->held_count == 0) continue;
        int rc = write_rows(log, log->held, log->held_count);
        if (rc < 0) return rc;
        log->held_count = 0;
    }
    return GTAP_OK;
}

void gtap_commit_logs_close(commit_logs *logs)
{
    for (size_t i = 0; i < logs->count; i++) {
        H5Dclose(logs->logs[i].dataset);
        free(logs->logs[i].held);
    }
    free(logs->logs);
    *logs = (commit_logs){0};
}
