/* table_h5.c - results files of bounds/fit/curve: tables written one HDF5
 * dataset per column (layout in gradtap/table_h5.h and docs/CLI.md). */
#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/table_h5.h"
#include "h5_helpers.h"

#include <unistd.h>

struct gtap_h5file {
    hid_t file;
    char *path;
};

int gtap_h5file_create(const char *path, const char *producer, gtap_h5file **out)
{
    if (path == NULL || out == NULL) return gtap_set_error(GTAP_EINVAL, "results file: NULL argument");
    *out = NULL;
    gtap_h5file *f = calloc(1, sizeof *f);
    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        return gtap_set_error(GTAP_ENOMEM, "results file: out of memory");
    }
    gtap_h5_silence();
    f->file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f->file < 0) {
        free(f->path);
        free(f);
        return gtap_set_error(GTAP_EIO, "%s: cannot create the results file", path);
    }
    int rc = gtap_h5_write_format(f->file, "gradtap-results", 1);
    if (rc == GTAP_OK) rc = gtap_h5_write_string_attr(f->file, "producer", producer ? producer : "gradtap");
    if (rc < 0) {
        gtap_h5file_close(f);
        return gtap_set_error(rc, "%s: cannot write attributes", path);
    }
    *out = f;
    return GTAP_OK;
}

int gtap_h5file_attr(gtap_h5file *f, const char *group, const char *key, const char *value)
{
    if (f == NULL || key == NULL || value == NULL) return gtap_set_error(GTAP_EINVAL, "results file: NULL argument");
    hid_t object = group ? H5Gopen2(f->file, group, H5P_DEFAULT) : f->file;
    if (object < 0) return gtap_set_error(GTAP_EIO, "%s: no table '%s'", f->path, group);
    int rc = gtap_h5_write_string_attr(object, key, value);
    if (group) H5Gclose(object);
    return rc < 0 ? gtap_set_error(rc, "%s: cannot write attribute '%s'", f->path, key) : GTAP_OK;
}

static int write_column(hid_t group, const gtap_h5col *c, uint64_t rows)
{
    hsize_t dims[1] = {(hsize_t)rows};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t type = -1, memory = -1;
    const void *data = c->data;
    const char **strings = NULL;
    if (c->type == GTAP_H5COL_F64) {
        type = H5Tcopy(H5T_IEEE_F64LE);
        memory = H5Tcopy(H5T_NATIVE_DOUBLE);
    } else if (c->type == GTAP_H5COL_I64) {
        type = H5Tcopy(H5T_STD_I64LE);
        memory = H5Tcopy(H5T_NATIVE_INT64);
    } else {
        type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        H5Tset_cset(type, H5T_CSET_UTF8);
        memory = H5Tcopy(type);
        strings = malloc((size_t)(rows ? rows : 1) * sizeof *strings);
        if (strings)
            for (uint64_t i = 0; i < rows; i++) {
                const char *s = ((const char *const *)c->data)[i];
                strings[i] = s ? s : "";
            }
        data = strings;
    }
    int ok = space >= 0 && type >= 0 && memory >= 0 && data != NULL;
    hid_t set = ok ? H5Dcreate2(group, c->name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    ok = set >= 0 && (rows == 0 || H5Dwrite(set, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    if (set >= 0) H5Dclose(set);
    if (memory >= 0) H5Tclose(memory);
    if (type >= 0) H5Tclose(type);
    if (space >= 0) H5Sclose(space);
    free(strings);
    return ok ? GTAP_OK : GTAP_EIO;
}

int gtap_h5file_table(gtap_h5file *f, const char *name, const gtap_h5col *columns, size_t count, uint64_t rows)
{
    if (f == NULL || name == NULL || (columns == NULL && count > 0))
        return gtap_set_error(GTAP_EINVAL, "results file: NULL argument");
    if (H5Lexists(f->file, name, H5P_DEFAULT) > 0) return gtap_set_error(GTAP_EEXIST, "%s: table '%s' exists", f->path, name);
    hid_t group = H5Gcreate2(f->file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return gtap_set_error(GTAP_EIO, "%s: cannot create table '%s'", f->path, name);
    size_t length = 1;
    for (size_t i = 0; i < count; i++) length += strlen(columns[i].name) + 1;
    char *names = calloc(length, 1);
    int rc = names ? GTAP_OK : GTAP_ENOMEM;
    for (size_t i = 0; i < count && rc == GTAP_OK; i++) {
        if (i) strcat(names, ",");
        strcat(names, columns[i].name);
        if ((rows > 0 && columns[i].data == NULL) || (rc = write_column(group, &columns[i], rows)) < 0) {
            rc = rc < 0 ? rc : GTAP_EINVAL;
            gtap_set_error(rc, "%s: cannot write column '%s/%s'", f->path, name, columns[i].name);
        }
    }
    if (rc == GTAP_OK && gtap_h5_write_string_attr(group, "columns", names) < 0)
        rc = gtap_set_error(GTAP_EIO, "%s: cannot label table '%s'", f->path, name);
    free(names);
    H5Gclose(group);
    return rc;
}

int gtap_h5file_close(gtap_h5file *f)
{
    if (f == NULL) return GTAP_OK;
    int rc = GTAP_OK;
    if (H5Fclose(f->file) < 0) rc = gtap_set_error(GTAP_EIO, "%s: cannot close the results file", f->path);
    free(f->path);
    free(f);
    return rc;
}

int gtap_h5file_identify(const char *path, char *format, size_t capacity)
{
    if (path == NULL || format == NULL || capacity == 0) return gtap_set_error(GTAP_EINVAL, "identify: NULL argument");
    format[0] = '\0';
    if (access(path, F_OK) != 0) return gtap_set_error(GTAP_ENOTFOUND, "%s: %s", path, strerror(errno));
    gtap_h5_silence();
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        return gtap_set_error(GTAP_EFORMAT, "%s: not an HDF5 file", path);
    }
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) {
        hid_t access_list = H5Pcreate(H5P_FILE_ACCESS); /* a file being written, or left by a killed writer */
        file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, access_list);
        H5Pclose(access_list);
    }
    if (file < 0) return gtap_h5_error(GTAP_EFORMAT, "%s: cannot open as HDF5", path);
    int rc = gtap_h5_read_string_attr(file, "format", format, capacity);
    H5Fclose(file);
    if (rc < 0) return gtap_set_error(GTAP_EFORMAT, "%s: not a gradtap file (no 'format' attribute)", path);
    return GTAP_OK;
}
