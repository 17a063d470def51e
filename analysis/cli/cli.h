/* cli.h - what the subcommands of the `gradtap` command share: exit codes,
 * the subcommand signature, argument parsing with overflow checks, and
 * diagnostics. Private to analysis/cli; the libraries are used only through
 * their public headers. */
#ifndef GRADTAP_CLI_H
#define GRADTAP_CLI_H

#include <stdint.h>
#include <stdio.h>

/* Exit codes of `gradtap` (docs/CLI.md). */
enum {
    GTAP_EXIT_OK = 0,       /* success */
    GTAP_EXIT_CHECK = 1,    /* a --check failed */
    GTAP_EXIT_USAGE = 2,    /* usage or input error (bad option, bad file) */
    GTAP_EXIT_INTERNAL = 3  /* internal error (out of memory, a bug) */
};

/* A subcommand: argv[0] is the subcommand's name; returns an exit code. */
typedef int (*gtap_cli_main)(int argc, char **argv);

typedef struct gtap_cli_command {
    const char *name;
    const char *summary;   /* one line for `gradtap --help` */
    gtap_cli_main main;
} gtap_cli_command;

/* The subcommands, each in its own cmd_<name>.c. */
int gtap_cmd_info(int argc, char **argv);
int gtap_cmd_import(int argc, char **argv);
int gtap_cmd_recover(int argc, char **argv);
int gtap_cmd_bounds(int argc, char **argv);
int gtap_cmd_fit(int argc, char **argv);
int gtap_cmd_curve(int argc, char **argv);
int gtap_cmd_converge(int argc, char **argv);
int gtap_cmd_demo(int argc, char **argv);

/* The running subcommand's name, for messages ("gradtap info: ..."). */
extern const char *gtap_cli_command_name;

/* Print "gradtap <cmd>: <message>\n" to stderr; returns `exit_code`. */
int gtap_cli_error(int exit_code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Report a failed library call: prints gtap_last_error() (or the status
 * name) and returns the exit code for the status (gtap_cli_exit_code). */
int gtap_cli_fail(int status);

/* Map a gtap_status to an exit code: input/usage problems -> 2,
 * out of memory / internal / CUDA / MPI -> 3. */
int gtap_cli_exit_code(int status);

/* Warning on stderr: "gradtap <cmd>: warning: <message>". */
void gtap_cli_warn(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Parse whole-string numbers; on failure print one line naming `option`
 * and return GTAP_EXIT_USAGE (else 0). Negative, trailing junk, overflow,
 * NaN/Inf and values outside [min, max] are all rejected. */
int gtap_cli_parse_u64(const char *option, const char *text, uint64_t min, uint64_t max, uint64_t *value);
int gtap_cli_parse_i64(const char *option, const char *text, int64_t min, int64_t max, int64_t *value);
int gtap_cli_parse_int(const char *option, const char *text, int min, int max, int *value);
int gtap_cli_parse_double(const char *option, const char *text, double min, double max, double *value);

/* Parse a comma-separated list of doubles (e.g. "0.001,0.01,0.1") into a
 * malloc'ed array. */
int gtap_cli_parse_double_list(const char *option, const char *text, double min, double max, double **values,
                               size_t *count);
/* Parse a comma-separated list of unsigned integers. */
int gtap_cli_parse_u64_list(const char *option, const char *text, uint64_t min, uint64_t max, uint64_t **values,
                            size_t *count);

/* The option driver of every subcommand (options.c): getopt_long with
 * opterr = 0. Returns the next option's code, -1 at the end, or
 * GTAP_CLI_OPT_BAD after printing exactly one line - "gradtap <cmd>:
 * unknown option '--foo' (see gradtap <cmd> --help)", "option '--x' needs
 * a value" or "option '--x' takes no value"; the caller then exits
 * GTAP_EXIT_USAGE without printing anything more. Set optind = 1 first. */
struct option;
enum { GTAP_CLI_OPT_BAD = '?' };
int gtap_cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts);

/* Standard handling of --help inside a subcommand's getopt loop. */
void gtap_cli_print_usage(FILE *stream, const char *usage_text);

/* The last cases of a subcommand's option switch: 'h' prints `usage_text`
 * and gives GTAP_EXIT_OK; any other code (gtap_cli_getopt has printed its
 * one line) gives GTAP_EXIT_USAGE. The caller returns the exit code. */
int gtap_cli_help_or_usage_error(int option, const char *usage_text);

/* The one check of every input file a subcommand reads (snapshot, LIBSVM,
 * IDX, .npy, raw): an existing path that is no regular file (a FIFO, a
 * device, a directory) would block or never end, so it is refused before
 * anything opens it: one line "PATH: is a FIFO, not a regular file" and
 * GTAP_EXIT_USAGE. A missing path gives 0: the reader that opens it names
 * it (info also takes a run name that is no file). */
int gtap_cli_check_input(const char *path);

/* 1 when stderr is a terminal (progress displays only then). */
int gtap_cli_stderr_is_tty(void);

/* qsort comparator of doubles, ascending (NaN compares equal to everything). */
int gtap_cli_compare_double(const void *a, const void *b);

#endif
