/* writer.c - the snapshot file writer (gradtap/format.h, docs/FORMAT.md).
 *
 * Each (tensor, kind) is a group holding two extendable datasets: `data`
 * (rows of numel elements, one chunk row per snapshot) and `steps`, the
 * commit log of the data rows (commit.h): a snapshot is committed by its
 * step, written after its data row and, in SWMR mode, only once that row
 * has been flushed. Readers trust only the rows that `steps` commits. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gradtap/abi.h"
#include "commit.h"
#include "format_internal.h"
#include "h5util.h"
#include "lock.h"

#define LZ4_FILTER_ID 32004

typedef struct kind_datasets {
    hid_t group;
    hid_t data;        /* H5I_INVALID_HID when numel == 0 */
    size_t steps_log;  /* index in the writer's commit logs */
    uint64_t count;    /* data rows written: where the next one goes */
    int ready;
} kind_datasets;

typedef struct writer_tensor {
    char *name;
    char *key;
    uint64_t numel;
    gtap_dtype dtype;
    hid_t group;
    kind_datasets kinds[GTAP_KIND_COUNT];
} writer_tensor;

struct gtap_writer {
    hid_t file;
    hid_t tensors_group;
    hid_t meta_group;
    char *path;
    writer_tensor *tensors;
    size_t tensor_count;
    size_t tensor_capacity;
    gtap_compression compression;
    size_t max_chunk_bytes;
    int swmr;
    commit_logs logs;         /* every `steps` log, and capture's own (format_internal.h) */
    float *conversion_buffer; /* for gtap_writer_write_float32 */
    size_t conversion_bytes;
    int lock_fd;              /* holds PATH.lock (lock.h) until close; -1 once taken away */
    int failed;               /* an I/O error happened: never mark the file complete */
};

void gtap_writer_options_init(gtap_writer_options *options)
{
    if (options == NULL) return;
    const gtap_writer_options defaults = GTAP_WRITER_OPTIONS_INIT;
    *options = defaults;
}

static char *duplicate_string(const char *text)
{
    size_t length = strlen(text) + 1;
    char *copy = malloc(length);
    if (copy) memcpy(copy, text, length);
    return copy;
}

static int validate_options(const char *path, const gtap_writer_options *options)
{
    if (path == NULL || path[0] == '\0') return gtap_set_error(GTAP_EINVAL, "writer: empty path");
    int rc = gtap_struct_check("writer options", "gtap_writer_options_init",
                               options->struct_size, options->struct_version, sizeof *options, GTAP_WRITER_OPTIONS_VERSION);
    if (rc < 0) return rc;
    if (options->rank < 0 || options->world_size < 1 || options->rank >= options->world_size)
        return gtap_set_error(GTAP_EINVAL, "%s: rank %d is not in [0, world size %d)", path,
                              options->rank, options->world_size);
    if (options->compression < GTAP_COMPRESS_NONE || options->compression > GTAP_COMPRESS_LZ4)
        return gtap_set_error(GTAP_EINVAL, "%s: unknown compression %d", path, (int)options->compression);
    if (options->compression == GTAP_COMPRESS_LZ4 && H5Zfilter_avail(LZ4_FILTER_ID) <= 0)
        return gtap_h5_error(GTAP_EUNSUPPORTED,
                             "%s: LZ4 compression needs the HDF5 LZ4 filter plugin "
                             "(Debian package hdf5-filter-plugin)", path);
    if (options->compression == GTAP_COMPRESS_GZIP && H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0)
        return gtap_set_error(GTAP_EUNSUPPORTED, "%s: this HDF5 has no deflate filter", path);
    return GTAP_OK;
}

