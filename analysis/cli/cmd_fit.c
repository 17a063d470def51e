/* cmd_fit.c - `gradtap fit FILE...`: per snapshot the count, mean, standard
 * deviation, skewness, excess kurtosis, min, max and fraction of exact
 * zeros (exact, over all d), maximum-likelihood fits of the Gaussian,
 * Laplace, Student-t and generalized normal families to the non-zero values
 * of a seeded random sample (exact zeros are an atom, docs/THEORY.md s.6)
 * with standard errors, log-likelihood, AIC, Kolmogorov-Smirnov distance and
 * p-value, convergence and degeneracy flags, and the best family ("none"
 * when no family passes the KS test at 5%); optionally a histogram with the
 * fitted densities and Q-Q points. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis_common.h"
#include "gradtap/fit.h"

static const char usage[] =
    "usage: gradtap fit [options] FILE...\n"
    "\n"
    "Per snapshot: count (finite values), mean, std (ML), skewness, excess\n"
    "kurtosis, min, max, zero_fraction and nonfinite - exact over all d - and\n"
    "maximum-likelihood fits of gauss, laplace, student (nu) and gennorm\n"
    "(beta) to the NON-ZERO values of the sample (exact zeros are reported as\n"
    "zero_fraction, an atom no continuous family describes), with standard\n"
    "errors (they assume the family is right), log-likelihood, AIC, KS distance\n"
    "and p-value, and `best`: the smallest AIC among the families that\n"
    "converged, are not degenerate and pass the KS test at 5%, or \"none\".\n"
    "The sample is every finite value when d <= --fit-sample, else one random\n"
    "value per block of s = ceil(d/N) values, seeded by --seed (columns\n"
    "sample_n, sample_stride, sample_seed, fit_n).\n"
    "\n"
    "  --fit-sample N     largest sample the fits use (default 1048576)\n"
    "  --seed N           seed of the random sample (default 0)\n"
    "  --hist BINS        histogram of the sample with each fitted density\n"
    "  --hist-scale S     linear (default) or log (of log10|u|, zeros left out)\n"
    "  --qq N             N quantile-quantile points per snapshot and family\n"
    "  -f, --format FMT   table (default), csv or json\n"
    "  -o, --output FILE  also write an HDF5 results file (tables /fit, /hist,\n"
    "                     /qq); without -o, --hist and --qq tables are printed\n"
    "                     after the fit table, each after a blank line\n"
    "      --force        let -o replace a file that is not a results file of this\n"
    "                     command (otherwise refused, exit 2)\n"
    GTAP_ANALYSIS_COLUMNS_HELP
    "  -h, --help         this text\n"
    GTAP_SELECTION_HELP
    "\n"
    "exit codes: 0 ok, 2 usage or input error, 3 internal error\n";

#define FAMILY_COLUMNS 9
#define CHECK_COLUMNS 4
/* The columns up to `file` are a contract (docs/CLI.md); later ones go after it. */
enum {
    C_RANK, C_STEP, C_TENSOR, C_KIND, C_D, C_N, C_MEAN, C_STD, C_SKEW, C_KURT, C_MIN, C_MAX, C_ZERO, C_NONFINITE,
    C_SAMPLE_N, C_SAMPLE_STRIDE, C_BEST, C_FAMILIES, C_FILE = C_FAMILIES + FAMILY_COLUMNS * GTAP_FAMILY_COUNT,
    C_FIT_N, C_SAMPLE_SEED, C_KS_CRITICAL, C_BEST_AIC, C_CHECKS, C_COUNT = C_CHECKS + CHECK_COLUMNS * GTAP_FAMILY_COUNT
};
static const char *const family_fields[FAMILY_COLUMNS] = {"loc", "loc_se", "scale", "scale_se", "shape",
                                                          "shape_se", "loglik", "aic", "ks"};
