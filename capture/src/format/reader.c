/* reader.c - the snapshot file reader (gradtap/format.h, docs/FORMAT.md).
 *
 * Opens a file normally, or in SWMR-read mode when it is being written (or
 * its SWMR writer died), validates the root attributes and each tensor's
 * attributes against its datasets, and reads snapshots (whole, by range, raw
 * or widened to float32). Only rows covered by `steps` are ever returned. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commit.h"
#include "format_internal.h"
#include "h5util.h"

typedef struct reader_kind {
    int present;
    hid_t data;        /* H5I_INVALID_HID when numel == 0 */
    hid_t steps_set;
    int64_t *steps;    /* committed steps, increasing */
    size_t count;
} reader_kind;

typedef struct reader_tensor {
    char *name;
    char *key;
    uint64_t numel;
    gtap_dtype dtype;
    hid_t group;
    gtap_compression compression;
    reader_kind kinds[GTAP_KIND_COUNT];
} reader_tensor;

struct gtap_reader {
    hid_t file;
    char *path;
    gtap_file_info info;
    reader_tensor *tensors;
    size_t tensor_count;
    size_t tensor_capacity;
    int swmr_read;
};

static char *duplicate_string(const char *text)
{
    size_t length = strlen(text) + 1;
    char *copy = malloc(length);
    if (copy) memcpy(copy, text, length);
    return copy;
}

static void release_kind(reader_kind *kind)
{
    if (kind->data >= 0) H5Dclose(kind->data);
    if (kind->steps_set >= 0) H5Dclose(kind->steps_set);
    free(kind->steps);
    kind->data = kind->steps_set = H5I_INVALID_HID;
    kind->steps = NULL;
    kind->count = 0;
}

void gtap_reader_close(gtap_reader *reader)
{
    if (reader == NULL) return;
    for (size_t i = 0; i < reader->tensor_count; i++) {
        reader_tensor *tensor = &reader->tensors[i];
        for (int k = 0; k < GTAP_KIND_COUNT; k++) release_kind(&tensor->kinds[k]);
        if (tensor->group >= 0) H5Gclose(tensor->group);
        free(tensor->name);
        free(tensor->key);
    }
    if (reader->file >= 0) H5Fclose(reader->file);
    free(reader->tensors);
    free(reader->path);
    free(reader);
}

/* (Re)load the committed steps of one kind. A complete file must be all
 * committed: steps increase and every step has its data row. A file still
 * being written, or left by a killed writer, may end in rows that are not
 * committed yet (commit.h): only the committed prefix is used. */
static int load_steps(gtap_reader *reader, reader_tensor *tensor, gtap_kind kind_code)
{
    reader_kind *kind = &tensor->kinds[kind_code];
    int64_t *steps;
    size_t count;
    if (gtap_commit_log_read(kind->steps_set, reader->swmr_read, &steps, &count) < 0)
        return gtap_set_error(GTAP_EFORMAT, "%s: '%s' (%s): %s", reader->path, tensor->name,
                              gtap_kind_name(kind_code), gtap_last_error());
    size_t committed = gtap_commit_prefix(steps, count);
    hsize_t dims[2] = {0, 0};
    int rank = 2;
    if (kind->data >= 0) {
        if (reader->swmr_read) H5Drefresh(kind->data);
        hid_t data_space = H5Dget_space(kind->data);
        rank = data_space >= 0 ? H5Sget_simple_extent_dims(data_space, dims, NULL) : -1;
        if (data_space >= 0) H5Sclose(data_space);
        if (rank == 2 && dims[0] < committed) committed = (size_t)dims[0];
    }
    const char *problem = NULL;
    if (rank != 2 || (kind->data >= 0 && dims[1] != tensor->numel)) problem = "data shape does not match numel";
    else if (reader->info.complete && committed < count) problem = "steps are not all committed";
    if (problem != NULL) {
        free(steps);
        return gtap_set_error(GTAP_EFORMAT, "%s: '%s' (%s): %s (%zu of %zu steps valid and with data)", reader->path,
                              tensor->name, gtap_kind_name(kind_code), problem, committed, count);
    }
    free(kind->steps);
    kind->steps = steps;
    kind->count = committed;
    return GTAP_OK;
}

