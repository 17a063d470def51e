/* libsvm.c - the LIBSVM text reader (epsilon, RCV1, a9a, ...): one example
 * per line, `LABEL INDEX:VALUE ...`, 1-based increasing indices. Parsed in
 * one pass into CSR arrays that grow geometrically; stored dense at the end
 * when at least half of the entries are present; with GTAP_DATA_FLOAT64 the
 * parsed doubles are kept beside the float32 values (for f* of the data as
 * written, docs/THEORY.md s.8). Every malformed line is reported as
 * file:line with the offending token. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset_internal.h"

typedef struct libsvm_builder {
    const char *path;
    uint64_t line;
    uint64_t n, nnz, d;
    uint64_t row_capacity, value_capacity;
    uint64_t *row_start;
    uint32_t *columns;
    float *values;
    double *values64;               /* kept only for GTAP_DATA_FLOAT64 */
    int keep_double;
    int32_t *labels;
    uint64_t zero_line, minus_line; /* first line with label 0, with label -1 (0: none) */
} libsvm_builder;

static int grow(void **array, uint64_t *capacity, uint64_t needed, size_t item, const char *path)
{
    if (needed <= *capacity) return GTAP_OK;
    uint64_t next = *capacity ? *capacity : 1024;
    while (next < needed) {
        if (next > UINT64_MAX / 2) return gtap_set_error(GTAP_EOVERFLOW, "%s: too many values", path);
        next *= 2;
    }
    if (next > SIZE_MAX / item) return gtap_set_error(GTAP_EOVERFLOW, "%s: too many values", path);
    void *bigger = realloc(*array, (size_t)(next * item));
    if (bigger == NULL) return gtap_set_error(GTAP_ENOMEM, "%s: out of memory after %llu values", path,
                                              (unsigned long long)*capacity);
    *array = bigger;
    *capacity = next;
    return GTAP_OK;
}

static int parse_label(libsvm_builder *b, const char *token, int32_t *label)
{
    char *end = NULL;
    errno = 0;
    double value = strtod(token, &end);
    if (end == token || *end != '\0' || errno == ERANGE)
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: label '%s' is not a number", b->path,
                              (unsigned long long)b->line, token);
    if (value == 1.0) *label = 1;
    else if (value == -1.0 || value == 0.0) *label = -1;
    else
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: label '%s' is not -1/+1 or 0/1 (only binary data is supported)",
                              b->path, (unsigned long long)b->line, token);
    if (value == 0.0 && b->zero_line == 0) b->zero_line = b->line;
    if (value == -1.0 && b->minus_line == 0) b->minus_line = b->line;
    if (b->zero_line && b->minus_line) /* which class would 0 be? */
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: labels mix 0 (line %llu) and -1 (line %llu): use -1/+1 or 0/1",
                              b->path, (unsigned long long)b->line, (unsigned long long)b->zero_line,
                              (unsigned long long)b->minus_line);
    return GTAP_OK;
}

static int parse_feature(libsvm_builder *b, char *token, uint64_t previous, uint64_t *index, double *value)
{
    char *colon = strchr(token, ':');
    if (colon == NULL)
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: '%s' is not INDEX:VALUE", b->path, (unsigned long long)b->line,
                              token);
    *colon = '\0';
    char *end = NULL;
    errno = 0;
    if (token[0] == '-' || token[0] == '+' || token[0] == '\0')
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: feature index '%s' is not a positive integer", b->path,
                              (unsigned long long)b->line, token);
    unsigned long long parsed = strtoull(token, &end, 10);
    if (*end != '\0' || errno == ERANGE || parsed == 0)
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: feature index '%s' is not a positive integer (indices are 1-based)",
                              b->path, (unsigned long long)b->line, token);
    if (parsed > GTAP_LIBSVM_MAX_FEATURES)
        return gtap_set_error(GTAP_EOVERFLOW, "%s:%llu: feature index %llu exceeds the limit of %llu features "
                              "(2^26; the trainer's memory grows with d: docs/CLI.md)", b->path,
                              (unsigned long long)b->line, parsed, (unsigned long long)GTAP_LIBSVM_MAX_FEATURES);
    if (parsed <= previous)
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: feature index %llu after %llu (indices must increase)", b->path,
                              (unsigned long long)b->line, parsed, (unsigned long long)previous);
    const char *text = colon + 1;
    errno = 0;
    double number = strtod(text, &end);
    if (end == text || *end != '\0')
        return gtap_set_error(GTAP_EFORMAT, "%s:%llu: value '%s' of feature %llu is not a number", b->path,
                              (unsigned long long)b->line, text, parsed);
    if (!isfinite(number) || fabs(number) > 3.4e38)
        return gtap_set_error(GTAP_ENONFINITE, "%s:%llu: value '%s' of feature %llu is not a finite float32", b->path,
                              (unsigned long long)b->line, text, parsed);
    *index = parsed;
    *value = number;
    return GTAP_OK;
}

