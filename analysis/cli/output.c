/* output.c - result tables rendered as text, CSV or JSON (see output.h). */
#include "output.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "cli.h"

int gtap_out_parse_format(const char *text, gtap_out_format *format)
{
    if (strcmp(text, "table") == 0) *format = GTAP_OUT_TABLE;
    else if (strcmp(text, "csv") == 0) *format = GTAP_OUT_CSV;
    else if (strcmp(text, "json") == 0) *format = GTAP_OUT_JSON;
    else return gtap_cli_error(GTAP_EXIT_USAGE, "--format: '%s' is not one of table, csv, json", text);
    return 0;
}

/* The length of the well-formed UTF-8 sequence at `p` (1..4), 0 if it is
 * not one (stray continuation byte, overlong form, surrogate, > U+10FFFF,
 * cut short). */
static int utf8_length(const unsigned char *p)
{
    unsigned char lead = p[0];
    if (lead < 0x80) return 1;
    int length = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
    if (length == 0) return 0;
    unsigned char low = 0x80, high = 0xBF; /* allowed range of the second byte */
    if (lead == 0xE0) low = 0xA0;
    else if (lead == 0xED) high = 0x9F;
    else if (lead == 0xF0) low = 0x90;
    else if (lead == 0xF4) high = 0x8F;
    if (p[1] < low || p[1] > high) return 0;
    for (int i = 2; i < length; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return length;
}

void gtap_out_json_string(FILE *stream, const char *text)
{
    fputc('"', stream);
    for (const unsigned char *p = (const unsigned char *)(text ? text : ""); *p; p++) {
        int length = *p >= 0x80 ? utf8_length(p) : 1;
        if (length == 0) { /* not UTF-8: U+FFFD, so that the output stays valid JSON */
            fputs("\\ufffd", stream);
            continue;
        }
        if (length > 1) {
            fwrite(p, 1, (size_t)length, stream);
            p += length - 1;
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", stream); break;
        case '\\': fputs("\\\\", stream); break;
        case '\n': fputs("\\n", stream); break;
        case '\r': fputs("\\r", stream); break;
        case '\t': fputs("\\t", stream); break;
        default:
            if (*p < 0x20) fprintf(stream, "\\u%04x", *p);
            else fputc(*p, stream);
        }
    }
    fputc('"', stream);
}

static void csv_string(FILE *stream, const char *text)
{
    text = text ? text : "";
    if (strpbrk(text, ",\"\n\r") == NULL) {
        fputs(text, stream);
        return;
    }
    fputc('"', stream);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', stream);
        fputc(*p, stream);
    }
    fputc('"', stream);
}

static int column_width(const gtap_column *column)
{
    int width = (int)strlen(column->name);
    return column->width > width ? column->width : width;
}

void gtap_out_begin(gtap_out *out, FILE *stream, gtap_out_format format, const gtap_column *columns,
                    int column_count)
{
    out->stream = stream ? stream : stdout;
    out->format = format;
    out->columns = columns;
    out->column_count = column_count;
    out->rows = 0;
    if (format == GTAP_OUT_JSON) {
        fputs("[", out->stream);
        return;
    }
    for (int i = 0; i < column_count; i++) {
        if (format == GTAP_OUT_CSV) {
            if (i) fputc(',', out->stream);
            csv_string(out->stream, columns[i].name);
        } else {
            fprintf(out->stream, i ? "  %*s" : "%-*s", column_width(&columns[i]), columns[i].name);
        }
    }
    fputc('\n', out->stream);
}

static void format_number(char *buffer, size_t size, double value)
{
    if (isnan(value)) snprintf(buffer, size, "nan");
    else if (isinf(value)) snprintf(buffer, size, value > 0 ? "inf" : "-inf");
    else snprintf(buffer, size, "%.9g", value);
}

void gtap_out_row(gtap_out *out, const gtap_cell *cells)
{
    FILE *stream = out->stream;
    if (out->format == GTAP_OUT_JSON) fputs(out->rows ? ",\n {" : "\n {", stream);
    for (int i = 0; i < out->column_count; i++) {
        const gtap_column *column = &out->columns[i];
        const gtap_cell *cell = &cells[i];
        char text[64];
        if (out->format == GTAP_OUT_JSON) {
            if (i) fputs(", ", stream);
            gtap_out_json_string(stream, column->name);
            fputs(": ", stream);
            switch (column->type) {
            case GTAP_CELL_STRING: gtap_out_json_string(stream, cell->text); break;
            case GTAP_CELL_INT: fprintf(stream, "%" PRId64, cell->integer); break;
            case GTAP_CELL_BOOL: fputs(cell->flag ? "true" : "false", stream); break;
            case GTAP_CELL_DOUBLE:
                if (isfinite(cell->number)) fprintf(stream, "%.17g", cell->number);
                else fputs("null", stream);
                break;
            }
            continue;
        }
        const char *shown = text;
        switch (column->type) {
        case GTAP_CELL_STRING: shown = cell->text ? cell->text : ""; break;
        case GTAP_CELL_INT: snprintf(text, sizeof text, "%" PRId64, cell->integer); break;
        case GTAP_CELL_BOOL: snprintf(text, sizeof text, "%s", cell->flag ? "yes" : "no"); break;
        case GTAP_CELL_DOUBLE:
            if (out->format == GTAP_OUT_CSV && isfinite(cell->number)) snprintf(text, sizeof text, "%.17g", cell->number);
            else format_number(text, sizeof text, cell->number);
            break;
        }
        if (out->format == GTAP_OUT_CSV) {
            if (i) fputc(',', stream);
            if (column->type == GTAP_CELL_BOOL) fputs(cell->flag ? "1" : "0", stream);
            else csv_string(stream, shown);
        } else if (column->type == GTAP_CELL_STRING) {
            fprintf(stream, i ? "  %-*s" : "%-*s", column_width(column), shown);
        } else {
            fprintf(stream, i ? "  %*s" : "%*s", column_width(column), shown);
        }
    }
    fputs(out->format == GTAP_OUT_JSON ? "}" : "\n", stream);
    out->rows++;
}

void gtap_out_end(gtap_out *out)
{
    if (out->format == GTAP_OUT_JSON) fputs(out->rows ? "\n]\n" : "]\n", out->stream);
    fflush(out->stream);
}
