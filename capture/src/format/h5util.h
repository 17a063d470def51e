/* h5util.h - private helpers of the snapshot writer and reader: the
 * element types of each dtype and the escaping of tensor names into HDF5
 * link names (errors, attributes and rows: h5/h5_helpers.h). */
#ifndef GRADTAP_H5UTIL_H
#define GRADTAP_H5UTIL_H

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

#include "gradtap/dtype.h"
#include "gradtap/format.h"
#include "h5/h5_helpers.h" /* errors, attributes, rows */

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
