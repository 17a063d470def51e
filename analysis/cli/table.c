/* table.c - in-memory result tables (see table.h): collect, sort, print,
 * write to HDF5, and gather across MPI ranks. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#ifdef GRADTAP_WITH_MPI
#include <mpi.h>
#endif

void gtap_table_init(gtap_table *t, const gtap_column *columns, int column_count)
{
    memset(t, 0, sizeof *t);
    t->columns = columns;
    t->column_count = column_count;
}

void gtap_table_free(gtap_table *t)
{
    if (t == NULL) return;
    for (uint64_t r = 0; r < t->rows; r++)
        for (int c = 0; c < t->column_count; c++)
            if (t->columns[c].type == GTAP_CELL_STRING) free((char *)t->cells[r * (uint64_t)t->column_count + (uint64_t)c].text);
    free(t->cells);
    free(t->order);
    free(t->shown);
    memset(t, 0, sizeof *t);
}

int gtap_table_add(gtap_table *t, uint64_t order, const gtap_cell *cells)
{
    if (t->rows == t->capacity) {
        uint64_t capacity = t->capacity ? 2 * t->capacity : 64;
        gtap_cell *grown = realloc(t->cells, (size_t)(capacity * (uint64_t)t->column_count) * sizeof *grown);
        if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for %llu result rows", (unsigned long long)capacity);
        t->cells = grown;
        uint64_t *keys = realloc(t->order, (size_t)capacity * sizeof *keys);
        if (keys == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for %llu result rows", (unsigned long long)capacity);
        t->order = keys;
        t->capacity = capacity;
    }
    gtap_cell *row = &t->cells[t->rows * (uint64_t)t->column_count];
    for (int c = 0; c < t->column_count; c++) {
        row[c] = cells[c];
        if (t->columns[c].type == GTAP_CELL_STRING) {
            row[c].text = strdup(cells[c].text ? cells[c].text : "");
            if (row[c].text == NULL) {
                for (int j = 0; j < c; j++)
                    if (t->columns[j].type == GTAP_CELL_STRING) free((char *)row[j].text);
                return gtap_set_error(GTAP_ENOMEM, "out of memory for a result row");
            }
        }
    }
    t->order[t->rows++] = order;
    return GTAP_OK;
}

/* csv or json of the columns in t->shown. */
static void print_shown(const gtap_table *t, FILE *stream, gtap_out_format format)
{
    gtap_column *columns = malloc((size_t)t->shown_count * sizeof *columns);
    gtap_cell *cells = malloc((size_t)t->shown_count * sizeof *cells);
    if (columns && cells) {
        for (int i = 0; i < t->shown_count; i++) columns[i] = t->columns[t->shown[i]];
        gtap_out out;
        gtap_out_begin(&out, stream, format, columns, t->shown_count);
        for (uint64_t r = 0; r < t->rows; r++) {
            for (int i = 0; i < t->shown_count; i++) cells[i] = *gtap_table_cell(t, r, t->shown[i]);
            gtap_out_row(&out, cells);
        }
        gtap_out_end(&out);
    } else {
        gtap_cli_warn("out of memory printing the table");
    }
    free(columns);
    free(cells);
}

void gtap_table_print(const gtap_table *t, FILE *stream, gtap_out_format format)
{
    if (format == GTAP_OUT_TABLE) {
        int *all = NULL;
        const int *shown = t->shown;
        int count = t->shown_count;
        if (shown == NULL) {
            if ((all = malloc((size_t)(t->column_count ? t->column_count : 1) * sizeof *all)) == NULL) return;
            for (int c = 0; c < t->column_count; c++) all[c] = c;
            shown = all;
            count = t->column_count;
        }
        gtap_table_print_text(t, stream, shown, count);
        if (count < t->column_count && !t->user_columns)
            fprintf(stream, "(%d of %d columns: --columns all or --format csv for every one)\n", count, t->column_count);
        free(all);
        return;
    }
    if (t->shown != NULL && t->shown_everywhere) {
        print_shown(t, stream, format);
        return;
    }
    gtap_out out;
    gtap_out_begin(&out, stream, format, t->columns, t->column_count);
    for (uint64_t r = 0; r < t->rows; r++) gtap_out_row(&out, gtap_table_cell(t, r, 0));
    gtap_out_end(&out);
}

