/*
 * gradtap/status.h - status codes and the thread-local last-error message.
 *
 * Every gradtap library function that can fail returns an int: GTAP_OK (0)
 * on success or one of the negative gtap_status codes below. Libraries never
 * exit() or abort(). When a call fails it also leaves a one-line message in
 * a thread-local buffer naming what failed (file, tensor, step, value):
 *
 *     int rc = gtap_reader_open(path, &reader);
 *     if (rc < 0) fprintf(stderr, "gradtap: %s\n", gtap_last_error());
 *
 * This header belongs to gradtap_core, which has no dependencies; capture,
 * analysis and cuda all use it.
 */
#ifndef GRADTAP_STATUS_H
#define GRADTAP_STATUS_H

#include "gradtap/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum gtap_status {
    GTAP_OK = 0,
    GTAP_EINVAL = -1,       /* an argument is invalid (NULL, out of range) */
    GTAP_ENOMEM = -2,       /* memory allocation failed */
    GTAP_EIO = -3,          /* a system or HDF5 I/O call failed */
    GTAP_EFORMAT = -4,      /* the input is not in the expected format */
    GTAP_EVERSION = -5,     /* a gradtap file of an unsupported version */
    GTAP_ENOTFOUND = -6,    /* no such file, tensor, kind or step */
    GTAP_EOVERFLOW = -7,    /* a size or count overflows its type */
    GTAP_EDTYPE = -8,       /* unsupported data type */
    GTAP_ENONFINITE = -9,   /* NaN or Inf where finite values are required */
    GTAP_ESTATE = -10,      /* the object is in the wrong state for the call */
    GTAP_EEXIST = -11,      /* already exists (e.g. a snapshot at that step) */
    GTAP_EUNSUPPORTED = -12,/* feature not built in (CUDA, MPI, a filter) */
    GTAP_ECUDA = -13,       /* a CUDA runtime call failed */
    GTAP_EMPI = -14,        /* an MPI call failed */
    GTAP_EDISABLED = -15,   /* capture turned itself off after an error */
    GTAP_EINTERNAL = -16,   /* a bug in gradtap: please report it */
    GTAP_EBUSY = -17        /* the file is being written by another writer (its lock is held) */
} gtap_status;

/* gtap_strerror() - a short, static, human-readable name for a status code.
 * @return never NULL; "unknown status" for codes not listed above. */
GTAP_API const char *gtap_strerror(int status);

/* gtap_last_error() - the detail message of the last failing call on this
 * thread ("" when none). The pointer stays valid until the next gradtap call
 * on this thread; copy it if you need it longer. */
GTAP_API const char *gtap_last_error(void);

/* gtap_set_error() - record a failure: formats the message (printf-style)
 * into this thread's last-error buffer (truncated at 1023 bytes) and returns
 * `status`, so library code can write `return gtap_set_error(GTAP_EINVAL,
 * "k=%llu > d=%llu", ...)`. A `status` of GTAP_OK clears the message. The
 * arguments may include gtap_last_error() itself, to add context to it. */
GTAP_API int gtap_set_error(int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* gtap_clear_error() - empty this thread's last-error message. */
GTAP_API void gtap_clear_error(void);

/* The version of the gradtap libraries, e.g. "0.1.0". */
GTAP_API const char *gtap_version(void);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_STATUS_H */
