/* h5util.h - private helpers shared by the snapshot writer and reader:
 * HDF5 error capture, string/int attributes, the element types of each
 * dtype, and the escaping of tensor names into HDF5 link names. */
#ifndef GRADTAP_H5UTIL_H
#define GRADTAP_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "gradtap/dtype.h"
#include "gradtap/format.h"

/* Turn off HDF5's automatic printing of error stacks (idempotent). */
void gtap_h5_silence(void);

/* Record `status` with "<what>: <innermost HDF5 message>" as last error. */
int gtap_h5_error(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Attributes on an object. Strings are variable-length UTF-8. */
int gtap_h5_write_string_attr(hid_t object, const char *name, const char *value);
int gtap_h5_read_string_attr(hid_t object, const char *name, char *value, size_t capacity);
int gtap_h5_write_int_attr(hid_t object, const char *name, int64_t value);
int gtap_h5_read_int_attr(hid_t object, const char *name, int64_t *value);

/* Rows of an extendable 1-D (columns = 0) or 2-D dataset: set its extent
 * to first_row + rows rows and write `rows` rows of `columns` values there
 * from `data` (memory_type). Returns 0, or -1 with HDF5's error stack set. */
int gtap_h5_write_rows(hid_t dataset, hsize_t first_row, hsize_t rows, hsize_t columns, hid_t memory_type,
                       const void *data);

/* The file datatype a dtype is stored as (caller closes), and back from a
 * stored dtype name. float32: IEEE F32LE; float16: IEEE binary16 layout;
 * bfloat16: a 16-bit HDF5 float with 8 exponent and 7 mantissa bits. */
hid_t gtap_h5_file_type(gtap_dtype dtype);

/* Tensor names -> link names: '%' -> "%25", '/' -> "%2F", and a name that is
 * exactly "." or ".." gets its dots as "%2E". Returns the needed length
 * (without NUL); writes when capacity suffices. */
size_t gtap_h5_escape_name(const char *name, char *out, size_t capacity);

/* The link name of each kind's group ("grad", ...). */
#define GTAP_H5_TENSORS_GROUP "tensors"
#define GTAP_H5_META_GROUP "meta"
#define GTAP_H5_DATA "data"
#define GTAP_H5_STEPS "steps"
#define GTAP_H5_STEPS_CHUNK 1024

#endif