static gtap_compression data_compression(hid_t data)
{
    gtap_compression compression = GTAP_COMPRESS_NONE;
    hid_t create = H5Dget_create_plist(data);
    if (create < 0) return compression;
    int filters = H5Pget_nfilters(create);
    for (int i = 0; i < filters; i++) {
        unsigned flags, config;
        size_t values = 0;
        char name[64];
        H5Z_filter_t id = H5Pget_filter2(create, (unsigned)i, &flags, &values, NULL, sizeof name, name, &config);
        if (id == H5Z_FILTER_DEFLATE) compression = GTAP_COMPRESS_GZIP;
        else if (id == 32004) compression = GTAP_COMPRESS_LZ4;
    }
    H5Pclose(create);
    return compression;
}

/* What a stored type is, for messages: "float64", "uint64", "string", ... */
static void describe_type(hid_t type, char *text, size_t capacity)
{
    H5T_class_t type_class = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    size_t bits = type >= 0 ? 8 * H5Tget_size(type) : 0;
    if (type_class == H5T_INTEGER)
        snprintf(text, capacity, "%sint%zu", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
    else if (type_class == H5T_FLOAT) snprintf(text, capacity, "float%zu", bits);
    else if (type_class == H5T_STRING) snprintf(text, capacity, "a string");
    else snprintf(text, capacity, "HDF5 type class %d", (int)type_class);
}

/* `steps` must be int64 (docs/FORMAT.md): HDF5 would convert float64 or
 * uint64 values silently. */
static int check_steps_type(gtap_reader *reader, reader_tensor *tensor, const char *kind_name, hid_t steps)
{
    hid_t type = H5Dget_type(steps);
    int ok = type >= 0 && H5Tget_class(type) == H5T_INTEGER && H5Tget_size(type) == 8 &&
             H5Tget_sign(type) == H5T_SGN_2;
    char found[64];
    describe_type(type, found, sizeof found);
    if (type >= 0) H5Tclose(type);
    if (ok) return GTAP_OK;
    return gtap_set_error(GTAP_EFORMAT, "%s: '%s' (%s): steps are stored as %s, not int64 (docs/FORMAT.md)",
                          reader->path, tensor->name, kind_name, found);
}

/* No filter gradtap writes compresses more than this (deflate: at most
 * about 1032:1, LZ4: 255:1): a dataset that stores less than 1/RATIO of its
 * committed rows claims a numel its file cannot hold (docs/FORMAT.md). */
enum { MAX_COMPRESSION_RATIO = 4096 };

static int check_storage(gtap_reader *reader, reader_tensor *tensor, gtap_kind kind_code)
{
    reader_kind *kind = &tensor->kinds[kind_code];
    if (kind->data < 0 || kind->count == 0) return GTAP_OK;
    uint64_t row_bytes = tensor->numel * gtap_dtype_size(tensor->dtype); /* numel < 2^61: checked at open */
    uint64_t least_per_row = row_bytes / MAX_COMPRESSION_RATIO, least = UINT64_MAX;
    if (least_per_row == 0 || (uint64_t)kind->count <= UINT64_MAX / least_per_row)
        least = least_per_row * (uint64_t)kind->count;
    uint64_t stored = H5Dget_storage_size(kind->data);
    if (stored >= least) return GTAP_OK;
    return gtap_set_error(GTAP_EFORMAT, "%s: '%s' (%s): numel %" PRIu64 " needs %" PRIu64 " bytes per snapshot, but "
                          "its data stores only %" PRIu64 " bytes for %zu snapshots (damaged file?)", reader->path,
                          tensor->name, gtap_kind_name(kind_code), tensor->numel, row_bytes, stored, kind->count);
}

static int open_kind(gtap_reader *reader, reader_tensor *tensor, gtap_kind kind_code)
{
    reader_kind *kind = &tensor->kinds[kind_code];
    const char *kind_name = gtap_kind_name(kind_code);
    if (H5Lexists(tensor->group, kind_name, H5P_DEFAULT) <= 0) return GTAP_OK;
    hid_t group = H5Gopen2(tensor->group, kind_name, H5P_DEFAULT);
    if (group < 0) return gtap_h5_error(GTAP_EFORMAT, "%s: '%s': cannot open %s", reader->path, tensor->name, kind_name);
    int rc = GTAP_OK;
    kind->steps_set = H5Dopen2(group, GTAP_H5_STEPS, H5P_DEFAULT);
    int has_data = H5Lexists(group, GTAP_H5_DATA, H5P_DEFAULT) > 0;
    if (tensor->numel > 0) {
        /* no chunk cache: the reader reads whole rows once, and HDF5's default
         * 1 MiB per open dataset grew with the number of tensors (--global) */
        hid_t access = H5Pcreate(H5P_DATASET_ACCESS);
        if (access >= 0) H5Pset_chunk_cache(access, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT);
        kind->data = H5Dopen2(group, GTAP_H5_DATA, access >= 0 ? access : H5P_DEFAULT);
        if (access >= 0) H5Pclose(access);
    }
    H5Gclose(group);
    if (kind->steps_set < 0 || (tensor->numel > 0 && kind->data < 0)) {
        rc = gtap_h5_error(GTAP_EFORMAT, "%s: '%s' (%s): missing steps or data", reader->path, tensor->name,
                           kind_name);
    } else if (tensor->numel == 0 && has_data) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: '%s' (%s): numel is 0 but it has a data dataset (data shape does "
                            "not match numel)", reader->path, tensor->name, kind_name);
    } else {
        rc = check_steps_type(reader, tensor, kind_name, kind->steps_set);
    }
    if (rc == GTAP_OK && kind->data >= 0) {
        hid_t type = H5Dget_type(kind->data);
        size_t size = type >= 0 ? H5Tget_size(type) : 0;
        H5T_class_t type_class = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
        if (type >= 0) H5Tclose(type);
        if (type_class != H5T_FLOAT || size != gtap_dtype_size(tensor->dtype))
            rc = gtap_set_error(GTAP_EFORMAT, "%s: '%s' (%s): stored type does not match dtype %s", reader->path,
                                tensor->name, kind_name, gtap_dtype_name(tensor->dtype));
        else
            tensor->compression = data_compression(kind->data);
    }
    if (rc == GTAP_OK) rc = load_steps(reader, tensor, kind_code);
    if (rc == GTAP_OK) rc = check_storage(reader, tensor, kind_code);
    if (rc == GTAP_OK) kind->present = 1;
    return rc;
}

