/* npy.c - a validating reader for numpy .npy files (format 1.0-3.0) and raw
 * little-endian float32 dumps (see gradtap/npy.h). */
#include "gradtap/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int open_file(const char *path, FILE **file, uint64_t *size)
{
    struct stat file_stat;
    if (stat(path, &file_stat) != 0)
        return gtap_set_error(errno == ENOENT ? GTAP_ENOTFOUND : GTAP_EIO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(file_stat.st_mode)) return gtap_set_error(GTAP_EFORMAT, "%s: not a regular file", path);
    *file = fopen(path, "rb");
    if (*file == NULL) return gtap_set_error(GTAP_EIO, "%s: %s", path, strerror(errno));
    *size = (uint64_t)file_stat.st_size;
    return GTAP_OK;
}

/* The value after the next `'key':` (or `"key":`) at or after `from`, NULL if none. */
static const char *next_key(const char *from, const char *key)
{
    char quoted[2][32];
    snprintf(quoted[0], sizeof quoted[0], "'%s'", key);
    snprintf(quoted[1], sizeof quoted[1], "\"%s\"", key);
    const char *best = NULL;
    size_t best_length = 0;
    for (int q = 0; q < 2; q++) {
        for (const char *at = strstr(from, quoted[q]); at != NULL; at = strstr(at + 1, quoted[q])) {
            const char *after = at + strlen(quoted[q]);
            while (*after == ' ') after++;
            if (*after != ':') continue; /* the name inside a value, not a key */
            if (best == NULL || at < best) {
                best = at;
                best_length = (size_t)(after - at);
            }
            break;
        }
    }
    if (best == NULL) return NULL;
    const char *value = best + best_length + 1;
    while (*value == ' ') value++;
    return value;
}

/* Find `'key':` in the header dict and return a pointer just after the
 * colon; *twice = 1 when the dict has the key a second time (numpy never
 * writes that, and which one counts would be a guess). */
static const char *find_key(const char *dict, const char *key, int *twice)
{
    const char *value = next_key(dict, key);
    *twice = value != NULL && next_key(value, key) != NULL;
    return value;
}

static int parse_descr(const char *path, const char *value, gtap_npy_header *header)
{
    char quote = *value;
    if (quote != '\'' && quote != '"') return gtap_set_error(GTAP_EFORMAT, "%s: .npy descr is not a string", path);
    const char *end = strchr(value + 1, quote);
    if (end == NULL || end - value - 1 >= (long)sizeof header->descr)
        return gtap_set_error(GTAP_EFORMAT, "%s: .npy descr is malformed", path);
    memcpy(header->descr, value + 1, (size_t)(end - value - 1));
    header->descr[end - value - 1] = '\0';
    const char *d = header->descr;
    char order = d[0];
    if (order != '<' && order != '>' && order != '=' && order != '|')
        return gtap_set_error(GTAP_EDTYPE, "%s: unsupported .npy dtype '%s'", path, d);
    header->big_endian = order == '>';
    if (strcmp(d + 1, "f4") == 0) {
        header->element_bytes = 4;
        header->stored_as = GTAP_FLOAT32;
    } else if (strcmp(d + 1, "f2") == 0) {
        header->element_bytes = 2;
        header->stored_as = GTAP_FLOAT16;
    } else if (strcmp(d + 1, "f8") == 0) {
        header->element_bytes = 8;
        header->stored_as = GTAP_FLOAT32;
    } else {
        return gtap_set_error(GTAP_EDTYPE, "%s: unsupported .npy dtype '%s' (gradtap imports float16, float32, "
                              "float64)", path, d);
    }
    return GTAP_OK;
}

static int parse_shape(const char *path, const char *value, gtap_npy_header *header)
{
    if (*value != '(') return gtap_set_error(GTAP_EFORMAT, "%s: .npy shape is not a tuple", path);
    const char *p = value + 1;
    header->ndim = 0;
    header->numel = 1;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        if (*p < '0' || *p > '9') return gtap_set_error(GTAP_EFORMAT, "%s: .npy shape is malformed", path);
        char *end;
        errno = 0;
        unsigned long long dim = strtoull(p, &end, 10);
        if (errno == ERANGE) return gtap_set_error(GTAP_EOVERFLOW, "%s: .npy shape overflows", path);
        if (*end == 'L') end++; /* Python 2 long suffix */
        if (header->ndim == GTAP_NPY_MAX_DIMS)
            return gtap_set_error(GTAP_EFORMAT, "%s: .npy has more than %d dimensions", path, GTAP_NPY_MAX_DIMS);
        if (dim != 0 && header->numel > UINT64_MAX / dim)
            return gtap_set_error(GTAP_EOVERFLOW, "%s: .npy shape product overflows", path);
        header->shape[header->ndim++] = dim;
        header->numel *= dim;
        p = end;
    }
    return GTAP_OK;
}