static void iso8601_now(char *out, size_t capacity)
{
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(out, capacity, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

static int write_root_attributes(gtap_writer *writer, const gtap_writer_options *options)
{
    char producer[300];
    char created[64];
    if (options->producer) snprintf(producer, sizeof producer, "%s", options->producer);
    else snprintf(producer, sizeof producer, "gradtap %s", gtap_version());
    iso8601_now(created, sizeof created);
    int rc;
    if ((rc = gtap_h5_write_format(writer->file, GTAP_FORMAT_NAME, GTAP_FORMAT_VERSION)) < 0) return rc;
    if ((rc = gtap_h5_write_string_attr(writer->file, "producer", producer)) < 0) return rc;
    if ((rc = gtap_h5_write_string_attr(writer->file, "run_id", options->run_id ? options->run_id : "")) < 0)
        return rc;
    if ((rc = gtap_h5_write_string_attr(writer->file, "created", created)) < 0) return rc;
    if ((rc = gtap_h5_write_int_attr(writer->file, "rank", options->rank)) < 0) return rc;
    if ((rc = gtap_h5_write_int_attr(writer->file, "world_size", options->world_size)) < 0) return rc;
    if ((rc = gtap_h5_write_int_attr(writer->file, "complete", 0)) < 0) return rc;
    if ((rc = gtap_h5_write_int_attr(writer->file, "swmr", 0)) < 0) return rc;
    return GTAP_OK;
}

static hid_t latest_format_access(void)
{
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    if (access >= 0) H5Pset_libver_bounds(access, H5F_LIBVER_LATEST, H5F_LIBVER_LATEST);
    return access;
}

static int grow_tensor_table(gtap_writer *writer)
{
    if (writer->tensor_count < writer->tensor_capacity) return GTAP_OK;
    size_t capacity = writer->tensor_capacity ? writer->tensor_capacity * 2 : 16;
    writer_tensor *grown = realloc(writer->tensors, capacity * sizeof *grown);
    if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "writer: no memory for the tensor table");
    writer->tensors = grown;
    writer->tensor_capacity = capacity;
    return GTAP_OK;
}

static void init_tensor_entry(writer_tensor *tensor)
{
    memset(tensor, 0, sizeof *tensor);
    tensor->group = H5I_INVALID_HID;
    for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
        tensor->kinds[kind].group = H5I_INVALID_HID;
        tensor->kinds[kind].data = H5I_INVALID_HID;
    }
}

static char *escaped_key(const char *name)
{
    size_t length = gtap_h5_escape_name(name, NULL, 0);
    char *key = malloc(length + 1);
    if (key) gtap_h5_escape_name(name, key, length + 1);
    return key;
}

/* Append mode: register the tensors already in the file. */
static herr_t load_existing_tensor(hid_t group, const char *link_name, const H5L_info_t *info, void *data)
{
    (void)info;
    gtap_writer *writer = data;
    char name[4096];
    char dtype_name[32];
    int64_t numel = 0;
    hid_t tensor_group = H5Gopen2(group, link_name, H5P_DEFAULT);
    if (tensor_group < 0) return -1;
    int rc = gtap_h5_read_string_attr(tensor_group, "name", name, sizeof name);
    if (rc == GTAP_OK) rc = gtap_h5_read_int_attr(tensor_group, "numel", &numel);
    if (rc == GTAP_OK) rc = gtap_h5_read_string_attr(tensor_group, "dtype", dtype_name, sizeof dtype_name);
    if (rc == GTAP_OK && (numel < 0 || gtap_dtype_from_name(dtype_name) == GTAP_DTYPE_INVALID)) rc = GTAP_EFORMAT;
    if (rc == GTAP_OK) rc = grow_tensor_table(writer);
    if (rc != GTAP_OK) {
        H5Gclose(tensor_group);
        gtap_set_error(GTAP_EFORMAT, "%s: tensor group '%s' is malformed", writer->path, link_name);
        return -1;
    }
    writer_tensor *tensor = &writer->tensors[writer->tensor_count];
    init_tensor_entry(tensor);
    tensor->name = duplicate_string(name);
    tensor->key = duplicate_string(link_name);
    tensor->numel = (uint64_t)numel;
    tensor->dtype = gtap_dtype_from_name(dtype_name);
    tensor->group = tensor_group;
    writer->tensor_count++;
    if (tensor->name == NULL || tensor->key == NULL) {
        gtap_set_error(GTAP_ENOMEM, "writer: out of memory");
        return -1;
    }
    return 0;
}

