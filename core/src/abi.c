/* abi.c - the size and version check of options structs (gradtap/abi.h). */
#include "gradtap/abi.h"

#include "gradtap/status.h"

int gtap_struct_check(const char *what, const char *init_function, size_t struct_size, unsigned struct_version, size_t library_size,
                      unsigned library_version)
{
    if (struct_size == library_size && struct_version == library_version) return GTAP_OK;
    return gtap_set_error(GTAP_EVERSION,
                          "%s of size %zu, version %u, where this library has size %zu, version %u (fill them with "
                          "%s() or its INIT macro, and build against this library's headers)",
                          what, struct_size, struct_version, library_size, library_version, init_function);
}
