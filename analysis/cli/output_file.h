/* output_file.h - how the commands write the files named by -o (and
 * converge's --capture): an existing file is replaced only when gradtap
 * wrote it as the same kind of output, or with --force; a new output is
 * written aside, as PATH.tmp-XXXXXX in the same directory, and renamed into
 * place only once it is complete, so a failing command leaves the old
 * output as it was (docs/CLI.md, "Output files"). Private to the CLI. */
#ifndef GRADTAP_CLI_OUTPUT_FILE_H
#define GRADTAP_CLI_OUTPUT_FILE_H

#include <stddef.h>

/* May `path` be replaced by an output of this kind? Yes when it does not
 * exist, with `force`, or when it is an HDF5 file whose `format` attribute
 * is `format` (format NULL: never), or a text file whose first line starts
 * with `text_header` (NULL: never). Otherwise prints one line naming the
 * file, what it is and --force, and returns GTAP_EXIT_USAGE (else 0). */
int gtap_output_check(const char *path, const char *format, const char *text_header, int force);

typedef struct gtap_output_file {
    const char *path;     /* the final name */
    char temp[4200];      /* where it is written meanwhile; "" when none */
} gtap_output_file;

/* Create the empty file aside (permissions as a new file would get) and
 * name it in out->temp. Prints one line and returns GTAP_EXIT_USAGE when it
 * cannot be created (else 0). */
int gtap_output_begin(gtap_output_file *out, const char *path);

/* Copy the existing out->path into out->temp (an append works on the
 * copy). Prints one line and returns GTAP_EXIT_USAGE on failure (else 0). */
int gtap_output_copy_existing(gtap_output_file *out);

/* Rename out->temp onto out->path (prints one line and returns
 * GTAP_EXIT_USAGE on failure, removing out->temp), or remove it. */
int gtap_output_commit(gtap_output_file *out);
void gtap_output_abort(gtap_output_file *out);

#endif
