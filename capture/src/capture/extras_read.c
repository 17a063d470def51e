/* extras_read.c - read capture's own datasets (summaries, skipped steps,
 * flat layouts; see extras.h) through an open gtap_reader. Like the
 * format's reader, only summaries whose step was committed are returned. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extras.h"
#include "gradtap/density.h"

/* Open the kind group (or, with kind < 0, the tensor group) of a reader's
 * tensor. H5I_INVALID_HID and *status when it fails; *status = GTAP_OK and
 * H5I_INVALID_HID when the group is absent. */
static hid_t open_group(gtap_reader *reader, size_t tensor, int kind, int *status)
{
    gtap_tensor_info info;
    *status = gtap_reader_tensor(reader, tensor, &info);
    if (*status < 0) return H5I_INVALID_HID;
    if (kind >= GTAP_KIND_COUNT) {
        *status = gtap_set_error(GTAP_EINVAL, "%s: invalid kind code %d", gtap_reader_path(reader), kind);
        return H5I_INVALID_HID;
    }
    hid_t file = gtap_reader_hdf5_file(reader);
    if (file < 0) {
        *status = gtap_set_error(GTAP_EINTERNAL, "%s: the reader's HDF5 file id was not found", gtap_reader_path(reader));
        return H5I_INVALID_HID;
    }
    hid_t group = extras_open_tensor_group(file, info.name);
    if (group < 0) {
        *status = GTAP_EFORMAT;
        return group;
    }
    if (kind < 0) return group;
    hid_t kind_group = H5I_INVALID_HID;
    if (H5Lexists(group, gtap_kind_name((gtap_kind)kind), H5P_DEFAULT) > 0)
        kind_group = H5Gopen2(group, gtap_kind_name((gtap_kind)kind), H5P_DEFAULT);
    H5Gclose(group);
    gtap_clear_error();
    return kind_group;
}

static hid_t open_child(hid_t parent, const char *name)
{
    if (parent < 0 || H5Lexists(parent, name, H5P_DEFAULT) <= 0) return H5I_INVALID_HID;
    return H5Oopen(parent, name, H5P_DEFAULT);
}

/* Rows of a 1-D or 2-D dataset (and its column count). */
static int dataset_shape(hid_t set, hsize_t *rows, hsize_t *columns)
{
    hsize_t dims[2] = {0, 0};
    H5Drefresh(set); /* a file still being written in SWMR mode */
    H5Eclear2(H5E_DEFAULT);
    hid_t space = H5Dget_space(set);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank >= 1 && rank <= 2) H5Sget_simple_extent_dims(space, dims, NULL);
    if (space >= 0) H5Sclose(space);
    if (rank < 1 || rank > 2) return -1;
    *rows = dims[0];
    *columns = rank == 2 ? dims[1] : 0;
    return 0;
}

static int read_row(hid_t set, hsize_t row, hsize_t columns, hid_t memory_type, void *out)
{
    int rank = columns ? 2 : 1;
    hsize_t start[2] = {row, 0}, count[2] = {1, columns};
    hid_t file_space = H5Dget_space(set);
    hid_t memory_space = H5Screate_simple(rank, count, NULL);
    int ok = file_space >= 0 && memory_space >= 0 &&
             H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
             H5Dread(set, memory_type, memory_space, file_space, H5P_DEFAULT, out) >= 0;
    if (memory_space >= 0) H5Sclose(memory_space);
    if (file_space >= 0) H5Sclose(file_space);
    return ok ? 0 : -1;
}

/* The committed values of a commit log (commit.h); caller frees *values.
 * A complete file must be all committed. */
static int read_log(gtap_reader *reader, hid_t log, int64_t **values, size_t *committed)
{
    size_t count = 0;
    int refresh = H5Drefresh(log) >= 0; /* a file still being written in SWMR mode */
    H5Eclear2(H5E_DEFAULT);
    if (gtap_commit_log_read(log, refresh, values, &count) < 0) return GTAP_EFORMAT;
    *committed = gtap_commit_prefix(*values, count);
    gtap_file_info info;
    gtap_reader_file_info(reader, &info);
    if (info.complete && *committed < count) {
        free(*values);
        *values = NULL;
        return gtap_set_error(GTAP_EFORMAT, "steps are not all committed (%zu of %zu)", *committed, count);
    }
    return GTAP_OK;
}

