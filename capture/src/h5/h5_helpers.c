/* h5_helpers.c - the HDF5 helper module (h5_helpers.h). */
#include "h5_helpers.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gradtap/status.h"

void gtap_h5_silence(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static herr_t innermost_message(unsigned depth, const H5E_error2_t *error, void *data)
{
    char *message = data;
    if (depth == 0 && error->desc != NULL)
        snprintf(message, 256, "%s", error->desc);
    return 0;
}

int gtap_h5_error(int status, const char *fmt, ...)
{
    char what[768];
    char hdf5_message[256] = "";
    va_list args;
    va_start(args, fmt);
    vsnprintf(what, sizeof what, fmt, args);
    va_end(args);
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost_message, hdf5_message);
    H5Eclear2(H5E_DEFAULT);
    if (hdf5_message[0] != '\0')
        return gtap_set_error(status, "%s (HDF5: %s)", what, hdf5_message);
    return gtap_set_error(status, "%s", what);
}

int gtap_h5_write_string_attr(hid_t object, const char *name, const char *value)
{
    int status = GTAP_EIO;
    hid_t type = H5Tcopy(H5T_C_S1);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute = H5I_INVALID_HID;
    if (type < 0 || space < 0) goto done;
    if (H5Tset_size(type, H5T_VARIABLE) < 0 || H5Tset_cset(type, H5T_CSET_UTF8) < 0) goto done;
    if (H5Aexists(object, name) > 0 && H5Adelete(object, name) < 0) goto done;
    attribute = H5Acreate2(object, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    if (attribute < 0) goto done;
    if (H5Awrite(attribute, type, &value) < 0) goto done;
    status = GTAP_OK;
done:
    if (attribute >= 0) H5Aclose(attribute);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (status != GTAP_OK) return gtap_h5_error(status, "cannot write attribute '%s'", name);
    return status;
}

int gtap_h5_read_string_attr(hid_t object, const char *name, char *value, size_t capacity)
{
    if (capacity == 0) return gtap_set_error(GTAP_EINVAL, "no room for attribute '%s'", name);
    value[0] = '\0';
    if (H5Aexists(object, name) <= 0)
        return gtap_set_error(GTAP_ENOTFOUND, "attribute '%s' is missing", name);
    int status = GTAP_EFORMAT;
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    hid_t stored_type = attribute >= 0 ? H5Aget_type(attribute) : H5I_INVALID_HID;
    hid_t memory_type = H5I_INVALID_HID;
    if (stored_type < 0 || H5Tget_class(stored_type) != H5T_STRING) goto done;
    if (H5Tis_variable_str(stored_type) > 0) {
        char *text = NULL;
        memory_type = H5Tcopy(H5T_C_S1);
        H5Tset_size(memory_type, H5T_VARIABLE);
        H5Tset_cset(memory_type, H5Tget_cset(stored_type));
        if (H5Aread(attribute, memory_type, &text) < 0) goto done;
        snprintf(value, capacity, "%s", text ? text : "");
        H5free_memory(text);
    } else {
        size_t size = H5Tget_size(stored_type);
        char buffer[4096];
        if (size >= sizeof buffer) goto done;
        memory_type = H5Tcopy(H5T_C_S1);
        H5Tset_size(memory_type, size + 1);
        if (H5Aread(attribute, memory_type, buffer) < 0) goto done;
        buffer[size] = '\0';
        snprintf(value, capacity, "%s", buffer);
    }
    status = GTAP_OK;
done:
    if (memory_type >= 0) H5Tclose(memory_type);
    if (stored_type >= 0) H5Tclose(stored_type);
    if (attribute >= 0) H5Aclose(attribute);
    if (status != GTAP_OK) return gtap_h5_error(status, "attribute '%s' is not a readable string", name);
    return status;
}

/* A scalar numeric attribute: an existing one is rewritten in place (so this
 * also works in SWMR mode, where attributes cannot be created), a new one is
 * created with `file_type`. */
static int write_scalar_attr(hid_t object, const char *name, hid_t file_type, hid_t memory_type, const void *value)
{
    int status = GTAP_EIO;
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attribute = H5I_INVALID_HID;
    if (space < 0) goto done;
    if (H5Aexists(object, name) > 0) {
        attribute = H5Aopen(object, name, H5P_DEFAULT);
    } else {
        attribute = H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    }
    if (attribute < 0) goto done;
    if (H5Awrite(attribute, memory_type, value) < 0) goto done;
    status = GTAP_OK;
done:
    if (attribute >= 0) H5Aclose(attribute);
    if (space >= 0) H5Sclose(space);
    if (status != GTAP_OK) return gtap_h5_error(status, "cannot write attribute '%s'", name);
    return status;
}

int gtap_h5_write_int_attr(hid_t object, const char *name, int64_t value)
{
    return write_scalar_attr(object, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int gtap_h5_read_int_attr(hid_t object, const char *name, int64_t *value)
{
    if (H5Aexists(object, name) <= 0)
        return gtap_set_error(GTAP_ENOTFOUND, "attribute '%s' is missing", name);
    int status = GTAP_EFORMAT;
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    hid_t stored_type = attribute >= 0 ? H5Aget_type(attribute) : H5I_INVALID_HID;
    hid_t space = attribute >= 0 ? H5Aget_space(attribute) : H5I_INVALID_HID;
    if (stored_type < 0 || space < 0) goto done;
    if (H5Tget_class(stored_type) != H5T_INTEGER || H5Sget_simple_extent_npoints(space) != 1) goto done;
    if (H5Aread(attribute, H5T_NATIVE_INT64, value) < 0) goto done;
    status = GTAP_OK;
done:
    if (space >= 0) H5Sclose(space);
    if (stored_type >= 0) H5Tclose(stored_type);
    if (attribute >= 0) H5Aclose(attribute);
    if (status != GTAP_OK) return gtap_h5_error(status, "attribute '%s' is not an integer", name);
    return status;
}

int gtap_h5_write_rows(hid_t dataset, hsize_t first_row, hsize_t rows, hsize_t columns, hid_t memory_type,
                       const void *data)
{
    int rank = columns ? 2 : 1;
    hsize_t dims[2] = {first_row + rows, columns}, start[2] = {first_row, 0}, count[2] = {rows, columns};
    if (H5Dset_extent(dataset, dims) < 0) return -1;
    hid_t file_space = H5Dget_space(dataset);
    hid_t memory_space = H5Screate_simple(rank, count, NULL);
    int ok = file_space >= 0 && memory_space >= 0 &&
             H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dwrite(dataset, memory_type, memory_space, file_space, H5P_DEFAULT, data) >= 0;
    if (memory_space >= 0) H5Sclose(memory_space);
    if (file_space >= 0) H5Sclose(file_space);
    return ok ? 0 : -1;
}

int gtap_h5_write_double_attr(hid_t object, const char *name, double value)
{
    return write_scalar_attr(object, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

int gtap_h5_write_format(hid_t file, const char *kind, int64_t version)
{
    int rc = gtap_h5_write_string_attr(file, "format", kind);
    if (rc == GTAP_OK) rc = gtap_h5_write_int_attr(file, "format_version", version);
    return rc;
}