/* The fixed preamble: magic, version, and where the header dict lies. */
static int read_preamble(const char *path, FILE *file, uint64_t size, uint64_t *header_start,
                         uint64_t *header_length)
{
    unsigned char prefix[12];
    size_t got = fread(prefix, 1, sizeof prefix, file);
    if (got < 10 || memcmp(prefix, "\x93NUMPY", 6) != 0)
        return gtap_set_error(GTAP_EFORMAT, "%s: not a .npy file (bad magic)", path);
    int major = prefix[6];
    if (major == 1) {
        *header_length = prefix[8] | (uint64_t)prefix[9] << 8;
        *header_start = 10;
    } else if (major == 2 || major == 3) {
        if (got < 12) return gtap_set_error(GTAP_EFORMAT, "%s: truncated .npy header", path);
        *header_length = prefix[8] | (uint64_t)prefix[9] << 8 | (uint64_t)prefix[10] << 16 | (uint64_t)prefix[11] << 24;
        *header_start = 12;
    } else {
        return gtap_set_error(GTAP_EFORMAT, "%s: unsupported .npy format version %d.%d", path, major, prefix[7]);
    }
    if (*header_length > (1u << 20) || *header_start + *header_length > size)
        return gtap_set_error(GTAP_EFORMAT, "%s: .npy header length %llu is invalid or truncated", path,
                              (unsigned long long)*header_length);
    return GTAP_OK;
}

int gtap_npy_read_header(const char *path, gtap_npy_header *header)
{
    if (path == NULL || header == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_npy_read_header: NULL argument");
    memset(header, 0, sizeof *header);
    FILE *file = NULL;
    uint64_t size = 0;
    int rc = open_file(path, &file, &size);
    if (rc < 0) return rc;
    char *dict = NULL;
    uint64_t header_length = 0, header_start = 0;
    if ((rc = read_preamble(path, file, size, &header_start, &header_length)) < 0) goto done;
    dict = malloc(header_length + 1);
    if (dict == NULL) {
        rc = gtap_set_error(GTAP_ENOMEM, "%s: out of memory", path);
        goto done;
    }
    if (fseek(file, (long)header_start, SEEK_SET) != 0 || fread(dict, 1, header_length, file) != header_length) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: truncated .npy header", path);
        goto done;
    }
    dict[header_length] = '\0';
    if (memchr(dict, '\0', header_length) != NULL || strchr(dict, '{') == NULL) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: .npy header is not a dict", path);
        goto done;
    }
    int twice[3] = {0, 0, 0};
    const char *descr = find_key(dict, "descr", &twice[0]);
    const char *fortran = find_key(dict, "fortran_order", &twice[1]);
    const char *shape = find_key(dict, "shape", &twice[2]);
    if (twice[0] || twice[1] || twice[2]) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: .npy header has the key '%s' twice", path,
                            twice[0] ? "descr" : twice[1] ? "fortran_order" : "shape");
        goto done;
    }
    if (descr == NULL || fortran == NULL || shape == NULL) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: .npy header lacks descr, fortran_order or shape", path);
        goto done;
    }
    if ((rc = parse_descr(path, descr, header)) < 0) goto done;
    if (strncmp(fortran, "True", 4) == 0) header->fortran_order = 1;
    else if (strncmp(fortran, "False", 5) == 0) header->fortran_order = 0;
    else {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: .npy fortran_order is neither True nor False", path);
        goto done;
    }
    if ((rc = parse_shape(path, shape, header)) < 0) goto done;
    header->data_offset = header_start + header_length;
    if (header->numel > (UINT64_MAX - header->data_offset) / (uint64_t)header->element_bytes) {
        rc = gtap_set_error(GTAP_EOVERFLOW, "%s: .npy data size overflows", path);
        goto done;
    }
    uint64_t needed = header->data_offset + header->numel * (uint64_t)header->element_bytes;
    if (size < needed) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: truncated .npy data (%llu bytes, header announces %llu)", path,
                            (unsigned long long)size, (unsigned long long)needed);
        goto done;
    }
    rc = GTAP_OK;
