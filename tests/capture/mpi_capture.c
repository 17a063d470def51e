/* mpi_capture.c - multi-rank capture under MPI (run with 4 ranks by ctest):
 * each rank captures into its own file, its rank and world size taken from
 * MPI; rank 0 then opens the set as one run (gradtap/run.h) and checks every
 * rank's snapshots bit for bit, the shared run id, and that a missing rank
 * file is reported. Exit status 0 when every check passed.
 *
 *   mpi_capture DIRECTORY */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gradtap/capture.h"
#include "gradtap/run.h"

enum { NUMEL = 4096, STEPS = 6 };

static float value(int rank, int step, int i)
{
    return (float)(rank * 1000 + step) + (float)i * 1e-3f;
}

static int failures = 0;
#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            fprintf(stderr, "mpi_capture: FAILED: " __VA_ARGS__); \
            fprintf(stderr, " (%s)\n", gtap_last_error()); \
            failures++;                                    \
        }                                                  \
    } while (0)

static void check_run(const char *path, int world)
{
    gtap_run *run = NULL;
    CHECK(gtap_run_open(path, &run) == GTAP_OK, "gtap_run_open(%s)", path);
    if (run == NULL) return;
    CHECK(gtap_run_world_size(run) == world, "world size %d", gtap_run_world_size(run));
    CHECK(strncmp(gtap_run_id(run), "mpi-", 4) == 0, "run id '%s'", gtap_run_id(run));
    float *data = malloc(NUMEL * sizeof *data);
    for (int r = 0; r < gtap_run_world_size(run); r++) {
        gtap_reader *reader = gtap_run_reader(run, r);
        size_t index, count = 0;
        CHECK(gtap_reader_find_tensor(reader, "w", &index) == GTAP_OK, "rank %d: tensor w", r);
        CHECK(gtap_reader_steps(reader, index, GTAP_KIND_GRAD, NULL, 0, &count) == GTAP_OK && count == STEPS,
              "rank %d: %zu steps", r, count);
        for (int step = 0; step < STEPS; step++) {
            CHECK(gtap_reader_read(reader, index, GTAP_KIND_GRAD, step, data) == GTAP_OK, "rank %d step %d", r, step);
            int same = 1;
            for (int i = 0; i < NUMEL; i++) same &= data[i] == value(r, step, i);
            CHECK(same, "rank %d step %d: data differ", r, step);
        }
    }
    free(data);
    gtap_run_close(run);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, world;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world);
    if (argc != 2) {
        if (rank == 0) fprintf(stderr, "usage: mpi_capture DIRECTORY\n");
        MPI_Finalize();
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/run.h5", argv[1]);
    gtap_capture_options options;
    gtap_capture_options_init(&options);
    options.every = 1;
    options.truncate = 1;
    gtap_capture *capture = NULL;
    CHECK(gtap_capture_open(path, &options, &capture) == GTAP_OK, "rank %d: open", rank);
    if (capture != NULL) {
        CHECK(gtap_capture_rank(capture) == rank && gtap_capture_world_size(capture) == world, "rank from MPI");
        char expected[4200];
        gtap_capture_rank_path(path, rank, expected, sizeof expected);
        CHECK(strcmp(gtap_capture_path(capture), expected) == 0, "per-rank path %s", gtap_capture_path(capture));
        int id;
        float data[NUMEL];
        CHECK(gtap_capture_register(capture, "w", NUMEL, GTAP_FLOAT32, &id) == GTAP_OK, "register");
        for (int step = 0; step < STEPS; step++) {
            for (int i = 0; i < NUMEL; i++) data[i] = value(rank, step, i);
            CHECK(gtap_capture_record(capture, id, GTAP_KIND_GRAD, step, data) == GTAP_OK, "record");
        }
        CHECK(gtap_capture_close(capture, NULL) == GTAP_OK, "close");
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        check_run(path, world);                       /* NAME.h5 */
        char one[4200];
        gtap_capture_rank_path(path, world - 1, one, sizeof one);
        check_run(one, world);                        /* any rank file */
        char hidden[4300];
        snprintf(hidden, sizeof hidden, "%s.hidden", one);
        rename(one, hidden);
        gtap_run *run = NULL;
        CHECK(gtap_run_open(path, &run) == GTAP_ENOTFOUND && strstr(gtap_last_error(), "is missing"),
              "a missing rank file must be reported");
        gtap_run_close(run);
        rename(hidden, one);
        printf("mpi_capture: %d ranks, %s\n", world, failures ? "FAILED" : "all checks passed");
    }
    int total = 0;
    MPI_Allreduce(&failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    MPI_Finalize();
    return total ? 1 : 0;
}
