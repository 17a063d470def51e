/* converge_output.c - what `gradtap converge` prints and writes: the table
 * (one row per method) and the curves, as CSV (one row per method and
 * curve point) or as an HDF5 results file (gtap_train_results_write_h5). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "converge.h"

double converge_final_objective(const converge_method *m)
{
    return isnan(m->result.final_average_loss) ? m->result.final_loss : m->result.final_average_loss;
}

/* The f* line says which problem f* belongs to (docs/THEORY.md s.8): the
 * trainer computes with float32 values, so a file's f* is either that of
 * its float32 rounding (default) or of the data as written (--precision
 * double); synthetic data are float32 by construction. */
static void print_fstar_line(const converge_run *run)
{
    const char *what = run->fstar_double ? "of the data as written (float64 values; training uses them rounded to float32)"
                       : strcmp(run->data_name, "synthetic") == 0 ? "of the data as generated (float32 values)"
                                                                   : "of the data rounded to float32, as the trainer stores "
                                                                     "them (--precision double: of the data as written)";
    printf("# f* = %.15g %s; Newton-CG: %d iterations, %d CG steps, ||grad f|| = %.2e\n", run->fstar, what,
           run->fstar_newton, run->fstar_cg, run->fstar_grad_norm);
}

static const gtap_column table_columns[] = {
    {"method", GTAP_CELL_STRING, 14}, {"memory", GTAP_CELL_BOOL, 0},      {"k", GTAP_CELL_INT, 0},
    {"steps", GTAP_CELL_INT, 0},      {"loss", GTAP_CELL_DOUBLE, 11},     {"avg_loss", GTAP_CELL_DOUBLE, 11},
    {"subopt", GTAP_CELL_DOUBLE, 11}, {"accuracy", GTAP_CELL_DOUBLE, 0},  {"test_accuracy", GTAP_CELL_DOUBLE, 0},
    {"bits_per_worker", GTAP_CELL_DOUBLE, 0}, {"select_s", GTAP_CELL_DOUBLE, 0}, {"total_s", GTAP_CELL_DOUBLE, 0},
    {"diverged", GTAP_CELL_BOOL, 0},
};
enum { TABLE_COLUMNS = sizeof table_columns / sizeof table_columns[0] };

/* One line per diverged run, with the rule that fired (docs/THEORY.md s.8). */
static void warn_diverged(const converge_method *m)
{
    const gtap_train_result *r = &m->result;
    if (!r->diverged) return;
    if (r->diverged_reason == GTAP_DIVERGED_LOSS_GROWTH)
        gtap_cli_warn("%s diverged: f(x_T) = %.3g > %g x f(x_0) = %.4g", m->name, r->final_loss, GTAP_DIVERGENCE_FACTOR,
                      r->initial_loss);
    else
        gtap_cli_warn("%s diverged: a gradient, the loss or a parameter became non-finite at step %llu (the run stopped)",
                      m->name, (unsigned long long)r->diverged_step);
}

void converge_print_table(const converge_run *run, gtap_out_format format)
{
    const gtap_train_options *o = &run->base;
    if (format == GTAP_OUT_TABLE) {
        printf("# model %s, data %s: n=%llu, d=%llu, test n=%llu; %d worker(s)%s, batch %llu, %g epochs, seed %llu\n",
               run->model_kind == GTAP_MODEL_LOGREG ? "logreg" : "mlp", run->data_name, (unsigned long long)run->n,
               (unsigned long long)run->d, (unsigned long long)run->n_test, run->mpi ? run->world_size : o->workers,
               run->mpi ? " (MPI ranks)" : " (simulated)", (unsigned long long)o->batch, o->epochs,
               (unsigned long long)o->seed);
        printf("# form %s, density %g, %s selection; ", gtap_ef_form_name(o->form), o->density,
               o->per_layer ? "per-layer" : "global");
        if (o->schedule.kind == GTAP_SCHEDULE_STICH)
            printf("eta_t = %g / (lambda (t + %g)), lambda = %.6g, averaged with w_t = (t + a)^2\n", o->schedule.gamma,
                   o->schedule.shift, o->schedule.lambda);
        else
            printf("lr %g, %s, momentum %g\n", o->schedule.lr,
                   o->schedule.kind == GTAP_SCHEDULE_STEP ? "step decay" : "constant", o->momentum);
        if (!isnan(run->fstar)) print_fstar_line(run);
        if (!isnan(run->smoothness))
            printf("# step: eta_0 = %.4g, L <= max_i ||a_i||^2/4 + lambda = %.4g%s, eta_0 L = %.3g%s\n", run->eta0,
                   run->smoothness, run->normalized ? " (rows normalised)" : "", run->eta0 * run->smoothness,
                   run->eta0 * run->smoothness > CONVERGE_STEP_WARN ? " (large: see the warning)" : "");
    }
    gtap_out out;
    gtap_out_begin(&out, stdout, format, table_columns, TABLE_COLUMNS);
    for (int i = 0; i < run->method_count; i++) {
        const converge_method *m = &run->methods[i];
        const gtap_train_result *r = &m->result;
        gtap_cell cells[TABLE_COLUMNS] = {
            gtap_cell_str(m->name), gtap_cell_bool(m->memory && m->kind != GTAP_SPARSIFY_NONE),
            gtap_cell_int((int64_t)r->k_total), gtap_cell_int((int64_t)r->steps), gtap_cell_num(r->final_loss),
            gtap_cell_num(r->final_average_loss), gtap_cell_num(converge_final_objective(m) - run->fstar),
            gtap_cell_num(r->final_accuracy), gtap_cell_num(r->final_test_accuracy), gtap_cell_num(r->bits_per_worker),
            gtap_cell_num(r->select_seconds), gtap_cell_num(r->total_seconds), gtap_cell_bool(r->diverged),
        };
        gtap_out_row(&out, cells);
    }
    gtap_out_end(&out);
    for (int i = 0; i < run->method_count; i++) warn_diverged(&run->methods[i]);
}

