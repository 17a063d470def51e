/* extras_write.c - create and append capture's own datasets (summaries,
 * skipped steps, flat layouts; see extras.h) in the writer's file. Runs on
 * the writer thread only. Summary rows are kept and written in batches by
 * summary_rows.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/density.h"
#include "extras.h"

int extras_locate_file(gtap_capture *capture)
{
    hid_t file = gtap_writer_hdf5_file(capture->writer);
    if (file < 0) return gtap_set_error(GTAP_EINTERNAL, "%s: the writer has no open HDF5 file", capture->path);
    capture->file_id = (int64_t)file;
    return GTAP_OK;
}

hid_t extras_open_tensor_group(hid_t file, const char *tensor_name)
{
    size_t length = gtap_h5_escape_name(tensor_name, NULL, 0);
    char *path = malloc(length + sizeof GTAP_H5_TENSORS_GROUP + 2);
    if (path == NULL) {
        gtap_set_error(GTAP_ENOMEM, "out of memory");
        return H5I_INVALID_HID;
    }
    memcpy(path, GTAP_H5_TENSORS_GROUP "/", sizeof GTAP_H5_TENSORS_GROUP);
    gtap_h5_escape_name(tensor_name, path + sizeof GTAP_H5_TENSORS_GROUP, length + 1);
    hid_t group = H5Gopen2(file, path, H5P_DEFAULT);
    free(path);
    if (group < 0) gtap_h5_error(GTAP_EFORMAT, "tensor '%s': no group in the file", tensor_name);
    return group;
}

hid_t extras_open_kind_group(hid_t file, const char *tensor_name, gtap_kind kind)
{
    hid_t tensor = extras_open_tensor_group(file, tensor_name);
    if (tensor < 0) return tensor;
    hid_t group = H5I_INVALID_HID;
    if (H5Lexists(tensor, gtap_kind_name(kind), H5P_DEFAULT) > 0)
        group = H5Gopen2(tensor, gtap_kind_name(kind), H5P_DEFAULT);
    H5Gclose(tensor);
    if (group < 0) gtap_h5_error(GTAP_ENOTFOUND, "tensor '%s' has no %s group", tensor_name, gtap_kind_name(kind));
    return group;
}

/* An empty extendable dataset of rows with `columns` values (columns 0: 1-D). */
static int create_rows(hid_t parent, const char *name, hid_t type, hsize_t columns, hsize_t chunk_rows)
{
    int rank = columns ? 2 : 1;
    hsize_t dims[2] = {0, columns}, max_dims[2] = {H5S_UNLIMITED, columns}, chunk[2] = {chunk_rows, columns};
    hid_t space = H5Screate_simple(rank, dims, max_dims);
    hid_t create = H5Pcreate(H5P_DATASET_CREATE);
    hid_t set = H5I_INVALID_HID;
    if (space >= 0 && create >= 0 && H5Pset_chunk(create, rank, chunk) >= 0)
        set = H5Dcreate2(parent, name, type, space, H5P_DEFAULT, create, H5P_DEFAULT);
    if (create >= 0) H5Pclose(create);
    if (space >= 0) H5Sclose(space);
    if (set < 0) return gtap_h5_error(GTAP_EIO, "cannot create dataset '%s'", name);
    H5Dclose(set);
    return GTAP_OK;
}

