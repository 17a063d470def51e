/* selection.h - which snapshots bounds/fit/curve analyse, shared by the
 * three commands: the options --tensor GLOB (repeatable), --global,
 * --steps FIRST:LAST[:STRIDE], --kind KIND (repeatable), --rank R
 * (repeatable), --chunk N; the list of selected snapshots over all FILEs;
 * and the two-pass streamed analysis of one snapshot (exact tail energies
 * and moments for a list of k, plus the deterministic subsample). Private
 * to the CLI. */
#ifndef GRADTAP_CLI_SELECTION_H
#define GRADTAP_CLI_SELECTION_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>

#include "gradtap/format.h"
#include "gradtap/stats.h"
#include "inputs.h"

/* getopt_long codes of the selection options (beyond any short option). */
enum {
    GTAP_SEL_OPT_TENSOR = 1000,
    GTAP_SEL_OPT_GLOBAL,
    GTAP_SEL_OPT_STEPS,
    GTAP_SEL_OPT_KIND,
    GTAP_SEL_OPT_RANK,
    GTAP_SEL_OPT_CHUNK,
    GTAP_SEL_OPT_THREADS,
    GTAP_SEL_OPT_STRICT
};

/* The struct option entries, for a command's option table. */
#define GTAP_SELECTION_LONG_OPTIONS                                                                      \
    {"tensor", required_argument, NULL, GTAP_SEL_OPT_TENSOR}, {"global", no_argument, NULL, GTAP_SEL_OPT_GLOBAL}, \
        {"steps", required_argument, NULL, GTAP_SEL_OPT_STEPS}, {"kind", required_argument, NULL, GTAP_SEL_OPT_KIND}, \
        {"rank", required_argument, NULL, GTAP_SEL_OPT_RANK}, {"chunk", required_argument, NULL, GTAP_SEL_OPT_CHUNK}, \
        {"threads", required_argument, NULL, GTAP_SEL_OPT_THREADS}, {"strict", no_argument, NULL, GTAP_SEL_OPT_STRICT}

/* Help text of the selection options. */
#define GTAP_SELECTION_HELP                                                                              \
    "selection (every option may be combined):\n"                                                        \
    "  --tensor GLOB      tensors whose name matches the shell pattern (repeatable;\n"                  \
    "                     default: all)\n"                                                               \
    "  --global           treat the selected tensors of a step as one concatenated\n"                   \
    "                     vector (streamed, never copied when larger than --chunk)\n"                   \
    "  --steps F:L[:S]    steps F..L (inclusive) with stride S over the stored steps\n"                 \
    "                     (F or L may be empty: open end)\n"                                             \
    "  --kind KIND        grad, residual, acc, param or reduced (repeatable; default:\n"                \
    "                     grad, residual and acc)\n"                                                     \
    "  --rank R           only files written by rank R (repeatable)\n"                                  \
    "  --chunk N          values read and processed at a time (default 67108864)\n"                     \
    "  --threads N        OpenMP threads (default: OpenMP's default)\n"                                  \
    GTAP_INPUTS_STRICT_HELP                                                                              \
    "A FILE may be a RUN: the NAME (or NAME.h5) of the rank files NAME.rankNNNNN.h5.\n"

typedef struct gtap_selection_options {
    char **tensor_globs;
    size_t tensor_glob_count;
    int global;
    int has_steps;
    int64_t first_step, last_step, step_stride;
    unsigned kinds;        /* GTAP_KIND_BIT set; 0: the default */
    int *ranks;
    size_t rank_count;
    uint64_t chunk;        /* values per chunk */
    int threads;           /* 0: default */
    int strict;            /* --strict: rank files that do not form whole runs are an error */
    int allow_empty;       /* set by the command: no selected snapshot is not an error
                            * (bounds, whose summaries may stand alone) */
} gtap_selection_options;

void gtap_selection_options_init(gtap_selection_options *options);
void gtap_selection_options_free(gtap_selection_options *options);
/* Handle one getopt result. @return 1 handled, 0 not a selection option,
 * or -GTAP_EXIT_USAGE after printing the error. */
int gtap_selection_option(gtap_selection_options *options, int code, const char *argument);

/* Whether a tensor name, a step or a rank passes the options' filters
 * (also used for what is not a snapshot: summaries). 1 or 0. */
int gtap_selection_tensor_selected(const gtap_selection_options *options, const char *name);
int gtap_selection_step_selected(const gtap_selection_options *options, int64_t step);
int gtap_selection_rank_selected(const gtap_selection_options *options, int rank);
/* The GTAP_KIND_BIT set the options select (--kind, default grad, residual and acc). */
unsigned gtap_selection_kinds(const gtap_selection_options *options);

#define GTAP_TENSOR_GLOBAL ((size_t)-1)

/* One selected snapshot. */
typedef struct gtap_snapshot_ref {
    size_t file;
    int rank;
    gtap_kind kind;
    int64_t step;
    size_t tensor;          /* index in the file, or GTAP_TENSOR_GLOBAL */
    uint64_t d;             /* coordinates (sum over tensors when global) */
} gtap_snapshot_ref;

typedef struct gtap_selection {
    gtap_selection_options options;
    gtap_input_list inputs; /* the FILE and RUN arguments resolved to files */
    char **paths;           /* inputs.paths */
    size_t file_count;
    gtap_reader **readers;
    gtap_snapshot_ref *items;
    size_t count;
    float *buffer;          /* one chunk */
    /* for --global: per file, per item, which tensors take part */
} gtap_selection;

/* Resolve the FILE and RUN arguments (inputs.h), open every file, check
 * the rank set (one warning line, or with --strict exit 2; printed by MPI
 * rank 0 only) and list the selected snapshots (nothing else printed on
 * success; on failure one error line and the exit code, 2 for bad input).
 * Takes ownership of `options`. */
int gtap_selection_build(gtap_selection *selection, gtap_selection_options *options, char **paths, size_t count);
void gtap_selection_free(gtap_selection *selection);

/* "(global)" or the tensor's name. */
const char *gtap_selection_tensor_name(const gtap_selection *selection, const gtap_snapshot_ref *item);

/* What the analysis of one snapshot found. */
typedef struct gtap_snapshot_data {
    gtap_moments moments;
    gtap_tail_result *results;  /* nk, in the order of ks */
    float *sample;              /* finite values at one seeded random index per block of s = stride
                                 * values (gtap_sample_random_index), in block order */
    uint64_t sample_count, sample_stride, sample_capacity;
    uint64_t sample_seed;       /* the seed of that sample */
    const float *whole;         /* all d values when they fit in one chunk, else NULL (valid until the next call) */
} gtap_snapshot_data;

void gtap_snapshot_data_free(gtap_snapshot_data *data);

/* Analyse one snapshot: two streamed passes over its chunks (the second
 * only when needed) through `team`, ks given as nk values (each <= d),
 * and the random subsample of at most sample_max values (0: none) under
 * sample_seed. @return
 * GTAP_OK or a gtap_status with the message set. */
int gtap_selection_analyse(gtap_selection *selection, const gtap_snapshot_ref *item, gtap_tail_team *team,
                           const uint64_t *ks, size_t nk, uint64_t sample_max, uint64_t sample_seed,
                           gtap_snapshot_data *data);

/* MPI: this process's rank and the world size (0 and 1 without MPI or when
 * not launched by mpirun). gtap_selection_mpi_start() initialises MPI when
 * the process was started by an MPI launcher; _end finalises it. */
void gtap_selection_mpi_start(int *argc, char ***argv, int *rank, int *size);
void gtap_selection_mpi_end(void);

#endif