static herr_t collect_tensor(hid_t group, const char *link_name, const H5L_info_t *info, void *data)
{
    (void)info;
    gtap_reader *reader = data;
    if (reader->tensor_count == reader->tensor_capacity) {
        size_t capacity = reader->tensor_capacity ? reader->tensor_capacity * 2 : 16;
        reader_tensor *grown = realloc(reader->tensors, capacity * sizeof *grown);
        if (grown == NULL) {
            gtap_set_error(GTAP_ENOMEM, "%s: no memory for the tensor list", reader->path);
            return -1;
        }
        reader->tensors = grown;
        reader->tensor_capacity = capacity;
    }
    reader_tensor *tensor = &reader->tensors[reader->tensor_count];
    memset(tensor, 0, sizeof *tensor);
    tensor->group = H5I_INVALID_HID;
    for (int k = 0; k < GTAP_KIND_COUNT; k++) tensor->kinds[k].data = tensor->kinds[k].steps_set = H5I_INVALID_HID;
    reader->tensor_count++;

    char name[4096], dtype_name[32];
    int64_t numel = -1;
    tensor->key = duplicate_string(link_name);
    tensor->group = H5Gopen2(group, link_name, H5P_DEFAULT);
    if (tensor->key == NULL || tensor->group < 0) {
        gtap_h5_error(GTAP_EFORMAT, "%s: cannot open tensor group '%s'", reader->path, link_name);
        return -1;
    }
    if (gtap_h5_read_string_attr(tensor->group, "name", name, sizeof name) < 0 ||
        gtap_h5_read_int_attr(tensor->group, "numel", &numel) < 0 ||
        gtap_h5_read_string_attr(tensor->group, "dtype", dtype_name, sizeof dtype_name) < 0) {
        gtap_set_error(GTAP_EFORMAT, "%s: tensor group '%s' lacks name, numel or dtype attributes", reader->path,
                       link_name);
        return -1;
    }
    tensor->name = duplicate_string(name);
    tensor->dtype = gtap_dtype_from_name(dtype_name);
    if (tensor->name == NULL || numel < 0 || numel > (INT64_MAX >> 2) || tensor->dtype == GTAP_DTYPE_INVALID) {
        gtap_set_error(GTAP_EFORMAT, "%s: tensor '%s' has numel %" PRId64 " and dtype '%s'", reader->path, name,
                       numel, dtype_name);
        return -1;
    }
    tensor->numel = (uint64_t)numel;
    for (int k = 0; k < GTAP_KIND_COUNT; k++)
        if (open_kind(reader, tensor, (gtap_kind)k) < 0) return -1;
    return 0;
}

