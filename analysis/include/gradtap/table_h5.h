/*
 * gradtap/table_h5.h - HDF5 results files: named tables stored one dataset
 * per column, which h5py reads directly.
 *
 * Layout (docs/CLI.md, "Results file"): the root carries string attributes
 * `format` = "gradtap-results", `version` = "1", `producer` and any added
 * with gtap_h5file_attr(). Each table is a group (e.g. /bounds, /fit,
 * /curve, /hist, /qq) holding one 1-D dataset per column, all of the same
 * length (the table's rows), plus the group attribute `columns`: the column
 * names in order, comma-separated. Column types: float64, int64 (booleans
 * are int64 0/1) or variable-length UTF-8 strings. In Python:
 *     import h5py; f = h5py.File("results.h5"); f["bounds/ratio"][:]
 *
 * All functions return GTAP_OK or a negative gtap_status with a message in
 * gtap_last_error(); none exits or aborts.
 */
#ifndef GRADTAP_TABLE_H5_H
#define GRADTAP_TABLE_H5_H

#include "gradtap/export.h"
#include <stddef.h>
#include <stdint.h>

#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gtap_h5col_type { GTAP_H5COL_F64 = 0, GTAP_H5COL_I64 = 1, GTAP_H5COL_STR = 2 } gtap_h5col_type;

/* One column: `data` points to rows values of double, int64_t or
 * const char * (NULL strings are written as ""). */
typedef struct gtap_h5col {
    const char *name;
    gtap_h5col_type type;
    const void *data;
} gtap_h5col;

typedef struct gtap_h5file gtap_h5file;

/* gtap_h5file_create() - create (replace) the results file at `path`.
 * `producer` may be NULL. @return GTAP_OK; GTAP_EINVAL; GTAP_EIO when the
 * file cannot be created (message names it); GTAP_ENOMEM. */
GTAP_API int gtap_h5file_create(const char *path, const char *producer, gtap_h5file **file);

/* gtap_h5file_attr() - a string attribute on the root (group NULL) or on an
 * existing table group. @return GTAP_OK; GTAP_EINVAL; GTAP_EIO. */
GTAP_API int gtap_h5file_attr(gtap_h5file *file, const char *group, const char *key, const char *value);

/* gtap_h5file_table() - write a table of `rows` rows as group `name`
 * (a new group; GTAP_EEXIST if it exists). Column names must be unique
 * and free of '/' and ','. @return GTAP_OK; GTAP_EINVAL; GTAP_EEXIST;
 * GTAP_EIO. */
GTAP_API int gtap_h5file_table(gtap_h5file *file, const char *name, const gtap_h5col *columns, size_t column_count,
                      uint64_t rows);

/* gtap_h5file_identify() - what gradtap file `path` is: its root attribute
 * `format` ("gradtap-snapshots", "gradtap-results",
 * "gradtap-converge-results") into `format` (capacity bytes). Opens the
 * file read-only and changes nothing.
 * @return GTAP_OK; GTAP_ENOTFOUND (no such file); GTAP_EFORMAT (not HDF5,
 * or no string attribute `format`: not a gradtap file); GTAP_EINVAL. */
GTAP_API int gtap_h5file_identify(const char *path, char *format, size_t capacity);

/* gtap_h5file_close() - flush and close; NULL allowed. Returns the first
 * error met, and always releases the object. */
GTAP_API int gtap_h5file_close(gtap_h5file *file);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_TABLE_H5_H */
