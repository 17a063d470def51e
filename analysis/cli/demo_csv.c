/* demo_csv.c - a small reader for the CSV tables gradtap itself writes
 * (header row, RFC 4180 quoting), so that `gradtap demo` can compute its
 * verdict from the same files the notebooks read. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "demo.h"
#include "gradtap/status.h"

struct demo_csv {
    char *text;       /* the file, fields unescaped in place and NUL-terminated */
    char **fields;    /* rows * columns pointers into text, row 0 the header */
    size_t columns;
    size_t rows;      /* data rows (header excluded) */
};

/* Append one field pointer, growing the array. */
static int push(char ***fields, size_t *count, size_t *capacity, char *field)
{
    if (*count == *capacity) {
        size_t grown = *capacity ? 2 * *capacity : 256;
        char **bigger = realloc(*fields, grown * sizeof *bigger);
        if (bigger == NULL) return GTAP_ENOMEM;
        *fields = bigger;
        *capacity = grown;
    }
    (*fields)[(*count)++] = field;
    return GTAP_OK;
}

static int read_file(const char *path, char **text, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) return gtap_set_error(GTAP_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t capacity = 1 << 16, used = 0;
    char *buffer = malloc(capacity + 1);
    while (buffer != NULL) {
        used += fread(buffer + used, 1, capacity - used, file);
        if (used < capacity) break;
        char *bigger = realloc(buffer, 2 * capacity + 1);
        if (bigger == NULL) {
            free(buffer);
            buffer = NULL;
            break;
        }
        buffer = bigger;
        capacity *= 2;
    }
    int failed = ferror(file);
    fclose(file);
    if (buffer == NULL) return gtap_set_error(GTAP_ENOMEM, "%s: out of memory", path);
    if (failed) {
        free(buffer);
        return gtap_set_error(GTAP_EIO, "%s: read error", path);
    }
    buffer[used] = '\0';
    *text = buffer;
    *size = used;
    return GTAP_OK;
}

int demo_csv_read(const char *path, demo_csv **csv)
{
    *csv = NULL;
    demo_csv *c = calloc(1, sizeof *c);
    if (c == NULL) return gtap_set_error(GTAP_ENOMEM, "%s: out of memory", path);
    size_t size = 0, count = 0, capacity = 0, row_start = 0, line = 1;
    int rc = read_file(path, &c->text, &size);
    if (rc < 0) goto fail;
    char *in = c->text, *end = c->text + size, *write = c->text;
    while (in < end) {
        /* One field: unescape into `write`, which never passes `in`. */
        char *field = write;
        if (*in == '"') {
            in++;
            for (;;) {
                if (in >= end) {
                    rc = gtap_set_error(GTAP_EFORMAT, "%s:%zu: unterminated quoted field", path, line);
                    goto fail;
                }
                if (*in == '"' && in + 1 < end && in[1] == '"') {
                    *write++ = '"';
                    in += 2;
                } else if (*in == '"') {
                    in++;
                    break;
                } else {
                    if (*in == '\n') line++;
                    *write++ = *in++;
                }
            }
        }
        while (in < end && *in != ',' && *in != '\n' && *in != '\r') *write++ = *in++;
        int row_ends = in >= end || *in != ',';
        if (in < end && *in == '\r') in++;
        if (in < end) in++;
        *write++ = '\0';
        if ((rc = push(&c->fields, &count, &capacity, field)) < 0) {
            gtap_set_error(rc, "%s: out of memory", path);
            goto fail;
        }
        if (row_ends) {
            size_t width = count - row_start;
            if (width == 1 && c->fields[row_start][0] == '\0') {
                count = row_start; /* an empty line */
            } else if (c->columns == 0) {
                c->columns = width;
            } else if (width != c->columns) {
                rc = gtap_set_error(GTAP_EFORMAT, "%s:%zu: %zu fields, the header has %zu", path, line, width,
                                    c->columns);
                goto fail;
            }
            row_start = count;
            line++;
        }
    }
    if (count != row_start) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s:%zu: the last row is incomplete", path, line);
        goto fail;
    }
    if (c->columns == 0) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s: empty CSV file", path);
        goto fail;
    }
    c->rows = count / c->columns - 1;
    *csv = c;
    return GTAP_OK;
fail:
    demo_csv_free(c);
    return rc;
}

void demo_csv_free(demo_csv *csv)
{
    if (csv == NULL) return;
    free(csv->fields);
    free(csv->text);
    free(csv);
}

size_t demo_csv_rows(const demo_csv *csv) { return csv != NULL ? csv->rows : 0; }

int demo_csv_column(const demo_csv *csv, const char *name)
{
    if (csv == NULL) return -1;
    for (size_t j = 0; j < csv->columns; j++)
        if (strcmp(csv->fields[j], name) == 0) return (int)j;
    return -1;
}

const char *demo_csv_text(const demo_csv *csv, size_t row, int column)
{
    if (csv == NULL || column < 0 || (size_t)column >= csv->columns || row >= csv->rows) return "";
    return csv->fields[(row + 1) * csv->columns + (size_t)column];
}

double demo_csv_number(const demo_csv *csv, size_t row, int column)
{
    const char *text = demo_csv_text(csv, row, column);
    char *end = NULL;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end != '\0') return NAN;
    return value;
}

int demo_csv_flag(const demo_csv *csv, size_t row, int column)
{
    const char *text = demo_csv_text(csv, row, column);
    return strcmp(text, "1") == 0 || strcasecmp(text, "true") == 0 || strcasecmp(text, "yes") == 0;
}
