/*
 * gradtap/run.h - open the snapshot files of a multi-rank run as one run.
 *
 * With MPI (or RANK/WORLD_SIZE from torchrun) each rank's capture writes its
 * own file, NAME.rank00000.h5 ... NAME.rankNNNNN.h5 (gtap_capture_rank_path).
 * gtap_run_open() takes NAME.h5, NAME, or any one rank file, finds every
 * rank's file, opens them all with gtap_reader_open() and checks that they
 * belong together (same world size, each rank exactly once, same run id).
 * A plain single-rank file opens as a run of one.
 *
 * All functions return GTAP_OK or a negative gtap_status with a message in
 * gtap_last_error() naming the file and rank; none exits or aborts.
 */
#ifndef GRADTAP_RUN_H
#define GRADTAP_RUN_H

#include "gradtap/export.h"
#include <stddef.h>

#include "gradtap/format.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gtap_run gtap_run;

/* gtap_run_open() - open the run `path` names (see above).
 * @return GTAP_OK and *run (free with gtap_run_close); GTAP_ENOTFOUND (no
 * such file, or a rank's file is missing: the message names it);
 * GTAP_EFORMAT (a file is not a snapshot file, or the files disagree on
 * world size, rank or run id); GTAP_EVERSION; GTAP_ENOMEM. */
GTAP_API int gtap_run_open(const char *path, gtap_run **run);

/* Release the run and its readers. NULL is allowed. */
GTAP_API void gtap_run_close(gtap_run *run);

/* The number of ranks (files) in the run; 0 for NULL. */
GTAP_API int gtap_run_world_size(const gtap_run *run);

/* The reader of rank `rank` (owned by the run: do not close it), or NULL
 * when rank is out of range. */
GTAP_API gtap_reader *gtap_run_reader(gtap_run *run, int rank);

/* The path of rank `rank`'s file (owned by the run), or NULL. */
GTAP_API const char *gtap_run_path(const gtap_run *run, int rank);

/* The run id the files share ("" when none was recorded). */
GTAP_API const char *gtap_run_id(const gtap_run *run);

#ifdef __cplusplus
}
#endif
#endif /* GRADTAP_RUN_H */