static const char *const check_fields[CHECK_COLUMNS] = {"converged", "degenerate", "ks_p", "note"};
static const gtap_cell_type check_types[CHECK_COLUMNS] = {GTAP_CELL_BOOL, GTAP_CELL_BOOL, GTAP_CELL_DOUBLE, GTAP_CELL_STRING};
static char family_column_names[GTAP_FAMILY_COUNT * FAMILY_COLUMNS][32];
static char check_column_names[GTAP_FAMILY_COUNT * CHECK_COLUMNS][32];
static gtap_column fit_columns[C_COUNT] = {
    {"rank", GTAP_CELL_INT, 0},       {"step", GTAP_CELL_INT, 0},      {"tensor", GTAP_CELL_STRING, 12},
    {"kind", GTAP_CELL_STRING, 0},    {"d", GTAP_CELL_INT, 0},         {"count", GTAP_CELL_INT, 0},
    {"mean", GTAP_CELL_DOUBLE, 0},    {"std", GTAP_CELL_DOUBLE, 0},    {"skewness", GTAP_CELL_DOUBLE, 0},
    {"excess_kurtosis", GTAP_CELL_DOUBLE, 0}, {"min", GTAP_CELL_DOUBLE, 0}, {"max", GTAP_CELL_DOUBLE, 0},
    {"zero_fraction", GTAP_CELL_DOUBLE, 0}, {"nonfinite", GTAP_CELL_INT, 0}, {"sample_n", GTAP_CELL_INT, 0},
    {"sample_stride", GTAP_CELL_INT, 0}, {"best", GTAP_CELL_STRING, 0},
};

static const gtap_column hist_columns[] = {
    {"rank", GTAP_CELL_INT, 0},          {"step", GTAP_CELL_INT, 0},         {"tensor", GTAP_CELL_STRING, 12},
    {"kind", GTAP_CELL_STRING, 0},       {"scale", GTAP_CELL_STRING, 0},     {"bin", GTAP_CELL_INT, 0},
    {"left", GTAP_CELL_DOUBLE, 0},       {"right", GTAP_CELL_DOUBLE, 0},     {"count", GTAP_CELL_INT, 0},
    {"density", GTAP_CELL_DOUBLE, 0},    {"pdf_gauss", GTAP_CELL_DOUBLE, 0}, {"pdf_laplace", GTAP_CELL_DOUBLE, 0},
    {"pdf_student", GTAP_CELL_DOUBLE, 0}, {"pdf_gennorm", GTAP_CELL_DOUBLE, 0},
};
enum { H_COUNT = sizeof hist_columns / sizeof hist_columns[0] };

static const gtap_column qq_columns[] = {
    {"rank", GTAP_CELL_INT, 0},        {"step", GTAP_CELL_INT, 0},         {"tensor", GTAP_CELL_STRING, 12},
    {"kind", GTAP_CELL_STRING, 0},     {"p", GTAP_CELL_DOUBLE, 0},         {"sample", GTAP_CELL_DOUBLE, 0},
    {"q_gauss", GTAP_CELL_DOUBLE, 0},  {"q_laplace", GTAP_CELL_DOUBLE, 0}, {"q_student", GTAP_CELL_DOUBLE, 0},
    {"q_gennorm", GTAP_CELL_DOUBLE, 0},
};
enum { Q_COUNT = sizeof qq_columns / sizeof qq_columns[0] };

typedef struct fit_options {
    uint64_t hist_bins, qq_points;
    int hist_log;
    gtap_table hist, qq;
} fit_options;

static void name_family_columns(void)
{
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++)
        for (int j = 0; j < FAMILY_COLUMNS; j++) {
            char *name = family_column_names[f * FAMILY_COLUMNS + j];
            snprintf(name, sizeof family_column_names[0], "%s_%s", gtap_family_name((gtap_family)f), family_fields[j]);
            fit_columns[C_FAMILIES + f * FAMILY_COLUMNS + j] = (gtap_column){name, GTAP_CELL_DOUBLE, 0};
        }
    fit_columns[C_FILE] = (gtap_column){"file", GTAP_CELL_STRING, 0};
    fit_columns[C_FIT_N] = (gtap_column){"fit_n", GTAP_CELL_INT, 0};
    fit_columns[C_SAMPLE_SEED] = (gtap_column){"sample_seed", GTAP_CELL_INT, 0};
    fit_columns[C_KS_CRITICAL] = (gtap_column){"ks_critical", GTAP_CELL_DOUBLE, 0};
    fit_columns[C_BEST_AIC] = (gtap_column){"best_aic", GTAP_CELL_STRING, 0};
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++)
        for (int j = 0; j < CHECK_COLUMNS; j++) {
            char *name = check_column_names[f * CHECK_COLUMNS + j];
            snprintf(name, sizeof check_column_names[0], "%s_%s", gtap_family_name((gtap_family)f), check_fields[j]);
            fit_columns[C_CHECKS + f * CHECK_COLUMNS + j] = (gtap_column){name, check_types[j], 0};
        }
}

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Density of log10|X| at y for a fitted X. */
static double log_abs_density(const gtap_fit *f, double y)
{
    double x = pow(10.0, y);
    return (gtap_fit_pdf(f, x) + gtap_fit_pdf(f, -x)) * x * log(10.0);
}