static int compare_tensors(const void *a, const void *b)
{
    return strcmp(((const reader_tensor *)a)->name, ((const reader_tensor *)b)->name);
}

/* format_version exists but is no integer scalar: say what it is. */
static int version_type_error(gtap_reader *reader)
{
    char found[64] = "unreadable";
    double number = 0.0;
    hid_t attribute = H5Aopen(reader->file, "format_version", H5P_DEFAULT);
    hid_t type = attribute >= 0 ? H5Aget_type(attribute) : H5I_INVALID_HID;
    if (type >= 0) describe_type(type, found, sizeof found);
    int is_float = type >= 0 && H5Tget_class(type) == H5T_FLOAT;
    hid_t space = attribute >= 0 ? H5Aget_space(attribute) : H5I_INVALID_HID;
    int scalar = space >= 0 && H5Sget_simple_extent_npoints(space) == 1;
    int have_value = is_float && scalar && H5Aread(attribute, H5T_NATIVE_DOUBLE, &number) >= 0;
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (attribute >= 0) H5Aclose(attribute);
    H5Eclear2(H5E_DEFAULT);
    if (have_value)
        return gtap_set_error(GTAP_EFORMAT, "%s: format_version is the %s value %g, not an int64 (docs/FORMAT.md)",
                              reader->path, found, number);
    return gtap_set_error(GTAP_EFORMAT, "%s: format_version is %s%s, not an int64 scalar (docs/FORMAT.md)",
                          reader->path, found, scalar ? "" : " (not a scalar)");
}

static int read_root(gtap_reader *reader)
{
    gtap_file_info *info = &reader->info;
    char format[64];
    int64_t value = 0;
    if (gtap_h5_read_string_attr(reader->file, "format", format, sizeof format) < 0 ||
        strcmp(format, GTAP_FORMAT_NAME) != 0)
        return gtap_set_error(GTAP_EFORMAT, "%s: not a gradtap snapshot file (no format=\"%s\" attribute)",
                              reader->path, GTAP_FORMAT_NAME);
    int rc = gtap_h5_read_int_attr(reader->file, "format_version", &value);
    if (rc == GTAP_ENOTFOUND) return gtap_set_error(GTAP_EFORMAT, "%s: no format_version attribute", reader->path);
    if (rc < 0) return version_type_error(reader);
    if (value < 1 || value > GTAP_FORMAT_VERSION)
        return gtap_set_error(GTAP_EVERSION, "%s: format version %" PRId64 " is not supported (this gradtap reads "
                              "1..%d)", reader->path, value, GTAP_FORMAT_VERSION);
    info->format_version = (int)value;
    if (gtap_h5_read_int_attr(reader->file, "rank", &value) < 0 || value < 0 || value > INT32_MAX)
        return gtap_set_error(GTAP_EFORMAT, "%s: bad or missing rank attribute", reader->path);
    info->rank = (int)value;
    if (gtap_h5_read_int_attr(reader->file, "world_size", &value) < 0 || value <= info->rank || value > INT32_MAX)
        return gtap_set_error(GTAP_EFORMAT, "%s: bad or missing world_size attribute", reader->path);
    info->world_size = (int)value;
    info->complete = gtap_h5_read_int_attr(reader->file, "complete", &value) == GTAP_OK && value == 1;
    info->swmr = gtap_h5_read_int_attr(reader->file, "swmr", &value) == GTAP_OK && value == 1;
    gtap_h5_read_string_attr(reader->file, "producer", info->producer, sizeof info->producer);
    gtap_h5_read_string_attr(reader->file, "run_id", info->run_id, sizeof info->run_id);
    gtap_h5_read_string_attr(reader->file, "created", info->created, sizeof info->created);
    gtap_clear_error();
    return GTAP_OK;
}

