/* main.c - the `gradtap` command: a table of git-style subcommands. Each
 * subcommand lives in cmd_<name>.c and parses its own options with
 * getopt_long. See docs/CLI.md. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gradtap/status.h"

static const gtap_cli_command commands[] = {
    {"info", "what snapshot files hold: ranks, tensors, kinds, steps, sizes", gtap_cmd_info},
    {"import", "convert .npy and raw float32 dumps into a snapshot file", gtap_cmd_import},
    {"recover", "make a snapshot file left by a killed writer readable everywhere", gtap_cmd_recover},
    {"bounds", "tail energy of top-k against (1-k/d) and (1-k/d)^2, per snapshot", gtap_cmd_bounds},
    {"fit", "fit Gaussian, Laplace, Student-t and generalized normal to snapshots", gtap_cmd_fit},
    {"curve", "the whole curve r_k against k/d with both bounds", gtap_cmd_curve},
    {"converge", "small (GaussianK-)SGD trainings with every sparsifier, and checks", gtap_cmd_converge},
    {"demo", "train, capture, analyse and plot on an embedded default", gtap_cmd_demo},
};
static const size_t command_count = sizeof commands / sizeof commands[0];

static void print_help(FILE *stream)
{
    fprintf(stream,
            "usage: gradtap <command> [options] [FILE...]\n"
            "       gradtap --help | --version\n"
            "\n"
            "gradtap captures gradient vectors into HDF5 snapshot files and checks the\n"
            "theory of top-k sparsification with error feedback against them.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < command_count; i++) fprintf(stream, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(stream,
            "\n"
            "`gradtap <command> --help` describes a command's options.\n"
            "exit codes: 0 ok, 1 a --check failed, 2 usage or input error, 3 internal error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return GTAP_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc >= 3 && strcmp(name, "help") == 0) {
            for (size_t i = 0; i < command_count; i++) {
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char *help_argv[] = {argv[2], "--help", NULL};
                    gtap_cli_command_name = commands[i].name;
                    return commands[i].main(2, help_argv);
                }
            }
        }
        print_help(stdout);
        return GTAP_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("gradtap %s\n", gtap_version());
        return GTAP_EXIT_OK;
    }
    for (size_t i = 0; i < command_count; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            gtap_cli_command_name = commands[i].name;
            int code = commands[i].main(argc - 1, argv + 1);
            if (code == GTAP_EXIT_OK) return code;
            /* After an error, HDF5's exit handler would close again a file
             * whose close failed (a full disk), which crashes HDF5 1.10.8
             * (H5F__close_cb). Every file is closed or given up by now and
             * the output was written aside (docs/RELIABILITY.md), so an
             * error exit skips the exit handlers. */
            fflush(NULL);
            _exit(code);
        }
    }
    fprintf(stderr, "gradtap: unknown command '%s' (see `gradtap --help`)\n", name);
    return GTAP_EXIT_USAGE;
}
