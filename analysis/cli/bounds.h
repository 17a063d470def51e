/* bounds.h - the row layout of `gradtap bounds`, shared by its snapshot
 * rows (cmd_bounds.c) and its summary rows (bounds_summaries.c): the
 * columns, the command's options, the cells every row derives from k, d
 * and the tail energy. Private to the CLI. */
#ifndef GRADTAP_CLI_BOUNDS_H
#define GRADTAP_CLI_BOUNDS_H

#include <stdint.h>

#include "analysis_common.h"
#include "selectors.h"

enum {
    C_RANK, C_STEP, C_TENSOR, C_KIND, C_D, C_K, C_NORM2, C_TAIL2, C_RATIO, C_LOOSE, C_TIGHT, C_DENSITY,
    C_K_OVER_D, C_HEAD2, C_DELTA, C_DELTA_TIGHT, C_GAIN, C_SLACK_LOOSE, C_SLACK_TIGHT, C_HOLDS_LOOSE, C_HOLDS_TIGHT,
    C_PRED_GAUSS, C_PRED_LAPLACE, C_THRESHOLD, C_STATUS, C_NONFINITE, C_FILE,
    C_SOURCE, /* snapshot or summary: after the columns of the first releases, whose order is a contract */
    C_SEL,    /* then 3 per selector */
    C_COUNT = C_SEL + 3 * GTAP_SELECTOR_COUNT
};

extern const gtap_column gtap_bounds_columns[C_COUNT];

typedef struct bounds_options {
    int check;            /* 0 none, 1 loose, 2 tight */
    int nonfinite_fail;
    int selectors;
    int summaries;        /* 1: rows from the capture's summaries too (default) */
    uint64_t selectors_max;
    uint64_t seed;
    uint64_t snapshot_rows; /* rows of snapshots (they come first in the table) */
} bounds_options;

/* The cells that follow from k, d and the measured ratio r = T_k/||u||^2:
 * d, k, norm2, tail2, ratio, both bounds, k_over_d, head2, delta_emp (given:
 * the snapshot rows take it from H_k directly), delta_tight, gain, both
 * slacks and both holds flags; ratio, tail, head and delta NaN when not
 * `usable` (NaN/Inf, zero vector). docs/THEORY.md s.1-2. */
typedef struct bounds_ratio {
    uint64_t d, k;
    double norm2, tail2, head2, ratio, delta;
    int usable;
} bounds_ratio;

void gtap_bounds_ratio_cells(const bounds_ratio *r, gtap_cell *cells);

/* The status of a vector: "nonfinite", "zero_vector" or "ok". */
const char *gtap_bounds_status(uint64_t nonfinite, double norm2);

/* after_gather hook of bounds (rank 0): a row per selected summary and
 * summary density, after every snapshot row (docs/CLI.md, "bounds"). */
int gtap_bounds_summary_rows(gtap_analysis *a, void *user);

/* Rank 0, after the rows: print (and with -o write as /bounds_summary) the
 * table per source and density or k, and apply --check to every row.
 * @return GTAP_OK, 1 when --check found a violation, or a gtap_status. */
int gtap_bounds_summarise(gtap_analysis *a, const bounds_options *o, gtap_h5file *results);

#endif
