/* cmd_bounds.c - `gradtap bounds FILE...`: for every selected snapshot and
 * k, the exact tail energy T_k, r_k = T_k/||u||^2 against the loose bound
 * 1-k/d and the tight bound (1-k/d)^2, slack, delta_emp, gain over random-k,
 * the ratios predicted by fitted Gaussian and Laplace distributions, and
 * what the approximate selectors would have done (docs/THEORY.md s.1-4). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_common.h"
#include "gradtap/fit.h"
#include "selectors.h"

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
    "  -h, --help         this text\n"
    GTAP_SELECTION_HELP
    "\n"
    "With MPI, `mpirun -np N gradtap bounds ...` splits the snapshots over the\n"
    "ranks and rank 0 prints the same result as a single process.\n"
    "\n"
    "exit codes: 0 ok, 1 --check found a violation, 2 usage or input error\n"
    "(bad option, bad file, NaN/Inf with --nonfinite fail), 3 internal error\n";

enum {
    C_RANK, C_STEP, C_TENSOR, C_KIND, C_D, C_K, C_NORM2, C_TAIL2, C_RATIO, C_LOOSE, C_TIGHT, C_DENSITY, C_K_OVER_D, C_HEAD2,
    C_DELTA, C_DELTA_TIGHT, C_GAIN, C_SLACK_LOOSE, C_SLACK_TIGHT, C_HOLDS_LOOSE, C_HOLDS_TIGHT, C_PRED_GAUSS,
    C_PRED_LAPLACE, C_THRESHOLD, C_STATUS, C_NONFINITE, C_FILE, C_SEL, /* then 3 per selector */
    C_COUNT = C_SEL + 3 * GTAP_SELECTOR_COUNT
};

static const gtap_column bounds_columns[C_COUNT] = {
    {"rank", GTAP_CELL_INT, 0}, {"step", GTAP_CELL_INT, 0}, {"tensor", GTAP_CELL_STRING, 12},
    {"kind", GTAP_CELL_STRING, 0}, {"d", GTAP_CELL_INT, 0}, {"k", GTAP_CELL_INT, 0},
    {"norm2", GTAP_CELL_DOUBLE, 0}, {"tail2", GTAP_CELL_DOUBLE, 0}, {"ratio", GTAP_CELL_DOUBLE, 0},
    {"bound_loose", GTAP_CELL_DOUBLE, 0}, {"bound_tight", GTAP_CELL_DOUBLE, 0}, {"density", GTAP_CELL_DOUBLE, 0},
    {"k_over_d", GTAP_CELL_DOUBLE, 0},    {"head2", GTAP_CELL_DOUBLE, 0}, {"delta_emp", GTAP_CELL_DOUBLE, 0}, {"delta_tight", GTAP_CELL_DOUBLE, 0},
    {"gain", GTAP_CELL_DOUBLE, 0}, {"slack_loose", GTAP_CELL_DOUBLE, 0}, {"slack_tight", GTAP_CELL_DOUBLE, 0},
    {"holds_loose", GTAP_CELL_BOOL, 0}, {"holds_tight", GTAP_CELL_BOOL, 0},
    {"r_pred_gauss", GTAP_CELL_DOUBLE, 0}, {"r_pred_laplace", GTAP_CELL_DOUBLE, 0},
    {"threshold", GTAP_CELL_DOUBLE, 0}, {"status", GTAP_CELL_STRING, 0}, {"nonfinite", GTAP_CELL_INT, 0},
    {"file", GTAP_CELL_STRING, 0},
    {"gaussiank_count_k", GTAP_CELL_DOUBLE, 0}, {"gaussiank_recall", GTAP_CELL_DOUBLE, 0},
    {"gaussiank_ratio", GTAP_CELL_DOUBLE, 0}, {"gaussiank_ref_count_k", GTAP_CELL_DOUBLE, 0},
    {"gaussiank_ref_recall", GTAP_CELL_DOUBLE, 0}, {"gaussiank_ref_ratio", GTAP_CELL_DOUBLE, 0},
    {"dgck_count_k", GTAP_CELL_DOUBLE, 0}, {"dgck_recall", GTAP_CELL_DOUBLE, 0}, {"dgck_ratio", GTAP_CELL_DOUBLE, 0},
    {"trimmed_count_k", GTAP_CELL_DOUBLE, 0}, {"trimmed_recall", GTAP_CELL_DOUBLE, 0},
    {"trimmed_ratio", GTAP_CELL_DOUBLE, 0},
};

