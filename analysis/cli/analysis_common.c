/* analysis_common.c - the shared driver of bounds, fit and curve (see
 * analysis_common.h). */
#include "analysis_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradtap/stats.h"

static const double default_densities[] = {0.001, 0.01, 0.1};

void gtap_analysis_init(gtap_analysis *a, const gtap_column *columns, int column_count)
{
    memset(a, 0, sizeof *a);
    gtap_selection_options_init(&a->selection_options);
    gtap_table_init(&a->table, columns, column_count);
    a->sample_max = (uint64_t)1 << 20;
    a->is_root = 1;
    a->mpi_size = 1;
}

int gtap_analysis_option(gtap_analysis *a, int code, const char *arg, const char *usage)
{
    int handled = gtap_selection_option(&a->selection_options, code, arg);
    if (handled != 0) return handled;
    if (code == GTAP_AN_OPT_DENSITY || code == GTAP_AN_OPT_K) {
        a->k_options_given |= code == GTAP_AN_OPT_DENSITY ? 1 : 2;
        if (a->k_options_given == 3)
            return -gtap_cli_error(GTAP_EXIT_USAGE, "--k and --density exclude each other: give one of them");
    }
    switch (code) {
    case GTAP_AN_OPT_DENSITY: {
        free(a->densities);
        free(a->ks);
        a->ks = NULL;
        if (gtap_cli_parse_double_list("--density", arg, 0x1p-60, 1.0, &a->densities, &a->k_count)) return -GTAP_EXIT_USAGE;
        for (size_t i = 0; i < a->k_count; i++)
            if (!(a->densities[i] > 0)) return -gtap_cli_error(GTAP_EXIT_USAGE, "--density: values must be in (0, 1]");
        return 1;
    }
    case GTAP_AN_OPT_K:
        free(a->densities);
        free(a->ks);
        a->densities = NULL;
        return gtap_cli_parse_u64_list("--k", arg, 1, UINT64_MAX, &a->ks, &a->k_count) ? -GTAP_EXIT_USAGE : 1;
    case GTAP_AN_OPT_FIT_SAMPLE:
        return gtap_cli_parse_u64("--fit-sample", arg, 2, (uint64_t)1 << 32, &a->sample_max) ? -GTAP_EXIT_USAGE : 1;
    case 'f': return gtap_out_parse_format(arg, &a->common.format) ? -GTAP_EXIT_USAGE : 1;
    case 'o': a->common.output = arg; return 1;
    case GTAP_AN_OPT_FORCE: a->common.force = 1; return 1;
    case GTAP_AN_OPT_COLUMNS: return gtap_table_select_columns(&a->table, arg) ? -GTAP_EXIT_USAGE : 1;
    case 'h':
        gtap_cli_print_usage(stdout, usage);
        a->help = 1;
        return 1;
    default: return 0;
    }
}

int gtap_analysis_next_option(gtap_analysis *a, int argc, char **argv, const struct option *options,
                              const char *usage, int *exit_code)
{
    int option;
    while (*exit_code == GTAP_EXIT_OK && (option = gtap_cli_getopt(argc, argv, "f:o:h", options)) != -1) {
        int handled = gtap_analysis_option(a, option, optarg, usage);
        if (handled < 0) *exit_code = -handled;
        if (handled == 0) return option;
    }
    return -1;
}

static void default_ks(gtap_analysis *a, size_t index, void *user)
{
    (void)user;
    uint64_t d = a->selection.items[index].d;
    for (size_t j = 0; j < a->k_count; j++) {
        if (a->densities) a->ks_per_item[j] = gtap_k_for_density(a->densities[j], d);
        else a->ks_per_item[j] = a->ks[j] < d ? a->ks[j] : d;
    }
}

