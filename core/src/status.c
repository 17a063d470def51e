/* status.c - names of gtap_status codes and the thread-local last-error
 * message every gradtap library reports its failures through. */
#include "gradtap/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef GRADTAP_VERSION_STRING
#define GRADTAP_VERSION_STRING "unknown"
#endif

static _Thread_local char last_error_message[1024];

const char *gtap_strerror(int status)
{
    switch (status) {
    case GTAP_OK: return "success";
    case GTAP_EINVAL: return "invalid argument";
    case GTAP_ENOMEM: return "out of memory";
    case GTAP_EIO: return "I/O error";
    case GTAP_EFORMAT: return "bad format";
    case GTAP_EVERSION: return "unsupported format version";
    case GTAP_ENOTFOUND: return "not found";
    case GTAP_EOVERFLOW: return "size overflow";
    case GTAP_EDTYPE: return "unsupported data type";
    case GTAP_ENONFINITE: return "non-finite value";
    case GTAP_ESTATE: return "invalid state";
    case GTAP_EEXIST: return "already exists";
    case GTAP_EUNSUPPORTED: return "not supported by this build";
    case GTAP_ECUDA: return "CUDA error";
    case GTAP_EMPI: return "MPI error";
    case GTAP_EDISABLED: return "capture disabled after an error";
    case GTAP_EINTERNAL: return "internal error";
    case GTAP_EBUSY: return "file busy (being written)";
    default: return "unknown status";
    }
}

const char *gtap_last_error(void)
{
    return last_error_message;
}

void gtap_clear_error(void)
{
    last_error_message[0] = '\0';
}

int gtap_set_error(int status, const char *fmt, ...)
{
    if (status == GTAP_OK || fmt == NULL) {
        last_error_message[0] = '\0';
        return status;
    }
    /* formatted aside first: the arguments may include gtap_last_error() */
    char message[sizeof last_error_message];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    memcpy(last_error_message, message, sizeof message);
    return status;
}

const char *gtap_version(void)
{
    return GRADTAP_VERSION_STRING;
}
