/* h5_helpers.h - the one HDF5 helper module of gradtap: error capture,
 * scalar attributes (UTF-8 strings, int64, float64), the one version
 * encoding, and appending rows to an extendable dataset. Compiled into
 * every library that writes HDF5 (gradtap_capture for snapshot files,
 * gradtap for results files, gradtap_train for converge files) with hidden
 * visibility: internal, never exported, never installed.
 *
 * Every gradtap HDF5 file says what it is with two root attributes:
 * `format` (a string: "gradtap-snapshots", "gradtap-results",
 * "gradtap-converge-results") and `format_version` (int64), written by
 * gtap_h5_write_format(). */
#ifndef GRADTAP_H5_HELPERS_H
#define GRADTAP_H5_HELPERS_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Turn off HDF5's automatic printing of error stacks (idempotent). */
void gtap_h5_silence(void);

/* Record `status` with "<what>: <innermost HDF5 message>" as last error;
 * @return status. */
int gtap_h5_error(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Scalar attributes on an object, replaced when they exist. Strings are
 * variable-length UTF-8 (h5py reads them as str). @return GTAP_OK;
 * GTAP_EIO (write) with the HDF5 message; reads: GTAP_ENOTFOUND when the
 * attribute is missing, GTAP_EFORMAT when it has another type. */
int gtap_h5_write_string_attr(hid_t object, const char *name, const char *value);
int gtap_h5_read_string_attr(hid_t object, const char *name, char *value, size_t capacity);
int gtap_h5_write_int_attr(hid_t object, const char *name, int64_t value);
int gtap_h5_read_int_attr(hid_t object, const char *name, int64_t *value);
int gtap_h5_write_double_attr(hid_t object, const char *name, double value);

/* The identity of a gradtap file: `format` = kind, `format_version` =
 * version (int64). @return as gtap_h5_write_string_attr(). */
int gtap_h5_write_format(hid_t file, const char *kind, int64_t version);

/* Rows of an extendable 1-D (columns = 0) or 2-D dataset: set its extent
 * to first_row + rows rows and write `rows` rows of `columns` values there
 * from `data` (memory_type). Returns 0, or -1 with HDF5's error stack set. */
int gtap_h5_write_rows(hid_t dataset, hsize_t first_row, hsize_t rows, hsize_t columns, hid_t memory_type,
                       const void *data);

#endif