static int write_csv(const converge_run *run, const char *path)
{
    FILE *file = fopen(path, "w");
    if (file == NULL) return gtap_set_error(GTAP_EIO, "%s: cannot create", path);
    static const gtap_column columns[] = {
        {"method", GTAP_CELL_STRING, 0}, {"step", GTAP_CELL_INT, 0},     {"epoch", GTAP_CELL_DOUBLE, 0},
        {"bits", GTAP_CELL_DOUBLE, 0},   {"loss", GTAP_CELL_DOUBLE, 0},  {"average_loss", GTAP_CELL_DOUBLE, 0},
        {"suboptimality", GTAP_CELL_DOUBLE, 0}, {"accuracy", GTAP_CELL_DOUBLE, 0},
        {"test_accuracy", GTAP_CELL_DOUBLE, 0},
    };
    gtap_out out;
    gtap_out_begin(&out, file, GTAP_OUT_CSV, columns, 9);
    for (int i = 0; i < run->method_count; i++) {
        const converge_method *m = &run->methods[i];
        for (size_t j = 0; j < m->result.point_count; j++) {
            const gtap_train_point *p = &m->result.points[j];
            double objective = isnan(p->average_loss) ? p->loss : p->average_loss;
            gtap_cell cells[9] = {
                gtap_cell_str(m->name), gtap_cell_int((int64_t)p->step), gtap_cell_num(p->epoch), gtap_cell_num(p->bits),
                gtap_cell_num(p->loss), gtap_cell_num(p->average_loss), gtap_cell_num(objective - run->fstar),
                gtap_cell_num(p->accuracy), gtap_cell_num(p->test_accuracy),
            };
            gtap_out_row(&out, cells);
        }
    }
    gtap_out_end(&out);
    if (fclose(file) != 0) return gtap_set_error(GTAP_EIO, "%s: write failed", path);
    return GTAP_OK;
}

int converge_is_h5_path(const char *name)
{
    size_t length = strlen(name);
    return (length > 3 && strcmp(name + length - 3, ".h5") == 0) || (length > 5 && strcmp(name + length - 5, ".hdf5") == 0);
}

int converge_write_curves(const converge_run *run, const char *name, const char *path)
{
    if (!converge_is_h5_path(name)) return write_csv(run, path);
    const char *names[CONVERGE_MAX_METHODS];
    gtap_train_result results[CONVERGE_MAX_METHODS];
    for (int i = 0; i < run->method_count; i++) {
        names[i] = run->methods[i].name;
        results[i] = run->methods[i].result;
    }
    gtap_results_meta meta = {
        .model = run->model_kind == GTAP_MODEL_LOGREG ? "logreg" : "mlp",
        .data = run->data_name,
        .form = gtap_ef_form_name(run->base.form),
        .n = run->n, .d = run->d, .n_test = run->n_test, .seed = run->base.seed,
        .workers = run->mpi ? run->world_size : run->base.workers,
        .density = run->base.density, .fstar = run->fstar,
    };
    return gtap_train_results_write_h5(path, &meta, names, results, (size_t)run->method_count);
}
