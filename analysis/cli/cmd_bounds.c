/* cmd_bounds.c - `gradtap bounds FILE...`: for every selected snapshot and
 * k, the exact tail energy T_k, r_k = T_k/||u||^2 against the loose bound
 * 1-k/d and the tight bound (1-k/d)^2, slack, delta_emp, gain over random-k,
 * the ratios predicted by fitted Gaussian and Laplace distributions, and
 * what the approximate selectors would have done (docs/THEORY.md s.1-4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "gradtap/fit.h"

static const char usage[] =
    "usage: gradtap bounds [options] FILE...\n"
    "\n"
    "Exact top-k tail energies of snapshots against the k-contraction bounds:\n"
    "per snapshot and k, ratio = T_k/||u||^2 with T_k = ||u - Top_k(u)||^2,\n"
    "bound_loose = 1-k/d (always holds: a violation is a gradtap bug),\n"
    "bound_tight = (1-k/d)^2 (Shi et al.; may fail: a finding), slack = bound -\n"
    "ratio, delta_emp = 1 - ratio, gain = delta_emp/(k/d), the ratios predicted\n"
    "by a fitted Gaussian and Laplace, and the approximate selectors' count/k,\n"
    "recall and own ratio. A summary per density follows the rows.\n"
    "\n"
    "  --density LIST     densities rho, k = max(1, floor(rho*d)) (default\n"
    "                     0.001,0.01,0.1)\n"
    "  --k LIST           explicit k values instead (each clamped to d)\n"
    "  --check tight|loose exit 1 when any snapshot violates that bound\n"
    "  --nonfinite skip|fail  snapshots with NaN/Inf: report and skip (default)\n"
    "                     or stop with exit 2\n"
    "  --no-selectors     skip the approximate selectors (their columns are nan)\n"
    "  --no-summaries     only snapshots: no rows from the capture's per-step\n"
    "                     summaries (by default every selected summary gives a row\n"
    "                     per density it holds - those asked for with --density or\n"
    "                     --k - with source = summary, after the snapshot rows)\n"
    "  --selectors-max D  run the selectors only on snapshots with d <= D\n"
    "                     (default 16777216; they need ~30 bytes per value)\n"
    "  --seed N           seed of the randomised selectors (default 0)\n"
    "  --fit-sample N     values the Laplace fit uses (one random value per block\n"
    "                     when d > N, seed 0 as in fit; default 1048576)\n"
    "  -f, --format FMT   table (default), csv or json\n"
    "  -o, --output FILE  also write an HDF5 results file (tables /bounds and\n"
    "                     /bounds_summary; see docs/CLI.md)\n"
    "      --force        let -o replace a file that is not a results file of this\n"
    "                     command (otherwise refused, exit 2)\n"
    GTAP_ANALYSIS_COLUMNS_HELP
    "  -h, --help         this text\n"
    GTAP_SELECTION_HELP
    "\n"
    "With MPI, `mpirun -np N gradtap bounds ...` splits the snapshots over the\n"
    "ranks and rank 0 prints the same result as a single process.\n"
    "\n"
    "exit codes: 0 ok, 1 --check found a violation, 2 usage or input error\n"
    "(bad option, bad file, NaN/Inf with --nonfinite fail), 3 internal error\n";

const gtap_column gtap_bounds_columns[C_COUNT] = {
    {"rank", GTAP_CELL_INT, 0}, {"step", GTAP_CELL_INT, 0}, {"tensor", GTAP_CELL_STRING, 12},
    {"kind", GTAP_CELL_STRING, 0}, {"d", GTAP_CELL_INT, 0}, {"k", GTAP_CELL_INT, 0},
    {"norm2", GTAP_CELL_DOUBLE, 0}, {"tail2", GTAP_CELL_DOUBLE, 0}, {"ratio", GTAP_CELL_DOUBLE, 0},
    {"bound_loose", GTAP_CELL_DOUBLE, 0}, {"bound_tight", GTAP_CELL_DOUBLE, 0}, {"density", GTAP_CELL_DOUBLE, 0},
    {"k_over_d", GTAP_CELL_DOUBLE, 0},    {"head2", GTAP_CELL_DOUBLE, 0}, {"delta_emp", GTAP_CELL_DOUBLE, 0}, {"delta_tight", GTAP_CELL_DOUBLE, 0},
    {"gain", GTAP_CELL_DOUBLE, 0}, {"slack_loose", GTAP_CELL_DOUBLE, 0}, {"slack_tight", GTAP_CELL_DOUBLE, 0},
    {"holds_loose", GTAP_CELL_BOOL, 0}, {"holds_tight", GTAP_CELL_BOOL, 0},
    {"r_pred_gauss", GTAP_CELL_DOUBLE, 0}, {"r_pred_laplace", GTAP_CELL_DOUBLE, 0},
    {"threshold", GTAP_CELL_DOUBLE, 0}, {"status", GTAP_CELL_STRING, 0}, {"nonfinite", GTAP_CELL_INT, 0},
    {"file", GTAP_CELL_STRING, 0}, {"source", GTAP_CELL_STRING, 0},
    {"gaussiank_count_k", GTAP_CELL_DOUBLE, 0}, {"gaussiank_recall", GTAP_CELL_DOUBLE, 0},
    {"gaussiank_ratio", GTAP_CELL_DOUBLE, 0}, {"gaussiank_ref_count_k", GTAP_CELL_DOUBLE, 0},
    {"gaussiank_ref_recall", GTAP_CELL_DOUBLE, 0}, {"gaussiank_ref_ratio", GTAP_CELL_DOUBLE, 0},
    {"dgck_count_k", GTAP_CELL_DOUBLE, 0}, {"dgck_recall", GTAP_CELL_DOUBLE, 0}, {"dgck_ratio", GTAP_CELL_DOUBLE, 0},
    {"trimmed_count_k", GTAP_CELL_DOUBLE, 0}, {"trimmed_recall", GTAP_CELL_DOUBLE, 0},
    {"trimmed_ratio", GTAP_CELL_DOUBLE, 0},
};

/* The fitted Gaussian and Laplace behind the predictions, fitted once per
 * snapshot (not per density); ok 0 where a fit is not available. */
