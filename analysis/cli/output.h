/* output.h - streaming result tables for the CLI: one description of the
 * columns, rows written one at a time, rendered as an aligned text table,
 * CSV (RFC 4180 quoting, header row) or JSON (an array of objects; NaN and
 * Inf become null). Data goes to the given stream (stdout by default). */
#ifndef GRADTAP_CLI_OUTPUT_H
#define GRADTAP_CLI_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

typedef enum gtap_out_format { GTAP_OUT_TABLE = 0, GTAP_OUT_CSV = 1, GTAP_OUT_JSON = 2 } gtap_out_format;

/* Parse "table", "csv" or "json". @return 0, or GTAP_EXIT_USAGE after
 * printing an error naming --format. */
int gtap_out_parse_format(const char *text, gtap_out_format *format);

typedef enum gtap_cell_type { GTAP_CELL_STRING, GTAP_CELL_INT, GTAP_CELL_DOUBLE, GTAP_CELL_BOOL } gtap_cell_type;

typedef struct gtap_column {
    const char *name;
    gtap_cell_type type;
    int width;            /* table mode: minimum width (0: name's length) */
} gtap_column;

typedef struct gtap_cell {
    const char *text;     /* GTAP_CELL_STRING */
    int64_t integer;      /* GTAP_CELL_INT */
    double number;        /* GTAP_CELL_DOUBLE (%.9g; NaN/Inf: "nan"/"inf" in table/CSV, null in JSON) */
    int flag;             /* GTAP_CELL_BOOL */
} gtap_cell;

typedef struct gtap_out {
    FILE *stream;
    gtap_out_format format;
    const gtap_column *columns;
    int column_count;
    long rows;
} gtap_out;

/* Start a table: prints the header (table/CSV) or "[" (JSON). */
void gtap_out_begin(gtap_out *out, FILE *stream, gtap_out_format format, const gtap_column *columns,
                    int column_count);
/* Write one row of column_count cells. */
void gtap_out_row(gtap_out *out, const gtap_cell *cells);
/* Finish: "]" for JSON. */
void gtap_out_end(gtap_out *out);

/* Helpers to build cells. */
static inline gtap_cell gtap_cell_str(const char *text) { gtap_cell c = {0}; c.text = text; return c; }
static inline gtap_cell gtap_cell_int(int64_t v) { gtap_cell c = {0}; c.integer = v; return c; }
static inline gtap_cell gtap_cell_num(double v) { gtap_cell c = {0}; c.number = v; return c; }
static inline gtap_cell gtap_cell_bool(int v) { gtap_cell c = {0}; c.flag = v; return c; }

/* JSON string literal with escapes, to `stream`; bytes that are not
 * well-formed UTF-8 become U+FFFD, so the output is always valid JSON. */
void gtap_out_json_string(FILE *stream, const char *text);

#endif