/* Summaries committed by the summary's `steps` whose rows are all there. */
static int summary_rows(gtap_reader *reader, hid_t summary, size_t *count)
{
    const char *names[4] = {EXTRAS_MOMENTS, EXTRAS_COUNTS, EXTRAS_HIST, EXTRAS_RATIOS};
    hid_t steps = open_child(summary, GTAP_H5_STEPS);
    int64_t *values = NULL;
    int rc = steps < 0 ? GTAP_EFORMAT : read_log(reader, steps, &values, count);
    free(values);
    if (steps >= 0) H5Oclose(steps);
    for (int d = 0; d < 4 && rc == GTAP_OK; d++) {
        hid_t set = open_child(summary, names[d]);
        if (set < 0 && d == 3) break; /* no densities: no ratios */
        hsize_t rows = 0, columns = 0;
        if (set < 0 || dataset_shape(set, &rows, &columns) < 0) rc = GTAP_EFORMAT;
        else if (rows < *count) *count = (size_t)rows;
        if (set >= 0) H5Oclose(set);
    }
    return rc;
}

int gtap_summary_count(gtap_reader *reader, size_t tensor, gtap_kind kind, size_t *count)
{
    if (reader == NULL || count == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_summary_count: NULL argument");
    *count = 0;
    int rc;
    hid_t group = open_group(reader, tensor, (int)kind, &rc);
    if (group < 0) return rc;
    hid_t summary = open_child(group, EXTRAS_SUMMARY);
    if (summary >= 0 && summary_rows(reader, summary, count) < 0) {
        char message[512];
        snprintf(message, sizeof message, "%s", gtap_last_error());
        rc = gtap_set_error(GTAP_EFORMAT, "%s: malformed summaries: %s", gtap_reader_path(reader), message);
        *count = 0;
    }
    if (summary >= 0) H5Oclose(summary);
    H5Gclose(group);
    return rc;
}

static int read_array_attr(hid_t object, const char *name, hid_t memory_type, void *out, size_t capacity,
                           size_t *count)
{
    *count = 0;
    if (H5Aexists(object, name) <= 0) return -1;
    hid_t attribute = H5Aopen(object, name, H5P_DEFAULT);
    hid_t space = attribute >= 0 ? H5Aget_space(attribute) : H5I_INVALID_HID;
    hssize_t points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
    H5S_class_t space_class = space >= 0 ? H5Sget_simple_extent_type(space) : H5S_NO_CLASS;
    int ok = points >= 0 && (size_t)points <= capacity;
    if (ok && space_class == H5S_SIMPLE && points > 0) ok = H5Aread(attribute, memory_type, out) >= 0;
    if (ok && space_class == H5S_SIMPLE) *count = (size_t)points;
    if (space >= 0) H5Sclose(space);
    if (attribute >= 0) H5Aclose(attribute);
    return ok ? 0 : -1;
}

static int read_summary_rows(hid_t summary, hsize_t index, gtap_summary *out)
{
    const char *names[4] = {EXTRAS_MOMENTS, EXTRAS_COUNTS, EXTRAS_HIST, EXTRAS_RATIOS};
    const hsize_t columns[4] = {GTAP_SUMMARY_MOMENT_COLUMNS, GTAP_SUMMARY_COUNT_COLUMNS, GTAP_SUMMARY_HIST_BINS,
                                out->density_count};
    int64_t counts[GTAP_SUMMARY_COUNT_COLUMNS], hist[GTAP_SUMMARY_HIST_BINS];
    void *targets[4] = {out->moments, counts, hist, out->ratios};
    const hid_t types[4] = {H5T_NATIVE_DOUBLE, H5T_NATIVE_INT64, H5T_NATIVE_INT64, H5T_NATIVE_DOUBLE};
    for (int d = 0; d < 4; d++) {
        if (d == 3 && out->density_count == 0) break;
        hid_t set = open_child(summary, names[d]);
        hsize_t rows = 0, stored_columns = 0;
        int ok = set >= 0 && dataset_shape(set, &rows, &stored_columns) == 0 && rows > index &&
                 stored_columns == columns[d] && read_row(set, index, columns[d], types[d], targets[d]) == 0;
        if (set >= 0) H5Oclose(set);
        if (!ok) return gtap_set_error(GTAP_EFORMAT, "summary dataset '%s' is missing or malformed", names[d]);
    }
    for (int i = 0; i < GTAP_SUMMARY_COUNT_COLUMNS; i++) out->counts[i] = (uint64_t)counts[i];
    for (int i = 0; i < GTAP_SUMMARY_HIST_BINS; i++) out->hist[i] = (uint64_t)hist[i];
    return GTAP_OK;
}

int gtap_summary_read(gtap_reader *reader, size_t tensor, gtap_kind kind, size_t index, gtap_summary *out)
{
    if (reader == NULL || out == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_summary_read: NULL argument");
    memset(out, 0, sizeof *out);
    size_t count = 0;
    int rc = gtap_summary_count(reader, tensor, kind, &count);
    if (rc < 0) return rc;
    if (index >= count)
        return gtap_set_error(GTAP_EINVAL, "%s: summary index %zu out of range (%zu summaries)", gtap_reader_path(reader),
                              index, count);
    hid_t group = open_group(reader, tensor, (int)kind, &rc);
    hid_t summary = open_child(group, EXTRAS_SUMMARY);
    hid_t steps = open_child(summary, GTAP_H5_STEPS);
    int64_t k[GTAP_SUMMARY_MAX_DENSITIES];
    size_t k_count = 0;
    if (steps < 0 || read_row(steps, index, 0, H5T_NATIVE_INT64, &out->step) < 0 ||
        read_array_attr(summary, "densities", H5T_NATIVE_DOUBLE, out->densities, GTAP_SUMMARY_MAX_DENSITIES,
                        &out->density_count) < 0 ||
        read_array_attr(summary, "k", H5T_NATIVE_INT64, k, GTAP_SUMMARY_MAX_DENSITIES, &k_count) < 0 ||
        k_count != out->density_count) {
        rc = gtap_set_error(GTAP_EFORMAT, "summary steps, densities or k attributes are malformed");
    } else {
        for (size_t i = 0; i < k_count; i++) out->k[i] = (uint64_t)k[i];
        rc = read_summary_rows(summary, index, out);
        /* k of the row's own d: the attribute holds it for the tensor's numel,
         * which the whole-model tensor's rows need not have */
        for (size_t i = 0; rc == GTAP_OK && i < k_count; i++) {
            uint64_t row_k = 0;
            if (gtap_k_from_density(out->densities[i], out->counts[GTAP_SUMMARY_COUNT], &row_k) == GTAP_OK) out->k[i] = row_k;
        }
    }
    if (steps >= 0) H5Oclose(steps);
    if (summary >= 0) H5Oclose(summary);
    if (group >= 0) H5Gclose(group);
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof message, "%s", gtap_last_error());
        return gtap_set_error(rc, "%s: tensor %zu (%s) summary %zu: %s", gtap_reader_path(reader), tensor,
                              gtap_kind_name(kind), index, message);
    }
    return GTAP_OK;
}