done:
    free(dict);
    fclose(file);
    return rc;
}

static void swap_bytes(unsigned char *data, uint64_t count, int width)
{
    for (uint64_t i = 0; i < count; i++) {
        unsigned char *e = data + i * (uint64_t)width;
        for (int a = 0, b = width - 1; a < b; a++, b--) {
            unsigned char t = e[a];
            e[a] = e[b];
            e[b] = t;
        }
    }
}

/* Column-major -> row-major: element with C index i sits at Fortran index f(i). */
static int reorder_fortran(const gtap_npy_header *header, void *data, size_t width)
{
    unsigned char *copy = malloc(header->numel * width);
    if (copy == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory reordering a Fortran-order array");
    memcpy(copy, data, header->numel * width);
    uint64_t index[GTAP_NPY_MAX_DIMS] = {0};
    for (uint64_t c = 0; c < header->numel; c++) {
        uint64_t f = 0, stride = 1;
        for (int axis = 0; axis < header->ndim; axis++) {
            f += index[axis] * stride;
            stride *= header->shape[axis];
        }
        memcpy((unsigned char *)data + c * width, copy + f * width, width);
        for (int axis = header->ndim - 1; axis >= 0; axis--) { /* next C index */
            if (++index[axis] < header->shape[axis]) break;
            index[axis] = 0;
        }
    }
    free(copy);
    return GTAP_OK;
}

int gtap_npy_read_data(const char *path, const gtap_npy_header *header, void *out)
{
    if (path == NULL || header == NULL || (out == NULL && header->numel > 0))
        return gtap_set_error(GTAP_EINVAL, "gtap_npy_read_data: NULL argument");
    if (header->numel == 0) return GTAP_OK;
    FILE *file = fopen(path, "rb");
    if (file == NULL) return gtap_set_error(GTAP_EIO, "%s: %s", path, strerror(errno));
    int rc = GTAP_OK;
    unsigned char *raw = out;
    double *wide = NULL;
    if (header->element_bytes == 8) {
        wide = malloc(header->numel * sizeof(double));
        if (wide == NULL) {
            fclose(file);
            return gtap_set_error(GTAP_ENOMEM, "%s: out of memory for float64 data", path);
        }
        raw = (unsigned char *)wide;
    }
    if (fseek(file, (long)header->data_offset, SEEK_SET) != 0 ||
        fread(raw, (size_t)header->element_bytes, header->numel, file) != header->numel) {
        rc = gtap_set_error(GTAP_EIO, "%s: cannot read .npy data", path);
        goto done;
    }
    if (header->big_endian && header->element_bytes > 1) swap_bytes(raw, header->numel, header->element_bytes);
    if (header->fortran_order && header->ndim > 1 &&
        (rc = reorder_fortran(header, raw, (size_t)header->element_bytes)) < 0)
        goto done;
    if (wide != NULL) {
        float *narrow = out;
        for (uint64_t i = 0; i < header->numel; i++) narrow[i] = (float)wide[i];
    }
done:
    free(wide);
    fclose(file);
    return rc;
}

int gtap_raw_f32_count(const char *path, uint64_t *count)
{
    FILE *file = NULL;
    uint64_t size = 0;
    int rc = open_file(path, &file, &size);
    if (rc < 0) return rc;
    fclose(file);
    if (size % 4 != 0)
        return gtap_set_error(GTAP_EFORMAT, "%s: %llu bytes is not a whole number of float32 values", path,
                              (unsigned long long)size);
    *count = size / 4;
    return GTAP_OK;
}

int gtap_raw_f32_read(const char *path, uint64_t count, float *out)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) return gtap_set_error(GTAP_EIO, "%s: %s", path, strerror(errno));
    size_t got = count ? fread(out, sizeof(float), count, file) : 0;
    fclose(file);
    if (got != count) return gtap_set_error(GTAP_EIO, "%s: short read", path);
    return GTAP_OK;
}
