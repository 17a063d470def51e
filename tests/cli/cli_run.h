/* cli_run.h - running the real `gradtap` binary (env GRADTAP_CLI) from a
 * CLI test: the command line in the test's temporary directory, its stdout
 * and stderr kept in files, and what they hold. */
#ifndef GRADTAP_TESTS_CLI_RUN_H
#define GRADTAP_TESTS_CLI_RUN_H

/* `gradtap ARGUMENTS` in gtap_test_tmpdir() (killed after 20 s); the exit
 * status. Its stdout and stderr are then in gtap_cli_run_stdout() and
 * gtap_cli_run_stderr() (malloc'ed text, "" when empty; free() it). */
int gtap_cli_run(const char *arguments);
char *gtap_cli_run_stdout(void);
char *gtap_cli_run_stderr(void);

/* The number of '\n' in `text`. */
int gtap_cli_run_lines(const char *text);

#endif
