/* cmd_recover.c - `gradtap recover FILE...`: make snapshot files left by a
 * killed capture (SWMR writer) readable by every HDF5 reader, e.g. h5py
 * without swmr=True. gradtap's own reader needs no recovery. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "gradtap/capture.h"
#include "inputs.h"
#include "h5_guard.h"

static const char usage[] =
    "usage: gradtap recover [--dry-run] [--strict] FILE|RUN...\n"
    "\n"
    "A capture killed while writing (SIGKILL, out of memory, node failure) leaves\n"
    "its file marked as open for writing. gradtap reads such files as they are;\n"
    "other HDF5 readers (h5py without swmr=True, h5dump) refuse them. recover\n"
    "clears that mark (as HDF5's `h5clear -s` does) and checks that the file then\n"
    "opens normally. Every snapshot committed before the last flush stays as it\n"
    "is; nothing is rewritten, and the file keeps complete=no. Files that need\n"
    "nothing are left untouched. One line per file on stdout. A RUN is the NAME\n"
    "(or NAME.h5) of the rank files NAME.rankNNNNN.h5: every one is recovered.\n"
    "\n"
    "  -n, --dry-run   only report whether each file needs recovery\n"
    "      --strict    refuse (exit 2) rank files that do not form whole runs\n"
    "                  (by default one warning line)\n"
    "  -h, --help      this text\n"
    "\n"
    "exit codes: 0 ok (recovered or nothing to do), 2 a file is missing, not a\n"
    "gradtap snapshot file, or damaged beyond repair (or, with --strict, the rank\n"
    "files do not form whole runs), 3 internal error\n";

/* Check every file before changing any, then recover each. */
static int recover_files(char *const *paths, size_t count, int dry_run)
{
    for (size_t i = 0; i < count; i++) {
        int rc = gtap_cli_recover(paths[i], 1, NULL);
        if (rc < 0) return gtap_cli_fail(rc);
    }
    for (size_t i = 0; i < count; i++) {
        gtap_recover_report report;
        int rc = gtap_cli_recover(paths[i], dry_run, &report);
        if (rc < 0) return gtap_cli_fail(rc);
        const char *what = !report.needed ? "nothing to do (opens normally)"
                           : report.recovered ? "recovered (status flags cleared)"
                                              : "needs recovery (left open by a killed writer)";
        printf("%s: %s; %" PRIu64 " snapshots; complete=%s\n", paths[i], what, report.snapshots,
               report.complete ? "yes" : "no");
    }
    return GTAP_EXIT_OK;
}

int gtap_cmd_recover(int argc, char **argv)
{
    static const struct option options[] = {
        {"dry-run", no_argument, NULL, 'n'},
        {"strict", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int dry_run = 0, strict = 0, option;
    optind = 1;
    while ((option = gtap_cli_getopt(argc, argv, "nh", options)) != -1) {
        switch (option) {
        case 'n': dry_run = 1; break;
        case 'S': strict = 1; break;
        default: return gtap_cli_help_or_usage_error(option, usage);
        }
    }
    if (optind >= argc) return gtap_cli_error(GTAP_EXIT_USAGE, "no FILE given (see --help)");
    gtap_input_list inputs;
    int exit_code = gtap_inputs_resolve(argv + optind, (size_t)(argc - optind), &inputs);
    if (exit_code == GTAP_EXIT_OK) exit_code = gtap_inputs_check_paths(inputs.paths, inputs.count, strict);
    if (exit_code == GTAP_EXIT_OK) exit_code = recover_files(inputs.paths, inputs.count, dry_run);
    gtap_inputs_free(&inputs);
    return exit_code;
}