/* HDF5 retries a metadata read whose checksum fails, sleeping 1, 2, 4, ... ns
 * between tries; in SWMR-read mode it tried 100 times, so that a damaged
 * superblock or object header made it sleep 2^100 ns. With READ_ATTEMPTS
 * tries it sleeps at most 2^27 ns = 0.13 s in all (docs/FORMAT.md,
 * "Damaged and locked files"). */
enum { READ_ATTEMPTS = 27 };

static herr_t find_lock_message(unsigned depth, const H5E_error2_t *error, void *data)
{
    (void)depth;
    if (error->desc != NULL && strstr(error->desc, "unable to lock") != NULL) *(int *)data = 1;
    return 0;
}

/* 1 when HDF5's error stack says a file lock is held. */
static int failed_on_lock(void)
{
    int locked = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_lock_message, &locked);
    return locked;
}

/* Open normally, else in SWMR-read mode (a file being written, or left by a
 * crashed SWMR writer): one fallback, each with bounded metadata retries. */
static int open_hdf5(gtap_reader *reader, const char *path)
{
    reader->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); /* non-SWMR: HDF5 reads once */
    if (reader->file >= 0) return GTAP_OK;
    int locked = failed_on_lock();
    H5Eclear2(H5E_DEFAULT);
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    if (access >= 0 && H5Pset_metadata_read_attempts(access, READ_ATTEMPTS) >= 0)
        reader->file = H5Fopen(path, H5F_ACC_RDONLY | H5F_ACC_SWMR_READ, access);
    reader->swmr_read = reader->file >= 0;
    int rc = GTAP_OK;
    if (reader->file < 0 && (locked || failed_on_lock()))
        rc = gtap_h5_error(GTAP_EBUSY, "%s: is locked by another process (in use by a writer); try again once it "
                           "has closed the file", path);
    else if (reader->file < 0)
        rc = gtap_h5_error(GTAP_EFORMAT, "%s: cannot open as HDF5 (truncated or damaged?)", path);
    if (access >= 0) H5Pclose(access); /* after the messages: a call clears HDF5's error stack */
    return rc;
}

/* The tensors, sorted by name. */
static int read_tensors(gtap_reader *reader, const char *path)
{
    hid_t tensors = H5Gopen2(reader->file, GTAP_H5_TENSORS_GROUP, H5P_DEFAULT);
    if (tensors < 0) return gtap_h5_error(GTAP_EFORMAT, "%s: no /%s group", path, GTAP_H5_TENSORS_GROUP);
    gtap_clear_error();
    herr_t listed = H5Literate(tensors, H5_INDEX_NAME, H5_ITER_INC, NULL, collect_tensor, reader);
    H5Gclose(tensors);
    if (listed < 0)
        return gtap_last_error()[0] ? GTAP_EFORMAT : gtap_h5_error(GTAP_EFORMAT, "%s: cannot list tensors", path);
    if (reader->tensor_count > 1) /* an empty group leaves tensors NULL, which qsort must not get */
        qsort(reader->tensors, reader->tensor_count, sizeof *reader->tensors, compare_tensors);
    reader->info.tensor_count = reader->tensor_count;
    return GTAP_OK;
}