static int open_for_append(gtap_writer *writer)
{
    char format[64];
    int64_t version = 0;
    hid_t access = latest_format_access();
    writer->file = H5Fopen(writer->path, H5F_ACC_RDWR, access);
    H5Pclose(access);
    if (writer->file < 0) return gtap_h5_error(GTAP_EFORMAT, "%s: cannot open for appending", writer->path);
    if (gtap_h5_read_string_attr(writer->file, "format", format, sizeof format) != GTAP_OK ||
        strcmp(format, GTAP_FORMAT_NAME) != 0)
        return gtap_set_error(GTAP_EFORMAT, "%s: not a gradtap snapshot file", writer->path);
    if (gtap_h5_read_int_attr(writer->file, "format_version", &version) != GTAP_OK ||
        version < 1 || version > GTAP_FORMAT_VERSION)
        return gtap_set_error(GTAP_EVERSION, "%s: format version %" PRId64 " is not supported (this is %d)",
                              writer->path, version, GTAP_FORMAT_VERSION);
    writer->tensors_group = H5Gopen2(writer->file, GTAP_H5_TENSORS_GROUP, H5P_DEFAULT);
    writer->meta_group = H5Gopen2(writer->file, GTAP_H5_META_GROUP, H5P_DEFAULT);
    if (writer->tensors_group < 0 || writer->meta_group < 0)
        return gtap_h5_error(GTAP_EFORMAT, "%s: missing /tensors or /meta group", writer->path);
    if (H5Literate(writer->tensors_group, H5_INDEX_NAME, H5_ITER_INC, NULL, load_existing_tensor, writer) < 0) {
        if (gtap_last_error()[0] == '\0')
            return gtap_h5_error(GTAP_EFORMAT, "%s: cannot list tensors", writer->path);
        return GTAP_EFORMAT;
    }
    return gtap_h5_write_int_attr(writer->file, "complete", 0);
}

static int create_new(gtap_writer *writer, const gtap_writer_options *options)
{
    struct stat existing;
    if (!options->truncate && stat(writer->path, &existing) == 0)
        return gtap_set_error(GTAP_EEXIST, "%s: file exists (use truncate or append)", writer->path);
    hid_t access = latest_format_access();
    writer->file = H5Fcreate(writer->path, H5F_ACC_TRUNC, H5P_DEFAULT, access);
    H5Pclose(access);
    if (writer->file < 0) return gtap_h5_error(GTAP_EIO, "%s: cannot create file: %s", writer->path, strerror(errno));
    writer->tensors_group = H5Gcreate2(writer->file, GTAP_H5_TENSORS_GROUP, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    writer->meta_group = H5Gcreate2(writer->file, GTAP_H5_META_GROUP, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (writer->tensors_group < 0 || writer->meta_group < 0)
        return gtap_h5_error(GTAP_EIO, "%s: cannot create groups", writer->path);
    return write_root_attributes(writer, options);
}

/* Release what a failed create opened; the lock last (the file is closed). */
static void discard_writer(gtap_writer *writer)
{
    if (writer->tensors_group >= 0) H5Gclose(writer->tensors_group);
    if (writer->meta_group >= 0) H5Gclose(writer->meta_group);
    for (size_t i = 0; i < writer->tensor_count; i++) {
        if (writer->tensors[i].group >= 0) H5Gclose(writer->tensors[i].group);
        free(writer->tensors[i].name);
        free(writer->tensors[i].key);
    }
    if (writer->file >= 0) H5Fclose(writer->file);
    gtap_lock_release(writer->path, writer->lock_fd);
    free(writer->tensors);
    free(writer->path);
    free(writer);
}

int gtap_writer_create_locked(const char *path, const gtap_writer_options *options, int lock_fd, gtap_writer **out)
{
    gtap_writer *writer = calloc(1, sizeof *writer);
    char *path_copy = duplicate_string(path);
    if (writer == NULL || path_copy == NULL) {
        free(writer);
        free(path_copy);
        gtap_lock_release(path, lock_fd);
        return gtap_set_error(GTAP_ENOMEM, "writer: out of memory");
    }
    writer->file = writer->tensors_group = writer->meta_group = H5I_INVALID_HID;
    writer->compression = options->compression;
    writer->max_chunk_bytes = options->max_chunk_bytes ? options->max_chunk_bytes : (1u << 20);
    writer->path = path_copy;
    writer->lock_fd = lock_fd;
    struct stat existing;
    int rc;
    if (options->append && stat(path, &existing) == 0) rc = open_for_append(writer);
    else rc = create_new(writer, options);
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof message, "%s", gtap_last_error());
        discard_writer(writer);
        return gtap_set_error(rc, "%s", message);
    }
    *out = writer;
    return GTAP_OK;
}

