/* info_table.h - what `gradtap info` reads from a snapshot file (one row
 * per tensor and kind with a snapshot or a summary) and its text table:
 * grouped by file under one line naming it, columns sized to what they
 * hold, tensor names longer than the width allows shortened in the middle.
 * Private to the CLI. */
#ifndef GRADTAP_CLI_INFO_TABLE_H
#define GRADTAP_CLI_INFO_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "gradtap/format.h"

/* The width the table keeps to for typical tensor names. */
#define GTAP_INFO_TABLE_WIDTH 120

typedef struct gtap_info_row {
    char *tensor;               /* owned */
    gtap_kind kind;
    uint64_t numel;
    gtap_dtype dtype;
    size_t steps;               /* snapshots */
    int64_t first_step, last_step;
    size_t summaries;           /* summaries (gradtap/summary.h) */
    int64_t first_summary, last_summary;
    char densities[256];        /* of the first summary, "0.001,0.01"; "" without summaries */
    uint64_t bytes;
    gtap_compression compression;
} gtap_info_row;

typedef struct gtap_info_file {
    const char *path;           /* not owned */
    gtap_file_info info;
    gtap_info_row *rows;
    size_t row_count;
} gtap_info_file;

/* Open `path`, read its rows, close it. @return an exit code after one
 * line naming the file on failure. */
int gtap_info_file_read(const char *path, gtap_info_file *file);
void gtap_info_file_free(gtap_info_file *file);

/* The table of `count` files to `stream`, at most `width` columns wide
 * while tensor names leave room (a name is never cut below 24 bytes). */
void gtap_info_table_print(FILE *stream, const gtap_info_file *files, size_t count, int width);

/* `name` into `out` (capacity > width), shortened to `width` bytes by
 * "..." in its middle when longer (never inside a UTF-8 sequence). */
void gtap_info_elide(const char *name, size_t width, char *out, size_t capacity);

#endif
