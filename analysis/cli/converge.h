/* converge.h - what the files of `gradtap converge` share (cmd_converge.c:
 * options and runs; converge_checks.c: the five checks; converge_output.c:
 * the table and the curves file). Private to analysis/cli. */
#ifndef GRADTAP_CLI_CONVERGE_H
#define GRADTAP_CLI_CONVERGE_H

#include <stdint.h>

#include "gradtap/train.h"
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

typedef struct converge_run {
    gtap_model_kind model_kind;
    const char *data_name;       /* "synthetic", "fashion-mnist" or the file */
    uint64_t n, d, n_test;
    double fstar;                /* NaN for the MLP */
    double fstar_grad_norm;
    int fstar_newton, fstar_cg;
    gtap_train_options base;     /* shared options */
    converge_method methods[CONVERGE_MAX_METHODS];
    int method_count;
    int rank, world_size, mpi;
    int quick;
} converge_run;

/* converge_checks.c: add the runs --check needs; evaluate and print the
 * checks. @return 0 all passed, 1 a check failed. */
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

#endif
