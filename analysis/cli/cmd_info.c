/* cmd_info.c - `gradtap info FILE...`: what snapshot files hold. One row per
 * (file, tensor, kind): rank, world size, numel, dtype, steps (count, first,
 * last), bytes on disk, compression, and whether the writer closed the file. */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gradtap/format.h"
#include "gradtap/run.h"
#include "output.h"

static const char usage[] =
    "usage: gradtap info [--format table|csv|json] FILE|RUN...\n"
    "\n"
    "Describe snapshot files: per file, tensor and kind the rank and world size,\n"
    "numel, dtype, number of snapshots with first and last step, bytes the tensor\n"
    "takes on disk, compression, and whether the file is complete (its writer\n"
    "closed it; a crashed or running writer leaves complete=no).\n"
    "A RUN is the NAME (or NAME.h5) of a multi-rank capture whose ranks wrote\n"
    "NAME.rank00000.h5, NAME.rank00001.h5, ...: all its files are described.\n"
    "\n"
    "  -f, --format FMT   table (default), csv or json\n"
    "  -h, --help         this text\n"
    "\n"
    "exit codes: 0 ok, 2 a file is missing or not a gradtap snapshot file, 3 internal error\n";

static const gtap_column info_columns[] = {
    {"file", GTAP_CELL_STRING, 0},     {"rank", GTAP_CELL_INT, 0},        {"world_size", GTAP_CELL_INT, 0},
    {"tensor", GTAP_CELL_STRING, 16},  {"kind", GTAP_CELL_STRING, 8},     {"numel", GTAP_CELL_INT, 10},
    {"dtype", GTAP_CELL_STRING, 8},    {"steps", GTAP_CELL_INT, 0},       {"first_step", GTAP_CELL_INT, 0},
    {"last_step", GTAP_CELL_INT, 0},   {"bytes", GTAP_CELL_INT, 10},      {"compression", GTAP_CELL_STRING, 0},
    {"complete", GTAP_CELL_BOOL, 0},
};
enum { INFO_COLUMN_COUNT = sizeof info_columns / sizeof info_columns[0] };

static int describe_file(gtap_out *out, const char *path, long *rows)
{
    gtap_reader *reader = NULL;
    int rc = gtap_reader_open(path, &reader);
    if (rc < 0) return gtap_cli_fail(rc);
    gtap_file_info file;
    gtap_reader_file_info(reader, &file);
    size_t tensor_count = gtap_reader_tensor_count(reader);
    for (size_t t = 0; t < tensor_count; t++) {
        gtap_tensor_info tensor;
        if ((rc = gtap_reader_tensor(reader, t, &tensor)) < 0) break;
        for (int kind = 0; kind < GTAP_KIND_COUNT; kind++) {
            size_t count = 0;
            if ((rc = gtap_reader_steps(reader, t, (gtap_kind)kind, NULL, 0, &count)) < 0) break;
            if (count == 0) continue;
            int64_t *steps = malloc(count * sizeof *steps);
            if (steps == NULL) {
                gtap_reader_close(reader);
                return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
            }
            gtap_reader_steps(reader, t, (gtap_kind)kind, steps, count, &count);
            gtap_cell cells[INFO_COLUMN_COUNT] = {
                gtap_cell_str(path), gtap_cell_int(file.rank), gtap_cell_int(file.world_size),
                gtap_cell_str(tensor.name), gtap_cell_str(gtap_kind_name((gtap_kind)kind)),
                gtap_cell_int((int64_t)tensor.numel), gtap_cell_str(gtap_dtype_name(tensor.dtype)),
                gtap_cell_int((int64_t)count), gtap_cell_int(steps[0]), gtap_cell_int(steps[count - 1]),
                gtap_cell_int((int64_t)tensor.stored_bytes), gtap_cell_str(gtap_compression_name(tensor.compression)),
                gtap_cell_bool(file.complete),
            };
            gtap_out_row(out, cells);
            (*rows)++;
            free(steps);
        }
        if (rc < 0) break;
    }
    gtap_reader_close(reader);
    if (rc < 0) return gtap_cli_fail(rc);
    if (out->format == GTAP_OUT_TABLE && !file.complete)
        gtap_cli_warn("%s: not complete (its writer is still running or was killed; "
                      "committed snapshots are readable)", path);
    return GTAP_EXIT_OK;
}

int gtap_cmd_info(int argc, char **argv)
{
    static const struct option options[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    gtap_out_format format = GTAP_OUT_TABLE;
    int option;
    optind = 1;
    while ((option = gtap_cli_getopt(argc, argv, "f:h", options)) != -1) {
        switch (option) {
        case 'f':
            if (gtap_out_parse_format(optarg, &format)) return GTAP_EXIT_USAGE;
            break;
        default: return gtap_cli_help_or_usage_error(option, usage);
        }
    }
    if (optind >= argc) return gtap_cli_error(GTAP_EXIT_USAGE, "no FILE given (see --help)");
    /* Open every file first, so a bad file fails before any output. A name
     * that is no file but a multi-rank run stands for all its rank files. */
    gtap_run **runs = calloc((size_t)argc, sizeof *runs);
    if (runs == NULL) return gtap_cli_error(GTAP_EXIT_INTERNAL, "out of memory");
    int exit_code = GTAP_EXIT_OK;
    for (int i = optind; i < argc && exit_code == GTAP_EXIT_OK; i++) {
        if ((exit_code = gtap_cli_check_input(argv[i])) != GTAP_EXIT_OK) break;
        gtap_reader *reader = NULL;
        int rc = gtap_reader_open(argv[i], &reader);
        gtap_reader_close(reader);
        if (rc == GTAP_ENOTFOUND && gtap_run_open(argv[i], &runs[i]) == GTAP_OK) continue;
        if (rc < 0) exit_code = gtap_cli_fail(rc);
    }
    gtap_out out;
    long rows = 0;
    if (exit_code == GTAP_EXIT_OK) {
        gtap_out_begin(&out, stdout, format, info_columns, INFO_COLUMN_COUNT);
        for (int i = optind; i < argc && exit_code == GTAP_EXIT_OK; i++) {
            if (runs[i] == NULL) {
                exit_code = describe_file(&out, argv[i], &rows);
                continue;
            }
            for (int r = 0; r < gtap_run_world_size(runs[i]) && exit_code == GTAP_EXIT_OK; r++)
                exit_code = describe_file(&out, gtap_run_path(runs[i], r), &rows);
        }
        gtap_out_end(&out);
    }
    for (int i = 0; i < argc; i++) gtap_run_close(runs[i]);
    free(runs);
    return exit_code;
}