static int write_array_attr(hid_t object, const char *name, hid_t file_type, hid_t memory_type, hsize_t count,
                            const void *values)
{
    hsize_t dims[1] = {count ? count : 1};
    hid_t space = count ? H5Screate_simple(1, dims, NULL) : H5Screate(H5S_NULL);
    hid_t attribute = space >= 0 ? H5Acreate2(object, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int ok = attribute >= 0 && (count == 0 || H5Awrite(attribute, memory_type, values) >= 0);
    if (attribute >= 0) H5Aclose(attribute);
    if (space >= 0) H5Sclose(space);
    if (!ok) return gtap_h5_error(GTAP_EIO, "cannot write attribute '%s'", name);
    return GTAP_OK;
}

static int create_summary(gtap_capture *capture, const capture_tensor *tensor, hid_t kind_group)
{
    hid_t group = H5Gcreate2(kind_group, EXTRAS_SUMMARY, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return gtap_h5_error(GTAP_EIO, "'%s': cannot create the summary group", tensor->name);
    int64_t k[GTAP_SUMMARY_MAX_DENSITIES];
    for (size_t i = 0; i < capture->density_count; i++) {
        uint64_t k_of_density = 0; /* an empty tensor has no k */
        if (tensor->numel > 0) (void)gtap_k_from_density(capture->densities[i], tensor->numel, &k_of_density);
        k[i] = (int64_t)k_of_density;
    }
    int rc = gtap_commit_log_create(group, GTAP_H5_STEPS, 1024);
    if (rc == GTAP_OK) rc = create_rows(group, EXTRAS_MOMENTS, H5T_IEEE_F64LE, GTAP_SUMMARY_MOMENT_COLUMNS, 256);
    if (rc == GTAP_OK) rc = create_rows(group, EXTRAS_COUNTS, H5T_STD_I64LE, GTAP_SUMMARY_COUNT_COLUMNS, 256);
    if (rc == GTAP_OK) rc = create_rows(group, EXTRAS_HIST, H5T_STD_I64LE, GTAP_SUMMARY_HIST_BINS, 64);
    if (rc == GTAP_OK && capture->density_count > 0)
        rc = create_rows(group, EXTRAS_RATIOS, H5T_IEEE_F64LE, capture->density_count, 256);
    if (rc == GTAP_OK)
        rc = write_array_attr(group, "densities", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, capture->density_count,
                              capture->densities);
    if (rc == GTAP_OK) rc = write_array_attr(group, "k", H5T_STD_I64LE, H5T_NATIVE_INT64, capture->density_count, k);
    if (rc == GTAP_OK) rc = gtap_h5_write_int_attr(group, "hist_min_exponent", GTAP_SUMMARY_HIST_MIN_EXPONENT);
    if (rc == GTAP_OK)
        rc = gtap_h5_write_string_attr(group, "moment_columns",
                                       "mean,variance,skewness,excess_kurtosis,min,max,norm2,abs_sum");
    if (rc == GTAP_OK)
        rc = gtap_h5_write_string_attr(group, "count_columns", "count,finite,zeros,nan,posinf,neginf");
    H5Gclose(group);
    return rc;
}

static int write_strings(hid_t parent, const char *name, const char *const *values, hsize_t count)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    hsize_t dims[1] = {count};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t set = H5I_INVALID_HID;
    int ok = type >= 0 && space >= 0 && H5Tset_size(type, H5T_VARIABLE) >= 0 && H5Tset_cset(type, H5T_CSET_UTF8) >= 0;
    if (ok) set = H5Dcreate2(parent, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ok = ok && set >= 0 && H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0;
    if (set >= 0) H5Dclose(set);
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    return ok ? GTAP_OK : gtap_h5_error(GTAP_EIO, "cannot write dataset '%s'", name);
}

static int write_int64s(hid_t parent, const char *name, const int64_t *values, hsize_t count)
{
    hsize_t dims[1] = {count};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t set = space >= 0 ? H5Dcreate2(parent, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                           : H5I_INVALID_HID;
    int ok = set >= 0 && H5Dwrite(set, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) >= 0;
    if (set >= 0) H5Dclose(set);
    if (space >= 0) H5Sclose(space);
    return ok ? GTAP_OK : gtap_h5_error(GTAP_EIO, "cannot write dataset '%s'", name);
}

static int create_layout(const capture_tensor *tensor, hid_t tensor_group)
{
    if (H5Lexists(tensor_group, EXTRAS_LAYOUT, H5P_DEFAULT) > 0) return GTAP_OK; /* reopened file */
    size_t count = tensor->layout_count;
    const char **names = malloc(count * sizeof *names);
    int64_t *offsets = malloc(count * sizeof *offsets);
    int64_t *numels = malloc(count * sizeof *numels);
    int rc = GTAP_ENOMEM;
    hid_t group = H5I_INVALID_HID;
    if (names == NULL || offsets == NULL || numels == NULL) {
        gtap_set_error(rc, "'%s': out of memory", tensor->name);
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        names[i] = tensor->layout[i].name;
        offsets[i] = (int64_t)tensor->layout[i].offset;
        numels[i] = (int64_t)tensor->layout[i].numel;
    }
    group = H5Gcreate2(tensor_group, EXTRAS_LAYOUT, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) {
        rc = gtap_h5_error(GTAP_EIO, "'%s': cannot create the layout group", tensor->name);
        goto done;
    }
    rc = write_strings(group, "names", names, count);
    if (rc == GTAP_OK) rc = write_int64s(group, "offsets", offsets, count);
    if (rc == GTAP_OK) rc = write_int64s(group, "numels", numels, count);
done:
    if (group >= 0) H5Gclose(group);
    free(names);
    free(offsets);
    free(numels);
    return rc;
}

int extras_open_logs(gtap_capture *capture, capture_tensor *tensor)
{
    int rc = GTAP_OK;
    for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++) {
        if (!(capture->kinds & GTAP_KIND_BIT(kind))) continue;
        hid_t group = extras_open_kind_group((hid_t)capture->file_id, tensor->name, (gtap_kind)kind);
        if (group < 0) return GTAP_EFORMAT;
        hid_t summary = capture->summary_every > 0 ? H5Gopen2(group, EXTRAS_SUMMARY, H5P_DEFAULT) : H5I_INVALID_HID;
        if (capture->summary_every > 0)
            rc = summary < 0 ? gtap_h5_error(GTAP_EFORMAT, "no summary group")
                             : gtap_writer_open_log(capture->writer, summary, GTAP_H5_STEPS, &tensor->summary_log[kind]);
        if (rc == GTAP_OK && capture->policy == GTAP_CAPTURE_SKIP)
            rc = gtap_writer_open_log(capture->writer, group, EXTRAS_SKIPPED, &tensor->skipped_log[kind]);
        if (summary >= 0) H5Gclose(summary);
        H5Gclose(group);
    }
    return rc;
}

int extras_prepare_tensor(gtap_capture *capture, capture_tensor *tensor)
{
    hid_t file = (hid_t)capture->file_id;
    int rc = GTAP_OK;
    if (tensor->layout != NULL) {
        hid_t tensor_group = extras_open_tensor_group(file, tensor->name);
        if (tensor_group < 0) return GTAP_EFORMAT;
        rc = create_layout(tensor, tensor_group);
        H5Gclose(tensor_group);
    }
    for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++) {
        if (!(capture->kinds & GTAP_KIND_BIT(kind))) continue;
        hid_t group = extras_open_kind_group(file, tensor->name, (gtap_kind)kind);
        if (group < 0) return GTAP_EFORMAT;
        if (capture->summary_every > 0 && H5Lexists(group, EXTRAS_SUMMARY, H5P_DEFAULT) <= 0)
            rc = create_summary(capture, tensor, group);
        if (rc == GTAP_OK && capture->policy == GTAP_CAPTURE_SKIP && H5Lexists(group, EXTRAS_SKIPPED, H5P_DEFAULT) <= 0)
            rc = gtap_commit_log_create(group, EXTRAS_SKIPPED, 1024);
        H5Gclose(group);
    }
    if (rc == GTAP_OK) rc = extras_open_logs(capture, tensor);
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof message, "%s", gtap_last_error());
        return gtap_set_error(rc, "%s: tensor '%s': %s", capture->path, tensor->name, message);
    }
    return GTAP_OK;
}

int extras_append_skipped(gtap_capture *capture, const capture_tensor *tensor, gtap_kind kind, int64_t step)
{
    int rc = gtap_writer_log_append(capture->writer, tensor->skipped_log[kind], step);
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof message, "%s", gtap_last_error());
        return gtap_set_error(rc, "%s: skipped step %lld of '%s' (%s): %s", capture->path, (long long)step,
                              tensor->name, gtap_kind_name(kind), message);
    }
    return GTAP_OK;
}
