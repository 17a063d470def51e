/* cmd_info.c - `gradtap info FILE|RUN...`: what snapshot files hold. One
 * row per (file, tensor, kind) with a snapshot or a summary: rank, world
 * size, numel, dtype, snapshot steps and summary steps (count, first,
 * last), the summaries' densities, bytes on disk, compression, and whether
 * the writer closed the file. The table groups the rows by file and sizes
 * its columns to what they hold. */
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gradtap/format.h"
#include "gradtap/summary.h"
#include "info_table.h"
#include "inputs.h"
#include "output.h"

static const char usage[] =
    "usage: gradtap info [--format table|csv|json] [--strict] FILE|RUN...\n"
    "\n"
    "Describe snapshot files: per file, tensor and kind the rank and world size,\n"
    "numel, dtype, snapshots (count, first..last step), summaries (count,\n"
    "first..last step) and the densities their ratios r_k were taken at, bytes\n"
    "the tensor takes on disk, compression, and whether the file is complete (its\n"
    "writer closed it; a crashed or running writer leaves complete=no).\n"
    "A RUN is the NAME (or NAME.h5) of a multi-rank capture whose ranks wrote\n"
    "NAME.rank00000.h5, NAME.rank00001.h5, ...: all its files are described.\n"
    "\n"
    "  -f, --format FMT   table (default; grouped by file, long tensor names\n"
    "                     shortened in the middle), csv or json (full names)\n"
    GTAP_INPUTS_STRICT_HELP
    "  -h, --help         this text\n"
    "\n"
    "exit codes: 0 ok, 2 a file is missing or not a gradtap snapshot file (or,\n"
    "with --strict, the rank files do not form whole runs), 3 internal error\n";

enum {
    C_FILE, C_RANK, C_WORLD, C_TENSOR, C_KIND, C_NUMEL, C_DTYPE, C_STEPS, C_FIRST, C_LAST, C_BYTES, C_COMPRESSION,
    C_COMPLETE, C_SUMMARIES, C_SUMMARY_FIRST, C_SUMMARY_LAST, C_DENSITIES, C_COUNT
};

/* csv and json: every column, one row per (file, tensor, kind); steps of
 * what is absent are nan / null */
static const gtap_column info_columns[C_COUNT] = {
    {"file", GTAP_CELL_STRING, 0},        {"rank", GTAP_CELL_INT, 0},         {"world_size", GTAP_CELL_INT, 0},
    {"tensor", GTAP_CELL_STRING, 0},      {"kind", GTAP_CELL_STRING, 0},      {"numel", GTAP_CELL_INT, 0},
    {"dtype", GTAP_CELL_STRING, 0},       {"steps", GTAP_CELL_INT, 0},        {"first_step", GTAP_CELL_DOUBLE, 0},
    {"last_step", GTAP_CELL_DOUBLE, 0},   {"bytes", GTAP_CELL_INT, 0},        {"compression", GTAP_CELL_STRING, 0},
    {"complete", GTAP_CELL_BOOL, 0},      {"summaries", GTAP_CELL_INT, 0},    {"first_summary_step", GTAP_CELL_DOUBLE, 0},
    {"last_summary_step", GTAP_CELL_DOUBLE, 0}, {"summary_densities", GTAP_CELL_STRING, 0},
};

static double step_or_nan(size_t count, int64_t step)
{
    return count ? (double)step : (double)NAN;
}

static void machine_row(gtap_out *out, const gtap_info_file *file, const gtap_info_row *row)
{
    gtap_cell cells[C_COUNT] = {
        gtap_cell_str(file->path), gtap_cell_int(file->info.rank), gtap_cell_int(file->info.world_size),
        gtap_cell_str(row->tensor), gtap_cell_str(gtap_kind_name(row->kind)), gtap_cell_int((int64_t)row->numel),
        gtap_cell_str(gtap_dtype_name(row->dtype)), gtap_cell_int((int64_t)row->steps),
        gtap_cell_num(step_or_nan(row->steps, row->first_step)), gtap_cell_num(step_or_nan(row->steps, row->last_step)),
        gtap_cell_int((int64_t)row->bytes), gtap_cell_str(gtap_compression_name(row->compression)),
        gtap_cell_bool(file->info.complete), gtap_cell_int((int64_t)row->summaries),
        gtap_cell_num(step_or_nan(row->summaries, row->first_summary)),
        gtap_cell_num(step_or_nan(row->summaries, row->last_summary)), gtap_cell_str(row->densities),
    };
    gtap_out_row(out, cells);
}

static void print_machine(const gtap_info_file *files, size_t count, gtap_out_format format)
{
    gtap_out out;
    gtap_out_begin(&out, stdout, format, info_columns, C_COUNT);
    for (size_t f = 0; f < count; f++)
        for (size_t r = 0; r < files[f].row_count; r++) machine_row(&out, &files[f], &files[f].rows[r]);
    gtap_out_end(&out);
}

/* @return an exit code; *done when the command ends here (--help, an error). */
static int parse_options(int argc, char **argv, gtap_out_format *format, int *strict, int *done)
{
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'},
        {"strict", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int option;
    optind = 1;
    *done = 1;
    while ((option = gtap_cli_getopt(argc, argv, "f:h", options)) != -1) {
        switch (option) {
        case 'f':
            if (gtap_out_parse_format(optarg, format)) return GTAP_EXIT_USAGE;
            break;
        case 'S': *strict = 1; break;
        default: return gtap_cli_help_or_usage_error(option, usage);
        }
    }
    if (optind >= argc) return gtap_cli_error(GTAP_EXIT_USAGE, "no FILE given (see --help)");
    *done = 0;
    return GTAP_EXIT_OK;
}

int gtap_cmd_info(int argc, char **argv)
{
    gtap_out_format format = GTAP_OUT_TABLE;
    int strict = 0, done = 0;
    int exit_code = parse_options(argc, argv, &format, &strict, &done);
    if (done) return exit_code;
    /* Read every file first, so a bad file fails before any output. */
    gtap_input_list inputs;
    exit_code = gtap_inputs_resolve(argv + optind, (size_t)(argc - optind), &inputs);
    gtap_info_file *files = calloc(inputs.count ? inputs.count : 1, sizeof *files);
    gtap_file_info *infos = calloc(inputs.count ? inputs.count : 1, sizeof *infos);
    if (exit_code == GTAP_EXIT_OK && (files == NULL || infos == NULL)) exit_code = gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    for (size_t f = 0; f < inputs.count && exit_code == GTAP_EXIT_OK; f++) {
        exit_code = gtap_info_file_read(inputs.paths[f], &files[f]);
        if (exit_code == GTAP_EXIT_OK) infos[f] = files[f].info;
    }
    if (exit_code == GTAP_EXIT_OK) exit_code = gtap_inputs_check_ranks(inputs.paths, infos, inputs.count, strict, 0);
    if (exit_code == GTAP_EXIT_OK) {
        if (format == GTAP_OUT_TABLE) gtap_info_table_print(stdout, files, inputs.count, GTAP_INFO_TABLE_WIDTH);
        else print_machine(files, inputs.count, format);
        for (size_t f = 0; f < inputs.count && format == GTAP_OUT_TABLE; f++)
            if (!files[f].info.complete)
                gtap_cli_warn("%s: not complete (its writer is still running or was killed; "
                              "committed snapshots are readable)", files[f].path);
    }
    for (size_t f = 0; files && f < inputs.count; f++) gtap_info_file_free(&files[f]);
    free(files);
    free(infos);
    gtap_inputs_free(&inputs);
    return exit_code;
}