static int add_histogram(fit_options *o, gtap_analysis *a, size_t index, const float *sorted, uint64_t n,
                         const gtap_fit *fits)
{
    const gtap_snapshot_ref *item = &a->selection.items[index];
    const char *tensor = gtap_selection_tensor_name(&a->selection, item);
    uint64_t first = 0;
    if (o->hist_log)
        while (first < n && sorted[first] == 0.0f) first++;
    double lo = INFINITY, hi = -INFINITY;
    for (uint64_t i = first; i < n; i++) {
        double v = o->hist_log ? log10(fabs((double)sorted[i])) : (double)sorted[i];
        if (sorted[i] == 0.0f && o->hist_log) continue;
        lo = v < lo ? v : lo;
        hi = v > hi ? v : hi;
    }
    if (!(hi >= lo)) return GTAP_OK;
    if (hi == lo) hi = lo + 1.0;
    uint64_t bins = o->hist_bins, *counts = calloc((size_t)bins, sizeof *counts), used = 0;
    if (counts == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory for the histogram");
    double width = (hi - lo) / (double)bins;
    for (uint64_t i = first; i < n; i++) {
        if (o->hist_log && sorted[i] == 0.0f) continue;
        double v = o->hist_log ? log10(fabs((double)sorted[i])) : (double)sorted[i];
        uint64_t b = (uint64_t)((v - lo) / width);
        counts[b < bins ? b : bins - 1]++;
        used++;
    }
    int rc = GTAP_OK;
    for (uint64_t b = 0; b < bins && rc == GTAP_OK; b++) {
        double left = lo + width * (double)b, right = left + width, center = 0.5 * (left + right);
        gtap_cell cells[H_COUNT] = {
            gtap_cell_int(item->rank), gtap_cell_int(item->step), gtap_cell_str(tensor), gtap_cell_str(gtap_kind_name(item->kind)),
            gtap_cell_str(o->hist_log ? "log10abs" : "linear"), gtap_cell_int((int64_t)b), gtap_cell_num(left),
            gtap_cell_num(right), gtap_cell_int((int64_t)counts[b]), gtap_cell_num((double)counts[b] / ((double)used * width)),
        };
        for (int f = 0; f < GTAP_FAMILY_COUNT; f++)
            cells[10 + f] = gtap_cell_num(o->hist_log ? log_abs_density(&fits[f], center) : gtap_fit_pdf(&fits[f], center));
        rc = gtap_table_add(&o->hist, ((uint64_t)index << 24) + b, cells);
    }
    free(counts);
    return rc;
}

static int add_qq(fit_options *o, gtap_analysis *a, size_t index, const float *sorted, uint64_t n, const gtap_fit *fits)
{
    const gtap_snapshot_ref *item = &a->selection.items[index];
    const char *tensor = gtap_selection_tensor_name(&a->selection, item);
    int rc = GTAP_OK;
    for (uint64_t i = 0; i < o->qq_points && rc == GTAP_OK; i++) {
        double p = ((double)i + 0.5) / (double)o->qq_points;
        uint64_t at = (uint64_t)(p * (double)n);
        gtap_cell cells[Q_COUNT] = {
            gtap_cell_int(item->rank), gtap_cell_int(item->step), gtap_cell_str(tensor), gtap_cell_str(gtap_kind_name(item->kind)),
            gtap_cell_num(p), gtap_cell_num((double)sorted[at < n ? at : n - 1]),
        };
        for (int f = 0; f < GTAP_FAMILY_COUNT; f++) cells[6 + f] = gtap_cell_num(gtap_fit_quantile(&fits[f], p));
        rc = gtap_table_add(&o->qq, ((uint64_t)index << 24) + i, cells);
    }
    return rc;
}

static void family_cells(gtap_cell *cells, const gtap_fit *fits, int fitted)
{
    for (int f = 0; f < GTAP_FAMILY_COUNT; f++) {
        const gtap_fit *fit = &fits[f];
        double values[FAMILY_COLUMNS] = {fit->loc, fit->loc_se, fit->scale, fit->scale_se, fit->shape,
                                         fit->shape_se, fit->loglik, fit->aic, fit->ks};
        for (int j = 0; j < FAMILY_COLUMNS; j++)
            cells[C_FAMILIES + f * FAMILY_COLUMNS + j] = gtap_cell_num(fitted ? values[j] : NAN);
        gtap_cell *check = &cells[C_CHECKS + f * CHECK_COLUMNS];
        check[0] = gtap_cell_bool(fitted && fit->converged);
        check[1] = gtap_cell_bool(!fitted || fit->degenerate);
        check[2] = gtap_cell_num(fitted ? fit->ks_p : NAN);
        check[3] = gtap_cell_str(fitted ? fit->note : "degenerate: fewer than 2 values in the sample");
    }
}

/* The values the families were fitted to (the non-zero ones), sorted. */
static int nonzero_sorted(const gtap_snapshot_data *data, float **sorted, uint64_t *n)
{
    *n = 0;
    *sorted = malloc((size_t)(data->sample_count ? data->sample_count : 1) * sizeof **sorted);
    if (*sorted == NULL) return gtap_set_error(GTAP_ENOMEM, "out of memory");
    for (uint64_t i = 0; i < data->sample_count; i++)
        if (data->sample[i] != 0.0f) (*sorted)[(*n)++] = data->sample[i];
    qsort(*sorted, (size_t)*n, sizeof **sorted, compare_float);
    return GTAP_OK;
}

static int fit_rows(gtap_analysis *a, size_t index, const gtap_snapshot_data *data, void *user)
{
    fit_options *o = user;
    const gtap_snapshot_ref *item = &a->selection.items[index];
    const gtap_moments *m = &data->moments;
    gtap_fit fits[GTAP_FAMILY_COUNT];
    gtap_family best = GTAP_FAMILY_COUNT;
    uint64_t zeros = 0;
    int fitted = data->sample_count >= 2 &&
                 gtap_fit_all_nonzero_threads(data->sample, data->sample_count, fits, &best, &zeros,
                                              a->selection.options.threads) == GTAP_OK;
    if (!fitted) best = GTAP_FAMILY_COUNT;
    uint64_t fit_n = fitted ? data->sample_count - zeros : 0;
    gtap_cell cells[C_COUNT];
    uint64_t nonfinite = m->nan_count + m->posinf_count + m->neginf_count;
    cells[C_RANK] = gtap_cell_int(item->rank);
    cells[C_STEP] = gtap_cell_int(item->step);
    cells[C_TENSOR] = gtap_cell_str(gtap_selection_tensor_name(&a->selection, item));
    cells[C_KIND] = gtap_cell_str(gtap_kind_name(item->kind));
    cells[C_D] = gtap_cell_int((int64_t)item->d);
    cells[C_N] = gtap_cell_int((int64_t)m->finite);
    cells[C_MEAN] = gtap_cell_num(m->mean);
    cells[C_STD] = gtap_cell_num(sqrt(gtap_moments_variance(m, 0)));
    cells[C_SKEW] = gtap_cell_num(gtap_moments_skewness(m));
    cells[C_KURT] = gtap_cell_num(gtap_moments_excess_kurtosis(m));
    cells[C_MIN] = gtap_cell_num(m->min);
    cells[C_MAX] = gtap_cell_num(m->max);
    cells[C_ZERO] = gtap_cell_num(m->finite ? (double)m->zero_count / (double)m->finite : NAN);
    cells[C_NONFINITE] = gtap_cell_int((int64_t)nonfinite);
    cells[C_SAMPLE_N] = gtap_cell_int((int64_t)data->sample_count);
    cells[C_SAMPLE_STRIDE] = gtap_cell_int((int64_t)data->sample_stride);
    cells[C_BEST] = gtap_cell_str(gtap_family_name(best));
    family_cells(cells, fits, fitted);
    cells[C_FILE] = gtap_cell_str(a->selection.paths[item->file]);
    cells[C_FIT_N] = gtap_cell_int((int64_t)fit_n);
    cells[C_SAMPLE_SEED] = gtap_cell_int((int64_t)data->sample_seed);
    cells[C_KS_CRITICAL] = gtap_cell_num(gtap_ks_critical(fit_n, GTAP_FIT_ALPHA));
    cells[C_BEST_AIC] = gtap_cell_str(gtap_family_name(fitted ? gtap_fit_best(fits, 0.0) : GTAP_FAMILY_COUNT));
    int rc = gtap_table_add(&a->table, index, cells);
    if (rc < 0 || !fitted || (o->hist_bins == 0 && o->qq_points == 0)) return rc;
    float *sorted = NULL;
    uint64_t n = 0;
    if ((rc = nonzero_sorted(data, &sorted, &n)) < 0) return rc;
    if (o->hist_bins && n > 0) rc = add_histogram(o, a, index, sorted, n, fits);
    if (rc == GTAP_OK && o->qq_points && n > 0) rc = add_qq(o, a, index, sorted, n, fits);
    free(sorted);
    return rc;
}

/* Gather, print (without -o) or write (with -o) an extra table. */
static int extra_table(gtap_analysis *a, gtap_table *t, const char *name)
{
    int rc = gtap_table_gather(t);
    if (rc < 0 || !a->is_root) return rc;
    if (a->results) return gtap_table_write_h5(t, a->results, name);
    if (a->json_key) printf(", \"%s\": ", name); /* one JSON object: {"fit": [...], "hist": [...], "qq": [...]} */
    else fputc('\n', stdout);
    gtap_table_print(t, stdout, a->common.format);
    return GTAP_OK;
}

int gtap_cmd_fit(int argc, char **argv)
{
    static const struct option options[] = {
        GTAP_ANALYSIS_LONG_OPTIONS,
        {"hist", required_argument, NULL, 'H'},
        {"hist-scale", required_argument, NULL, 'L'},
        {"qq", required_argument, NULL, 'Q'},
        {"seed", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    name_family_columns();
    fit_options o;
    memset(&o, 0, sizeof o);
    gtap_table_init(&o.hist, hist_columns, H_COUNT);
    gtap_table_init(&o.qq, qq_columns, Q_COUNT);
    gtap_analysis a;
    gtap_analysis_init(&a, fit_columns, C_COUNT);
    if (gtap_table_key_columns(&a.table, "rank,step,tensor,kind,d,zero_fraction,best,gauss_ks,laplace_ks,student_ks,gennorm_ks") < 0)
        return gtap_cli_fail(GTAP_EINTERNAL);
    int option, exit_code = GTAP_EXIT_OK;
    optind = 1;
    while ((option = gtap_analysis_next_option(&a, argc, argv, options, usage, &exit_code)) != -1) {
        switch (option) {
        case 'H': exit_code = gtap_cli_parse_u64("--hist", optarg, 1, 1000000, &o.hist_bins); break;
        case 'Q': exit_code = gtap_cli_parse_u64("--qq", optarg, 1, 1000000, &o.qq_points); break;
        case 'S': exit_code = gtap_cli_parse_u64("--seed", optarg, 0, INT64_MAX, &a.sample_seed); break;
        case 'L':
            if (strcmp(optarg, "log") == 0) o.hist_log = 1;
            else if (strcmp(optarg, "linear") != 0) exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "--hist-scale: '%s' is not linear or log", optarg);
            break;
        default: exit_code = GTAP_EXIT_USAGE; /* gtap_cli_getopt printed the one line */
        }
    }
    if (exit_code == GTAP_EXIT_OK && (a.densities || a.ks))
        exit_code = gtap_cli_error(GTAP_EXIT_USAGE, "--density and --k do not apply to fit");
    if (exit_code == GTAP_EXIT_OK && !a.help) {
        a.k_count = 0;
        a.ks_for = NULL;
        uint64_t dummy = 0;
        a.ks = malloc(sizeof dummy); /* no k: an empty list keeps the default densities away */
        if (a.common.format == GTAP_OUT_JSON && a.common.output == NULL && (o.hist_bins || o.qq_points))
            a.json_key = "fit";
        exit_code = a.ks ? gtap_analysis_run(&a, argc, argv, NULL, fit_rows, &o) : GTAP_EXIT_INTERNAL;
        int rc = GTAP_OK;
        if (exit_code == GTAP_EXIT_OK && o.hist_bins) rc = extra_table(&a, &o.hist, "hist");
        if (exit_code == GTAP_EXIT_OK && rc == GTAP_OK && o.qq_points) rc = extra_table(&a, &o.qq, "qq");
        if (rc < 0) exit_code = gtap_cli_fail(rc);
        if (exit_code == GTAP_EXIT_OK && a.json_key && a.is_root) fputs("}\n", stdout);
    }
    gtap_table_free(&o.hist);
    gtap_table_free(&o.qq);
    int finish = gtap_analysis_finish(&a, "fit", a.help ? GTAP_EXIT_USAGE : exit_code);
    return exit_code ? exit_code : finish;
}