typedef struct bounds_options {
    int check;            /* 0 none, 1 loose, 2 tight */
    int nonfinite_fail;
    int selectors;
    uint64_t selectors_max;
    uint64_t seed;
} bounds_options;

/* Fitted-Gaussian and fitted-Laplace predictions at rho (NaN on failure). */
static void predictions(const gtap_snapshot_data *data, double rho, double *gauss, double *laplace)
{
    *gauss = *laplace = NAN;
    const gtap_moments *m = &data->moments;
    if (m->finite < 2 || !(m->m2 > 0)) return;
    gtap_fit g = {.family = GTAP_FAMILY_GAUSS, .loc = m->mean, .scale = sqrt(m->m2 / (double)m->finite)};
    if (gtap_fit_predicted_ratio(&g, rho, gauss) < 0) *gauss = NAN;
    gtap_fit l;
    if (data->sample_count >= 2 && gtap_fit_family(data->sample, data->sample_count, GTAP_FAMILY_LAPLACE, &l) == GTAP_OK &&
        gtap_fit_predicted_ratio(&l, rho, laplace) < 0)
        *laplace = NAN;
}

static int bounds_rows(gtap_analysis *a, size_t index, const gtap_snapshot_data *data, void *user)
{
    const bounds_options *o = user;
    const gtap_snapshot_ref *item = &a->selection.items[index];
    const gtap_moments *m = &data->moments;
    uint64_t nonfinite = m->nan_count + m->posinf_count + m->neginf_count;
    const char *status = nonfinite ? "nonfinite" : (m->norm2 > 0 ? "ok" : "zero_vector");
    int usable = nonfinite == 0 && m->norm2 > 0;
    int run_selectors = usable && o->selectors && data->whole != NULL && item->d <= o->selectors_max;
    for (size_t j = 0; j < a->k_count; j++) {
        const gtap_tail_result *r = &data->results[j];
        uint64_t k = a->ks_per_item[j];
        double d = (double)item->d, frac = d > 0 ? (double)k / d : NAN;
        double loose = 1.0 - frac, tight = loose * loose, ratio = NAN, head = NAN, tail = NAN, delta = NAN;
        double gauss = NAN, laplace = NAN;
        if (usable) {
            ratio = r->tail2 / r->norm2;
            delta = r->head2 / r->norm2; /* 1 - ratio, from H_k directly */
            head = r->head2;
            tail = r->tail2;
            predictions(data, frac, &gauss, &laplace);
        }
        gtap_selector_outcome sel[GTAP_SELECTOR_COUNT];
        for (int s = 0; s < GTAP_SELECTOR_COUNT; s++) sel[s].count_over_k = sel[s].recall = sel[s].ratio = NAN;
        if (run_selectors) {
            int rc = gtap_selectors_run(data->whole, item->d, k, o->seed, (uint64_t)index, sel);
            if (rc < 0) gtap_cli_warn("selectors on %s step %lld: %s", gtap_selection_tensor_name(&a->selection, item),
                                      (long long)item->step, gtap_last_error());
        }
        gtap_cell cells[C_COUNT];
        cells[C_RANK] = gtap_cell_int(item->rank);
        cells[C_STEP] = gtap_cell_int(item->step);
        cells[C_TENSOR] = gtap_cell_str(gtap_selection_tensor_name(&a->selection, item));
        cells[C_KIND] = gtap_cell_str(gtap_kind_name(item->kind));
        cells[C_D] = gtap_cell_int((int64_t)item->d);
        cells[C_K] = gtap_cell_int((int64_t)k);
        cells[C_NORM2] = gtap_cell_num(nonfinite ? NAN : r->norm2);
        cells[C_TAIL2] = gtap_cell_num(tail);
        cells[C_RATIO] = gtap_cell_num(ratio);
        cells[C_LOOSE] = gtap_cell_num(loose);
        cells[C_TIGHT] = gtap_cell_num(tight);
        /* the density asked for (NaN with --k); k/d has its own column */
        cells[C_DENSITY] = gtap_cell_num(a->densities ? a->densities[j] : NAN);
        cells[C_K_OVER_D] = gtap_cell_num(frac);
        cells[C_HEAD2] = gtap_cell_num(head);
        cells[C_DELTA] = gtap_cell_num(delta);
        cells[C_DELTA_TIGHT] = gtap_cell_num(1.0 - tight);
        cells[C_GAIN] = gtap_cell_num(delta / frac);
        cells[C_SLACK_LOOSE] = gtap_cell_num(loose - ratio);
        cells[C_SLACK_TIGHT] = gtap_cell_num(tight - ratio);
        cells[C_HOLDS_LOOSE] = gtap_cell_bool(usable && ratio <= loose);
        cells[C_HOLDS_TIGHT] = gtap_cell_bool(usable && ratio <= tight);
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

/* Summary per requested density (or k) and the --check verdict. */
static int summarise(gtap_analysis *a, const bounds_options *o, gtap_h5file *results)
{
    static const gtap_column summary_columns[] = {
        {"density", GTAP_CELL_DOUBLE, 0},    {"k", GTAP_CELL_INT, 0},          {"snapshots", GTAP_CELL_INT, 0},
        {"tight_holds", GTAP_CELL_INT, 0},   {"loose_holds", GTAP_CELL_INT, 0}, {"zero_vectors", GTAP_CELL_INT, 0},
        {"nonfinite", GTAP_CELL_INT, 0},     {"ratio_min", GTAP_CELL_DOUBLE, 0}, {"ratio_median", GTAP_CELL_DOUBLE, 0},
        {"ratio_max", GTAP_CELL_DOUBLE, 0},  {"slack_tight_min", GTAP_CELL_DOUBLE, 0},
        {"slack_tight_median", GTAP_CELL_DOUBLE, 0}, {"slack_tight_max", GTAP_CELL_DOUBLE, 0},
    };
    enum { S_COUNT = sizeof summary_columns / sizeof summary_columns[0] };
    gtap_table summary;
    gtap_table_init(&summary, summary_columns, S_COUNT);
    uint64_t rows = a->table.rows;
    double *ratios = malloc((size_t)(rows ? rows : 1) * sizeof *ratios), *slacks = malloc((size_t)(rows ? rows : 1) * sizeof *slacks);
    if (ratios == NULL || slacks == NULL) {
        free(ratios);
        free(slacks);
        return gtap_set_error(GTAP_ENOMEM, "out of memory for the summary");
    }
    int violations = 0, rc = GTAP_OK;
    for (size_t j = 0; j < a->k_count && rc == GTAP_OK; j++) {
        int64_t snapshots = 0, tight = 0, loose = 0, zero = 0, nonfinite = 0;
        size_t n = 0;
        for (uint64_t r = 0; r < rows; r++) {
            if (a->table.order[r] % a->k_count != j) continue;
            snapshots++;
            const char *status = gtap_table_cell(&a->table, r, C_STATUS)->text;
            if (strcmp(status, "zero_vector") == 0) zero++;
            if (strcmp(status, "nonfinite") == 0) nonfinite++;
            if (strcmp(status, "ok") != 0) continue;
            int holds_tight = gtap_table_cell(&a->table, r, C_HOLDS_TIGHT)->flag;
            int holds_loose = gtap_table_cell(&a->table, r, C_HOLDS_LOOSE)->flag;
            tight += holds_tight;
            loose += holds_loose;
            ratios[n] = gtap_table_cell(&a->table, r, C_RATIO)->number;
            slacks[n++] = gtap_table_cell(&a->table, r, C_SLACK_TIGHT)->number;
            if ((o->check == 2 && !holds_tight) || (o->check >= 1 && !holds_loose)) {
                violations++;
                fprintf(stderr, "gradtap bounds: %s: %s kind %s step %lld k=%lld: ratio %.9g > %s bound %.9g%s\n",
                        gtap_table_cell(&a->table, r, C_FILE)->text, gtap_table_cell(&a->table, r, C_TENSOR)->text,
                        gtap_table_cell(&a->table, r, C_KIND)->text, (long long)gtap_table_cell(&a->table, r, C_STEP)->integer,
                        (long long)gtap_table_cell(&a->table, r, C_K)->integer, ratios[n - 1],
                        holds_loose ? "tight" : "LOOSE",
                        gtap_table_cell(&a->table, r, holds_loose ? C_TIGHT : C_LOOSE)->number,
                        holds_loose ? "" : " (the loose bound always holds for exact top-k: this is a gradtap bug, please report it)");
            }
        }
        double q[6];
        gtap_analysis_min_median_max(ratios, n, q);
        gtap_analysis_min_median_max(slacks, n, q + 3);
        gtap_cell cells[S_COUNT] = {
            gtap_cell_num(a->densities ? a->densities[j] : NAN), gtap_cell_int(a->densities ? 0 : (int64_t)a->ks[j]),
            gtap_cell_int(snapshots), gtap_cell_int(tight), gtap_cell_int(loose), gtap_cell_int(zero), gtap_cell_int(nonfinite),
            gtap_cell_num(q[0]), gtap_cell_num(q[1]), gtap_cell_num(q[2]), gtap_cell_num(q[3]), gtap_cell_num(q[4]),
            gtap_cell_num(q[5]),
        };
        rc = gtap_table_add(&summary, j, cells);
    }
    free(ratios);
    free(slacks);
    if (rc == GTAP_OK) {
        /* machine formats keep stdout parseable: the summary goes to stderr */
        FILE *stream = a->common.format == GTAP_OUT_TABLE ? stdout : stderr;
        fprintf(stream, "\nsummary (per %s):\n", a->densities ? "density" : "k");
        gtap_table_print(&summary, stream, GTAP_OUT_TABLE);
        if (results) rc = gtap_table_write_h5(&summary, results, "bounds_summary");
    }
    gtap_table_free(&summary);
    if (rc < 0) return rc;
    if (violations) {
        fprintf(stderr, "gradtap bounds: --check %s: %d violation%s\n", o->check == 2 ? "tight" : "loose", violations,
                violations == 1 ? "" : "s");
        return 1;
    }
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
        {NULL, 0, NULL, 0},
    };
    bounds_options o = {.selectors = 1, .selectors_max = (uint64_t)1 << 24};
    gtap_analysis a;
    gtap_analysis_init(&a, bounds_columns, C_COUNT);
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
        case 'M': exit_code = gtap_cli_parse_u64("--selectors-max", optarg, 0, UINT64_MAX, &o.selectors_max); break;
        case 's': exit_code = gtap_cli_parse_u64("--seed", optarg, 0, UINT64_MAX, &o.seed); break;
        default: exit_code = GTAP_EXIT_USAGE; /* gtap_cli_getopt printed the one line */
        }
    }
    if (exit_code == GTAP_EXIT_OK && a.help) return gtap_analysis_finish(&a, "bounds", GTAP_EXIT_USAGE);
    if (exit_code == GTAP_EXIT_OK) exit_code = gtap_analysis_run(&a, argc, argv, before_snapshot, bounds_rows, &o);
    if (exit_code == GTAP_EXIT_OK && a.is_root) {
        int rc = summarise(&a, &o, a.results);
        if (rc == 1) exit_code = GTAP_EXIT_CHECK;
        else if (rc < 0) exit_code = gtap_cli_fail(rc);
    }
    int finish = gtap_analysis_finish(&a, "bounds", exit_code);
    return exit_code ? exit_code : finish;
}
