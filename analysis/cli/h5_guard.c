/* h5_guard.c - the command's last defence against HDF5 itself on a damaged
 * file (see cli.h). HDF5 1.10.8 loops forever, or reads out of bounds, on a
 * snapshot file whose global heap (the variable-length strings, which have
 * no checksum) was changed (docs/RELIABILITY.md, "Known"). While the
 * command opens a file, a watchdog (SIGALRM after GRADTAP_OPEN_TIMEOUT
 * seconds, default 20) and a SIGSEGV/SIGBUS handler turn such a hang or
 * crash into one error line naming the file and exit 2. Only the opening
 * is guarded: it reads metadata alone, so a fault there is the file's; the
 * handlers are restored as soon as it returns. A library never does this:
 * the command may end the process, a library may not. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "h5_guard.h"

#define DEFAULT_OPEN_TIMEOUT 20

static char hang_line[1200], crash_line[1200];
static size_t hang_length, crash_length;

static void on_alarm(int signal_number)
{
    (void)signal_number;
    if (write(STDERR_FILENO, hang_line, hang_length) < 0) { /* nothing left to do */ }
    _exit(GTAP_EXIT_USAGE);
}

static void on_fault(int signal_number)
{
    (void)signal_number;
    if (write(STDERR_FILENO, crash_line, crash_length) < 0) { /* nothing left to do */ }
    _exit(GTAP_EXIT_USAGE);
}

static unsigned open_timeout(void)
{
    const char *text = getenv("GRADTAP_OPEN_TIMEOUT");
    char *end = NULL;
    long seconds = text ? strtol(text, &end, 10) : 0;
    return text && end != text && *end == '\0' && seconds > 0 && seconds < 86400 ? (unsigned)seconds : DEFAULT_OPEN_TIMEOUT;
}

typedef struct guard_state {
    struct sigaction alarm, segv, bus;
    unsigned timeout;
} guard_state;

static void guard_begin(const char *path, guard_state *saved)
{
    saved->timeout = open_timeout();
    snprintf(hang_line, sizeof hang_line,
             "gradtap %s: %s: damaged file (HDF5 did not return within %u s reading its metadata)\n",
             gtap_cli_command_name, path, saved->timeout);
    snprintf(crash_line, sizeof crash_line,
             "gradtap %s: %s: damaged file (HDF5 crashed reading its metadata)\n", gtap_cli_command_name, path);
    hang_length = strlen(hang_line);
    crash_length = strlen(crash_line);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_alarm;
    sigaction(SIGALRM, &action, &saved->alarm);
    action.sa_handler = on_fault;
    sigaction(SIGSEGV, &action, &saved->segv);
    sigaction(SIGBUS, &action, &saved->bus);
    alarm(saved->timeout);
}

static void guard_end(const guard_state *saved)
{
    alarm(0);
    sigaction(SIGALRM, &saved->alarm, NULL);
    sigaction(SIGSEGV, &saved->segv, NULL);
    sigaction(SIGBUS, &saved->bus, NULL);
}

int gtap_cli_reader_open(const char *path, gtap_reader **reader)
{
    guard_state saved;
    guard_begin(path, &saved);
    int rc = gtap_reader_open(path, reader);
    guard_end(&saved);
    return rc;
}

int gtap_cli_recover(const char *path, int dry_run, gtap_recover_report *report)
{
    guard_state saved;
    guard_begin(path, &saved);
    int rc = gtap_capture_recover(path, dry_run, report);
    guard_end(&saved);
    return rc;
}
