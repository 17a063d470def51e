/* converge.h - what the files of `gradtap converge` share (cmd_converge.c:
 * options and runs; converge_data.c: loading and preparing the data;
 * converge_checks.c: the checks and findings; converge_output.c: the table
 * and the curves file). Private to analysis/cli. */
#ifndef GRADTAP_CLI_CONVERGE_H
#define GRADTAP_CLI_CONVERGE_H

#include <stdint.h>

#include "gradtap/train.h"
#include "gradtap/train_data.h"
#include "output.h"

enum { CONVERGE_MAX_METHODS = 32 };

/* One method of a run: a compressor, with or without memory, and possibly
 * a schedule of its own (the controls and the theory run of the checks). */
typedef struct converge_method {
    char name[64];               /* as printed: "topk", "topk-nomem", "randk[a=1]" */
    gtap_sparsifier_kind kind;
    int memory;
    int theory_schedule;         /* gamma = 8, shift = gtap_theory_shift (check 2) */
    double shift;                /* > 0: this shift instead of the run's */
    uint64_t max_steps;          /* > 0: stop early (invariant probe) */
    int force_stich_constant;    /* MLP invariant probe: Stich form, constant lr, no momentum */
    int hidden;                  /* run for --check only: not in the table unless asked */
    gtap_train_result result;
    int ran;
} converge_method;

/* The command line (cmd_converge.c parses it). */
typedef struct converge_options {
    const char *model, *data, *labels, *test, *test_labels, *methods, *capture, *form, *schedule;
    const char *outputs[2]; /* -o may be given twice: a .csv and a .h5 */
    int output_count;
    uint64_t n, d, train_size, k, every, points, batch, seed;
    double signal, lambda, density, epochs, gamma, shift, lr, momentum, decay, decay_every;
    int workers, per_layer, mpi, check, quick, fault, force;
    int strict;                  /* --strict: findings that differ fail the run too */
    int normalize_rows;          /* --normalize-rows */
    int precision_double;        /* --precision double */
    gtap_out_format format;
} converge_options;

typedef struct converge_run {
    gtap_model_kind model_kind;
    const char *data_name;       /* "synthetic", "fashion-mnist" or the file */
    uint64_t n, d, n_test;
    int normalized;              /* rows scaled to unit norm (--normalize-rows) */
    int fstar_double;            /* f* from the float64 values as written (--precision double, a file) */
    double max_row_norm2;        /* max_i ||a_i||^2 of the training data (logreg) */
    double smoothness;           /* L <= max_i ||a_i||^2 / 4 + lambda (logreg; NaN for the MLP) */
    double eta0;                 /* the first step size eta_0 */
    int strict;
    double fstar;                /* NaN for the MLP */
    double fstar_grad_norm;
    int fstar_newton, fstar_cg;
    gtap_train_options base;     /* shared options */
    converge_method methods[CONVERGE_MAX_METHODS];
    int method_count;
    int rank, world_size, mpi;
    int quick;
} converge_run;

/* converge_data.c: load the training (and test) data the options name,
 * rounded or kept in float64, rows normalised if asked; sets n, d, n_test,
 * data_name, normalized, fstar_double and max_row_norm2 of `run`.
 * @return 0 or an exit code (the message printed). */
int converge_load_data(const converge_options *c, converge_run *run, gtap_dataset **train, gtap_dataset **test);

/* eta_0 L above this draws a warning (docs/CLI.md, docs/THEORY.md s.8). */
#define CONVERGE_STEP_WARN 100.0

/* converge_checks.c: add the runs --check needs; evaluate and print the
 * checks (must hold) and the findings (what the papers observed).
 * @return 0 all checks passed (and, with run->strict, every finding
 * agreed), 1 otherwise. */
int converge_add_check_methods(converge_run *run);
int converge_print_checks(const converge_run *run, FILE *stream);
/* The --help paragraph stating every factor and margin. */
extern const char converge_checks_help[];

/* converge_output.c */
void converge_print_table(const converge_run *run, gtap_out_format format);
/* Write the curves into `path`, as CSV or (when `name`, the output's final
 * name, ends in .h5) as a results file. @return GTAP_OK or a status. */
int converge_write_curves(const converge_run *run, const char *name, const char *path);
/* 1 when `name` ends in .h5 or .hdf5 (a results file), 0 for CSV. */
int converge_is_h5_path(const char *name);

/* Suboptimality of a method's final iterate (xbar_T when averaged). */
double converge_final_objective(const converge_method *method);

/* The snapshot file of method m for --capture FILE: the final name, or
 * (aside = 1) the name it is written under until the run ends
 * (converge_captures.c). Per worker files follow gtap_capture_rank_path. */
void converge_capture_path(const converge_run *run, const converge_method *m, const char *capture, int aside,
                           char *path, size_t size);
/* At the end of the run: rename this process's capture files into place
 * (commit) or remove them. @return 0 or an exit code after one line. */
int converge_captures_finish(const converge_run *run, const char *capture, int commit);

#endif
