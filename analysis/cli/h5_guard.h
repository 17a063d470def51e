/* h5_guard.h - opening snapshot files in the command with a guard against
 * HDF5 hanging or crashing on a damaged file (h5_guard.c): such a file ends
 * the command with one line naming it and exit 2. Private to the CLI. */
#ifndef GRADTAP_CLI_H5_GUARD_H
#define GRADTAP_CLI_H5_GUARD_H

#include "gradtap/capture.h"
#include "gradtap/format.h"

/* gtap_reader_open() under the guard. */
int gtap_cli_reader_open(const char *path, gtap_reader **reader);
/* gtap_capture_recover() under the guard. */
int gtap_cli_recover(const char *path, int dry_run, gtap_recover_report *report);

#endif