int gtap_table_write_h5(const gtap_table *t, gtap_h5file *file, const char *name)
{
    gtap_h5col *cols = calloc((size_t)t->column_count, sizeof *cols);
    void **data = calloc((size_t)t->column_count, sizeof *data);
    int rc = cols && data ? GTAP_OK : gtap_set_error(GTAP_ENOMEM, "out of memory writing table '%s'", name);
    for (int c = 0; c < t->column_count && rc == GTAP_OK; c++) {
        const gtap_column *col = &t->columns[c];
        cols[c].name = col->name;
        size_t rows = (size_t)(t->rows ? t->rows : 1);
        if (col->type == GTAP_CELL_DOUBLE) {
            double *v = malloc(rows * sizeof *v);
            for (uint64_t r = 0; v && r < t->rows; r++) v[r] = gtap_table_cell(t, r, c)->number;
            cols[c].type = GTAP_H5COL_F64;
            data[c] = v;
        } else if (col->type == GTAP_CELL_STRING) {
            const char **v = malloc(rows * sizeof *v);
            for (uint64_t r = 0; v && r < t->rows; r++) v[r] = gtap_table_cell(t, r, c)->text;
            cols[c].type = GTAP_H5COL_STR;
            data[c] = (void *)v;
        } else {
            int64_t *v = malloc(rows * sizeof *v);
            for (uint64_t r = 0; v && r < t->rows; r++) {
                const gtap_cell *cell = gtap_table_cell(t, r, c);
                v[r] = col->type == GTAP_CELL_BOOL ? cell->flag : cell->integer;
            }
            cols[c].type = GTAP_H5COL_I64;
            data[c] = v;
        }
        cols[c].data = data[c];
        if (data[c] == NULL) rc = gtap_set_error(GTAP_ENOMEM, "out of memory writing table '%s'", name);
    }
    if (rc == GTAP_OK) rc = gtap_h5file_table(file, name, cols, (size_t)t->column_count, t->rows);
    for (int c = 0; data && c < t->column_count; c++) free(data[c]);
    free(data);
    free(cols);
    return rc;
}

/* Stable sort by order key: insertion into an index permutation (merge
 * sort of indices). */
static int compare_keys(const void *a, const void *b, const uint64_t *keys)
{
    uint64_t x = keys[*(const uint64_t *)a], y = keys[*(const uint64_t *)b];
    if (x != y) return x < y ? -1 : 1;
    uint64_t i = *(const uint64_t *)a, j = *(const uint64_t *)b;
    return (i > j) - (i < j);
}

static const uint64_t *sort_keys;
static int compare_index(const void *a, const void *b) { return compare_keys(a, b, sort_keys); }

void gtap_table_sort(gtap_table *t)
{
    if (t->rows < 2) return;
    uint64_t *index = malloc((size_t)t->rows * sizeof *index);
    gtap_cell *cells = malloc((size_t)(t->rows * (uint64_t)t->column_count) * sizeof *cells);
    uint64_t *order = malloc((size_t)t->rows * sizeof *order);
    if (index == NULL || cells == NULL || order == NULL) {
        free(index);
        free(cells);
        free(order);
        return; /* out of memory: rows stay in their (valid) input order */
    }
    for (uint64_t r = 0; r < t->rows; r++) index[r] = r;
    sort_keys = t->order;
    qsort(index, (size_t)t->rows, sizeof *index, compare_index);
    for (uint64_t r = 0; r < t->rows; r++) {
        memcpy(&cells[r * (uint64_t)t->column_count], gtap_table_cell(t, index[r], 0),
               (size_t)t->column_count * sizeof *cells);
        order[r] = t->order[index[r]];
    }
    free(t->cells);
    free(t->order);
    t->cells = cells;
    t->order = order;
    t->capacity = t->rows;
    free(index);
}

#ifdef GRADTAP_WITH_MPI
/* Bytes of one row: order key, then per column 8 bytes or a length-prefixed
 * string. */
static size_t row_bytes(const gtap_table *t, uint64_t r)
{
    size_t n = 8;
    for (int c = 0; c < t->column_count; c++)
        n += t->columns[c].type == GTAP_CELL_STRING ? 4 + strlen(gtap_table_cell(t, r, c)->text) : 8;
    return n;
}