typedef struct prediction_fits {
    gtap_fit gauss, laplace;
    int gauss_ok, laplace_ok;
} prediction_fits;

static void prediction_fits_make(const gtap_snapshot_data *data, int usable, prediction_fits *p)
{
    const gtap_moments *m = &data->moments;
    p->gauss_ok = p->laplace_ok = 0;
    if (!usable || m->finite < 2 || !(m->m2 > 0)) return;
    p->gauss = (gtap_fit){.family = GTAP_FAMILY_GAUSS, .loc = m->mean, .scale = sqrt(m->m2 / (double)m->finite)};
    p->gauss_ok = 1;
    p->laplace_ok = data->sample_count >= 2 &&
                    gtap_fit_family(data->sample, data->sample_count, GTAP_FAMILY_LAPLACE, &p->laplace) == GTAP_OK;
}

/* Fitted-Gaussian and fitted-Laplace predictions at rho (NaN on failure). */
static void predictions(const prediction_fits *p, double rho, double *gauss, double *laplace)
{
    *gauss = *laplace = NAN;
    if (p->gauss_ok && gtap_fit_predicted_ratio(&p->gauss, rho, gauss) < 0) *gauss = NAN;
    if (p->laplace_ok && gtap_fit_predicted_ratio(&p->laplace, rho, laplace) < 0) *laplace = NAN;
}

static int bounds_rows(gtap_analysis *a, size_t index, const gtap_snapshot_data *data, void *user)
{
    const bounds_options *o = user;
    const gtap_snapshot_ref *item = &a->selection.items[index];
    const gtap_moments *m = &data->moments;
    uint64_t nonfinite = m->nan_count + m->posinf_count + m->neginf_count;
    const char *status = gtap_bounds_status(nonfinite, m->norm2);
    int usable = nonfinite == 0 && m->norm2 > 0;
    int run_selectors = usable && o->selectors && data->whole != NULL && item->d <= o->selectors_max;
    prediction_fits fits;
    prediction_fits_make(data, usable, &fits);
    for (size_t j = 0; j < a->k_count; j++) {
        const gtap_tail_result *r = &data->results[j];
        uint64_t k = a->ks_per_item[j];
        double frac = item->d > 0 ? (double)k / (double)item->d : NAN;
        double gauss = NAN, laplace = NAN;
        /* delta_emp from H_k directly, not as 1 - ratio */
        bounds_ratio measured = {item->d, k, nonfinite ? NAN : r->norm2, r->tail2, r->head2, r->tail2 / r->norm2,
                                 r->head2 / r->norm2, usable};
        if (usable) predictions(&fits, frac, &gauss, &laplace);
        gtap_selector_outcome sel[GTAP_SELECTOR_COUNT];
        for (int s = 0; s < GTAP_SELECTOR_COUNT; s++) sel[s].count_over_k = sel[s].recall = sel[s].ratio = NAN;
        if (run_selectors) {
            int rc = gtap_selectors_run(data->whole, item->d, k, o->seed, (uint64_t)index,
                                        a->selection.options.threads, sel);
            if (rc < 0) gtap_cli_warn("selectors on %s step %lld: %s", gtap_selection_tensor_name(&a->selection, item),
                                      (long long)item->step, gtap_last_error());
        }
        gtap_cell cells[C_COUNT];
        cells[C_RANK] = gtap_cell_int(item->rank);
        cells[C_STEP] = gtap_cell_int(item->step);
        cells[C_TENSOR] = gtap_cell_str(gtap_selection_tensor_name(&a->selection, item));
        cells[C_KIND] = gtap_cell_str(gtap_kind_name(item->kind));
        cells[C_SOURCE] = gtap_cell_str("snapshot");
        gtap_bounds_ratio_cells(&measured, cells);
        /* the density asked for (NaN with --k); k/d has its own column */
        cells[C_DENSITY] = gtap_cell_num(a->densities ? a->densities[j] : NAN);
        cells[C_PRED_GAUSS] = gtap_cell_num(gauss);
        cells[C_PRED_LAPLACE] = gtap_cell_num(laplace);
        cells[C_THRESHOLD] = gtap_cell_num(usable ? r->threshold : NAN);
        cells[C_STATUS] = gtap_cell_str(status);
        cells[C_NONFINITE] = gtap_cell_int((int64_t)nonfinite);
        cells[C_FILE] = gtap_cell_str(a->selection.paths[item->file]);
        for (int s = 0; s < GTAP_SELECTOR_COUNT; s++) {
            cells[C_SEL + 3 * s] = gtap_cell_num(sel[s].count_over_k);
            cells[C_SEL + 3 * s + 1] = gtap_cell_num(sel[s].recall);
            cells[C_SEL + 3 * s + 2] = gtap_cell_num(sel[s].ratio);
        }
        int rc = gtap_table_add(&a->table, (uint64_t)index * a->k_count + j, cells);
        if (rc < 0) return rc;
    }
    return GTAP_OK;
}