int gtap_skipped_steps(gtap_reader *reader, size_t tensor, gtap_kind kind, int64_t *steps, size_t capacity,
                       size_t *count)
{
    if (reader == NULL || count == NULL || (capacity > 0 && steps == NULL))
        return gtap_set_error(GTAP_EINVAL, "gtap_skipped_steps: NULL argument");
    *count = 0;
    int rc;
    hid_t group = open_group(reader, tensor, (int)kind, &rc);
    if (group < 0) return rc;
    hid_t set = open_child(group, EXTRAS_SKIPPED);
    size_t rows = 0;
    int64_t *values = NULL;
    if (set >= 0) {
        if (read_log(reader, set, &values, &rows) < 0)
            rc = gtap_set_error(GTAP_EFORMAT, "%s: malformed skipped steps", gtap_reader_path(reader));
        H5Oclose(set);
    }
    H5Gclose(group);
    if (rc == GTAP_OK) {
        *count = rows;
        size_t copy = *count < capacity ? *count : capacity;
        if (copy > 0) memcpy(steps, values, copy * sizeof *steps);
    }
    free(values);
    return rc;
}

int gtap_flat_layout_count(gtap_reader *reader, size_t tensor, size_t *count)
{
    if (reader == NULL || count == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_flat_layout_count: NULL argument");
    *count = 0;
    int rc;
    hid_t group = open_group(reader, tensor, -1, &rc);
    if (group < 0) return rc;
    hid_t layout = open_child(group, EXTRAS_LAYOUT);
    hid_t offsets = open_child(layout, "offsets");
    hsize_t rows = 0, columns = 0;
    if (layout >= 0 && (offsets < 0 || dataset_shape(offsets, &rows, &columns) < 0 || columns != 0))
        rc = gtap_set_error(GTAP_EFORMAT, "%s: malformed flat layout", gtap_reader_path(reader));
    *count = (size_t)rows;
    if (offsets >= 0) H5Oclose(offsets);
    if (layout >= 0) H5Oclose(layout);
    H5Gclose(group);
    return rc;
}

int gtap_flat_layout_entry(gtap_reader *reader, size_t tensor, size_t index, char *name, size_t capacity,
                           uint64_t *offset, uint64_t *numel)
{
    if (reader == NULL || name == NULL || capacity == 0 || offset == NULL || numel == NULL)
        return gtap_set_error(GTAP_EINVAL, "gtap_flat_layout_entry: NULL argument");
    size_t count = 0;
    int rc = gtap_flat_layout_count(reader, tensor, &count);
    if (rc < 0) return rc;
    if (index >= count)
        return gtap_set_error(GTAP_EINVAL, "%s: layout entry %zu out of range (%zu)", gtap_reader_path(reader), index,
                              count);
    hid_t group = open_group(reader, tensor, -1, &rc);
    hid_t layout = open_child(group, EXTRAS_LAYOUT);
    hid_t names = open_child(layout, "names"), offsets = open_child(layout, "offsets"),
          numels = open_child(layout, "numels");
    int64_t values[2] = {-1, -1};
    char *text = NULL;
    hid_t string_type = H5Tcopy(H5T_C_S1);
    H5Tset_size(string_type, H5T_VARIABLE);
    H5Tset_cset(string_type, H5T_CSET_UTF8);
    int ok = names >= 0 && offsets >= 0 && numels >= 0 &&
             read_row(offsets, index, 0, H5T_NATIVE_INT64, &values[0]) == 0 &&
             read_row(numels, index, 0, H5T_NATIVE_INT64, &values[1]) == 0 &&
             read_row(names, index, 0, string_type, &text) == 0 && values[0] >= 0 && values[1] >= 0;
    if (ok) {
        snprintf(name, capacity, "%s", text ? text : "");
        *offset = (uint64_t)values[0];
        *numel = (uint64_t)values[1];
    }
    if (text) H5free_memory(text);
    H5Tclose(string_type);
    if (names >= 0) H5Oclose(names);
    if (offsets >= 0) H5Oclose(offsets);
    if (numels >= 0) H5Oclose(numels);
    if (layout >= 0) H5Oclose(layout);
    if (group >= 0) H5Gclose(group);
    if (!ok) return gtap_set_error(GTAP_EFORMAT, "%s: layout entry %zu is malformed", gtap_reader_path(reader), index);
    return GTAP_OK;
}