int gtap_reader_open(const char *path, gtap_reader **out)
{
    if (out == NULL || path == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_reader_open: NULL argument");
    *out = NULL;
    gtap_h5_silence();
    struct stat file_stat;
    if (stat(path, &file_stat) != 0)
        return gtap_set_error(errno == ENOENT ? GTAP_ENOTFOUND : GTAP_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(file_stat.st_mode)) return gtap_set_error(GTAP_EFORMAT, "%s: is a directory", path);
    if (!S_ISREG(file_stat.st_mode)) /* a FIFO or device would block or never end */
        return gtap_set_error(GTAP_EFORMAT, "%s: not a regular file", path);

    gtap_reader *reader = calloc(1, sizeof *reader);
    if (reader == NULL) return gtap_set_error(GTAP_ENOMEM, "reader: out of memory");
    reader->file = H5I_INVALID_HID;
    reader->path = duplicate_string(path);
    if (reader->path == NULL) {
        free(reader);
        return gtap_set_error(GTAP_ENOMEM, "reader: out of memory");
    }
    int rc = GTAP_OK;
    if (H5Fis_hdf5(path) <= 0) {
        H5Eclear2(H5E_DEFAULT);
        rc = gtap_set_error(GTAP_EFORMAT, "%s: not an HDF5 file", path);
        goto fail;
    }
    if ((rc = open_hdf5(reader, path)) < 0) goto fail;
    if ((rc = read_root(reader)) < 0) goto fail;
    reader->info.file_bytes = (uint64_t)file_stat.st_size;
    if ((rc = read_tensors(reader, path)) < 0) goto fail;
    *out = reader;
    return GTAP_OK;
fail: {
        char message[1024];
        snprintf(message, sizeof message, "%s", gtap_last_error());
        gtap_reader_close(reader);
        return gtap_set_error(rc, "%s", message);
    }
}

const char *gtap_reader_path(const gtap_reader *reader)
{
    return reader ? reader->path : "";
}

int gtap_reader_file_info(gtap_reader *reader, gtap_file_info *info)
{
    if (reader == NULL || info == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_reader_file_info: NULL argument");
    *info = reader->info;
    return GTAP_OK;
}

size_t gtap_reader_tensor_count(const gtap_reader *reader)
{
    return reader ? reader->tensor_count : 0;
}

static int check_tensor(gtap_reader *reader, size_t index)
{
    if (reader == NULL) return gtap_set_error(GTAP_EINVAL, "reader: NULL reader");
    if (index >= reader->tensor_count)
        return gtap_set_error(GTAP_EINVAL, "%s: tensor index %zu out of range (%zu tensors)", reader->path, index,
                              reader->tensor_count);
    return GTAP_OK;
}

int gtap_reader_tensor(gtap_reader *reader, size_t index, gtap_tensor_info *info)
{
    int rc = check_tensor(reader, index);
    if (rc < 0) return rc;
    if (info == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_reader_tensor: NULL info");
    reader_tensor *tensor = &reader->tensors[index];
    memset(info, 0, sizeof *info);
    info->name = tensor->name;
    info->numel = tensor->numel;
    info->dtype = tensor->dtype;
    info->compression = tensor->compression;
    for (int k = 0; k < GTAP_KIND_COUNT; k++) {
        reader_kind *kind = &tensor->kinds[k];
        if (!kind->present) continue;
        if (kind->count > 0) info->kinds |= GTAP_KIND_BIT(k);
        if (kind->data >= 0) info->stored_bytes += H5Dget_storage_size(kind->data);
        info->stored_bytes += H5Dget_storage_size(kind->steps_set);
    }
    return GTAP_OK;
}

int gtap_reader_find_tensor(gtap_reader *reader, const char *name, size_t *index)
{
    if (reader == NULL || name == NULL || index == NULL)
        return gtap_set_error(GTAP_EINVAL, "gtap_reader_find_tensor: NULL argument");
    size_t low = 0, high = reader->tensor_count;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        int order = strcmp(reader->tensors[middle].name, name);
        if (order == 0) {
            *index = middle;
            return GTAP_OK;
        }
        if (order < 0) low = middle + 1;
        else high = middle;
    }
    return gtap_set_error(GTAP_ENOTFOUND, "%s: no tensor named '%s'", reader->path, name);
}

static int check_kind(gtap_reader *reader, size_t index, gtap_kind kind)
{
    int rc = check_tensor(reader, index);
    if (rc < 0) return rc;
    if ((int)kind < 0 || kind >= GTAP_KIND_COUNT)
        return gtap_set_error(GTAP_EINVAL, "%s: invalid kind code %d", reader->path, (int)kind);
    return GTAP_OK;
}

int gtap_reader_steps(gtap_reader *reader, size_t index, gtap_kind kind, int64_t *steps, size_t capacity,
                      size_t *count)
{
    int rc = check_kind(reader, index, kind);
    if (rc < 0) return rc;
    if (count == NULL || (capacity > 0 && steps == NULL))
        return gtap_set_error(GTAP_EINVAL, "gtap_reader_steps: NULL argument");
    reader_kind *k = &reader->tensors[index].kinds[kind];
    *count = k->present ? k->count : 0;
    size_t copy = *count < capacity ? *count : capacity;
    if (copy > 0) memcpy(steps, k->steps, copy * sizeof *steps);
    return GTAP_OK;
}

static int find_row(gtap_reader *reader, size_t index, gtap_kind kind, int64_t step, hsize_t *row)
{
    reader_tensor *tensor = &reader->tensors[index];
    reader_kind *k = &tensor->kinds[kind];
    size_t low = 0, high = k->present ? k->count : 0;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (k->steps[middle] == step) {
            *row = middle;
            return GTAP_OK;
        }
        if (k->steps[middle] < step) low = middle + 1;
        else high = middle;
    }
    return gtap_set_error(GTAP_ENOTFOUND, "%s: tensor '%s' has no %s snapshot at step %" PRId64, reader->path,
                          tensor->name, gtap_kind_name(kind), step);
}

int gtap_reader_read_raw(gtap_reader *reader, size_t index, gtap_kind kind, int64_t step, uint64_t offset,
                         uint64_t count, void *out)
{
    int rc = check_kind(reader, index, kind);
    if (rc < 0) return rc;
    reader_tensor *tensor = &reader->tensors[index];
    if (offset > tensor->numel || count > tensor->numel - offset)
        return gtap_set_error(GTAP_EINVAL, "%s: range [%" PRIu64 ", +%" PRIu64 ") is outside '%s' (numel %" PRIu64 ")",
                              reader->path, offset, count, tensor->name, tensor->numel);
    hsize_t row = 0;
    if ((rc = find_row(reader, index, kind, step, &row)) < 0) return rc;
    if (count == 0) return GTAP_OK;
    if (out == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_reader_read: NULL output buffer");
    reader_kind *k = &tensor->kinds[kind];
    hsize_t start[2] = {row, offset}, block[2] = {1, count};
    hid_t file_space = H5Dget_space(k->data);
    hid_t memory_space = H5Screate_simple(2, block, NULL);
    hid_t memory_type = gtap_h5_file_type(tensor->dtype);
    herr_t read = -1;
    if (file_space >= 0 && memory_space >= 0 && memory_type >= 0 &&
        H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, block, NULL) >= 0)
        read = H5Dread(k->data, memory_type, memory_space, file_space, H5P_DEFAULT, out);
    if (memory_type >= 0) H5Tclose(memory_type);
    if (memory_space >= 0) H5Sclose(memory_space);
    if (file_space >= 0) H5Sclose(file_space);
    if (read < 0)
        return gtap_h5_error(GTAP_EIO, "%s: cannot read '%s' (%s) step %" PRId64, reader->path, tensor->name,
                             gtap_kind_name(kind), step);
    return GTAP_OK;
}

int gtap_reader_read_range(gtap_reader *reader, size_t index, gtap_kind kind, int64_t step, uint64_t offset,
                           uint64_t count, float *out)
{
    int rc = check_kind(reader, index, kind);
    if (rc < 0) return rc;
    reader_tensor *tensor = &reader->tensors[index];
    if (tensor->dtype == GTAP_FLOAT32) return gtap_reader_read_raw(reader, index, kind, step, offset, count, out);
    /* 16-bit data: read into the upper half of `out`, then widen in place
     * from the front (element i is read before out[i] overwrites it). */
    if (out == NULL && count > 0) return gtap_set_error(GTAP_EINVAL, "gtap_reader_read: NULL output buffer");
    uint16_t *raw = out ? (uint16_t *)(void *)out + count : NULL;
    rc = gtap_reader_read_raw(reader, index, kind, step, offset, count, raw);
    if (rc < 0 || count == 0) return rc;
    for (uint64_t i = 0; i < count; i++) {
        uint16_t bits = raw[i];
        out[i] = tensor->dtype == GTAP_FLOAT16 ? gtap_half_to_float(bits) : gtap_bf16_to_float(bits);
    }
    return GTAP_OK;
}

int gtap_reader_read(gtap_reader *reader, size_t index, gtap_kind kind, int64_t step, float *out)
{
    int rc = check_kind(reader, index, kind);
    if (rc < 0) return rc;
    return gtap_reader_read_range(reader, index, kind, step, 0, reader->tensors[index].numel, out);
}

int gtap_reader_meta(gtap_reader *reader, const char *key, char *value, size_t capacity)
{
    if (reader == NULL || key == NULL || value == NULL)
        return gtap_set_error(GTAP_EINVAL, "gtap_reader_meta: NULL argument");
    hid_t meta = H5Gopen2(reader->file, GTAP_H5_META_GROUP, H5P_DEFAULT);
    if (meta < 0) return gtap_h5_error(GTAP_ENOTFOUND, "%s: no /meta group", reader->path);
    int rc = gtap_h5_read_string_attr(meta, key, value, capacity);
    H5Gclose(meta);
    if (rc == GTAP_ENOTFOUND) return gtap_set_error(rc, "%s: no metadata key '%s'", reader->path, key);
    return rc;
}

size_t gtap_reader_meta_count(gtap_reader *reader)
{
    if (reader == NULL) return 0;
    hid_t meta = H5Gopen2(reader->file, GTAP_H5_META_GROUP, H5P_DEFAULT);
    if (meta < 0) {
        H5Eclear2(H5E_DEFAULT);
        return 0;
    }
    H5O_info_t info;
    size_t count = 0;
    if (H5Oget_info2(meta, &info, H5O_INFO_NUM_ATTRS) >= 0) count = (size_t)info.num_attrs;
    H5Gclose(meta);
    return count;
}

int gtap_reader_meta_key(gtap_reader *reader, size_t index, char *key, size_t capacity)
{
    if (reader == NULL || key == NULL || capacity == 0)
        return gtap_set_error(GTAP_EINVAL, "gtap_reader_meta_key: bad argument");
    hid_t meta = H5Gopen2(reader->file, GTAP_H5_META_GROUP, H5P_DEFAULT);
    if (meta < 0) return gtap_h5_error(GTAP_ENOTFOUND, "%s: no /meta group", reader->path);
    ssize_t length = H5Aget_name_by_idx(meta, ".", H5_INDEX_NAME, H5_ITER_INC, index, key, capacity, H5P_DEFAULT);
    H5Gclose(meta);
    if (length < 0) return gtap_h5_error(GTAP_ENOTFOUND, "%s: no metadata key number %zu", reader->path, index);
    return GTAP_OK;
}

int gtap_reader_refresh(gtap_reader *reader)
{
    if (reader == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_reader_refresh: NULL reader");
    /* Always reload the steps: cheap, and right also when the writer is in
     * this process (HDF5 then shares one open file between both handles). */
    for (size_t i = 0; i < reader->tensor_count; i++) {
        for (int k = 0; k < GTAP_KIND_COUNT; k++) {
            if (!reader->tensors[i].kinds[k].present) continue;
            int rc = load_steps(reader, &reader->tensors[i], (gtap_kind)k);
            if (rc < 0) return rc;
        }
    }
    return GTAP_OK;
}

hid_t gtap_reader_hdf5_file(const gtap_reader *reader)
{
    return reader ? reader->file : H5I_INVALID_HID;
}
