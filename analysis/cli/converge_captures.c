/* converge_captures.c - the snapshot files of `gradtap converge --capture
 * FILE`: their names (FILE, or FILE with ".METHOD" before its extension when
 * several methods are captured; per worker, gtap_capture_rank_path), and
 * writing them aside: each method captures into the name with ".tmp-PID"
 * before the extension, and only a run that ends with exit 0 or 1 renames
 * them into place; any other end removes them, so a failed run (a full disk,
 * bad data) leaves the files of an earlier run as they were (docs/CLI.md,
 * "Output files"). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "converge.h"
#include "gradtap/capture.h"

/* `path` with `tag` inserted before the extension of its last component. */
static void insert_before_extension(const char *path, const char *tag, char *out, size_t size)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (dot == NULL || (slash && dot < slash)) dot = path + strlen(path);
    snprintf(out, size, "%.*s%s%s", (int)(dot - path), path, tag, dot);
}

void converge_capture_path(const converge_run *run, const converge_method *m, const char *capture, int aside,
                           char *path, size_t size)
{
    int visible = 0;
    for (int i = 0; i < run->method_count; i++) visible += !run->methods[i].hidden;
    char named[4096], tag[80];
    if (visible <= 1) snprintf(named, sizeof named, "%s", capture);
    else {
        snprintf(tag, sizeof tag, ".%s", m->name);
        insert_before_extension(capture, tag, named, sizeof named);
    }
    if (!aside) {
        snprintf(path, size, "%s", named);
        return;
    }
    snprintf(tag, sizeof tag, ".tmp-%ld", (long)getpid());
    insert_before_extension(named, tag, path, size);
}

/* Rename or remove the file(s) of worker w of method m. @return 0 or an
 * exit code after one error line. */
static int finish_worker(const converge_run *run, const converge_method *m, const char *capture, int workers, int w,
                         int commit)
{
    char final_path[4096], aside_path[4096], final_rank[4200], aside_rank[4200];
    converge_capture_path(run, m, capture, 0, final_path, sizeof final_path);
    converge_capture_path(run, m, capture, 1, aside_path, sizeof aside_path);
    const char *from = aside_path, *to = final_path;
    if (workers > 1) {
        if (gtap_capture_rank_path(final_path, w, final_rank, sizeof final_rank) < 0 ||
            gtap_capture_rank_path(aside_path, w, aside_rank, sizeof aside_rank) < 0)
            return gtap_cli_error(GTAP_EXIT_USAGE, "--capture: the file name '%s' is too long", capture);
        from = aside_rank;
        to = final_rank;
    }
    if (!commit) {
        if (unlink(from) != 0 && errno != ENOENT) gtap_cli_warn("could not remove %s: %s", from, strerror(errno));
        return 0;
    }
    if (rename(from, to) != 0) {
        int error = errno;
        unlink(from);
        return gtap_cli_error(GTAP_EXIT_USAGE, "--capture: cannot rename %s to %s: %s", from, to, strerror(error));
    }
    return 0;
}

int converge_captures_finish(const converge_run *run, const char *capture, int commit)
{
    if (capture == NULL) return 0;
    int workers = run->mpi ? run->world_size : run->base.workers;
    int exit_code = 0;
    for (int i = 0; i < run->method_count; i++) {
        const converge_method *m = &run->methods[i];
        if (m->hidden || !m->ran) continue;
        for (int w = 0; w < (workers > 1 ? workers : 1); w++) {
            if (run->mpi && w != run->rank) continue; /* each rank moves its own file */
            int rc = finish_worker(run, m, capture, workers, w, commit && exit_code == 0);
            if (rc && exit_code == 0) exit_code = rc;
        }
    }
    return exit_code;
}