int gtap_writer_create(const char *path, const gtap_writer_options *options, gtap_writer **out)
{
    if (out == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_writer_create: NULL output");
    *out = NULL;
    gtap_writer_options defaults;
    gtap_writer_options_init(&defaults);
    if (options == NULL) options = &defaults;
    gtap_h5_silence();
    int rc = validate_options(path, options);
    if (rc < 0) return rc;
    /* the lock first: nothing may touch a file another writer is writing */
    int lock_fd;
    if ((rc = gtap_lock_acquire(path, &lock_fd)) < 0) return rc;
    return gtap_writer_create_locked(path, options, lock_fd, out);
}

void gtap_writer_release_lock(const char *path, int lock_fd)
{
    gtap_lock_release(path, lock_fd);
}

int gtap_writer_take_lock(gtap_writer *writer)
{
    int fd = writer->lock_fd;
    writer->lock_fd = -1;
    return fd;
}

static writer_tensor *find_tensor(gtap_writer *writer, const char *name)
{
    for (size_t i = 0; i < writer->tensor_count; i++)
        if (strcmp(writer->tensors[i].name, name) == 0) return &writer->tensors[i];
    return NULL;
}

int gtap_writer_set_meta(gtap_writer *writer, const char *key, const char *value)
{
    if (writer == NULL || key == NULL || value == NULL)
        return gtap_set_error(GTAP_EINVAL, "gtap_writer_set_meta: NULL argument");
    size_t length = strlen(key);
    if (length == 0 || length > 255 || strchr(key, '/') != NULL)
        return gtap_set_error(GTAP_EINVAL, "metadata key '%s' must be 1..255 bytes without '/'", key);
    if (writer->swmr)
        return gtap_set_error(GTAP_ESTATE, "%s: metadata cannot change in SWMR mode", writer->path);
    return gtap_h5_write_string_attr(writer->meta_group, key, value);
}

int gtap_writer_add_tensor(gtap_writer *writer, const char *name, uint64_t numel, gtap_dtype dtype)
{
    if (writer == NULL || name == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_writer_add_tensor: NULL argument");
    size_t length = strlen(name);
    if (length == 0 || length > 4095)
        return gtap_set_error(GTAP_EINVAL, "tensor name must be 1..4095 bytes (got %zu)", length);
    if (gtap_dtype_size(dtype) == 0)
        return gtap_set_error(GTAP_EDTYPE, "tensor '%s': unsupported dtype code %d", name, (int)dtype);
    if (numel > (uint64_t)INT64_MAX / 8)
        return gtap_set_error(GTAP_EOVERFLOW, "tensor '%s': numel %" PRIu64 " is too large", name, numel);
    writer_tensor *existing = find_tensor(writer, name);
    if (existing != NULL) {
        if (existing->numel == numel && existing->dtype == dtype) return GTAP_OK;
        return gtap_set_error(GTAP_EEXIST, "tensor '%s' already declared with numel %" PRIu64 " and dtype %s",
                              name, existing->numel, gtap_dtype_name(existing->dtype));
    }
    if (writer->swmr)
        return gtap_set_error(GTAP_ESTATE, "%s: tensors cannot be added in SWMR mode", writer->path);
    int rc = grow_tensor_table(writer);
    if (rc < 0) return rc;
    writer_tensor *tensor = &writer->tensors[writer->tensor_count];
    init_tensor_entry(tensor);
    tensor->name = duplicate_string(name);
    tensor->key = escaped_key(name);
    tensor->numel = numel;
    tensor->dtype = dtype;
    if (tensor->name == NULL || tensor->key == NULL) {
        free(tensor->name);
        free(tensor->key);
        return gtap_set_error(GTAP_ENOMEM, "writer: out of memory");
    }
    tensor->group = H5Gcreate2(writer->tensors_group, tensor->key, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (tensor->group < 0) {
        free(tensor->name);
        free(tensor->key);
        return gtap_h5_error(GTAP_EIO, "%s: cannot create tensor '%s'", writer->path, name);
    }
    writer->tensor_count++;
    if ((rc = gtap_h5_write_string_attr(tensor->group, "name", name)) < 0) return rc;
    if ((rc = gtap_h5_write_int_attr(tensor->group, "numel", (int64_t)numel)) < 0) return rc;
    return gtap_h5_write_string_attr(tensor->group, "dtype", gtap_dtype_name(dtype));
}

static int set_compression(hid_t create, gtap_compression compression)
{
    if (compression == GTAP_COMPRESS_GZIP) {
        if (H5Pset_shuffle(create) < 0 || H5Pset_deflate(create, 1) < 0) return -1;
    } else if (compression == GTAP_COMPRESS_LZ4) {
        const unsigned lz4_block_bytes[1] = {0}; /* 0: the plugin's default block size */
        if (H5Pset_filter(create, LZ4_FILTER_ID, H5Z_FLAG_MANDATORY, 1, lz4_block_bytes) < 0) return -1;
    }
    return 0;
}

/* Access to a `data` dataset without HDF5's chunk cache. Uncompressed rows
 * are written as whole chunks; through the cache each chunk was cleared,
 * copied into the cache and written from there. Without it (and without a
 * fill value written when a chunk is allocated: see create_kind_datasets)
 * HDF5 writes a chunk straight from the caller's buffer. Compressed chunks
 * need the cache to be filtered; they keep it. */
static hid_t data_access(const gtap_writer *writer)
{
    if (writer->compression != GTAP_COMPRESS_NONE) return H5Pcreate(H5P_DATASET_ACCESS);
    hid_t access = H5Pcreate(H5P_DATASET_ACCESS);
    if (access >= 0 && H5Pset_chunk_cache(access, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, 0, H5D_CHUNK_CACHE_W0_DEFAULT) < 0) {
        H5Pclose(access);
        return H5I_INVALID_HID;
    }
    return access;
}

/* Open or create (`space` and `create` given) the `data` dataset of a kind. */
static hid_t open_data(const gtap_writer *writer, hid_t group, hid_t type, hid_t space, hid_t create)
{
    hid_t access = data_access(writer);
    if (access < 0) return H5I_INVALID_HID;
    hid_t data = space >= 0 ? H5Dcreate2(group, GTAP_H5_DATA, type, space, H5P_DEFAULT, create, access)
                            : H5Dopen2(group, GTAP_H5_DATA, access);
    H5Pclose(access);
    return data;
}

static int create_kind_datasets(gtap_writer *writer, writer_tensor *tensor, gtap_kind kind, kind_datasets *sets)
{
    int status = GTAP_EIO;
    hid_t space = H5I_INVALID_HID, create = H5I_INVALID_HID, type = H5I_INVALID_HID;
    sets->group = H5Gcreate2(tensor->group, gtap_kind_name(kind), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (sets->group < 0) goto done;
    if (tensor->numel > 0) {
        size_t element_bytes = gtap_dtype_size(tensor->dtype);
        uint64_t chunk_elements = writer->max_chunk_bytes / element_bytes;
        if (chunk_elements == 0) chunk_elements = 1;
        if (chunk_elements > tensor->numel) chunk_elements = tensor->numel;
        hsize_t dims[2] = {0, tensor->numel};
        hsize_t max_dims[2] = {H5S_UNLIMITED, tensor->numel};
        hsize_t chunk[2] = {1, chunk_elements};
        space = H5Screate_simple(2, dims, max_dims);
        create = H5Pcreate(H5P_DATASET_CREATE);
        type = gtap_h5_file_type(tensor->dtype);
        if (space < 0 || create < 0 || type < 0) goto done;
        if (H5Pset_chunk(create, 2, chunk) < 0 || set_compression(create, writer->compression) < 0) goto done;
        /* every row is written whole before its step commits it: no chunk
         * needs fill values first (readers skip uncommitted rows) */
        if (H5Pset_fill_time(create, H5D_FILL_TIME_NEVER) < 0) goto done;
        sets->data = open_data(writer, sets->group, type, space, create);
        if (sets->data < 0) goto done;
        H5Sclose(space);
        H5Pclose(create);
        space = create = H5I_INVALID_HID;
    }
    if (gtap_commit_log_create(sets->group, GTAP_H5_STEPS, GTAP_H5_STEPS_CHUNK) < 0 ||
        gtap_commit_logs_open(&writer->logs, sets->group, GTAP_H5_STEPS, &sets->steps_log) < 0)
        goto done;
    status = GTAP_OK;
done:
    if (type >= 0) H5Tclose(type);
    if (create >= 0) H5Pclose(create);
    if (space >= 0) H5Sclose(space);
    if (status != GTAP_OK)
        return gtap_h5_error(status, "%s: cannot create datasets of '%s' (%s)", writer->path, tensor->name,
                             gtap_kind_name(kind));
    return status;
}

static int open_kind_datasets(gtap_writer *writer, writer_tensor *tensor, gtap_kind kind, kind_datasets *sets)
{
    sets->group = H5Gopen2(tensor->group, gtap_kind_name(kind), H5P_DEFAULT);
    if (sets->group < 0) goto fail;
    if (tensor->numel > 0) {
        sets->data = open_data(writer, sets->group, H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID);
        if (sets->data < 0) goto fail;
    }
    if (gtap_commit_logs_open(&writer->logs, sets->group, GTAP_H5_STEPS, &sets->steps_log) < 0) goto fail;
    /* rows a crashed writer left uncommitted are overwritten */
    sets->count = writer->logs.logs[sets->steps_log].rows;
    return GTAP_OK;
fail:
    return gtap_h5_error(GTAP_EFORMAT, "%s: datasets of '%s' (%s) are malformed", writer->path, tensor->name,
                         gtap_kind_name(kind));
}

static int ensure_kind(gtap_writer *writer, writer_tensor *tensor, gtap_kind kind, kind_datasets **out)
{
    kind_datasets *sets = &tensor->kinds[kind];
    *out = sets;
    if (sets->ready) return GTAP_OK;
    int rc;
    htri_t exists = H5Lexists(tensor->group, gtap_kind_name(kind), H5P_DEFAULT);
    if (exists > 0) {
        rc = open_kind_datasets(writer, tensor, kind, sets);
    } else if (writer->swmr) {
        return gtap_set_error(GTAP_ESTATE, "%s: '%s' (%s) was not prepared before SWMR mode", writer->path,
                              tensor->name, gtap_kind_name(kind));
    } else {
        rc = create_kind_datasets(writer, tensor, kind, sets);
    }
    if (rc == GTAP_OK) sets->ready = 1;
    return rc;
}

static int lookup(gtap_writer *writer, const char *name, gtap_kind kind, writer_tensor **tensor)
{
    if (writer == NULL || name == NULL) return gtap_set_error(GTAP_EINVAL, "writer: NULL argument");
    if ((int)kind < 0 || kind >= GTAP_KIND_COUNT)
        return gtap_set_error(GTAP_EINVAL, "writer: invalid kind code %d", (int)kind);
    *tensor = find_tensor(writer, name);
    if (*tensor == NULL)
        return gtap_set_error(GTAP_ENOTFOUND, "%s: tensor '%s' was not declared", writer->path, name);
    return GTAP_OK;
}

int gtap_writer_prepare(gtap_writer *writer, const char *name, gtap_kind kind)
{
    writer_tensor *tensor;
    kind_datasets *sets;
    int rc = lookup(writer, name, kind, &tensor);
    if (rc < 0) return rc;
    return ensure_kind(writer, tensor, kind, &sets);
}

int gtap_writer_write(gtap_writer *writer, const char *name, gtap_kind kind, int64_t step, const void *data)
{
    writer_tensor *tensor;
    kind_datasets *sets;
    int rc = lookup(writer, name, kind, &tensor);
    if (rc < 0) return rc;
    if (step < 0) return gtap_set_error(GTAP_EINVAL, "tensor '%s': negative step %" PRId64, name, step);
    if (data == NULL && tensor->numel > 0)
        return gtap_set_error(GTAP_EINVAL, "tensor '%s' step %" PRId64 ": NULL data", name, step);
    if ((rc = ensure_kind(writer, tensor, kind, &sets)) < 0) return rc;
    int64_t last_step = gtap_commit_logs_last(&writer->logs, sets->steps_log);
    if (step == last_step)
        return gtap_set_error(GTAP_EEXIST, "tensor '%s' (%s) already has step %" PRId64, name, gtap_kind_name(kind),
                              step);
    if (step < last_step)
        return gtap_set_error(GTAP_EINVAL, "tensor '%s' (%s): step %" PRId64 " after step %" PRId64
                              " (steps must increase)", name, gtap_kind_name(kind), step, last_step);
    hsize_t row = sets->count;
    if (tensor->numel > 0) {
        hid_t memory_type = gtap_h5_file_type(tensor->dtype); /* little-endian host: stored bits as they are */
        int failed = memory_type < 0 || gtap_h5_write_rows(sets->data, row, 1, tensor->numel, memory_type, data) < 0;
        if (memory_type >= 0) H5Tclose(memory_type);
        /* without SWMR the step is written at once: the row must be in the
         * file first (SWMR mode holds the step back until the next flush) */
        if (!failed && !writer->swmr) failed = H5Dflush(sets->data) < 0;
        if (failed) {
            writer->failed = 1;
            return gtap_h5_error(GTAP_EIO, "%s: cannot write '%s' (%s) step %" PRId64, writer->path, name,
                                 gtap_kind_name(kind), step);
        }
    }
    /* commit: the step row makes the snapshot visible to readers; a failed
     * commit leaves the row to be overwritten by the next write */
    if ((rc = gtap_commit_logs_append(&writer->logs, sets->steps_log, step, writer->swmr)) < 0) {
        writer->failed = rc == GTAP_EIO;
        return gtap_set_error(rc, "%s: cannot commit '%s' (%s) step %" PRId64 ": %s", writer->path, name,
                              gtap_kind_name(kind), step, gtap_last_error());
    }
    sets->count = row + 1;
    return GTAP_OK;
}

int gtap_writer_write_float32(gtap_writer *writer, const char *name, gtap_kind kind, int64_t step,
                              const float *data)
{
    writer_tensor *tensor;
    int rc = lookup(writer, name, kind, &tensor);
    if (rc < 0) return rc;
    if (tensor->dtype == GTAP_FLOAT32 || tensor->numel == 0) return gtap_writer_write(writer, name, kind, step, data);
    if (data == NULL) return gtap_set_error(GTAP_EINVAL, "tensor '%s': NULL data", name);
    size_t bytes = (size_t)tensor->numel * gtap_dtype_size(tensor->dtype);
    if (bytes > writer->conversion_bytes) {
        float *grown = realloc(writer->conversion_buffer, bytes);
        if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "tensor '%s': no memory to convert", name);
        writer->conversion_buffer = grown;
        writer->conversion_bytes = bytes;
    }
    if ((rc = gtap_from_float32(tensor->dtype, data, writer->conversion_buffer, tensor->numel)) < 0) return rc;
    return gtap_writer_write(writer, name, kind, step, writer->conversion_buffer);
}

int gtap_writer_flush(gtap_writer *writer)
{
    if (writer == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_writer_flush: NULL writer");
    if (writer->failed)
        return gtap_set_error(GTAP_EIO, "%s: an earlier write failed; nothing more is committed", writer->path);
    if (H5Fflush(writer->file, H5F_SCOPE_GLOBAL) < 0) {
        writer->failed = 1;
        return gtap_h5_error(GTAP_EIO, "%s: flush failed", writer->path);
    }
    if (!gtap_commit_logs_holding(&writer->logs)) return GTAP_OK;
    /* the rows are in the file now: commit them, and flush the commits */
    int rc = gtap_commit_logs_release(&writer->logs);
    if (rc < 0) {
        writer->failed = 1;
        return gtap_set_error(rc, "%s: %s", writer->path, gtap_last_error());
    }
    if (H5Fflush(writer->file, H5F_SCOPE_GLOBAL) < 0) {
        writer->failed = 1;
        return gtap_h5_error(GTAP_EIO, "%s: flush of the commits failed", writer->path);
    }
    return GTAP_OK;
}

int gtap_writer_open_log(gtap_writer *writer, hid_t parent, const char *name, size_t *log)
{
    return gtap_commit_logs_open(&writer->logs, parent, name, log);
}

int gtap_writer_log_append(gtap_writer *writer, size_t log, int64_t value)
{
    /* held in both modes: the rows these logs commit are written by the
     * capture without a flush of their own, and the next flush commits them */
    return gtap_commit_logs_append(&writer->logs, log, value, 1);
}

uint64_t gtap_writer_log_count(const gtap_writer *writer, size_t log)
{
    return gtap_commit_logs_count(&writer->logs, log);
}

int gtap_writer_start_swmr(gtap_writer *writer)
{
    if (writer == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_writer_start_swmr: NULL writer");
    if (writer->swmr) return GTAP_OK;
    int rc = gtap_h5_write_int_attr(writer->file, "swmr", 1);
    if (rc < 0) return rc;
    if (H5Fstart_swmr_write(writer->file) < 0)
        return gtap_h5_error(GTAP_EIO, "%s: cannot start SWMR mode", writer->path);
    writer->swmr = 1;
    /* starting SWMR reopens every open object with default access
     * properties: open `data` again without the chunk cache (data_access) */
    for (size_t i = 0; i < writer->tensor_count; i++) {
        for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
            kind_datasets *sets = &writer->tensors[i].kinds[kind];
            if (sets->data < 0) continue;
            H5Dclose(sets->data);
            sets->data = open_data(writer, sets->group, H5I_INVALID_HID, H5I_INVALID_HID, H5I_INVALID_HID);
            if (sets->data < 0)
                return gtap_h5_error(GTAP_EIO, "%s: cannot reopen the data of '%s' (%s)", writer->path,
                                     writer->tensors[i].name, gtap_kind_name((gtap_kind)kind));
        }
    }
    return GTAP_OK;
}

static void close_tensor(writer_tensor *tensor)
{
    for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
        kind_datasets *sets = &tensor->kinds[kind];
        if (sets->data >= 0) H5Dclose(sets->data);
        if (sets->group >= 0) H5Gclose(sets->group);
    }
    if (tensor->group >= 0) H5Gclose(tensor->group);
    free(tensor->name);
    free(tensor->key);
}

/* Everything written is flushed and committed: mark the file complete and
 * flush that too. In SWMR mode no attribute can be created, but `complete`
 * exists from the start and is rewritten in place, so the file is never
 * reopened (a reader may hold it open: docs/FORMAT.md). */
static int finish_file(gtap_writer *writer)
{
    int rc = gtap_writer_flush(writer);
    if (rc < 0) return rc;
    if ((rc = gtap_h5_write_int_attr(writer->file, "complete", 1)) < 0) {
        writer->failed = 1;
        return gtap_set_error(rc, "%s: cannot mark complete: %s", writer->path, gtap_last_error());
    }
    if (H5Fflush(writer->file, H5F_SCOPE_GLOBAL) < 0) {
        writer->failed = 1;
        return gtap_h5_error(GTAP_EIO, "%s: flush of the completion mark failed", writer->path);
    }
    return GTAP_OK;
}

int gtap_writer_close(gtap_writer *writer)
{
    if (writer == NULL) return GTAP_OK;
    char message[1024] = "";
    int rc = finish_file(writer);
    if (rc < 0) snprintf(message, sizeof message, "%s", gtap_last_error());
    gtap_commit_logs_close(&writer->logs);
    for (size_t i = 0; i < writer->tensor_count; i++) close_tensor(&writer->tensors[i]);
    if (writer->tensors_group >= 0) H5Gclose(writer->tensors_group);
    if (writer->meta_group >= 0) H5Gclose(writer->meta_group);
    if (H5Fclose(writer->file) < 0 && rc == GTAP_OK) {
        rc = gtap_h5_error(GTAP_EIO, "%s: close failed", writer->path);
        snprintf(message, sizeof message, "%s", gtap_last_error());
    }
    gtap_lock_release(writer->path, writer->lock_fd);
    free(writer->tensors);
    free(writer->conversion_buffer);
    free(writer->path);
    free(writer);
    if (rc < 0) return gtap_set_error(rc, "%s", message);
    return GTAP_OK;
}

hid_t gtap_writer_hdf5_file(const gtap_writer *writer)
{
    return writer ? writer->file : H5I_INVALID_HID;
}
