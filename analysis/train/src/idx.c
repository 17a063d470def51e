/* idx.c - the IDX reader for MNIST / Fashion-MNIST (an image file of
 * unsigned bytes, n x rows x cols, and a label file of n bytes), gzip'ed or
 * plain: zlib's gzread reads both transparently. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "dataset_internal.h"

static int read_exact(gzFile file, void *buffer, uint64_t bytes, const char *path, const char *what)
{
    unsigned char *cursor = buffer;
    while (bytes > 0) {
        unsigned chunk = bytes > (1u << 30) ? (1u << 30) : (unsigned)bytes;
        int got = gzread(file, cursor, chunk);
        if (got <= 0) {
            int zerr = 0;
            const char *message = gzerror(file, &zerr);
            return gtap_set_error(GTAP_EFORMAT, "%s: truncated or damaged while reading %s%s%s", path, what,
                                  zerr ? ": " : "", zerr ? message : "");
        }
        cursor += got;
        bytes -= (uint64_t)got;
    }
    return GTAP_OK;
}

static uint32_t big_endian_u32(const unsigned char *bytes)
{
    return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8) | bytes[3];
}

/* Open `path` and read its header: magic, then `dims` sizes. */
static int open_idx(const char *path, uint32_t magic, int dims, uint32_t *sizes, gzFile *out)
{
    *out = NULL;
    FILE *probe = fopen(path, "rb");
    if (probe == NULL) return gtap_set_error(GTAP_ENOTFOUND, "%s: cannot open: %s", path, strerror(errno));
    fclose(probe);
    gzFile file = gzopen(path, "rb");
    if (file == NULL) return gtap_set_error(GTAP_EIO, "%s: cannot open with zlib", path);
    unsigned char header[16];
    int rc = read_exact(file, header, 4 + 4 * (uint64_t)dims, path, "the IDX header");
    if (rc == GTAP_OK && big_endian_u32(header) != magic)
        rc = gtap_set_error(GTAP_EFORMAT, "%s: IDX magic 0x%08x, expected 0x%08x (%s)", path,
                            (unsigned)big_endian_u32(header), (unsigned)magic,
                            dims == 3 ? "unsigned-byte images" : "unsigned-byte labels");
    for (int i = 0; rc == GTAP_OK && i < dims; i++) sizes[i] = big_endian_u32(header + 4 + 4 * i);
    if (rc < 0) {
        gzclose(file);
        return rc;
    }
    *out = file;
    return GTAP_OK;
}

/* Refuse a header that announces more than `path` can hold before anything
 * is allocated: a plain file holds its size less the header, a gzip'ed one
 * at most 1032 bytes per byte (deflate's largest ratio). Without this, a
 * 40-byte file announcing 3 x 65536 x 65536 pixels asked for 48 GiB. */
static int check_holds(gzFile file, const char *path, uint64_t header_bytes, uint64_t n, uint64_t d, const char *what)
{
    struct stat info;
    if (stat(path, &info) != 0) return gtap_set_error(GTAP_EIO, "%s: %s", path, strerror(errno));
    uint64_t size = (uint64_t)info.st_size, bytes = 0;
    uint64_t room = !gzdirect(file) ? (size > UINT64_MAX / 1032 ? UINT64_MAX : size * 1032)
                                    : (size > header_bytes ? size - header_bytes : 0);
    if (gtap_mul_overflow_u64(n, d, &bytes) || bytes > room)
        return gtap_set_error(GTAP_EFORMAT, "%s: truncated: the header announces %llu x %llu bytes of %s, more than "
                              "the %llu-byte file holds", path, (unsigned long long)n, (unsigned long long)d, what,
                              (unsigned long long)size);
    return GTAP_OK;
}

int gtap_dataset_read_idx(const char *images_path, const char *labels_path, gtap_dataset **out)
{
    if (out == NULL || images_path == NULL || labels_path == NULL)
        return gtap_set_error(GTAP_EINVAL, "IDX reader: NULL argument");
    *out = NULL;
    gzFile images = NULL, labels = NULL;
    unsigned char *pixels = NULL, *label_bytes = NULL;
    gtap_dataset *data = NULL;
    uint32_t image_sizes[3] = {0}, label_sizes[1] = {0};
    int rc = open_idx(images_path, 0x00000803u, 3, image_sizes, &images);
    if (rc == GTAP_OK) rc = open_idx(labels_path, 0x00000801u, 1, label_sizes, &labels);
    if (rc < 0) goto cleanup;
    uint64_t n = image_sizes[0], d = (uint64_t)image_sizes[1] * image_sizes[2];
    if (n == 0 || d == 0) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: empty image file (%u x %u x %u)", images_path, image_sizes[0],
                            image_sizes[1], image_sizes[2]);
        goto cleanup;
    }
    if (label_sizes[0] != n) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s holds %u labels but %s holds %llu images", labels_path, label_sizes[0],
                            images_path, (unsigned long long)n);
        goto cleanup;
    }
    if ((rc = check_holds(images, images_path, 16, n, d, "pixels")) < 0 ||
        (rc = check_holds(labels, labels_path, 8, n, 1, "labels")) < 0)
        goto cleanup;
    if ((rc = gtap_dataset_alloc_dense(n, d, 10, images_path, &data)) < 0) goto cleanup;
    pixels = malloc((size_t)(n * d));
    label_bytes = malloc((size_t)n);
    if (pixels == NULL || label_bytes == NULL) {
        rc = gtap_set_error(GTAP_ENOMEM, "%s: out of memory", images_path);
        goto cleanup;
    }
    if ((rc = read_exact(images, pixels, n * d, images_path, "the pixels")) < 0) goto cleanup;
    if ((rc = read_exact(labels, label_bytes, n, labels_path, "the labels")) < 0) goto cleanup;
    for (uint64_t i = 0; i < n; i++) {
        if (label_bytes[i] >= 10) {
            rc = gtap_set_error(GTAP_EFORMAT, "%s: record %llu has label %u (expected 0..9)", labels_path,
                                (unsigned long long)i, label_bytes[i]);
            goto cleanup;
        }
        data->labels[i] = label_bytes[i];
    }
    for (uint64_t i = 0; i < n * d; i++) data->values[i] = (float)pixels[i] * (1.0f / 255.0f);
    *out = data;
    data = NULL;
cleanup:
    if (images) gzclose(images);
    if (labels) gzclose(labels);
    free(pixels);
    free(label_bytes);
    gtap_dataset_free(data);
    return rc;
}
