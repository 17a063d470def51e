/* info_table.c - the rows of `gradtap info` and their text table (see
 * info_table.h). */
#include "info_table.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gradtap/summary.h"
#include "output.h"
#include "h5_guard.h"

void gtap_info_file_free(gtap_info_file *file)
{
    for (size_t r = 0; file->rows && r < file->row_count; r++) free(file->rows[r].tensor);
    free(file->rows);
    file->rows = NULL;
    file->row_count = 0;
}

/* Snapshot steps: count, first, last. */
static int read_snapshot_steps(gtap_reader *reader, size_t tensor, gtap_kind kind, gtap_info_row *row)
{
    int rc = gtap_reader_steps(reader, tensor, kind, NULL, 0, &row->steps);
    if (rc < 0 || row->steps == 0) return rc;
    int64_t *steps = malloc(row->steps * sizeof *steps);
    if (steps == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for %zu steps", row->steps);
    rc = gtap_reader_steps(reader, tensor, kind, steps, row->steps, &row->steps);
    if (rc == GTAP_OK && row->steps > 0) {
        row->first_step = steps[0];
        row->last_step = steps[row->steps - 1];
    }
    free(steps);
    return rc;
}

/* Summaries: count, first and last step, the densities of the first. */
static int read_summaries(gtap_reader *reader, size_t tensor, gtap_kind kind, gtap_info_row *row)
{
    int rc = gtap_summary_count(reader, tensor, kind, &row->summaries);
    if (rc < 0 || row->summaries == 0) return rc;
    gtap_summary summary;
    if ((rc = gtap_summary_read(reader, tensor, kind, row->summaries - 1, &summary)) < 0) return rc;
    row->last_summary = summary.step;
    if ((rc = gtap_summary_read(reader, tensor, kind, 0, &summary)) < 0) return rc;
    row->first_summary = summary.step;
    size_t used = 0;
    for (size_t i = 0; i < summary.density_count && used < sizeof row->densities; i++) {
        int n = snprintf(row->densities + used, sizeof row->densities - used, "%s%.6g", i ? "," : "", summary.densities[i]);
        if (n < 0) break;
        used += (size_t)n;
    }
    return GTAP_OK;
}

static int add_row(gtap_info_file *file, size_t *capacity, const gtap_info_row *row)
{
    if (file->row_count == *capacity) {
        size_t grown_capacity = *capacity ? 2 * *capacity : 16;
        gtap_info_row *grown = realloc(file->rows, grown_capacity * sizeof *grown);
        if (grown == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory");
        file->rows = grown;
        *capacity = grown_capacity;
    }
    file->rows[file->row_count] = *row;
    if ((file->rows[file->row_count].tensor = strdup(row->tensor)) == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory");
    file->row_count++;
    return GTAP_OK;
}

static int read_rows(gtap_reader *reader, gtap_info_file *file)
{
    size_t tensor_count = gtap_reader_tensor_count(reader), capacity = 0;
    int rc = GTAP_OK;
    for (size_t t = 0; t < tensor_count && rc == GTAP_OK; t++) {
        gtap_tensor_info tensor;
        if ((rc = gtap_reader_tensor(reader, t, &tensor)) < 0) break;
        for (int kind = 0; kind < GTAP_KIND_COUNT && rc == GTAP_OK; kind++) {
            gtap_info_row row = {.tensor = (char *)tensor.name, .kind = (gtap_kind)kind, .numel = tensor.numel,
                                 .dtype = tensor.dtype, .bytes = tensor.stored_bytes, .compression = tensor.compression};
            if ((rc = read_snapshot_steps(reader, t, (gtap_kind)kind, &row)) == GTAP_OK)
                rc = read_summaries(reader, t, (gtap_kind)kind, &row);
            if (rc == GTAP_OK && (row.steps > 0 || row.summaries > 0)) rc = add_row(file, &capacity, &row);
        }
    }
    return rc;
}

int gtap_info_file_read(const char *path, gtap_info_file *file)
{
    memset(file, 0, sizeof *file);
    file->path = path;
    gtap_reader *reader = NULL;
    int rc = gtap_cli_reader_open(path, &reader);
    if (rc == GTAP_OK) rc = gtap_reader_file_info(reader, &file->info);
    if (rc == GTAP_OK) rc = read_rows(reader, file);
    gtap_reader_close(reader);
    return rc < 0 ? gtap_cli_fail(rc) : GTAP_EXIT_OK;
}

/* ---- the text table ------------------------------------------------------ */

enum { T_TENSOR, T_KIND, T_NUMEL, T_DTYPE, T_SNAPSHOTS, T_SUMMARIES, T_DENSITIES, T_BYTES, T_COUNT };

enum { MIN_TENSOR_WIDTH = 24, CELL_SIZE = 256, NAME_SIZE = 1024 };

/* dtype shows the compression ("float32/gzip"), bytes are rounded ("3.1M"):
 * csv and json have both exactly */
static const gtap_column table_columns[T_COUNT] = {
    {"tensor", GTAP_CELL_STRING, 0}, {"kind", GTAP_CELL_STRING, 0},      {"numel", GTAP_CELL_INT, 0},
    {"dtype", GTAP_CELL_STRING, 0},  {"snapshots", GTAP_CELL_STRING, 0}, {"summaries", GTAP_CELL_STRING, 0},
    {"densities", GTAP_CELL_STRING, 0}, {"bytes", GTAP_CELL_STRING, 0},
};

static int is_continuation(unsigned char byte)
{
    return byte >= 0x80 && byte < 0xC0;
}

void gtap_info_elide(const char *name, size_t width, char *out, size_t capacity)
{
    size_t length = strlen(name);
    if (length <= width || width < 5) {
        snprintf(out, capacity, "%s", name);
        return;
    }
    size_t head = (width - 3) / 2, tail_begin = length - (width - 3 - head);
    while (head > 0 && is_continuation((unsigned char)name[head])) head--;
    while (tail_begin < length && is_continuation((unsigned char)name[tail_begin])) tail_begin++;
    snprintf(out, capacity, "%.*s...%s", (int)head, name, name + tail_begin);
}

/* "N: FIRST..LAST", or "-" for none. */
static void steps_text(char *text, size_t count, int64_t first, int64_t last)
{
    if (count == 0) snprintf(text, CELL_SIZE, "-");
    else snprintf(text, CELL_SIZE, "%zu: %" PRId64 "..%" PRId64, count, first, last);
}

static void dtype_text(char *text, const gtap_info_row *row)
{
    if (row->compression == GTAP_COMPRESS_NONE) snprintf(text, CELL_SIZE, "%s", gtap_dtype_name(row->dtype));
    else snprintf(text, CELL_SIZE, "%s/%s", gtap_dtype_name(row->dtype), gtap_compression_name(row->compression));
}

/* 512B, 3.1K, 40M, 1.2G, ... */
static void bytes_text(char *text, uint64_t bytes)
{
    static const char units[] = "KMGTPE";
    if (bytes < 1024) {
        snprintf(text, CELL_SIZE, "%" PRIu64 "B", bytes);
        return;
    }
    double value = (double)bytes / 1024.0;
    int unit = 0;
    while (value >= 1023.5 && unit < 5) {
        value /= 1024.0;
        unit++;
    }
    snprintf(text, CELL_SIZE, value < 9.95 ? "%.1f%c" : "%.0f%c", value, units[unit]);
}

static int text_width(const char *text)
{
    return (int)strlen(text);
}

/* The cells of one row but its name. */
static void row_cells(const gtap_info_row *row, char cells[T_COUNT][CELL_SIZE])
{
    snprintf(cells[T_KIND], CELL_SIZE, "%s", gtap_kind_name(row->kind));
    snprintf(cells[T_NUMEL], CELL_SIZE, "%" PRIu64, row->numel);
    dtype_text(cells[T_DTYPE], row);
    steps_text(cells[T_SNAPSHOTS], row->steps, row->first_step, row->last_step);
    steps_text(cells[T_SUMMARIES], row->summaries, row->first_summary, row->last_summary);
    snprintf(cells[T_DENSITIES], CELL_SIZE, "%s", row->densities[0] ? row->densities : "-");
    bytes_text(cells[T_BYTES], row->bytes);
}

/* Column widths over every row (the names' full length for the tensor). */
static void measure(const gtap_info_file *files, size_t count, int widths[T_COUNT])
{
    char cells[T_COUNT][CELL_SIZE];
    for (int c = 0; c < T_COUNT; c++) widths[c] = text_width(table_columns[c].name);
    for (size_t f = 0; f < count; f++)
        for (size_t r = 0; r < files[f].row_count; r++) {
            const gtap_info_row *row = &files[f].rows[r];
            row_cells(row, cells);
            if (text_width(row->tensor) > widths[T_TENSOR]) widths[T_TENSOR] = text_width(row->tensor);
            for (int c = 1; c < T_COUNT; c++)
                if (text_width(cells[c]) > widths[c]) widths[c] = text_width(cells[c]);
        }
}

static void table_row(gtap_out *out, const gtap_info_row *row, const int widths[T_COUNT])
{
    char name[NAME_SIZE], cells[T_COUNT][CELL_SIZE], bytes[CELL_SIZE];
    gtap_info_elide(row->tensor, (size_t)widths[T_TENSOR], name, sizeof name);
    row_cells(row, cells);
    snprintf(bytes, sizeof bytes, "%*s", widths[T_BYTES], cells[T_BYTES]); /* a number: right-aligned */
    snprintf(cells[T_BYTES], CELL_SIZE, "%s", bytes);
    gtap_cell shown[T_COUNT];
    shown[T_TENSOR] = gtap_cell_str(name);
    for (int c = 1; c < T_COUNT; c++) shown[c] = gtap_cell_str(cells[c]);
    shown[T_NUMEL] = gtap_cell_int((int64_t)row->numel);
    gtap_out_row(out, shown);
}

void gtap_info_table_print(FILE *stream, const gtap_info_file *files, size_t count, int width)
{
    gtap_column columns[T_COUNT];
    int widths[T_COUNT], others = 2 * (T_COUNT - 1);
    measure(files, count, widths);
    for (int c = 1; c < T_COUNT; c++) others += widths[c];
    int room = width - others;
    if (room < MIN_TENSOR_WIDTH) room = MIN_TENSOR_WIDTH;
    if (room > NAME_SIZE - 1) room = NAME_SIZE - 1;
    if (widths[T_TENSOR] > room) widths[T_TENSOR] = room;
    for (int c = 0; c < T_COUNT; c++) columns[c] = (gtap_column){table_columns[c].name, table_columns[c].type, widths[c]};
    for (size_t f = 0; f < count; f++) {
        const gtap_file_info *info = &files[f].info;
        fprintf(stream, "%s%s: rank %d of %d, %s%s%s, created %s, %s\n", f ? "\n" : "", files[f].path, info->rank,
                info->world_size, info->run_id[0] ? "run id '" : "no run id", info->run_id, info->run_id[0] ? "'" : "",
                info->created[0] ? info->created : "?", info->complete ? "complete" : "NOT complete");
        /* the header is aligned as its column's cells (gtap_out_begin would
         * right-align every name) */
        for (int c = 0; c < T_COUNT; c++)
            fprintf(stream, "%s%*s", c ? "  " : "", c == T_NUMEL || c == T_BYTES ? widths[c] : -widths[c], columns[c].name);
        fputc('\n', stream);
        gtap_out out = {stream, GTAP_OUT_TABLE, columns, T_COUNT, 0};
        for (size_t r = 0; r < files[f].row_count; r++) table_row(&out, &files[f].rows[r], widths);
        gtap_out_end(&out);
    }
}