static char *pack_rows(const gtap_table *t, size_t *size)
{
    size_t total = 0;
    for (uint64_t r = 0; r < t->rows; r++) total += row_bytes(t, r);
    char *buffer = malloc(total ? total : 1), *p = buffer;
    if (buffer == NULL) return NULL;
    for (uint64_t r = 0; r < t->rows; r++) {
        memcpy(p, &t->order[r], 8);
        p += 8;
        for (int c = 0; c < t->column_count; c++) {
            const gtap_cell *cell = gtap_table_cell(t, r, c);
            switch (t->columns[c].type) {
            case GTAP_CELL_STRING: {
                uint32_t length = (uint32_t)strlen(cell->text);
                memcpy(p, &length, 4);
                memcpy(p + 4, cell->text, length);
                p += 4 + length;
                break;
            }
            case GTAP_CELL_DOUBLE: memcpy(p, &cell->number, 8); p += 8; break;
            case GTAP_CELL_INT: memcpy(p, &cell->integer, 8); p += 8; break;
            case GTAP_CELL_BOOL: {
                int64_t flag = cell->flag;
                memcpy(p, &flag, 8);
                p += 8;
                break;
            }
            }
        }
    }
    *size = total;
    return buffer;
}

static int unpack_rows(gtap_table *t, const char *p, const char *end)
{
    gtap_cell *cells = calloc((size_t)t->column_count, sizeof *cells);
    char **strings = calloc((size_t)t->column_count, sizeof *strings);
    int rc = cells && strings ? GTAP_OK : GTAP_ENOMEM;
    while (rc == GTAP_OK && p < end) {
        uint64_t order;
        memcpy(&order, p, 8);
        p += 8;
        for (int c = 0; c < t->column_count && rc == GTAP_OK; c++) {
            if (t->columns[c].type == GTAP_CELL_STRING) {
                uint32_t length;
                memcpy(&length, p, 4);
                strings[c] = malloc(length + 1u);
                if (strings[c] == NULL) {
                    rc = GTAP_ENOMEM;
                    break;
                }
                memcpy(strings[c], p + 4, length);
                strings[c][length] = '\0';
                cells[c].text = strings[c];
                p += 4 + length;
            } else {
                int64_t value;
                memcpy(&value, p, 8);
                if (t->columns[c].type == GTAP_CELL_DOUBLE) memcpy(&cells[c].number, p, 8);
                else if (t->columns[c].type == GTAP_CELL_BOOL) cells[c].flag = (int)value;
                else cells[c].integer = value;
                p += 8;
            }
        }
        if (rc == GTAP_OK) rc = gtap_table_add(t, order, cells);
        for (int c = 0; c < t->column_count; c++) {
            free(strings[c]);
            strings[c] = NULL;
        }
    }
    free(cells);
    free(strings);
    return rc < 0 ? gtap_set_error(rc, "out of memory gathering results") : GTAP_OK;
}
#endif

int gtap_table_gather(gtap_table *t)
{
#ifdef GRADTAP_WITH_MPI
    int initialised = 0;
    MPI_Initialized(&initialised);
    int size = 1, rank = 0;
    if (initialised) {
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    }
    if (size > 1) {
        size_t bytes = 0;
        char *mine = pack_rows(t, &bytes);
        if (mine == NULL || bytes > (size_t)INT32_MAX) {
            free(mine);
            return gtap_set_error(GTAP_ENOMEM, "cannot pack %llu result rows for gathering", (unsigned long long)t->rows);
        }
        int count = (int)bytes;
        int *counts = rank == 0 ? calloc((size_t)size, sizeof *counts) : NULL;
        int *offsets = rank == 0 ? calloc((size_t)size, sizeof *offsets) : NULL;
        MPI_Gather(&count, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
        char *all = NULL;
        int rc = GTAP_OK;
        if (rank == 0) {
            long total = 0;
            for (int i = 0; i < size; i++) {
                offsets[i] = (int)total;
                total += counts[i];
            }
            if (total > INT32_MAX || (all = malloc((size_t)total + 1)) == NULL) rc = GTAP_ENOMEM;
        }
        MPI_Gatherv(mine, count, MPI_BYTE, all, counts, offsets, MPI_BYTE, 0, MPI_COMM_WORLD);
        free(mine);
        const gtap_column *columns = t->columns;
        int column_count = t->column_count;
        gtap_table_free(t);
        gtap_table_init(t, columns, column_count);
        if (rank == 0 && rc == GTAP_OK) {
            long total = (long)offsets[size - 1] + counts[size - 1];
            rc = unpack_rows(t, all, all + total);
        }
        free(all);
        free(counts);
        free(offsets);
        if (rc < 0) return gtap_set_error(rc, "out of memory gathering result rows");
    }
#endif
    gtap_table_sort(t);
    return GTAP_OK;
}