static int parse_line(libsvm_builder *b, char *line)
{
    char *save = NULL;
    char *token = strtok_r(line, " \t\r\n", &save);
    if (token == NULL || token[0] == '#') return GTAP_OK; /* blank or comment */
    int rc = grow((void **)&b->labels, &b->row_capacity, b->n + 1, sizeof(int32_t), b->path);
    if (rc < 0) return rc;
    rc = parse_label(b, token, &b->labels[b->n]);
    if (rc < 0) return rc;
    uint64_t previous = 0;
    while ((token = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
        if (token[0] == '#') break; /* trailing comment */
        uint64_t index = 0;
        double value = 0.0;
        if ((rc = parse_feature(b, token, previous, &index, &value)) < 0) return rc;
        uint64_t capacity = b->value_capacity;
        if ((rc = grow((void **)&b->values, &capacity, b->nnz + 1, sizeof(float), b->path)) < 0) return rc;
        capacity = b->value_capacity;
        if ((rc = grow((void **)&b->columns, &capacity, b->nnz + 1, sizeof(uint32_t), b->path)) < 0) return rc;
        capacity = b->value_capacity;
        if (b->keep_double && (rc = grow((void **)&b->values64, &capacity, b->nnz + 1, sizeof(double), b->path)) < 0)
            return rc;
        b->value_capacity = capacity;
        if (b->keep_double) b->values64[b->nnz] = value;
        b->columns[b->nnz] = (uint32_t)(index - 1);
        b->values[b->nnz] = (float)value;
        b->nnz++;
        previous = index;
        if (index > b->d) b->d = index;
    }
    b->n++;
    return GTAP_OK;
}

/* Row offsets: a separate growable array (one more entry than rows). */
static int record_row_start(libsvm_builder *b, uint64_t *capacity)
{
    int rc = grow((void **)&b->row_start, capacity, b->n + 1, sizeof(uint64_t), b->path);
    if (rc < 0) return rc;
    b->row_start[b->n] = b->nnz;
    return GTAP_OK;
}

static int finish(libsvm_builder *b, uint64_t min_features, gtap_dataset **out)
{
    if (b->n == 0) return gtap_set_error(GTAP_EFORMAT, "%s: no examples in the file", b->path);
    if (min_features > b->d) b->d = min_features;
    if (b->d > GTAP_LIBSVM_MAX_FEATURES)
        return gtap_set_error(GTAP_EOVERFLOW, "%s: d=%llu exceeds the limit of %llu features (2^26, docs/CLI.md)",
                              b->path, (unsigned long long)b->d, (unsigned long long)GTAP_LIBSVM_MAX_FEATURES);
    uint64_t cells = 0;
    int dense = !gtap_mul_overflow_u64(b->n, b->d, &cells) && b->nnz * 2 >= cells;
    if (dense) {
        gtap_dataset *data = NULL;
        int rc = gtap_dataset_alloc_dense(b->n, b->d, 2, b->path, &data);
        if (rc < 0) return rc;
        memset(data->values, 0, cells * sizeof(float));
        if (b->keep_double && (data->values64 = calloc(cells ? cells : 1, sizeof(double))) == NULL) {
            gtap_dataset_free(data);
            return gtap_set_error(GTAP_ENOMEM, "%s: out of memory for the float64 values", b->path);
        }
        for (uint64_t i = 0; i < b->n; i++) {
            float *row = data->values + i * b->d;
            for (uint64_t j = b->row_start[i]; j < b->row_start[i + 1]; j++) row[b->columns[j]] = b->values[j];
            for (uint64_t j = b->row_start[i]; b->keep_double && j < b->row_start[i + 1]; j++)
                data->values64[i * b->d + b->columns[j]] = b->values64[j];
            data->labels[i] = b->labels[i];
        }
        *out = data;
        return GTAP_OK;
    }
    gtap_dataset *data = calloc(1, sizeof *data);
    if (data == NULL) return gtap_set_error(GTAP_ENOMEM, "%s: out of memory", b->path);
    data->n = b->n;
    data->d = b->d;
    data->nnz = b->nnz;
    data->classes = 2;
    data->sparse = 1;
    data->values = b->values;
    data->values64 = b->values64;
    data->columns = b->columns;
    data->row_start = b->row_start;
    data->labels = b->labels;
    if (data->values == NULL) data->values = malloc(1);
    if (data->columns == NULL) data->columns = malloc(1);
    if (b->keep_double && data->values64 == NULL) data->values64 = malloc(sizeof(double));
    b->values = NULL;
    b->values64 = NULL;
    b->columns = NULL;
    b->row_start = NULL;
    b->labels = NULL;
    if (data->values == NULL || data->columns == NULL || (b->keep_double && data->values64 == NULL)) {
        gtap_dataset_free(data);
        return gtap_set_error(GTAP_ENOMEM, "%s: out of memory", b->path);
    }
    *out = data;
    return GTAP_OK;
}

int gtap_dataset_read_libsvm(const char *path, uint64_t min_features, gtap_dataset **out)
{
    return gtap_dataset_read_libsvm_precision(path, min_features, GTAP_DATA_FLOAT32, out);
}

int gtap_dataset_read_libsvm_precision(const char *path, uint64_t min_features, gtap_data_precision precision,
                                       gtap_dataset **out)
{
    if (out == NULL || path == NULL) return gtap_set_error(GTAP_EINVAL, "LIBSVM reader: NULL argument");
    *out = NULL;
    if (precision != GTAP_DATA_FLOAT32 && precision != GTAP_DATA_FLOAT64)
        return gtap_set_error(GTAP_EINVAL, "LIBSVM reader: unknown precision %d", (int)precision);
    FILE *file = fopen(path, "r");
    if (file == NULL) return gtap_set_error(GTAP_ENOTFOUND, "%s: cannot open: %s", path, strerror(errno));
    libsvm_builder b;
    memset(&b, 0, sizeof b);
    b.path = path;
    b.keep_double = precision == GTAP_DATA_FLOAT64;
    uint64_t starts_capacity = 0;
    char *line = NULL;
    size_t line_capacity = 0;
    int rc = record_row_start(&b, &starts_capacity);
    ssize_t length;
    while (rc == GTAP_OK && (length = getline(&line, &line_capacity, file)) != -1) {
        b.line++;
        if (memchr(line, '\0', (size_t)length) != NULL) {
            rc = gtap_set_error(GTAP_EFORMAT, "%s:%llu: NUL byte in the line (not a LIBSVM text file?)", path,
                                (unsigned long long)b.line);
            break;
        }
        uint64_t before = b.n;
        rc = parse_line(&b, line);
        if (rc == GTAP_OK && b.n != before) rc = record_row_start(&b, &starts_capacity);
    }
    if (rc == GTAP_OK && ferror(file)) rc = gtap_set_error(GTAP_EIO, "%s: read error after line %llu", path,
                                                           (unsigned long long)b.line);
    free(line);
    fclose(file);
    if (rc == GTAP_OK) rc = finish(&b, min_features, out);
    free(b.row_start);
    free(b.columns);
    free(b.values);
    free(b.values64);
    free(b.labels);
    return rc;
}
