/* table.h - an in-memory result table for bounds/fit/curve: rows of typed
 * cells (columns as in output.h) collected first, then printed as
 * table/CSV/JSON, written to an HDF5 results file, and, under MPI, gathered
 * from all ranks onto rank 0 in a fixed row order. Private to the CLI. */
#ifndef GRADTAP_CLI_TABLE_H
#define GRADTAP_CLI_TABLE_H

#include <stdint.h>

#include "gradtap/table_h5.h"
#include "output.h"

typedef struct gtap_table {
    const gtap_column *columns;
    int column_count;
    uint64_t rows, capacity;
    uint64_t *order;   /* sort key of each row (snapshot index * 2^20 + row within it) */
    gtap_cell *cells;  /* rows * column_count; strings owned (strdup'ed) */
    int *shown;        /* columns printed, in order (NULL: all) */
    int shown_count;
    int shown_everywhere; /* 1: csv and json too (--columns), 0: the terminal table only */
    int user_columns;  /* --columns was given */
} gtap_table;

/* The terminal table stays within this many characters where it can. */
#define GTAP_TABLE_WIDTH 120

/* The key columns the terminal table shows by default ("a,b,c"; every
 * other column is in csv, json and the results file). @return GTAP_OK, or
 * GTAP_EINTERNAL for a name the table does not have. */
int gtap_table_key_columns(gtap_table *table, const char *list);
/* --columns LIST|all: the columns of every format. @return 0, or
 * GTAP_EXIT_USAGE after one error line naming the unknown column. */
int gtap_table_select_columns(gtap_table *table, const char *list);
/* The aligned terminal table of the given columns (table_text.c). */
void gtap_table_print_text(const gtap_table *table, FILE *stream, const int *shown, int count);

void gtap_table_init(gtap_table *table, const gtap_column *columns, int column_count);
void gtap_table_free(gtap_table *table);
/* Append a row (strings are copied). @return GTAP_OK or GTAP_ENOMEM. */
int gtap_table_add(gtap_table *table, uint64_t order, const gtap_cell *cells);
/* Print every row through gtap_out. */
void gtap_table_print(const gtap_table *table, FILE *stream, gtap_out_format format);
/* Write the table as group `name` of an open results file. */
int gtap_table_write_h5(const gtap_table *table, gtap_h5file *file, const char *name);
/* Sort rows by their order key (stable). */
void gtap_table_sort(gtap_table *table);
/* MPI: move every rank's rows to rank 0 (others end empty) and sort them.
 * Without MPI, or when MPI is not initialised: only sorts. */
int gtap_table_gather(gtap_table *table);

/* The cell of row r, column c. */
static inline const gtap_cell *gtap_table_cell(const gtap_table *t, uint64_t r, int c)
{
    return &t->cells[r * (uint64_t)t->column_count + (uint64_t)c];
}

#endif
