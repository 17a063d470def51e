/*
 * gradtap/abi.h - how gradtap's public options structs stay compatible.
 *
 * Every options struct a gradtap call takes (gtap_capture_options,
 * gtap_writer_options, gtap_sparsify_options, gtap_cuda_select_params,
 * gtap_train_options, gtap_model_options) begins with two fields:
 *
 *     size_t struct_size;       sizeof the struct, as the caller compiled it
 *     unsigned struct_version;  its layout version (GTAP_..._VERSION)
 *
 * set by the struct's _init() function or its INIT macro. Fill a struct
 * with one of those, then change the fields you need. A call given a struct
 * whose size or version is not the library's refuses it with GTAP_EVERSION
 * instead of reading fields that are not there: that happens to a program
 * built against other headers than the library it runs with, to a ctypes
 * mirror that is out of date, and to a struct that was never initialised.
 * A version goes up whenever a field is added, removed or changes meaning.
 */
#ifndef GRADTAP_ABI_H
#define GRADTAP_ABI_H

#include <stddef.h>

#include "gradtap/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* gtap_struct_check() - compare a struct's header with the library's.
 * `what` names the struct in the message (e.g. "writer options"),
 * `init_function` the function that fills it.
 * @return GTAP_OK when both size and version match; GTAP_EVERSION (message
 *         with both sizes and versions) otherwise. */
GTAP_API int gtap_struct_check(const char *what, const char *init_function, size_t struct_size, unsigned struct_version, size_t library_size,
                               unsigned library_version);

#ifdef __cplusplus
}
#endif

#endif /* GRADTAP_ABI_H */
