/* inputs.h - the snapshot inputs of every reading command (info, bounds,
 * fit, curve, recover): FILE and RUN arguments resolved to files, and the
 * check that rank files given together belong together (docs/CLI.md,
 * "Runs and rank sets"). Private to the CLI.
 *
 * A RUN is the NAME (or NAME.h5) of a multi-rank capture whose ranks wrote
 * NAME.rank00000.h5, NAME.rank00001.h5, ... (gtap_capture_rank_path). An
 * argument that is an existing path stands for itself; one that is not but
 * has rank files beside it stands for all of them, in rank order. */
#ifndef GRADTAP_CLI_INPUTS_H
#define GRADTAP_CLI_INPUTS_H

#include <stddef.h>

#include "gradtap/format.h"

/* --strict, shared by every reading command. */
#define GTAP_INPUTS_STRICT_HELP                                                                          \
    "  --strict           refuse (exit 2) rank files that do not form whole runs\n"                      \
    "                     (by default one warning line)\n"

typedef struct gtap_input_list {
    char **paths;   /* owned, malloc'ed strings */
    size_t count;
} gtap_input_list;

/* Resolve `count` arguments into *list (free with gtap_inputs_free, also
 * after an error). Each argument is first checked with
 * gtap_cli_check_input (a FIFO or directory is refused). An argument that
 * is neither a file nor a run gives one line "NAME: no such snapshot file,
 * and no rank files NAME.rankNNNNN.h5". @return an exit code (0 ok, 2 bad
 * input, 3 out of memory), after printing one line. */
int gtap_inputs_resolve(char *const *arguments, size_t count, gtap_input_list *list);
void gtap_inputs_free(gtap_input_list *list);

/* The rank-set check over the files of one command (`infos[i]` read from
 * `paths[i]`). Files are grouped by run name (NAME of NAME.rankNNNNN.h5;
 * any other file is a group of its own). Within a group the files must
 * agree on world size and run id, hold each rank once, and the rank a file
 * is named after must be the rank it records; a rank of the run that was
 * not given must have its file beside the others (a deliberate subset of an
 * intact run is fine, a rank whose file is missing is not). Different run
 * names given together are different runs compared on purpose: no
 * warning. The first problem found is printed as one line on stderr
 * (counting the others) unless `quiet`: a warning, or with `strict` an
 * error. @return 0, or GTAP_EXIT_USAGE when strict and a problem exists. */
int gtap_inputs_check_ranks(char *const *paths, const gtap_file_info *infos, size_t count, int strict, int quiet);

/* The same for files not open yet (recover): each file is opened only to
 * read its root attributes; one that does not open is left out of the
 * check (the command's own open reports it). @return as above, or
 * GTAP_EXIT_INTERNAL when out of memory. */
int gtap_inputs_check_paths(char *const *paths, size_t count, int strict);

#endif
