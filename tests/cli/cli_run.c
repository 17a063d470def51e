/* cli_run.c - see cli_run.h. */
#include "cli_run.h"

#include <stdio.h>
#include <stdlib.h>

#include "gtap_test.h"

static char out_path[1024], err_path[1024];

int gtap_cli_run(const char *arguments)
{
    const char *cli = getenv("GRADTAP_CLI");
    char command[8192];
    snprintf(out_path, sizeof out_path, "%s", gtap_test_path("cli_stdout.txt"));
    snprintf(err_path, sizeof err_path, "%s", gtap_test_path("cli_stderr.txt"));
    snprintf(command, sizeof command, "cd '%s' && timeout -s KILL 20 '%s' %s", gtap_test_tmpdir(), cli ? cli : "gradtap",
             arguments);
    return gtap_test_system(command, out_path, err_path);
}

static char *read_text(const char *path)
{
    char *text = gtap_test_read_file(path, NULL);
    return text ? text : calloc(1, 1);
}

char *gtap_cli_run_stdout(void)
{
    return read_text(out_path);
}

char *gtap_cli_run_stderr(void)
{
    return read_text(err_path);
}

int gtap_cli_run_lines(const char *text)
{
    int lines = 0;
    for (const char *p = text; p && *p; p++) lines += *p == '\n';
    return lines;
}
