/* cmd_curve.c - `gradtap curve FILE...`: the whole curve r_k = T_k/||u||^2
 * against k/d (log-spaced, exact T_k for every point) per snapshot, next to
 * the loose bound 1-k/d and the tight bound (1-k/d)^2: the data of the
 * figure ||u - Top_k(u)||^2 against the bounds (docs/THEORY.md s.1-2). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_common.h"

static const char usage[] =
    "usage: gradtap curve [options] FILE...\n"
    "\n"
    "Per snapshot, the exact contraction ratio r_k = T_k/||u||^2 at log-spaced\n"
    "k/d from 1/d to 1 next to bound_loose = 1-k/d and bound_tight = (1-k/d)^2.\n"
    "Snapshots that are zero or hold NaN/Inf give rows with ratio nan and their\n"
    "status.\n"
    "\n"
    "  --points N         points per snapshot (default 200; fewer when d is\n"
    "                     small: repeated k are dropped)\n"
    "  -f, --format FMT   table (default), csv or json\n"
    "  -o, --output FILE  also write an HDF5 results file (table /curve)\n"
    "      --force        let -o replace a file that is not a results file of this\n"
    "                     command (otherwise refused, exit 2)\n"
    GTAP_ANALYSIS_COLUMNS_HELP
    "  -h, --help         this text\n"
    GTAP_SELECTION_HELP
    "\n"
    "exit codes: 0 ok, 2 usage or input error, 3 internal error\n";

enum { C_RANK, C_STEP, C_TENSOR, C_KIND, C_D, C_K, C_K_OVER_D, C_RATIO, C_LOOSE, C_TIGHT, C_TAIL2, C_NORM2, C_STATUS, C_FILE, C_COUNT };

static const gtap_column curve_columns[C_COUNT] = {
    {"rank", GTAP_CELL_INT, 0},      {"step", GTAP_CELL_INT, 0},         {"tensor", GTAP_CELL_STRING, 12},
    {"kind", GTAP_CELL_STRING, 0},   {"d", GTAP_CELL_INT, 0},            {"k", GTAP_CELL_INT, 0},
    {"k_over_d", GTAP_CELL_DOUBLE, 0}, {"ratio", GTAP_CELL_DOUBLE, 0},    {"bound_loose", GTAP_CELL_DOUBLE, 0},
    {"bound_tight", GTAP_CELL_DOUBLE, 0}, {"tail2", GTAP_CELL_DOUBLE, 0}, {"norm2", GTAP_CELL_DOUBLE, 0},
    {"status", GTAP_CELL_STRING, 0}, {"file", GTAP_CELL_STRING, 0},
};

/* k_j = round(d^(j/(N-1))), j = 0..N-1: 1 .. d, log-spaced. */
static void curve_ks(gtap_analysis *a, size_t index, void *user)
{
    (void)user;
    uint64_t d = a->selection.items[index].d;
    size_t n = a->k_count;
    for (size_t j = 0; j < n; j++) {
        double x = n > 1 ? (double)j / (double)(n - 1) : 1.0;
        double k = d ? floor(exp(x * log((double)d)) + 0.5) : 0.0;
        a->ks_per_item[j] = k < 1.0 ? (d ? 1 : 0) : (k > (double)d ? d : (uint64_t)k);
    }
}

static int curve_rows(gtap_analysis *a, size_t index, const gtap_snapshot_data *data, void *user)
{
    (void)user;
    const gtap_snapshot_ref *item = &a->selection.items[index];
    const gtap_moments *m = &data->moments;
    int nonfinite = gtap_moments_has_nonfinite(m), usable = !nonfinite && m->norm2 > 0;
    const char *status = nonfinite ? "nonfinite" : (usable ? "ok" : "zero_vector");
    for (size_t j = 0; j < a->k_count; j++) {
        uint64_t k = a->ks_per_item[j];
        if (j > 0 && k == a->ks_per_item[j - 1]) continue;
        double frac = item->d ? (double)k / (double)item->d : NAN, loose = 1.0 - frac;
        gtap_cell cells[C_COUNT] = {
            gtap_cell_int(item->rank), gtap_cell_int(item->step), gtap_cell_str(gtap_selection_tensor_name(&a->selection, item)),
            gtap_cell_str(gtap_kind_name(item->kind)), gtap_cell_int((int64_t)item->d), gtap_cell_int((int64_t)k),
            gtap_cell_num(frac), gtap_cell_num(usable ? data->results[j].tail2 / data->results[j].norm2 : NAN), gtap_cell_num(loose),
            gtap_cell_num(loose * loose), gtap_cell_num(usable ? data->results[j].tail2 : NAN),
            gtap_cell_num(nonfinite ? NAN : data->results[j].norm2), gtap_cell_str(status), gtap_cell_str(a->selection.paths[item->file]),
        };
        int rc = gtap_table_add(&a->table, (uint64_t)index * a->k_count + j, cells);
        if (rc < 0) return rc;
    }
    return GTAP_OK;
}

int gtap_cmd_curve(int argc, char **argv)
{
    static const struct option options[] = {
        GTAP_ANALYSIS_LONG_OPTIONS,
        {"points", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    gtap_analysis a;
    gtap_analysis_init(&a, curve_columns, C_COUNT);
    if (gtap_table_key_columns(&a.table, "rank,step,tensor,kind,d,k,k_over_d,ratio,bound_loose,bound_tight,status") < 0)
        return gtap_cli_fail(GTAP_EINTERNAL);
    a.ks_for = curve_ks;
    a.sample_max = 0;
    uint64_t points = 200;
    int option, exit_code = GTAP_EXIT_OK;
    optind = 1;
    while ((option = gtap_analysis_next_option(&a, argc, argv, options, usage, &exit_code)) != -1) {
        if (option == 'p') {
            exit_code = gtap_cli_parse_u64("--points", optarg, 2, 100000, &points);
        } else {
            exit_code = GTAP_EXIT_USAGE; /* gtap_cli_getopt printed the one line */
        }
    }
    if (exit_code == GTAP_EXIT_OK && (a.densities || a.ks))
        exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "--density and --k do not apply to curve (use --points)");
    if (exit_code == GTAP_EXIT_OK && a.help) return gtap_analysis_finish(&a, "curve", GTAP_EXIT_USAGE);
    a.k_count = (size_t)points;
    if (exit_code == GTAP_EXIT_OK) exit_code = gtap_analysis_run(&a, argc, argv, NULL, curve_rows, NULL);
    int finish = gtap_analysis_finish(&a, "curve", exit_code);
    return exit_code ? exit_code : finish;
}