static int before_snapshot(gtap_analysis *a, size_t index, const gtap_snapshot_data *data, void *user)
{
    const bounds_options *o = user;
    const gtap_snapshot_ref *item = &a->selection.items[index];
    const gtap_moments *m = &data->moments;
    if (!gtap_moments_has_nonfinite(m)) return GTAP_OK;
    if (o->nonfinite_fail)
        return gtap_set_error(GTAP_ENONFINITE, "%s: tensor '%s' kind %s step %lld holds %llu NaN and %llu Inf values",
                              a->selection.paths[item->file], gtap_selection_tensor_name(&a->selection, item),
                              gtap_kind_name(item->kind), (long long)item->step, (unsigned long long)m->nan_count,
                              (unsigned long long)(m->posinf_count + m->neginf_count));
    return GTAP_OK;
}

int gtap_cmd_bounds(int argc, char **argv)
{
    static const struct option options[] = {
        GTAP_ANALYSIS_LONG_OPTIONS,
        {"check", required_argument, NULL, 'c'},
        {"nonfinite", required_argument, NULL, 'n'},
        {"no-selectors", no_argument, NULL, 'S'},
        {"selectors-max", required_argument, NULL, 'M'},
        {"seed", required_argument, NULL, 's'},
        {"no-summaries", no_argument, NULL, 'U'},
        {NULL, 0, NULL, 0},
    };
    bounds_options o = {.selectors = 1, .summaries = 1, .selectors_max = (uint64_t)1 << 24};
    gtap_analysis a;
    gtap_analysis_init(&a, gtap_bounds_columns, C_COUNT);
    if (gtap_table_key_columns(&a.table, "rank,step,tensor,kind,source,density,d,k,ratio,bound_tight,slack_tight,gain,status") < 0)
        return gtap_cli_fail(GTAP_EINTERNAL);
    int option, exit_code = GTAP_EXIT_OK;
    optind = 1;
    while ((option = gtap_analysis_next_option(&a, argc, argv, options, usage, &exit_code)) != -1) {
        switch (option) {
        case 'c':
            if (strcmp(optarg, "tight") == 0) o.check = 2;
            else if (strcmp(optarg, "loose") == 0) o.check = 1;
            else exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "--check: '%s' is not tight or loose", optarg);
            break;
        case 'n':
            if (strcmp(optarg, "fail") == 0) o.nonfinite_fail = 1;
            else if (strcmp(optarg, "skip") != 0) exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "--nonfinite: '%s' is not skip or fail", optarg);
            break;
        case 'S': o.selectors = 0; break;
        case 'U': o.summaries = 0; break;
        case 'M': exit_code = gtap_cli_parse_u64("--selectors-max", optarg, 0, UINT64_MAX, &o.selectors_max); break;
        case 's': exit_code = gtap_cli_parse_u64("--seed", optarg, 0, UINT64_MAX, &o.seed); break;
        default: exit_code = GTAP_EXIT_USAGE; /* gtap_cli_getopt printed the one line */
        }
    }
    if (exit_code == GTAP_EXIT_OK && a.help) return gtap_analysis_finish(&a, "bounds", GTAP_EXIT_USAGE);
    /* a file may hold summaries and no snapshot; an empty result is refused below */
    a.selection_options.allow_empty = o.summaries;
    a.after_gather = gtap_bounds_summary_rows;
    if (exit_code == GTAP_EXIT_OK) exit_code = gtap_analysis_run(&a, argc, argv, before_snapshot, bounds_rows, &o);
    if (exit_code == GTAP_EXIT_OK && a.is_root) {
        int rc = gtap_bounds_summarise(&a, &o, a.results);
        if (rc == 1) exit_code = GTAP_EXIT_CHECK;
        else if (rc < 0) exit_code = gtap_cli_fail(rc);
    }
    int finish = gtap_analysis_finish(&a, "bounds", exit_code);
    return exit_code ? exit_code : finish;
}
