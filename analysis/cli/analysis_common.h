/* analysis_common.h - the driver bounds, fit and curve share: common
 * options (--density/--k, --format, --output, --fit-sample, the selection
 * options of selection.h), the loop over the selected snapshots (split over
 * MPI ranks when launched by mpirun), the result table gathered on rank 0,
 * printed, and written to the HDF5 results file. Private to the CLI. */
#ifndef GRADTAP_CLI_ANALYSIS_COMMON_H
#define GRADTAP_CLI_ANALYSIS_COMMON_H

#include <getopt.h>

#include "cli.h"
#include "gradtap/table_h5.h"
#include "output.h"
#include "selection.h"
#include "output_file.h"
#include "table.h"

enum { GTAP_AN_OPT_DENSITY = 1100, GTAP_AN_OPT_K, GTAP_AN_OPT_FIT_SAMPLE, GTAP_AN_OPT_FORCE, GTAP_AN_OPT_COLUMNS };

#define GTAP_ANALYSIS_LONG_OPTIONS                                                                       \
    GTAP_SELECTION_LONG_OPTIONS, {"density", required_argument, NULL, GTAP_AN_OPT_DENSITY},             \
        {"k", required_argument, NULL, GTAP_AN_OPT_K}, {"fit-sample", required_argument, NULL, GTAP_AN_OPT_FIT_SAMPLE}, \
        {"format", required_argument, NULL, 'f'}, {"output", required_argument, NULL, 'o'},            \
        {"force", no_argument, NULL, GTAP_AN_OPT_FORCE}, {"columns", required_argument, NULL, GTAP_AN_OPT_COLUMNS}, \
        {"help", no_argument, NULL, 'h'}

/* Help text of --columns, for the commands' usage. */
#define GTAP_ANALYSIS_COLUMNS_HELP                                                                        \
    "      --columns LIST  the columns to print, in every format (comma-separated\n"                    \
    "                     names as in the csv header, or all); the terminal table\n"                   \
    "                     shows the key columns by default, csv and json all\n"

typedef struct gtap_analysis gtap_analysis;

/* Per-snapshot callbacks: return GTAP_OK or a gtap_status (message set). */
typedef int (*gtap_analysis_fn)(gtap_analysis *a, size_t index, const gtap_snapshot_data *data, void *user);
/* Fill a->ks_per_item for snapshot `index` (default: densities or --k). */
typedef void (*gtap_analysis_ks_fn)(gtap_analysis *a, size_t index, void *user);

typedef struct gtap_analysis_common {
    gtap_out_format format;
    const char *output;
    int force;               /* --force: -o may replace any file */
} gtap_analysis_common;

struct gtap_analysis {
    gtap_analysis_common common;
    gtap_selection_options selection_options;
    gtap_selection selection;
    gtap_table table;
    double *densities;       /* requested densities, or NULL with --k */
    uint64_t *ks;            /* requested k values (with --k) */
    int k_options_given;     /* bits: 1 --density, 2 --k (they exclude each other) */
    const char *json_key;    /* JSON with more tables after this one: printed as {"KEY": [...], ... */
    size_t k_count;          /* values per snapshot */
    uint64_t *ks_per_item;   /* the k of the current snapshot */
    uint64_t sample_max;     /* --fit-sample */
    uint64_t sample_seed;    /* seed of the random fit sample (fit --seed, bounds --seed; default 0) */
    gtap_analysis_ks_fn ks_for;
    /* Rank 0, after the rows of all ranks are gathered and before they are
     * printed: add rows that are not snapshots (bounds: summaries). NULL: none. */
    int (*after_gather)(gtap_analysis *a, void *user);
    int help;
    int is_root, mpi_rank, mpi_size;
    gtap_h5file *results;
    gtap_output_file results_file; /* -o is written aside and renamed at the end */
};

void gtap_analysis_init(gtap_analysis *a, const gtap_column *columns, int column_count);
/* Handle a common option. @return 1 handled, 0 not common, negative exit
 * code on error. -h prints `usage` and sets a->help. */
int gtap_analysis_option(gtap_analysis *a, int code, const char *argument, const char *usage);
/* The option loop of an analysis command (short options "f:o:h"): the next
 * option that gtap_analysis_option does not handle, or -1 at the end of the
 * options or once *exit_code is no longer GTAP_EXIT_OK. Set optind = 1 and
 * *exit_code = GTAP_EXIT_OK first. */
int gtap_analysis_next_option(gtap_analysis *a, int argc, char **argv, const struct option *options,
                              const char *usage, int *exit_code);
/* Open files, list snapshots, analyse this rank's share calling `before`
 * then `rows` per snapshot, gather and print the table (rank 0).
 * @return an exit code. */
int gtap_analysis_run(gtap_analysis *a, int argc, char **argv, gtap_analysis_fn before, gtap_analysis_fn rows, void *user);
/* Write the table as `name` into the results file (rank 0, when -o and
 * exit_code is 0), release everything, finalise MPI. @return an exit code. */
int gtap_analysis_finish(gtap_analysis *a, const char *name, int exit_code);

/* q[0..2] = min, median, max of n values (NaN when n = 0); `values` is
 * reordered. */
void gtap_analysis_min_median_max(double *values, size_t n, double q[3]);

#endif
