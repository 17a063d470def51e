/*
 * gradtap/npy.h - read numpy .npy files and raw little-endian float32 dumps,
 * the formats research code already writes gradients in, so `gradtap import`
 * can bring those runs into snapshot files.
 *
 * Supported .npy: format versions 1.0, 2.0 and 3.0; dtypes float32 ('<f4',
 * '>f4'), float16 ('<f2', '>f2') and float64 ('<f8', '>f8'); any shape
 * (flattened in C order; Fortran-order arrays are reordered to C order);
 * fortran_order True or False. Everything else is rejected with
 * GTAP_EFORMAT (bad header) or GTAP_EDTYPE (unsupported dtype) and a
 * message naming the file.
 */
#ifndef GRADTAP_NPY_H
#define GRADTAP_NPY_H

#include "gradtap/export.h"
#include <stdint.h>

#include "gradtap/dtype.h"
#include "gradtap/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GTAP_NPY_MAX_DIMS 32

/* What a .npy header says. */
typedef struct gtap_npy_header {
    char descr[16];           /* e.g. "<f4" */
    int fortran_order;        /* 1: column-major data */
    int ndim;
    uint64_t shape[GTAP_NPY_MAX_DIMS];
    uint64_t numel;           /* product of shape (1 for a 0-d array) */
    uint64_t data_offset;     /* bytes before the data */
    int element_bytes;        /* 2, 4 or 8 */
    int big_endian;
    gtap_dtype stored_as;     /* float16 stays float16; float32/float64 -> float32 */
} gtap_npy_header;

/* gtap_npy_read_header() - parse and validate the header of `path`, and
 * check the file is long enough for the data it announces.
 * @return GTAP_OK; GTAP_ENOTFOUND; GTAP_EFORMAT (bad magic, header, shape,
 * a header key given twice, truncated data, not a regular file); GTAP_EDTYPE (dtype other than float16/32/64);
 * GTAP_EOVERFLOW (shape product overflows). */
GTAP_API int gtap_npy_read_header(const char *path, gtap_npy_header *header);

/* gtap_npy_read_data() - read the data of a file whose header was parsed,
 * flattened in C order, into `out`: header->numel elements of
 * header->stored_as (float16 bits for '<f2', float32 otherwise; float64 is
 * rounded to float32, and values beyond float32's range become +-Inf).
 * @return GTAP_OK, GTAP_EIO, GTAP_ENOMEM. */
GTAP_API int gtap_npy_read_data(const char *path, const gtap_npy_header *header, void *out);

/* gtap_raw_f32_count() - element count of a raw little-endian float32 file
 * (its size / 4). @return GTAP_EFORMAT when the size is not a multiple of 4. */
GTAP_API int gtap_raw_f32_count(const char *path, uint64_t *count);

/* gtap_raw_f32_read() - read `count` floats of a raw file into `out`. */
GTAP_API int gtap_raw_f32_read(const char *path, uint64_t count, float *out);

#ifdef __cplusplus
}
#endif
#endif