int gtap_analysis_run(gtap_analysis *a, int argc, char **argv, gtap_analysis_fn before, gtap_analysis_fn rows, void *user)
{
    if (a->densities == NULL && a->ks == NULL && a->ks_for == NULL) {
        a->k_count = sizeof default_densities / sizeof default_densities[0];
        a->densities = malloc(sizeof default_densities);
        if (a->densities == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
        memcpy(a->densities, default_densities, sizeof default_densities);
    }
    if (optind >= argc) return gtap_cli_error(GTAP_EXIT_USAGE, "no FILE given (see --help)");
    gtap_selection_mpi_start(&argc, &argv, &a->mpi_rank, &a->mpi_size);
    a->is_root = a->mpi_rank == 0;
    int threads = a->selection_options.threads;
    int exit_code = gtap_selection_build(&a->selection, &a->selection_options, argv + optind, (size_t)(argc - optind));
    if (exit_code) return exit_code;
    if (a->is_root && a->common.output) {
        char producer[64];
        snprintf(producer, sizeof producer, "gradtap %s %s", gtap_version(), gtap_cli_command_name);
        if ((exit_code = gtap_output_check(a->common.output, "gradtap-results", NULL, a->common.force))) return exit_code;
        if ((exit_code = gtap_output_begin(&a->results_file, a->common.output))) return exit_code;
        int rc = gtap_h5file_create(a->results_file.temp, producer, &a->results);
        if (rc < 0) return gtap_cli_fail(rc);
    }
    a->ks_per_item = calloc(a->k_count ? a->k_count : 1, sizeof *a->ks_per_item);
    gtap_tail_team *team = NULL;
    if (a->ks_per_item == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    int rc = gtap_tail_team_create(threads, &team);
    gtap_snapshot_data data;
    memset(&data, 0, sizeof data);
    for (size_t i = 0; i < a->selection.count && rc == GTAP_OK; i++) {
        if ((int)(i % (size_t)a->mpi_size) != a->mpi_rank) continue;
        (a->ks_for ? a->ks_for : default_ks)(a, i, user);
        rc = gtap_selection_analyse(&a->selection, &a->selection.items[i], team, a->ks_per_item, a->k_count,
                                    a->sample_max, a->sample_seed, &data);
        if (rc == GTAP_OK && before) rc = before(a, i, &data, user);
        if (rc == GTAP_OK) rc = rows(a, i, &data, user);
    }
    gtap_snapshot_data_free(&data);
    gtap_tail_team_free(team);
    if (rc < 0) return gtap_cli_fail(rc);
    if ((rc = gtap_table_gather(&a->table)) < 0) return gtap_cli_fail(rc);
    if (a->is_root && a->after_gather && (rc = a->after_gather(a, user)) < 0) return gtap_cli_fail(rc);
    if (a->is_root && a->json_key) printf("{\"%s\": ", a->json_key); /* the caller adds the rest */
    if (a->is_root) gtap_table_print(&a->table, stdout, a->common.format);
    return GTAP_EXIT_OK;
}

int gtap_analysis_finish(gtap_analysis *a, const char *name, int exit_code)
{
    int rc = GTAP_OK;
    if (a->results && (exit_code == GTAP_EXIT_OK || exit_code == GTAP_EXIT_CHECK)) rc = gtap_table_write_h5(&a->table, a->results, name);
    int closed = gtap_h5file_close(a->results);
    if (rc == GTAP_OK) rc = closed;
    int result = rc < 0 ? gtap_cli_fail(rc) : GTAP_EXIT_OK;
    /* the results replace the old output only when the command succeeded */
    if (a->results && result == GTAP_EXIT_OK && (exit_code == GTAP_EXIT_OK || exit_code == GTAP_EXIT_CHECK))
        result = gtap_output_commit(&a->results_file);
    gtap_output_abort(&a->results_file);
    gtap_table_free(&a->table);
    gtap_selection_free(&a->selection);
    gtap_selection_options_free(&a->selection_options);
    free(a->densities);
    free(a->ks);
    free(a->ks_per_item);
    gtap_selection_mpi_end();
    return result;
}

void gtap_analysis_min_median_max(double *values, size_t n, double q[3])
{
    if (n == 0) {
        q[0] = q[1] = q[2] = NAN;
        return;
    }
    qsort(values, n, sizeof *values, gtap_cli_compare_double);
    q[0] = values[0];
    q[1] = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    q[2] = values[n - 1];
}
