/* table_text.c - which columns a result table shows and how the terminal
 * table looks (see table.h): every column sized to its widest cell, strings
 * left and numbers right aligned, 6 significant digits (csv and json keep
 * 17), long strings elided in the middle so that the line stays within
 * GTAP_TABLE_WIDTH, and only the command's key columns unless --columns
 * says otherwise. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "table.h"

/* Narrowest a string column is elided to. */
#define MIN_STRING_WIDTH 12

static int find_column(const gtap_table *t, const char *name, size_t length)
{
    for (int c = 0; c < t->column_count; c++)
        if (strlen(t->columns[c].name) == length && strncmp(t->columns[c].name, name, length) == 0) return c;
    return -1;
}

/* Parse "a,b,c" into t->shown; "all" shows every column. */
static int parse_columns(gtap_table *t, const char *list, const char *option)
{
    free(t->shown);
    t->shown = NULL;
    t->shown_count = 0;
    if (strcmp(list, "all") == 0) return 0;
    t->shown = malloc((size_t)t->column_count * sizeof *t->shown);
    if (t->shown == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    for (const char *p = list; *p;) {
        size_t length = strcspn(p, ",");
        int c = find_column(t, p, length);
        if (c < 0) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: no column '%.*s' (see the csv header)", option, (int)length, p);
        if (t->shown_count == t->column_count)
            return gtap_cli_error(GTAP_EXIT_USAGE, "%s: more columns than the table has", option);
        t->shown[t->shown_count++] = c;
        p += length;
        if (*p == ',') p++;
    }
    if (t->shown_count == 0) return gtap_cli_error(GTAP_EXIT_USAGE, "%s: no column named", option);
    return 0;
}

int gtap_table_key_columns(gtap_table *t, const char *list)
{
    int rc = parse_columns(t, list, "key columns");
    t->shown_everywhere = 0;
    return rc ? GTAP_EINTERNAL : GTAP_OK; /* a command's own list: a wrong name is a bug */
}

int gtap_table_select_columns(gtap_table *t, const char *list)
{
    int rc = parse_columns(t, list, "--columns");
    t->shown_everywhere = 1;
    t->user_columns = 1;
    return rc;
}

/* The number of characters (UTF-8 code points) of a string. */
static int text_width(const char *s)
{
    int width = 0;
    for (; *s; s++) width += ((unsigned char)*s & 0xC0) != 0x80;
    return width;
}

/* The byte offset after `chars` code points of s. */
static size_t byte_offset(const char *s, int chars)
{
    size_t i = 0;
    for (int seen = 0; s[i]; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80 && seen++ == chars) break;
    }
    return i;
}

static const char *cell_text(const gtap_column *column, const gtap_cell *cell, char *buffer, size_t size)
{
    switch (column->type) {
    case GTAP_CELL_STRING: return cell->text ? cell->text : "";
    case GTAP_CELL_INT: snprintf(buffer, size, "%" PRId64, cell->integer); break;
    case GTAP_CELL_BOOL: snprintf(buffer, size, "%s", cell->flag ? "yes" : "no"); break;
    case GTAP_CELL_DOUBLE:
        if (isnan(cell->number)) snprintf(buffer, size, "nan");
        else if (isinf(cell->number)) snprintf(buffer, size, cell->number > 0 ? "inf" : "-inf");
        else snprintf(buffer, size, "%.6g", cell->number);
        break;
    }
    return buffer;
}

/* Print `text` in `width` characters, keeping its start and its end when
 * it is longer (tensor names differ at the end: layer4.1.conv2.weight). */
static void print_fitted(FILE *stream, const char *text, int width, int left, int last)
{
    int length = text_width(text);
    if (length <= width) {
        int pad = left && last ? 0 : width - length; /* no trailing blanks */
        fprintf(stream, "%s%*s%s", left ? text : "", pad, "", left ? "" : text);
        return;
    }
    int tail = (width - 3) * 2 / 3, head = width - 3 - tail;
    fprintf(stream, "%.*s...%s", (int)byte_offset(text, head), text, text + byte_offset(text, length - tail));
}

/* Widths of the shown columns; string columns narrowed until the line fits. */
static void column_widths(const gtap_table *t, const int *shown, int count, int *width)
{
    char buffer[64];
    int total = 2 * (count - 1);
    for (int i = 0; i < count; i++) {
        const gtap_column *column = &t->columns[shown[i]];
        width[i] = text_width(column->name);
        for (uint64_t r = 0; r < t->rows; r++) {
            int w = text_width(cell_text(column, gtap_table_cell(t, r, shown[i]), buffer, sizeof buffer));
            if (w > width[i]) width[i] = w;
        }
        total += width[i];
    }
    while (total > GTAP_TABLE_WIDTH) {
        int widest = -1;
        for (int i = 0; i < count; i++)
            if (t->columns[shown[i]].type == GTAP_CELL_STRING && width[i] > MIN_STRING_WIDTH &&
                (widest < 0 || width[i] > width[widest]))
                widest = i;
        if (widest < 0) break;
        width[widest]--;
        total--;
    }
}

void gtap_table_print_text(const gtap_table *t, FILE *stream, const int *shown, int count)
{
    int *width = malloc((size_t)(count ? count : 1) * sizeof *width);
    if (width == NULL) return;
    column_widths(t, shown, count, width);
    char buffer[64];
    for (int i = 0; i < count; i++) {
        if (i) fputs("  ", stream);
        print_fitted(stream, t->columns[shown[i]].name, width[i], t->columns[shown[i]].type == GTAP_CELL_STRING,
                     i == count - 1);
    }
    fputc('\n', stream);
    for (uint64_t r = 0; r < t->rows; r++) {
        for (int i = 0; i < count; i++) {
            const gtap_column *column = &t->columns[shown[i]];
            if (i) fputs("  ", stream);
            print_fitted(stream, cell_text(column, gtap_table_cell(t, r, shown[i]), buffer, sizeof buffer), width[i],
                         column->type == GTAP_CELL_STRING, i == count - 1);
        }
        fputc('\n', stream);
    }
    fflush(stream);
    free(width);
}
