/* mpi_fixture.c - setup of the MPI test of `gradtap bounds`: writes a
 * two-rank run (run.rank00000.h5, run.rank00001.h5, several tensors and
 * steps, one NaN snapshot and one zero vector) into DIR and the
 * single-process results DIR/expected_{bounds,fit,curve}.csv, computed with 2
 * threads; the MPI test then runs the same commands under mpirun with one
 * thread per rank and compares rank 0's output byte for byte. */
#include <stdio.h>
#include <stdlib.h>

#include "gradtap/format.h"
#include "gtap_test.h"
#include "reference.h"

static int write_rank(const char *dir, int rank, uint64_t *state)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/run.rank%05d.h5", dir, rank);
    gtap_writer_options o;
    gtap_writer_options_init(&o);
    o.rank = rank;
    o.world_size = 2;
    o.truncate = 1;
    gtap_writer *w = NULL;
    int rc = gtap_writer_create(path, &o, &w);
    const char *names[3] = {"conv.weight", "fc.weight", "fc.bias"};
    const uint64_t sizes[3] = {40000, 25000, 100};
    float *u = malloc(40000 * sizeof *u);
    for (int t = 0; t < 3 && rc == GTAP_OK; t++) rc = gtap_writer_add_tensor(w, names[t], sizes[t], GTAP_FLOAT32);
    for (int step = 0; step < 4 && rc == GTAP_OK; step++) {
        for (int t = 0; t < 3 && rc == GTAP_OK; t++) {
            ref_fill(u, sizes[t], t == 0 ? "laplace" : (t == 1 ? "student3" : "gauss"), state);
            if (t == 2 && step == 1) u[3] = (float)NAN;
            if (t == 2 && step == 2)
                for (int i = 0; i < 100; i++) u[i] = 0.0f;
            rc = gtap_writer_write_float32(w, names[t], GTAP_KIND_GRAD, step * 100, u);
        }
    }
    free(u);
    int closed = gtap_writer_close(w);
    return rc < 0 ? rc : closed;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    uint64_t state = gtap_test_seed("mpi fixture");
    for (int rank = 0; rank < 2; rank++)
        if (write_rank(argv[1], rank, &state) < 0) {
            fprintf(stderr, "mpi fixture: %s\n", gtap_last_error());
            return 1;
        }
    const char *cli = getenv("GRADTAP_CLI");
    const char *commands[3][2] = {
        {"bounds", "--density 0.001,0.01,0.1,0.5 --seed 3"}, {"fit", "--qq 5 --hist 6"}, {"curve", "--points 40"}};
    for (int i = 0; i < 3; i++) {
        char command[4096];
        snprintf(command, sizeof command, "%s %s %s --threads 2 -f csv %s/run.rank00000.h5 %s/run.rank00001.h5 > %s/expected_%s.csv",
                 cli ? cli : "gradtap", commands[i][0], commands[i][1], argv[1], argv[1], argv[1], commands[i][0]);
        int rc = system(command);
        if (rc != 0) {
            fprintf(stderr, "mpi fixture: '%s' failed (%d)\n", command, rc);
            return 1;
        }
    }
    return 0;
}
