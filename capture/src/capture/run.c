/* run.c - gradtap/run.h: find and open every rank file of a multi-rank run
 * and check that they belong together. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gradtap/capture.h"
#include "gradtap/run.h"

struct gtap_run {
    int world_size;
    gtap_reader **readers;
    char **paths;
    char run_id[256];
};

void gtap_run_close(gtap_run *run)
{
    if (run == NULL) return;
    for (int r = 0; r < run->world_size; r++) {
        if (run->readers) gtap_reader_close(run->readers[r]);
        if (run->paths) free(run->paths[r]);
    }
    free(run->readers);
    free(run->paths);
    free(run);
}

static int file_exists(const char *path)
{
    struct stat file_stat;
    return stat(path, &file_stat) == 0 && S_ISREG(file_stat.st_mode);
}

/* "a/run.rank00003.h5" -> "a/run.h5" in `base`; 0 when `path` is not a rank file name. */
static int base_of_rank_file(const char *path, char *base, size_t capacity)
{
    const char *suffix = ".h5";
    size_t length = strlen(path);
    const size_t tail = strlen(".rank00000.h5");
    if (length <= tail || strcmp(path + length - 3, suffix) != 0) return 0;
    const char *mark = path + length - tail;
    if (strncmp(mark, ".rank", 5) != 0) return 0;
    for (int i = 5; i < 10; i++)
        if (mark[i] < '0' || mark[i] > '9') return 0;
    int written = snprintf(base, capacity, "%.*s.h5", (int)(mark - path), path);
    return written > 0 && (size_t)written < capacity;
}

static int open_rank(gtap_run *run, const char *base, int rank, gtap_file_info *first)
{
    size_t capacity = strlen(base) + 32;
    run->paths[rank] = malloc(capacity);
    if (run->paths[rank] == NULL) return gtap_set_error(GTAP_ENOMEM, "run: out of memory");
    int rc = gtap_capture_rank_path(base, rank, run->paths[rank], capacity);
    if (rc < 0) return rc;
    if (!file_exists(run->paths[rank]))
        return gtap_set_error(GTAP_ENOTFOUND, "run %s: the file of rank %d (%s) is missing", base, rank,
                              run->paths[rank]);
    if ((rc = gtap_reader_open(run->paths[rank], &run->readers[rank])) < 0) return rc;
    gtap_file_info info;
    gtap_reader_file_info(run->readers[rank], &info);
    if (info.rank != rank || info.world_size != first->world_size || strcmp(info.run_id, first->run_id) != 0)
        return gtap_set_error(GTAP_EFORMAT,
                              "run %s: %s says rank %d of %d (run id '%s'), expected rank %d of %d (run id '%s')",
                              base, run->paths[rank], info.rank, info.world_size, info.run_id, rank,
                              first->world_size, first->run_id);
    return GTAP_OK;
}

static int allocate(gtap_run **out, int world_size)
{
    gtap_run *run = calloc(1, sizeof *run);
    if (run) {
        run->readers = calloc((size_t)world_size, sizeof *run->readers);
        run->paths = calloc((size_t)world_size, sizeof *run->paths);
        run->world_size = world_size;
    }
    if (run == NULL || run->readers == NULL || run->paths == NULL) {
        gtap_run_close(run);
        return gtap_set_error(GTAP_ENOMEM, "run: out of memory");
    }
    *out = run;
    return GTAP_OK;
}

int gtap_run_open(const char *path, gtap_run **out)
{
    if (path == NULL || out == NULL) return gtap_set_error(GTAP_EINVAL, "gtap_run_open: NULL argument");
    *out = NULL;
    size_t capacity = strlen(path) + 32;
    char *base = malloc(capacity);
    char *rank0 = malloc(capacity);
    gtap_reader *probe = NULL;
    gtap_run *run = NULL;
    int rc = GTAP_OK;
    if (base == NULL || rank0 == NULL) {
        rc = gtap_set_error(GTAP_ENOMEM, "run: out of memory");
        goto done;
    }
    /* Which file tells the world size: the named one, or rank 0 of NAME. */
    if (!base_of_rank_file(path, base, capacity)) snprintf(base, capacity, "%s", path);
    if (file_exists(path) && strcmp(base, path) == 0) {
        if ((rc = gtap_reader_open(path, &probe)) < 0) goto done;
        gtap_file_info info;
        gtap_reader_file_info(probe, &info);
        if (info.world_size == 1) {
            if ((rc = allocate(&run, 1)) < 0) goto done;
            run->readers[0] = probe;
            probe = NULL;
            run->paths[0] = malloc(strlen(path) + 1);
            if (run->paths[0] == NULL) {
                rc = gtap_set_error(GTAP_ENOMEM, "run: out of memory");
                goto done;
            }
            memcpy(run->paths[0], path, strlen(path) + 1);
            snprintf(run->run_id, sizeof run->run_id, "%s", info.run_id);
            goto done;
        }
        gtap_reader_close(probe);
        probe = NULL;
    }
    if ((rc = gtap_capture_rank_path(base, 0, rank0, capacity)) < 0) goto done;
    if (!file_exists(rank0)) {
        rc = gtap_set_error(GTAP_ENOTFOUND, "%s: no such snapshot file, and no rank files (%s)", path, rank0);
        goto done;
    }
    if ((rc = gtap_reader_open(rank0, &probe)) < 0) goto done;
    gtap_file_info first;
    gtap_reader_file_info(probe, &first);
    gtap_reader_close(probe);
    probe = NULL;
    if (first.rank != 0) {
        rc = gtap_set_error(GTAP_EFORMAT, "%s says it is rank %d", rank0, first.rank);
        goto done;
    }
    if ((rc = allocate(&run, first.world_size)) < 0) goto done;
    snprintf(run->run_id, sizeof run->run_id, "%s", first.run_id);
    for (int r = 0; r < first.world_size && rc == GTAP_OK; r++) rc = open_rank(run, base, r, &first);
done:
    gtap_reader_close(probe);
    free(base);
    free(rank0);
    if (rc < 0) {
        char message[1024];
        snprintf(message, sizeof message, "%s", gtap_last_error());
        gtap_run_close(run);
        return gtap_set_error(rc, "%s", message);
    }
    *out = run;
    return GTAP_OK;
}

int gtap_run_world_size(const gtap_run *run)
{
    return run ? run->world_size : 0;
}

gtap_reader *gtap_run_reader(gtap_run *run, int rank)
{
    if (run == NULL || rank < 0 || rank >= run->world_size) return NULL;
    return run->readers[rank];
}

const char *gtap_run_path(const gtap_run *run, int rank)
{
    if (run == NULL || rank < 0 || rank >= run->world_size) return NULL;
    return run->paths[rank];
}

const char *gtap_run_id(const gtap_run *run)
{
    return run ? run->run_id : "";
}
